// Typed Zendesk records, reduced to the fields seatkeeper uses. Parsed
// tolerantly: unknown fields ignored, nulls accepted, ids int64.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/time.h"

namespace sk::zendesk {

struct User {
  std::optional<int64_t> id;  // null only for the anonymous users/me answer
  std::string name;
  std::optional<std::string> email;
  std::string role;  // "end-user" | "agent" | "admin"
  std::optional<int> role_type;
  std::optional<int64_t> custom_role_id;
  bool active = true;
  bool suspended = false;
  bool chat_only = false;
  bool shared_agent = false;
  bool is_owner = false;  // not in the user object; filled from account settings when known
  std::optional<UnixTime> last_login_at;
  UnixTime created_at = 0;
  UnixTime updated_at = 0;
  // The user's tags as Zendesk sends them (lower case; empty unless user
  // tagging is enabled in the account).
  std::vector<std::string> tags;
};

// A group of agents (GET /api/v2/groups).
struct Group {
  int64_t id = 0;
  std::string name;
  bool deleted = false;
};

// One agent's membership of one group (GET /api/v2/group_memberships).
struct GroupMembership {
  int64_t id = 0;
  int64_t user_id = 0;
  int64_t group_id = 0;
  bool is_default = false;  // "default": the user's default group
};

struct CustomRole {
  int64_t id = 0;
  std::string name;
  std::optional<int> role_type;
  bool light_agent = false;  // configuration.light_agent
};

// A child of a ticket event or an audit's events[] entry.
struct ChildEvent {
  int64_t id = 0;
  std::string event_type;  // Create, Change, Comment, Notification, ... (audits: "type")
  std::string field_name;  // for Create/Change
  std::string value;       // new value as text (status, assignee_id, ...), "" when absent
  std::string previous_value;
  std::optional<int64_t> author_id;  // comments
  // Comments: whether it is public (audits and the export's comment_events
  // sideload: "public"; the export without it: "comment_public"); nullopt when absent.
  std::optional<bool> is_public;
  // The event's own via names a business rule (a trigger or automation acting
  // within the update: audits {"via":{"channel":"rule"}}, export "via":"Rule").
  bool by_rule = false;
};

// One entry of /incremental/ticket_events (an "Audit" event and its children).
struct TicketEvent {
  int64_t id = 0;
  int64_t ticket_id = 0;
  UnixTime timestamp = 0;
  int64_t updater_id = 0;  // -1 = Zendesk system (triggers, automations)
  std::string via;
  std::vector<ChildEvent> children;
};

// One entry of /ticket_audits or /tickets/{id}/audits.
struct TicketAudit {
  int64_t id = 0;
  int64_t ticket_id = 0;
  UnixTime created_at = 0;
  int64_t author_id = 0;  // -1 = system
  std::string via_channel;
  std::vector<ChildEvent> events;
};

struct DeletedTicket {
  int64_t id = 0;
  std::optional<int64_t> actor_id;
  UnixTime deleted_at = 0;
  std::string previous_state;
};

struct Ticket {
  int64_t id = 0;
  std::string status;
  std::optional<int64_t> assignee_id;
  std::optional<int64_t> requester_id;
  std::optional<int64_t> submitter_id;
  UnixTime created_at = 0;
  UnixTime updated_at = 0;
  std::optional<UnixTime> generated_timestamp;
};

struct Article {
  int64_t id = 0;
  std::optional<int64_t> author_id;
  UnixTime created_at = 0;
  UnixTime updated_at = 0;
  bool draft = false;
  std::string title;
};

struct AuditLog {
  int64_t id = 0;
  std::string action;  // "login", "create", "update", ...
  int64_t actor_id = 0;
  std::string actor_name;
  std::string source_type;
  std::optional<int64_t> source_id;
  UnixTime created_at = 0;
};

struct JobResult {
  std::optional<int64_t> id;
  bool success = true;
  std::string status;   // "Updated", "Failed", ...
  std::string error;    // e.g. "TicketUpdateFailed"
  std::string details;  // Zendesk's reason
};

struct JobStatus {
  std::string id;
  std::string status;  // queued | working | completed | failed | (tolerate others)
  std::optional<int> total;
  std::optional<int> progress;
  std::vector<JobResult> results;  // `results` may be an array, an object or null
  bool Done() const { return status == "completed" || status == "failed" || status == "killed"; }
};

// OAuth token pair as returned by POST /oauth/tokens.
struct TokenSet {
  std::string access_token;
  std::string refresh_token;  // empty when none issued (client_credentials)
  std::optional<UnixTime> expires_at;
  std::optional<UnixTime> refresh_expires_at;
  std::string scope;
};

// Cursor-paginated list page (meta.has_more / meta.after_cursor).
template <typename T>
struct CursorPage {
  std::vector<T> items;
  bool has_more = false;
  std::string after_cursor;
};

// Time-based incremental export page.
template <typename T>
struct IncrementalPage {
  std::vector<T> items;
  UnixTime end_time = 0;
  bool end_of_stream = true;
  std::string next_page;     // may be non-empty at the end; stop on end_of_stream
  std::string after_cursor;  // cursor-based exports only
};

}  // namespace sk::zendesk
