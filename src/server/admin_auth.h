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
// A random value replaced whenever any session ends (logout, expiry,
// password change): servers holding sessions in memory check it.
inline constexpr const char* kSessionGenerationKey = "session_generation";

// `bytes` random bytes from libsodium, hex encoded (2 * bytes characters).
std::string RandomHex(size_t bytes);
// `bytes` random bytes, base64url without padding (PKCE verifier, state).
std::string RandomUrlToken(size_t bytes);
// Constant-time comparison of two strings.
bool SecureEquals(const std::string& a, const std::string& b);

// Hashes `password` and stores the hash, ending every session (on every
// server sharing the store) and deleting their rows. kInvalidArgument when the password is shorter
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
// change delete them. A session found valid is remembered in this process
// for `cache_seconds`: within that time a request costs one read of the
// store (kSessionGenerationKey, which every ending of a session on any
// server replaces), instead of reading and decoding its row.
//
// Pending OAuth connects are kept in the store too, under the SHA-256 of
// their `state` and sealed with a key derived from the state, so only the
// browser that carries the state back can use them; any server finishes a
// connect another one started, once. Thread-safe.
class SessionStore {
 public:
  // idle: a session unused this long expires; absolute: no session lives longer.
  explicit SessionStore(store::Store* store, int64_t idle_seconds = 8 * 3600,
                        int64_t absolute_seconds = 24 * 3600, int cache_seconds = 5);

  // A new session; also deletes the expired and voided ones from the store.
  Result<Session> Create();
  // The live session with this id (touching it now and then), or nullopt.
  std::optional<Session> Find(const std::string& id);
  // Deletes the session (and forgets it here).
  void Destroy(const std::string& id);
  // Deletes every session row that expired or belongs to an older password
  // epoch, and every lapsed connect attempt. Returns how many rows went.
  Result<size_t> Prune();
  // Sessions this process created or served that have not expired.
  size_t size();

  // Remembers a connect attempt under `state` (at most 5 per session, the
  // oldest dropped; attempts expire after 10 minutes).
  Status AddPending(const std::string& session_id, const std::string& state, PendingConnect p);
  // Removes and returns the attempt: each state can be used once, only by
  // the session that started it, on whichever server.
  std::optional<PendingConnect> TakePending(const std::string& session_id, const std::string& state);

  // The store key of a session id / of an OAuth state (for tests).
  static std::string KeyOf(const std::string& session_id);
  static std::string PendingKeyOf(const std::string& state);

 private:
  struct Cached {
    Session session;
    std::string generation;  // kSessionGenerationKey when the row was read
    int64_t cached_at = 0;   // steady-clock seconds
  };
  bool Expired(const Session& s, UnixTime now) const;
  std::optional<Session> FindCached(const std::string& key, const std::string& id);
  void Remember(const std::string& key, const Session& s, const std::string& generation);

  store::Store* store_;
  std::mutex mu_;
  std::map<std::string, UnixTime> seen_;  // session key -> last use, for size()
  std::map<std::string, Cached> cache_;   // session key -> a session found valid
  int64_t idle_seconds_;
  int64_t absolute_seconds_;
  int cache_seconds_;
};

}  // namespace sk::server
