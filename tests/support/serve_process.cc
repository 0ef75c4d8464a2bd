#include "support/serve_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include "support/cli_runner.h"

namespace sk::testing {

using nlohmann::json;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

ServeProcess::ServeProcess(const std::string& home, int port, const std::string& db) : port_(port) {
  std::map<std::string, std::string> env{{"SEATKEEPER_HOME", home}};
  if (!db.empty()) env["SEATKEEPER_DB"] = db;
  int devnull = open("/dev/null", O_RDWR);
  pid_ = SpawnSeatkeeper(
      {"serve", "--listen", "127.0.0.1:" + std::to_string(port), "--no-schedule", "--allow-local"}, env,
      devnull, devnull, devnull, {devnull});
  if (devnull >= 0) close(devnull);
}

ServeProcess::~ServeProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

bool ServeProcess::Login(const std::string& password) {
  httplib::Client http("127.0.0.1", port_);
  for (int i = 0; i < 100; ++i) {
    auto r = http.Get("/healthz");
    if (r && r->status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto r = http.Post("/api/login", json{{"password", password}}.dump(), "application/json");
  if (!r || r->status != 200) return false;
  std::string cookie = r->get_header_value("Set-Cookie");
  cookie_ = cookie.substr(0, cookie.find(';'));
  csrf_ = json::parse(r->body).value("csrf_token", "");
  return !csrf_.empty();
}

namespace {

ServeProcess::Answer AnswerOf(const httplib::Result& r) {
  ServeProcess::Answer a;
  if (!r) return a;
  a.status = r->status;
  a.idempotency = r->get_header_value("Idempotency-Status");
  a.body = json::parse(r->body, nullptr, false);
  return a;
}

}  // namespace

ServeProcess::Answer ServeProcess::Post(const std::string& path, const json& body, const std::string& key) {
  httplib::Client http("127.0.0.1", port_);
  http.set_read_timeout(60, 0);
  httplib::Headers h = {{"Cookie", cookie_}, {"X-CSRF-Token", csrf_}};
  if (!key.empty()) h.emplace("Idempotency-Key", key);
  return AnswerOf(http.Post(path.c_str(), h, body.dump(), "application/json"));
}

ServeProcess::Answer ServeProcess::Get(const std::string& path) {
  httplib::Client http("127.0.0.1", port_);
  http.set_read_timeout(60, 0);
  return AnswerOf(http.Get(path.c_str(), httplib::Headers{{"Cookie", cookie_}}));
}

}  // namespace sk::testing
