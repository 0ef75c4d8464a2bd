#include "zendesk/rate_limiter.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace sk::zendesk {
namespace {

constexpr double kDefaultWindow = 60.0;  // Zendesk limits are per minute
constexpr double kMaxPacingSleep = 600.0;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<double> Number(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int> Int(std::string_view s) {
  auto d = Number(s);
  if (!d || *d < 0 || *d > 1e9) return std::nullopt;
  return static_cast<int>(*d);
}

// Seconds from now: a number of seconds, or an HTTP date.
std::optional<double> Seconds(std::string_view s, double now_unix) {
  if (auto d = Number(s)) return std::max(0.0, *d);
  std::string str(Trim(s));
  time_t t = curl_getdate(str.c_str(), nullptr);
  if (t == -1) return std::nullopt;
  return std::max(0.0, static_cast<double>(t) - now_unix);
}

const std::string* Find(const std::map<std::string, std::string>& h, const char* key) {
  auto it = h.find(key);
  return it == h.end() ? nullptr : &it->second;
}

// "total=10; remaining=9; resets=42"
RateWindow ParseBucketValue(std::string_view v) {
  RateWindow w;
  while (!v.empty()) {
    auto semi = v.find_first_of(";,");
    std::string_view part = Trim(v.substr(0, semi));
    v = semi == std::string_view::npos ? std::string_view() : v.substr(semi + 1);
    auto eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(Trim(part.substr(0, eq)));
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view val = Trim(part.substr(eq + 1));
    if (key == "total" || key == "limit")
      w.limit = Int(val);
    else if (key == "remaining")
      w.remaining = Int(val);
    else if (key == "resets" || key == "reset")
      w.reset_seconds = Number(val);
  }
  return w;
}

}  // namespace

RateLimitHeaders ParseRateLimitHeaders(const std::map<std::string, std::string>& headers, double now_unix) {
  RateLimitHeaders out;
  // Oldest family first so newer ones overwrite.
  if (auto v = Find(headers, "x-rate-limit")) out.account.limit = Int(*v);
  if (auto v = Find(headers, "x-rate-limit-remaining")) out.account.remaining = Int(*v);
  for (const char* prefix : {"rate-limit", "ratelimit"}) {
    std::string p(prefix);
    if (auto v = Find(headers, (p + "-limit").c_str()); v && Int(*v)) out.account.limit = Int(*v);
    if (p == "rate-limit") {
      if (auto v = Find(headers, "rate-limit"); v && Int(*v)) out.account.limit = Int(*v);
    }
    if (auto v = Find(headers, (p + "-remaining").c_str()); v && Int(*v)) out.account.remaining = Int(*v);
    if (auto v = Find(headers, (p + "-reset").c_str())) {
      if (auto s = Seconds(*v, now_unix)) out.account.reset_seconds = s;
    }
  }
  for (const auto& [name, value] : headers) {
    // 2024+ spelling, and the 2023 one with a hyphen in "rate-limit" (zenpy recordings).
    for (std::string_view prefix : {"zendesk-ratelimit-", "x-zendesk-ratelimit-", "zendesk-rate-limit-"}) {
      if (name.size() > prefix.size() && std::string_view(name).starts_with(prefix)) {
        out.named[name.substr(prefix.size())] = ParseBucketValue(value);
      }
    }
  }
  if (auto v = Find(headers, "retry-after")) out.retry_after = Seconds(*v, now_unix);
  return out;
}

std::optional<Bucket> BucketForHeaderName(std::string_view name) {
  if (name == "incremental-exports") return Bucket::kIncremental;
  if (name == "incremental-exports-cursor") return Bucket::kIncrementalCursor;
  if (name == "deleted-tickets-index") return Bucket::kDeletedTickets;
  if (name == "search-export" || name == "search-export-index") return Bucket::kSearchExport;
  if (name == "create-update-user" || name == "users-update") return Bucket::kUserUpdate;
  if (name.starts_with("help-center") || name.starts_with("hc-")) return Bucket::kHelpCenter;
  return std::nullopt;
}

double BackoffSeconds(int retry, double unit_random) {
  double base = std::min(64.0, std::pow(2.0, std::clamp(retry, 0, 6)));
  return base * (0.8 + 0.4 * unit_random);
}

double RetryAfterSeconds(double retry_after, double unit_random) {
  return std::max(0.0, retry_after) * (1.0 + 0.1 * unit_random);
}

RateLimiter::RateLimiter(int budget_percent) : budget_percent_(std::clamp(budget_percent, 1, 100)) {}

double RateLimiter::DelayFor(const State& s, double now) const {
  if (!s.limit || !s.remaining || *s.limit <= 0) return 0;
  double floor = *s.limit * (100.0 - budget_percent_) / 100.0;
  // At 100 %: a reserve of 2 % in whole requests (14 of the account's 700),
  // none for a bucket under 50 a minute: a reserve of one of the incremental
  // exports' 10 cost a tenth of the backfill's time (issue #19).
  if (budget_percent_ >= 100) floor = std::floor(*s.limit * 0.02);
  // Sending one request must keep remaining-1 >= floor.
  if (*s.remaining - 1 >= floor) return 0;
  if (s.reset_at <= now) return 0;  // the window has reset since we looked
  return std::min(kMaxPacingSleep, s.reset_at - now);
}

double RateLimiter::DelayBefore(Bucket bucket, double now) const {
  double delay = 0;
  if (auto it = states_.find(bucket); it != states_.end()) delay = DelayFor(it->second, now);
  if (bucket != Bucket::kAccount && bucket != Bucket::kHelpCenter) {
    if (auto it = states_.find(Bucket::kAccount); it != states_.end())
      delay = std::max(delay, DelayFor(it->second, now));
  }
  return delay;
}

void RateLimiter::NoteSent(Bucket bucket, double now) {
  Tally& t = tallies_[bucket];
  if (auto it = states_.find(bucket);
      it != states_.end() && it->second.window > 0 && it->second.reset_at <= now) {
    // A learned window begins with this request.
    State& s = it->second;
    s.remaining = s.limit;
    s.reset_at = now + s.window;
    t.sent = 0;
  }
  if (t.sent++ == 0) t.since = now;
  auto dec = [now](State& s) {
    if (s.reset_at > 0 && s.reset_at <= now && s.limit) s.remaining = s.limit;  // window rolled over
    if (s.remaining && *s.remaining > 0) s.remaining = *s.remaining - 1;
  };
  if (auto it = states_.find(bucket); it != states_.end()) dec(it->second);
  if (bucket != Bucket::kAccount && bucket != Bucket::kHelpCenter) {
    if (auto it = states_.find(Bucket::kAccount); it != states_.end()) dec(it->second);
  }
}

void RateLimiter::AssumeWaited(Bucket bucket, double until, bool force) {
  auto refill = [until, force](State& s) {
    if (force || (s.reset_at > 0 && s.reset_at <= until + 1e-6)) {
      s.remaining = s.limit;
      s.reset_at = 0;
    }
  };
  if (auto it = states_.find(bucket); it != states_.end()) refill(it->second);
  if (auto it = states_.find(Bucket::kAccount); it != states_.end()) refill(it->second);
}

void RateLimiter::Update(State& s, const RateWindow& w, double now) {
  if (w.limit || w.remaining) s.window = 0;  // Zendesk tells: nothing learned applies
  if (w.limit) s.limit = w.limit;
  // An answer about the window already known (same reset, to the second) that
  // says more remain than counted here is older than what was sent since
  // (threads share the client; answers overtake each other): keep the count.
  const bool same_window = w.reset_seconds && s.remaining && s.reset_at > now &&
                           std::abs(now + *w.reset_seconds - s.reset_at) < 1.5;
  if (w.remaining) s.remaining = same_window ? std::min(*s.remaining, *w.remaining) : *w.remaining;
  if (w.reset_seconds) {
    s.reset_at = now + *w.reset_seconds;
  } else if (w.remaining && (s.reset_at <= now)) {
    s.reset_at = now + kDefaultWindow;  // unknown reset: assume a one-minute window
  }
}

void RateLimiter::Observe(Bucket bucket, const RateLimitHeaders& h, double now) {
  bool has_account = h.account.limit || h.account.remaining;
  if (has_account) {
    // Help Center reports its own limits in the generic headers.
    Update(states_[bucket == Bucket::kHelpCenter ? Bucket::kHelpCenter : Bucket::kAccount], h.account, now);
  }
  for (const auto& [name, w] : h.named) {
    if (auto b = BucketForHeaderName(name)) Update(states_[*b], w, now);
  }
}

void RateLimiter::Discount(Bucket bucket, int n) {
  auto it = states_.find(bucket);
  if (n <= 0 || it == states_.end() || !it->second.remaining) return;
  it->second.remaining = std::max(0, *it->second.remaining - n);
}

void RateLimiter::NoteRateLimited(Bucket bucket, const RateLimitHeaders& h, double now) {
  if (bucket == Bucket::kAccount) return;
  for (const auto& [name, w] : h.named)
    if (BucketForHeaderName(name) == bucket) return;  // Zendesk said which window: nothing to learn
  if (h.account.remaining && *h.account.remaining == 0) return;  // the account window explains it
  if (auto it = states_.find(bucket); it != states_.end() && it->second.window == 0 && it->second.limit)
    return;
  Tally& t = tallies_[bucket];
  const double wait = h.retry_after.value_or(h.account.reset_seconds.value_or(kDefaultWindow));
  State& s = states_[bucket];
  s.limit = std::max(1, t.sent - 1);  // the last one was refused
  s.remaining = 0;
  s.reset_at = now + wait;
  s.window = std::max(1.0, s.reset_at - (t.sent > 0 ? t.since : now));
  t.sent = 0;
}

const RateLimiter::State* RateLimiter::StateOf(Bucket bucket) const {
  auto it = states_.find(bucket);
  return it == states_.end() ? nullptr : &it->second;
}

}  // namespace sk::zendesk
