// The `seatkeeper` command line: global options, subcommand registration and
// the mapping of outcomes to exit codes (0 ok, 1 failure, 2 usage, 3 refused).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <cstdlib>
#include <unistd.h>
#include <pwd.h>

#include "cli/context.h"
#include "cli/table.h"
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

std::string LoginName() {
  if (const char* u = std::getenv("USER"); u && *u) return u;
  if (auto* pw = getpwuid(getuid())) return pw->pw_name;
  return "unknown";
}

}  // namespace

int Main(int argc, char** argv) {
  Context ctx;
  ctx.home = DefaultHome();
  ctx.actor = "cli:" + LoginName();

  CLI::App app{"seatkeeper — who really uses your Zendesk seats, and safe seat reclaiming and offboarding"};
  app.name("seatkeeper");
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  app.set_version_flag("--version", std::string("seatkeeper ") + SK_VERSION + " (commit " + SK_GIT_COMMIT + ")");
  app.add_option("--account", ctx.account, "Which connected Zendesk account (default: default)");
  std::string log_format, log_level;
  app.add_option("--log-format", log_format, "Log lines on standard error: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  // Settings: flags, then environment, then SEATKEEPER_HOME/config, then defaults.
  Config config;
  Status config_status;
  app.parse_complete_callback([&] {
    auto loaded = Config::Load(ctx.home);
    if (!loaded.ok()) throw CLI::ValidationError(loaded.status().message());
    config = std::move(loaded).value();
    if (!log_format.empty()) config.SetFlag("log_format", log_format);
    if (!log_level.empty()) config.SetFlag("log_level", log_level);
    config_status = log::Init(config.Get("log_format"), config.Get("log_level"));
    if (config_status.ok() && !config.Get("key").empty()) setenv("SEATKEEPER_KEY", config.Get("key").c_str(), 0);
    if (!config_status.ok()) throw CLI::ValidationError(config_status.message());
    log::RegisterSecret(config.Get("key"));
  });

  auto* config_cmd = app.add_subcommand("config", "Settings and where each comes from");
  auto* show = config_cmd->add_subcommand("show", "Effective settings (secrets masked)");
  show->add_flag("--json", ctx.json, "JSON output");
  show->callback([&] {
    if (ctx.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& s : config.All()) arr.push_back({{"key", s.key}, {"value", s.value}, {"source", s.source}});
      *ctx.out << arr.dump(2) << "\n";
      return;
    }
    Table t({"KEY", "VALUE", "SOURCE"});
    for (const auto& s : config.All()) t.Add({s.key, s.value, s.source});
    t.Print(*ctx.out);
  });
  config_cmd->require_subcommand(1);

  RegisterConnectCommands(app, ctx);
  RegisterSyncCommands(app, ctx);
  RegisterReportCommands(app, ctx);
  RegisterActionCommands(app, ctx);
  RegisterServeCommands(app, ctx);

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
    std::cerr << "error: " << e.what() << "\nRun with --help for usage.\n";
    (void)config_status;
    return 2;
  }
  return ctx.exit_code;
}

}  // namespace sk::cli
