// An operation declared once: its name, its typed fields, how a request is
// parsed from field values and how it runs. Every surface is derived from the
// declaration: the CLI's subcommand and options (src/cli/operation_commands.cc),
// the REST route with its body parsing, idempotency and metrics label and
// its OpenAPI entry (src/server/action_routes.cc), and the UI's forms and
// buttons (GET /api/operations, web/app.js). A report can be declared the
// same way (Kind::kReport) sharing Field; only actions are registered today.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "actions/action.h"
#include "util/status.h"

namespace sk::actions {

enum class FieldType {
  kId,       // a positive Zendesk id (REST: a number or a string of digits)
  kString,   // free text
  kEnum,     // one of Field::choices
  kBool,     // REST: true/false (anything else counts as false); CLI: a flag
  kConfirm,  // the confirmation of an irreversible request (CheckConfirmation):
             // REST: "confirm" = the user's id or email; CLI: a flag naming the target's id
};

// One input of an operation, the same on every surface.
struct Field {
  std::string name;  // REST body key and OpenAPI property: "user_id"
  FieldType type = FieldType::kString;
  // The CLI requires it; the REST API too (ids: "NAME is required"), unless
  // `fallback` is set. Free text and enums missing on the REST API are left
  // for the action to judge (it refuses a blank name, an unknown role).
  bool required = false;
  std::string help;                  // CLI help, OpenAPI description, UI help
  std::string label;                 // short UI label ("Email"); "" = not on UI forms
  nlohmann::json example;            // OpenAPI example
  std::vector<std::string> choices;  // kEnum
  nlohmann::json fallback;           // REST value when absent (null = none)
  // The CLI spelling: "--reassign-to" an option (a flag for kBool/kConfirm),
  // a bare word ("id") a positional argument, "" not on the CLI.
  std::string cli;
  std::string cli_excludes;  // the name of a field the CLI refuses together with this one
};

// A button of the UI's user page that runs the operation on the shown user.
struct UiButton {
  std::string id;            // element id: "action-downgrade"
  std::string label;         // "Downgrade to end user"
  std::string title;         // the confirmation dialog's title
  nlohmann::json preset;     // fixed field values: {"role": "end-user"}
  std::string ask;           // a field the UI asks for first (an id), e.g. "reassign_to"
  std::string ask_title;     // the question
  nlohmann::json hide_when;  // hidden when the user has any of these values: {"deleted": true}
  bool danger = false;       // styled as destructive
  int rank = 100;            // buttons are shown by rank, then registration order
};

// The values of one request's fields, typed: ids int64, strings, bools;
// null when absent (ParseFields in registry.h makes them).
class FieldValues {
 public:
  FieldValues() = default;
  explicit FieldValues(nlohmann::json values) : values_(std::move(values)) {}
  int64_t Id(const std::string& name) const;  // 0 when absent
  std::optional<int64_t> OptionalId(const std::string& name) const;
  std::string Str(const std::string& name) const;  // "" when absent
  bool Bool(const std::string& name) const;        // false when absent
  const nlohmann::json& json() const { return values_; }

 private:
  nlohmann::json values_ = nlohmann::json::object();
};

using ActionRun = std::function<Result<ActionOutcome>(const ActionContext&)>;

struct Operation {
  enum class Kind { kAction, kReport };
  Kind kind = Kind::kAction;
  std::string name;              // "user.create": idempotency fingerprint, /api/operations
  std::vector<std::string> cli;  // {"user", "create"}
  std::string route;             // "create-user": POST /api/actions/create-user, the metrics label
  std::string summary;           // CLI help, OpenAPI summary
  std::string description;       // more for OpenAPI and the UI ("" = the summary says it all)
  std::string target;            // the field naming the user acted on ("user_id"; "" none)
  // When a request is irreversible: "" never, "*" always, else the name of a
  // kBool field that makes it so ("permanent"). Such a request needs the
  // kConfirm field outside a dry run (checked by the action, CheckConfirmation).
  std::string irreversible_if;
  std::vector<Field> fields;
  std::vector<UiButton> buttons;
  // The action for the parsed values (kInvalidArgument for values no run can take).
  std::function<Result<ActionRun>(const FieldValues&)> parse;
};

}  // namespace sk::actions
