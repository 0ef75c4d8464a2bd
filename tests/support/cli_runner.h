// Runs the real `seatkeeper` binary (built beside the tests) as a child
// process with its own SEATKEEPER_HOME, capturing exit code and output.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace sk::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class CliRunner {
 public:
  // A fresh home folder under the temp directory, removed on destruction.
  explicit CliRunner(const std::string& name);
  ~CliRunner();

  const std::string& home() const { return home_; }
  // Extra environment for every run (e.g. SEATKEEPER_NOW).
  void SetEnv(const std::string& k, const std::string& v) { env_[k] = v; }
  void UnsetEnv(const std::string& k) { env_.erase(k); }

  CliResult Run(const std::vector<std::string>& args, const std::string& stdin_data = "") const;
  // Like Run, but sends SIGKILL after `kill_after_ms` if still running
  // (exit_code is then 128 + 9).
  CliResult RunKilledAfter(const std::vector<std::string>& args, int kill_after_ms) const;
  // Writes `content` to a 0600 file in home and returns its path.
  std::string WriteFile(const std::string& name, const std::string& content) const;

 private:
  CliResult Spawn(const std::vector<std::string>& args, const std::string& stdin_data,
                  int kill_after_ms) const;
  std::string home_;
  std::map<std::string, std::string> env_;
};

// Path of a binary in the build folder (SK_BIN_DIR).
std::string BinPath(const std::string& name);

// Starts `seatkeeper args...` with the environment plus `env`, its standard
// input from `in_fd` and output to `out_fd`/`err_fd`, with posix_spawn: the
// test process has threads (the in-process simulator), so nothing may run in
// the child before exec but the file actions. Returns the pid, -1 if it failed.
pid_t SpawnSeatkeeper(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                      int in_fd, int out_fd, int err_fd, const std::vector<int>& close_fds = {});

}  // namespace sk::testing
