#include "server/admin_auth.h"

#include <sodium.h>

#include <chrono>
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
  return store.PutValue(kAdminAccount, kAdminPasswordKey, hash);
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

bool LoginThrottle::Allow() {
  std::lock_guard lock(mu_);
  const int64_t now = SteadySeconds();
  std::erase_if(failures_, [&](int64_t t) { return now - t >= window_seconds_; });
  return static_cast<int>(failures_.size()) < max_failures_;
}

void LoginThrottle::Failed() {
  std::lock_guard lock(mu_);
  failures_.push_back(SteadySeconds());
}

void LoginThrottle::Succeeded() {
  std::lock_guard lock(mu_);
  failures_.clear();
}

SessionStore::SessionStore(int64_t idle_seconds, int64_t absolute_seconds)
    : idle_seconds_(idle_seconds), absolute_seconds_(absolute_seconds) {}

bool SessionStore::Expired(const Session& s, UnixTime now) const {
  return now - s.last_seen > idle_seconds_ || now - s.created_at > absolute_seconds_;
}

void SessionStore::Sweep(UnixTime now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (Expired(it->second, now)) {
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

Session SessionStore::Create() {
  Session s;
  s.id = RandomHex(32);
  s.csrf_token = RandomHex(32);
  s.created_at = s.last_seen = WallNow();
  std::lock_guard lock(mu_);
  Sweep(s.created_at);
  sessions_[s.id] = s;
  return s;
}

std::optional<Session> SessionStore::Find(const std::string& id) {
  if (id.empty()) return std::nullopt;
  const UnixTime now = WallNow();
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (Expired(it->second, now)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen = now;
  return it->second;
}

void SessionStore::Destroy(const std::string& id) {
  std::lock_guard lock(mu_);
  sessions_.erase(id);
}

size_t SessionStore::size() {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

void SessionStore::AddPending(const std::string& session_id, const std::string& state, PendingConnect p) {
  const UnixTime now = WallNow();
  p.created_at = now;
  std::lock_guard lock(mu_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;
  auto& pending = it->second.pending;
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
  std::lock_guard lock(mu_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || state.empty()) return std::nullopt;
  auto pi = it->second.pending.find(state);
  if (pi == it->second.pending.end()) return std::nullopt;
  PendingConnect p = std::move(pi->second);
  it->second.pending.erase(pi);
  if (now - p.created_at > kPendingLifetime) return std::nullopt;
  return p;
}

}  // namespace sk::server
