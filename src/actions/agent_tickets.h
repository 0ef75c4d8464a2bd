// What Zendesk does to the tickets of an agent an admin deletes or downgrades
// (reference §4.3, support articles 4408888690842, 10614127886746, 7431999772954),
// and the choice seatkeeper asks for before such a change (spec §5):
//   delete, or downgrade to end user  -> every non-closed ticket is handed to
//                                        the acting admin (the connecting user)
//   downgrade to light agent/contributor -> non-solved tickets are unassigned;
//                                        solved ones are reassigned by the
//                                        account's solved-ticket reassignment
//                                        option (by default to the acting admin)
//   anything else (suspend, upgrade, another full-agent role) -> nothing.
// Such moves are Zendesk's, yet they show as ticket updates by the acting
// admin: when the caller lets Zendesk move them, the tickets are recorded as
// seatkeeper's own writes (Store::RecordOwnWrites) so the usage sync never
// counts them as the connecting admin's activity.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "actions/action.h"
#include "actions/reassign_tickets.h"

namespace sk::actions {

enum class AgentChange { kNone, kDelete, kToEndUser, kToLightAgent, kToContributor };

// What the caller chose for the tickets (CLI --reassign-to / --let-zendesk-reassign,
// REST reassign_to / let_zendesk_reassign).
struct TicketChoice {
  std::optional<int64_t> reassign_to;  // reassign them first (ReassignTickets)
  bool let_zendesk_reassign = false;   // accept Zendesk's moves
  // Set by a composite action (offboard) whose earlier step reassigns the
  // tickets to reassign_to: its dry run says so instead of planning it again.
  bool reassigned_by_earlier_step = false;
};

// The side effect of one change on one user's tickets.
struct TicketSideEffect {
  AgentChange change = AgentChange::kNone;
  AssignedTickets held;      // the user's non-closed tickets (only read when change != kNone)
  std::string zendesk_does;  // "handed-to-acting-admin" | "unassigned" | "nothing"
  std::string description;   // one human line: how many, by status, what Zendesk does
  std::optional<int64_t> acting_admin_id;
  std::string warning;  // e.g. a custom role seatkeeper could not classify

  bool HoldsTickets() const { return !held.ids.empty(); }
  // A change Zendesk follows with ticket moves, on a user who holds tickets.
  bool NeedsChoice() const { return change != AgentChange::kNone && HoldsTickets(); }
  // {"change","held","by_status","zendesk_does","acting_admin_id","description","choice","choice_required"}
  nlohmann::json ToJson(const TicketChoice& choice) const;
};

// The change deleting `u` is (kDelete for an active agent/admin, else kNone).
AgentChange ChangeForDelete(const zendesk::User& u);

// The change setting `u` to `role` (with `custom_role_id`) is. Reads the
// custom roles only for an agent role with a custom role; when they cannot be
// read the change counts as kNone and *warning says why.
AgentChange ChangeForRole(const ActionContext& ctx, const zendesk::User& u, const std::string& role,
                          const std::optional<int64_t>& custom_role_id, std::string* warning);

// Reads the user's non-closed tickets (only when `change` is not kNone) and
// describes what Zendesk will do with them.
Result<TicketSideEffect> PlanTicketSideEffect(const ActionContext& ctx, const zendesk::User& u,
                                              AgentChange change);

// kInvalidArgument when both choices are given or reassign_to names the user.
Status ValidateTicketChoice(const TicketChoice& choice, int64_t user_id);

// The refusal of `what` ("delete user 12 (Ann)") for a user who holds tickets
// when no choice was made: kRefused naming --reassign-to and --let-zendesk-reassign.
Status ChoiceRequired(const TicketSideEffect& e, const std::string& what);

// Adds the plan lines and details of the side effect to a dry-run outcome
// (and a warning when the real run would be refused for want of a choice).
void DescribeTicketSideEffect(const TicketSideEffect& e, const TicketChoice& choice, const std::string& what,
                              ActionOutcome& o);

// After the change was sent with let_zendesk_reassign: records the tickets
// the user held as seatkeeper's own writes over [start - 60, now + 60], and
// adds the "done" line to the outcome.
void RecordZendeskMoves(const ActionContext& ctx, const TicketSideEffect& e, UnixTime start,
                        ActionOutcome& o);

// A refused outcome for want of a choice: result "refused", status
// ChoiceRequired(...), details.ticket_side_effect with choice_required true.
// The REST API answers it with 409.
ActionOutcome ChoiceRequiredOutcome(const ActionContext& ctx, const std::string& action,
                                    const std::string& target, const TicketSideEffect& e,
                                    const std::string& what, const nlohmann::json& before);

// A change to a user that may move its tickets (delete, role change): the
// caller's choice, what Zendesk would do, and the assignee checked.
struct TicketPlan {
  TicketChoice choice;
  TicketSideEffect effect;
  std::optional<zendesk::User> assignee;  // reassign_to, checked (when this action reassigns)
  std::string what;                       // "delete user 12 (Ann)"
  std::string change;                     // the change line: "role agent -> end-user"
};

// The refusal for want of a choice, shared by the changes of a TicketPlan
// (delete, role change): when the tickets would move and the caller chose
// neither reassign_to nor let_zendesk_reassign, ChoiceRequiredOutcome for
// `o`'s action, target and before state, with `kept` merged into its details
// and the change line `step` skipped, finished in `audit`. nullopt otherwise.
std::optional<ActionOutcome> RefuseWithoutChoice(const ActionContext& ctx, AuditRecord& audit,
                                                 const TicketPlan& plan, const ActionOutcome& o,
                                                 const std::string& step,
                                                 const nlohmann::json& kept = nlohmann::json::object());

// The dry run's line for reassigning `count` tickets to `to` first.
Change PlannedReassign(size_t count, int64_t to, const zendesk::User& assignee);

// The step that reassigns `from`'s tickets to `to` before a change (as a step
// of audit entry `parent_audit_id`), merged into `o` (details.reassign,
// changes, warnings). An error when the reassignment failed ("reassigning
// tickets before <change>") or left tickets behind ("not <doing> because its
// tickets did not all move"): the change must not be sent then.
Status ReassignBefore(const ActionContext& ctx, int64_t parent_audit_id, int64_t from, int64_t to,
                      const ReassignOptions& options, const std::string& change, const std::string& not_doing,
                      ActionOutcome& o);

}  // namespace sk::actions
