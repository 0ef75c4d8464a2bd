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
class BacklogServer final : public httplib::Server {
 public:
  bool RaiseBacklog(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
};

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

}  // namespace

WebServer::WebServer(store::Store* store, ServerOptions options)
    : store_(store),
      opt_(std::move(options)),
      syncs_(std::make_unique<AccountSyncRunners>(
          store,
          SyncRunnerOptions{opt_.account, opt_.ca_file, opt_.sync_queue, "", 60, 20, opt_.on_lease_lost},
          &metrics_)),
      http_(std::make_unique<BacklogServer>()) {
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
    std::optional<Session> s = sessions_.Find(CookieValue(req, kSessionCookie));
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

void WebServer::RegisterRoutes() {
  httplib::Server& svr = *http_;
  svr.set_tcp_nodelay(true);
  const int threads = opt_.threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
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

  // Authentication and CSRF for the whole /api/ tree (known routes or not).
  svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!IsApiPath(req.path)) {
      // The web root also holds tests and node_modules: serve only the UI.
      if (!IsUiPath(req.path) && req.path != "/healthz" && req.path != "/metrics" &&
          req.path.rfind("/oauth/", 0) != 0) {
        res.status = 404;
        res.set_content("not found", "text/plain");
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.set_header("Cache-Control", "no-store");
    if (req.method == "POST" && req.path == "/api/login") return httplib::Server::HandlerResponse::Unhandled;
    std::optional<Session> s = sessions_.Find(CookieValue(req, kSessionCookie));
    if (!s) {
      SendError(res, 401, "log in first", "unauthenticated");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (ChangesState(req.method)) {
      const std::string token = req.get_header_value("X-CSRF-Token");
      if (token.empty() || !SecureEquals(token, s->csrf_token)) {
        SendError(res, 403, "missing or wrong X-CSRF-Token header", "csrf");
        return httplib::Server::HandlerResponse::Handled;
      }
      // Runs before the body is read: judge by the headers. A JSON content
      // type cannot be sent cross-site without a CORS preflight.
      const std::string length = req.get_header_value("Content-Length");
      const bool has_body = (!length.empty() && length != "0") || req.has_header("Transfer-Encoding");
      if (has_body && req.get_header_value("Content-Type").find("application/json") == std::string::npos) {
        SendError(res, 415, "send the request body as application/json", "unsupported_media_type");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
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
    metrics_.Add("seatkeeper_http_requests_total", "method=\"" + Metrics::Label(req.method) + "\",route=\"" +
                                                       Metrics::Label(route) + "\",status=\"" +
                                                       std::to_string(res.status) + "\"");
  });

  // --- no session needed ---
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

  RegisterAccountRoutes();
  RegisterReportRoutes();
  RegisterActionRoutes();
  RegisterConnectRoutes();

  // The static UI last: API routes and /oauth/ win.
  if (!opt_.web_root.empty()) {
    std::error_code ec;
    if (std::filesystem::is_directory(opt_.web_root, ec)) {
      svr.set_mount_point("/", opt_.web_root);
      svr.set_file_extension_and_mimetype_mapping("mjs", "text/javascript");
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

void WebServer::Login(const httplib::Request& req, httplib::Response& res) {
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
  if (!login_throttle_.Allow())
    return SendError(res, 429, "too many wrong passwords: wait a minute and try again", "rate_limited");
  auto ok = VerifyAdminPassword(*store_, (*body)["password"].get<std::string>());
  if (!ok.ok()) return SendStatus(res, ok.status());
  if (!*ok) {
    login_throttle_.Failed();
    Log("login refused from " + req.remote_addr);
    return SendError(res, 401, "wrong password", "unauthenticated");
  }
  login_throttle_.Succeeded();
  Session s = sessions_.Create();
  const bool https = opt_.public_url.rfind("https://", 0) == 0;
  res.set_header("Set-Cookie", std::string(kSessionCookie) + "=" + s.id +
                                   "; HttpOnly; SameSite=Strict; Path=/; Max-Age=86400" +
                                   (https ? "; Secure" : ""));
  SendJson(res, 200, {{"csrf_token", s.csrf_token}});
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
  if (!static_cast<BacklogServer&>(*http_).RaiseBacklog(SOMAXCONN))
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
}

}  // namespace sk::server
