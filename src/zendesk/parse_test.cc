#include "zendesk/parse.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace sk::zendesk {
namespace {

using nlohmann::json;

const std::string kFixtureDir = std::string(SK_SHARED_DIR) + "/fixtures/zendesk-recorded";

// Loads a recorded exchange file (see shared/fixtures/README.md).
#define LOAD_FIXTURE(var, name)                                                  \
  json var;                                                                      \
  do {                                                                           \
    std::string path_ = kFixtureDir + "/" + (name);                              \
    if (!std::filesystem::exists(path_))                                         \
      GTEST_SKIP() << "recorded Zendesk fixtures not found at " << path_         \
                   << " (the shared fixtures folder is absent on this machine)"; \
    std::ifstream in_(path_);                                                    \
    var = json::parse(in_);                                                      \
  } while (0)

std::string Body(const json& fixture, size_t i) {
  const json& b = fixture.at("interactions").at(i).at("response").at("body");
  return b.is_string() ? b.get<std::string>() : b.dump();
}

// ------------------------------------------------------------ fixtures

TEST(ParseFixtureTest, UsersMe) {
  LOAD_FIXTURE(f, "TestUserMe.test_users_me.json");
  auto u = ParseUserResponse(Body(f, 0));
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->id, 6130907993114);
  EXPECT_EQ(u->role, "admin");
  EXPECT_EQ(u->role_type, 4);
  EXPECT_EQ(u->custom_role_id, 6130869137434);
  EXPECT_EQ(u->email, "automationsqa@z3nmail.com");
  EXPECT_TRUE(u->active);
  EXPECT_FALSE(u->suspended);
  EXPECT_EQ(u->last_login_at, ParseIso("2023-12-13T23:50:14Z"));
  EXPECT_EQ(u->created_at, *ParseIso("2023-09-09T23:51:58Z"));
}

TEST(ParseFixtureTest, UsersCursorPages) {
  LOAD_FIXTURE(f, "TestUsersPagination.test_pagination.json");
  auto p = ParseUsersPage(Body(f, 5));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->items.size(), 100u);
  EXPECT_TRUE(p->has_more);
  EXPECT_EQ(p->after_cursor, "eyJvIjoiaWQiLCJ2IjoiYVpxZDgrYWFCUUFBIn0=");
  const User& first = p->items[0];
  EXPECT_EQ(first.id, 6130869168922);
  EXPECT_EQ(first.role, "end-user");
  EXPECT_FALSE(first.role_type.has_value());
  EXPECT_FALSE(first.custom_role_id.has_value());
  EXPECT_FALSE(first.last_login_at.has_value());

  auto one = ParseUsersPage(Body(f, 8));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->items.size(), 1u);
  EXPECT_EQ(one->after_cursor, "eyJvIjoiaWQiLCJ2IjoiYVpwK2NuU1RCUUFBIn0=");
  // Every cursor page of the recording parses. The last request asked for no
  // page size and Zendesk answered offset pagination (next_page, count, no
  // meta): as a cursor page it is refused (it is not the last page), as a
  // list it parses.
  for (size_t i = 5; i < f["interactions"].size(); ++i) {
    if (f["interactions"][i]["request"]["method"] != "GET") continue;
    const bool offset = f["interactions"][i]["response"]["body"].contains("next_page");
    auto page = ParseUsersPage(Body(f, i));
    EXPECT_EQ(page.ok(), !offset) << i;
    if (offset) {
      EXPECT_EQ(page.status().code(), Code::kBadResponse) << i;
      EXPECT_TRUE(ParseUsersList(Body(f, i)).ok()) << i;
    }
  }
}

TEST(ParseFixtureTest, IncrementalUsersTimeAndCursor) {
  LOAD_FIXTURE(f, "UsersIncrementalTest.test_get_values.json");
  auto t = ParseIncrementalUsersPage(Body(f, 0));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->items.size(), 1000u);
  EXPECT_FALSE(t->end_of_stream);
  EXPECT_EQ(t->end_time, 1695073963);
  EXPECT_EQ(t->next_page,
            "https://z3n-jteitelbaum.zendesk.com/api/v2/incremental/users.json?start_time=1695073963");
  EXPECT_EQ(t->items[0].id, 6130869168922);
  EXPECT_EQ(t->items[0].updated_at, *ParseIso("2023-09-09T23:52:06Z"));

  auto c = ParseIncrementalUsersPage(Body(f, 1));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->items.size(), 1000u);
  EXPECT_FALSE(c->end_of_stream);
  EXPECT_EQ(c->after_cursor, "MTY5NTA3Mzk2My4wfHw2MTYzOTA5NzE2NTA2fA==");

  // The simdjson path agrees with the nlohmann path on every user.
  json doc = json::parse(Body(f, 0));
  json wrapped = {{"users", doc["users"]}};
  auto ref = ParseUsersPage(wrapped.dump());
  ASSERT_TRUE(ref.ok());
  ASSERT_EQ(ref->items.size(), t->items.size());
  for (size_t i = 0; i < t->items.size(); ++i) {
    const User& a = t->items[i];
    const User& b = ref->items[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.email, b.email);
    EXPECT_EQ(a.role, b.role);
    EXPECT_EQ(a.role_type, b.role_type);
    EXPECT_EQ(a.custom_role_id, b.custom_role_id);
    EXPECT_EQ(a.active, b.active);
    EXPECT_EQ(a.last_login_at, b.last_login_at);
    EXPECT_EQ(a.updated_at, b.updated_at);
  }
}

TEST(ParseFixtureTest, IncrementalUsersPaginationRecordingAllParse) {
  LOAD_FIXTURE(f, "UsersIncrementalTest.test_pagination.json");
  for (size_t i = 0; i < f["interactions"].size(); ++i) {
    auto p = ParseIncrementalUsersPage(Body(f, i));
    ASSERT_TRUE(p.ok()) << i << ": " << p.status().ToString();
    EXPECT_FALSE(p->items.empty());
  }
}

TEST(ParseFixtureTest, TicketAuditsPagination) {
  LOAD_FIXTURE(f, "TestTicketAudits.test_pagination.json");
  auto p = ParseTicketAuditsPage(Body(f, 0));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->items.size(), 100u);
  EXPECT_TRUE(p->has_more);
  EXPECT_EQ(p->after_cursor, "eyJvIjoiY3JlYXRlZF9hdCxpZCIsInYiOiJaSDV6Q0dVQUFBQUFhWnJKcitlYUJRQUEifQ==");
  const TicketAudit& a = p->items[0];
  EXPECT_EQ(a.id, 6130852545178);
  EXPECT_EQ(a.ticket_id, 1);
  EXPECT_EQ(a.author_id, 6130907993114);
  EXPECT_EQ(a.created_at, *ParseIso("2023-09-09T23:52:05Z"));
  EXPECT_EQ(a.via_channel, "sample_ticket");
  ASSERT_EQ(a.events.size(), 8u);
  EXPECT_EQ(a.events[0].event_type, "Comment");
  EXPECT_EQ(a.events[0].author_id, 6130869168922);
  EXPECT_EQ(a.events[0].is_public, std::optional<bool>(true));  // recorded "public": true
  EXPECT_FALSE(a.events[1].is_public.has_value());
  EXPECT_EQ(a.events[1].event_type, "Create");
  EXPECT_EQ(a.events[1].field_name, "requester_id");
  EXPECT_EQ(a.events[1].value, "6130869168922");
  EXPECT_EQ(a.events[4].field_name, "tags");
  EXPECT_EQ(a.events[4].value, R"(["sample","support","zendesk"])");  // fixture body re-serialized compactly
  for (size_t i = 0; i < f["interactions"].size(); ++i) {
    auto q = ParseTicketAuditsPage(Body(f, i));
    ASSERT_TRUE(q.ok()) << i;
    EXPECT_FALSE(q->items.empty());
  }
  // A Change event with a null previous_value.
  bool saw_change = false;
  for (const auto& audit : p->items)
    for (const auto& e : audit.events)
      if (e.event_type == "Change" && e.field_name == "type") {
        saw_change = true;
        EXPECT_EQ(e.value, "incident");
        EXPECT_EQ(e.previous_value, "");
      }
  EXPECT_TRUE(saw_change);
}

TEST(ParseFixtureTest, PermanentDeleteJobStatusResultsObject) {
  LOAD_FIXTURE(f, "TestDeletedTickets.test_permanently_delete.json");
  auto queued = ParseJobStatusResponse(Body(f, 2));
  ASSERT_TRUE(queued.ok()) << queued.status().ToString();
  EXPECT_EQ(queued->id, "V3-3453357b842a394f4b7c092020d42e30");
  EXPECT_EQ(queued->status, "queued");
  EXPECT_FALSE(queued->Done());
  EXPECT_TRUE(queued->results.empty());
  EXPECT_FALSE(queued->total.has_value());

  auto done = ParseJobStatusResponse(Body(f, 3));
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->Done());
  ASSERT_EQ(done->results.size(), 1u);
  EXPECT_TRUE(done->results[0].success);
  EXPECT_FALSE(done->results[0].id.has_value());
}

TEST(ParseFixtureTest, DeletedTicketsRecordingJobsAndTickets) {
  LOAD_FIXTURE(f, "TestDeletedTickets.test_values.json");
  // create_many / destroy_many job statuses (results arrays).
  for (size_t i : {0u, 1u, 2u}) {
    auto js = ParseJobStatusResponse(Body(f, i));
    ASSERT_TRUE(js.ok()) << i << js.status().ToString();
    EXPECT_FALSE(js->id.empty());
  }
}

TEST(ParseFixtureTest, UserCreateUpdateDeleteBodies) {
  LOAD_FIXTURE(c, "TestUserCreateUpdateDelete.test_single_object_creation-create-single.json");
  auto created = ParseUserResponse(Body(c, 0));
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->id, 6164039664282);
  EXPECT_EQ(created->name, "testUser");
  EXPECT_FALSE(created->email.has_value());
  EXPECT_EQ(created->role, "end-user");

  LOAD_FIXTURE(d, "TestUserCreateUpdateDelete.test_single_object_deletion-delete-single.json");
  auto deleted = ParseUserResponse(Body(d, 1));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->id, 6164039665946);
  EXPECT_FALSE(deleted->active);
  EXPECT_GE(deleted->updated_at, deleted->created_at);

  LOAD_FIXTURE(u, "TestUserCreateUpdateDelete.test_single_object_update-update-single.json");
  auto updated = ParseUserResponse(Body(u, 1));
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->name, "testUserfe5b6e22eb30cdad08b2d6f62c722ba8e1f6cc15");
}

// ------------------------------------------------------- hand-written

TEST(ParseTest, AnonymousUsersMe) {
  auto u = ParseUserResponse(
      R"({"user":{"id":null,"url":null,"name":"Anonymous user","email":"invalid@example.com","role":"end-user",
          "created_at":null,"updated_at":null,"active":true}})");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_FALSE(u->id.has_value());
  EXPECT_EQ(u->name, "Anonymous user");
}

TEST(ParseTest, UnknownFieldsNullsAndBigIds) {
  auto u = ParseUserResponse(
      R"({"extra":[1,2,{"x":null}],"user":{"id":9223372036854775807,"name":null,"email":null,"role":"agent",
          "role_type":null,"custom_role_id":"360000123456","new_field":{"a":[1]},"active":false,"chat_only":true,
          "last_login_at":"2024-06-01T07:59:30Z","created_at":"2023-05-02T10:11:12Z"}})");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->id, INT64_MAX);
  EXPECT_EQ(u->name, "");
  EXPECT_FALSE(u->email.has_value());
  EXPECT_EQ(u->custom_role_id, 360000123456);
  EXPECT_FALSE(u->active);
  EXPECT_TRUE(u->chat_only);
  EXPECT_FALSE(u->role_type.has_value());
}

TEST(ParseTest, TicketEventsRealShape) {
  const char* body = R"({"ticket_events":[
    {"id":926256957613,"ticket_id":123,"timestamp":1719792000,"created_at":"2024-07-01T00:00:00Z",
     "updater_id":35436,"via":"Web form","via_reference_id":null,
     "system":{"client":"Mozilla/5.0","ip_address":"192.0.2.1","location":"x","latitude":0,"longitude":0},
     "event_type":"Audit","merged_ticket_ids":[],
     "child_events":[
       {"id":926256957614,"via":"Web form","via_reference_id":null,"event_type":"Create","subject":"Printer on fire"},
       {"id":926256957615,"event_type":"Change","field_name":"status","status":"open","previous_value":"new"},
       {"id":926256957616,"event_type":"Comment","comment_present":true,"comment_public":false},
       {"id":926256957617,"status":"deleted","previous_value":"open","event_type":"Change","field_name":"status"},
       {"id":926256957618,"event_type":"Create","field_name":"tags","tags":["a","b"]},
       {"id":926256957619,"event_type":"Comment","type":"Comment","author_id":35437,"body":"hi \"there\"\n",
        "public":true,"audit_id":926256957613,"created_at":"2024-07-01T00:00:00Z"}]},
    {"id":5,"ticket_id":7,"created_at":"2024-07-01T00:00:05Z","updater_id":-1,"via":"Rule","child_events":[]}],
   "count":2,"end_time":1719792005,
   "next_page":"https://acme.zendesk.com/api/v2/incremental/ticket_events.json?start_time=1719792005",
   "end_of_stream":true})";
  auto p = ParseTicketEventsPage(body);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->items.size(), 2u);
  EXPECT_TRUE(p->end_of_stream);
  EXPECT_EQ(p->end_time, 1719792005);
  const TicketEvent& e = p->items[0];
  EXPECT_EQ(e.id, 926256957613);
  EXPECT_EQ(e.ticket_id, 123);
  EXPECT_EQ(e.timestamp, 1719792000);
  EXPECT_EQ(e.updater_id, 35436);
  EXPECT_EQ(e.via, "Web form");
  ASSERT_EQ(e.children.size(), 6u);
  EXPECT_EQ(e.children[0].event_type, "Create");
  EXPECT_EQ(e.children[1].field_name, "status");
  EXPECT_EQ(e.children[1].value, "open");
  EXPECT_EQ(e.children[1].previous_value, "new");
  EXPECT_EQ(e.children[2].event_type, "Comment");
  EXPECT_EQ(e.children[3].value, "deleted");  // value key before field_name
  EXPECT_EQ(e.children[3].previous_value, "open");
  EXPECT_EQ(e.children[4].value, R"(["a","b"])");
  EXPECT_EQ(e.children[5].author_id, 35437);
  // Comment visibility: comment_public without the sideload, public with it (issue #17).
  EXPECT_EQ(e.children[2].is_public, std::optional<bool>(false));
  EXPECT_EQ(e.children[5].is_public, std::optional<bool>(true));
  EXPECT_FALSE(e.children[1].is_public.has_value());
  EXPECT_FALSE(e.children[0].by_rule);
  EXPECT_EQ(p->items[1].updater_id, -1);
  EXPECT_EQ(p->items[1].timestamp, *ParseIso("2024-07-01T00:00:05Z"));  // no timestamp: created_at
}

TEST(ParseTest, TicketEventsRejectsGarbageAndTruncation) {
  EXPECT_EQ(ParseTicketEventsPage("not json").status().code(), Code::kBadResponse);
  EXPECT_EQ(ParseTicketEventsPage(R"({"ticket_events":[{"id":1,"child_events":[)").status().code(),
            Code::kBadResponse);
  EXPECT_EQ(ParseTicketEventsPage(R"({"other":[]})").status().code(), Code::kBadResponse);
  EXPECT_EQ(ParseTicketEventsPage("").status().code(), Code::kBadResponse);
}

// Every prefix of a valid page (a truncated transfer) is rejected cleanly.
TEST(ParseTest, TruncatedPrefixesNeverCrash) {
  const std::string events =
      R"({"ticket_events":[{"id":1,"ticket_id":2,"timestamp":3,"updater_id":4,"via":"Web form","child_events":[)"
      R"({"id":5,"event_type":"Change","field_name":"status","status":"open","previous_value":"new"},)"
      R"({"id":6,"event_type":"Create","field_name":"tags","tags":["a"]}]}],"end_time":3,"end_of_stream":true})";
  const std::string audits =
      R"({"audits":[{"id":1,"ticket_id":2,"created_at":"2024-07-01T12:00:00Z","author_id":3,"via":{"channel":"web"},)"
      R"("events":[{"id":4,"type":"Change","field_name":"status","value":"solved","previous_value":"open"}]}],)"
      R"("meta":{"has_more":false,"after_cursor":null}})";
  const std::string users =
      R"({"users":[{"id":1,"name":"A","role":"agent","active":true}],"end_of_stream":true})";
  ASSERT_TRUE(ParseTicketEventsPage(events).ok());
  ASSERT_TRUE(ParseTicketAuditsPage(audits).ok());
  ASSERT_TRUE(ParseIncrementalUsersPage(users).ok());
  for (size_t n = 0; n + 1 < events.size(); ++n)
    EXPECT_FALSE(ParseTicketEventsPage(events.substr(0, n)).ok()) << n;
  for (size_t n = 0; n + 1 < audits.size(); ++n)
    EXPECT_FALSE(ParseTicketAuditsPage(audits.substr(0, n)).ok()) << n;
  for (size_t n = 0; n + 1 < users.size(); ++n) {
    auto r = ParseIncrementalUsersPage(users.substr(0, n));
    EXPECT_FALSE(r.ok()) << n;
    auto j = ParseUsersPage(users.substr(0, n));
    EXPECT_FALSE(j.ok()) << n;
  }
}

TEST(ParseTest, TicketAuditsLegacyCursorForm) {
  auto p = ParseTicketAuditsPage(
      R"({"audits":[{"id":1,"ticket_id":2,"created_at":"2024-07-01T12:00:00Z","author_id":-1,
          "via":{"channel":"rule"},"events":[{"id":3,"type":"Change","field_name":"status","value":"solved",
          "previous_value":"open"}]}],"after_cursor":"abc","after_url":"https://x/api/v2/ticket_audits.json?cursor=abc",
          "before_cursor":null,"before_url":null})");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->has_more);
  EXPECT_EQ(p->after_cursor, "abc");
  EXPECT_EQ(p->items[0].author_id, -1);
  EXPECT_EQ(p->items[0].events[0].value, "solved");
}

TEST(ParseTest, DeletedTickets) {
  auto p = ParseDeletedTicketsPage(
      R"({"deleted_tickets":[{"id":581,"subject":"Wonderful Ticket","actor":{"id":381625,"name":"Agent Name"},
          "deleted_at":"2024-07-01T13:45:12Z","previous_state":"open"},{"id":582,"actor":null,"deleted_at":null}],
          "meta":{"has_more":false,"after_cursor":null,"before_cursor":null},"links":{"next":null,"prev":null}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->items.size(), 2u);
  EXPECT_EQ(p->items[0].actor_id, 381625);
  EXPECT_EQ(p->items[0].deleted_at, *ParseIso("2024-07-01T13:45:12Z"));
  EXPECT_EQ(p->items[0].previous_state, "open");
  EXPECT_FALSE(p->items[1].actor_id.has_value());
  EXPECT_FALSE(p->has_more);
}

TEST(ParseTest, AuditLogsLogin) {
  auto p = ParseAuditLogsPage(
      R"({"audit_logs":[{"id":5151515151,"url":"https://acme.zendesk.com/api/v2/audit_logs/5151515151.json",
          "action":"login","action_label":"Signed in","actor_id":35436,"actor_name":"Jane Agent",
          "source_id":35436,"source_type":"user","source_label":"Jane Agent",
          "change_description":"Successful sign-in using Zendesk password","ip_address":"192.0.2.10",
          "created_at":"2024-07-01T08:02:11Z"}],
          "meta":{"has_more":true,"after_cursor":"c1","before_cursor":null},"links":{"next":"n","prev":null}})");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->items.size(), 1u);
  EXPECT_EQ(p->items[0].action, "login");
  EXPECT_EQ(p->items[0].actor_id, 35436);
  EXPECT_EQ(p->items[0].source_id, 35436);
  EXPECT_EQ(p->items[0].source_type, "user");
  EXPECT_EQ(p->items[0].created_at, *ParseIso("2024-07-01T08:02:11Z"));
  EXPECT_TRUE(p->has_more);
  EXPECT_EQ(p->after_cursor, "c1");
}

TEST(ParseTest, HelpCenterArticles) {
  auto p = ParseArticlesPage(
      R"({"count":1,"next_page":null,"end_time":1720784511,
          "articles":[{"id":7253351877519,"author_id":360786799676,"draft":true,"section_id":7253394933775,
          "created_at":"2023-06-22T00:32:20Z","updated_at":"2023-06-22T00:32:21Z","edited_at":"2023-06-22T00:32:20Z",
          "name":"Sample article","title":"Sample article","body":"<p>...</p>"}]})");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->items.size(), 1u);
  EXPECT_EQ(p->items[0].id, 7253351877519);
  EXPECT_EQ(p->items[0].author_id, 360786799676);
  EXPECT_TRUE(p->items[0].draft);
  EXPECT_EQ(p->items[0].title, "Sample article");
  EXPECT_EQ(p->end_time, 1720784511);
  EXPECT_TRUE(p->end_of_stream);

  auto more = ParseArticlesPage(
      R"({"count":1,"next_page":"https://acme.zendesk.com/api/v2/help_center/incremental/articles.json?start_time=5",
          "end_time":5,"articles":[{"id":1,"author_id":null}]})");
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(more->end_of_stream);
  EXPECT_FALSE(more->items[0].author_id.has_value());
  auto empty = ParseArticlesPage(R"({"count":0,"next_page":"x","end_time":5,"articles":[]})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->end_of_stream);
}

TEST(ParseTest, JobStatusResultsArrayObjectNull) {
  auto arr = ParseJobStatusResponse(
      R"({"job_status":{"id":"V3-82da","total":2,"progress":2,"status":"completed","message":"Completed at x",
          "results":[{"id":244,"action":"update","status":"Updated","success":true},
                     {"id":245,"action":"update","success":false,"status":"Failed","error":"TicketUpdateFailed",
                      "details":"Status: closed prevents ticket update"},
                     {"id":246,"index":0}]}})");
  ASSERT_TRUE(arr.ok());
  ASSERT_EQ(arr->results.size(), 3u);
  EXPECT_EQ(arr->total, 2);
  EXPECT_TRUE(arr->results[0].success);
  EXPECT_FALSE(arr->results[1].success);
  EXPECT_EQ(arr->results[1].error, "TicketUpdateFailed");
  EXPECT_EQ(arr->results[1].details, "Status: closed prevents ticket update");
  EXPECT_TRUE(arr->results[2].success);
  auto null_results = ParseJobStatusResponse(R"({"job_status":{"id":"x","status":"killed","results":null}})");
  ASSERT_TRUE(null_results.ok());
  EXPECT_TRUE(null_results->Done());
  EXPECT_TRUE(null_results->results.empty());
  EXPECT_EQ(ParseJobStatusResponse(R"({"nope":1})").status().code(), Code::kBadResponse);
}

TEST(ParseTest, SearchExportTickets) {
  auto p = ParseSearchTicketsPage(
      R"({"results":[{"id":1,"status":"open","assignee_id":7,"requester_id":8,"submitter_id":9,"result_type":"ticket",
          "created_at":"2024-07-01T00:00:00Z","updated_at":"2024-07-02T00:00:00Z"},
          {"id":2,"result_type":"user"}],"facets":null,
          "meta":{"has_more":true,"after_cursor":"xyz","before_cursor":null},"links":{"next":"n","prev":null}})");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->items.size(), 1u);
  EXPECT_EQ(p->items[0].assignee_id, 7);
  EXPECT_TRUE(p->has_more);
  EXPECT_EQ(p->after_cursor, "xyz");
}

// /users/{id}/tickets/assigned with page[size]: the List Tickets shape
// (reference §10), nested objects and nulls included.
TEST(ParseTest, AssignedTicketsList) {
  auto p = ParseTicketsPage(
      R"({"tickets":[{"url":"https://acme.zendesk.com/api/v2/tickets/35436.json","id":35436,"external_id":null,
          "via":{"channel":"web","source":{"from":{},"to":{},"rel":null}},"created_at":"2009-07-20T22:55:29Z",
          "updated_at":"2011-05-05T10:38:52Z","subject":"Help","priority":"high","status":"pending",
          "requester_id":20978392,"submitter_id":76872,"assignee_id":235323,"group_id":98738,
          "tags":["enterprise","other_tag"],"custom_fields":[{"id":27642,"value":"745"}],"custom_status_id":1},
          {"id":35437,"status":"solved","assignee_id":235323,"via":{"channel":"api"}}],
          "meta":{"has_more":true,"after_cursor":"eyJvIjoibmljZV9pZCJ9","before_cursor":"eyJvIjoibmIn0"},
          "links":{"next":"https://acme.zendesk.com/api/v2/users/235323/tickets/assigned.json?page%5Bafter%5D=eyJ",
          "prev":null}})");
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->items.size(), 2u);
  EXPECT_EQ(p->items[0].id, 35436);
  EXPECT_EQ(p->items[0].status, "pending");
  EXPECT_EQ(p->items[0].assignee_id, 235323);
  EXPECT_EQ(p->items[1].status, "solved");
  EXPECT_TRUE(p->has_more);
  EXPECT_EQ(p->after_cursor, "eyJvIjoibmljZV9pZCJ9");
  auto last =
      ParseTicketsPage(R"({"tickets":[],"meta":{"has_more":false,"after_cursor":null,"before_cursor":null},
      "links":{"next":null,"prev":null}})");
  ASSERT_TRUE(last.ok()) << last.status().message();
  EXPECT_TRUE(last->items.empty());
  EXPECT_FALSE(last->has_more);
  EXPECT_EQ(ParseTicketsPage(R"({"users":[]})").status().code(), Code::kBadResponse);
}

// /search answers with offset pagination (reference §9.1); the provisional
// seat verdict reads its first page only.
TEST(ParseTest, SearchResultsWithOffsetPagination) {
  const char* body =
      R"({"results":[{"id":5,"status":"open","result_type":"ticket","updated_at":"2024-07-02T00:00:00Z"}],
          "facets":null,"next_page":"https://acme.zendesk.com/api/v2/search.json?page=2","previous_page":null,
          "count":12})";
  auto p = ParseSearchResultsPage(body);
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->items.size(), 1u);
  EXPECT_EQ(p->items[0].id, 5);
  EXPECT_FALSE(p->has_more);
  // The /search/export parser refuses it: that endpoint must answer with cursors.
  EXPECT_EQ(ParseSearchTicketsPage(body).status().code(), Code::kBadResponse);
}

TEST(ParseTest, IncrementalTicketsCursor) {
  auto p = ParseIncrementalTicketsPage(
      R"({"tickets":[{"id":1,"status":"deleted","assignee_id":null,"generated_timestamp":1719792000}],
          "after_cursor":"MTU3","after_url":"u","before_cursor":null,"before_url":null,"end_of_stream":false})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->items[0].status, "deleted");
  EXPECT_FALSE(p->items[0].assignee_id.has_value());
  EXPECT_EQ(p->items[0].generated_timestamp, 1719792000);
  EXPECT_EQ(p->after_cursor, "MTU3");
  EXPECT_FALSE(p->end_of_stream);
}

TEST(ParseTest, CustomRoles) {
  auto r = ParseCustomRoles(
      R"({"custom_roles":[{"id":360000111111,"name":"Light Agent","role_type":1,"configuration":{"light_agent":true}},
          {"id":360000222222,"name":"Admin","role_type":4,"configuration":{"light_agent":false}}]})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE((*r)[0].light_agent);
  EXPECT_EQ((*r)[1].role_type, 4);
}

TEST(ParseTest, TokenResponse) {
  auto full = ParseTokenResponse(
      R"({"access_token":"gEry","token_type":"bearer","scope":"read write","expires_in":172800,
          "refresh_token":"3104","refresh_token_expires_in":2592000})",
      1000);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->access_token, "gEry");
  EXPECT_EQ(full->refresh_token, "3104");
  EXPECT_EQ(full->expires_at, 1000 + 172800);
  EXPECT_EQ(full->refresh_expires_at, 1000 + 2592000);
  auto minimal = ParseTokenResponse(R"({"access_token":"a","scope":"read","token_type":"bearer"})", 1000);
  ASSERT_TRUE(minimal.ok());
  EXPECT_FALSE(minimal->expires_at.has_value());
  EXPECT_TRUE(minimal->refresh_token.empty());
  EXPECT_EQ(ParseTokenResponse(R"({"token_type":"bearer"})", 0).status().code(), Code::kBadResponse);
}

}  // namespace
}  // namespace sk::zendesk

namespace sk::zendesk {
namespace {

// Found by the parse fuzzer: an id far beyond int64 must not be converted (undefined behaviour).
TEST(ParseRegression, IdsOutOfInt64RangeAreTreatedAsAbsent) {
  auto page = ParseDeletedTicketsPage(
      R"({"deleted_tickets":[{"id":7999999999999999999999999999999999999997,"actor":{"id":18446744073709551615},)"
      R"("deleted_at":"2026-11-17T10:00:00Z","previous_state":"open"}],"next_page":null,"count":1})");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, 0);
  EXPECT_FALSE(page->items[0].actor_id.has_value());
}

}  // namespace
}  // namespace sk::zendesk
