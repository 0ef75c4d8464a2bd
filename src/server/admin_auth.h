// The web UI's admin login: the admin password (an Argon2id hash from
// libsodium's crypto_pwhash_str, kept in the store's key/value table), and
// the sessions a successful login creates, each with its own CSRF token,
// kept in the store too (so every server on the store shares them and a
// restart keeps them), and the OAuth connect attempts a session started.
#pragma once

#include <condition_variable>
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
// A counter bumped by every password change: sessions of an older epoch are void.
inline constexpr const char* kSessionEpochKey = "session_epoch";

// `bytes` random bytes from libsodium, hex encoded (2 * bytes characters).
std::string RandomHex(size_t bytes);
// `bytes` random bytes, base64url without padding (PKCE verifier, state).
std::string RandomUrlToken(size_t bytes);
// Constant-time comparison of two strings.
bool SecureEquals(const std::string& a, const std::string& b);

// Hashes `password` and stores the hash, ending every session (on every
// server sharing the store). kInvalidArgument when the password is shorter
// than 8 characters or longer than 1024.
Status SetAdminPassword(store::Store& store, const std::string& password);
// Whether an admin password has been set.
Result<bool> HasAdminPassword(store::Store& store);
// True when `password` matches the stored hash; false when it does not or no
// password is set.
Result<bool> VerifyAdminPassword(store::Store& store, const std::string& password);

// Slows down password guessing and bounds its cost. Every attempt counts
// before its password is checked: an address with `per_address` attempts in
// the last `window_seconds`, or any attempt once all addresses together made
// `total` (the ceiling a many-address attacker meets), is refused without a
// check; a right password clears its address's count. At most
// `concurrent_checks` checks (64 MiB each) run at once; others wait their
// turn. Thread-safe.
class LoginThrottle {
 public:
  explicit LoginThrottle(int per_address = 10, int total = 100, int64_t window_seconds = 60,
                         int concurrent_checks = 2)
      : per_address_(per_address),
        total_(total),
        window_seconds_(window_seconds),
        free_checks_(concurrent_checks) {}
  // Counts an attempt from `address`; false (not counted) when over a limit.
  bool Begin(const std::string& address);
  void Succeeded(const std::string& address);

  // Holds one of the password-check slots while it lives.
  class Check {
   public:
    explicit Check(LoginThrottle& t);
    ~Check();
    Check(const Check&) = delete;
    Check& operator=(const Check&) = delete;

   private:
    LoginThrottle& t_;
  };

 private:
  void Sweep(int64_t now);
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::pair<int64_t, std::string>> attempts_;  // steady-clock seconds, address
  int per_address_;
  int total_;
  int64_t window_seconds_;
  int free_checks_;
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
};

// Sessions in the store's key/value table (account kAdminAccount): the key
// is the SHA-256 of the session id (the cookie), so the table holds nothing
// a client could present; each record has the CSRF token, creation and last
// use times and the password epoch it was made under. Any server on the same
// store finds them; a restart keeps them; logging out, expiry and a password
// change end them. Pending OAuth connects stay in this process's memory.
// Thread-safe.
class SessionStore {
 public:
  // idle: a session unused this long expires; absolute: no session lives longer.
  explicit SessionStore(store::Store* store, int64_t idle_seconds = 8 * 3600,
                        int64_t absolute_seconds = 24 * 3600);

  Result<Session> Create();
  // The live session with this id (touching it now and then), or nullopt.
  std::optional<Session> Find(const std::string& id);
  void Destroy(const std::string& id);
  // Sessions this process created or served that have not expired.
  size_t size();

  // Remembers a connect attempt under `state` (at most 5 per session, the
  // oldest dropped; attempts expire after 10 minutes).
  void AddPending(const std::string& session_id, const std::string& state, PendingConnect p);
  // Removes and returns the attempt: each state can be used once.
  std::optional<PendingConnect> TakePending(const std::string& session_id, const std::string& state);

 private:
  bool Expired(const Session& s, UnixTime now) const;

  store::Store* store_;
  std::mutex mu_;
  std::map<std::string, UnixTime> seen_;  // session key -> last use, for size()
  std::map<std::string, std::map<std::string, PendingConnect>> pending_;  // by session key, state
  int64_t idle_seconds_;
  int64_t absolute_seconds_;
};

}  // namespace sk::server
