#include "sigd/command_line.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>

#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace sig::sigd {
namespace {

// Debian's Abseil has its own string_view, not std's.
absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

std::string EnvName(std::string_view flag) { return absl::AsciiStrToUpper(ToAbsl(flag)); }

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  });
}

// `text` wrapped at `width` columns, each line indented by `indent`.
std::string Wrap(std::string_view text, std::size_t indent, std::size_t width) {
  std::string out;
  std::size_t column = 0;
  for (absl::string_view word : absl::StrSplit(ToAbsl(text), ' ', absl::SkipEmpty())) {
    if (column == 0 || column + 1 + word.size() > width) {
      if (column != 0) out += '\n';
      out.append(indent, ' ');
      column = indent;
    } else {
      out += ' ';
      ++column;
    }
    out.append(word.data(), word.size());
    column += word.size();
  }
  return out;
}

}  // namespace

CommandLine::CommandLine(std::string_view anchor, std::vector<FlagGroup> groups)
    : groups_(std::move(groups)) {
  // Abseil reports a flag's file in its own normalized spelling of __FILE__.
  const std::string own_file = absl::FindCommandLineFlag(ToAbsl(anchor))->Filename();
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (flag->Filename() == own_file) flags_.push_back(flag);
  }
  std::sort(flags_.begin(), flags_.end(),
            [](const absl::CommandLineFlag* a, const absl::CommandLineFlag* b) {
              return a->Name() < b->Name();
            });
}

absl::CommandLineFlag* CommandLine::Find(std::string_view name) const {
  const auto it = std::lower_bound(
      flags_.begin(), flags_.end(), name,
      [](const absl::CommandLineFlag* flag, std::string_view n) { return ToStd(flag->Name()) < n; });
  return it != flags_.end() && ToStd((*it)->Name()) == name ? *it : nullptr;
}

bool CommandLine::Set(absl::CommandLineFlag& flag, std::string_view value, std::string text) {
  std::string error;
  if (!flag.ParseFrom(ToAbsl(value), &error)) {
    std::fprintf(stderr, "sigd: %s: %s\n", text.c_str(), Expected(flag, value).c_str());
    return false;
  }
  std::erase_if(sources_, [&](const Source& s) { return s.name == ToStd(flag.Name()); });
  sources_.push_back(Source{std::string(flag.Name()), std::move(text)});
  return true;
}

std::optional<int> CommandLine::Parse(int argc, char** argv, std::string_view version) {
  for (absl::CommandLineFlag* flag : flags_) {
    const std::string env = EnvName(ToStd(flag->Name()));
    const char* value = std::getenv(env.c_str());
    if (value == nullptr) continue;
    // A secret's value stays out of the message.
    const std::string shown = IsSecret(ToStd(flag->Name())) ? "(set)" : std::string(value);
    if (!Set(*flag, value, absl::StrCat(env, "=", shown))) return 2;
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "--helpfull") {
      std::fputs(Help().c_str(), stdout);
      return 0;
    }
    if (arg == "--version") {
      std::printf("sigd %s\n", std::string(version).c_str());
      return 0;
    }
    if (!arg.starts_with("--") || arg.size() == 2) {
      std::fprintf(stderr, "sigd: unexpected argument %s: every setting is a --flag (sigd --help)\n",
                   argv[i]);
      return 2;
    }
    arg.remove_prefix(2);
    const std::size_t eq = arg.find('=');
    std::string_view name = arg.substr(0, eq);
    absl::CommandLineFlag* flag = Find(name);
    std::optional<std::string> value;
    if (eq != std::string_view::npos) value = std::string(arg.substr(eq + 1));
    // --noflag for a boolean, as Abseil spells false.
    if (flag == nullptr && name.starts_with("no") && !value) {
      flag = Find(name.substr(2));
      if (flag != nullptr && flag->IsOfType<bool>()) {
        value = "false";
      } else {
        flag = nullptr;
      }
    }
    if (flag == nullptr) {
      std::fprintf(stderr, "sigd: unknown flag --%s (sigd --help lists them)\n",
                   std::string(name).c_str());
      return 2;
    }
    if (!value) {
      if (flag->IsOfType<bool>()) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        std::fprintf(stderr, "sigd: --%s needs a value: %s\n", std::string(name).c_str(),
                     Expected(*flag, "").c_str());
        return 2;
      }
    }
    const std::string shown = IsSecret(ToStd(flag->Name())) ? "(set)" : *value;
    if (!Set(*flag, *value, absl::StrCat("--", flag->Name(), "=", shown))) return 2;
  }
  return std::nullopt;
}

int CommandLine::Invalid(std::string_view flag, std::string_view problem) const {
  std::string where = absl::StrCat("--", ToAbsl(flag));
  if (const absl::CommandLineFlag* f = Find(flag)) {
    where = absl::StrCat("--", ToAbsl(flag), "=", IsSecret(flag) ? "(set)" : f->CurrentValue());
  }
  for (const Source& source : sources_) {
    if (source.name == flag) where = source.text;
  }
  std::fprintf(stderr, "sigd: %s: %s\n", where.c_str(), std::string(problem).c_str());
  return 2;
}

std::vector<std::string> CommandLine::Settings(bool only_changed) const {
  std::vector<std::string> lines;
  for (const absl::CommandLineFlag* flag : flags_) {
    if (IsMode(ToStd(flag->Name()))) continue;
    std::string value = flag->CurrentValue();
    if (only_changed && value == flag->DefaultValue()) continue;
    if (IsSecret(ToStd(flag->Name())) && !value.empty()) value = "(set)";
    lines.push_back(absl::StrCat(flag->Name(), "=", value));
  }
  return lines;
}

std::string CommandLine::Help() const {
  std::string out =
      "sigd: a WebRTC signaling server (td and PeerJS protocols).\n\n"
      "usage: sigd [--flag=value ...]\n\n"
      "Every flag may also be set by the environment variable of its name in upper case\n"
      "(--port and PORT); the command line wins. Durations take a unit: 500ms, 5s, 2m, 1h.\n";
  std::set<std::string, std::less<>> listed;
  const auto describe = [&](const absl::CommandLineFlag& flag) {
    const std::string value = flag.DefaultValue();
    absl::StrAppend(&out, "  --", flag.Name(), " (", EnvName(ToStd(flag.Name())), ")",
                    value.empty() ? "" : absl::StrCat(", default ", value), "\n",
                    Wrap(flag.Help(), 6, 92), "\n");
    listed.insert(std::string(flag.Name()));
  };
  for (const FlagGroup& group : groups_) {
    absl::StrAppend(&out, "\n", ToAbsl(group.title), ":\n");
    for (std::string_view name : group.flags) {
      if (const absl::CommandLineFlag* flag = Find(name)) describe(*flag);
    }
  }
  bool other = false;
  for (const absl::CommandLineFlag* flag : flags_) {
    if (listed.contains(ToStd(flag->Name()))) continue;
    if (!other) out += "\nOther:\n";
    other = true;
    describe(*flag);
  }
  out += "\n  --help     this text\n  --version  sigd's version and the commit it was built from\n";
  return out;
}

bool CommandLine::IsMode(std::string_view name) {
  return name == "check_config" || name == "probe";
}

bool CommandLine::IsSecret(std::string_view name) {
  return name.ends_with("_token") || name.ends_with("_secret") || name.ends_with("_password");
}

std::string CommandLine::Expected(const absl::CommandLineFlag& flag, std::string_view value) {
  if (flag.IsOfType<absl::Duration>()) {
    if (AllDigits(value)) return "a duration needs a unit, e.g. 5s";
    return "expected a duration such as 500ms, 5s, 2m or 1h";
  }
  if (flag.IsOfType<bool>()) return "expected true or false";
  if (flag.IsOfType<int>() || flag.IsOfType<std::int64_t>()) {
    if (AllDigits(value)) return "the number is out of range";
    return "expected a whole number";
  }
  return "expected a value";
}

}  // namespace sig::sigd
