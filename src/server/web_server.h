// `seatkeeper serve`: the REST API under /api/ (mirroring the CLI, same JSON
// shapes), the OAuth connect flow (/oauth/callback), /healthz, and the static
// web UI. Connections are owned by a ConnectionGate (epoll, limits and
// deadlines, see connection_gate.h); cpp-httplib parses and routes each
// complete request on the gate's worker pool. Every /api/ route except POST /api/login needs an admin
// session (cookie); every state-changing request also needs X-CSRF-Token.
// One server serves every account in the store: account-scoped routes take
// ?account=NAME (default ServerOptions::account), GET /api/accounts lists
// them, and each account has its own background sync runner.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/account_sync_runners.h"
#include "server/admin_auth.h"
#include "server/connection_gate.h"
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
  // The account of requests that name none (?account=NAME picks another).
  std::string account = "default";
  bool allow_local = false;  // accept http://127.0.0.1:PORT / localhost account URLs (simulator)
  // Base URL the browser reaches this server at (for the OAuth redirect_uri
  // and the Host/Origin checks); default: http://{Host header of the connect
  // request}, which must then be the listen address (or, listening on a
  // loopback or wildcard address, a loopback name or IP literal) and port.
  std::string public_url;
  std::optional<DailyTime> sync_at = DailyTime{};  // daily sync; nullopt = no schedule
  std::string ca_file;                             // extra CA bundle for the Zendesk client
  // The sync queue shared with `seatkeeper worker`: every sync this server
  // runs holds the account's lease in it. Null only for a single process
  // with no workers (tests).
  store::SyncQueue* sync_queue = nullptr;
  // Called when a sync's lease was lost mid-sync (see SyncRunnerOptions).
  std::function<void(const store::Lease&)> on_lease_lost;
  int threads = 16;                   // workers running handlers
  size_t max_body_bytes = 64 * 1024;  // any transfer encoding
  size_t max_head_bytes = 16 * 1024;  // request line and headers
  int read_timeout_seconds = 10;      // a whole request, from its first byte
  int write_timeout_seconds = 60;     // a whole response
  size_t keep_alive_max_count = 100;
  int keep_alive_timeout_seconds = 5;  // idle connection
  int max_connections = 1024;
  int max_connections_per_address = 64;
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
  // The request body's JSON schema (null: {"type": "object"}) and a longer
  // description, for the OpenAPI document (operations of the registry).
  nlohmann::json body_schema;
  std::string description;
  // For the OpenAPI document: by parameter name (query or path), its
  // {"schema", "example", "required"} (reports of the registry); a query
  // parameter without one is an optional string.
  nlohmann::json parameters;
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
  // The sync runner of ServerOptions::account, and of any account.
  SyncRunner& sync_runner() { return syncs_->For(opt_.account); }
  SyncRunner& sync_runner(const std::string& account) { return syncs_->For(account); }
  AccountSyncRunners& sync_runners() { return *syncs_; }
  SessionStore& sessions() { return sessions_; }
  Metrics& metrics() { return metrics_; }

  // The OpenAPI 3 document of routes().
  nlohmann::json OpenApi() const;

 private:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&, const Session*)>;
  // A handler of an account-scoped route, given the request's account.
  using AccountHandler = std::function<void(const httplib::Request&, httplib::Response&, const Session*,
                                            const std::string& account)>;
  void Add(Route r, Handler h);
  // Adds an account-scoped route: documents the `account` query parameter
  // and resolves it (AccountOf) before `h` runs; a bad or unknown name is
  // answered with 400 or 404 and `h` does not run. `allow_new`: any valid
  // name is accepted (connecting a new account).
  void AddForAccount(Route r, AccountHandler h, bool allow_new = false);
  // The account a request is about: ?account=NAME, else ServerOptions::account.
  // kInvalidArgument for a malformed name; kNotFound for a name the store has
  // no connection for (the default account is always known), unless `allow_new`.
  Result<std::string> AccountOf(const httplib::Request& req, bool allow_new);
  // Every connected account with its queue state, by name (from the sync
  // queue; without one, the default account when it is connected).
  Result<std::vector<store::QueueEntry>> ConnectedAccounts();
  void RegisterRoutes();
  void ConfigureHttp();
  void RegisterSessionRoutes();
  void RegisterAccountRoutes();
  void RegisterReportRoutes();
  void RegisterAccountStateRoutes();  // status, capabilities, sync
  void RegisterActionRoutes();
  void RegisterConnectRoutes();
  void Log(const std::string& line) const;

  // Handlers that need more than a few lines.
  // Before routing: the Host check, the UI's files, and for /api/ the
  // session and CSRF checks; true when it answered the request itself.
  bool PreRoute(const httplib::Request& req, httplib::Response& res);
  void Login(const httplib::Request& req, httplib::Response& res);
  // False for a browser request from another site (Origin, Sec-Fetch-Site).
  bool SameOrigin(const httplib::Request& req) const;
  // Whether a Host header names this server (see ServerOptions::public_url).
  bool HostAllowed(const std::string& host_header) const;
  void ConnectStart(const httplib::Request& req, httplib::Response& res, const Session& s,
                    const std::string& account);
  void OAuthCallback(const httplib::Request& req, httplib::Response& res);
  void Healthz(httplib::Response& res);
  void ServeMetrics(httplib::Response& res);

  store::Store* store_;
  ServerOptions opt_;
  SessionStore sessions_;
  LoginThrottle login_throttle_;
  Metrics metrics_;
  std::unique_ptr<AccountSyncRunners> syncs_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<ConnectionGate> gate_;
  std::vector<Route> routes_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace sk::server
