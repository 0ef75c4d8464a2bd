// Reclaim policies (issue #18): a condition over the user inventory and its
// usage, and one of the existing actions to take on the users it matches.
// Stored per account in the store's key/value table ("policy:NAME" -> JSON).
// A policy never acts by itself: after each sync its matches become
// proposals (proposals.h) that an admin approves, unless it is automatic.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/status.h"
#include "util/time.h"

namespace sk::policy {

// The actions a policy can take, by name: "downgrade-light" (to a light-agent
// custom role), "downgrade-end-user", "offboard" (reassign, then soft delete
// if asked), "suspend".
const std::vector<std::string>& PolicyActions();

struct Condition {
  std::vector<std::string> licenses;            // any of (spec §3 license types); empty: any
  std::vector<std::string> roles;               // any of end-user, agent, admin; empty: any
  std::optional<int64_t> custom_role_id;        // the user's current custom role
  std::optional<int> idle_days;                 // no activity for at least this many days
  std::optional<DayNumber> last_active_before;  // last activity (or none) before this day
  // The kind of recommendation (issue #17) the user must have, as the
  // recommendations report (reports/recommendations_report.h, default
  // options) lists it: light-agent, end-user, integration or suspended.
  std::string recommendation_kind;
  // Absent from or deactivated in the remembered directory (directory.h:
  // `reconcile --directory FILE --remember`).
  bool not_in_directory = false;
};

struct Exemptions {
  std::vector<int64_t> users;
  // Exact addresses or "*@domain" patterns, compared case-insensitively.
  std::vector<std::string> emails;
  // Zendesk user tags: a user with any of them is exempt (case-insensitive;
  // Zendesk lower-cases tags).
  std::vector<std::string> tags;
  // Zendesk groups, by name (case-insensitive) or id: their members are
  // exempt. Needs the memberships a sync reads (store/groups.h).
  std::vector<std::string> groups;
  bool integrations = true;  // probable integration accounts (store::ProbableIntegration) are exempt
};

struct Policy {
  std::string name;                       // 1..40 of a-z, 0-9, '-'; starts with a letter
  std::string action;                     // PolicyActions()
  std::optional<int64_t> custom_role_id;  // downgrade-light: the light-agent role to set (required)
  std::optional<int64_t> reassign_to;     // offboard (required); downgrades: tickets held go to this agent
  bool let_zendesk_reassign = false;      // downgrades: Zendesk reassigns held tickets instead
  bool delete_user = false;               // offboard: soft-delete at the end
  Condition condition;
  Exemptions exempt;
  bool automatic = false;  // proposals are approved as they are made (no admin)
  int grace_days = 7;      // 0..365: an approved proposal waits this long for activity
  UnixTime created_at = 0;
  std::string created_by;

  nlohmann::json ToJson() const;
  static Result<Policy> FromJson(const nlohmann::json& j);  // kInvalidArgument naming the field
};

// kInvalidArgument with a message naming what is wrong (the CLI exits 2).
Status ValidatePolicy(const Policy& p);

// The store of policies (key/value, per account).
Result<std::vector<Policy>> ListPolicies(store::Store& st, const std::string& account);
Result<std::optional<Policy>> GetPolicy(store::Store& st, const std::string& account,
                                        const std::string& name);
Status PutPolicy(store::Store& st, const std::string& account, const Policy& p);
// True when it existed.
Result<bool> RemovePolicy(store::Store& st, const std::string& account, const std::string& name);

// One user a policy matches today, with the evidence.
struct Match {
  store::UserWithUsage user;
  int idle_days = 0;
  std::optional<DayNumber> last_active_day;
  nlohmann::json evidence;  // {"idle_days","last_active","active_days_in_window","last_login_at",...}
};

// What a policy test shows: the matches and, apart, who the exemptions spared.
struct Evaluation {
  std::vector<Match> matches;
  std::vector<nlohmann::json> exempted;  // {"user_id","name","email","why"}
};

// The users `p` matches today over the store's inventory and usage (the
// connection's window and time zone). Deleted users, the account owner and
// the connecting user never match; nor users the action would not change.
Result<Evaluation> Evaluate(store::Store& st, const store::Connection& conn, const Policy& p);

// The recommendation kinds a condition can name.
const std::vector<std::string>& RecommendationKinds();

// The recommendations of the account as the report lists them (default
// options), by user id: kind and reason. Computed once per Evaluate.
struct RecommendationIndex {
  std::map<int64_t, std::pair<std::string, std::string>> by_user;  // user id -> (kind, reason)
};
Result<RecommendationIndex> IndexRecommendations(store::Store& st, const store::Connection& conn);

// Whether the user has a recommendation of `kind`; `*reason` gets its reason.
bool MatchRecommendation(const RecommendationIndex& index, const store::UserWithUsage& u,
                         const std::string& kind, std::string* reason);

// The registry request of the policy's action on `user_id`: the operation
// name ("user.set-role", "offboard", "user.suspend") and its raw fields.
struct ActionRequest {
  std::string operation;
  nlohmann::json fields;
};
ActionRequest RequestFor(const Policy& p, int64_t user_id);

}  // namespace sk::policy
