#include "actions/registry.h"

#include <algorithm>

#include "util/registry.h"

namespace sk::actions {

using nlohmann::json;

// Each action's file defines `std::vector<Operation> NameOperations()`;
// one line here registers it (CLI help and the UI list them in this order).
#define SK_OPERATION_FILES(X)  \
  X(CreateUserOperations)      \
  X(DeleteUserOperations)      \
  X(SetRoleOperations)         \
  X(ReassignTicketsOperations) \
  X(OffboardOperations)        \
  X(SuspendUserOperations)     \
  X(PolicyOperations)          \
  /* one line per action file, above this one */

SK_REGISTRY_ENTRIES(SK_OPERATION_FILES, Operation, Operations)

const Operation* FindOperation(const std::string& name_or_route) {
  for (const auto& op : Operations())
    if (op.name == name_or_route || op.route == name_or_route) return &op;
  return nullptr;
}

int64_t FieldValues::Id(const std::string& name) const {
  auto it = values_.find(name);
  return it != values_.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::optional<int64_t> FieldValues::OptionalId(const std::string& name) const {
  const int64_t id = Id(name);
  return id ? std::optional<int64_t>(id) : std::nullopt;
}

std::string FieldValues::Str(const std::string& name) const {
  auto it = values_.find(name);
  return it != values_.end() && it->is_string() ? it->get<std::string>() : "";
}

bool FieldValues::Bool(const std::string& name) const {
  auto it = values_.find(name);
  return it != values_.end() && it->is_boolean() && it->get<bool>();
}

namespace {

Result<json> ParseId(const Field& f, const json& v) {
  if (v.is_null()) {
    if (f.required && f.fallback.is_null()) return InvalidArgument(f.name + " is required");
    return f.fallback;
  }
  if (v.is_number_integer() && v.get<int64_t>() > 0) return v;
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (!s.empty() && s.size() <= 18 &&
        std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      const int64_t n = std::stoll(s);
      if (n > 0) return json(n);
    }
  }
  return InvalidArgument(f.name + " must be a positive integer id");
}

// One field's value from the raw request value (null when absent).
Result<json> ParseField(const Field& f, const json& v) {
  switch (f.type) {
    case FieldType::kId:
      return ParseId(f, v);
    case FieldType::kString:
    case FieldType::kEnum:
      if (v.is_null()) return f.fallback;
      return v.is_string() ? v : json(nullptr);
    case FieldType::kBool:
      return json(v.is_boolean() && v.get<bool>());
    case FieldType::kConfirm:
      if (v.is_number_integer()) return json(v.dump());
      return v.is_string() ? v : json("");
  }
  return json(nullptr);
}

const char* TypeName(FieldType t) {
  static const char* const kNames[] = {"id", "string", "enum", "bool", "confirm"};  // in FieldType's order
  return kNames[static_cast<int>(t)];
}

json FieldSchema(const Field& f) {
  json s;
  switch (f.type) {
    case FieldType::kId:
      s = {{"type", "integer"}, {"format", "int64"}, {"minimum", 1}};
      if (!f.required) s["nullable"] = true;
      break;
    case FieldType::kBool:
      s = {{"type", "boolean"}, {"default", false}};
      break;
    case FieldType::kEnum:
      s = {{"type", "string"}, {"enum", f.choices}};
      break;
    case FieldType::kString:
    case FieldType::kConfirm:
      s = {{"type", "string"}};
      break;
  }
  s["description"] = f.help;
  if (!f.fallback.is_null()) s["default"] = f.fallback;
  return s;
}

}  // namespace

Result<FieldValues> ParseFields(const Operation& op, const json& raw) {
  if (!raw.is_object()) return InvalidArgument("the request body must be a JSON object");
  json values = json::object();
  for (const Field& f : op.fields) {
    auto it = raw.find(f.name);
    SK_ASSIGN_OR_RETURN(values[f.name], ParseField(f, it == raw.end() ? json(nullptr) : *it));
  }
  return FieldValues(std::move(values));
}

json Fingerprint(const Operation& op, const FieldValues& values) {
  return {{"operation", op.name}, {"fields", values.json()}};
}

Operation DeclareAction(std::string name, std::vector<std::string> cli, std::string route,
                        std::string summary, std::string description) {
  Operation op;
  op.name = std::move(name);
  op.cli = std::move(cli);
  op.route = std::move(route);
  op.summary = std::move(summary);
  op.description = std::move(description);
  return op;
}

UiButton Button(std::string id, std::string label, std::string title, int rank) {
  UiButton b{std::move(id), std::move(label), std::move(title)};
  b.rank = rank;
  return b;
}

Field FlagField(std::string name, std::string cli, std::string help) {
  Field f{std::move(name), FieldType::kBool, false, std::move(help)};
  f.example = false;
  f.cli = std::move(cli);
  return f;
}

Field OptionField(std::string name, FieldType type, bool required, std::string cli, std::string help,
                  json example, std::string label) {
  Field f{std::move(name), type, required, std::move(help), std::move(label), std::move(example)};
  f.cli = std::move(cli);
  return f;
}

Field UserIdField(const std::string& help) {
  Field f{"user_id", FieldType::kId, true, help};
  f.example = 123;
  f.cli = "id";
  return f;
}

Field CustomRoleField() {
  return OptionField("custom_role_id", FieldType::kId, false, "--custom-role",
                     "Custom role id (agent/admin)");
}

Field ReassignToField(const std::string& help, bool required) {
  return OptionField("reassign_to", FieldType::kId, required, "--reassign-to", help,
                     required ? json(456) : json(nullptr));
}

Field LetZendeskReassignField(const std::string& help) {
  Field f = FlagField("let_zendesk_reassign", "--let-zendesk-reassign", help);
  f.cli_excludes = "reassign_to";
  return f;
}

std::string TicketChoiceRule(const std::string& who, const std::string& zendesk_does) {
  return who + " needs reassign_to (reassigned first) or let_zendesk_reassign=true (Zendesk " + zendesk_does +
         "); without either: 409";
}

Field ConfirmField(const std::string& what) {
  Field f{"confirm", FieldType::kConfirm, false,
          "Confirm " + what +
              " (irreversible) by naming the user: REST \"confirm\" is its id or email, the "
              "CLI's --yes names the id given"};
  f.example = "";
  f.cli = "--yes";
  return f;
}

std::string RestPath(const Operation& op) {
  return "/api/actions/" + op.route;
}

json OperationJson(const Operation& op) {
  std::string cli;
  for (const auto& w : op.cli) cli += (cli.empty() ? "" : " ") + w;
  json fields = json::array();
  for (const Field& f : op.fields) {
    fields.push_back({{"name", f.name},
                      {"type", TypeName(f.type)},
                      {"required", f.required && f.fallback.is_null()},
                      {"help", f.help},
                      {"label", f.label},
                      {"example", f.example},
                      {"choices", f.choices},
                      {"default", f.fallback},
                      {"cli", f.cli}});
  }
  json buttons = json::array();
  for (const UiButton& b : op.buttons) {
    buttons.push_back({{"id", b.id},
                       {"label", b.label},
                       {"title", b.title},
                       {"preset", b.preset.is_null() ? json::object() : b.preset},
                       {"ask", b.ask},
                       {"ask_title", b.ask_title},
                       {"hide_when", b.hide_when.is_null() ? json::object() : b.hide_when},
                       {"danger", b.danger},
                       {"rank", b.rank}});
  }
  return {{"name", op.name},
          {"kind", op.kind == Operation::Kind::kAction ? "action" : "report"},
          {"cli", cli},
          {"method", "POST"},
          {"path", RestPath(op)},
          {"summary", op.summary},
          {"description", op.description},
          {"target", op.target},
          {"irreversible_if", op.irreversible_if},
          {"fields", fields},
          {"buttons", buttons}};
}

json RequestSchema(const Operation& op) {
  json props = {
      {"dry_run",
       {{"type", "boolean"}, {"default", false}, {"description", "Show what would change; change nothing"}}}};
  json required = json::array();
  for (const Field& f : op.fields) {
    props[f.name] = FieldSchema(f);
    if (f.required && f.fallback.is_null()) required.push_back(f.name);
  }
  json s = {{"type", "object"}, {"properties", props}};
  if (!required.empty()) s["required"] = required;
  return s;
}

json RequestExample(const Operation& op) {
  json e = {{"dry_run", true}};
  for (const Field& f : op.fields) e[f.name] = f.example;
  return e;
}

}  // namespace sk::actions
