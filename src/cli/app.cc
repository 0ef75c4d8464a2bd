// The `seatkeeper` command line: global options, subcommand registration and
// the mapping of outcomes to exit codes (0 ok, 1 failure, 2 usage, 3 refused).
#include <malloc.h>
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "cli/context.h"
#include "cli/table.h"
#include "policy/proposals.h"
#include "util/config.h"
#include "util/log.h"

namespace sk::cli {
namespace {

std::string DefaultHome() {
  if (const char* h = std::getenv("SEATKEEPER_HOME"); h && *h) return h;
  const char* home = std::getenv("HOME");
  if (!home || !*home) {
    if (auto* pw = getpwuid(getuid())) home = pw->pw_dir;
  }
  return std::string(home ? home : ".") + "/.seatkeeper";
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// "unknown command 'statuss' (did you mean 'status'?)" for a mistyped subcommand.
std::string UnknownCommandMessage(const CLI::App& app, const std::string& word) {
  std::string best;
  size_t best_d = 3;
  for (const auto* sub : app.get_subcommands({})) {
    size_t d = EditDistance(word, sub->get_name());
    if (d < best_d) {
      best_d = d;
      best = sub->get_name();
    }
  }
  return "unknown command '" + word + "'" + (best.empty() ? "" : " (did you mean '" + best + "'?)");
}

// CLI11 quotes unexpected arguments verbatim; one may be a secret typed where
// it does not belong (`--token SECRET`). Only option names are echoed.
std::string ScrubArguments(std::string message, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.empty() || a[0] == '-' || a.size() < 6) continue;
    for (size_t pos = message.find(a); pos != std::string::npos; pos = message.find(a, pos + 7))
      message.replace(pos, a.size(), "<value>");
  }
  return message;
}

std::string LoginName() {
  if (const char* u = std::getenv("USER"); u && *u) return u;
  if (auto* pw = getpwuid(getuid())) return pw->pw_name;
  return "unknown";
}

// The settings of one invocation: flags, then environment, then
// SEATKEEPER_HOME/config, then defaults; loaded once the command line is parsed.
struct Settings {
  std::string log_format, log_level;
  Config config;
  Status status;
};

// --account, --log-format, --log-level and the loading of the settings
// (logging, the store's key and database) once parsing is complete.
void AddGlobalOptions(CLI::App& app, Context& ctx, Settings& s) {
  app.add_option("--account", ctx.account, "Which connected Zendesk account (default: default)")
      ->check(CLI::Validator(AccountNameError, "NAME"));
  app.add_option("--log-format", s.log_format, "Log lines on standard error: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log-level", s.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.parse_complete_callback([&ctx, &s] {
    auto loaded = Config::Load(ctx.home);
    if (!loaded.ok()) {
      s.status = loaded.status();
      throw CLI::ValidationError(s.status.message());
    }
    Config& config = s.config = std::move(loaded).value();
    if (!s.log_format.empty()) config.SetFlag("log_format", s.log_format);
    if (!s.log_level.empty()) config.SetFlag("log_level", s.log_level);
    s.status = log::Init(config.Get("log_format"), config.Get("log_level"));
    if (s.status.ok() && !config.Get("key").empty()) setenv("SEATKEEPER_KEY", config.Get("key").c_str(), 0);
    // The store opens what SEATKEEPER_DB names (store::DatabaseFor): a `db` from the
    // config file fills it in; a SEATKEEPER_DB already set (environment) wins.
    if (s.status.ok() && !config.Get("db").empty()) setenv("SEATKEEPER_DB", config.Get("db").c_str(), 0);
    if (!s.status.ok()) throw CLI::ValidationError(s.status.message());
    log::RegisterSecret(config.Get("key"));
  });
}

// config show [--json]: the effective settings, secrets masked.
void AddConfigCommand(CLI::App& app, Context& ctx, const Settings& s) {
  auto* config_cmd = app.add_subcommand("config", "Settings and where each comes from");
  auto* show = config_cmd->add_subcommand("show", "Effective settings (secrets masked)");
  show->add_flag("--json", ctx.json, "JSON output");
  show->callback([&ctx, &s] {
    if (ctx.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& c : s.config.All())
        arr.push_back({{"key", c.key}, {"value", c.value}, {"source", c.source}});
      *ctx.out << arr.dump(2) << "\n";
      return;
    }
    Table t({"KEY", "VALUE", "SOURCE"});
    for (const auto& c : s.config.All()) t.Add({c.key, c.value, c.source});
    t.Print(*ctx.out);
  });
  config_cmd->require_subcommand(1);
}

// A mistyped command gets a suggestion rather than CLI11's generic message:
// false (after printing it) when the first word is no command.
bool KnownCommand(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("-", 0) == 0) {
      if (a == "--account" || a == "--log-format" || a == "--log-level") ++i;  // skip the option's value
      continue;
    }
    bool known = false;
    for (const auto* sub : app.get_subcommands({})) known |= sub->check_name(a);
    if (!known) {
      std::cerr << "error: " << UnknownCommandMessage(app, a) << "\nRun with --help for usage.\n";
      return false;
    }
    break;
  }
  return true;
}

// Parses and runs the command; the exit status of a parse error or help.
std::optional<int> Parse(CLI::App& app, int argc, char** argv, const Settings& s) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e);
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    app.exit(e);
    return 0;
  } catch (const CLI::CallForVersion& e) {
    app.exit(e);
    return 0;
  } catch (const CLI::ParseError& e) {
    // A settings error names the file, line and key, never a value: shown as is
    // (scrubbing argument words would mangle its path).
    const std::string message = s.status.ok() ? ScrubArguments(e.what(), argc, argv) : s.status.message();
    std::cerr << "error: " << message << "\nRun with --help for usage.\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace

int Main(int argc, char** argv) {
  // Two malloc arenas, not glibc's 8 per core: a sync's lanes (a thread per
  // rate-limit bucket) each kept their own arena's freed pages, 61 MB of
  // heap on the large account's first sync against 44 MB with two, for
  // the same CPU (bench/RESULTS.md, issue #19). `serve` lifts the cap.
  mallopt(M_ARENA_MAX, 2);
  Context ctx;
  ctx.home = DefaultHome();
  ctx.actor = "cli:" + LoginName();

  CLI::App app{"seatkeeper — who really uses your Zendesk seats, and safe seat reclaiming and offboarding"};
  app.name("seatkeeper");
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  app.set_version_flag("--version",
                       std::string("seatkeeper ") + SK_VERSION + " (commit " + SK_GIT_COMMIT + ")");
  policy::InstallAfterSyncHook();  // reclaim policies after every sync (src/policy)
  Settings settings;
  AddGlobalOptions(app, ctx, settings);
  AddConfigCommand(app, ctx, settings);
  RegisterConnectCommands(app, ctx);
  RegisterSyncCommands(app, ctx);
  RegisterReportCommands(app, ctx);
  RegisterActionCommands(app, ctx);
  RegisterServeCommands(app, ctx);
  RegisterRekeyCommand(app, ctx);
  RegisterWorkerCommand(app, ctx);
  RegisterNotifyCommands(app, ctx);
  if (!KnownCommand(app, argc, argv)) return 2;
  if (auto code = Parse(app, argc, argv, settings)) return *code;
  return ctx.exit_code;
}

}  // namespace sk::cli
