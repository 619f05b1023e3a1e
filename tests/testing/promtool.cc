#include "testing/promtool.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sig::testing {

absl::Status PromtoolCheck(std::string_view exposition) {
  const std::string path = ::testing::TempDir() + "/sigd-metrics.txt";
  {
    std::ofstream out(path);
    out << exposition;
  }
  const std::string command = absl::StrCat("promtool check metrics < ", path, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("promtool could not be run");
  std::string output;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  if (pclose(pipe) != 0) return absl::InternalError(absl::StrCat("promtool said:\n", output));
  return absl::OkStatus();
}

}  // namespace sig::testing
