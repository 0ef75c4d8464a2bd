// Directory reconciliation (issue #18 item 4): an identity provider's export
// (CSV with a header row, or JSON: an array of objects or {"users": [...]})
// of email, status and optional department, manager and aliases, compared
// with the Zendesk inventory: staff absent from or deactivated in the
// directory (leavers still holding seats), and directory members whose
// Zendesk account is suspended or deleted. Emails compare case-insensitively,
// a member's aliases count as theirs; bad rows are reported, never fatal.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/status.h"

namespace sk::policy {

struct DirectoryMember {
  std::string email;                 // as given
  std::vector<std::string> aliases;  // other addresses of the same person
  std::string status;                // as given ("ACTIVE", "deprovisioned", "false", ...)
  bool active = true;
  std::string department, manager;
  int line = 0;  // CSV line or JSON array position (1-based)
};

struct DirectoryProblem {
  int line = 0;
  std::string message;
};

struct Directory {
  std::string format;  // "csv" | "json"
  std::vector<DirectoryMember> members;
  std::vector<DirectoryProblem> problems;
  nlohmann::json ToJson() const;
  static Directory FromJson(const nlohmann::json& j);
  // Lower-cased address (primary or alias) -> index in members.
  std::map<std::string, size_t> Index() const;
};

// Parses an export; kInvalidArgument only when nothing can be read (no
// header with an email column, malformed JSON); bad rows become problems.
Result<Directory> ParseDirectory(const std::string& content);

// Whether `status` means an active account: kActive/kInactive, nullopt when unknown.
std::optional<bool> ActiveStatus(const std::string& status);

// The directory a policy's "not in directory" condition uses, kept per
// account (`reconcile --directory FILE --remember`).
Status RememberDirectory(store::Store& st, const std::string& account, const Directory& d);
Result<std::optional<Directory>> RememberedDirectory(store::Store& st, const std::string& account);

struct ReconcileFinding {
  store::UserRecord user;
  std::string why;  // "absent from the directory", "deactivated in the directory (DEPROVISIONED)", ...
  std::optional<size_t> member;
};

struct Reconciliation {
  std::vector<ReconcileFinding> leavers;     // Zendesk staff absent or deactivated in the directory
  std::vector<ReconcileFinding> locked_out;  // active directory members suspended/deleted in Zendesk
  std::vector<DirectoryProblem> problems;
  size_t members = 0, staff = 0;
};

// Compares the store's users with the directory.
Reconciliation Reconcile(const std::vector<store::UserRecord>& users, const Directory& d);

// Why a staff member is a leaver by the directory ("" when they are not).
std::string LeaverReason(const store::UserRecord& u, const Directory& d,
                         const std::map<std::string, size_t>& index);

}  // namespace sk::policy
