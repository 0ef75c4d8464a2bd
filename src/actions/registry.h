// The registry of operations: every action declared once (operation.h), in
// the order the CLI's help and the UI show them. To add an action, write its
// file (the action and its `std::vector<Operation> NameOperations()`) and add
// one line to SK_OPERATION_FILES in registry.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "actions/operation.h"
#include "util/status.h"

namespace sk::actions {

// Every registered operation (built once, never changes).
const std::vector<Operation>& Operations();
// The operation of that name ("user.create") or REST route ("create-user"); null if none.
const Operation* FindOperation(const std::string& name_or_route);

// The one parser of a request's fields, for every surface: `raw` is the REST
// body or the values the CLI collected. Unknown keys are ignored.
// kInvalidArgument for a missing required id ("user_id is required") or one
// that is not a positive integer ("... must be a positive integer id").
Result<FieldValues> ParseFields(const Operation& op, const nlohmann::json& raw);

// What identifies a request for its idempotency key: the operation and its
// field values (not dry_run: a dry run never claims a key).
nlohmann::json Fingerprint(const Operation& op, const FieldValues& values);

// The declaration as JSON for GET /api/operations (the UI's forms and buttons):
// {"name","kind","cli","method","path","summary","description","target",
//  "irreversible_if","fields":[{"name","type","required","help","label","example","choices","cli"}],
//  "buttons":[{"id","label","title","preset","ask","ask_title","hide_when","danger","rank"}]}
nlohmann::json OperationJson(const Operation& op);

// The OpenAPI request body schema of the operation's REST route, and an example body.
nlohmann::json RequestSchema(const Operation& op);
nlohmann::json RequestExample(const Operation& op);

// An action's declaration with its name, CLI words, REST route, summary and
// description (more for OpenAPI and the UI; "" = the summary says it all).
Operation DeclareAction(std::string name, std::vector<std::string> cli, std::string route,
                        std::string summary, std::string description = "");
// A user-page button (operation.h) shown at `rank`.
UiButton Button(std::string id, std::string label, std::string title, int rank);

// A CLI flag `cli` (kBool; REST true/false, absent = false).
Field FlagField(std::string name, std::string cli, std::string help);
// The CLI option `cli` (kId, kString or kEnum), with its OpenAPI example and UI label.
Field OptionField(std::string name, FieldType type, bool required, std::string cli, std::string help,
                  nlohmann::json example = nullptr, std::string label = "");

// Fields several actions share.
Field UserIdField(const std::string& help = "Zendesk user id");  // positional "id"
Field CustomRoleField();                                         // --custom-role / custom_role_id
Field ReassignToField(const std::string& help, bool required = false);
Field LetZendeskReassignField(const std::string& help);
// For an action's description, the rule those two fields answer (RefuseWithoutChoice):
// "<who> needs reassign_to (reassigned first) or let_zendesk_reassign=true
// (Zendesk <zendesk_does>); without either: 409".
std::string TicketChoiceRule(const std::string& who, const std::string& zendesk_does);
Field ConfirmField(const std::string& what);  // --yes / confirm: "a permanent deletion"

// The REST path of an action: "/api/actions/" + route.
std::string RestPath(const Operation& op);

}  // namespace sk::actions
