#include "support/cli_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

extern char** environ;

namespace sk::testing {

std::string BinPath(const std::string& name) {
  return std::string(SK_BIN_DIR) + "/" + name;
}

CliRunner::CliRunner(const std::string& name) {
  static int counter = 0;
  home_ = (std::filesystem::temp_directory_path() /
           ("sk-it-" + name + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++)))
              .string();
  std::filesystem::remove_all(home_);
  std::filesystem::create_directories(home_);
  ::chmod(home_.c_str(), 0700);
}

CliRunner::~CliRunner() {
  if (!std::getenv("SK_KEEP_TEST_HOME")) std::filesystem::remove_all(home_);
}

std::string CliRunner::WriteFile(const std::string& name, const std::string& content) const {
  std::string path = home_ + "/" + name;
  std::ofstream(path) << content;
  ::chmod(path.c_str(), 0600);
  return path;
}

pid_t SpawnSeatkeeper(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                      int in_fd, int out_fd, int err_fd, const std::vector<int>& close_fds) {
  std::vector<std::string> argv_s = {BinPath("seatkeeper")};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::map<std::string, std::string> env_map;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env_map[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : env) env_map[k] = v;
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env_map) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  // posix_spawn, not fork: glibc's clones the process without copying its
  // page tables, which for this large ASan test process cost about 5 % of the
  // end-to-end tests' CPU (a fork per CLI run; bench/RESULTS.md "CI time").
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in_fd >= 0) posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
  if (out_fd >= 0) posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  if (err_fd >= 0) posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  for (int fd : close_fds)
    if (fd > 2) posix_spawn_file_actions_addclose(&actions, fd);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

CliResult CliRunner::Run(const std::vector<std::string>& args, const std::string& stdin_data) const {
  return Spawn(args, stdin_data, -1);
}

CliResult CliRunner::RunKilledAfter(const std::vector<std::string>& args, int kill_after_ms) const {
  return Spawn(args, "", kill_after_ms);
}

CliResult CliRunner::Spawn(const std::vector<std::string>& args, const std::string& stdin_data,
                           int kill_after_ms) const {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) || pipe(out_pipe) || pipe(err_pipe)) return {};
  std::map<std::string, std::string> env = env_;
  env["SEATKEEPER_HOME"] = home_;
  pid_t pid = SpawnSeatkeeper(args, env, in_pipe[0], out_pipe[1], err_pipe[1],
                              {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]});
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (pid < 0) {
    for (int fd : {in_pipe[1], out_pipe[0], err_pipe[0]}) close(fd);
    CliResult failed;
    failed.exit_code = 127;
    failed.err = "posix_spawn of " + BinPath("seatkeeper") + " failed";
    return failed;
  }
  if (!stdin_data.empty()) (void)!write(in_pipe[1], stdin_data.data(), stdin_data.size());
  close(in_pipe[1]);
  CliResult r;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  auto start = std::chrono::steady_clock::now();
  bool killed = false;
  while (open_fds > 0) {
    int timeout = -1;
    if (kill_after_ms >= 0 && !killed) {
      auto elapsed =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
      timeout = std::max<int>(0, kill_after_ms - static_cast<int>(elapsed.count()));
    }
    int ready = poll(fds, 2, timeout);
    if (ready < 0) break;
    if (ready == 0 && kill_after_ms >= 0 && !killed) {
      kill(pid, SIGKILL);
      killed = true;
      continue;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace sk::testing
