#include "actions/reassign_tickets.h"

#include <map>
#include <set>
#include <sstream>

#include "actions/action_testing.h"

namespace sk::actions {
namespace {

using nlohmann::json;
using testing::ActionsTest;

class ReassignTicketsTest : public ActionsTest {};

TEST_F(ReassignTicketsTest, DryRunSendsNoMutatingRequest) {
  const int64_t from = sim_->AgentId();
  const int before = NonClosed(from);
  auto r = ReassignTickets(Ctx(true), from, sim_->AdminId());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "dry-run");
  if (before > 0) {
    EXPECT_NE(r->summary.find("would reassign " + std::to_string(before)), std::string::npos) << r->summary;
  }
  EXPECT_TRUE(MutatingRequests().empty());
  EXPECT_EQ(NonClosed(from), before);
}

TEST_F(ReassignTicketsTest, RefusesAnEndUserAssigneeAndTheSameUser) {
  const int64_t end_user = FindUser("end-user");
  auto r = ReassignTickets(Ctx(), sim_->AgentId(), end_user);
  EXPECT_EQ(r.status().code(), Code::kRefused);
  EXPECT_NE(r.status().message().find("agent or admin"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(ReassignTickets(Ctx(), sim_->AgentId(), sim_->AgentId()).status().code(), Code::kRefused);
  EXPECT_TRUE(MutatingRequests().empty());
}

// Light agents and contributors hold no assigned tickets in Zendesk: refused
// before anything is sent, not left to fail ticket by ticket in the jobs. (An
// account with enough agents to have both.)
class ReassignToSeatTypesTest : public ActionsTest {
  zdsim::Options SimOptions() override {
    zdsim::Options o = testing::SmallAccount();
    o.agents = 60;
    return o;
  }
};

TEST_F(ReassignToSeatTypesTest, RefusesALightAgentOrContributorAssignee) {
  std::map<int, int64_t> by_type;  // role_type 1 (light agent), 3 (contributor) -> a user
  std::string cursor;
  for (;;) {
    auto page = client_->ListUsers(cursor);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& u : page->items)
      if (u.id && u.active && !u.suspended && u.role == "agent" && u.role_type &&
          (*u.role_type == 1 || *u.role_type == 3))
        by_type.try_emplace(*u.role_type, *u.id);
    if (!page->has_more || page->after_cursor.empty()) break;
    cursor = page->after_cursor;
  }
  ASSERT_EQ(by_type.size(), 2u) << "the test account should have a light agent and a contributor";
  for (const auto& [type, id] : by_type) {
    auto r = ReassignTickets(Ctx(), sim_->AgentId(), id);
    EXPECT_EQ(r.status().code(), Code::kRefused) << r.status().ToString();
    EXPECT_NE(r.status().message().find(type == 1 ? "light agent" : "contributor"), std::string::npos)
        << r.status().ToString();
  }
  EXPECT_TRUE(MutatingRequests().empty());
}

TEST_F(ReassignTicketsTest, NothingToMoveIsNoOp) {
  const int64_t end_user = FindUser("end-user");
  auto r = ReassignTickets(Ctx(), end_user, sim_->AgentId());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "no-op");
  EXPECT_TRUE(MutatingRequests().empty());
}

// ---- crash safety: a journal left by a run stopped at each point of a send ----

// Non-closed tickets assigned to `id` per zdsim's state.
std::vector<int64_t> OpenTicketIds(zdsim::Simulator& sim, int64_t id) {
  std::vector<int64_t> out;
  for (const auto& t : sim.TicketsState(id)) {
    std::string s = t.value("status", "");
    if (s != "closed" && s != "deleted" && !t.value("archived", false)) out.push_back(t["id"]);
  }
  return out;
}

// Successful update_many requests naming ticket `id`.
int SentFor(zdsim::Simulator& sim, int64_t id) {
  int n = 0;
  for (const auto& r : sim.Requests()) {
    const std::string path = r.value("path", "");
    const int st = r.value("status", 0);
    if (r.value("method", "") != "PUT" || st < 200 || st >= 300 ||
        path.find("update_many") == std::string::npos)
      continue;
    std::string ids = path.substr(path.find("ids=") + 4);
    for (auto& c : ids)
      if (c == ',') c = ' ';
    for (size_t p; (p = ids.find("%2C")) != std::string::npos;) ids.replace(p, 3, " ");
    std::istringstream in(ids);
    for (int64_t v; in >> v;) n += v == id;
  }
  return n;
}

class ReassignJournalTest : public ActionsTest {
 protected:
  // An agent's open tickets, to be moved to the admin by an interrupted run.
  void SetUp() override {
    ActionsTest::SetUp();
    from_ = FindUser("agent");
    to_ = sim_->AdminId();
    ids_ = OpenTicketIds(*sim_, from_);
  }
  int64_t from_ = 0, to_ = 0;
  std::vector<int64_t> ids_;

  // The resumed run succeeded, resumed `resumed` tickets from the journal and
  // left none behind, each sent once.
  void ExpectResumed(const Result<ActionOutcome>& r, size_t resumed) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->status.ok()) << r->status.ToString();
    EXPECT_EQ(r->details["resumed"], resumed) << r->ToJson().dump(2);
    EXPECT_EQ(NonClosed(from_), 0);
    ExpectEachSentOnce(ids_);
  }

  // A journal entry as a run leaves it: intent written, `job` known or not.
  void LeaveJournal(int64_t from, int64_t to, const std::vector<int64_t>& ids, const std::string& job) {
    json batch = {{"ids", ids}, {"to", to}, {"at", NowUnix()}};
    if (!job.empty()) batch["job"] = job;
    json doc = {{"seq", 1}, {"batches", {{"1", batch}}}};
    ASSERT_TRUE(store_->PutValue("default", ReassignJournalKey(from), doc.dump()).ok());
  }
  // The update_many a killed run sent (Zendesk accepted it); its job id.
  std::string SendBehindTheScenes(const std::vector<int64_t>& ids, int64_t to) {
    auto js = client_->UpdateManyTickets(ids, {{"assignee_id", to}});
    EXPECT_TRUE(js.ok()) << js.status().ToString();
    return js.ok() ? js->id : "";
  }
  void ExpectEachSentOnce(const std::vector<int64_t>& ids) {
    for (int64_t id : ids) EXPECT_EQ(SentFor(*sim_, id), 1) << "ticket " << id;
  }
};

// Stopped after Zendesk accepted the batch, before its job id was saved: the
// resume waits for the account's running jobs and re-sends nothing.
TEST_F(ReassignJournalTest, AcceptedBatchWithoutJobIdIsNotSentAgain) {
  ASSERT_FALSE(ids_.empty());
  LeaveJournal(from_, to_, ids_, "");
  SendBehindTheScenes(ids_, to_);
  auto r = ReassignTickets(Ctx(), from_, to_);
  ASSERT_NO_FATAL_FAILURE(ExpectResumed(r, ids_.size()));
  EXPECT_EQ(r->details["moved"], ids_.size());
  EXPECT_TRUE(r->details["verified"].get<bool>());
  EXPECT_EQ(*store_->GetValue("default", ReassignJournalKey(from_)).value(), R"({"batches":{},"seq":1})");
}

// Stopped after the job id was saved, while the job still runs: the resume
// polls the job and re-sends nothing.
TEST_F(ReassignJournalTest, BatchWithJobIdIsPolledNotSentAgain) {
  ASSERT_FALSE(ids_.empty());
  LeaveJournal(from_, to_, ids_, SendBehindTheScenes(ids_, to_));
  ExpectResumed(ReassignTickets(Ctx(), from_, to_), ids_.size());
}

// Stopped after the intent was written, before the request left: nothing
// took effect, so the tickets are sent (once).
TEST_F(ReassignJournalTest, IntentNeverSentIsSentOnce) {
  ASSERT_FALSE(ids_.empty());
  LeaveJournal(from_, to_, ids_, "");
  ExpectResumed(ReassignTickets(Ctx(), from_, to_), 0);
}

// Stopped after the job id was saved, resumed more than a day later: Zendesk
// has dropped the job's data (its status answers 404), so the tickets
// themselves say what happened, and nothing is sent again.
TEST_F(ReassignJournalTest, JobWhoseDataExpiredIsJudgedByItsTickets) {
  ASSERT_FALSE(ids_.empty());
  LeaveJournal(from_, to_, ids_, SendBehindTheScenes(ids_, to_));
  sim_->Advance(86400, false);
  ExpectResumed(ReassignTickets(Ctx(), from_, to_), ids_.size());
  EXPECT_GT(CountRequests("GET", "/api/v2/job_statuses/"), 0);
}

// A dry run with a pending journal says so and settles nothing.
TEST_F(ReassignJournalTest, DryRunLeavesTheJournalAndWarns) {
  ASSERT_FALSE(ids_.empty());
  LeaveJournal(from_, to_, ids_, "");
  auto r = ReassignTickets(Ctx(true), from_, to_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_NE(r->warnings[0].find("interrupted run"), std::string::npos) << r->warnings[0];
  EXPECT_TRUE(MutatingRequests().empty());
  EXPECT_NE(store_->GetValue("default", ReassignJournalKey(from_)).value()->find(std::to_string(ids_[0])),
            std::string::npos);
}

// A big account: thousands of recent (non-closed) tickets, no rate limits so
// the setup runs quickly.
// Zendesk's search index lags minutes behind changes (reference §9.1; zdsim
// models it, here an hour long): the tickets to move come from Zendesk's
// per-user list, current at once. A ticket handed to the leaver a moment ago
// is moved too; one the leaver handed on a moment ago is left where it went.
class ReassignUnderSearchLagTest : public ActionsTest {
  zdsim::Options SimOptions() override {
    zdsim::Options o = testing::SmallAccount();
    o.search_lag_seconds = 3600;
    return o;
  }
};

TEST_F(ReassignUnderSearchLagTest, MovesWhatZendeskHoldsNowNotWhatSearchStillShows) {
  const int64_t from = FindUser("agent"), to = sim_->AgentId();
  ASSERT_NE(from, 0);
  auto first_open = [&](int64_t who) -> int64_t {
    for (const auto& t : sim_->TicketsState(who))
      if (t["status"] == "open" || t["status"] == "new") return t["id"].get<int64_t>();
    return 0;
  };
  int64_t other = 0, given = 0;  // another agent and one of their open tickets
  for (int i = 1; given == 0 && i < 8; ++i) {
    other = FindUser("agent", i);
    if (other != 0) given = first_open(other);
  }
  ASSERT_NE(given, 0);
  const int64_t handed_on = first_open(from);
  ASSERT_NE(handed_on, 0);
  for (const auto& [ticket, assignee] : {std::pair{given, from}, std::pair{handed_on, other}}) {
    auto put = client_->Send("PUT", "/api/v2/tickets/" + std::to_string(ticket) + ".json",
                             json{{"ticket", {{"assignee_id", assignee}}}});
    ASSERT_TRUE(put.ok()) << put.status().ToString();
  }
  // The index still has the old assignees (else this test shows nothing).
  std::set<int64_t> searched;
  auto page = client_->SearchTickets("assignee:" + std::to_string(from) + " status<closed", "");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  for (const auto& t : page->items) searched.insert(t.id);
  ASSERT_TRUE(searched.count(handed_on));
  ASSERT_FALSE(searched.count(given));

  const int held = NonClosed(from);
  auto r = ReassignTickets(Ctx(), from, to);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "ok") << r->summary;
  EXPECT_EQ(r->details["tickets"], held);
  EXPECT_EQ(r->details["verified"], true);
  EXPECT_EQ(NonClosed(from), 0);
  std::map<int64_t, int64_t> assignee;
  for (int64_t who : {to, other})
    for (const auto& t : sim_->TicketsState(who)) assignee[t["id"].get<int64_t>()] = who;
  EXPECT_EQ(assignee[given], to) << "the ticket given to the leaver a moment ago";
  EXPECT_EQ(assignee[handed_on], other) << "the ticket the leaver handed on a moment ago";
}

// A job that fails as a whole (reference §9.3: status "failed", no results)
// after making half its changes: not Zendesk refusing those tickets. The
// verification finds the half still assigned and sends it again.
TEST_F(ReassignTicketsTest, AJobThatFailsHalfwayIsFinishedByTheSecondPass) {
  const int64_t from = FindUser("agent");
  ASSERT_NE(from, 0);
  const int held = NonClosed(from);
  ASSERT_GE(held, 2);
  zdsim::Fault f;
  f.kind = "job_failed";
  f.path = "/api/v2/tickets/update_many";
  sim_->AddFault(f);
  auto r = ReassignTickets(Ctx(), from, sim_->AgentId());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "ok") << r->ToJson().dump(2);
  EXPECT_EQ(r->details["moved"], held) << r->ToJson().dump(2);
  EXPECT_EQ(r->details["failed"], 0);
  EXPECT_EQ(r->details["verified"], true);
  EXPECT_EQ(NonClosed(from), 0);
  EXPECT_EQ(CountRequests("PUT", "/api/v2/tickets/update_many"), 2);
}

// Where Zendesk refuses the per-user list (403 here), the search index still
// finds the tickets (none changed lately, so its lag does not matter here).
TEST_F(ReassignTicketsTest, FallsBackToSearchWhereThePerUserListIsRefused) {
  const int64_t from = FindUser("agent");
  ASSERT_NE(from, 0);
  const int held = NonClosed(from);
  ASSERT_GT(held, 0);
  zdsim::Fault f;
  f.status = 403;
  f.count = 100;
  f.path = "/api/v2/users/" + std::to_string(from) + "/tickets/assigned";
  sim_->AddFault(f);
  auto r = ReassignTickets(Ctx(), from, sim_->AgentId());
  sim_->ClearFaults();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "ok") << r->summary;
  EXPECT_EQ(r->details["tickets"], held);
  EXPECT_EQ(NonClosed(from), 0);
  EXPECT_GT(CountRequests("GET", "/api/v2/search/export"), 0);
}

class BigReassignTest : public ActionsTest {
 protected:
  zdsim::Options SimOptions() override {
    zdsim::Options o = testing::SmallAccount();
    o.users = 40;
    o.agents = 6;
    o.days = 10;
    o.tickets_per_day = 700;
    o.rate_limits = false;
    return o;
  }
};

TEST_F(BigReassignTest, MovesThousandsAcrossStatusesReportsPerTicketFailureAndVerifies) {
  // Setup: gather every agent's non-closed tickets on one agent (with the
  // action itself) until it holds at least 2,500.
  const int64_t from = sim_->AgentId();
  for (int i = 0; i < 10 && NonClosed(from) < 2500; ++i) {
    const int64_t other = FindUser("agent", i);
    if (other == 0) break;
    auto moved = ReassignTickets(Ctx(), other, from);
    ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  }
  const int64_t owner = sim_->OwnerId();
  if (NonClosed(from) < 2500) {
    auto moved = ReassignTickets(Ctx(), owner, from);
    ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  }
  const int total = NonClosed(from);
  ASSERT_GE(total, 2500) << "zdsim account too small for this test";
  // Put a few tickets on hold and back to new, so every non-closed status is present.
  int changed = 0;
  for (const auto& t : sim_->TicketsState(from)) {
    if (t["status"] != "open" || changed >= 20) continue;
    const char* status = changed++ % 2 ? "hold" : "new";
    auto put = client_->Send("PUT", "/api/v2/tickets/" + std::to_string(t["id"].get<int64_t>()) + ".json",
                             json{{"ticket", {{"status", status}}}});
    ASSERT_TRUE(put.ok()) << put.status().ToString();
  }
  std::set<std::string> statuses;
  int closed_before = 0;
  for (const auto& t : sim_->TicketsState(from)) {
    statuses.insert(t["status"].get<std::string>());
    if (t["status"] == "closed") ++closed_before;
  }
  ASSERT_GT(closed_before, 0);

  const int64_t to = sim_->AdminId();
  sim_->ClearRequests();
  // While the first jobs are queued, delete one of their tickets: Zendesk's
  // job then reports a per-ticket failure for it.
  int64_t deleted_ticket = 0;
  ActionContext c = Ctx();
  auto inner_sleep = c.sleep;
  c.sleep = [&](double s) {
    if (deleted_ticket == 0) {
      for (const auto& r : sim_->Requests()) {
        std::string p = r.value("path", "");
        auto at = p.find("ids=");
        if (r["method"] != "PUT" || at == std::string::npos) continue;
        deleted_ticket = std::stoll(p.substr(at + 4));
        auto del =
            client_->Send("DELETE", "/api/v2/tickets/" + std::to_string(deleted_ticket) + ".json", nullptr);
        EXPECT_TRUE(del.ok()) << del.status().ToString();
        break;
      }
    }
    inner_sleep(s);
  };
  const UnixTime start = NowUnix();
  auto r = ReassignTickets(c, from, to);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_NE(deleted_ticket, 0);

  EXPECT_EQ(r->details["tickets"], total);
  for (const char* st : {"new", "open", "pending", "hold", "solved"}) {
    EXPECT_TRUE(r->details["by_status"].contains(st))
        << st << " missing in " << r->details["by_status"].dump();
  }
  EXPECT_EQ(r->details["failed"], 1) << r->details.dump();
  ASSERT_EQ(r->details["failures"].size(), 1u);
  EXPECT_EQ(r->details["failures"][0]["id"], deleted_ticket);
  EXPECT_EQ(r->details["moved"], total - 1);
  EXPECT_EQ(r->details["verified"], true);
  EXPECT_EQ(r->result, "partial");
  EXPECT_FALSE(r->status.ok());
  EXPECT_EQ(ExitCodeFor(r->status), 1);

  // zdsim: nothing non-closed left, closed untouched, all moved to `to`.
  EXPECT_EQ(NonClosed(from), 0);
  int closed_after = 0;
  for (const auto& t : sim_->TicketsState(from)) closed_after += t["status"] == "closed";
  EXPECT_EQ(closed_after, closed_before);
  // Batches of at most 100; the tickets from Zendesk's per-user list, never
  // the search index (capped at 1,000 results, minutes behind).
  const int jobs = CountRequests("PUT", "/api/v2/tickets/update_many");
  EXPECT_GE(jobs, (total + 99) / 100);
  EXPECT_EQ(CountRequests("GET", "/api/v2/search"), 0);
  EXPECT_GT(CountRequests("GET", "/api/v2/users/" + std::to_string(from) + "/tickets/assigned"), 0);

  // The moved tickets are seatkeeper's own writes, not the admin's activity.
  auto own = store_->OwnWrites("default");
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_GE(own->size(), static_cast<size_t>(total - 1));
  for (const auto& t : sim_->TicketsState(to)) {
    auto it = own->find(t["id"].get<int64_t>());
    if (it == own->end()) continue;
    ASSERT_FALSE(it->second.empty());
    EXPECT_LE(it->second.back().first, start);
  }
}

}  // namespace
}  // namespace sk::actions
