// zdsim's `commenter:` search, the provisional seat verdict's check of each
// idle candidate: it answers from a per-user index (a scan of every ticket's
// events made one query take a second on the huge account), so its answers
// are checked against the ticket event export's comments, and a comment
// written through the API must reach the index. (Zendesk indexes a change
// within a few minutes; zdsim does not model that lag: reference §9.1.)
#include <gtest/gtest.h>

#include <map>
#include <set>

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

  // A comment written through the API is found by id and by `me` (at once: no index lag).
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

}  // namespace
}  // namespace zdsim
