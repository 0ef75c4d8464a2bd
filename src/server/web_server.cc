#include "server/web_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <set>

#include "server/http_util.h"
#include "store/credential_warnings.h"

namespace sk::server {
namespace {

// cpp-httplib (Debian's build) listens with a backlog of 5. When more clients
// connect at once (wrk's 32, a browser's 6 per tab, keep-alive reconnects),
// the kernel drops the overflow and the clients' requests wait out TCP
// retransmits of 200, 400, 800 ms: on loopback those made the p99 of a 2 ms
// page 100-600 ms. The listening socket is only reachable from a subclass.
// cpp-httplib's own connection handling (a thread per connection, reading
// until the client is done) is replaced: each accepted socket goes to the
// ConnectionGate, which runs ProcessOne on a worker for each complete request.
class GatedServer final : public httplib::Server {
 public:
  bool RaiseBacklog(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
  bool ProcessOne(httplib::Stream& stream, bool close, bool& closed) {
    // The gate has answered any "Expect: 100-continue" already.
    return process_request(stream, close, closed, [](httplib::Request& req) { req.headers.erase("Expect"); });
  }
  ConnectionGate* gate = nullptr;

 private:
  bool process_and_close_socket(socket_t sock) override {
    gate->Adopt(sock);
    return true;
  }
};

// Runs the listener's task (handing the socket to the gate) at once.
class InlineQueue final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

// The session the pre-routing check found for the request this thread is
// handling, so that the route does not look it up a second time.
struct CheckedSession {
  const httplib::Request* request = nullptr;
  std::optional<Session> session;
};
thread_local CheckedSession t_checked;

// The method label for metrics: the methods HTTP defines, else "other".
std::string MethodLabel(const std::string& method) {
  static const std::set<std::string> kKnown = {"GET",   "HEAD",    "POST",  "PUT",    "DELETE",
                                               "PATCH", "OPTIONS", "TRACE", "CONNECT"};
  return kKnown.count(method) ? method : "other";
}

// Control characters (a decoded %00, CR, LF, ...) have no place in a path.
bool HasControl(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

bool IsApiPath(const std::string& path) {
  return path == "/api" || path.rfind("/api/", 0) == 0;
}
bool ChangesState(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "DELETE" || method == "PATCH";
}

// The static files of the UI that are served from the web root.
bool IsUiPath(const std::string& path) {
  static const std::set<std::string> kFiles = {"/", "/index.html", "/app.js", "/app.css", "/favicon.ico"};
  if (kFiles.count(path)) return true;
  return path.rfind("/vendor/", 0) == 0 && path.find("..") == std::string::npos;
}

// The route label of a request path for metrics: ids become {id}; the
// static UI is one label.
std::string RouteLabel(const std::string& path) {
  if (!IsApiPath(path) && path != "/healthz" && path != "/metrics" && path.rfind("/oauth/", 0) != 0)
    return "static";
  return std::regex_replace(path, std::regex(R"(/\d+(?=/|$))"), "/{id}");
}

// "/api/users/{id}" -> "/api/users/(\d+)"
std::string PatternOf(const std::string& path) {
  return std::regex_replace(path, std::regex(R"(\{[a-z_]+\})"), R"((\d+))");
}

bool IsIpLiteral(const std::string& h) {
  if (h.size() > 2 && h.front() == '[' && h.back() == ']')
    return h.find_first_not_of("0123456789abcdefABCDEF:.", 1) == h.size() - 1;
  return !h.empty() && h.find_first_not_of("0123456789.") == std::string::npos;
}

// "host:port" -> {host, port}; port "" when absent.
std::pair<std::string, std::string> SplitHostPort(const std::string& hp) {
  const size_t colon = hp.rfind(':');
  if (colon == std::string::npos || (hp.find(']') != std::string::npos && colon < hp.find(']')))
    return {hp, ""};
  return {hp.substr(0, colon), hp.substr(colon + 1)};
}

}  // namespace

bool WebServer::HostAllowed(const std::string& host_header) const {
  std::string h = host_header;
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!opt_.public_url.empty()) {
    std::string mine = opt_.public_url;
    const size_t scheme = mine.find("://");
    if (scheme != std::string::npos) mine = mine.substr(scheme + 3);
    mine = mine.substr(0, mine.find('/'));
    for (char& c : mine) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (h == mine) return true;
  }
  const auto [name, port] = SplitHostPort(h);
  if (port != std::to_string(port_)) return false;
  // The address it listens on, and the loopback names; on a wildcard
  // address, any IP literal (a name needs --public-url).
  if (name == opt_.host || name == "localhost" || name == "127.0.0.1" || name == "[::1]") return true;
  return (opt_.host == "0.0.0.0" || opt_.host == "::" || opt_.host == "[::]") && IsIpLiteral(name);
}

WebServer::WebServer(store::Store* store, ServerOptions options)
    : store_(store),
      opt_(std::move(options)),
      sessions_(store),
      syncs_(std::make_unique<AccountSyncRunners>(
          store,
          SyncRunnerOptions{opt_.account, opt_.ca_file, opt_.sync_queue, "", 60, 20, opt_.on_lease_lost},
          &metrics_)),
      http_(std::make_unique<GatedServer>()) {
  GateOptions g;
  g.max_head_bytes = opt_.max_head_bytes;
  g.max_body_bytes = opt_.max_body_bytes;
  g.request_timeout_seconds = opt_.read_timeout_seconds;
  g.idle_timeout_seconds = opt_.keep_alive_timeout_seconds;
  g.write_timeout_seconds = opt_.write_timeout_seconds;
  g.max_connections = opt_.max_connections;
  g.max_connections_per_address = opt_.max_connections_per_address;
  g.workers = opt_.threads;
  g.keep_alive_max_count = opt_.keep_alive_max_count;
  auto* gated = static_cast<GatedServer*>(http_.get());
  gate_ = std::make_unique<ConnectionGate>(g, [gated](httplib::Stream& s, bool close, bool& closed) {
    return gated->ProcessOne(s, close, closed);
  });
  gated->gate = gate_.get();
  syncs_->For(opt_.account);  // the default account's runner always exists (/metrics)
  RegisterRoutes();
}

WebServer::~WebServer() {
  Stop();
  syncs_.reset();
}

void WebServer::Log(const std::string& line) const {
  if (opt_.log) opt_.log(line);
}

void WebServer::Add(Route r, Handler h) {
  const std::string pattern = PatternOf(r.path);
  const bool needs_session = r.access == Route::Access::kSession;
  auto wrapped = [this, h, needs_session](const httplib::Request& req, httplib::Response& res) {
    std::optional<Session> s = t_checked.request == &req ? std::move(t_checked.session)
                                                         : sessions_.Find(CookieValue(req, kSessionCookie));
    t_checked = {};
    // The pre-routing check already refused these; kept so a route can never
    // be reached anonymously even if that check changes.
    if (needs_session && !s) return SendError(res, 401, "log in first", "unauthenticated");
    h(req, res, s ? &*s : nullptr);
  };
  if (r.method == "GET") {
    http_->Get(pattern, wrapped);
  } else if (r.method == "POST") {
    http_->Post(pattern, wrapped);
  } else if (r.method == "PUT") {
    http_->Put(pattern, wrapped);
  } else if (r.method == "DELETE") {
    http_->Delete(pattern, wrapped);
  }
  routes_.push_back(std::move(r));
}

// cpp-httplib's settings, headers, and the error, exception and metrics hooks.
void WebServer::ConfigureHttp() {
  httplib::Server& svr = *http_;
  svr.set_tcp_nodelay(true);
  svr.new_task_queue = [] { return new InlineQueue(); };
  svr.set_keep_alive_max_count(opt_.keep_alive_max_count);
  svr.set_keep_alive_timeout(opt_.keep_alive_timeout_seconds);
  svr.set_read_timeout(opt_.read_timeout_seconds, 0);
  svr.set_write_timeout(opt_.write_timeout_seconds, 0);
  svr.set_payload_max_length(opt_.max_body_bytes);
  svr.set_default_headers({
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Content-Security-Policy",
       "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
       "form-action 'self'"},
  });

  svr.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!IsApiPath(req.path) || !res.body.empty()) return;
    if (res.status == 404)
      SendError(res, 404, "no such API route: " + req.method + " " + req.path, "not_found");
    if (res.status == 413) SendError(res, 413, "request body too large", "payload_too_large");
  });
  svr.set_exception_handler(
      [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        Log("error: " + req.method + " " + req.path + ": " + what);
        SendError(res, 500, "internal error", "internal");
      });

  svr.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    std::string route = RouteLabel(req.path);
    if (route != "static") {
      // Only registered routes become labels (scanners must not grow the series).
      bool known = false;
      for (const Route& r : routes_) known |= r.path == route;
      if (!known) route = "other";
    }
    metrics_.Add("seatkeeper_http_requests_total", "method=\"" + MethodLabel(req.method) + "\",route=\"" +
                                                       Metrics::Label(route) + "\",status=\"" +
                                                       std::to_string(res.status) + "\"");
  });
}

// Authentication and CSRF for the whole /api/ tree (known routes or not),
// the Host check, and the UI's files only from the web root.
bool WebServer::PreRoute(const httplib::Request& req, httplib::Response& res) {
  t_checked = {};
  if (HasControl(req.path)) {
    res.status = 400;
    res.set_content("bad path", "text/plain");
    return true;
  }
  // DNS rebinding, and OAuth redirects built from a spoofed Host: only the
  // names this server is reached by (--listen, --public-url) are served.
  // Health checks and metrics answer whatever the prober calls the server.
  if (req.path != "/healthz" && req.path != "/metrics" && !HostAllowed(req.get_header_value("Host"))) {
    res.status = 421;
    res.set_header("Connection", "close");
    res.set_content("unknown Host: start the server with --public-url set to the URL browsers use",
                    "text/plain");
    return true;
  }
  if (!IsApiPath(req.path)) {
    // The web root also holds tests and node_modules: serve only the UI.
    if (!IsUiPath(req.path) && req.path != "/healthz" && req.path != "/metrics" &&
        req.path.rfind("/oauth/", 0) != 0) {
      res.status = 404;
      res.set_content("not found", "text/plain");
      return true;
    }
    return false;
  }
  res.set_header("Cache-Control", "no-store");
  if (req.method == "POST" && req.path == "/api/login") return false;
  std::optional<Session> s = sessions_.Find(CookieValue(req, kSessionCookie));
  if (!s) {
    SendError(res, 401, "log in first", "unauthenticated");
    return true;
  }
  if (ChangesState(req.method)) {
    const std::string token = req.get_header_value("X-CSRF-Token");
    if (token.empty() || !SecureEquals(token, s->csrf_token)) {
      SendError(res, 403, "missing or wrong X-CSRF-Token header", "csrf");
      return true;
    }
    // Runs before the body is read: judge by the headers. A JSON content
    // type cannot be sent cross-site without a CORS preflight.
    const std::string length = req.get_header_value("Content-Length");
    const bool has_body = (!length.empty() && length != "0") || req.has_header("Transfer-Encoding");
    if (has_body && req.get_header_value("Content-Type").find("application/json") == std::string::npos) {
      SendError(res, 415, "send the request body as application/json", "unsupported_media_type");
      return true;
    }
  }
  t_checked = {&req, std::move(s)};
  return false;
}

// Metrics, health, login, logout, the session and the OpenAPI document.
void WebServer::RegisterSessionRoutes() {
  Add({"GET", "/metrics", Route::Access::kPublic, "Prometheus metrics (no secrets)", {}, nullptr},
      [this](const httplib::Request&, httplib::Response& res, const Session*) { ServeMetrics(res); });
  Add({"GET",
       "/healthz",
       Route::Access::kPublic,
       "Liveness: store reachable, connection state, last sync age",
       {},
       nullptr},
      [this](const httplib::Request&, httplib::Response& res, const Session*) { Healthz(res); });
  Add({"POST",
       "/api/login",
       Route::Access::kPublic,
       "Log in as the admin; sets the session cookie, returns the CSRF token",
       {},
       {{"password", "..."}}},
      [this](const httplib::Request& req, httplib::Response& res, const Session*) { Login(req, res); });
  Add({"POST", "/api/logout", Route::Access::kSession, "End the session", {}, nullptr},
      [this](const httplib::Request&, httplib::Response& res, const Session* s) {
        sessions_.Destroy(s->id);
        res.set_header("Set-Cookie",
                       std::string(kSessionCookie) + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
        SendJson(res, 200, {{"ok", true}});
      });
  Add({"GET", "/api/session", Route::Access::kSession, "The current session's CSRF token", {}, nullptr},
      [](const httplib::Request&, httplib::Response& res, const Session* s) {
        SendJson(res, 200, {{"csrf_token", s->csrf_token}, {"created_at", FormatIso(s->created_at)}});
      });
  Add({"GET", "/api/openapi.json", Route::Access::kSession, "This API as an OpenAPI 3 document", {}, nullptr},
      [this](const httplib::Request&, httplib::Response& res, const Session*) {
        SendJson(res, 200, OpenApi());
      });
}

void WebServer::RegisterRoutes() {
  ConfigureHttp();
  http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return PreRoute(req, res) ? httplib::Server::HandlerResponse::Handled
                              : httplib::Server::HandlerResponse::Unhandled;
  });
  RegisterSessionRoutes();
  RegisterAccountRoutes();
  RegisterReportRoutes();
  RegisterActionRoutes();
  RegisterConnectRoutes();

  // The static UI last: API routes and /oauth/ win.
  if (!opt_.web_root.empty()) {
    std::error_code ec;
    if (std::filesystem::is_directory(opt_.web_root, ec)) {
      http_->set_mount_point("/", opt_.web_root);
      http_->set_file_extension_and_mimetype_mapping("mjs", "text/javascript");
    } else {
      Log("warning: web root " + opt_.web_root + " is not a directory; serving the API only");
    }
  }
}

void WebServer::Healthz(httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  // Unhealthy (503) when the store does not answer or the daily scheduler
  // stopped ticking; "reasons" says why. The last sync's age is reported,
  // not judged: alert on it from /metrics. The top-level state and last sync
  // are the default account's; "accounts" has every connected account's.
  std::vector<std::string> reasons;
  nlohmann::json j = {{"syncing", syncs_->AnyRunning()}};
  Status ping = store_->Ping();
  auto conn =
      ping.ok() ? store_->GetConnection(opt_.account) : Result<std::optional<store::Connection>>(ping);
  if (!conn.ok()) {
    j["store"] = conn.status().message();
    reasons.push_back("store unreachable: " + conn.status().message());
  } else {
    j["store"] = "ok";
  }
  const auto sched = syncs_->scheduler_health();
  j["scheduler"] = {
      {"enabled", sched.enabled},
      {"alive", sched.alive},
      {"last_tick_at", sched.last_tick ? nlohmann::json(FormatIso(*sched.last_tick)) : nlohmann::json()}};
  if (sched.enabled && !sched.alive) reasons.push_back("the daily sync scheduler stopped ticking");
  auto last_sync = [](std::optional<UnixTime> at, nlohmann::json& out) {
    out["last_sync_at"] = at ? nlohmann::json(FormatIso(*at)) : nlohmann::json();
    out["last_sync_age_seconds"] = at ? nlohmann::json(NowUnix() - *at) : nlohmann::json();
  };
  j["state"] = "not-connected";
  last_sync(std::nullopt, j);
  // Credentials about to lapse (API token retirement, refresh token expiry):
  // warned, not unhealthy (the sync's state says when they stopped working).
  j["warnings"] = nlohmann::json::array();
  if (conn.ok() && *conn) {
    j["state"] = (*conn)->state;
    last_sync((*conn)->last_sync_at, j);
    j["warnings"] = store::CredentialWarnings(**conn, NowUnix());
  }
  nlohmann::json accounts = nlohmann::json::array();
  if (conn.ok()) {
    auto entries = ConnectedAccounts();
    if (!entries.ok()) reasons.push_back("cannot list the accounts: " + entries.status().message());
    for (const auto& e : entries.ok() ? *entries : std::vector<store::QueueEntry>{}) {
      nlohmann::json a = {{"name", e.account},
                          {"state", e.state},
                          {"syncing", syncs_->For(e.account).running() || !e.owner.empty()}};
      last_sync(e.last_sync_at, a);
      auto c = store_->GetConnection(e.account);
      a["warnings"] = c.ok() && *c ? store::CredentialWarnings(**c, NowUnix()) : nlohmann::json::array();
      accounts.push_back(a);
    }
  }
  j["accounts"] = accounts;
  j["status"] = reasons.empty() ? "ok" : "unhealthy";
  j["reasons"] = reasons;
  SendJson(res, reasons.empty() ? 200 : 503, j);
}

void WebServer::ServeMetrics(httplib::Response& res) {
  for (auto& [name, runner] : syncs_->All()) {
    auto snap = runner->Snapshot();
    const bool running = snap.value("running", false);
    const std::string account = "account=\"" + Metrics::Label(name) + "\"";
    metrics_.Set("seatkeeper_sync_running", account, running ? 1 : 0);
    metrics_.Set("seatkeeper_sync_progress_ratio", account, running ? snap.value("fraction", 0.0) : 0.0);
    metrics_.Set("seatkeeper_sync_eta_seconds", account,
                 running && snap["eta_seconds"].is_number() ? snap["eta_seconds"].get<double>() : -1.0);
  }
  metrics_.Set("seatkeeper_sessions", "", static_cast<double>(sessions_.size()));
  res.set_header("Cache-Control", "no-store");
  res.set_content(metrics_.Render(), "text/plain; version=0.0.4; charset=utf-8");
}

bool WebServer::SameOrigin(const httplib::Request& req) const {
  const std::string site = req.get_header_value("Sec-Fetch-Site");
  if (!site.empty() && site != "same-origin" && site != "none") return false;
  if (!req.has_header("Origin")) return true;  // not a browser (curl, scripts)
  const std::string origin = req.get_header_value("Origin");
  // The Host was checked before routing: the page is ours when it came from it.
  const std::string host = req.get_header_value("Host");
  if (!host.empty() && (origin == "http://" + host || origin == "https://" + host)) return true;
  if (opt_.public_url.empty()) return false;
  std::string mine = opt_.public_url;
  const size_t scheme = mine.find("://");
  const size_t slash = mine.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash != std::string::npos) mine.resize(slash);
  return origin == mine;
}

void WebServer::Login(const httplib::Request& req, httplib::Response& res) {
  // JSON only: a form or text/plain body, which any web page can send
  // without asking, is refused; and a browser's cross-site request too.
  std::string type = req.get_header_value("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type != "application/json")
    return SendError(res, 415, "send the request body as application/json", "unsupported_media_type");
  if (!SameOrigin(req)) return SendError(res, 403, "cross-origin login refused", "cross_origin");
  auto body = JsonBody(req);
  if (!body.ok()) return SendStatus(res, body.status());
  if (!(*body).contains("password") || !(*body)["password"].is_string())
    return SendError(res, 400, "give {\"password\": \"...\"}", "invalid_argument");
  auto has = HasAdminPassword(*store_);
  if (!has.ok()) return SendStatus(res, has.status());
  if (!*has)
    return SendError(
        res, 409,
        "no admin password is set: run `seatkeeper admin set-password --password-file -` on the server",
        "no_admin_password");
  // Counted before the check, per client address.
  if (!login_throttle_.Begin(req.remote_addr))
    return SendError(res, 429, "too many login attempts: wait a minute and try again", "rate_limited");
  Result<bool> ok = false;
  {
    LoginThrottle::Check check(login_throttle_);  // at most two 64 MiB checks at once
    ok = VerifyAdminPassword(*store_, (*body)["password"].get<std::string>());
  }
  if (!ok.ok()) return SendStatus(res, ok.status());
  if (!*ok) {
    Log("login refused from " + req.remote_addr);
    return SendError(res, 401, "wrong password", "unauthenticated");
  }
  login_throttle_.Succeeded(req.remote_addr);
  auto s = sessions_.Create();
  if (!s.ok()) return SendStatus(res, s.status());
  const bool https = opt_.public_url.rfind("https://", 0) == 0;
  res.set_header("Set-Cookie", std::string(kSessionCookie) + "=" + s->id +
                                   "; HttpOnly; SameSite=Strict; Path=/; Max-Age=86400" +
                                   (https ? "; Secure" : ""));
  SendJson(res, 200, {{"csrf_token", s->csrf_token}});
}

Result<int> WebServer::Start() {
  if (thread_.joinable()) return port_;
  int port = opt_.port;
  if (port == 0) {
    port = http_->bind_to_any_port(opt_.host);
    if (port <= 0) return IoError("cannot listen on " + opt_.host + ": no free port");
  } else if (!http_->bind_to_port(opt_.host, port)) {
    return IoError("cannot listen on " + opt_.host + ":" + std::to_string(port) +
                   " (in use, or not permitted)");
  }
  port_ = port;
  if (Status g = gate_->Start(); !g.ok()) return g;
  if (!static_cast<GatedServer&>(*http_).RaiseBacklog(SOMAXCONN))
    spdlog::warn("could not raise the listen backlog; concurrent clients may see delays");
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  for (int i = 0; i < 500 && !http_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  if (opt_.sync_at)
    syncs_->StartSchedule(*opt_.sync_at, [this]() -> Result<std::vector<std::string>> {
      SK_ASSIGN_OR_RETURN(auto entries, ConnectedAccounts());
      std::vector<std::string> names;
      for (const auto& e : entries) names.push_back(e.account);
      return names;
    });
  return port_;
}

void WebServer::Stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
  if (gate_) gate_->Stop();
}

}  // namespace sk::server
