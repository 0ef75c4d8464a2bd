// Issue #9, operating seatkeeper: structured logs (every line of a sync and
// of an action carries the account and a run id; no secret at debug level),
// and settings from flags, then environment, then SEATKEEPER_HOME/config,
// through the real binary.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "support/account.h"

namespace sk::testing {
namespace {

using nlohmann::json;

// Standard error of a --log-format json run: one JSON object a line, each checked.
std::vector<json> JsonLines(const std::string& err) {
  std::vector<json> out;
  std::istringstream in(err);
  std::string line;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    EXPECT_TRUE(j.is_object()) << "not a JSON log line: " << line;
    if (!j.is_object()) continue;
    EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("msg")) << line;
    out.push_back(std::move(j));
  }
  return out;
}

// Every line names the account and one run id; returns that id.
std::string ExpectOneRun(const std::vector<json>& lines, const std::string& what) {
  std::set<std::string> ids;
  for (const auto& l : lines) {
    EXPECT_EQ(l.value("account", ""), "default") << what << ": " << l.dump();
    EXPECT_TRUE(l.contains("run_id") && l["run_id"].is_string()) << what << ": " << l.dump();
    if (l.contains("run_id")) ids.insert(l["run_id"].dump());
  }
  EXPECT_EQ(ids.size(), 1u) << what << ": one run, one id";
  return ids.empty() ? "" : *ids.begin();
}

TEST(Operations, EveryLogLineOfASyncAndAnActionCarriesAccountAndRunIdAndNoSecret) {
  Account acct(SmallAccount(43), "ops-logs");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  const std::vector<std::string> debug = {"--log-format", "json", "--log-level", "debug"};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), debug.begin(), debug.end());
    CliResult r = acct.cli().Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  };

  CliResult sync = run({"sync"});
  auto sync_lines = JsonLines(sync.err);
  ASSERT_GE(sync_lines.size(), 5u) << sync.err;
  bool saw_debug = false;
  for (const auto& l : sync_lines) saw_debug |= l["level"] == "debug";
  EXPECT_TRUE(saw_debug) << "--log-level debug shows debug lines";
  const std::string sync_run = ExpectOneRun(sync_lines, "sync");

  CliResult action = run({"user", "set-role", std::to_string(acct.sim().AgentId()), "--role", "end-user",
                          "--let-zendesk-reassign"});
  auto action_lines = JsonLines(action.err);
  ASSERT_FALSE(action_lines.empty()) << "an action logs at debug level";
  EXPECT_NE(ExpectOneRun(action_lines, "action"), sync_run);

  // A worker's sync: from the claim to the release, every line is the run's.
  ASSERT_EQ(acct.cli().Run({"worker", "request"}).exit_code, 0);
  CliResult worker = run({"worker", "--until-idle"});
  auto worker_lines = JsonLines(worker.err);
  std::vector<json> in_run;
  bool inside = false;
  for (const auto& l : worker_lines) {
    const std::string msg = l.value("msg", "");
    if (msg.rfind("claimed sync", 0) == 0) inside = true;
    if (inside) in_run.push_back(l);
    if (msg.rfind("synced ", 0) == 0) inside = false;
  }
  ASSERT_GE(in_run.size(), 4u) << worker.err;
  ExpectOneRun(in_run, "worker sync");

  // No secret, in any line or output.
  const std::string key = ReadWholeFile(acct.cli().home() + "/key");
  ASSERT_GE(key.size(), 64u);
  for (const CliResult* r : {&sync, &action, &worker})
    for (const std::string& secret :
         {std::string(zdsim::kAdminApiToken), std::string(zdsim::kAgentApiToken),
          std::string(zdsim::kAdminOauthToken), std::string(zdsim::kOauthClientSecret), key.substr(0, 64)})
      EXPECT_EQ((r->out + r->err).find(secret), std::string::npos) << "a secret reached the output";
}

json ConfigShow(CliRunner& cli, const std::vector<std::string>& flags = {}) {
  std::vector<std::string> args = {"config", "show", "--json"};
  args.insert(args.end(), flags.begin(), flags.end());
  CliResult r = cli.Run(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json out = json::object();
  for (const auto& s : json::parse(r.out)) out[s["key"].get<std::string>()] = s;
  return out;
}

TEST(Operations, SettingsComeFromFlagsThenEnvironmentThenTheConfigFile) {
  CliRunner cli("ops-config");
  cli.WriteFile("config",
                "# seatkeeper settings\n"
                "log_format = json\n"
                "log_level = error\n"
                "listen = 0.0.0.0:9000\n"
                "sync_at = \"04:30\"\n"
                "db = " +
                    cli.home() +
                    "/other.db\n"
                    "key = " +
                    std::string(64, 'e') + "\n");
  // File only.
  json file = ConfigShow(cli);
  EXPECT_EQ(file["log_level"]["value"], "error");
  EXPECT_EQ(file["log_level"]["source"], "file " + cli.home() + "/config:3");
  EXPECT_EQ(file["sync_at"]["value"], "04:30");
  EXPECT_EQ(file["key"]["value"], "***") << "secrets are masked";
  EXPECT_EQ(file["db"]["value"], "***");
  EXPECT_EQ(file["web_root"]["source"], "default");
  // Environment beats the file; a flag beats both.
  cli.SetEnv("SEATKEEPER_LOG_LEVEL", "warn");
  cli.SetEnv("SEATKEEPER_LISTEN", "127.0.0.1:7000");
  json env = ConfigShow(cli);
  EXPECT_EQ(env["log_level"]["value"], "warn");
  EXPECT_EQ(env["log_level"]["source"], "env SEATKEEPER_LOG_LEVEL");
  EXPECT_EQ(env["listen"]["value"], "127.0.0.1:7000");
  EXPECT_EQ(env["log_format"]["value"], "json");
  json flag = ConfigShow(cli, {"--log-level", "debug", "--log-format", "text"});
  EXPECT_EQ(flag["log_level"]["value"], "debug");
  EXPECT_EQ(flag["log_level"]["source"], "flag");
  EXPECT_EQ(flag["log_format"]["value"], "text");
  EXPECT_EQ(flag["listen"]["value"], "127.0.0.1:7000");

  // The effective values are the ones used: the file's db and key open the store there.
  CliResult status = cli.Run({"status"});
  EXPECT_TRUE(std::filesystem::exists(cli.home() + "/other.db")) << status.err;
  EXPECT_FALSE(std::filesystem::exists(cli.home() + "/seatkeeper.db"));
  EXPECT_FALSE(std::filesystem::exists(cli.home() + "/key"))
      << "the config file's key is used, no key file made";
  // The environment's database wins over the file's.
  cli.SetEnv("SEATKEEPER_DB", cli.home() + "/env.db");
  cli.Run({"status"});
  EXPECT_TRUE(std::filesystem::exists(cli.home() + "/env.db"));
}

TEST(Operations, AnUnknownOrMalformedConfigLineIsAClearError) {
  CliRunner cli("ops-config-bad");
  cli.WriteFile("config", "log_level = info\nlog_levle = debug\n");
  CliResult r = cli.Run({"config", "show"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(cli.home() + "/config:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown key `log_levle`"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("log_level"), std::string::npos) << "names the known keys: " << r.err;
  // Every command refuses to run on it, not only config show.
  EXPECT_EQ(cli.Run({"status"}).exit_code, 2);
  cli.WriteFile("config", "log_level debug\n");
  CliResult malformed = cli.Run({"status"});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_NE(malformed.err.find("expected `key = value`"), std::string::npos) << malformed.err;
  // A bad value of a known key is named too.
  cli.WriteFile("config", "log_format = yaml\n");
  CliResult value = cli.Run({"status"});
  EXPECT_EQ(value.exit_code, 2);
  EXPECT_NE(value.err.find("log-format"), std::string::npos) << value.err;
}

}  // namespace
}  // namespace sk::testing
