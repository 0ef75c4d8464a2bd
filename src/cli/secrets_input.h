// Reading secrets for the CLI: from a file, from standard input ("-"), or
// from an environment variable — never from a command-line value, which
// would show in `ps`.
#pragma once

#include <string>

#include "util/status.h"

namespace sk::cli {

// `file` may be "-" (standard input) or empty (then `env_var` is used).
// Trailing newlines are removed; an empty secret is an error.
Result<std::string> ReadSecret(const std::string& file, const char* env_var, const std::string& what);

}  // namespace sk::cli
