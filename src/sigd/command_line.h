#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/flags/commandlineflag.h"

namespace sig::sigd {

// A titled group of flags in --help.
struct FlagGroup {
  std::string_view title;
  std::vector<std::string_view> flags;
};

// sigd's own flags (those defined in one source file, not Abseil's), set from the environment
// (NAME in upper case) and then the command line, which wins. Parsed here rather than by
// absl::ParseCommandLine, which exits 1 on a bad value and lists Abseil's own flags in --help:
// sigd promises exit status 2 and a message that says what was expected, naming the value as
// the operator wrote it (`EXPIRE_TIMEOUT=5000` or `--expire_timeout=5000`).
class CommandLine {
 public:
  // `anchor`: a flag of the file whose flags are sigd's. `groups` orders --help; a flag in no
  // group is listed under "other".
  CommandLine(std::string_view anchor, std::vector<FlagGroup> groups);

  // Reads the environment, then argv. Returns an exit status when sigd should stop now (0 after
  // --help or --version, 2 after an error, printed), nullopt to go on.
  std::optional<int> Parse(int argc, char** argv, std::string_view version);

  // Prints "sigd: <where the value came from>: <problem>" to stderr and returns 2; for checks
  // of a value's range after parsing.
  int Invalid(std::string_view flag, std::string_view problem) const;

  // "name=value" for each flag (all, or those not at their default), secrets as "(set)".
  std::vector<std::string> Settings(bool only_changed) const;

  std::string Help() const;

  // Sorted by name.
  std::span<absl::CommandLineFlag* const> flags() const { return flags_; }

  // A flag that picks what sigd does instead of serving (--check_config, --probe), not a
  // setting: Settings leaves it out.
  static bool IsMode(std::string_view name);

  // A flag whose value must never be printed or logged.
  static bool IsSecret(std::string_view name);

  // What a value of `flag`'s type looks like, for an error about `value`.
  static std::string Expected(const absl::CommandLineFlag& flag, std::string_view value);

 private:
  struct Source {
    std::string name;
    std::string text;  // as written: "NAME=value" or "--name=value"
  };
  absl::CommandLineFlag* Find(std::string_view name) const;
  bool Set(absl::CommandLineFlag& flag, std::string_view value, std::string text);

  std::vector<absl::CommandLineFlag*> flags_;
  std::vector<FlagGroup> groups_;
  std::vector<Source> sources_;
};

}  // namespace sig::sigd
