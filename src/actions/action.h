// What every action shares: the context it runs in (store, client,
// connection, who asked, dry-run), the outcome it reports, the permission
// check, the audit record, Zendesk error mapping, and reflecting a changed
// user into the store at once.
//
// Actions are called by the CLI and by the web server alike. An action never
// throws: a refusal or a failure comes back as a Status (kRefused for the
// permission level, the owner/self protections, failed preconditions and
// Zendesk's own refusals; kInvalidArgument for bad input; other codes for
// runtime failures), and every attempt leaves an audit entry in the store.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/status.h"
#include "zendesk/client.h"
#include "zendesk/models.h"

namespace sk::actions {

struct ActionContext {
  store::Store* store = nullptr;      // required
  zendesk::Client* client = nullptr;  // may be null on a read connection (actions refuse first)
  store::Connection conn;             // the account acted on; conn.permission decides
  std::string actor;                  // who asked, for the audit trail ("cli:root", "web:admin")
  bool dry_run = false;               // plan and report, send no mutating request
  // Sleep used between job-status polls. Default: std::this_thread::sleep_for.
  std::function<void(double seconds)> sleep;
  // Optional progress lines ("moved 300/2500 tickets"); the CLI prints them on a terminal.
  std::function<void(const std::string&)> progress;
  // Set by a composite action (offboard) for the steps it runs: their audit
  // entries name the parent, and dry-run steps are not audited separately.
  int64_t parent_audit_id = 0;
};

// One change an action makes (or would make with --dry-run).
struct Change {
  std::string step;         // "create-user", "set-role", "reassign-tickets", "delete-user", ...
  std::string description;  // "role agent -> end-user"
  std::string state;        // "planned" | "done" | "already-done" | "failed" | "skipped"
  nlohmann::json ToJson() const;
};

struct ActionOutcome {
  std::string action;   // "user.create", "user.set-role", "tickets.reassign", "offboard", ...
  std::string target;   // "user:123", "email:a@b.c", "tickets:123->456"
  std::string result;   // "ok" | "dry-run" | "no-op" (already done) | "partial"
  std::string summary;  // one human line
  std::vector<Change> changes;
  std::vector<std::string> warnings;
  nlohmann::json before = nullptr;                    // state before (user record, ticket counts, ...)
  nlohmann::json after = nullptr;                     // state after (null on dry-run)
  nlohmann::json details = nlohmann::json::object();  // action-specific facts
  int64_t audit_id = 0;
  // ok unless the action ran but did not fully succeed (e.g. some tickets
  // failed to move); the CLI prints the outcome and then exits with it.
  Status status;

  // {"action","target","result","summary","dry_run","changes","warnings","before","after",
  //  "details","audit_id","error"} for --json and the REST API.
  nlohmann::json ToJson() const;
};

// kRefused unless ctx.conn.permission is "read-write". Call before any request.
Status CheckWritePermission(const store::Connection& conn);

// Maps a failed Zendesk call made while trying to `what` ("downgrade user 12")
// to the action's status: Zendesk's refusals (403, 404, 409, 422) become
// kRefused carrying Zendesk's reason; other failures keep their code.
Status FromZendesk(const Status& s, const std::string& what);

// The account owner: the user's flag is_owner, or the id the connection's
// capabilities name (store::KnownOwnerId).
using store::KnownOwnerId;
bool IsOwner(const store::Connection& conn, const zendesk::User& u);
bool IsConnectingUser(const store::Connection& conn, const zendesk::User& u);

// A user as JSON for before/after/outputs: id, name, email, role, role_type,
// custom_role_id, active, suspended, license, seat.
nlohmann::json UserJson(const zendesk::User& u);

// The store's record for a Zendesk user (license and seat derived per spec §3;
// the custom role's name kept from the store when the role is unchanged).
// `deleted_kind` is "", "soft" or "permanent".
store::UserRecord ToRecord(const zendesk::User& u, const std::optional<store::UserRecord>& previous,
                           const std::string& deleted_kind);

// Upserts the user into the store at once (a Page holding just that user).
Status ReflectUser(const ActionContext& ctx, const zendesk::User& u, const std::string& deleted_kind = "");

// kInvalidArgument unless role is end-user|agent|admin and a custom role is
// only given with agent or admin.
Status ValidateRole(const std::string& role, const std::optional<int64_t>& custom_role_id);

// The one confirmation rule for irreversible actions (permanent deletion,
// offboard --permanent), on every surface: the request must carry a
// confirmation that names the target, its Zendesk user id or its email
// (case-insensitive). The CLI's --yes confirms with the id typed on the
// command line; the REST API and the UI send "confirm" (the UI asks for the
// typed email). kInvalidArgument with kConfirmationRule otherwise (exit 2,
// HTTP 400). `email` may be null (a scrubbed user): then only the id names it.
inline constexpr const char* kConfirmationRule =
    "permanent deletion is irreversible: confirm it by naming the user (CLI: --yes; REST API: \"confirm\" "
    "set to the user's id or email)";
Status CheckConfirmation(const std::string& confirm, int64_t user_id,
                         const std::optional<std::string>& email);

// Fetches a user; 404 becomes kRefused "user ID does not exist in Zendesk".
Result<zendesk::User> FetchUser(const ActionContext& ctx, int64_t id);

// Sleeps through ctx.sleep (or the real clock).
void Sleep(const ActionContext& ctx, double seconds);
void Progress(const ActionContext& ctx, const std::string& line);

// The audit entry of one action. Begin() appends it ("started", or "dry-run"
// right away on dry-run); exactly one of Finish()/Fail() completes it. An
// AuditRecord destroyed while still started marks the entry "failed".
class AuditRecord {
 public:
  AuditRecord(const ActionContext& ctx, std::string action, std::string target);
  ~AuditRecord();
  AuditRecord(const AuditRecord&) = delete;
  AuditRecord& operator=(const AuditRecord&) = delete;

  // Records the attempt with its `before` state. A store failure is returned
  // (the action must not mutate Zendesk without an audit trail).
  Status Begin(const nlohmann::json& before);
  // Completes the entry from the outcome (result, after, summary) and copies
  // the audit id into it.
  void Finish(ActionOutcome& outcome);
  // Completes the entry as "refused" (kRefused/kInvalidArgument) or "failed";
  // returns `s` for convenience. Begins the entry first if needed.
  Status Fail(const Status& s, const nlohmann::json& after = nullptr);
  int64_t id() const { return id_; }

 private:
  const ActionContext& ctx_;
  std::string action_;
  std::string target_;
  int64_t id_ = 0;
  bool begun_ = false;
  bool done_ = false;
};

// Starts an outcome for `action` on `target` with result "dry-run" or "ok".
ActionOutcome NewOutcome(const ActionContext& ctx, std::string action, std::string target);

// The check phase every action on one user shares, in this order: the
// permission level (before any request), a positive id, `request` (the
// caller's own validation of its request), the user read from Zendesk, and
// the audit entry begun with the user as its before state. Failures are
// recorded through `audit` (but a failed audit write is returned as is).
struct UserTarget {
  zendesk::User user;
  nlohmann::json before;  // UserJson(user)
  std::string who;        // "user 12 (Ann)"
};
Result<UserTarget> BeginUserAction(const ActionContext& ctx, AuditRecord& audit, int64_t user_id,
                                   const Status& request = Status::Ok());

// kRefused for the account owner ("<who> is the account owner: <owner_why>")
// or the connecting user ("<who> is the connecting user: <self_why>").
Status ProtectOwnerAndSelf(const store::Connection& conn, const zendesk::User& u, const std::string& who,
                           const std::string& owner_why, const std::string& self_why);

// Completes `o` as a change already made: result "no-op" ("dry-run" on a dry
// run), the summary, `change` marked "already-done", after = before (null on
// a dry run); finishes the audit entry.
ActionOutcome& AlreadyDone(const ActionContext& ctx, AuditRecord& audit, ActionOutcome& o,
                           std::string summary, Change change);

}  // namespace sk::actions
