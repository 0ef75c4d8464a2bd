#include "cli/secrets_input.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "util/log.h"

namespace sk::cli {

Result<std::string> ReadSecret(const std::string& file, const char* env_var, const std::string& what) {
  std::string value;
  if (file == "-") {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    value = ss.str();
  } else if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return InvalidArgument("cannot read the " + what + " file " + file);
    std::stringstream ss;
    ss << in.rdbuf();
    value = ss.str();
  } else if (const char* env = std::getenv(env_var); env && *env) {
    value = env;
  } else {
    return InvalidArgument("no " + what + " given: pass a file (or - for standard input), or set " + env_var);
  }
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' ')) value.pop_back();
  if (value.empty()) return InvalidArgument("the " + what + " is empty");
  log::RegisterSecret(value);
  return value;
}

}  // namespace sk::cli
