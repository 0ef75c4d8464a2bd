// A simulated Zendesk account (in-process zdsim on a loopback port) and a
// seatkeeper home connected to it through the real CLI.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server.h"
#include "support/cli_runner.h"

namespace sk::testing {

// A fixed "now" for deterministic windows: 2026-11-20T15:00:00Z.
inline constexpr int64_t kNow = 1795186800;

zdsim::Options SmallAccount(uint64_t seed = 1, const std::string& plan = "enterprise");

class Account {
 public:
  explicit Account(zdsim::Options o, const std::string& name = "account");
  ~Account();

  zdsim::Simulator& sim() { return *sim_; }
  CliRunner& cli() { return cli_; }
  // Connects with the admin's API token; returns the CLI result.
  CliResult Connect(const std::vector<std::string>& extra = {});
  CliResult ConnectOAuth(const std::string& token, const std::vector<std::string>& extra = {});
  // Runs a command that must succeed and parses its --json output.
  nlohmann::json Json(std::vector<std::string> args);
  // Moves both clocks (the simulator's and seatkeeper's) forward.
  void Advance(int64_t seconds, bool activity = true);
  // The simulator's full agents who are neither suspended nor deleted, other
  // than the admin, the owner and the named agent (agent@): targets a test
  // may change freely, in the truth's order.
  std::vector<int64_t> SpareAgents();
  // The simulator's truth about one user (null if it has none).
  nlohmann::json TruthUser(int64_t id);
  // Requests other than GET the simulator received (since ClearRequests).
  int Mutations();
  // Successful (2xx) requests other than GET to paths starting with `prefix`.
  int SucceededMutations(const std::string& prefix);

 private:
  std::unique_ptr<zdsim::Simulator> sim_;
  CliRunner cli_;
};

// The whole content of a file ("" if it cannot be read).
std::string ReadWholeFile(const std::string& path);

// users --json projected to the fields the simulator's truth has.
nlohmann::json ProjectUsers(const nlohmann::json& users);
// usage --json projected to {user_id, date, sources}.
nlohmann::json ProjectUsage(const nlohmann::json& usage);
// A readable first difference between two arrays of objects keyed by `key`.
std::string FirstDifference(const nlohmann::json& got, const nlohmann::json& want,
                            const std::vector<std::string>& key);

}  // namespace sk::testing
