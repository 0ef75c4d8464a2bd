// Issue 6 (endpoint mix) end to end over HTTP: a first sync reads ticket
// activity from the incremental ticket event export (newest days) and the
// account-wide audit list (older days) at once; together they equal zdsim's
// ground truth, never read the same moment twice, respect Zendesk's archive
// horizon, and fall back to the export alone when the audit list is refused.
#include <gtest/gtest.h>

#include <string>

#include "support/account.h"
#include "util/time.h"

namespace sk::testing {
namespace {

int64_t StartTimeOf(const std::string& path) {
  auto p = path.find("start_time=");
  return p == std::string::npos ? -1 : std::stoll(path.substr(p + 11));
}

int64_t IsoToUnix(const std::string& iso) {
  auto t = ParseIso(iso);
  EXPECT_TRUE(t.has_value()) << iso;
  return t.value_or(0);
}

struct Split {
  int audit_requests = 0;
  int export_requests = 0;
  int64_t lowest_export_start = INT64_MAX;
};

// usage --json without evidence (ids differ by source: "audit:" vs "event:").
nlohmann::json Counts(const nlohmann::json& usage) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : usage)
    out.push_back({r["user_id"], r["date"], r["sources"], r.value("counts", nlohmann::json())});
  return out;
}

// `hidden`: the sync report's ticket_audits.hidden_tickets.read, the parts of the
// walk's time the export read for tickets the audit list left out (not counted
// in lowest_export_start).
Split Classify(const nlohmann::json& requests, const nlohmann::json& hidden = nlohmann::json::array()) {
  Split s;
  for (const auto& r : requests) {
    std::string path = r["path"];
    if (path.rfind("/api/v2/ticket_audits", 0) == 0) ++s.audit_requests;
    if (path.rfind("/api/v2/incremental/ticket_events", 0) == 0) {
      ++s.export_requests;
      const int64_t start = StartTimeOf(path);
      bool in_hidden = false;
      for (const auto& h : hidden)
        in_hidden = in_hidden || (start >= IsoToUnix(h["from"]) && start < IsoToUnix(h["until"]));
      if (!in_hidden) s.lowest_export_start = std::min(s.lowest_export_start, start);
    }
  }
  return s;
}

TEST(TicketActivity, AuditWalkAndExportShareTheWindowAndEqualTruth) {
  zdsim::Options o = SmallAccount(21);
  o.days = 150;  // history beyond the window and beyond the 120-day archive horizon
  o.tickets_per_day = 40;
  Account acct(o, "mix");
  acct.cli().SetEnv("SEATKEEPER_TICKET_ACTIVITY_PLAN", "walk");  // the walk under test
  ASSERT_EQ(acct.Connect({"--timezone", "Europe/Berlin"}).exit_code, 0);
  acct.sim().ClearRequests();
  auto report = acct.Json({"sync"});

  ASSERT_TRUE(report["ticket_audits"].is_object()) << report.dump();
  const int64_t walk_from = IsoToUnix(report["ticket_audits"]["from"]);
  const int64_t walk_until = IsoToUnix(report["ticket_audits"]["until"]);
  const int64_t window_start = kNow - 90 * 86400 - 86400;  // 90 Berlin days back, roughly
  const int64_t last7 = kNow - 7 * 86400;
  EXPECT_GT(walk_until, walk_from) << "the walk read nothing of the window";
  EXPECT_LE(walk_from, window_start + 2 * 86400);
  EXPECT_LE(walk_until, last7 + 86400) << "the last 7 days are the export's";

  Split s = Classify(acct.sim().Requests(), report["ticket_audits"]["hidden_tickets"]["read"]);
  EXPECT_GT(s.audit_requests, 0);
  EXPECT_GT(s.export_requests, 0);
  // The export never read what the walk read, except for tickets the audit list left out.
  EXPECT_GE(s.lowest_export_start, walk_until);

  auto got = ProjectUsage(acct.Json({"usage"}));
  auto want = ProjectUsage(acct.sim().TruthUsage(90, "Europe/Berlin"));
  ASSERT_FALSE(want.empty());
  EXPECT_TRUE(got == want) << FirstDifference(got, want, {"date", "user_id"});

  // Counts equal a run of the export alone (no activity read twice at the meeting point).
  zdsim::Options o2 = o;
  Account alone(o2, "export-alone");
  alone.cli().SetEnv("SEATKEEPER_TICKET_ACTIVITY_PLAN", "walk");  // tries the audit list
  ASSERT_EQ(alone.Connect({"--timezone", "Europe/Berlin"}).exit_code, 0);
  alone.sim().AddFault({.kind = "status",
                        .status = 403,
                        .body = "json",
                        .retry_after = std::nullopt,
                        .count = 1000000,
                        .path = "/api/v2/ticket_audits"});
  auto alone_report = alone.Json({"sync"});
  EXPECT_EQ(alone_report["ticket_audits"], nlohmann::json({{"unavailable", true}})) << alone_report.dump();
  auto mixed_counts = Counts(acct.Json({"usage"})), alone_counts = Counts(alone.Json({"usage"}));
  ASSERT_EQ(mixed_counts.size(), alone_counts.size());
  for (size_t i = 0; i < mixed_counts.size(); ++i)
    ASSERT_EQ(mixed_counts[i], alone_counts[i]) << "counts differ from the export alone at row " << i;

  // A second sync reads no audits and changes nothing.
  auto full = acct.Json({"usage"});
  acct.sim().ClearRequests();
  acct.Json({"sync"});
  EXPECT_EQ(Classify(acct.sim().Requests()).audit_requests, 0);
  EXPECT_TRUE(acct.Json({"usage"}) == full);
}

TEST(TicketActivity, DaysBeyondTheArchiveHorizonComeFromTheExport) {
  zdsim::Options o = SmallAccount(22);
  o.days = 200;
  Account acct(o, "archive");
  acct.cli().SetEnv("SEATKEEPER_TICKET_ACTIVITY_PLAN", "walk");  // the walk under test
  ASSERT_EQ(acct.Connect().exit_code, 0);
  // Archived tickets exist: closed more than 120 days ago.
  bool archived = false;
  for (const auto& t : acct.sim().TicketsState()) archived = archived || t["archived"].get<bool>();
  ASSERT_TRUE(archived);
  acct.sim().ClearRequests();
  auto report = acct.Json({"sync", "--days", "150"});
  ASSERT_TRUE(report["ticket_audits"].is_object()) << report.dump();
  // The walk stays within the last 119 days.
  EXPECT_GE(IsoToUnix(report["ticket_audits"]["from"]), kNow - 119 * 86400);
  Split s = Classify(acct.sim().Requests());
  EXPECT_LE(s.lowest_export_start, kNow - 150 * 86400 + 86400);
  auto got = ProjectUsage(acct.Json({"usage"}));
  auto want = ProjectUsage(acct.sim().TruthUsage(150, "UTC"));
  EXPECT_TRUE(got == want) << FirstDifference(got, want, {"date", "user_id"});
}

TEST(TicketActivity, RefusedAuditListMeansTheExportReadsEverything) {
  zdsim::Options o = SmallAccount(23);
  Account acct(o, "no-audits");
  acct.cli().SetEnv("SEATKEEPER_TICKET_ACTIVITY_PLAN", "walk");  // tries the audit list
  ASSERT_EQ(acct.Connect().exit_code, 0);
  acct.sim().AddFault({.kind = "status",
                       .status = 403,
                       .body = "json",
                       .retry_after = std::nullopt,
                       .count = 1000000,
                       .path = "/api/v2/ticket_audits"});
  acct.sim().ClearRequests();
  auto report = acct.Json({"sync"});
  EXPECT_EQ(report["ticket_audits"], nlohmann::json({{"unavailable", true}}));
  Split s = Classify(acct.sim().Requests());
  EXPECT_EQ(s.audit_requests, 1);  // asked once, then the export alone
  auto got = ProjectUsage(acct.Json({"usage"}));
  auto want = ProjectUsage(acct.sim().TruthUsage(90, "UTC"));
  EXPECT_TRUE(got == want) << FirstDifference(got, want, {"date", "user_id"});
}

// Issue #19: ticket activity is committed a batch of pages at a time (a day
// of export pages on a large account, 20,000 walk audits), summed per user,
// day and kind. The stored usage, evidence ids and their order included, is
// what committing every page on its own stores
// (SEATKEEPER_TICKET_ACTIVITY_BATCH=1): a deletion's "deleted:<ticket>" id
// keeps its place among the deleter's ids of the day, after those of its own
// page, not after the whole batch's.
void ExpectBatchedCommitsStoreWhatAPageAtATimeStores(const std::string& plan) {
  zdsim::Options o = SmallAccount(24);
  o.agents = 100;           // a few updates a day each: deletions among the first five ids
  o.tickets_per_day = 200;  // a day spans export pages (1,000 events each)
  o.days = 9;               // (the walk's part: days 8 and 9)
  o.deleted_ticket_share = 0.2;
  // The walk's steps meet deletions too: the audit list keeps deleted tickets' audits.
  if (plan == "walk") o.quirks.audits_omit_deleted = false;
  Account batched(o, "batched-" + plan), by_page(o, "by-page-" + plan);
  by_page.cli().SetEnv("SEATKEEPER_TICKET_ACTIVITY_BATCH", "1");
  for (Account* a : {&batched, &by_page}) {
    a->cli().SetEnv("SEATKEEPER_TICKET_ACTIVITY_PLAN", plan);
    ASSERT_EQ(a->Connect().exit_code, 0);
    a->Json({"sync"});
  }
  auto want = by_page.Json({"usage"});
  // The case under test occurs: a deletion's id followed by another id of its
  // row (pages after the deletion's added to the deleter's day).
  int between = 0;
  for (const auto& r : want) {
    const auto ids = r["evidence"].value("ticket", nlohmann::json::array());
    for (size_t i = 0; i + 1 < ids.size(); ++i)
      if (ids[i].get<std::string>().rfind("deleted:", 0) == 0 &&
          ids[i + 1].get<std::string>().rfind("deleted:", 0) != 0)
        ++between;
  }
  EXPECT_GT(between, 0) << "no deletion sits between other ids of its day";
  auto got = batched.Json({"usage"});
  EXPECT_TRUE(got == want) << FirstDifference(got, want, {"date", "user_id"});
  // And both are the truth (who was active when, from what).
  EXPECT_TRUE(ProjectUsage(got) == ProjectUsage(batched.sim().TruthUsage(90, "UTC")));
}

// One test per plan, so that ctest runs them side by side.
TEST(TicketActivity, BatchedCommitsStoreWhatAPageAtATimeStores) {
  ExpectBatchedCommitsStoreWhatAPageAtATimeStores("export");
}
TEST(TicketActivity, BatchedWalkCommitsStoreWhatAPageAtATimeStores) {
  ExpectBatchedCommitsStoreWhatAPageAtATimeStores("walk");
}

}  // namespace
}  // namespace sk::testing
