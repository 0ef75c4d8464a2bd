#include "server/admin_auth.h"

#include <sodium.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <vector>

namespace sk::server {
namespace {

constexpr int64_t kPendingLifetime = 600;
constexpr size_t kMaxPendingPerSession = 5;

void InitSodium() {
  static const int rc = sodium_init();
  (void)rc;
}

// Sessions use the wall clock, not SEATKEEPER_NOW (which tests pin).
UnixTime WallNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string RandomHex(size_t bytes) {
  InitSodium();
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), buf.data(), buf.size());
  hex.resize(bytes * 2);
  return hex;
}

std::string RandomUrlToken(size_t bytes) {
  InitSodium();
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), buf.data(), buf.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

bool SecureEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status SetAdminPassword(store::Store& store, const std::string& password) {
  InitSodium();
  if (password.size() < 8) return InvalidArgument("the admin password must have at least 8 characters");
  if (password.size() > 1024) return InvalidArgument("the admin password must have at most 1024 characters");
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return Internal("hashing the admin password failed (out of memory)");
  SK_RETURN_IF_ERROR(store.PutValue(kAdminAccount, kAdminPasswordKey, hash));
  // Every session made under the old password ends.
  SK_ASSIGN_OR_RETURN(auto epoch, store.GetValue(kAdminAccount, kSessionEpochKey));
  int64_t n = 0;
  if (epoch && !epoch->empty()) n = std::strtoll(epoch->c_str(), nullptr, 10);
  return store.PutValue(kAdminAccount, kSessionEpochKey, std::to_string(n + 1));
}

Result<bool> HasAdminPassword(store::Store& store) {
  SK_ASSIGN_OR_RETURN(auto v, store.GetValue(kAdminAccount, kAdminPasswordKey));
  return v.has_value() && !v->empty();
}

Result<bool> VerifyAdminPassword(store::Store& store, const std::string& password) {
  InitSodium();
  SK_ASSIGN_OR_RETURN(auto v, store.GetValue(kAdminAccount, kAdminPasswordKey));
  if (!v || v->empty() || v->size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(v->c_str(), password.data(), password.size()) == 0;
}

namespace {
int64_t SteadySeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void LoginThrottle::Sweep(int64_t now) {
  std::erase_if(attempts_, [&](const auto& a) { return now - a.first >= window_seconds_; });
}

bool LoginThrottle::Begin(const std::string& address) {
  std::lock_guard lock(mu_);
  const int64_t now = SteadySeconds();
  Sweep(now);
  if (static_cast<int>(attempts_.size()) >= total_) return false;
  int mine = 0;
  for (const auto& a : attempts_) mine += a.second == address;
  if (mine >= per_address_) return false;
  attempts_.emplace_back(now, address);
  return true;
}

void LoginThrottle::Succeeded(const std::string& address) {
  std::lock_guard lock(mu_);
  std::erase_if(attempts_, [&](const auto& a) { return a.second == address; });
}

LoginThrottle::Check::Check(LoginThrottle& t) : t_(t) {
  std::unique_lock lock(t_.mu_);
  t_.freed_.wait(lock, [&] { return t_.free_checks_ > 0; });
  --t_.free_checks_;
}

LoginThrottle::Check::~Check() {
  {
    std::lock_guard lock(t_.mu_);
    ++t_.free_checks_;
  }
  t_.freed_.notify_one();
}

namespace {

std::string SessionKey(const std::string& id) {
  InitSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(id.data()), id.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return std::string("session:") + hex;
}

Result<int64_t> SessionEpoch(store::Store& store) {
  SK_ASSIGN_OR_RETURN(auto v, store.GetValue(kAdminAccount, kSessionEpochKey));
  if (!v || v->empty()) return int64_t{0};
  return static_cast<int64_t>(std::strtoll(v->c_str(), nullptr, 10));
}

// A session's stored last use is refreshed at most this often (a write per
// request would cost more than the request).
constexpr int64_t kTouchEvery = 60;

}  // namespace

SessionStore::SessionStore(store::Store* store, int64_t idle_seconds, int64_t absolute_seconds)
    : store_(store), idle_seconds_(idle_seconds), absolute_seconds_(absolute_seconds) {}

bool SessionStore::Expired(const Session& s, UnixTime now) const {
  return now - s.last_seen > idle_seconds_ || now - s.created_at > absolute_seconds_;
}

Result<Session> SessionStore::Create() {
  Session s;
  s.id = RandomHex(32);
  s.csrf_token = RandomHex(32);
  s.created_at = s.last_seen = WallNow();
  SK_ASSIGN_OR_RETURN(int64_t epoch, SessionEpoch(*store_));
  const nlohmann::json record = {
      {"csrf", s.csrf_token}, {"created_at", s.created_at}, {"last_seen", s.last_seen}, {"epoch", epoch}};
  const std::string key = SessionKey(s.id);
  SK_RETURN_IF_ERROR(store_->PutValue(kAdminAccount, key, record.dump()));
  std::lock_guard lock(mu_);
  seen_[key] = s.last_seen;
  return s;
}

std::optional<Session> SessionStore::Find(const std::string& id) {
  if (id.empty() || id.size() > 128) return std::nullopt;
  const std::string key = SessionKey(id);
  auto v = store_->GetValue(kAdminAccount, key);
  if (!v.ok() || !*v || (*v)->empty()) return std::nullopt;
  auto record = nlohmann::json::parse(**v, nullptr, false);
  if (!record.is_object()) return std::nullopt;
  Session s;
  s.id = id;
  s.csrf_token = record.value("csrf", "");
  s.created_at = record.value("created_at", int64_t{0});
  s.last_seen = record.value("last_seen", int64_t{0});
  auto epoch = SessionEpoch(*store_);
  const UnixTime now = WallNow();
  if (!epoch.ok() || record.value("epoch", int64_t{-1}) != *epoch || s.csrf_token.empty() ||
      Expired(s, now)) {
    Destroy(id);
    return std::nullopt;
  }
  if (now - s.last_seen >= kTouchEvery) {
    s.last_seen = now;
    record["last_seen"] = now;
    (void)store_->PutValue(kAdminAccount, key, record.dump());
  }
  std::lock_guard lock(mu_);
  seen_[key] = s.last_seen;
  return s;
}

void SessionStore::Destroy(const std::string& id) {
  if (id.empty() || id.size() > 128) return;
  const std::string key = SessionKey(id);
  (void)store_->PutValue(kAdminAccount, key, "");
  std::lock_guard lock(mu_);
  seen_.erase(key);
  pending_.erase(key);
}

size_t SessionStore::size() {
  const UnixTime now = WallNow();
  std::lock_guard lock(mu_);
  std::erase_if(seen_, [&](const auto& kv) { return now - kv.second > idle_seconds_; });
  return seen_.size();
}

void SessionStore::AddPending(const std::string& session_id, const std::string& state, PendingConnect p) {
  const UnixTime now = WallNow();
  p.created_at = now;
  const std::string key = SessionKey(session_id);
  std::lock_guard lock(mu_);
  // Sessions that ended take their attempts with them.
  std::erase_if(pending_, [&](const auto& kv) {
    for (const auto& [st, pc] : kv.second)
      if (now - pc.created_at <= kPendingLifetime) return false;
    return true;
  });
  auto& pending = pending_[key];
  for (auto pi = pending.begin(); pi != pending.end();) {
    if (now - pi->second.created_at > kPendingLifetime) {
      pi = pending.erase(pi);
    } else {
      ++pi;
    }
  }
  while (pending.size() >= kMaxPendingPerSession) {
    auto oldest = pending.begin();
    for (auto pi = pending.begin(); pi != pending.end(); ++pi)
      if (pi->second.created_at < oldest->second.created_at) oldest = pi;
    pending.erase(oldest);
  }
  pending[state] = std::move(p);
}

std::optional<PendingConnect> SessionStore::TakePending(const std::string& session_id,
                                                        const std::string& state) {
  const UnixTime now = WallNow();
  const std::string key = SessionKey(session_id);
  std::lock_guard lock(mu_);
  auto it = pending_.find(key);
  if (it == pending_.end() || state.empty()) return std::nullopt;
  auto pi = it->second.find(state);
  if (pi == it->second.end()) return std::nullopt;
  PendingConnect p = std::move(pi->second);
  it->second.erase(pi);
  if (now - p.created_at > kPendingLifetime) return std::nullopt;
  return p;
}

}  // namespace sk::server
