#include "server/admin_auth.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

namespace sk::server {

// A pending connect as sealed (created_at is kept beside it): every field by
// its name; a missing one keeps PendingConnect's default.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PendingConnect, account, url, permission, timezone, client_id,
                                                client_secret, code_verifier, redirect_uri)
Status EndAllSessions(store::Store& store);

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
  // Every session made under the old password ends: the epoch voids them on
  // every server at once, then their rows are deleted.
  SK_ASSIGN_OR_RETURN(auto epoch, store.GetValue(kAdminAccount, kSessionEpochKey));
  int64_t n = 0;
  if (epoch && !epoch->empty()) n = std::strtoll(epoch->c_str(), nullptr, 10);
  SK_RETURN_IF_ERROR(store.PutValue(kAdminAccount, kSessionEpochKey, std::to_string(n + 1)));
  return EndAllSessions(store);
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

std::string Sha256Hex(const std::string& text) {
  InitSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return hex;
}

constexpr const char* kSessionPrefix = "session:";
constexpr const char* kPendingPrefix = "oauth_state:";

// The current kSessionGenerationKey ("" before any session ended).
std::string Generation(store::Store& store) {
  auto v = store.GetValue(kAdminAccount, kSessionGenerationKey);
  return v.ok() && *v ? **v : std::string();
}

// Tells every server that a session ended (see Cached).
Status NewGeneration(store::Store& store) {
  return store.PutValue(kAdminAccount, kSessionGenerationKey, RandomHex(8));
}

Result<int64_t> SessionEpoch(store::Store& store) {
  SK_ASSIGN_OR_RETURN(auto v, store.GetValue(kAdminAccount, kSessionEpochKey));
  if (!v || v->empty()) return int64_t{0};
  return static_cast<int64_t>(std::strtoll(v->c_str(), nullptr, 10));
}

// A session's stored last use is refreshed at most this often (a write per
// request would cost more than the request).
constexpr int64_t kTouchEvery = 60;
constexpr size_t kMaxCached = 4096;

// Deletes every row of kAdminAccount under `prefix` for which `gone` holds.
Result<size_t> DeleteRows(store::Store& store, const char* prefix,
                          const std::function<bool(const nlohmann::json&)>& gone) {
  SK_ASSIGN_OR_RETURN(auto rows, store.ListValues(kAdminAccount, prefix));
  size_t n = 0;
  for (const auto& [key, value] : rows) {
    const auto record = nlohmann::json::parse(value, nullptr, false);
    if (record.is_object() && !gone(record)) continue;
    SK_RETURN_IF_ERROR(store.TakeValue(kAdminAccount, key).status());
    ++n;
  }
  return n;
}

// The key that seals a pending connect: derived from its state, which only
// the browser (and Zendesk's redirect) carries, never from what is stored.
std::vector<unsigned char> PendingSealKey(const std::string& state) {
  InitSodium();
  static const std::string kContext = "seatkeeper oauth pending connect v1";
  std::vector<unsigned char> key(crypto_secretbox_KEYBYTES);
  crypto_generichash(key.data(), key.size(), reinterpret_cast<const unsigned char*>(state.data()),
                     state.size(), reinterpret_cast<const unsigned char*>(kContext.data()), kContext.size());
  return key;
}

std::string SealPending(const PendingConnect& p, const std::string& state) {
  const std::string plain = nlohmann::json(p).dump();
  const auto key = PendingSealKey(state);
  std::vector<unsigned char> out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size());
  randombytes_buf(out.data(), crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(out.data() + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plain.data()), plain.size(), out.data(),
                        key.data());
  std::string hex(out.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), out.data(), out.size());
  hex.resize(out.size() * 2);
  return hex;
}

std::optional<PendingConnect> OpenPending(const std::string& hex, const std::string& state) {
  std::vector<unsigned char> sealed(hex.size() / 2);
  size_t len = 0;
  if (sodium_hex2bin(sealed.data(), sealed.size(), hex.data(), hex.size(), nullptr, &len, nullptr) != 0 ||
      len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    return std::nullopt;
  const auto key = PendingSealKey(state);
  std::string plain(len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 sealed.data() + crypto_secretbox_NONCEBYTES,
                                 len - crypto_secretbox_NONCEBYTES, sealed.data(), key.data()) != 0)
    return std::nullopt;
  const auto j = nlohmann::json::parse(plain, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j.get<PendingConnect>();
}

}  // namespace

std::string SessionStore::KeyOf(const std::string& session_id) {
  return kSessionPrefix + Sha256Hex(session_id);
}

std::string SessionStore::PendingKeyOf(const std::string& state) {
  return kPendingPrefix + Sha256Hex(state);
}

Status EndAllSessions(store::Store& store) {
  SK_RETURN_IF_ERROR(NewGeneration(store));
  SK_RETURN_IF_ERROR(DeleteRows(store, kSessionPrefix, [](const nlohmann::json&) { return true; }).status());
  return DeleteRows(store, kPendingPrefix, [](const nlohmann::json&) { return true; }).status();
}

SessionStore::SessionStore(store::Store* store, int64_t idle_seconds, int64_t absolute_seconds,
                           int cache_seconds)
    : store_(store),
      idle_seconds_(idle_seconds),
      absolute_seconds_(absolute_seconds),
      cache_seconds_(cache_seconds) {}

bool SessionStore::Expired(const Session& s, UnixTime now) const {
  return now - s.last_seen > idle_seconds_ || now - s.created_at > absolute_seconds_;
}

Result<size_t> SessionStore::Prune() {
  SK_ASSIGN_OR_RETURN(int64_t epoch, SessionEpoch(*store_));
  const UnixTime now = WallNow();
  SK_ASSIGN_OR_RETURN(size_t sessions, DeleteRows(*store_, kSessionPrefix, [&](const nlohmann::json& r) {
                        Session s;
                        s.created_at = r.value("created_at", int64_t{0});
                        s.last_seen = r.value("last_seen", int64_t{0});
                        return r.value("epoch", int64_t{-1}) != epoch || Expired(s, now);
                      }));
  if (sessions > 0) SK_RETURN_IF_ERROR(NewGeneration(*store_));
  SK_ASSIGN_OR_RETURN(size_t pending, DeleteRows(*store_, kPendingPrefix, [&](const nlohmann::json& r) {
                        return now - r.value("created_at", int64_t{0}) > kPendingLifetime;
                      }));
  return sessions + pending;
}

Result<Session> SessionStore::Create() {
  SK_RETURN_IF_ERROR(Prune().status());
  Session s;
  s.id = RandomHex(32);
  s.csrf_token = RandomHex(32);
  s.created_at = s.last_seen = WallNow();
  SK_ASSIGN_OR_RETURN(int64_t epoch, SessionEpoch(*store_));
  const nlohmann::json record = {
      {"csrf", s.csrf_token}, {"created_at", s.created_at}, {"last_seen", s.last_seen}, {"epoch", epoch}};
  const std::string generation = Generation(*store_);
  const std::string key = KeyOf(s.id);
  SK_RETURN_IF_ERROR(store_->PutValue(kAdminAccount, key, record.dump()));
  Remember(key, s, generation);
  return s;
}

void SessionStore::Remember(const std::string& key, const Session& s, const std::string& generation) {
  const int64_t steady = SteadySeconds();
  std::lock_guard lock(mu_);
  seen_[key] = s.last_seen;
  if (cache_seconds_ <= 0) return;
  if (cache_.size() >= kMaxCached) {
    std::erase_if(cache_, [&](const auto& kv) { return steady - kv.second.cached_at >= cache_seconds_; });
    if (cache_.size() >= kMaxCached) cache_.clear();
  }
  cache_[key] = Cached{s, generation, steady};
}

std::optional<Session> SessionStore::FindCached(const std::string& key, const std::string& id) {
  Cached c;
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it == cache_.end()) return std::nullopt;
    if (SteadySeconds() - it->second.cached_at >= cache_seconds_ || it->second.session.id != id) {
      cache_.erase(it);
      return std::nullopt;
    }
    c = it->second;
  }
  // A logout or a password change on any server replaced the generation:
  // the row decides then.
  const UnixTime now = WallNow();
  if (Generation(*store_) != c.generation || Expired(c.session, now) ||
      now - c.session.last_seen >= kTouchEvery) {
    std::lock_guard lock(mu_);
    cache_.erase(key);
    return std::nullopt;  // the store decides
  }
  return c.session;
}

std::optional<Session> SessionStore::Find(const std::string& id) {
  if (id.empty() || id.size() > 128) return std::nullopt;
  const std::string key = KeyOf(id);
  if (auto cached = FindCached(key, id)) return cached;
  // Read before the row: a session ended after this read is not cached as live.
  const std::string generation = cache_seconds_ > 0 ? Generation(*store_) : std::string();
  auto v = store_->GetValue(kAdminAccount, key);
  if (!v.ok() || !*v) return std::nullopt;
  auto record = nlohmann::json::parse(**v, nullptr, false);
  Session s;
  s.id = id;
  if (record.is_object()) {
    s.csrf_token = record.value("csrf", "");
    s.created_at = record.value("created_at", int64_t{0});
    s.last_seen = record.value("last_seen", int64_t{0});
  }
  auto epoch = SessionEpoch(*store_);
  const UnixTime now = WallNow();
  if (!epoch.ok()) return std::nullopt;
  if (!record.is_object() || record.value("epoch", int64_t{-1}) != *epoch || s.csrf_token.empty() ||
      Expired(s, now)) {
    Destroy(id);
    return std::nullopt;
  }
  if (now - s.last_seen >= kTouchEvery) {
    s.last_seen = now;
    record["last_seen"] = now;
    (void)store_->PutValue(kAdminAccount, key, record.dump());
  }
  Remember(key, s, generation);
  return s;
}

void SessionStore::Destroy(const std::string& id) {
  if (id.empty() || id.size() > 128) return;
  const std::string key = KeyOf(id);
  auto taken = store_->TakeValue(kAdminAccount, key);
  if (taken.ok() && *taken) (void)NewGeneration(*store_);
  std::lock_guard lock(mu_);
  seen_.erase(key);
  cache_.erase(key);
}

size_t SessionStore::size() {
  const UnixTime now = WallNow();
  std::lock_guard lock(mu_);
  std::erase_if(seen_, [&](const auto& kv) { return now - kv.second > idle_seconds_; });
  return seen_.size();
}

Status SessionStore::AddPending(const std::string& session_id, const std::string& state, PendingConnect p) {
  const UnixTime now = WallNow();
  const std::string session = KeyOf(session_id);
  // Lapsed attempts go; of this session's, the oldest beyond the cap.
  SK_RETURN_IF_ERROR(DeleteRows(*store_, kPendingPrefix, [&](const nlohmann::json& r) {
                       return now - r.value("created_at", int64_t{0}) > kPendingLifetime;
                     }).status());
  SK_ASSIGN_OR_RETURN(auto rows, store_->ListValues(kAdminAccount, kPendingPrefix));
  std::vector<std::pair<int64_t, std::string>> mine;  // created_at, key
  for (const auto& [key, value] : rows) {
    const auto r = nlohmann::json::parse(value, nullptr, false);
    if (r.is_object() && r.value("session", "") == session)
      mine.emplace_back(r.value("created_at", int64_t{0}), key);
  }
  std::sort(mine.begin(), mine.end());
  for (size_t i = 0; i + kMaxPendingPerSession <= mine.size(); ++i)
    SK_RETURN_IF_ERROR(store_->TakeValue(kAdminAccount, mine[i].second).status());
  const nlohmann::json record = {
      {"session", session}, {"created_at", now}, {"sealed", SealPending(p, state)}};
  return store_->PutValue(kAdminAccount, PendingKeyOf(state), record.dump());
}

std::optional<PendingConnect> SessionStore::TakePending(const std::string& session_id,
                                                        const std::string& state) {
  if (state.empty() || state.size() > 256 || session_id.empty()) return std::nullopt;
  const std::string key = PendingKeyOf(state);
  // Another session presenting the state does not use it up; of several
  // servers taking it at once, one gets it.
  auto seen = store_->GetValue(kAdminAccount, key);
  if (!seen.ok() || !*seen) return std::nullopt;
  const auto mine = nlohmann::json::parse(**seen, nullptr, false);
  if (!mine.is_object() || !SecureEquals(mine.value("session", ""), KeyOf(session_id))) return std::nullopt;
  auto v = store_->TakeValue(kAdminAccount, key);
  if (!v.ok() || !*v) return std::nullopt;
  const auto r = nlohmann::json::parse(**v, nullptr, false);
  if (!r.is_object() || !SecureEquals(r.value("session", ""), KeyOf(session_id))) return std::nullopt;
  if (WallNow() - r.value("created_at", int64_t{0}) > kPendingLifetime) return std::nullopt;
  return OpenPending(r.value("sealed", ""), state);
}

}  // namespace sk::server
