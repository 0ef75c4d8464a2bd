// Issue 3, end to end over HTTP: usage per user per day equals zdsim's
// ground truth for several seeds, plans, sizes and time zones; re-runs and
// interrupted runs never double count; daily incremental syncs add exactly
// the new day; plan differences show in capabilities.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sqlite3.h>

#include "support/account.h"

namespace sk::testing {
namespace {

struct UsageCase {
  uint64_t seed;
  std::string plan;
  std::string tz;
  int users;
  int tickets_per_day;
};

void PrintTo(const UsageCase& c, std::ostream* os) {
  *os << c.plan << "/" << c.tz << "/seed " << c.seed << "/" << c.users << " users";
}

class UsageMatchesTruth : public ::testing::TestWithParam<UsageCase> {};

TEST_P(UsageMatchesTruth, EveryUserEveryDayEverySource) {
  const auto& p = GetParam();
  zdsim::Options o = SmallAccount(p.seed, p.plan);
  o.users = p.users;
  o.tickets_per_day = p.tickets_per_day;
  Account acct(o, "usage-" + p.plan);
  ASSERT_EQ(acct.Connect({"--timezone", p.tz}).exit_code, 0);
  acct.Json({"sync"});
  auto got = ProjectUsage(acct.Json({"usage"}));
  auto want = ProjectUsage(acct.sim().TruthUsage(90, p.tz));
  ASSERT_FALSE(want.empty());
  EXPECT_TRUE(got == want) << FirstDifference(got, want, {"date", "user_id"});

  // Running it again changes nothing, counts included.
  auto full = acct.Json({"usage"});
  acct.Json({"sync"});
  EXPECT_TRUE(acct.Json({"usage"}) == full) << "a second sync changed usage";
}

INSTANTIATE_TEST_SUITE_P(
    SeedsPlansZones, UsageMatchesTruth,
    ::testing::Values(UsageCase{1, "enterprise", "UTC", 300, 25}, UsageCase{2, "professional", "UTC", 300, 25},
                      UsageCase{3, "team", "Europe/Berlin", 200, 15},
                      UsageCase{4, "enterprise-plus", "Europe/Berlin", 500, 40},
                      UsageCase{5, "enterprise", "America/New_York", 1500, 120}),
    [](const auto& info) {
      std::string n = info.param.plan + "_" + info.param.tz + "_" + std::to_string(info.param.seed);
      for (auto& c : n)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      return n;
    });

TEST(UsageSync, ProfessionalPlanObservesSignInsFromLastLoginAt) {
  Account acct(SmallAccount(8, "professional"), "observed");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  auto first = acct.Json({"sync"});
  for (const auto& r : acct.sim().Requests())
    if (r["path"].get<std::string>().find("/api/v2/audit_logs") == 0) {
      EXPECT_NE(r["status"], 200) << "no audit-log request succeeds below Enterprise";
    }
  bool skipped = false;
  for (const auto& s : first["skipped"]) skipped |= s["source"] == "audit_log_logins";
  EXPECT_TRUE(skipped);
  // An agent signs in today; the next sync sees last_login_at move.
  int64_t agent = 0;
  for (const auto& u : acct.sim().TruthUsers())
    if (u["license"] == "agent" && !u["deleted"].get<bool>() && u["id"] != acct.sim().AdminId()) {
      agent = u["id"];
      break;
    }
  ASSERT_NE(agent, 0);
  acct.Advance(1800, false);
  ASSERT_TRUE(acct.sim().Login(agent));
  acct.Json({"sync"});
  auto rows = acct.Json({"usage", "--user", std::to_string(agent)});
  ASSERT_FALSE(rows.empty());
  auto last = rows.back();
  EXPECT_EQ(last["date"], "2026-11-20");
  EXPECT_NE(std::find(last["sources"].begin(), last["sources"].end(), "login"), last["sources"].end());
  EXPECT_EQ(last["login_evidence"], nlohmann::json::array({"last_login_at"}));
  auto got = ProjectUsage(acct.Json({"usage"})), want = ProjectUsage(acct.sim().TruthUsage(90, "UTC"));
  EXPECT_TRUE(got == want) << FirstDifference(got, want, {"date", "user_id"});
  // The connecting admin's own last_login_at never counts.
  for (const auto& r : acct.Json({"usage", "--user", std::to_string(acct.sim().AdminId())}))
    for (const auto& ev : r.value("login_evidence", nlohmann::json::array()))
      EXPECT_NE(ev, "last_login_at") << r.dump();
}

TEST(UsageSync, DailyIncrementalSyncAddsExactlyTheNewDay) {
  Account acct(SmallAccount(9), "daily");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  acct.Json({"sync"});
  auto before = acct.Json({"usage", "--to", "2026-11-20"});
  acct.Advance(86400, true);
  acct.sim().ClearRequests();
  acct.Json({"sync"});
  auto got = ProjectUsage(acct.Json({"usage"})), want = ProjectUsage(acct.sim().TruthUsage(90, "UTC"));
  EXPECT_TRUE(got == want) << FirstDifference(got, want, {"date", "user_id"});
  // Earlier days are unchanged except the day the last sync was cut off on.
  auto after = acct.Json({"usage", "--to", "2026-11-19"});
  nlohmann::json before_19 = nlohmann::json::array();
  for (const auto& r : before)
    if (r["date"] <= "2026-11-19") before_19.push_back(r);
  auto window_start_moved = [](const nlohmann::json& rows) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows)
      if (r["date"] >= "2026-08-24") out.push_back(r);
    return out;
  };
  EXPECT_TRUE(window_start_moved(after) == window_start_moved(before_19));
  // The daily sync reads only the new activity: a handful of export requests.
  int ticket_event_requests = 0;
  for (const auto& r : acct.sim().Requests())
    if (r["path"].get<std::string>().find("/api/v2/incremental/ticket_events") == 0) ++ticket_event_requests;
  EXPECT_LE(ticket_event_requests, 3);
}

// The /deleted_tickets requests in zdsim's log (path and query).
std::vector<std::string> DeletedTicketsRequests(Account& acct) {
  std::vector<std::string> out;
  for (const auto& r : acct.sim().Requests()) {
    std::string path = r["path"].get<std::string>();
    if (path.find("/api/v2/deleted_tickets") == 0) out.push_back(path);
  }
  return out;
}

// Deleted tickets come newest first: a first sync reads each page of the
// 30-day list once (the last 7 days before the backfill, the rest after it,
// from the same cursor), a daily sync only back to the previous pass. When
// the list ignores the sort, it is read to its end. Usage equals the truth.
TEST(UsageSync, DeletedTicketsAreReadNewestFirstAndOnlyBackToThePreviousSync) {
  zdsim::Options o = SmallAccount(11);
  o.tickets_per_day = 180;  // a few hundred deletions in 30 days: several pages
  Account acct(o, "deleted-tickets");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  auto requests = [&] { return DeletedTicketsRequests(acct); };
  auto visible_pages = [&] {
    httplib::Client http(acct.sim().BaseUrl());
    auto r = http.Get("/_sim/stats");
    EXPECT_TRUE(r && r->status == 200);
    int64_t n = nlohmann::json::parse(r->body)["deleted_tickets_30d"].get<int64_t>();
    return (n + 99) / 100;
  };
  auto usage_is_truth = [&](const char* when) {
    SCOPED_TRACE(when);
    auto got = ProjectUsage(acct.Json({"usage"})), want = ProjectUsage(acct.sim().TruthUsage(90, "UTC"));
    EXPECT_TRUE(got == want) << FirstDifference(got, want, {"date", "user_id"});
  };

  acct.sim().ClearRequests();
  acct.Json({"sync"});
  const int64_t pages = visible_pages();
  ASSERT_GE(pages, 3) << "the account needs a list of several pages";
  EXPECT_EQ(static_cast<int64_t>(requests().size()), pages) << "every page once, none twice";
  usage_is_truth("first sync");

  acct.Advance(86400, true);
  acct.sim().ClearRequests();
  acct.Json({"sync"});
  EXPECT_LE(requests().size(), 2u) << "a daily sync reads back only to the previous one";
  usage_is_truth("daily sync");

  zdsim::Fault unsorted;
  unsorted.kind = "ignore_sort";
  unsorted.count = 1000;
  unsorted.path = "/api/v2/deleted_tickets";
  acct.sim().AddFault(unsorted);
  acct.Advance(86400, true);
  acct.sim().ClearRequests();
  acct.Json({"sync"});
  EXPECT_EQ(static_cast<int64_t>(requests().size()), visible_pages()) << "an unsorted list is read to its end";
  usage_is_truth("unsorted list");
}

// The backfill continues the deleted tickets pass from the cursor the recent
// part saved; when Zendesk rejects that cursor (400), the pass starts again
// from the newest deletion and the sync still ends equal to the truth.
TEST(UsageSync, ARejectedDeletedTicketsCursorRestartsThePass) {
  zdsim::Options o = SmallAccount(12);
  o.tickets_per_day = 180;
  Account acct(o, "deleted-cursor");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  zdsim::Fault expired;
  expired.kind = "expired_cursor";
  expired.path = "/api/v2/deleted_tickets";
  expired.skip = 1;  // the recent part's first page answers; the next request has a cursor
  acct.sim().AddFault(expired);
  acct.Json({"sync"});
  auto requests = DeletedTicketsRequests(acct);
  ASSERT_GE(requests.size(), 3u);
  EXPECT_NE(requests[1].find("page%5Bafter%5D"), std::string::npos) << requests[1];
  EXPECT_EQ(requests[2].find("page%5Bafter%5D"), std::string::npos) << "restarted from the top: " << requests[2];
  auto got = ProjectUsage(acct.Json({"usage"})), want = ProjectUsage(acct.sim().TruthUsage(90, "UTC"));
  EXPECT_TRUE(got == want) << FirstDifference(got, want, {"date", "user_id"});
}

TEST(UsageSync, HelpCenterUnreadableMeansArticlesUnavailableAndSaysWhy) {
  zdsim::Options o = SmallAccount(10);
  o.help_center = false;
  Account acct(o, "nohc");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  auto sync = acct.Json({"sync"});
  bool skipped = false;
  for (const auto& s : sync["skipped"])
    if (s["source"] == "articles") skipped = true;
  EXPECT_TRUE(skipped) << sync.dump();
  for (const auto& row : acct.Json({"capabilities"}))
    if (row["capability"].get<std::string>().find("Help Center") != std::string::npos) {
      EXPECT_FALSE(row["available"].get<bool>());
      EXPECT_NE(row["reason"].get<std::string>().find("Guide"), std::string::npos) << row.dump();
    }
}

}  // namespace
}  // namespace sk::testing

namespace sk::testing {
namespace {

TEST(UsageSync, InterruptedSyncsResumeWithoutDoubleCounting) {
  zdsim::Options o = SmallAccount(12);
  o.users = 1200;          // two incremental-users pages
  o.tickets_per_day = 80;  // several export pages
  Account clean(o, "resume-clean");
  ASSERT_EQ(clean.Connect().exit_code, 0);
  clean.Json({"sync"});
  auto want = clean.Json({"usage"});

  Account acct(o, "resume");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  // Fail the sync at different requests; each failed run leaves a checkpoint.
  int failures = 0;
  for (int skip : {1, 3, 5, 8, 12}) {
    zdsim::Fault f;
    f.status = 500;
    // Outlasts the client's retries (8 attempts) of a request on every lane of
    // an overlapped sync: each lane's requests take their share of the faults.
    f.count = 100;
    f.skip = skip;
    acct.sim().AddFault(f);
    auto r = acct.cli().Run({"sync"});
    acct.sim().ClearFaults();
    if (r.exit_code != 0) {
      ++failures;
      EXPECT_EQ(r.exit_code, 1);
      EXPECT_NE(r.err.find("500"), std::string::npos) << r.err;
      EXPECT_EQ(acct.Json({"status"})["state"], "error");
    }
  }
  EXPECT_GE(failures, 3);
  acct.Json({"sync"});
  EXPECT_EQ(acct.Json({"status"})["state"], "synced");
  auto got = acct.Json({"usage"});
  EXPECT_TRUE(got == want) << FirstDifference(got, want, {"date", "user_id"});
}

}  // namespace
}  // namespace sk::testing

namespace sk::testing {
namespace {

std::string IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return "cannot open";
  std::string result;
  sqlite3_exec(
      db, "PRAGMA integrity_check",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) += values[0] ? values[0] : "";
        return 0;
      },
      &result, nullptr);
  sqlite3_close(db);
  return result;
}

TEST(UsageSync, SyncKilledWithSigkillAtManyPointsEndsIdenticalToACleanRun) {
  zdsim::Options o = SmallAccount(13);
  o.users = 1200;
  o.tickets_per_day = 80;
  Account clean(o, "kill-clean");
  ASSERT_EQ(clean.Connect().exit_code, 0);
  clean.Json({"sync"});
  auto want_usage = clean.Json({"usage"});
  auto want_users = ProjectUsers(clean.Json({"users"}));

  Account acct(o, "kill");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  int kills = 0;
  for (int delay_ms = 40; kills < 12; delay_ms += 45) {
    auto r = acct.cli().RunKilledAfter({"sync"}, delay_ms);
    if (r.exit_code == 0) break;  // finished before the kill
    ASSERT_EQ(r.exit_code, 128 + 9) << r.err;
    ++kills;
    // The database is consistent after each kill.
    EXPECT_EQ(IntegrityCheck(acct.cli().home() + "/seatkeeper.db"), "ok");
    auto check = acct.cli().Run({"status", "--json"});
    ASSERT_EQ(check.exit_code, 0) << check.err;
  }
  EXPECT_GE(kills, 3);
  acct.Json({"sync"});
  auto got = acct.Json({"usage"});
  EXPECT_TRUE(got == want_usage) << FirstDifference(got, want_usage, {"date", "user_id"});
  auto strip = [](nlohmann::json u, int64_t admin) {
    for (auto& x : u)
      if (x["id"] == admin) x["last_login_at"] = nullptr;
    return u;
  };
  auto users = ProjectUsers(acct.Json({"users"}));
  EXPECT_TRUE(strip(users, acct.sim().AdminId()) == strip(want_users, clean.sim().AdminId()))
      << FirstDifference(users, want_users, {"id"});
}

}  // namespace
}  // namespace sk::testing
