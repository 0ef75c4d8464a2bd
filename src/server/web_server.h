// `seatkeeper serve`: the REST API under /api/ (mirroring the CLI, same JSON
// shapes), the OAuth connect flow (/oauth/callback), /healthz, and the static
// web UI, on cpp-httplib with a bounded thread pool, keep-alive, request size
// limit and timeouts. Every /api/ route except POST /api/login needs an admin
// session (cookie); every state-changing request also needs X-CSRF-Token.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/admin_auth.h"
#include "server/metrics.h"
#include "server/sync_runner.h"
#include "store/store.h"
#include "store/sync_queue.h"
#include "util/status.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace sk::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;       // 0 = any free port
  std::string web_root;  // static UI; "" serves the API only
  std::string account = "default";
  bool allow_local = false;  // accept http://127.0.0.1:PORT / localhost account URLs (simulator)
  // Base URL the browser reaches this server at (for the OAuth redirect_uri);
  // default: http://{Host header of the connect request}.
  std::string public_url;
  std::optional<DailyTime> sync_at = DailyTime{};  // daily sync; nullopt = no schedule
  std::string ca_file;                             // extra CA bundle for the Zendesk client
  // The sync queue shared with `seatkeeper worker`: every sync this server
  // runs holds the account's lease in it. Null only for a single process
  // with no workers (tests).
  store::SyncQueue* sync_queue = nullptr;
  // Called when a sync's lease was lost mid-sync (see SyncRunnerOptions).
  std::function<void(const store::Lease&)> on_lease_lost;
  int threads = 16;
  size_t max_body_bytes = 64 * 1024;
  int read_timeout_seconds = 10;
  int write_timeout_seconds = 60;
  size_t keep_alive_max_count = 100;
  int keep_alive_timeout_seconds = 5;
  // Log lines (errors, connects, syncs started); default: none.
  std::function<void(const std::string&)> log;
};

// A route of the API, as registered (also the source of /api/openapi.json).
struct Route {
  enum class Access { kPublic, kSession };
  std::string method;  // GET, POST
  std::string path;    // OpenAPI-style: /api/users/{id}
  Access access = Access::kSession;
  std::string summary;
  // Query parameters: name -> description.
  std::vector<std::pair<std::string, std::string>> query;
  // Example JSON request body (POST), for the OpenAPI document.
  nlohmann::json body_example;
};

class WebServer {
 public:
  // `store` must outlive the server and be safe to use from several threads.
  WebServer(store::Store* store, ServerOptions options);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Binds and serves on a background thread; returns the bound port.
  Result<int> Start();
  // Stops serving (idempotent) and waits for the listener thread.
  void Stop();
  int port() const { return port_; }

  const std::vector<Route>& routes() const { return routes_; }
  SyncRunner& sync_runner() { return *sync_; }
  SessionStore& sessions() { return sessions_; }
  Metrics& metrics() { return metrics_; }

  // The OpenAPI 3 document of routes().
  nlohmann::json OpenApi() const;

 private:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&, const Session*)>;
  void Add(Route r, Handler h);
  void RegisterRoutes();
  void RegisterReportRoutes();
  void RegisterActionRoutes();
  void RegisterConnectRoutes();
  void Log(const std::string& line) const;

  // Handlers that need more than a few lines.
  void Login(const httplib::Request& req, httplib::Response& res);
  void ConnectStart(const httplib::Request& req, httplib::Response& res, const Session& s);
  void OAuthCallback(const httplib::Request& req, httplib::Response& res);
  void Healthz(httplib::Response& res);
  void ServeMetrics(httplib::Response& res);

  store::Store* store_;
  ServerOptions opt_;
  SessionStore sessions_;
  LoginThrottle login_throttle_;
  Metrics metrics_;
  std::unique_ptr<SyncRunner> sync_;
  std::unique_ptr<httplib::Server> http_;
  std::vector<Route> routes_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace sk::server
