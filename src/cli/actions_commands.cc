// `seatkeeper user create|delete|set-role`, `tickets reassign`, `offboard`
// (every operation of the registry, src/actions/registry.h: its subcommand
// and options are built from its declaration). src/actions does
// the permission check, dry-run, audit record and Zendesk error mapping.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "actions/action.h"
#include "actions/idempotency.h"
#include "actions/registry.h"
#include "actions/render.h"
#include "cli/context.h"
#include "notify/notify.h"
#include "util/log.h"
#include "util/process.h"
#include "util/text.h"

namespace sk::cli {
namespace {

using nlohmann::json;

void PrintError(Context& ctx, const Status& s) {
  if (ctx.json) *ctx.out << actions::ErrorJson(s).dump(2) << "\n";
  ctx.Finish(s);
}

void PrintOutcome(Context& ctx, const actions::ActionOutcome& o) {
  spdlog::info("action {} {}: {}{}", o.action, o.target, o.result,
               o.audit_id > 0 ? " (audit entry " + std::to_string(o.audit_id) + ")" : "");
  if (ctx.json) {
    *ctx.out << o.ToJson().dump(2) << "\n";
    return;
  }
  *ctx.out << actions::OutcomeText(o);
  for (const auto& w : o.warnings) ctx.Warn(w);
}

// The answer of the request that claimed the idempotency key first; nothing was sent.
void PrintReplayed(Context& ctx, const actions::ActionAnswer& answer, const std::string& key) {
  if (ctx.json) {
    *ctx.out << answer.body.dump(2) << "\n";
  } else {
    *ctx.out << TerminalText(answer.body.value("summary", "")) << "\n"
             << "(the answer of an earlier run with idempotency key " << key << ": nothing was sent again)\n";
  }
  ctx.Finish(answer.status);
}

// The action context: the store and connection, and a client only for a
// read-write connection (a read connection is refused by the action before
// any request). `client` keeps the client alive.
Result<actions::ActionContext> ActionContextFor(Context& ctx, bool dry_run,
                                                std::unique_ptr<zendesk::Client>& client) {
  SK_ASSIGN_OR_RETURN(store::Store * st, ctx.Store());
  SK_ASSIGN_OR_RETURN(store::Connection conn, ctx.RequireConnection());
  actions::ActionContext a;
  a.store = st;
  a.conn = conn;
  a.actor = ctx.actor;
  a.dry_run = dry_run;
  if (actions::CheckWritePermission(conn).ok()) {
    SK_ASSIGN_OR_RETURN(client, ctx.MakeClient(conn));
    a.client = client.get();
  }
  if (!ctx.json && ::isatty(STDERR_FILENO)) {
    std::ostream* err = ctx.err;
    a.progress = [err](const std::string& line) { *err << "\r" << line << "\x1b[K" << std::flush; };
  }
  return a;
}

// Runs the action and prints its outcome; sets ctx.exit_code. With an
// idempotency key (not on a dry run) the action runs only if no earlier
// request claimed the key; otherwise that request's answer is printed.
void RunAction(Context& ctx, bool dry_run, const std::string& key, const json& request,
               const actions::ActionRun& fn) {
  // Every log line of the action carries the account and this run's id.
  log::Scope scope({{"account", ctx.account}, {"run_id", log::NewRunId()}});
  auto st = ctx.Store();
  if (!st.ok()) return PrintError(ctx, st.status());
  if (!key.empty()) {
    if (Status s = actions::ValidateIdempotencyKey(key); !s.ok())
      return PrintError(ctx, s.With("--idempotency-key"));
  }
  std::unique_ptr<zendesk::Client> client;
  auto a = ActionContextFor(ctx, dry_run, client);
  if (!a.ok()) return PrintError(ctx, a.status());
  auto answer = actions::RunOnce(**st, ctx.account, dry_run ? "" : key, request, ProcessName("cli"),
                                 [&] { return fn(*a); });
  if (a->progress) *ctx.err << "\r\x1b[K" << std::flush;
  if (!dry_run) notify::Flush(**st, ctx.account);  // the action's notification, if channels are set up
  if (!answer.ok()) return PrintError(ctx, answer.status());
  if (answer->outcome) {
    PrintOutcome(ctx, *answer->outcome);
    return ctx.Finish(answer->status);
  }
  if (answer->kind == "replayed" && answer->body.contains("summary")) return PrintReplayed(ctx, *answer, key);
  PrintError(ctx, answer->status);
}

// The values one command line gave an operation's fields (CLI11 writes
// into them while parsing).
struct CommandLine {
  std::map<std::string, std::optional<int64_t>> ids;
  std::map<std::string, std::string> strings;
  std::map<std::string, bool> flags;
  std::map<std::string, CLI::Option*> options;
  bool dry_run = false;
  std::string key;
};

// Adds the CLI spelling of one field to `c`.
void AddField(CLI::App* c, const actions::Field& f, CommandLine& v) {
  using actions::FieldType;
  CLI::Option* o = nullptr;
  switch (f.type) {
    case FieldType::kId:
      o = c->add_option(f.cli, v.ids[f.name], f.help);
      break;
    case FieldType::kString:
    case FieldType::kEnum:
      o = c->add_option(f.cli, v.strings[f.name], f.help);
      if (f.type == FieldType::kEnum) o->check(CLI::IsMember(f.choices));
      break;
    case FieldType::kBool:
    case FieldType::kConfirm:
      o = c->add_flag(f.cli, v.flags[f.name], f.help);
      break;
  }
  if (f.required) o->required();
  v.options[f.name] = o;
}

// The raw request of a command line, for actions::ParseFields: what was
// given; a kConfirm flag names the target's id typed on the command line.
json RawRequest(const actions::Operation& op, const CommandLine& v) {
  json raw = json::object();
  for (const auto& f : op.fields) {
    if (f.cli.empty()) continue;
    switch (f.type) {
      case actions::FieldType::kId:
        if (v.ids.at(f.name)) raw[f.name] = *v.ids.at(f.name);
        break;
      case actions::FieldType::kString:
      case actions::FieldType::kEnum:
        if (v.options.at(f.name)->count() > 0) raw[f.name] = v.strings.at(f.name);
        break;
      case actions::FieldType::kBool:
        raw[f.name] = v.flags.at(f.name);
        break;
      case actions::FieldType::kConfirm: {
        auto target = v.ids.find(op.target);
        if (v.flags.at(f.name) && target != v.ids.end() && target->second)
          raw[f.name] = std::to_string(*target->second);
        break;
      }
    }
  }
  return raw;
}

// The group a command belongs to ("user" of `user create`), created on first use.
CLI::App* Group(CLI::App& app, const std::vector<std::string>& path) {
  static const std::map<std::string, std::string> kGroups = {
      {"user", "Create, delete, permanently delete, upgrade or downgrade a user"},
      {"tickets", "Ticket actions"}};
  return ParentCommand(app, path, [](const std::string& word) {
    auto it = kGroups.find(word);
    return it != kGroups.end() ? it->second : word + " actions";
  });
}

// `seatkeeper <op.cli...>` with the options of the declaration, --dry-run,
// --json and --idempotency-key.
void AddOperationCommand(CLI::App& app, Context& ctx, const actions::Operation& op) {
  auto v = std::make_shared<CommandLine>();
  CLI::App* c = Group(app, op.cli)->add_subcommand(op.cli.back(), op.summary);
  for (const auto& f : op.fields)
    if (!f.cli.empty()) AddField(c, f, *v);
  for (const auto& f : op.fields)
    if (!f.cli_excludes.empty() && v->options.count(f.cli_excludes))
      v->options[f.name]->excludes(v->options[f.cli_excludes]);
  c->add_flag("--dry-run", v->dry_run, "Show what would change; change nothing");
  c->add_flag("--json", ctx.json, "JSON output");
  c->add_option("--idempotency-key", v->key,
                "Run at most once per KEY: a repeat (any process on the same store) prints the first "
                "run's answer and sends nothing");
  c->callback([&ctx, &op, v] {
    auto values = actions::ParseFields(op, RawRequest(op, *v));
    if (!values.ok()) return PrintError(ctx, values.status());
    auto run = op.parse(*values);
    if (!run.ok()) return PrintError(ctx, run.status());
    RunAction(ctx, v->dry_run, v->key, actions::Fingerprint(op, *values), *run);
  });
}

}  // namespace

void RegisterActionCommands(CLI::App& app, Context& ctx) {
  for (const actions::Operation& op : actions::Operations())
    if (op.kind == actions::Operation::Kind::kAction) AddOperationCommand(app, ctx, op);
}

}  // namespace sk::cli
