// zdsim's `commenter:` search, the provisional seat verdict's check of each
// idle candidate: it answers from a per-user index (a scan of every ticket's
// events made one query take a second on the huge account), so its answers
// are checked against the ticket event export's comments, and a comment
// written through the API must reach the index. And the index lags behind
// changes, as Zendesk's does (reference §9.1: "newly changed records can take
// a few minutes to be indexed").
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "sim_test_util.h"

namespace zdsim {
namespace {

using nlohmann::json;
using testing::AdminClient;
using testing::Body;
using testing::FixedOptions;
using testing::WalkCbp;

// The ticket ids a search export walk of `query` returns.
std::set<int64_t> SearchTickets(httplib::Client& cli, const std::string& query) {
  int pages = 0;
  std::set<int64_t> out;
  for (const auto& t :
       WalkCbp(cli,
               "/api/v2/search/export.json?query=" + httplib::detail::encode_query_param(query) +
                   "&filter%5Btype%5D=ticket&page%5Bsize%5D=100",
               "results", &pages))
    out.insert(t["id"].get<int64_t>());
  return out;
}

TEST(ZdsimSearch, CommenterAgreesWithTheEventExportAndSeesNewComments) {
  Simulator sim(FixedOptions());
  sim.Start();
  auto cli = AdminClient(sim);

  // The truth: who commented on which ticket, from the event export.
  std::map<int64_t, std::set<int64_t>> commented;  // user id -> tickets
  std::string next = "/api/v2/incremental/ticket_events.json?start_time=0";
  for (int pages = 0; pages < 1000; ++pages) {
    auto r = cli->Get(next.c_str());
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    json j = Body(r);
    for (const auto& e : j["ticket_events"]) {
      if (!e["updater_id"].is_number()) continue;
      for (const auto& c : e["child_events"])
        if (c["event_type"] == "Comment")
          commented[e["updater_id"].get<int64_t>()].insert(e["ticket_id"].get<int64_t>());
    }
    if (j["end_of_stream"].get<bool>()) break;
    next = j["next_page"].get<std::string>();
    next = next.substr(next.find("/api/"));
  }
  // Search leaves out deleted and archived tickets.
  const std::set<int64_t> live = SearchTickets(*cli, "status<=closed");
  ASSERT_GT(live.size(), 100u);

  // The three busiest commenters and one quiet one (fewest tickets).
  std::vector<std::pair<size_t, int64_t>> by_count;
  for (const auto& [user, tickets] : commented) by_count.push_back({tickets.size(), user});
  std::sort(by_count.rbegin(), by_count.rend());
  ASSERT_GE(by_count.size(), 4u);
  int checked = 0;
  for (const auto& [n, user] : {by_count[0], by_count[1], by_count[2], by_count.back()}) {
    std::set<int64_t> want;
    for (int64_t t : commented[user])
      if (live.count(t)) want.insert(t);
    EXPECT_EQ(SearchTickets(*cli, "commenter:" + std::to_string(user)), want) << "user " << user;
    checked += !want.empty();
  }
  EXPECT_EQ(checked, 4);
  const int64_t nobody = 999999999;  // no such user: nothing, not every ticket
  EXPECT_TRUE(SearchTickets(*cli, "commenter:" + std::to_string(nobody)).empty());

  // A comment written through the API is found by id and by `me` (the
  // commenter index is the ticket's events: no lag modelled there).
  auto me = cli->Get("/api/v2/users/me.json");
  ASSERT_TRUE(me && me->status == 200);
  const int64_t admin = Body(me)["user"]["id"].get<int64_t>();
  int64_t ticket = 0;
  for (int64_t t : SearchTickets(*cli, "status<closed"))  // a closed ticket takes no comment
    if (!commented[admin].count(t)) {
      ticket = t;
      break;
    }
  ASSERT_NE(ticket, 0);
  auto r = cli->Put(("/api/v2/tickets/" + std::to_string(ticket) + ".json").c_str(),
                    R"({"ticket":{"comment":{"body":"seat check","public":false}}})", "application/json");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  EXPECT_TRUE(SearchTickets(*cli, "commenter:" + std::to_string(admin)).count(ticket));
  EXPECT_TRUE(SearchTickets(*cli, "commenter:me").count(ticket));
  EXPECT_FALSE(SearchTickets(*cli, "-commenter:me").count(ticket));
}

// An open ticket assigned to someone other than `not_to`: its id and assignee.
std::pair<int64_t, int64_t> AnAssignedOpenTicket(httplib::Client& cli, int64_t not_to) {
  auto r = cli.Get("/api/v2/search.json?query=type%3Aticket%20status%3Aopen");
  EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  if (!r || r->status != 200) return {0, 0};
  const json found = Body(r);
  for (const auto& t : found["results"])
    if (t["assignee_id"].is_number() && t["assignee_id"] != not_to)
      return {t["id"].get<int64_t>(), t["assignee_id"].get<int64_t>()};
  return {0, 0};
}

int64_t MeId(httplib::Client& cli) {
  auto me = cli.Get("/api/v2/users/me.json");
  EXPECT_TRUE(me && me->status == 200);
  return me && me->status == 200 ? Body(me)["user"]["id"].get<int64_t>() : 0;
}

bool UserFound(httplib::Client& cli, const std::string& email) {
  auto r =
      cli.Get(("/api/v2/search.json?query=" + httplib::detail::encode_query_param("type:user email:" + email))
                  .c_str());
  EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  return r && r->status == 200 && !Body(r)["results"].empty();
}

// Search sees a reassigned ticket under its old assignee, with the old
// document, and not a new user, until the lag has passed (2 s at a one-second
// rate window: 120 Zendesk seconds scaled); the ticket itself is current at once.
TEST(ZdsimSearch, TheIndexLagsBehindChangesAsZendesksDoes) {
  Simulator sim(FixedOptions());
  sim.Start();
  auto cli = AdminClient(sim);
  const int64_t admin = MeId(*cli);
  const auto [ticket, before] = AnAssignedOpenTicket(*cli, admin);
  ASSERT_NE(ticket, 0);
  const auto changed = std::chrono::steady_clock::now();
  auto put = cli->Put(("/api/v2/tickets/" + std::to_string(ticket) + ".json").c_str(),
                      json{{"ticket", {{"assignee_id", admin}}}}.dump(), "application/json");
  ASSERT_TRUE(put && put->status == 200) << (put ? put->body : "");
  auto created =
      cli->Post("/api/v2/users.json", R"({"user":{"name":"Lag Test","email":"lag.test@example.com"}})",
                "application/json");
  ASSERT_TRUE(created && created->status == 201) << (created ? created->body : "");

  auto show = cli->Get(("/api/v2/tickets/" + std::to_string(ticket) + ".json").c_str());
  ASSERT_TRUE(show && show->status == 200);
  EXPECT_EQ(Body(show)["ticket"]["assignee_id"], admin);  // the database: current at once
  const std::string old_query = "assignee:" + std::to_string(before) + " status<closed";
  const std::string new_query = "assignee:" + std::to_string(admin) + " status<closed";
  EXPECT_TRUE(SearchTickets(*cli, old_query).count(ticket));
  EXPECT_FALSE(SearchTickets(*cli, new_query).count(ticket));
  auto doc = cli->Get(("/api/v2/search.json?query=" +
                       httplib::detail::encode_query_param("type:ticket " + old_query) + "&per_page=100")
                          .c_str());
  ASSERT_TRUE(doc && doc->status == 200);
  bool stale_doc = false;
  const json docs = Body(doc);
  for (const auto& t : docs["results"]) stale_doc |= t["id"] == ticket && t["assignee_id"] == before;
  EXPECT_TRUE(stale_doc) << "the search result is the indexed document, not the current ticket";
  EXPECT_FALSE(UserFound(*cli, "lag.test@example.com"));
  ASSERT_LT(std::chrono::steady_clock::now() - changed, std::chrono::milliseconds(1800))
      << "the machine is too slow to see the lag; the checks above are void";

  std::this_thread::sleep_until(changed + std::chrono::milliseconds(2300));
  EXPECT_FALSE(SearchTickets(*cli, old_query).count(ticket));
  EXPECT_TRUE(SearchTickets(*cli, new_query).count(ticket));
  EXPECT_TRUE(UserFound(*cli, "lag.test@example.com"));
}

// Moving the clock past the lag catches the index up; without the quirk
// search sees every change at once.
TEST(ZdsimSearch, TheIndexCatchesUpWithTheClockOrAtOnceWithoutTheQuirk) {
  for (bool lag : {true, false}) {
    Options o = FixedOptions();
    o.rate_window_seconds = 60;  // a lag of 120 real seconds: only the clock ends it
    o.quirks.search_index_lag = lag;
    Simulator sim(o);
    sim.Start();
    auto cli = AdminClient(sim);
    const int64_t admin = MeId(*cli);
    const auto [ticket, before] = AnAssignedOpenTicket(*cli, admin);
    ASSERT_NE(ticket, 0);
    auto put = cli->Put(("/api/v2/tickets/" + std::to_string(ticket) + ".json").c_str(),
                        json{{"ticket", {{"assignee_id", admin}}}}.dump(), "application/json");
    ASSERT_TRUE(put && put->status == 200) << (put ? put->body : "");
    const std::string new_query = "assignee:" + std::to_string(admin) + " status<closed";
    EXPECT_EQ(SearchTickets(*cli, new_query).count(ticket), lag ? 0u : 1u) << "lag " << lag;
    sim.Advance(120, false);
    EXPECT_TRUE(SearchTickets(*cli, new_query).count(ticket)) << "lag " << lag;
  }
}

}  // namespace
}  // namespace zdsim
