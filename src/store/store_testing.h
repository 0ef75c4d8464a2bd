// Rows the tests of every directory store (connections, audit entries),
// built in one place: a test states only what it is about.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "store/open.h"
#include "store/store.h"

namespace sk::store::testing {

// A connection of `account` at `url`: `auth_kind` with the token `secret`, in `state`.
inline Connection TestConnection(const std::string& account = "default",
                                 const std::string& url = "https://acme.zendesk.com",
                                 const std::string& auth_kind = "oauth", const std::string& secret = "t",
                                 const std::string& state = "synced") {
  return Connection{.account = account, .url = url, .auth_kind = auth_kind, .secret = secret, .state = state};
}

// An OAuth connection of `account` holding a token pair (and a client secret).
inline Connection OAuthConnection(const std::string& access, const std::string& refresh,
                                  const std::string& client_secret = "",
                                  const std::string& account = "default",
                                  const std::string& url = "https://acme.zendesk.com") {
  Connection c = TestConnection(account, url, "oauth", access, "connected");
  c.refresh_token = refresh;
  c.client_secret = client_secret;
  return c;
}

// A connection with every setting away from its default (codec round trips).
inline Connection FullConnection() {
  Connection c =
      OAuthConnection("very-secret-access-token-123", "very-secret-refresh-456", "very-secret-client-789");
  c.client_id = "cid";
  c.permission = "read-write";
  c.timezone = "Europe/Berlin";
  c.api_budget = 40;
  c.window_days = 30;
  c.plan = "enterprise";
  c.connecting_user_id = 42;
  c.connecting_user_email = "admin@acme.test";
  c.preflight_json = R"([{"check":"x","detail":"d","ok":true}])";
  c.capabilities_json = R"({"audit_logs":true})";
  c.last_sync_at = 1700000000;
  c.connected_at = 1690000000;
  return c;
}

// An audit entry of `account`: `actor` did `action` to `target`, with that before/after and result.
inline AuditEntry TestAudit(const std::string& account, const std::string& action,
                            const std::string& before_json, const std::string& after_json,
                            const std::string& result, const std::string& target = "user:42",
                            const std::string& actor = "cli:test") {
  return AuditEntry{.account = account,
                    .actor = actor,
                    .action = action,
                    .target = target,
                    .before_json = before_json,
                    .after_json = after_json,
                    .result = result};
}

// A home folder of the test's own (temp/<prefix>-<pid>-<n>, empty at first,
// removed when it goes) and an SQLite store in it, the way `seatkeeper` opens one.
class ScratchHome {
 public:
  explicit ScratchHome(const std::string& prefix) {
    static int counter = 0;
    path_ = (std::filesystem::temp_directory_path() /
             (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchHome() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchHome(const ScratchHome&) = delete;
  ScratchHome& operator=(const ScratchHome&) = delete;

  const std::string& path() const { return path_; }
  // The store at <home>/seatkeeper.db, sealed with the key beside it.
  Result<std::unique_ptr<Store>> OpenStore() const { return OpenSqlite(path_ + "/seatkeeper.db", path_); }

 private:
  std::string path_;
};

}  // namespace sk::store::testing
