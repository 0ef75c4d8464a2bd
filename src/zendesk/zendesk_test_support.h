// Shared by the zendesk tests: the recorded Zendesk exchanges and a local
// HTTP server to stand in for Zendesk.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace sk::zendesk::testing {

// tests/fixtures/recorded/`name` (sources in its SOURCES.md), parsed.
inline nlohmann::json Recorded(const std::string& name) {
  std::ifstream in(std::string(SK_SOURCE_DIR) + "/tests/fixtures/recorded/" + name);
  EXPECT_TRUE(in.good()) << name;
  return in.good() ? nlohmann::json::parse(in) : nlohmann::json::object();
}

// An HTTP server on a free port of 127.0.0.1, listening until destroyed.
// Handlers are added through server().
class LocalServer {
 public:
  LocalServer() {
    server_.set_tcp_nodelay(true);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 2000 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;
  httplib::Server& server() { return server_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace sk::zendesk::testing
