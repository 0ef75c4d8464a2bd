// Issue #19 item 5, end to end over HTTP (the real seatkeeper binary against
// an in-process zdsim): `connect` marks every paid seat active (with its
// evidence) or idle candidate, shown as provisional by `seats --json`; the
// first sync's end confirms each verdict or reports it as changed, never
// silently.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "support/account.h"
#include "util/time.h"

namespace sk::testing {
namespace {

// Truth: per user, each day of the last `days` with the sources active that day.
std::map<int64_t, std::map<std::string, std::set<std::string>>> TruthDays(Account& acct, int days) {
  std::map<int64_t, std::map<std::string, std::set<std::string>>> out;
  for (const auto& r : acct.sim().TruthUsage(days, "UTC"))
    for (const auto& s : r["sources"])
      out[r["user_id"].get<int64_t>()][r["date"]].insert(s.get<std::string>());
  return out;
}

std::set<int64_t> TruthPaidSeats(Account& acct) {
  std::set<int64_t> out;
  for (const auto& u : acct.sim().TruthUsers())
    if (u["seat"].get<bool>() && !u["deleted"].get<bool>()) out.insert(u["id"].get<int64_t>());
  return out;
}

std::set<int64_t> TruthIntegrations(Account& acct) {
  std::set<int64_t> out;
  for (const auto& u : acct.sim().TruthUsers())
    if (u["probable_integration"].get<bool>()) out.insert(u["id"].get<int64_t>());
  return out;
}

std::map<int64_t, nlohmann::json> ByUser(const nlohmann::json& seat_verdicts) {
  std::map<int64_t, nlohmann::json> out;
  for (const auto& s : seat_verdicts) out[s["user_id"].get<int64_t>()] = s;
  return out;
}

bool StartsWith(const std::string& s, const std::string& p) {
  return s.rfind(p, 0) == 0;
}

// The truth source behind a provisional evidence label.
std::string SourceOf(const std::string& evidence) {
  if (StartsWith(evidence, "sign-in")) return "login";  // "sign-in", "sign-in or API use"
  if (StartsWith(evidence, "article")) return "article";
  if (StartsWith(evidence, "ticket")) return "ticket";
  return "";
}

class ProvisionalVerdict : public ::testing::TestWithParam<std::string> {};

TEST_P(ProvisionalVerdict, AfterConnectEveryPaidSeatIsMarkedWithEvidenceMatchingTruth) {
  const std::string plan = GetParam();
  Account acct(SmallAccount(41, plan), "seat-verdict-" + plan);
  auto connected = acct.Connect();
  ASSERT_EQ(connected.exit_code, 0) << connected.err;
  EXPECT_NE(connected.out.find("Provisional seat verdict"), std::string::npos) << connected.out;

  auto seats = acct.Json({"seats"});
  EXPECT_EQ(seats["verdict"], "provisional") << seats.dump();
  ASSERT_TRUE(seats.contains("provisional")) << seats.dump();
  const auto lines = ByUser(seats["seat_verdicts"]);
  std::set<int64_t> got;
  for (const auto& [id, l] : lines) got.insert(id);
  EXPECT_EQ(got, TruthPaidSeats(acct)) << "every paid seat has a verdict";

  const auto truth = TruthDays(acct, 30);
  const std::set<int64_t> integrations = plan == "enterprise" ? TruthIntegrations(acct) : std::set<int64_t>{};
  int active = 0, candidates = 0;
  for (const auto& [id, l] : lines) {
    SCOPED_TRACE(l.dump());
    EXPECT_TRUE(l["provisional"].get<bool>());
    const std::string verdict = l["verdict"], evidence = l["evidence"];
    const auto t = truth.find(id);
    bool signed_in = false;  // truth: a login day in the last 30 days
    if (t != truth.end())
      for (const auto& [date, sources] : t->second) signed_in |= sources.count("login") > 0;
    if (verdict == "active") {
      ++active;
      ASSERT_TRUE(l["last_active_date"].is_string());
      EXPECT_FALSE(l["evidence_ids"].empty());
      ASSERT_NE(t, truth.end()) << "active, but truly idle for 30 days";
      const auto day = t->second.find(l["last_active_date"].get<std::string>());
      ASSERT_NE(day, t->second.end()) << "the evidence's day is not one of the user's active days";
      EXPECT_EQ(day->second.count(SourceOf(evidence)), 1u) << "the evidence is not what truth shows that day";
      if (plan == "enterprise") {
        EXPECT_FALSE(StartsWith(evidence, "sign-in or API use"));
      }
    } else if (verdict == "probable-integration") {
      EXPECT_EQ(integrations.count(id), 1u) << "only API use, but not an integration in truth";
    } else {
      ++candidates;
      EXPECT_EQ(verdict, "idle-candidate");
      EXPECT_FALSE(signed_in) << "a sign-in (or last_login_at) in the last 30 days was missed";
    }
    if (id == acct.sim().AdminId()) {
      EXPECT_FALSE(StartsWith(evidence, "sign-in or API use"))
          << "the connecting admin's last_login_at moves with seatkeeper's own requests";
    }
  }
  for (int64_t id : integrations) EXPECT_EQ(lines.at(id)["verdict"], "probable-integration") << id;
  EXPECT_GT(active, 0);
  EXPECT_GT(candidates, 0);
  // The listed idle seats are the idle candidates.
  EXPECT_EQ(seats["idle_paid_seats"].get<int>(), candidates);
  for (const auto& u : seats["users"]) EXPECT_EQ(u["verdict"], "idle-candidate") << u.dump();
}

INSTANTIATE_TEST_SUITE_P(Plans, ProvisionalVerdict, ::testing::Values("enterprise", "professional"));

TEST(SeatVerdict, TheFirstSyncConfirmsTheVerdictAndReportsEveryChange) {
  Account acct(SmallAccount(42, "enterprise"), "seat-verdict-confirm");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  const auto provisional = ByUser(acct.Json({"seats"})["seat_verdicts"]);
  ASSERT_FALSE(provisional.empty());

  auto sync = acct.Json({"sync"});
  ASSERT_TRUE(sync.contains("seat_verdict")) << sync.dump();
  const auto& sv = sync["seat_verdict"];
  std::set<int64_t> reported;
  for (const auto& ch : sv["changes"]) {
    reported.insert(ch["user_id"].get<int64_t>());
    EXPECT_TRUE(StartsWith(ch["summary"], "provisionally ")) << ch.dump();
  }

  auto seats = acct.Json({"seats"});
  EXPECT_EQ(seats["verdict"], "confirmed");
  ASSERT_TRUE(seats.contains("verdict_confirmation"));
  EXPECT_EQ(seats["verdict_confirmation"]["changed"], sv["changed"]);
  std::set<int64_t> changed;
  int compared = 0;
  for (const auto& [id, l] : ByUser(seats["seat_verdicts"])) {
    EXPECT_FALSE(l["provisional"].get<bool>());
    auto p = provisional.find(id);
    if (p == provisional.end()) continue;
    ++compared;
    std::string was = p->second["verdict"];
    if (was == "idle-candidate") was = "idle";
    if (was != l["verdict"]) changed.insert(id);
  }
  EXPECT_EQ(reported, changed) << "every changed verdict is reported, and only those";
  EXPECT_EQ(sv["compared"].get<int>(), compared);
  EXPECT_EQ(sv["unchanged"].get<int>(), compared - static_cast<int>(changed.size()));

  // Confirmed verdicts follow the synced usage, which equals truth.
  const auto truth = TruthDays(acct, 30);
  const auto integrations = TruthIntegrations(acct);
  for (const auto& [id, l] : ByUser(seats["seat_verdicts"])) {
    const std::string want = integrations.count(id) ? "probable-integration"
                             : truth.count(id)      ? "active"
                                                    : "idle";
    EXPECT_EQ(l["verdict"], want) << l.dump();
  }
  // Only the first sync confirms.
  acct.Advance(3600, false);
  EXPECT_FALSE(acct.Json({"sync"}).contains("seat_verdict"));
}

// The audit log read within a page budget: a staff member whose last_login_at
// lies before the sign-ins read is provisionally active ("sign-in or API
// use", said to be unconfirmed). The integration agents' moves are API use
// only: the backfill finds them probable integrations and says so.
TEST(SeatVerdict, AProvisionallyActiveSeatFoundOnlyApiUseIsReportedAsACorrection) {
  Account acct(SmallAccount(43, "enterprise"), "seat-verdict-correction");
  std::set<int64_t> integrations;  // the generated integration agents (sim/dataset.cc)
  for (const auto& u : acct.sim().TruthUsers())
    if (u["email"] == "jira.integration@acme.test" || u["email"] == "reporting.bot@acme.test")
      integrations.insert(u["id"].get<int64_t>());
  ASSERT_EQ(integrations.size(), 2u);
  int64_t latest_api_use = 0;
  for (const auto& u : acct.sim().TruthUsers())
    if (integrations.count(u["id"].get<int64_t>()) && u["last_login_at"].is_string())
      latest_api_use = std::max<int64_t>(latest_api_use, *ParseIso(u["last_login_at"].get<std::string>()));
  ASSERT_GT(latest_api_use, 0);
  const int64_t now = acct.sim().Now();
  ASSERT_LT(latest_api_use, now - 600);
  // More than a page of sign-ins after the integrations' last API use.
  std::vector<int64_t> spare;
  for (int64_t id : acct.SpareAgents())
    if (!integrations.count(id)) spare.push_back(id);
  ASSERT_FALSE(spare.empty());
  for (int i = 0; i < 120; ++i)
    ASSERT_TRUE(acct.sim().Login(spare[i % spare.size()],
                                 latest_api_use + 1 + (now - 600 - latest_api_use) * i / 120));
  acct.cli().SetEnv("SEATKEEPER_PROVISIONAL_AUDIT_PAGES", "1");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  const auto provisional = ByUser(acct.Json({"seats"})["seat_verdicts"]);
  for (int64_t id : integrations) {
    const auto& l = provisional.at(id);
    EXPECT_EQ(l["verdict"], "active") << l.dump();
    EXPECT_TRUE(StartsWith(l["evidence"], "sign-in or API use")) << l.dump();
    EXPECT_NE(l["evidence"].get<std::string>().find("not confirmed"), std::string::npos) << l.dump();
  }
  const auto truth = TruthDays(acct, 90);
  for (int64_t id : integrations) EXPECT_EQ(truth.count(id), 0u) << "truly never active: " << id;

  auto sync = acct.Json({"sync"});
  EXPECT_EQ(TruthIntegrations(acct), integrations) << "truth: only API use";
  std::map<int64_t, nlohmann::json> changes;
  for (const auto& ch : sync["seat_verdict"]["changes"]) changes[ch["user_id"].get<int64_t>()] = ch;
  for (int64_t id : integrations) {
    ASSERT_EQ(changes.count(id), 1u) << "a contradicted verdict must be reported: "
                                     << sync["seat_verdict"].dump();
    EXPECT_EQ(changes[id]["provisional"], "active");
    EXPECT_EQ(changes[id]["confirmed"], "probable-integration");
    EXPECT_TRUE(StartsWith(changes[id]["summary"], "provisionally active (sign-in or API use"))
        << changes[id].dump();
  }
  // `seats` says so too, after the sync that made the change.
  auto text = acct.cli().Run({"seats"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("confirmed a probable integration"), std::string::npos) << text.out;
}

}  // namespace
}  // namespace sk::testing
