// The action commands end to end: argument handling, exit codes (0 ok,
// 2 usage, 3 refused), --json output and the audit listing, against an
// in-process zdsim.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "actions/action_testing.h"
#include "server.h"

namespace sk::cli {
int Main(int argc, char** argv);
namespace {

using nlohmann::json;

struct CliRun {
  int code = 0;
  std::string out, err;
};

class ActionCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    zdsim::Options o = actions::testing::SmallAccount();
    o.articles = 20;
    sim_ = std::make_unique<zdsim::Simulator>(o);
    sim_->Start();
    home_ =
        (std::filesystem::temp_directory_path() / ("sk-actions-cli-" + std::to_string(::getpid()))).string();
    std::filesystem::remove_all(home_);
    ::setenv("SEATKEEPER_HOME", home_.c_str(), 1);
    ::setenv("ZENDESK_API_TOKEN", zdsim::kAdminApiToken, 1);
    Connect("read-write");
  }
  void TearDown() override {
    sim_->Stop();
    std::filesystem::remove_all(home_);
  }

  void Connect(const std::string& permission) {
    CliRun r = Cli({"connect", "--url", sim_->BaseUrl(), "--email", sim_->AdminEmail(), "--allow-local",
                    "--permission", permission});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    sim_->ClearRequests();
  }

  CliRun Cli(std::vector<std::string> args) {
    args.insert(args.begin(), "seatkeeper");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::ostringstream out, err;
    auto* old_out = std::cout.rdbuf(out.rdbuf());
    auto* old_err = std::cerr.rdbuf(err.rdbuf());
    CliRun r;
    r.code = Main(static_cast<int>(args.size()), argv.data());
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  int Mutating() {
    int n = 0;
    for (const auto& r : sim_->Requests()) n += r.value("method", "") != "GET";
    return n;
  }

  std::string Agent() { return std::to_string(sim_->AgentId()); }

  std::unique_ptr<zdsim::Simulator> sim_;
  std::string home_;
};

TEST_F(ActionCommandsTest, DryRunJsonAndRealRun) {
  CliRun dry = Cli({"user", "set-role", Agent(), "--role", "end-user", "--dry-run", "--json"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  json j = json::parse(dry.out);
  EXPECT_EQ(j["result"], "dry-run");
  EXPECT_EQ(j["changes"][0]["state"], "planned");
  EXPECT_EQ(Mutating(), 0);

  CliRun real = Cli({"user", "set-role", Agent(), "--role", "end-user", "--let-zendesk-reassign"});
  ASSERT_EQ(real.code, 0) << real.err;
  EXPECT_NE(real.out.find("-> end-user"), std::string::npos) << real.out;
  EXPECT_EQ(Mutating(), 1);

  CliRun audit = Cli({"audit", "--json"});
  ASSERT_EQ(audit.code, 0) << audit.err;
  json entries = json::parse(audit.out);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1]["action"], "user.set-role");
  EXPECT_EQ(entries[1]["result"], "ok");
  EXPECT_EQ(entries[1]["before"]["role"], "agent");
  EXPECT_EQ(entries[1]["after"]["role"], "end-user");
  EXPECT_FALSE(entries[1]["actor"].get<std::string>().empty());
  EXPECT_FALSE(entries[1]["at"].get<std::string>().empty());

  CliRun table = Cli({"audit"});
  EXPECT_EQ(table.code, 0);
  EXPECT_NE(table.out.find("user.set-role"), std::string::npos);
}

TEST_F(ActionCommandsTest, ExitCodes) {
  EXPECT_EQ(Cli({"user", "set-role", Agent(), "--role", "boss"}).code, 2);
  EXPECT_EQ(Cli({"user", "delete", Agent(), "--permanent"}).code, 2);  // needs --yes
  EXPECT_EQ(Cli({"offboard", Agent(), "--reassign-to", std::to_string(sim_->AdminId()), "--delete",
                 "--permanent", "--yes"})
                .code,
            2);
  EXPECT_EQ(Cli({"offboard", Agent()}).code, 2);  // --reassign-to is required
  // One choice for the tickets, not both.
  EXPECT_EQ(Cli({"user", "delete", Agent(), "--reassign-to", std::to_string(sim_->AdminId()),
                 "--let-zendesk-reassign"})
                .code,
            2);
  EXPECT_EQ(Mutating(), 0);
  // Zendesk's refusal (owner must stay admin) and the local self protection.
  CliRun owner = Cli(
      {"user", "set-role", std::to_string(sim_->OwnerId()), "--role", "end-user", "--let-zendesk-reassign"});
  EXPECT_EQ(owner.code, 3);
  EXPECT_NE(owner.err.find("owner must be an admin"), std::string::npos) << owner.err;
  EXPECT_EQ(Cli({"user", "delete", std::to_string(sim_->AdminId())}).code, 3);
}

TEST_F(ActionCommandsTest, ReadConnectionRefusesWithExit3AndSendsNothing) {
  Connect("read");
  const std::string admin = std::to_string(sim_->AdminId());
  std::vector<std::vector<std::string>> cmds = {
      {"user", "create", "--name", "N", "--email", "n@acme.test", "--role", "agent"},
      {"user", "delete", Agent(), "--permanent", "--yes"},
      {"user", "set-role", Agent(), "--role", "end-user", "--dry-run"},
      {"tickets", "reassign", "--from", Agent(), "--to", admin},
      {"offboard", Agent(), "--reassign-to", admin, "--delete"},
  };
  for (const auto& c : cmds) {
    CliRun r = Cli(c);
    EXPECT_EQ(r.code, 3) << c[0] << " " << c[1] << ": " << r.err;
    EXPECT_NE(r.err.find("read-only"), std::string::npos) << r.err;
  }
  EXPECT_TRUE(sim_->Requests().empty()) << sim_->Requests().dump();
}

}  // namespace
}  // namespace sk::cli
