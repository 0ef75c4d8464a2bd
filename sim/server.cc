#include "server.h"

#include <httplib.h>

#include <algorithm>
#include <stdexcept>

#include "handlers.h"
#include "render.h"

namespace zdsim {

namespace {

std::string StripJson(const std::string& p) {
  if (p.size() > 5 && p.compare(p.size() - 5, 5, ".json") == 0) return p.substr(0, p.size() - 5);
  return p;
}

enum class LimitBody { kJsonIncremental, kTextUser, kTextAccount, kJsonGeneric };
struct BucketSpec {
  int limit;
  int window_factor;
  LimitBody body;
};

BucketSpec SpecFor(const SimCore& s, const std::string& b) {
  if (b == "incremental-exports") return {s.IncrementalLimit(), 1, LimitBody::kJsonIncremental};
  if (b == "incremental-exports-cursor") return {s.UsersCursorLimit(), 1, LimitBody::kJsonIncremental};
  if (b == "deleted-tickets-index") return {10, 1, LimitBody::kJsonGeneric};
  if (b == "search-export") return {100, 1, LimitBody::kJsonGeneric};
  if (b == "search-index") return {2500, 1, LimitBody::kJsonGeneric};
  if (b == "tickets-index") return {100, 1, LimitBody::kJsonGeneric};
  if (b == "create-update-user") return {5, 1, LimitBody::kTextUser};
  if (b == "permanent-delete-users") return {700, 10, LimitBody::kJsonGeneric};
  return {s.AccountLimit(), 1, LimitBody::kTextAccount};
}

void SetRateHeaders(httplib::Response& res, unsigned families, const RateLimiter::Outcome& acct,
                    const std::string& bucket, const std::optional<RateLimiter::Outcome>& ep) {
  const std::string limit = std::to_string(acct.limit), remaining = std::to_string(acct.remaining),
                    reset = RateLimiter::ResetText(acct);
  if (families & kXRateLimit) {
    res.set_header("X-Rate-Limit", limit);
    res.set_header("X-Rate-Limit-Remaining", remaining);
  }
  if (families & kIetf) {
    res.set_header("ratelimit-limit", limit);
    res.set_header("ratelimit-remaining", remaining);
    res.set_header("ratelimit-reset", reset);
  }
  if (families & kRateLimit2023) {
    res.set_header("rate-limit", limit);
    res.set_header("rate-limit-remaining", remaining);
    res.set_header("rate-limit-reset", reset);
  }
  if (ep) {
    const std::string value = "total=" + std::to_string(ep->limit) +
                              "; remaining=" + std::to_string(ep->remaining) +
                              "; resets=" + RateLimiter::ResetText(*ep);
    if (families & kBucket) res.set_header("Zendesk-RateLimit-" + bucket, value);
    if (families & kBucket2023) res.set_header("zendesk-rate-limit-" + bucket, value);
  }
}

void Send429(httplib::Response& res, LimitBody body, int retry_after) {
  res.status = 429;
  res.set_header("Retry-After", std::to_string(std::max(1, retry_after)));
  switch (body) {
    case LimitBody::kJsonIncremental:
      res.set_content(json{{"error", "APIRateLimitExceeded"},
                           {"description", "Number of allowed incremental export API requests per minute exceeded"}}
                          .dump(),
                      "application/json; charset=utf-8");
      break;
    case LimitBody::kJsonGeneric:
      res.set_content(json{{"error", "APIRateLimitExceeded"},
                           {"description", "Number of allowed API requests per minute exceeded"}}
                          .dump(),
                      "application/json; charset=utf-8");
      break;
    case LimitBody::kTextUser:
      res.set_content("You have exceeded the rate limit for updating a single unique user. "
                      "Please wait and try again.",
                      "text/plain; charset=utf-8");
      break;
    case LimitBody::kTextAccount:
      res.set_content("Number of allowed API requests per minute exceeded", "text/plain; charset=utf-8");
      break;
  }
}

void ApplyFaultStatus(httplib::Response& res, const Fault& f) {
  res.status = f.status;
  if (f.retry_after) res.set_header("Retry-After", std::to_string(*f.retry_after));
  std::string text;
  json j;
  if (f.kind == "expired_cursor") {
    // Zendesk's answer to a cursor that has expired (or was never valid).
    res.status = 400;
    res.set_content(json{{"error", "InvalidPaginationParameter"},
                         {"description", "The cursor provided has expired or is invalid. Start a new export."}}
                        .dump(),
                    "application/json; charset=utf-8");
    return;
  }
  if (f.kind == "token_expired") {
    // An OAuth access token that expired mid-sync.
    res.status = 401;
    res.set_header("WWW-Authenticate", "Bearer realm=\"Zendesk\", error=\"invalid_token\"");
    res.set_content(json{{"error", "invalid_token"},
                         {"error_description",
                          "The access token provided is expired, revoked, malformed or invalid for other reasons."}}
                        .dump(),
                    "application/json; charset=utf-8");
    return;
  }
  if (f.kind == "ip_restricted") {
    // Zendesk's answer when the account's IP restrictions block the caller.
    res.status = 403;
    res.set_content(json{{"error", "Forbidden"},
                         {"description",
                          "Access denied: your IP address is not allowed by the account's IP restrictions"}}
                        .dump(),
                    "application/json; charset=utf-8");
    return;
  }
  if (f.status == 429) {
    text = "Number of allowed API requests per minute exceeded";
    j = {{"error", "APIRateLimitExceeded"}, {"description", text}};
  } else if (f.status == 503) {
    text = "Service Unavailable";
    j = {{"error", "ServiceUnavailable"}, {"description", "The service is temporarily unavailable. Please retry."}};
  } else if (f.status == 403) {
    text = "Forbidden";
    j = {{"error", "Forbidden"},
         {"description", "You do not have access to this page. Please contact the account owner of this help desk "
                         "for further help."}};
  } else if (f.status >= 500) {
    text = "Internal Server Error";
    j = {{"error", "InternalError"}, {"description", "Something went wrong"}};
  } else {
    text = "Error";
    j = {{"error", "Error"}, {"description", "Injected fault " + std::to_string(f.status)}};
  }
  if (f.body == "text") res.set_content(text, "text/plain; charset=utf-8");
  else res.set_content(j.dump(), "application/json; charset=utf-8");
}

}  // namespace

Simulator::Simulator(Options o) : opt_(std::move(o)) {
  core_ = std::make_unique<SimCore>(opt_);
  zendesk_ = std::make_unique<Router>();
  control_ = std::make_unique<Router>();
  RegisterUserRoutes(*zendesk_);
  RegisterGroupRoutes(*zendesk_);
  RegisterTicketRoutes(*zendesk_);
  RegisterExportRoutes(*zendesk_);
  RegisterAccountRoutes(*zendesk_);
  RegisterHelpCenterRoutes(*zendesk_);
  RegisterSearchRoutes(*zendesk_);
  RegisterOauthRoutes(*zendesk_);
  RegisterControlRoutes(*control_);
}

Simulator::~Simulator() { Stop(); }

int Simulator::Start() {
  if (http_) return port_;
  http_ = std::make_unique<httplib::Server>();
  http_->set_tcp_nodelay(true);
  http_->set_keep_alive_max_count(1000);
  http_->set_keep_alive_timeout(2);
  http_->new_task_queue = [] { return new httplib::ThreadPool(32); };
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { Dispatch(&req, &res); };
  const std::string any = R"(/.*)";
  http_->Get(any, handler);
  http_->Post(any, handler);
  http_->Put(any, handler);
  http_->Delete(any, handler);
  http_->Patch(any, handler);
  if (opt_.port > 0) {
    if (!http_->bind_to_port(opt_.host, opt_.port)) {
      http_.reset();
      throw std::runtime_error("zdsim: cannot bind " + opt_.host + ":" + std::to_string(opt_.port));
    }
    port_ = opt_.port;
  } else {
    port_ = http_->bind_to_any_port(opt_.host);
    if (port_ <= 0) {
      http_.reset();
      throw std::runtime_error("zdsim: cannot bind " + opt_.host);
    }
  }
  {
    std::lock_guard<std::mutex> lk(core_->mu);
    core_->base_url = BaseUrl();
  }
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  for (int i = 0; i < 2000 && !http_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return port_;
}

void Simulator::Stop() {
  if (!http_) return;
  http_->stop();
  if (thread_.joinable()) thread_.join();
  http_.reset();
}

std::string Simulator::BaseUrl() const { return "http://" + opt_.host + ":" + std::to_string(port_); }
const Options& Simulator::options() const { return opt_; }

int64_t Simulator::Now() const {
  std::lock_guard<std::mutex> lk(core_->mu);
  return core_->Now();
}

void Simulator::Dispatch(const void* vreq, void* vres) {
  const auto& req = *static_cast<const httplib::Request*>(vreq);
  auto& res = *static_cast<httplib::Response*>(vres);
  const std::string path = StripJson(req.path);
  const std::string host = req.get_header_value("Host");
  const std::string base = host.empty() ? BaseUrl() : "http://" + host;

  if (path.rfind("/_sim/", 0) == 0) {
    std::lock_guard<std::mutex> lk(core_->mu);
    core_->Tick();
    Ctx c{*core_, *core_->ds, req, res, {}, path, base, -1, false, core_->Now(), false};
    const Route* r = control_->Match(req.method, path, &c.args);
    if (!r) {
      SendError(c, 404, "InvalidEndpoint", "Not found");
      return;
    }
    r->fn(c);
    return;
  }

  std::optional<Fault> fault;
  {
    std::lock_guard<std::mutex> lk(core_->mu);
    fault = core_->faults.Match(req.method, path);
  }
  if (fault && fault->kind == "slow") std::this_thread::sleep_for(std::chrono::milliseconds(fault->delay_ms));

  // The modelled server time is slept after the core's lock is released
  // (`hold` is destroyed after `lk`), so concurrent requests overlap as they
  // do against Zendesk.
  struct Hold {
    double seconds = 0;
    ~Hold() {
      if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    }
  } hold;
  std::lock_guard<std::mutex> lk(core_->mu);
  SimCore& s = *core_;
  s.Tick();
  Ctx c{s, *s.ds, req, res, {}, path, base, -1, false, s.Now(), false};
  const bool api = path.rfind("/api/v2/", 0) == 0;
  const Route* route = zendesk_->Match(req.method, path, &c.args);
  std::string bucket;
  if (route && route->bucket != "-") bucket = route->bucket.empty() ? "account" : route->bucket;
  else if (!route && api) bucket = "account";

  RateLimiter::Outcome acct = s.limiter.Peek("account", s.AccountLimit());
  std::optional<RateLimiter::Outcome> ep;
  auto finish = [&] {
    // Limits off: no rate-limit headers. A client counts its own requests
    // against the window a header announces, so a window that never fills
    // would still pace it (10 export requests a minute in the bench).
    if (api && s.opt.rate_limits)
      SetRateHeaders(res, HeaderFamiliesFor(s.opt, path, route ? route->bucket : ""), acct, bucket, ep);
    if (api) res.set_header("X-Zendesk-API-Version", "v2");
    RequestRecord rec;
    rec.method = req.method;
    rec.path = req.target.empty() ? req.path : req.target;
    rec.status = res.status;
    rec.bucket = bucket;
    rec.has_user = c.user >= 0;
    rec.user_id = c.user >= 0 ? s.ds->users[c.user].id : 0;
    rec.at = c.now;
    rec.elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - s.real_start).count();
    if (api) hold.seconds = s.latency.Delay(req.method, path, res.status, res.body.size());
    rec.latency_ms = static_cast<int64_t>(hold.seconds * 1000.0 + 0.5);
    s.requests.push_back(std::move(rec));
  };

  if (fault && (fault->kind == "status" || fault->kind == "ip_restricted" || fault->kind == "expired_cursor" ||
                fault->kind == "token_expired")) {
    ApplyFaultStatus(res, *fault);
    finish();
    return;
  }
  if (fault && fault->kind == "reset") {
    res.status = 200;
    res.set_content_provider(
        4096, "application/json", [](size_t, size_t, httplib::DataSink&) { return false; });
    finish();
    s.requests.back().status = 0;
    return;
  }
  if (!route) {
    if (api) SendError(c, 404, "InvalidEndpoint", "Not found");
    else {
      res.status = 404;
      res.set_content("<html><body>Not Found</body></html>", "text/html");
    }
    finish();
    return;
  }

  if (route->access != Access::kPublic) {
    AuthResult a = Authenticate(req, *s.ds, s.tokens, c.now, s.opt.quirks.api_token_lapse);
    if (a.kind == AuthResult::kOk) {
      c.user = a.user;
      c.bearer = a.bearer;
      User& u = s.ds->users[a.user];
      u.api_caller = true;
      if (a.basic && s.opt.quirks.api_use_touches_user) {
        // Zendesk moves last_login_at on every API-token request, and (recorded)
        // updated_at with it, so the caller is always inside the exports'
        // omitted last minute.
        u.last_login_at = c.now;
        u.updated_at = std::max(u.updated_at, c.now);
      }
      const bool write = req.method != "GET" && req.method != "HEAD";
      if (a.bearer && !HasScope(a.scopes, write ? "write" : "read")) {
        SendError(c, 403, "Forbidden",
                  std::string("You are missing the following required scopes: ") + (write ? "write" : "read"));
        finish();
        return;
      }
    } else if (route->access == Access::kAnyone && a.kind != AuthResult::kBadBearer) {
      // users/me answers anonymously
    } else if (a.kind == AuthResult::kBadBearer) {
      res.status = 401;
      res.set_content(json{{"error", "invalid_token"},
                           {"error_description",
                            "The access token provided is expired, revoked, malformed or invalid for other reasons."}}
                          .dump(),
                      "application/json; charset=utf-8");
      res.set_header("WWW-Authenticate", "Bearer realm=\"Web\", error=\"invalid_token\"");
      finish();
      return;
    } else {
      res.status = 401;
      res.set_content(json{{"error", "Couldn't authenticate you"}}.dump(), "application/json; charset=utf-8");
      finish();
      return;
    }
  }

  if (route->bucket != "-" && api) {
    acct = s.limiter.Take("account", s.AccountLimit());
    if (!acct.allowed) {
      Send429(res, LimitBody::kTextAccount, acct.reset);
      finish();
      return;
    }
    if (!route->bucket.empty()) {
      const BucketSpec spec = SpecFor(s, route->bucket);
      const std::string key = route->bucket + (route->per_target && !c.args.empty() ? ":" + c.args[0] : "");
      ep = s.limiter.Take(key, spec.limit, spec.window_factor);
      if (!ep->allowed) {
        Send429(res, spec.body, ep->reset);
        finish();
        return;
      }
    }
  }

  if (route->access == Access::kAgent && (c.user < 0 || s.ds->users[c.user].role == "end-user")) {
    SendForbidden(c);
    finish();
    return;
  }
  if (route->access == Access::kAdmin && !c.is_admin()) {
    SendForbidden(c);
    finish();
    return;
  }
  c.repeat_page = fault && fault->kind == "repeat_page";
  c.ignore_sort = fault && fault->kind == "ignore_sort";
  c.job_failed = fault && fault->kind == "job_failed";
  try {
    route->fn(c);
  } catch (const std::exception& e) {
    SendError(c, 500, "InternalError", e.what());
  }
  if (fault && fault->kind == "truncate") {
    res.body = res.body.substr(0, res.body.size() / 2);
  } else if (fault && fault->kind == "invalid_utf8") {
    const auto pos = res.body.find("\":\"");
    res.body.insert(pos == std::string::npos ? res.body.size() / 2 : pos + 3, "\xff\xfe\xc3");
  }
  finish();
}

json Simulator::TruthUsers(int window_days, const std::string& tz) const {
  std::lock_guard<std::mutex> lk(core_->mu);
  core_->Tick();
  return TruthUsersJson(*core_->ds, core_->served, core_->Now(), window_days, tz);
}

json Simulator::TruthUsage(int window_days, const std::string& tz) const {
  std::lock_guard<std::mutex> lk(core_->mu);
  core_->Tick();
  return TruthUsageJson(*core_->ds, core_->served, core_->Now(), window_days, tz);
}

json Simulator::Requests() const {
  std::lock_guard<std::mutex> lk(core_->mu);
  return core_->RequestsJson();
}

void Simulator::ClearRequests() {
  std::lock_guard<std::mutex> lk(core_->mu);
  core_->requests.clear();
}

void Simulator::Advance(int64_t seconds, bool activity) {
  std::lock_guard<std::mutex> lk(core_->mu);
  core_->Advance(seconds, activity);
}

void Simulator::AddFault(const Fault& f) {
  std::lock_guard<std::mutex> lk(core_->mu);
  core_->faults.Add(f);
}

void Simulator::ClearFaults() {
  std::lock_guard<std::mutex> lk(core_->mu);
  core_->faults.Clear();
}

std::optional<std::string> Simulator::UpdateUser(int64_t user_id, const json& patch,
                                                 std::optional<int64_t> actor_id) {
  std::lock_guard<std::mutex> lk(core_->mu);
  const int32_t idx = core_->ds->UserIndex(user_id);
  if (idx < 0) return std::string("not found");
  const int32_t actor = actor_id ? core_->ds->UserIndex(*actor_id) : kNobody;
  if (actor_id && actor < 0) return std::string("actor not found");
  return core_->PatchUser(idx, patch, actor);
}

bool Simulator::SoftDeleteUser(int64_t user_id, std::optional<int64_t> actor_id) {
  std::lock_guard<std::mutex> lk(core_->mu);
  const int32_t idx = core_->ds->UserIndex(user_id);
  if (idx < 0) return false;
  const int32_t actor = actor_id ? core_->ds->UserIndex(*actor_id) : kNobody;
  if (actor_id && actor < 0) return false;
  core_->SoftDelete(idx, actor);
  return true;
}

bool Simulator::PermanentlyDeleteUser(int64_t user_id) {
  std::lock_guard<std::mutex> lk(core_->mu);
  const int32_t idx = core_->ds->UserIndex(user_id);
  if (idx < 0) return false;
  core_->PermanentDelete(idx, kNobody);
  return true;
}

bool Simulator::Login(int64_t user_id, std::optional<int64_t> at) {
  std::lock_guard<std::mutex> lk(core_->mu);
  const int32_t idx = core_->ds->UserIndex(user_id);
  if (idx < 0) return false;
  core_->SignIn(idx, at.value_or(core_->Now()));
  return true;
}

json Simulator::TicketsState(std::optional<int64_t> assignee_id) const {
  std::lock_guard<std::mutex> lk(core_->mu);
  core_->Tick();
  return core_->TicketsState(assignee_id);
}

int64_t Simulator::AdminId() const { return core_->ds->users[core_->ds->admin].id; }
int64_t Simulator::AgentId() const { return core_->ds->users[core_->ds->agent].id; }
int64_t Simulator::OwnerId() const { return core_->ds->users[core_->ds->owner].id; }

}  // namespace zdsim
