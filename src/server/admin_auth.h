// The web UI's admin login: the admin password (an Argon2id hash from
// libsodium's crypto_pwhash_str, kept in the store's key/value table), and
// the in-memory sessions a successful login creates, each with its own CSRF
// token and the OAuth connect attempts it started.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/status.h"
#include "util/time.h"

namespace sk::server {

// The store account and key under which the admin password hash is kept.
inline constexpr const char* kAdminAccount = "_server";
inline constexpr const char* kAdminPasswordKey = "admin_password";

// `bytes` random bytes from libsodium, hex encoded (2 * bytes characters).
std::string RandomHex(size_t bytes);
// `bytes` random bytes, base64url without padding (PKCE verifier, state).
std::string RandomUrlToken(size_t bytes);
// Constant-time comparison of two strings.
bool SecureEquals(const std::string& a, const std::string& b);

// Hashes `password` and stores the hash. kInvalidArgument when the password
// is shorter than 8 characters or longer than 1024.
Status SetAdminPassword(store::Store& store, const std::string& password);
// Whether an admin password has been set.
Result<bool> HasAdminPassword(store::Store& store);
// True when `password` matches the stored hash; false when it does not or no
// password is set.
Result<bool> VerifyAdminPassword(store::Store& store, const std::string& password);

// Slows down password guessing: after `max_failures` wrong passwords within
// `window_seconds`, logins are refused until the window has passed.
// Thread-safe.
class LoginThrottle {
 public:
  explicit LoginThrottle(int max_failures = 10, int64_t window_seconds = 60)
      : max_failures_(max_failures), window_seconds_(window_seconds) {}
  bool Allow();
  void Failed();
  void Succeeded();

 private:
  std::mutex mu_;
  std::vector<int64_t> failures_;  // steady-clock seconds
  int max_failures_;
  int64_t window_seconds_;
};

// An OAuth authorization-code flow started from a session (see oauth_flow.h).
struct PendingConnect {
  std::string account = "default";  // the store's name for the connection
  std::string url;                  // validated Zendesk base URL
  std::string permission;           // read | read-write
  std::string timezone = "UTC";
  std::string client_id;
  std::string client_secret;
  std::string code_verifier;  // PKCE
  std::string redirect_uri;
  UnixTime created_at = 0;
};

struct Session {
  std::string id;          // the cookie value (random 32 bytes, hex)
  std::string csrf_token;  // random 32 bytes, hex; sent back as X-CSRF-Token
  UnixTime created_at = 0;
  UnixTime last_seen = 0;
  std::map<std::string, PendingConnect> pending;  // by OAuth state
};

// Sessions in memory (a restart logs everyone out). Thread-safe.
class SessionStore {
 public:
  // idle: a session unused this long expires; absolute: no session lives longer.
  SessionStore(int64_t idle_seconds = 8 * 3600, int64_t absolute_seconds = 24 * 3600);

  Session Create();
  // The live session with this id (touching it), or nullopt.
  std::optional<Session> Find(const std::string& id);
  void Destroy(const std::string& id);
  size_t size();

  // Remembers a connect attempt under `state` (at most 5 per session, the
  // oldest dropped; attempts expire after 10 minutes).
  void AddPending(const std::string& session_id, const std::string& state, PendingConnect p);
  // Removes and returns the attempt: each state can be used once.
  std::optional<PendingConnect> TakePending(const std::string& session_id, const std::string& state);

 private:
  bool Expired(const Session& s, UnixTime now) const;
  void Sweep(UnixTime now);

  std::mutex mu_;
  std::map<std::string, Session> sessions_;
  int64_t idle_seconds_;
  int64_t absolute_seconds_;
};

}  // namespace sk::server
