// seatkeeper's settings: command-line flags, then environment variables,
// then SEATKEEPER_HOME/config, then defaults (first found wins).
//
// The file holds `key = value` lines; `#` starts a comment; keys are those
// of Config::Keys(). An unknown key is an error naming the line, so a typo
// never goes unnoticed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "util/status.h"

namespace sk {

struct ConfigKey {
  std::string key;
  std::string env;
  std::string default_value;
  bool secret = false;
  std::string help;
};

struct Setting {
  std::string key;
  std::string value;
  std::string source;  // "flag" | "env SEATKEEPER_..." | "file <path>:<line>" | "default"
  bool secret = false;
};

class Config {
 public:
  static const std::vector<ConfigKey>& Keys();
  // Reads the environment and `home`/config (absent file is fine).
  static Result<Config> Load(const std::string& home);

  // A flag given on the command line (highest precedence).
  void SetFlag(const std::string& key, const std::string& value);
  std::string Get(const std::string& key) const;
  // Every key with its effective value and where it came from; secrets are
  // masked unless `reveal`.
  std::vector<Setting> All(bool reveal = false) const;

 private:
  std::map<std::string, Setting> settings_;
};

}  // namespace sk
