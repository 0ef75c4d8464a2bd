// `seatkeeper serve` (the real binary) in the background on a loopback port,
// with a logged-in REST client: for end-to-end tests of the REST API.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>

namespace sk::testing {

// A free loopback TCP port (bound and released).
int FreePort();

// Stopped (SIGTERM, then SIGKILL) on destruction.
class ServeProcess {
 public:
  // Serves the store of `home` (SEATKEEPER_DB = `db` when set).
  ServeProcess(const std::string& home, int port, const std::string& db = "");
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // Waits for /healthz, then logs in; false when either fails.
  bool Login(const std::string& password);
  struct Answer {
    int status = 0;
    std::string idempotency;  // Idempotency-Status header
    nlohmann::json body;
  };
  // A logged-in POST with the CSRF token (and Idempotency-Key `key` when set).
  Answer Post(const std::string& path, const nlohmann::json& body, const std::string& key = "");
  // A logged-in GET.
  Answer Get(const std::string& path);

 private:
  pid_t pid_ = -1;
  int port_;
  std::string cookie_, csrf_;
};

}  // namespace sk::testing
