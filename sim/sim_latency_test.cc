// zdsim's latency model: answers are held for Zendesk's recorded server
// times, scaled with the rate-limit window, and --no-latency turns it off.
// Nothing here measures wall time: the model's draws are checked directly and
// the request log's latency_ms is checked against the model's bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "latency.h"
#include "sim_test_util.h"

namespace zdsim {
namespace {

using testing::AdminClient;
using testing::Body;
using testing::FixedOptions;

TEST(ZdsimLatency, ProfilesFollowTheRecordedServerTimes) {
  // A 100-audit page (129 KB) was recorded at 0.83-0.87 s, a 1000-user
  // incremental page (820 KB) at 1.3-1.8 s, a small show at about 0.09 s.
  const auto audits = ProfileFor("GET", "/api/v2/ticket_audits", 200);
  EXPECT_NEAR(audits.base_s + audits.per_kb_s * 129, 0.85, 0.1);
  const auto users = ProfileFor("GET", "/api/v2/incremental/users/cursor", 200);
  EXPECT_NEAR(users.base_s + users.per_kb_s * 820, 1.5, 0.3);
  EXPECT_NEAR(ProfileFor("GET", "/api/v2/users/me", 200).base_s, 0.09, 0.02);
  EXPECT_NEAR(ProfileFor("DELETE", "/api/v2/users/123", 200).base_s, 0.29, 0.02);
  EXPECT_LT(ProfileFor("GET", "/api/v2/ticket_audits", 429).per_kb_s, 1e-9);  // refused before any work
}

TEST(ZdsimLatency, DrawsCentreOnTheMedianWithASlowTail) {
  LatencyModel m(1.0, 0, 7);
  const auto p = ProfileFor("GET", "/api/v2/ticket_audits", 200);
  const double median = p.base_s + p.per_kb_s * 100;
  std::vector<double> draws;
  for (int i = 0; i < 4001; ++i) draws.push_back(m.Delay("GET", "/api/v2/ticket_audits", 200, 100 * 1024));
  std::sort(draws.begin(), draws.end());
  EXPECT_NEAR(draws[2000] / median, 1.0, 0.05);
  EXPECT_GT(draws[3600] / median, 1.2);   // p90 of a log-normal with sigma 0.25 is 1.38x
  EXPECT_GT(draws.back() / median, 4.0);  // one in a hundred is eight times slower
  EXPECT_GT(draws.front(), 0.0);
}

TEST(ZdsimLatency, ScaleMultipliesAndZeroTurnsItOff) {
  LatencyModel off(0, 0.05, 1);
  EXPECT_EQ(off.Delay("GET", "/api/v2/users", 200, 80000), 0.0);
  LatencyModel a(1.0, 0, 3), b(0.5, 0, 3);
  for (int i = 0; i < 10; ++i) {
    const double x = a.Delay("GET", "/api/v2/users", 200, 80000);
    EXPECT_NEAR(b.Delay("GET", "/api/v2/users", 200, 80000), x / 2, 1e-12);
  }
  Options o;
  o.rate_window_seconds = 1;
  EXPECT_NEAR(LatencyScale(o), 1.0 / 60, 1e-12);
  o.latency_scale = 0.25;
  EXPECT_NEAR(LatencyScale(o), 0.25, 1e-12);
  o.latency = false;
  EXPECT_EQ(LatencyScale(o), 0.0);
}

// Every API answer's logged latency_ms lies within what the model allows for
// its endpoint and body size.
TEST(ZdsimLatency, AnswersAreHeldForTheModelledTime) {
  Options o = FixedOptions();
  o.latency_scale = 0.02;
  Simulator sim(o);
  sim.Start();
  auto c = AdminClient(sim);
  struct Seen {
    std::string method, path;
    size_t bytes;
  };
  std::vector<Seen> seen;
  for (const char* p : {"/api/v2/users/me.json", "/api/v2/ticket_audits.json?page[size]=100",
                        "/api/v2/incremental/users/cursor.json?start_time=0&per_page=1000"}) {
    auto r = c->Get(p);
    ASSERT_TRUE(r) << p;
    ASSERT_EQ(r->status, 200) << p;
    std::string path = p;
    path = path.substr(0, path.find(".json"));
    seen.push_back({"GET", path, r->body.size()});
  }
  const auto log = Body(c->Get("/_sim/requests"));
  ASSERT_GE(log.size(), seen.size());
  for (size_t i = 0; i < seen.size(); ++i) {
    const auto& rec = log[i];
    const auto prof = ProfileFor(seen[i].method, seen[i].path, 200);
    const double median_ms = 1000 * 0.02 * (prof.base_s + prof.per_kb_s * seen[i].bytes / 1024.0);
    const double got = rec["latency_ms"].get<double>();
    EXPECT_GE(got, std::floor(median_ms * std::exp(-1.25))) << seen[i].path;    // 5 sigma below
    EXPECT_LE(got, std::ceil(median_ms * 8 * std::exp(1.25))) << seen[i].path;  // tail, 5 sigma above
    EXPECT_GT(got, 0) << seen[i].path;
  }
}

TEST(ZdsimLatency, NoLatencyAnswersAtOnce) {
  Options o = FixedOptions();
  o.latency = false;
  Simulator sim(o);
  sim.Start();
  auto c = AdminClient(sim);
  ASSERT_EQ(c->Get("/api/v2/ticket_audits.json?page[size]=100")->status, 200);
  const auto log = Body(c->Get("/_sim/requests"));
  ASSERT_FALSE(log.empty());
  for (const auto& rec : log) EXPECT_EQ(rec["latency_ms"].get<int64_t>(), 0);
}

}  // namespace
}  // namespace zdsim
