// Issue #19 item 2, end to end over HTTP: the sync keeps several rate-limit
// buckets busy at once (its lanes, src/sync/sync.cc) under zdsim's latency
// model, and its result is the one a sequential sync (`sync --sequential`)
// gets from the same seeded account.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/account.h"

namespace sk::testing {
namespace {

struct InFlight {
  std::string bucket;
  int64_t from_ms = 0, to_ms = 0;  // zdsim held the answer from .. to (its latency model)
};

std::vector<InFlight> Intervals(const nlohmann::json& requests) {
  std::vector<InFlight> out;
  for (const auto& r : requests) {
    const std::string path = r["path"];
    if (path.rfind("/api/v2/", 0) != 0 || !r["bucket"].is_string()) continue;
    const int64_t at = r["elapsed_ms"], held = r["latency_ms"];
    out.push_back({r["bucket"], at, at + held});
  }
  return out;
}

// Pairs of buckets with a request of each in flight at the same moment
// (overlapping by more than the log's millisecond rounding), with how often.
std::map<std::pair<std::string, std::string>, int> OverlappingBuckets(const std::vector<InFlight>& v) {
  std::map<std::pair<std::string, std::string>, int> out;
  for (size_t i = 0; i < v.size(); ++i)
    for (size_t j = i + 1; j < v.size(); ++j) {
      if (v[i].bucket == v[j].bucket) continue;
      const int64_t overlap = std::min(v[i].to_ms, v[j].to_ms) - std::max(v[i].from_ms, v[j].from_ms);
      if (overlap > 2) ++out[std::minmax(v[i].bucket, v[j].bucket)];
    }
  return out;
}

std::string Describe(const std::map<std::pair<std::string, std::string>, int>& m) {
  std::string s;
  for (const auto& [k, n] : m) s += k.first + "+" + k.second + ": " + std::to_string(n) + "; ";
  return s.empty() ? "none" : s;
}

zdsim::Options LatencyAccount() {
  zdsim::Options o = SmallAccount(19, "enterprise");
  // Latency and rate limits at 1/20 of Zendesk's (a 3-second window): an
  // export page is held ~70 ms, an audit-log page ~9 ms.
  o.rate_window_seconds = 3;
  return o;
}

TEST(OverlappedSync, KeepsSeveralBucketsInFlightAndGetsTheSequentialResult) {
  Account overlapped(LatencyAccount(), "overlapped");
  Account sequential(LatencyAccount(), "sequential");
  ASSERT_EQ(overlapped.Connect().exit_code, 0);
  ASSERT_EQ(sequential.Connect().exit_code, 0);

  overlapped.sim().ClearRequests();
  auto report = overlapped.Json({"sync"});
  const auto overlaps = OverlappingBuckets(Intervals(overlapped.sim().Requests()));
  // The export (incremental bucket) reads while the other lanes read theirs.
  int with_export = 0;
  for (const auto& [k, n] : overlaps)
    if (k.first == "incremental-exports" || k.second == "incremental-exports") with_export += n;
  EXPECT_GT(with_export, 0) << Describe(overlaps);

  sequential.sim().ClearRequests();
  auto seq_report = sequential.Json({"sync", "--sequential"});
  const auto seq_overlaps = OverlappingBuckets(Intervals(sequential.sim().Requests()));
  EXPECT_TRUE(seq_overlaps.empty()) << "--sequential sends one request at a time: " << Describe(seq_overlaps);

  // The same result: users, usage per user and day, each day's coverage, the report's sources.
  auto users = ProjectUsers(overlapped.Json({"users"}));
  auto seq_users = ProjectUsers(sequential.Json({"users"}));
  ASSERT_FALSE(users.empty());
  EXPECT_TRUE(users == seq_users) << FirstDifference(users, seq_users, {"id"});
  auto usage = ProjectUsage(overlapped.Json({"usage"}));
  auto seq_usage = ProjectUsage(sequential.Json({"usage"}));
  ASSERT_FALSE(usage.empty());
  EXPECT_TRUE(usage == seq_usage) << FirstDifference(usage, seq_usage, {"date", "user_id"});
  // Counts and evidence ids too: no two lanes write the same rows.
  EXPECT_EQ(overlapped.Json({"usage"}), sequential.Json({"usage"}));
  auto coverage = overlapped.Json({"usage", "--coverage"});
  auto seq_coverage = sequential.Json({"usage", "--coverage"});
  EXPECT_EQ(coverage, seq_coverage);
  for (const char* k : {"users", "sources", "skipped", "coverage", "ticket_audits"})
    EXPECT_EQ(report.value(k, nlohmann::json()), seq_report.value(k, nlohmann::json())) << k;
  // And both are zdsim's truth.
  auto truth = ProjectUsage(overlapped.sim().TruthUsage(90, "UTC"));
  EXPECT_TRUE(usage == truth) << FirstDifference(usage, truth, {"date", "user_id"});
}

// A lane that fails stops the others: the sync fails with that lane's
// error, message and exit code, as the sequential sync does, and what the
// lanes committed before stays.
TEST(OverlappedSync, AFailingLaneStopsTheOthersWithTheSequentialError) {
  auto last_line = [](const std::string& err) {
    std::string s = err;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s.substr(s.rfind('\n') + 1);
  };
  auto run = [&](bool sequential) {
    Account acct(LatencyAccount(), sequential ? "fail-sequential" : "fail-overlapped");
    EXPECT_EQ(acct.Connect().exit_code, 0);
    // The ticket event export answers 404 (not retried) from its fourth page on.
    zdsim::Fault f;
    f.kind = "status";
    f.status = 404;
    f.retry_after.reset();
    f.count = 1000;
    f.skip = 3;
    f.path = "/api/v2/incremental/ticket_events";
    acct.sim().AddFault(f);
    std::vector<std::string> args = {"sync"};
    if (sequential) args.push_back("--sequential");
    auto r = acct.cli().Run(args);
    EXPECT_EQ(acct.Json({"status"})["state"], "error");
    // What was committed before stays: the users and the export's first pages.
    EXPECT_FALSE(acct.Json({"users"}).empty());
    EXPECT_FALSE(acct.Json({"usage"}).empty());
    return std::make_pair(r.exit_code, last_line(r.err));
  };
  auto overlapped = run(false), sequential = run(true);
  EXPECT_EQ(overlapped.first, 1);
  EXPECT_EQ(overlapped, sequential);
  EXPECT_NE(overlapped.second.find("reading ticket_activity"), std::string::npos) << overlapped.second;
}

}  // namespace
}  // namespace sk::testing
