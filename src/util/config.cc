#include "util/config.h"

#include <cstdlib>
#include <fstream>

#include "util/text.h"

namespace sk {

const std::vector<ConfigKey>& Config::Keys() {
  static const std::vector<ConfigKey> keys = {
      {"log_format", "SEATKEEPER_LOG_FORMAT", "text", false, "text or json (one JSON object a line)"},
      {"log_level", "SEATKEEPER_LOG_LEVEL", "info", false, "trace, debug, info, warn, error or off"},
      {"listen", "SEATKEEPER_LISTEN", "127.0.0.1:8080", false, "address of `seatkeeper serve`"},
      {"sync_at", "SEATKEEPER_SYNC_AT", "03:00", false, "daily sync time (HH:MM in the connection's zone)"},
      {"web_root", "SEATKEEPER_WEB_ROOT", "", false, "folder of the web UI assets"},
      {"db", "SEATKEEPER_DB", "", true, "database: empty for SQLite in SEATKEEPER_HOME, or postgresql://..."},
      {"key", "SEATKEEPER_KEY", "", true, "64 hex digits sealing secrets at rest (else SEATKEEPER_HOME/key)"},
  };
  return keys;
}

namespace {}  // namespace

Result<Config> Config::Load(const std::string& home) {
  Config c;
  std::map<std::string, const ConfigKey*> known;
  for (const auto& k : Keys()) {
    known[k.key] = &k;
    c.settings_[k.key] = {k.key, k.default_value, "default", k.secret};
  }
  std::string path = home + "/config";
  std::ifstream in(path);
  std::string line;
  for (int n = 1; in && std::getline(in, line); ++n) {
    std::string t = Trim(line.substr(0, line.find('#')));
    if (t.empty()) continue;
    size_t eq = t.find('=');
    if (eq == std::string::npos)
      // The line is not echoed: it may hold a secret.
      return InvalidArgument(path + ":" + std::to_string(n) +
                             ": expected `key = value` (`#` starts a comment)");
    std::string key = Trim(t.substr(0, eq)), value = Trim(t.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (!known.count(key)) {
      std::string names;
      for (const auto& k : Keys()) names += (names.empty() ? "" : ", ") + k.key;
      return InvalidArgument(path + ":" + std::to_string(n) + ": unknown key `" + key + "` (known: " + names +
                             ")");
    }
    c.settings_[key] = {key, value, "file " + path + ":" + std::to_string(n), known[key]->secret};
  }
  for (const auto& k : Keys()) {
    if (const char* v = std::getenv(k.env.c_str()); v && *v)
      c.settings_[k.key] = {k.key, v, "env " + k.env, k.secret};
  }
  return c;
}

void Config::SetFlag(const std::string& key, const std::string& value) {
  auto& s = settings_[key];
  s.key = key;
  s.value = value;
  s.source = "flag";
}

std::string Config::Get(const std::string& key) const {
  auto it = settings_.find(key);
  return it == settings_.end() ? "" : it->second.value;
}

std::vector<Setting> Config::All(bool reveal) const {
  std::vector<Setting> out;
  for (const auto& k : Keys()) {
    Setting s = settings_.at(k.key);
    if (s.secret && !reveal && !s.value.empty()) s.value = "***";
    out.push_back(s);
  }
  return out;
}

}  // namespace sk
