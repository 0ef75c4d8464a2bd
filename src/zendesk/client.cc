// Client: request execution (pacing, auth, retries) and the typed calls.
#include "zendesk/client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "zendesk/auth.h"
#include "zendesk/errors.h"
#include "zendesk/parse.h"
#include "zendesk/rate_limiter.h"
#include "zendesk/transport.h"
#include "zendesk/url.h"

namespace sk::zendesk {

const char* BucketName(Bucket b) {
  switch (b) {
    case Bucket::kAccount:
      return "account";
    case Bucket::kIncremental:
      return "incremental-exports";
    case Bucket::kIncrementalCursor:
      return "incremental-exports-cursor";
    case Bucket::kDeletedTickets:
      return "deleted-tickets-index";
    case Bucket::kHelpCenter:
      return "help-center";
    case Bucket::kSearchExport:
      return "search-export";
    case Bucket::kUserUpdate:
      return "create-update-user";
  }
  return "unknown";
}

namespace {

constexpr int kParseRetries = 2;  // extra attempts when a 2xx GET body does not parse
// Until Zendesk has answered once, a host that does not resolve or a
// connection that cannot be opened is given up after about this long (the
// last connect attempt may add a second), with the likely causes, instead of
// after max_attempts (8 attempts, ~2 minutes of backoff: issue #20, a new user
// whose DNS could not resolve the account waited 125 s in silence). Once
// Zendesk has answered, the same failures are transient and keep max_attempts.
constexpr double kUnreachableGiveUpSeconds = 12;

std::string PageParams(int page_size, const std::string& after_cursor) {
  std::string q = "page%5Bsize%5D=" + std::to_string(page_size);
  if (!after_cursor.empty()) q += "&page%5Bafter%5D=" + UrlEncode(after_cursor);
  return q;
}

std::string IncrementalParams(std::optional<UnixTime> start_time, const std::string& cursor) {
  std::string q = "per_page=1000";
  if (!cursor.empty())
    q += "&cursor=" + UrlEncode(cursor);
  else
    q += "&start_time=" + std::to_string(start_time.value_or(0));
  return q;
}

// /audit_logs.json with `filters` (encoded, joined with '&'), the records
// created in [from, to] sorted by `sort` ("created_at", "-created_at"), 100 a page.
std::string AuditLogsPath(const std::string& filters, UnixTime from, UnixTime to, const std::string& sort,
                          const std::string& after_cursor) {
  std::string path = "/api/v2/audit_logs.json?" + filters;
  path += "&filter%5Bcreated_at%5D%5B%5D=" + UrlEncode(FormatIso(from));
  path += "&filter%5Bcreated_at%5D%5B%5D=" + UrlEncode(FormatIso(to));
  path += "&sort=" + sort + "&" + PageParams(100, after_cursor);
  return path;
}
constexpr const char* kLoginFilter = "filter%5Baction%5D=login";

bool IsSuccess(long s) {
  return s >= 200 && s < 300;
}

}  // namespace

struct Client::Impl {
  explicit Impl(ClientOptions o)
      : options(std::move(o)), limiter(options.api_budget_percent), rng(std::random_device{}()) {
    while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
    origin = OriginOf(options.base_url);
    if (options.max_attempts < 1) options.max_attempts = 1;
    const Credentials& c = options.credentials;
    if (c.kind == Credentials::Kind::kOAuthToken) {
      access_token = c.secret;
      refresh_token = c.refresh_token;
    } else if (c.kind == Credentials::Kind::kClientCredentials) {
      access_token = c.access_token;
    }
    expires_at = c.expires_at;
  }

  // Calls may come from several threads at once (the sync's lanes, one per
  // rate-limit bucket): each call takes a Transport (its own curl handle and
  // connection) from `idle` for its duration; the limiter, the counters and
  // the random source are shared under `mu`, so every thread paces against
  // the same view of each bucket; the tokens are under `token_mu`, held while
  // they are refreshed, so a rotating pair is refreshed once.
  ClientOptions options;
  std::string origin;

  mutable std::mutex mu;  // limiter, stats, rng, injected_slept, cancel_why
  RateLimiter limiter;
  ClientStats stats;
  std::mt19937_64 rng;
  double injected_slept = 0;          // seconds "slept" through options.sleep (not on the real clock)
  std::atomic<bool> answered{false};  // Zendesk has answered at least once (HTTP status received)
  std::atomic<bool> cancelled{false};
  std::string cancel_why;
  std::map<Bucket, int> in_flight;    // requests sent and not answered yet, by bucket
  std::condition_variable cancel_cv;  // wakes sleeps when cancelled

  std::mutex token_mu;  // the fields below
  std::string access_token;
  std::string refresh_token;
  std::optional<UnixTime> expires_at;  // of access_token
  // The expiry for which a proactive refresh failed (not tried again; the
  // 401 fallback still is).
  std::optional<UnixTime> proactive_failed;
  uint64_t token_generation = 0;  // +1 each time the access token changes
  bool warned = false;

  std::mutex pool_mu;
  std::vector<std::unique_ptr<Transport>> idle;

  // A Transport for one call, returned to `idle` after it.
  class TransportLease {
   public:
    explicit TransportLease(Impl* impl) : impl_(impl) {
      std::lock_guard lk(impl_->pool_mu);
      if (!impl_->idle.empty()) {
        t_ = std::move(impl_->idle.back());
        impl_->idle.pop_back();
      }
      if (!t_) {
        const ClientOptions& o = impl_->options;
        t_ = std::make_unique<Transport>(
            Transport::Options{o.connect_timeout_seconds, o.request_timeout_seconds, o.ca_file});
      }
    }
    ~TransportLease() {
      std::lock_guard lk(impl_->pool_mu);
      impl_->idle.push_back(std::move(t_));
    }
    TransportLease(const TransportLease&) = delete;
    TransportLease& operator=(const TransportLease&) = delete;
    Transport& operator*() { return *t_; }

   private:
    Impl* impl_;
    std::unique_ptr<Transport> t_;
  };

  double Now() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  double Random() {
    std::lock_guard lk(mu);
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  }
  template <typename F>
  auto Locked(F f) {
    std::lock_guard lk(mu);
    return f();
  }

  Status CancelledStatus() const {
    std::lock_guard lk(mu);
    return Status(Code::kUnavailable, cancel_why.empty() ? "stopped" : cancel_why);
  }

  // One line on the log (standard error for the CLI, at the default level)
  // saying what the client waits for; never holds credentials.
  static void Announce(const std::string& line) { spdlog::info("waiting: {}", line); }
  // A retry sooner than this is not a wait a person notices (Retry-After: 0):
  // it is not announced, so a storm of them does not flood the terminal.
  static constexpr double kAnnounceWaitsFrom = 0.5;

  static std::string HostOf(const std::string& url) {
    std::string host = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
    return host.substr(0, host.find_first_of("/?#"));
  }

  // Sleeps `seconds`, or less when the client is cancelled meanwhile.
  void Sleep(double seconds) {
    if (seconds <= 0) return;
    std::unique_lock lk(mu);
    stats.seconds_waited += seconds;
    if (options.sleep) {
      injected_slept += seconds;
      lk.unlock();
      options.sleep(seconds);
    } else {
      cancel_cv.wait_for(lk, std::chrono::duration<double>(seconds), [this] { return cancelled.load(); });
    }
  }

  // Stores new tokens after the caller has persisted them.
  Status AdoptTokens(const TokenSet& tokens) {
    if (options.on_tokens) {
      Status s = options.on_tokens(tokens);
      if (!s.ok()) return s.With("could not save the new Zendesk OAuth tokens, stopping before using them");
    }
    UseTokens(tokens);
    return Status::Ok();
  }

  void UseTokens(const TokenSet& tokens) {
    ++token_generation;
    access_token = tokens.access_token;
    if (!tokens.refresh_token.empty()) refresh_token = tokens.refresh_token;
    expires_at = tokens.expires_at;
  }

  bool CanRefresh() const {
    const Credentials& c = options.credentials;
    return c.kind == Credentials::Kind::kOAuthToken && !refresh_token.empty() && !c.client_id.empty();
  }

  // One refresh of the rotating pair (through rotate_tokens when set, so
  // processes sharing the store refresh a token once between them). Caller
  // holds token_mu (as for every token method below).
  Status RefreshAccessToken(Transport& transport) {
    const Credentials& c = options.credentials;
    std::function<Result<TokenSet>()> request = [this, &c, &transport] {
      return RequestToken(transport, options.base_url,
                          RefreshTokenBody(refresh_token, c.client_id, c.client_secret));
    };
    if (!options.rotate_tokens) {
      SK_ASSIGN_OR_RETURN(TokenSet t, request());
      return AdoptTokens(t);
    }
    auto t = options.rotate_tokens(refresh_token, request);
    if (!t.ok()) return t.status();
    UseTokens(*t);
    return Status::Ok();
  }

  // Before a request: replaces an access token about to expire (less than
  // kRefreshMargin left), once per token lifetime.
  Status RefreshIfExpiring(Transport& transport) {
    const Credentials& c = options.credentials;
    if (!expires_at || NowUnix() + kRefreshMargin < *expires_at || proactive_failed == expires_at) {
      return Status::Ok();
    }
    const bool client_credentials = c.kind == Credentials::Kind::kClientCredentials;
    if (!client_credentials && !CanRefresh()) return Status::Ok();
    const std::optional<UnixTime> was = expires_at;
    Status s = client_credentials ? ObtainClientCredentialsToken(transport) : RefreshAccessToken(transport);
    if (!s.ok()) {
      proactive_failed = was;
      if (NowUnix() >= *was) return RefreshFailed(s);
      spdlog::warn(
          "zendesk: refreshing the OAuth access token before it expires failed ({}); using it until then",
          s.message());
    }
    return Status::Ok();
  }

  static Status RefreshFailed(const Status& s) {
    return Status(Code::kUnauthenticated,
                  "Zendesk rejected the credentials: the access token is no longer valid and refreshing it "
                  "failed (" +
                      s.message() + "). Reconnect seatkeeper to Zendesk");
  }

  Status ObtainClientCredentialsToken(Transport& transport) {
    const Credentials& c = options.credentials;
    auto t = RequestToken(transport, options.base_url, ClientCredentialsBody(c.client_id, c.secret, c.scope));
    if (!t.ok()) return t.status();
    return AdoptTokens(*t);
  }

  // The header for a request, and the generation of the token in it.
  Result<std::string> AuthorizationHeader(Transport& transport, uint64_t* generation) {
    std::lock_guard lk(token_mu);
    const Credentials& c = options.credentials;
    *generation = token_generation;
    switch (c.kind) {
      case Credentials::Kind::kApiToken:
        if (!warned) {
          warned = true;
          if (options.on_warning) options.on_warning(kApiTokenDeprecationWarning);
        }
        return "Authorization: " + BasicAuthorization(c.email, c.secret);
      case Credentials::Kind::kOAuthToken:
        SK_RETURN_IF_ERROR(RefreshIfExpiring(transport));
        *generation = token_generation;
        return "Authorization: " + BearerAuthorization(access_token);
      case Credentials::Kind::kClientCredentials:
        if (access_token.empty()) SK_RETURN_IF_ERROR(ObtainClientCredentialsToken(transport));
        SK_RETURN_IF_ERROR(RefreshIfExpiring(transport));
        *generation = token_generation;
        return "Authorization: " + BearerAuthorization(access_token);
    }
    return Status(Code::kInternal, "unknown credential kind");
  }

  // After a 401 to a request sent with the token of `generation`: obtains
  // new credentials when possible (or uses those another thread obtained
  // meanwhile). Ok = retry the request.
  Status Reauthenticate(const Response& resp, bool* can_retry, Transport& transport, uint64_t generation) {
    std::lock_guard lk(token_mu);
    *can_retry = false;
    if (generation != token_generation) {
      *can_retry = true;  // replaced since this request was sent
      return Status::Ok();
    }
    const Credentials& c = options.credentials;
    if (c.kind == Credentials::Kind::kClientCredentials) {
      SK_RETURN_IF_ERROR(ObtainClientCredentialsToken(transport));
      *can_retry = true;
      return Status::Ok();
    }
    if (CanRefresh()) {
      bool invalid_token = resp.body.find("invalid_token") != std::string::npos;
      if (auto it = resp.headers.find("www-authenticate");
          it != resp.headers.end() && it->second.find("invalid_token") != std::string::npos)
        invalid_token = true;
      if (!invalid_token) return Status::Ok();
      Status s = RefreshAccessToken(transport);
      if (!s.ok()) return s.code() == Code::kUnauthenticated ? RefreshFailed(s) : s;
      *can_retry = true;
    }
    return Status::Ok();
  }

  Result<std::string> BuildUrl(std::string_view path_or_url) {
    if (path_or_url.starts_with("http://") || path_or_url.starts_with("https://")) {
      if (OriginOf(path_or_url) != origin) {
        return InvalidArgument("refusing to send a request outside the configured Zendesk account (" +
                               origin + ")");
      }
      return std::string(path_or_url);
    }
    if (!path_or_url.starts_with("/")) return options.base_url + "/" + std::string(path_or_url);
    return options.base_url + std::string(path_or_url);
  }

  // One request's way through its attempts (Execute).
  struct Call {
    std::string url;
    std::string endpoint;  // "GET /api/v2/users.json": stats and messages
    Bucket bucket = Bucket::kAccount;
    bool mutation = false;
    // GET, PUT and DELETE: sending one again leaves Zendesk as sending it once
    // does, so their 5xx and 409 answers, and their sends whose answer never
    // came, are retried (reference §11.4, §11.5).
    bool idempotent = false;
    bool delete_method = false;
    long retried_status = 0;  // the last 5xx/409 answer this call retried after
    std::string lost_answer;  // why the answer to a sent mutation never came, when it was retried
    int attempt = 0;
    // Up to two: the first may only pick up a pair another process rotated.
    int auth_retries = 0;
    double started = 0;
    double injected_at_start = 0;
    uint64_t token_generation = 0;  // of the token the last attempt was sent with
  };

  // Seconds the call has taken, sleeps injected through options.sleep included.
  double Spent(const Call& call) const {
    std::lock_guard lk(mu);
    return (Now() - call.started) + (injected_slept - call.injected_at_start);
  }

  Result<Response> Execute(std::string_view method, std::string_view path_or_url, const nlohmann::json* body,
                           Bucket bucket) {
    SK_ASSIGN_OR_RETURN(std::string url, BuildUrl(path_or_url));
    Call call;
    call.endpoint = std::string(method) + " " + EndpointKey(url);
    call.url = std::move(url);
    call.bucket = bucket;
    call.mutation = method != "GET";
    call.idempotent = method == "GET" || method == "PUT" || method == "DELETE";
    call.delete_method = method == "DELETE";
    call.started = Now();
    call.injected_at_start = Locked([&] { return injected_slept; });
    TransportLease transport(this);
    HttpRequest req;
    req.method = std::string(method);
    req.url = call.url;
    if (body && !body->is_null()) {
      req.has_body = true;
      req.body = body->dump();
    }
    while (true) {
      ++call.attempt;
      SK_RETURN_IF_ERROR(PaceBefore(call));
      SK_ASSIGN_OR_RETURN(std::string auth, AuthorizationHeader(*transport, &call.token_generation));
      req.headers = {auth};
      Locked([&] { stats.requests_by_endpoint[call.endpoint]++; });
      if (!answered) {
        // Leave time for a retry within the limit: a silent firewall would
        // otherwise hold each attempt for the whole connect timeout.
        req.connect_timeout_seconds =
            std::clamp(static_cast<long>(std::ceil(kUnreachableGiveUpSeconds - Spent(call))), 1L,
                       std::max(1L, options.connect_timeout_seconds));
      }
      TransportResult tr = (*transport).Perform(req);
      Locked([&] { --in_flight[call.bucket]; });
      if (tr.error != NetError::kNone) {
        SK_RETURN_IF_ERROR(WaitAfterNetworkError(call, tr));
        continue;
      }
      Response& resp = tr.response;
      const RateLimitHeaders rl = RecordAnswer(call, resp);
      if (IsSuccess(resp.status)) return std::move(resp);
      SK_ASSIGN_OR_RETURN(bool again, WaitAfterHttpError(call, resp, rl, *transport));
      if (again) continue;
      if (resp.status == 404 && call.delete_method && (call.retried_status || !call.lost_answer.empty()))
        return Status(
            Code::kUnavailable,
            fmt::format("{} to {}, then 404 (not found) to the retry: the first attempt may have applied, so "
                        "check the record before trying again",
                        call.lost_answer.empty()
                            ? fmt::format("Zendesk answered HTTP {}", call.retried_status)
                            : "no answer came (" + call.lost_answer + ")",
                        call.endpoint));
      return StatusFromHttp(resp.status, resp.body, resp.headers, call.endpoint);
    }
  }

  // Waits as the rate limiter asks before sending, announcing long waits,
  // then takes the request's place in its buckets (NoteSent) in the same
  // critical section, so threads sharing a bucket never overdraw it.
  // Fails once the client is cancelled.
  Status PaceBefore(const Call& call) {
    while (true) {
      if (cancelled) return CancelledStatus();
      double d = 0;
      {
        std::lock_guard lk(mu);
        d = limiter.DelayBefore(call.bucket, Now());
        if (d <= 0) {
          limiter.NoteSent(call.bucket, Now());
          ++in_flight[call.bucket];
          return Status::Ok();
        }
      }
      spdlog::debug("zendesk: pacing {} for {:.1f} s to stay within {}% of the {} rate limit", call.endpoint,
                    d, options.api_budget_percent, BucketName(call.bucket));
      if (d >= 5)
        Announce(fmt::format("pausing {:.0f} s before {}: keeping within {}% of Zendesk's {} rate limit", d,
                             call.endpoint, options.api_budget_percent, BucketName(call.bucket)));
      Sleep(d);
      if (cancelled) return CancelledStatus();
      Locked([&] { limiter.AssumeWaited(call.bucket, Now() + d); });
    }
  }

  // After a request that got no answer: ok once it has waited for a retry,
  // else why the call gives up. A POST that may have reached Zendesk is not
  // sent again (it may have created the user); a PUT or DELETE is.
  Status WaitAfterNetworkError(Call& call, const TransportResult& tr) {
    Locked([&] { stats.requests_by_bucket_status[{BucketName(call.bucket), "network"}]++; });
    if (tr.error == NetError::kTlsVerify) {
      return Status(Code::kUnavailable, "TLS verification of the Zendesk server failed: " + tr.error_message +
                                            " (" + call.endpoint + ")");
    }
    const bool unreachable = tr.error == NetError::kNotSent && !answered;
    const bool retryable = tr.error == NetError::kNotSent || call.idempotent;
    if (retryable && call.attempt < options.max_attempts) {
      if (call.mutation && tr.error != NetError::kNotSent) call.lost_answer = tr.error_message;
      const double delay = BackoffSeconds(call.attempt - 1, Random());
      if (unreachable && Spent(call) + delay >= kUnreachableGiveUpSeconds)
        return UnreachableStatus(call.url, tr.error_message, call.attempt, Spent(call));
      Locked([&] { stats.retries++; });
      spdlog::debug("zendesk: {} failed ({}), retrying in {:.1f} s (attempt {}/{})", call.endpoint,
                    tr.error_message, delay, call.attempt + 1, options.max_attempts);
      Announce(fmt::format(
          "no answer from Zendesk at {} ({}); retrying {} in {:.1f} s (attempt {} of at most {}{})",
          HostOf(call.url), tr.error_message, call.endpoint, delay, call.attempt + 1, options.max_attempts,
          unreachable ? fmt::format(", giving up after {:.0f} s", kUnreachableGiveUpSeconds)
                      : std::string()));
      Sleep(delay);
      return Status::Ok();
    }
    if (unreachable) return UnreachableStatus(call.url, tr.error_message, call.attempt, Spent(call));
    if (call.mutation && tr.error != NetError::kNotSent) {
      return Status(Code::kUnavailable,
                    "the request was sent to Zendesk but no complete answer came back (" + tr.error_message +
                        "); Zendesk may have applied it, so check the record before trying again (" +
                        call.endpoint + ")");
    }
    return Status(Code::kUnavailable, "could not reach Zendesk after " + std::to_string(call.attempt) +
                                          " attempt(s): " + tr.error_message + " (" + call.endpoint + ")");
  }

  // Counts an HTTP answer and feeds its rate-limit headers to the limiter.
  RateLimitHeaders RecordAnswer(const Call& call, const Response& resp) {
    answered = true;
    std::lock_guard lk(mu);
    stats.responses_by_status[resp.status]++;
    stats.requests_by_bucket_status[{BucketName(call.bucket), std::to_string(resp.status)}]++;
    RateLimitHeaders rl = ParseRateLimitHeaders(resp.headers, static_cast<double>(NowUnix()));
    limiter.Observe(call.bucket, rl, Now());
    DiscountInFlight(call.bucket, rl);
    for (Bucket b :
         {Bucket::kAccount, Bucket::kIncremental, Bucket::kIncrementalCursor, Bucket::kDeletedTickets,
          Bucket::kHelpCenter, Bucket::kSearchExport, Bucket::kUserUpdate}) {
      const RateLimiter::State* state = limiter.StateOf(b);
      if (state && state->limit && state->remaining)
        stats.rate_limit_by_bucket[BucketName(b)] = {*state->limit, *state->remaining};
    }
    if (rl.account.limit && call.bucket != Bucket::kHelpCenter) stats.account_limit = rl.account.limit;
    if (rl.account.remaining && call.bucket != Bucket::kHelpCenter)
      stats.account_remaining = rl.account.remaining;
    return rl;
  }

  // The windows this answer reported lose the requests other threads have in
  // flight on them (sent after this one, perhaps not yet counted). Holds mu.
  void DiscountInFlight(Bucket bucket, const RateLimitHeaders& rl) {
    if (rl.account.limit || rl.account.remaining) {
      if (bucket == Bucket::kHelpCenter) {
        limiter.Discount(Bucket::kHelpCenter, in_flight[Bucket::kHelpCenter]);
      } else {
        int n = 0;
        for (const auto& [b, count] : in_flight)
          if (b != Bucket::kHelpCenter) n += count;
        limiter.Discount(Bucket::kAccount, n);
      }
    }
    for (const auto& [name, w] : rl.named) {
      if (!w.remaining) continue;
      if (auto b = BucketForHeaderName(name)) limiter.Discount(*b, in_flight[*b]);
    }
  }

  // After an HTTP error: true once it has new credentials (a 401) or has
  // waited for a retry (429, 503, the 5xx or 409 of a GET, PUT or DELETE),
  // false when the answer stands.
  Result<bool> WaitAfterHttpError(Call& call, const Response& resp, const RateLimitHeaders& rl,
                                  Transport& transport) {
    if (resp.status == 401 && call.auth_retries < 2) {
      ++call.auth_retries;
      bool can_retry = false;
      SK_RETURN_IF_ERROR(Reauthenticate(resp, &can_retry, transport, call.token_generation));
      if (can_retry) {
        --call.attempt;  // a fresh token is not a retry of a failure
        return true;
      }
    }
    if (resp.status == 429) {
      Locked([&] {
        stats.rate_limited++;
        limiter.NoteRateLimited(call.bucket, rl, Now());
      });
    }
    // POST (create) is not retried after a 5xx: it may have created the record.
    const bool retryable =
        resp.status == 429 || resp.status == 503 || (call.idempotent && IsRetryableHttpStatus(resp.status));
    if (!retryable || call.attempt >= options.max_attempts) return false;
    if (resp.status != 429) call.retried_status = resp.status;
    double delay;
    if (rl.retry_after) {
      delay = RetryAfterSeconds(*rl.retry_after, Random());
    } else if (resp.status == 429 && ResetFor(call.bucket, rl)) {
      delay = RetryAfterSeconds(*ResetFor(call.bucket, rl), Random());
    } else {
      delay = BackoffSeconds(call.attempt - 1, Random());
    }
    Locked([&] { stats.retries++; });
    spdlog::debug("zendesk: {} answered HTTP {}, retrying in {:.1f} s (attempt {}/{})", call.endpoint,
                  resp.status, delay, call.attempt + 1, options.max_attempts);
    if (delay >= kAnnounceWaitsFrom)
      Announce(
          fmt::format("Zendesk answered HTTP {} to {}; retrying in {:.1f} s{} (attempt {} of at most {})",
                      resp.status, call.endpoint, delay, rl.retry_after ? " as its Retry-After asks" : "",
                      call.attempt + 1, options.max_attempts));
    Sleep(delay);
    Locked([&] { limiter.AssumeWaited(call.bucket, Now() + delay, /*force=*/rl.retry_after.has_value()); });
    return true;
  }

  static std::optional<double> ResetFor(Bucket bucket, const RateLimitHeaders& rl) {
    for (const auto& [name, w] : rl.named) {
      if (BucketForHeaderName(name) == bucket && w.reset_seconds) return w.reset_seconds;
    }
    return rl.account.reset_seconds;
  }

  // GET + parse, retrying a few times when a 2xx body does not parse
  // (truncated or garbled transfer).
  template <typename T, typename Parser>
  Result<T> GetParsed(const std::string& path, Bucket bucket, Parser parse) {
    for (int i = 0;; ++i) {
      auto r = Execute("GET", path, nullptr, bucket);
      if (!r.ok()) return r.status();
      Result<T> p = parse(r->body);
      if (p.ok() || p.status().code() != Code::kBadResponse || i >= kParseRetries) return p;
      Locked([&] { stats.retries++; });
      double delay = BackoffSeconds(i, Random());
      if (delay >= kAnnounceWaitsFrom)
        Announce(fmt::format("Zendesk's answer to GET {} was incomplete or garbled; asking again in {:.1f} s",
                             EndpointKey(path), delay));
      Sleep(delay);
    }
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

const ClientStats& Client::stats() const {
  return impl_->stats;
}

ClientStats Client::StatsSnapshot() const {
  std::lock_guard lk(impl_->mu);
  return impl_->stats;
}

void Client::Cancel(const std::string& why) {
  {
    std::lock_guard lk(impl_->mu);
    impl_->cancel_why = why;
    impl_->cancelled = true;
  }
  impl_->cancel_cv.notify_all();
}

void Client::ClearCancel() {
  std::lock_guard lk(impl_->mu);
  impl_->cancelled = false;
  impl_->cancel_why.clear();
}
const ClientOptions& Client::options() const {
  return impl_->options;
}

Result<Response> Client::Get(std::string_view path_or_url, Bucket bucket) {
  return impl_->Execute("GET", path_or_url, nullptr, bucket);
}

Result<Response> Client::Send(std::string_view method, std::string_view path, const nlohmann::json& body,
                              Bucket bucket) {
  if (method != "POST" && method != "PUT" && method != "DELETE" && method != "PATCH")
    return InvalidArgument("Send supports POST, PUT, PATCH and DELETE, not " + std::string(method));
  return impl_->Execute(method, path, &body, bucket);
}

// ------------------------------------------------------------ identity

Result<User> Client::Me() {
  auto user = impl_->GetParsed<User>("/api/v2/users/me.json", Bucket::kAccount, ParseUserResponse);
  if (!user.ok()) return user;
  if (!user->id) return AnonymousUserStatus();
  return user;
}

Result<std::vector<CustomRole>> Client::ListCustomRoles() {
  return impl_->GetParsed<std::vector<CustomRole>>("/api/v2/custom_roles.json", Bucket::kAccount,
                                                   ParseCustomRoles);
}

Result<nlohmann::json> Client::AccountSettings() {
  return impl_->GetParsed<nlohmann::json>(
      "/api/v2/account/settings.json", Bucket::kAccount, [](std::string_view body) -> Result<nlohmann::json> {
        auto doc = nlohmann::json::parse(body, nullptr, false);
        if (doc.is_discarded() || !doc.is_object())
          return BadResponse("Zendesk sent account settings that are not JSON");
        if (doc.contains("settings")) return doc["settings"];
        return doc;
      });
}

// --------------------------------------------------------------- users

Result<CursorPage<User>> Client::ListUsers(const std::string& after_cursor, int page_size) {
  page_size = std::clamp(page_size, 1, 100);
  return impl_->GetParsed<CursorPage<User>>("/api/v2/users.json?" + PageParams(page_size, after_cursor),
                                            Bucket::kAccount, ParseUsersPage);
}

Result<CursorPage<User>> Client::ListStaff(const std::string& after_cursor, int page_size) {
  page_size = std::clamp(page_size, 1, 100);
  return impl_->GetParsed<CursorPage<User>>(
      "/api/v2/users.json?role%5B%5D=agent&role%5B%5D=admin&" + PageParams(page_size, after_cursor),
      Bucket::kAccount, ParseUsersPage);
}

Result<CursorPage<Group>> Client::ListGroups(const std::string& after_cursor) {
  return impl_->GetParsed<CursorPage<Group>>("/api/v2/groups.json?" + PageParams(100, after_cursor),
                                             Bucket::kAccount, ParseGroupsPage);
}

Result<CursorPage<GroupMembership>> Client::ListGroupMemberships(const std::string& after_cursor) {
  return impl_->GetParsed<CursorPage<GroupMembership>>(
      "/api/v2/group_memberships.json?" + PageParams(100, after_cursor), Bucket::kAccount,
      ParseGroupMembershipsPage);
}

Result<User> Client::ShowUser(int64_t id) {
  return impl_->GetParsed<User>("/api/v2/users/" + std::to_string(id) + ".json", Bucket::kAccount,
                                ParseUserResponse);
}

Result<std::vector<User>> Client::ShowManyUsers(const std::vector<int64_t>& ids, bool include_deleted) {
  std::vector<User> all;
  for (size_t i = 0; i < ids.size(); i += 100) {
    std::string list;
    for (size_t j = i; j < std::min(ids.size(), i + 100); ++j) {
      if (!list.empty()) list += ",";
      list += std::to_string(ids[j]);
    }
    std::string path = "/api/v2/users/show_many.json?ids=" + list;
    if (include_deleted) path += "&include_deleted=true";
    auto users = impl_->GetParsed<std::vector<User>>(path, Bucket::kAccount, ParseUsersList);
    if (!users.ok()) return users.status();
    for (auto& u : *users) all.push_back(std::move(u));
  }
  return all;
}

Result<IncrementalPage<User>> Client::IncrementalUsersCursor(std::optional<UnixTime> start_time,
                                                             const std::string& cursor) {
  return impl_->GetParsed<IncrementalPage<User>>(
      "/api/v2/incremental/users/cursor.json?" + IncrementalParams(start_time, cursor),
      Bucket::kIncrementalCursor, ParseIncrementalUsersPage);
}

Result<IncrementalPage<User>> Client::IncrementalUsers(UnixTime start_time) {
  return impl_->GetParsed<IncrementalPage<User>>(
      "/api/v2/incremental/users.json?" + IncrementalParams(start_time, ""), Bucket::kIncremental,
      ParseIncrementalUsersPage);
}

Result<CursorPage<User>> Client::ListDeletedUsers(const std::string& after_cursor) {
  return impl_->GetParsed<CursorPage<User>>("/api/v2/deleted_users.json?" + PageParams(100, after_cursor),
                                            Bucket::kAccount, ParseUsersPage);
}

// ------------------------------------------------------------ activity

Result<IncrementalPage<TicketEvent>> Client::TicketEvents(UnixTime start_time) {
  return impl_->GetParsed<IncrementalPage<TicketEvent>>(
      "/api/v2/incremental/ticket_events.json?" + IncrementalParams(start_time, ""), Bucket::kIncremental,
      ParseTicketEventsPage);
}

Result<CursorPage<TicketAudit>> Client::TicketAudits(const std::string& after_cursor, int page_size) {
  page_size = std::clamp(page_size, 1, 100);
  return impl_->GetParsed<CursorPage<TicketAudit>>(
      "/api/v2/ticket_audits.json?" + PageParams(page_size, after_cursor), Bucket::kAccount,
      ParseTicketAuditsPage);
}

Result<CursorPage<TicketAudit>> Client::TicketAuditsOf(int64_t ticket_id, const std::string& after_cursor) {
  return impl_->GetParsed<CursorPage<TicketAudit>>(
      "/api/v2/tickets/" + std::to_string(ticket_id) + "/audits.json?" + PageParams(100, after_cursor),
      Bucket::kAccount, ParseTicketAuditsPage);
}

Result<CursorPage<DeletedTicket>> Client::DeletedTickets(const std::string& after_cursor) {
  return impl_->GetParsed<CursorPage<DeletedTicket>>(
      "/api/v2/deleted_tickets.json?sort_by=deleted_at&sort_order=desc&" + PageParams(100, after_cursor),
      Bucket::kDeletedTickets,
      ParseDeletedTicketsPage);
}

Result<IncrementalPage<Ticket>> Client::IncrementalTickets(UnixTime start_time) {
  return impl_->GetParsed<IncrementalPage<Ticket>>(
      "/api/v2/incremental/tickets.json?" + IncrementalParams(start_time, ""), Bucket::kIncremental,
      ParseIncrementalTicketsPage);
}

Result<IncrementalPage<Ticket>> Client::IncrementalTicketsCursor(std::optional<UnixTime> start_time,
                                                                 const std::string& cursor) {
  return impl_->GetParsed<IncrementalPage<Ticket>>(
      "/api/v2/incremental/tickets/cursor.json?" + IncrementalParams(start_time, cursor),
      Bucket::kIncremental, ParseIncrementalTicketsPage);
}

Result<IncrementalPage<Article>> Client::IncrementalArticles(UnixTime start_time) {
  return impl_->GetParsed<IncrementalPage<Article>>(
      "/api/v2/help_center/incremental/articles.json?start_time=" + std::to_string(start_time),
      Bucket::kHelpCenter, ParseArticlesPage);
}

Result<CursorPage<AuditLog>> Client::LoginAuditLogs(UnixTime from, UnixTime to,
                                                    const std::string& after_cursor) {
  return impl_->GetParsed<CursorPage<AuditLog>>(
      AuditLogsPath(kLoginFilter, from, to, "created_at", after_cursor), Bucket::kAccount,
      ParseAuditLogsPage);
}

Result<CursorPage<AuditLog>> Client::RecentLoginAuditLogs(UnixTime from, UnixTime to,
                                                          const std::string& after_cursor) {
  return impl_->GetParsed<CursorPage<AuditLog>>(
      AuditLogsPath(kLoginFilter, from, to, "-created_at", after_cursor), Bucket::kAccount,
      ParseAuditLogsPage);
}

Result<CursorPage<AuditLog>> Client::UserChangeAuditLogs(UnixTime from, UnixTime to,
                                                         const std::string& after_cursor) {
  const std::string filters =
      "filter%5Bsource_type%5D=user&filter%5Baction%5D%5B%5D=update&filter%5Baction%5D%5B%5D=destroy";
  return impl_->GetParsed<CursorPage<AuditLog>>(AuditLogsPath(filters, from, to, "created_at", after_cursor),
                                                Bucket::kAccount, ParseAuditLogsPage);
}

// ----------------------------------------------------------- mutations

namespace {
nlohmann::json Wrap(const char* key, const nlohmann::json& obj) {
  if (obj.is_object() && obj.size() == 1 && obj.contains(key)) return obj;
  return nlohmann::json{{key, obj}};
}
}  // namespace

Result<User> Client::CreateUser(const nlohmann::json& user) {
  auto r = Send("POST", "/api/v2/users.json", Wrap("user", user));
  if (!r.ok()) return r.status();
  return ParseUserResponse(r->body);
}

Result<User> Client::UpdateUser(int64_t id, const nlohmann::json& user) {
  auto r =
      Send("PUT", "/api/v2/users/" + std::to_string(id) + ".json", Wrap("user", user), Bucket::kUserUpdate);
  if (!r.ok()) return r.status();
  return ParseUserResponse(r->body);
}

Result<User> Client::DeleteUser(int64_t id) {
  auto r = Send("DELETE", "/api/v2/users/" + std::to_string(id) + ".json", nullptr);
  if (!r.ok()) return r.status();
  return ParseUserResponse(r->body);
}

Status Client::PermanentlyDeleteUser(int64_t id) {
  auto r = Send("DELETE", "/api/v2/deleted_users/" + std::to_string(id) + ".json", nullptr);
  return r.status();
}

Result<CursorPage<Ticket>> Client::AssignedTickets(int64_t user, const std::string& after_cursor) {
  return impl_->GetParsed<CursorPage<Ticket>>(
      "/api/v2/users/" + std::to_string(user) + "/tickets/assigned.json?" + PageParams(100, after_cursor),
      Bucket::kAccount, ParseTicketsPage);
}

Result<CursorPage<Ticket>> Client::SearchTickets(const std::string& query, const std::string& after_cursor) {
  // search/export takes the type as filter[type]; "type:" must not be in the query.
  std::string q = query;
  for (const char* t : {"type:ticket", "type:tickets"}) {
    for (auto p = q.find(t); p != std::string::npos; p = q.find(t)) q.erase(p, std::string(t).size());
  }
  while (!q.empty() && q.front() == ' ') q.erase(q.begin());
  while (!q.empty() && q.back() == ' ') q.pop_back();
  // 1,000 a page, the most search/export allows: fewest requests on its 100/min bucket.
  std::string path = "/api/v2/search/export.json?query=" + UrlEncode(q) + "&filter%5Btype%5D=ticket&" +
                     PageParams(1000, after_cursor);
  return impl_->GetParsed<CursorPage<Ticket>>(path, Bucket::kSearchExport, ParseSearchTicketsPage);
}

Result<std::vector<Ticket>> Client::SearchRecentTickets(const std::string& query, int per_page) {
  std::string path =
      "/api/v2/search.json?query=" + UrlEncode("type:ticket " + query) +
      "&sort_by=updated_at&sort_order=desc&per_page=" + std::to_string(std::clamp(per_page, 1, 100));
  SK_ASSIGN_OR_RETURN(auto page,
                      impl_->GetParsed<CursorPage<Ticket>>(path, Bucket::kAccount, ParseSearchResultsPage));
  return std::move(page.items);
}

Result<JobStatus> Client::UpdateManyTickets(const std::vector<int64_t>& ids, const nlohmann::json& ticket) {
  if (ids.empty()) return InvalidArgument("update_many needs at least one ticket id");
  if (ids.size() > 100) return InvalidArgument("update_many takes at most 100 ticket ids per call");
  std::string list;
  for (int64_t id : ids) {
    if (!list.empty()) list += ",";
    list += std::to_string(id);
  }
  auto r = Send("PUT", "/api/v2/tickets/update_many.json?ids=" + list, Wrap("ticket", ticket));
  if (!r.ok()) return r.status();
  return ParseJobStatusResponse(r->body);
}

Result<JobStatus> Client::GetJobStatus(const std::string& id) {
  return impl_->GetParsed<JobStatus>("/api/v2/job_statuses/" + UrlEncode(id) + ".json", Bucket::kAccount,
                                     ParseJobStatusResponse);
}

}  // namespace sk::zendesk
