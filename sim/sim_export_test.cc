// zdsim: cursor walks of the exports, per-user update limit, repeat_page fault.
#include <gtest/gtest.h>

#include <set>

#include "sim_test_util.h"
#include "util/time.h"

namespace zdsim {
namespace {

using nlohmann::json;
using testing::AdminClient;
using testing::Body;
using testing::FixedOptions;

std::string PathOf(const std::string& url) { return url.substr(url.find("/api/")); }

TEST(ZdsimExports, UsersCursorWalkIncludesDeletedUsers) {
  Simulator sim(FixedOptions());
  sim.Start();
  auto cli = AdminClient(sim);
  std::set<int64_t> want;
  // Every user but the caller: its API-token requests move its updated_at
  // into the export's omitted last minute (quirk api_use_touches_user).
  for (const auto& u : sim.TruthUsers())
    if (u["id"] != sim.AdminId()) want.insert(u["id"].get<int64_t>());
  std::set<int64_t> got;
  std::string next = "/api/v2/incremental/users/cursor.json?start_time=0&per_page=50";
  for (int guard = 0; guard < 100; ++guard) {
    auto r = cli->Get(next.c_str());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_NE(r->get_header_value("Zendesk-RateLimit-incremental-exports-cursor"), "");
    json j = Body(r);
    for (const auto& u : j["users"]) got.insert(u["id"].get<int64_t>());
    if (j["end_of_stream"]) break;
    next = PathOf(j["after_url"]);
  }
  EXPECT_EQ(got, want);
}

// The ticket export filters and orders by generated_timestamp (reference
// §6.2): tickets a system update touched after their last change come back
// from a start_time later than their updated_at.
TEST(ZdsimExports, TicketExportGoesByGeneratedTimestamp) {
  Simulator sim(FixedOptions());
  sim.Start();
  auto cli = AdminClient(sim);
  auto r = cli->Get("/api/v2/incremental/tickets.json?start_time=0&per_page=1000");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json tickets = Body(r)["tickets"];
  ASSERT_GT(tickets.size(), 100u);
  int64_t previous = 0, bumped = 0;
  json late;
  for (const auto& t : tickets) {
    const int64_t generated = t["generated_timestamp"];
    const int64_t updated = sk::ParseIso(t["updated_at"].get<std::string>()).value_or(0);
    EXPECT_GE(generated, updated);
    EXPECT_GE(generated, previous) << "ordered by generated_timestamp";
    previous = generated;
    if (generated > updated + 1) {
      ++bumped;
      late = t;
    }
  }
  ASSERT_GT(bumped, 0);
  const int64_t start = late["generated_timestamp"];
  r = cli->Get(("/api/v2/incremental/tickets/cursor.json?start_time=" + std::to_string(start)).c_str());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  bool found = false;
  const json page = Body(r);
  for (const auto& t : page["tickets"]) found = found || t["id"] == late["id"];
  EXPECT_TRUE(found) << "ticket " << late["id"] << " updated before start_time " << start;
}

TEST(ZdsimExports, TicketAuditsWalkAndTicketEventsAgree) {
  Options o = FixedOptions();
  o.rate_limits = false;
  Simulator sim(o);
  sim.Start();
  auto cli = AdminClient(sim);
  std::set<int64_t> audits;
  std::string next = "/api/v2/ticket_audits.json?page%5Bsize%5D=100";
  std::string last_time;
  for (int guard = 0; guard < 1000; ++guard) {
    auto r = cli->Get(next.c_str());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    json j = Body(r);
    for (const auto& a : j["audits"]) {
      EXPECT_TRUE(audits.insert(a["id"].get<int64_t>()).second);
      EXPECT_GE(a["created_at"].get<std::string>(), last_time);  // oldest first
      last_time = a["created_at"].get<std::string>();
    }
    if (!j["meta"]["has_more"]) break;
    next = PathOf(j["links"]["next"]);
  }
  std::set<int64_t> events;
  int64_t start = 0;
  for (int guard = 0; guard < 1000; ++guard) {
    auto r = cli->Get(("/api/v2/incremental/ticket_events.json?start_time=" + std::to_string(start)).c_str());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    json j = Body(r);
    for (const auto& e : j["ticket_events"]) events.insert(e["id"].get<int64_t>());
    if (j["end_of_stream"]) break;
    start = j["end_time"];
  }
  // Audits exclude archived tickets; ticket events include them.
  EXPECT_GT(audits.size(), 100u);
  EXPECT_LE(audits.size(), events.size());
  for (int64_t id : audits) EXPECT_TRUE(events.count(id)) << id;
}

// Ticket ids whose audits the account-wide list shows.
std::set<int64_t> TicketsInAuditList(httplib::Client& cli) {
  std::set<int64_t> out;
  std::string next = "/api/v2/ticket_audits.json?page%5Bsize%5D=100";
  for (int guard = 0; guard < 10000; ++guard) {
    json j = Body(cli.Get(next.c_str()));
    for (const auto& a : j["audits"]) out.insert(a["ticket_id"].get<int64_t>());
    if (!j["meta"]["has_more"]) break;
    next = PathOf(j["links"]["next"]);
  }
  return out;
}

// Quirk audits_omit_deleted (reference §6.4): soft-deleted tickets' audits are
// not in /ticket_audits; --no-audits-omit-deleted puts them back. Archived
// tickets are never there, and --archive-after-days moves the archiving age.
TEST(ZdsimExports, AuditListLeavesOutDeletedAndArchivedTickets) {
  for (int archive_days : {120, 3}) {
    for (bool omit : {true, false}) {
      Options o = FixedOptions();
      o.rate_limits = false;
      o.archive_after_days = archive_days;
      o.quirks.audits_omit_deleted = omit;
      Simulator sim(o);
      sim.Start();
      auto cli = AdminClient(sim);
      const std::set<int64_t> listed = TicketsInAuditList(*cli);
      int deleted = 0, archived = 0;
      for (const auto& t : sim.TicketsState()) {
        const int64_t id = t["id"];
        if (t["archived"]) {
          ++archived;
          EXPECT_FALSE(listed.count(id)) << id;
        } else if (t["status"] == "deleted") {
          ++deleted;
          EXPECT_EQ(listed.count(id), omit ? 0u : 1u) << id;
        } else {
          EXPECT_TRUE(listed.count(id)) << id;
        }
      }
      EXPECT_GT(deleted, 3);
      // 50 days of history: nothing closed for 120 days; most tickets after 3.
      if (archive_days == 120)
        EXPECT_EQ(archived, 0);
      else
        EXPECT_GT(archived, 200);
      // The per-ticket audits still serve archived tickets.
      for (const auto& t : sim.TicketsState()) {
        if (!t["archived"]) continue;
        auto r =
            cli->Get(("/api/v2/tickets/" + std::to_string(t["id"].get<int64_t>()) + "/audits.json").c_str());
        EXPECT_EQ(r->status, 200);
        break;
      }
    }
  }
}

TEST(ZdsimUsers, SingleUserUpdateLimitIsPlainText) {
  Simulator sim(FixedOptions());
  sim.Start();
  auto cli = AdminClient(sim);
  const std::string path = "/api/v2/users/" + std::to_string(sim.AgentId()) + ".json";
  for (int i = 0; i < 5; ++i) {
    auto r = cli->Put(path.c_str(), R"({"user":{"name":"Agnes A."}})", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
  }
  auto r = cli->Put(path.c_str(), R"({"user":{"name":"Agnes B."}})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->body.rfind("You have exceeded the rate limit for updating a single unique user", 0), 0u);
  EXPECT_NE(r->get_header_value("Zendesk-RateLimit-create-update-user"), "");
}

TEST(ZdsimFaults, RepeatPageRepeatsRecords) {
  Simulator sim(FixedOptions());
  sim.Start();
  auto cli = AdminClient(sim);
  auto first = Body(cli->Get("/api/v2/users.json?page%5Bsize%5D=10"));
  Fault f;
  f.kind = "repeat_page";
  sim.AddFault(f);
  auto second = Body(cli->Get(PathOf(first["links"]["next"]).c_str()));
  EXPECT_EQ(second["users"][0]["id"], first["users"][8]["id"]);
}

TEST(ZdsimUsers, ShowManyAndDeletedUsers) {
  Simulator sim(FixedOptions());
  sim.Start();
  auto cli = AdminClient(sim);
  int64_t deleted = 0;
  for (const auto& u : sim.TruthUsers())
    if (u["deleted"] && u["email"].is_string()) deleted = u["id"];
  ASSERT_NE(deleted, 0);
  const std::string ids = std::to_string(sim.AgentId()) + "," + std::to_string(deleted);
  EXPECT_EQ(Body(cli->Get(("/api/v2/users/show_many.json?ids=" + ids).c_str()))["users"].size(), 1u);
  EXPECT_EQ(Body(cli->Get(("/api/v2/users/show_many.json?include_deleted=true&ids=" + ids).c_str()))["users"].size(),
            2u);
  auto r = cli->Get(("/api/v2/users/" + std::to_string(deleted)).c_str());
  EXPECT_EQ(Body(r)["user"]["active"], false);
  r = cli->Get(("/api/v2/deleted_users/" + std::to_string(deleted)).c_str());
  EXPECT_EQ(r->status, 200);
  const json shown = Body(r)["deleted_user"];
  EXPECT_EQ(shown["id"], deleted);
  EXPECT_EQ(shown["active"], false);
  EXPECT_TRUE(
      shown["url"].get<std::string>().ends_with("/api/v2/deleted_users/" + std::to_string(deleted) + ".json"))
      << shown["url"];
  EXPECT_EQ(shown["email"],
            Body(cli->Get(("/api/v2/users/" + std::to_string(deleted)).c_str()))["user"]["email"]);
  // The list writes its records itself: the same record as the show.
  bool listed = false;
  const json list = Body(cli->Get("/api/v2/deleted_users.json?per_page=100"));
  for (const auto& u : list["deleted_users"]) {
    if (u["id"] != deleted) continue;
    EXPECT_EQ(u, shown);
    listed = true;
  }
  EXPECT_TRUE(listed);
  EXPECT_EQ(cli->Get("/api/v2/users/1.json")->status, 404);
  std::string many = "1";
  for (int i = 2; i <= 101; ++i) many += "," + std::to_string(i);
  EXPECT_EQ(cli->Get(("/api/v2/users/show_many?ids=" + many).c_str())->status, 400);
}

}  // namespace
}  // namespace zdsim
