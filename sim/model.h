// The simulated account's records. Users, tickets and events refer to each
// other by index (int32) to keep events small; ids are rendered from indexes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zdsim {

inline constexpr int64_t kNull = INT64_MIN;  // "no timestamp"
inline constexpr int32_t kSystem = -1;       // updater -1: triggers/automations
inline constexpr int32_t kNobody = -2;       // no user (e.g. unassigned)

enum class License : uint8_t { kAdmin, kAgent, kLightAgent, kContributor, kBillingAdmin, kChatAgent, kEndUser };
const char* LicenseName(License l);
bool HoldsSeat(License l);
struct User;
struct Ticket;
// A ticket's generated_timestamp at `now` (reference §6.2: the incremental
// ticket export compares start_time with it, not updated_at; any change bumps
// it, system updates included). A third of the tickets get a system update 1
// minute to 2 hours after their last change, once `now` has passed it; the
// rest have it equal to updated_at.
int64_t GeneratedAt(const Ticket& t, int64_t now);
// Why `u` cannot be a ticket's assignee, or nullptr when it can: end users and
// deleted users, and the seats that cannot hold assigned tickets (light agents
// and contributors; Zendesk unassigns an agent's tickets on such a downgrade).
const char* AssigneeRefusal(const User& u);

struct Role {
  int64_t id;
  std::string name;
  std::string description;
  int role_type;
  bool light_agent;
  int64_t created_at;
};

struct User {
  int64_t id = 0;
  std::string name;
  std::string email;  // empty = null
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t last_login_at = kNull;
  int64_t deleted_at = kNull;
  std::string role = "end-user";  // end-user|agent|admin
  int role_type = -1;             // -1 = null
  int64_t custom_role_id = 0;     // 0 = null
  License license = License::kEndUser;
  bool suspended = false;
  bool active = true;          // false once soft deleted
  bool scrubbed = false;       // permanently deleted
  bool chat_only = false;
  bool owner = false;
  bool api_caller = false;     // authenticated API calls itself
  bool integration = false;    // generated integration account: API use only, never signs in
  uint8_t activity = 0;        // generation: 0 idle, 1 low, 2 normal, 3 busy
  uint8_t cast = 0;            // a Cast member (recommendations' cases), else kNoCast
  std::string time_zone = "UTC";
  std::string iana_time_zone = "Etc/UTC";
  int64_t default_group_id = 0;
  int64_t organization_id = 0;
  std::vector<std::string> tags;  // lower case, as Zendesk keeps them (user tagging is on)
};

// Agent groups (GET /groups) and who belongs to them (GET /group_memberships).
struct Group {
  int64_t id = 0;
  std::string name;
  bool deleted = false;
  bool is_default = false;  // the account's default group
  int64_t created_at = 0;
};

struct GroupMembership {
  int64_t id = 0;
  int32_t user = 0;  // user index
  int64_t group_id = 0;
  bool is_default = false;  // the user's default group
  int64_t created_at = 0;
};

// Paid agents whose work a recommendation is about (issue #17), added after
// the integration agents: private notes only; sign-ins only (reading); one
// public reply in the window besides private notes.
enum Cast : uint8_t { kNoCast = 0, kPrivateNotes = 1, kReader = 2, kOneReply = 3 };

enum class Status : uint8_t { kNew, kOpen, kPending, kHold, kSolved, kClosed, kDeleted };
inline constexpr uint8_t kNoChange = 255;
const char* StatusName(uint8_t s);
int StatusFromName(const std::string& s);  // -1 unknown

enum class Via : uint8_t { kWeb, kEmail, kApi, kRule };
const char* ViaName(Via v);       // "Web form", "Mail", "API", "Rule"
const char* ViaChannel(Via v);    // "web", "email", "api", "rule"

struct Ticket {
  int64_t id = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t deleted_at = kNull;
  int32_t requester = kNobody;
  int32_t submitter = kNobody;
  int32_t assignee = kNobody;
  int32_t deleter = kNobody;
  uint8_t status = 0;
  uint8_t previous_state = 0;
  Via via = Via::kWeb;
  bool created = false;   // its Create event has happened
  bool archived = false;
};

enum class EventKind : uint8_t { kCreate, kUpdate, kDelete };
// kZendeskMove: Zendesk's own reassignment of a deleted/downgraded agent's
// tickets (quirks.agent_change_moves_tickets); authored by the acting admin,
// never anyone's usage.
enum EventFlags : uint8_t { kComment = 1, kPublic = 2, kSeatkeeper = 4, kZendeskMove = 8 };

// One audit (= one ticket event with its child events). 32 bytes.
struct Event {
  int64_t at;
  int32_t ticket;       // index into tickets
  int32_t actor;        // user index or kSystem
  int32_t assignee_to;  // kNoChange32 when no assignee change
  int32_t assignee_from;
  EventKind kind;
  uint8_t status_from;
  uint8_t status_to;    // kNoChange when no status change
  uint8_t flags;
  Via via;
};
inline constexpr int32_t kNoChange32 = INT32_MIN;

struct Article {
  int64_t id;
  int32_t author;
  int64_t created_at;
  int64_t updated_at;
  bool draft;
  int32_t title_seed;
};

enum class AuditAction : uint8_t { kLogin, kUpdate, kDestroy, kCreate };
const char* AuditActionName(AuditAction a);

struct AuditRecord {
  int64_t id;
  int64_t at;
  int32_t actor;   // user index or kSystem
  int32_t source;  // user index (source_type user)
  AuditAction action;
  uint8_t detail;  // login method / change kind
};

}  // namespace zdsim
