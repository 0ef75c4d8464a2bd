// Issue #17 items 1-2, end to end over HTTP (the real seatkeeper binary
// against an in-process zdsim): `recommendations` names each of zdsim's cast
// members with the right kind or not at all, and its light-agent verdict
// agrees with zdsim's truth across the whole account for both ticket activity
// plans (the audit walk and the event export): nobody who did what a light
// agent cannot (public comment, field change, ticket created, deleted or
// assigned) is ever `light-agent`, and every paid agent who only read and
// wrote private notes is.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "support/account.h"
#include "util/time.h"

namespace sk::testing {
namespace {

int64_t IdByEmail(const nlohmann::json& truth, const std::string& email) {
  for (const auto& u : truth)
    if (u["email"] == email) return u["id"].get<int64_t>();
  return 0;
}

// Per user id: the dates (YYYY-MM-DD) of their usage rows, and whether one has an article.
struct TruthActivity {
  std::map<int64_t, std::set<std::string>> dates;
  std::set<int64_t> article_authors;
};

TruthActivity ActivityOf(const nlohmann::json& usage) {
  TruthActivity a;
  for (const auto& r : usage) {
    const int64_t id = r["user_id"];
    a.dates[id].insert(r["date"].get<std::string>());
    for (const auto& s : r["sources"])
      if (s == "article") a.article_authors.insert(id);
  }
  return a;
}

class Recommendations : public ::testing::TestWithParam<std::string> {};

TEST_P(Recommendations, CastMembersAndTheLightAgentVerdictAgreeWithZdsimTruth) {
  Account acct(SmallAccount(41, "enterprise"), "recommendations-" + GetParam());
  acct.cli().SetEnv("SEATKEEPER_TICKET_ACTIVITY_PLAN", GetParam());
  ASSERT_EQ(acct.Connect().exit_code, 0);
  acct.Json({"sync"});
  const auto truth = acct.sim().TruthUsers();
  const TruthActivity activity = ActivityOf(acct.sim().TruthUsage(90, "UTC"));
  auto recs = acct.Json({"recommendations", "--seat-price", "55"});
  ASSERT_TRUE(recs.is_array()) << recs.dump();
  std::map<int64_t, std::string> kind;
  for (const auto& r : recs) {
    for (const char* k : {"user_id", "name", "license", "kind", "reason", "evidence", "monthly_saving"})
      ASSERT_TRUE(r.contains(k)) << k << " missing: " << r.dump();
    for (const char* k : {"active_days", "last_active_date", "sources", "examples"})
      ASSERT_TRUE(r["evidence"].contains(k)) << k << " missing: " << r.dump();
    const int64_t id = r["user_id"];
    EXPECT_TRUE(kind.emplace(id, r["kind"].get<std::string>()).second) << "one row per seat: " << id;
    EXPECT_EQ(r["monthly_saving"].get<double>(), r["kind"] == "integration" ? 0.0 : 55.0) << r.dump();
  }

  // The cast (sim/dataset.cc AddCast, AddIntegrationAgents).
  const int64_t notes = IdByEmail(truth, "nora.notes@acme.test");
  const int64_t reader = IdByEmail(truth, "rita.reader@acme.test");
  const int64_t one_reply = IdByEmail(truth, "omar.onereply@acme.test");
  const int64_t jira = IdByEmail(truth, "jira.integration@acme.test");
  ASSERT_TRUE(notes && reader && one_reply && jira);
  EXPECT_EQ(kind[notes], "light-agent") << "private notes only";
  EXPECT_EQ(kind[reader], "light-agent") << "signs in (reads), never writes";
  EXPECT_EQ(kind.count(one_reply), 0u) << "one public reply in the window: keeps the full seat";
  EXPECT_EQ(kind[jira], "integration") << "a token user whose only activity is API use";
  EXPECT_EQ(kind.count(acct.sim().AdminId()), 0u) << "never the connecting user";
  EXPECT_EQ(kind.count(acct.sim().OwnerId()), 0u) << "never the owner";

  const std::string idle_from = FormatDay(Zone::Utc().DayOf(kNow) - 29);
  int light = 0, checked = 0;
  for (const auto& u : truth) {
    const int64_t id = u["id"];
    SCOPED_TRACE(u.dump());
    if (u["full_agent_work"].get<bool>()) {
      EXPECT_NE(kind.count(id) ? kind[id] : "", "light-agent")
          << "did what a light agent cannot in the window";
    }
    if (!u["seat"].get<bool>() || id == acct.sim().AdminId() || id == acct.sim().OwnerId()) {
      EXPECT_EQ(kind.count(id) ? kind[id] : "", "") << "only paid seats, never the owner or connecting user";
      kind.erase(id);
      continue;
    }
    ++checked;
    const auto dates = activity.dates.count(id) ? activity.dates.at(id) : std::set<std::string>{};
    const bool recent = !dates.empty() && *dates.rbegin() >= idle_from;
    std::string want;
    if (u["suspended"].get<bool>()) {
      want = "suspended";
    } else if (u["probable_integration"].get<bool>()) {
      want = "integration";
    } else if (!recent) {
      want = "end-user";
    } else if (u["role"] == "agent" && u["license"] == "agent" && !u["full_agent_work"].get<bool>() &&
               !activity.article_authors.count(id)) {
      want = "light-agent";
    }
    light += want == "light-agent";
    EXPECT_EQ(kind.count(id) ? kind[id] : "", want);
  }
  EXPECT_GE(light, 2) << "the cast at least";
  EXPECT_GT(checked, 10);
}

INSTANTIATE_TEST_SUITE_P(TicketActivityPlans, Recommendations, ::testing::Values("walk", "export"));

TEST(RecommendationsCsv, SameRowsAsJsonWithTheDeclaredColumns) {
  Account acct(SmallAccount(42, "professional"), "recommendations-csv");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  acct.Json({"sync"});
  auto recs = acct.Json({"recommendations"});
  for (const auto& r : recs)
    EXPECT_TRUE(r["monthly_saving"].is_null()) << "no seat price given: " << r.dump();
  auto csv = acct.cli().Run({"recommendations", "--csv", "--min-idle-days", "30"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  std::istringstream lines(csv.out);
  std::string header, line;
  std::getline(lines, header);
  if (!header.empty() && header.back() == '\r') header.pop_back();  // RFC 4180 line ends
  EXPECT_EQ(header,
            "user_id,name,license,kind,reason,active_days,last_active_date,sources,examples,monthly_saving");
  std::set<std::string> ids;
  while (std::getline(lines, line))
    if (!line.empty()) ids.insert(line.substr(0, line.find(',')));
  std::set<std::string> want;
  for (const auto& r : recs) want.insert(std::to_string(r["user_id"].get<int64_t>()));
  EXPECT_EQ(ids, want);
  auto bad = acct.cli().Run({"recommendations", "--min-idle-days", "0"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
}

// Issue #17 item 2: seats shows paid seats purchased (given on connect or
// config; Zendesk documents no seat count), assigned, used, and what every
// recommendation applied would free and save.
TEST(SeatTotals, PurchasedAssignedUsedAndTheRecommendationsSaving) {
  Account acct(SmallAccount(43, "enterprise"), "seat-totals");
  ASSERT_EQ(acct.Connect({"--purchased-seats", "60"}).exit_code, 0);
  acct.Json({"sync"});
  auto seats = acct.Json({"seats", "--seat-price", "10"});
  ASSERT_TRUE(seats.contains("totals")) << seats.dump();
  const auto& t = seats["totals"];
  size_t paid = 0;
  for (const auto& u : acct.sim().TruthUsers()) paid += u["seat"].get<bool>();
  EXPECT_EQ(t["purchased"], 60);
  EXPECT_EQ(t["assigned"].get<size_t>(), paid);
  EXPECT_EQ(t["assigned"], seats["paid_seats"]);
  EXPECT_EQ(t["used"].get<int64_t>(),
            seats["paid_seats"].get<int64_t>() - seats["idle_paid_seats"].get<int64_t>());
  EXPECT_EQ(t["unassigned"].get<int64_t>(), 60 - static_cast<int64_t>(paid));
  auto recs = acct.Json({"recommendations", "--seat-price", "10"});
  size_t freed = 0;
  for (const auto& r : recs) freed += r["kind"] != "integration";
  EXPECT_EQ(t["recommendations"].get<size_t>(), recs.size());
  EXPECT_EQ(t["recommended_seats_freed"].get<size_t>(), freed);
  EXPECT_DOUBLE_EQ(t["recommendations_saving"].get<double>(), 10.0 * static_cast<double>(freed));

  auto set = acct.cli().Run({"config", "seats", "--purchased-seats", "75"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(acct.Json({"seats"})["totals"]["purchased"], 75);
  EXPECT_TRUE(acct.Json({"seats"})["totals"]["recommendations_saving"].is_null()) << "no seat price";
  EXPECT_EQ(acct.cli().Run({"config", "seats", "--purchased-seats", "-1"}).exit_code, 2);
  ASSERT_EQ(acct.cli().Run({"config", "seats", "--purchased-seats", "0"}).exit_code, 0);
  EXPECT_TRUE(acct.Json({"seats"})["totals"]["purchased"].is_null()) << "0 forgets";

  // A stored seat price: the reports' price when none is asked for; one asked for wins.
  EXPECT_EQ(acct.cli().Run({"config", "seats"}).exit_code, 2) << "nothing to set";
  set = acct.cli().Run({"config", "seats", "--seat-price", "12.5"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_NE(set.out.find(": 12.5 a month"), std::string::npos) << set.out;
  EXPECT_DOUBLE_EQ(acct.Json({"seats"})["totals"]["recommendations_saving"].get<double>(),
                   12.5 * static_cast<double>(freed));
  for (const auto& r : acct.Json({"recommendations"}))
    EXPECT_DOUBLE_EQ(r["monthly_saving"].get<double>(), r["kind"] == "integration" ? 0.0 : 12.5) << r.dump();
  EXPECT_DOUBLE_EQ(
      acct.Json({"seats", "--seat-price", "10"})["totals"]["recommendations_saving"].get<double>(),
      10.0 * static_cast<double>(freed));
  ASSERT_EQ(acct.cli().Run({"config", "seats", "--seat-price", "0"}).exit_code, 0);
  EXPECT_TRUE(acct.Json({"seats"})["totals"]["recommendations_saving"].is_null()) << "0 forgets the price";
}

}  // namespace
}  // namespace sk::testing
