// Role history (issue #17 item 3): every change of a user's role, custom
// role, license, suspension and deletion that seatkeeper saw, with when and,
// where known, who (`seatkeeper users history ID`, GET /api/users/{id}/history).
//
// Where the time and actor come from:
// - seatkeeper's own action: recorded when it was made, by its actor.
// - a sync: the change happened after the previous sync and before this
//   sync read the user — "between T1 and T2". On Enterprise plans the audit
//   log's records of changes to that user (source_type "user", action
//   "update", or "destroy" for a deletion; reference §7.1) in that interval
//   narrow it: one record gives the time and the actor; several give the
//   first and last record's times, and the actor when they all name the same
//   one (else the possible actors). Records are matched by user and time
//   only: Zendesk does not document change_description's wording.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "reports/report.h"

namespace sk::reports {

struct HistoryActor {
  std::optional<int64_t> id;  // Zendesk user id (-1: Zendesk itself); nullopt for seatkeeper's actor
  std::string name;
  std::string via;  // "audit_log" | "seatkeeper"
  bool operator==(const HistoryActor&) const = default;
};

struct HistoryEvent {
  std::string field;  // role | custom_role | license | suspended | deleted
  std::string from, to;
  std::optional<UnixTime> at;                 // the time, when known
  std::optional<UnixTime> after;              // else: after this time (nullopt: no earlier bound) ...
  UnixTime before = 0;                        // ... and at or before this one
  std::optional<HistoryActor> actor;          // who, when known
  std::vector<HistoryActor> possible_actors;  // several audit-log actors, none known to be the one
  std::string seen_by;                        // "sync" | "seatkeeper"
  std::vector<int64_t> audit_log_ids;         // the audit-log records matched
};

struct UserHistory {
  store::UserRecord user;
  std::vector<HistoryEvent> events;  // oldest first
};

// The fields role history lists.
bool HistoryField(const std::string& field);

// Builds the history from the store's rows (pure; see the file comment).
std::vector<HistoryEvent> BuildHistory(const store::Store::UserHistoryRows& rows);

// kNotFound when the account has no user `user_id`.
Result<UserHistory> RunUserHistory(store::Store& st, const std::string& account, int64_t user_id);

// {"user_id", "name", "role", "license", "suspended", "deleted", "history": [{"field", "from", "to",
//  "at" (ISO or null), "between": null | {"from" (ISO or null), "to" (ISO)}, "actor": null |
//  {"id", "name", "via"}, "possible_actors": [...], "seen_by", "audit_log_ids"}]}
nlohmann::json UserHistoryJson(const UserHistory& h);
void PrintUserHistory(const UserHistory& h, std::ostream& out);

}  // namespace sk::reports
