// The client's pure parts over real recorded Zendesk answers
// (tests/fixtures/recorded/, sources in its SOURCES.md): every body through
// its parser or the error mapping, and every recorded set of rate-limit
// headers through ParseRateLimitHeaders.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "zendesk/errors.h"
#include "zendesk/parse.h"
#include "zendesk/rate_limiter.h"
#include "zendesk/zendesk_test_support.h"

namespace sk::zendesk {
namespace {

using nlohmann::json;

using testing::Recorded;

// The body as Zendesk sent it (fixtures keep JSON parsed, text as a string).
std::string BodyText(const json& exchange) {
  const json& b = exchange["response"]["body"];
  if (b.is_null()) return "";
  return b.is_string() ? b.get<std::string>() : b.dump();
}

std::map<std::string, std::string> LowerHeaders(const json& headers) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : headers.items()) {
    std::string name = k;
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out[name] = v.get<std::string>();
  }
  return out;
}

TEST(RecordedBodies, UsersCbpPageAndOffsetPage) {
  json f = Recorded("users_cbp_and_obp_2024.json");
  const json& cbp = f["exchanges"][0];
  auto page = ParseUsersPage(BodyText(cbp));
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, cbp["response"]["body"]["users"][0]["id"].get<int64_t>());
  EXPECT_EQ(page->items[0].role, "end-user");
  EXPECT_TRUE(page->has_more);
  EXPECT_EQ(page->after_cursor, cbp["response"]["body"]["meta"]["after_cursor"]);

  // Zendesk answers offset pagination (next_page, count, no meta) when the
  // cursor parameters are missing. Read as a cursor page it used to look like
  // the last page (has_more false): a walk would silently stop after it.
  const json& obp = f["exchanges"][1];
  ASSERT_FALSE(obp["response"]["body"]["next_page"].is_null());
  auto offset = ParseUsersPage(BodyText(obp));
  ASSERT_FALSE(offset.ok()) << "an offset page must not pass for the last cursor page";
  EXPECT_EQ(offset.status().code(), Code::kBadResponse);
  EXPECT_NE(offset.status().message().find("offset pagination"), std::string::npos)
      << offset.status().message();
  // The same users as a plain list (show_many) parse, admin fields included.
  auto list = ParseUsersList(BodyText(obp));
  ASSERT_TRUE(list.ok()) << list.status().message();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].role, "admin");
  EXPECT_EQ((*list)[1].role_type, 4);
  EXPECT_TRUE((*list)[1].last_login_at.has_value());
}

TEST(RecordedBodies, TicketAuditsCbpPage) {
  json f = Recorded("ticket_audits_cbp_2024.json");
  const json& body = f["exchanges"][0]["response"]["body"];
  auto page = ParseTicketAuditsPage(BodyText(f["exchanges"][0]));
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(page->items.size(), 1u);
  const TicketAudit& a = page->items[0];
  EXPECT_EQ(a.id, body["audits"][0]["id"].get<int64_t>());
  EXPECT_EQ(a.ticket_id, body["audits"][0]["ticket_id"].get<int64_t>());
  EXPECT_EQ(a.author_id, body["audits"][0]["author_id"].get<int64_t>());
  EXPECT_EQ(a.via_channel, "sample_ticket");
  EXPECT_EQ(a.events.size(), body["audits"][0]["events"].size());
  EXPECT_TRUE(page->has_more);
  EXPECT_EQ(page->after_cursor, body["meta"]["after_cursor"]);
}

TEST(RecordedBodies, IncrementalTicketsTimeAndCursor) {
  json f = Recorded("incremental_tickets_2024.json");
  const json& time_body = f["exchanges"][0]["response"]["body"];
  auto time_page = ParseIncrementalTicketsPage(BodyText(f["exchanges"][0]));
  ASSERT_TRUE(time_page.ok()) << time_page.status().message();
  // per_page=1 still answered 7 tickets sharing one second: Zendesk never
  // splits a timestamp across pages.
  EXPECT_EQ(time_page->items.size(), time_body["tickets"].size());
  EXPECT_GT(time_page->items.size(), 1u);
  EXPECT_EQ(time_page->end_time, time_body["end_time"].get<int64_t>());
  EXPECT_FALSE(time_page->end_of_stream);
  EXPECT_EQ(time_page->next_page, time_body["next_page"]);

  const json& cursor_body = f["exchanges"][1]["response"]["body"];
  auto cursor_page = ParseIncrementalTicketsPage(BodyText(f["exchanges"][1]));
  ASSERT_TRUE(cursor_page.ok()) << cursor_page.status().message();
  ASSERT_EQ(cursor_page->items.size(), 1u);
  EXPECT_EQ(cursor_page->items[0].status, "new");
  EXPECT_EQ(cursor_page->after_cursor, cursor_body["after_cursor"]);
  EXPECT_FALSE(cursor_page->end_of_stream);
}

TEST(RecordedBodies, UserAndTheSystemAdminCustomRole) {
  json f = Recorded("ticket_delete_restore_2023.json");
  auto user = ParseUserResponse(BodyText(f["exchanges"][2]));
  ASSERT_TRUE(user.ok()) << user.status().message();
  EXPECT_EQ(user->id, f["exchanges"][2]["response"]["body"]["user"]["id"].get<int64_t>());
  // The custom_roles/{id} answer wraps one role: the list parser reads it as a one-element list.
  json role = f["exchanges"][3]["response"]["body"]["custom_role"];
  auto roles = ParseCustomRoles(json{{"custom_roles", json::array({role})}}.dump());
  ASSERT_TRUE(roles.ok()) << roles.status().message();
  ASSERT_EQ(roles->size(), 1u);
  EXPECT_EQ((*roles)[0].name, "Admin");
  EXPECT_EQ((*roles)[0].role_type, 4);
  // A 204 has no body; the restore answered {}.
  EXPECT_EQ(f["exchanges"][0]["response"]["status"], 204);
  EXPECT_EQ(BodyText(f["exchanges"][0]), "");
}

TEST(RecordedBodies, JobStatusQueuedWorkingCompleted) {
  json f = Recorded("users_update_many_job_2023.json");
  std::vector<std::string> statuses;
  for (const auto& ex : f["exchanges"]) {
    auto job = ParseJobStatusResponse(BodyText(ex));
    ASSERT_TRUE(job.ok()) << job.status().message();
    EXPECT_EQ(job->id, ex["response"]["body"]["job_status"]["id"]);
    statuses.push_back(job->status);
    if (job->status == "completed") {
      EXPECT_TRUE(job->Done());
      EXPECT_EQ(job->results.size(), ex["response"]["body"]["job_status"]["results"].size());
      for (const auto& r : job->results) {
        EXPECT_TRUE(r.success);
        EXPECT_EQ(r.status, "Updated");
        EXPECT_TRUE(r.id.has_value());
      }
    } else {
      EXPECT_FALSE(job->Done());
      EXPECT_TRUE(job->results.empty()) << "results: null while queued/working";
    }
  }
  EXPECT_EQ(statuses, (std::vector<std::string>{"queued", "queued", "working", "completed"}));
}

TEST(RecordedBodies, AnonymousUsersMeHasNoId) {
  json f = Recorded("users_me_anonymous.json");
  auto me = ParseUserResponse(BodyText(f["exchanges"][0]));
  ASSERT_TRUE(me.ok()) << me.status().message();
  EXPECT_FALSE(me->id.has_value());
  EXPECT_EQ(me->name, "Anonymous user");
}

TEST(RecordedBodies, ErrorAnswersMapToZendesksReason) {
  struct Case {
    const char* file;
    Code code;
    const char* reason;
  };
  for (const Case& c : {Case{"users_create_many_too_many_400_2023.json", Code::kInvalidRecord,
                             "Maximum 100 users may be created per call"},
                        Case{"user_update_not_found_404_2023.json", Code::kNotFound, "Not found"},
                        Case{"organization_not_found_404_2023.json", Code::kNotFound, "Not found"}}) {
    json f = Recorded(c.file);
    const json& ex = f["exchanges"][0];
    const std::string body = BodyText(ex);
    EXPECT_NE(ZendeskReason(body).find(c.reason), std::string::npos) << c.file << ": " << ZendeskReason(body);
    Status s = StatusFromHttp(
        ex["response"]["status"].get<long>(), body, LowerHeaders(ex["response"]["headers"]),
        ex["request"]["method"].get<std::string>() + " " + ex["request"]["path"].get<std::string>());
    EXPECT_EQ(s.code(), c.code) << c.file << ": " << s.message();
    EXPECT_NE(s.message().find(c.reason), std::string::npos) << c.file << ": " << s.message();
    EXPECT_FALSE(IsRetryableHttpStatus(ex["response"]["status"].get<long>())) << c.file;
  }
}

// Every recorded set of rate-limit header names: the account window comes from
// whichever account family is there (the newest wins, all agree in the
// recordings), every endpoint bucket in either spelling is read, and an answer
// without any leaves everything unknown.
TEST(RecordedRateLimitHeaders, EverySetParses) {
  json f = Recorded("rate_limit_header_sets.json");
  ASSERT_GE(f["header_sets"].size(), 10u);
  int buckets_2023 = 0;
  for (const auto& set : f["header_sets"]) {
    const std::string where = set["request"]["method"].get<std::string>() + " " +
                              set["request"]["path"].get<std::string>() + " (" +
                              set["source"]["path"].get<std::string>() + ")";
    auto h = LowerHeaders(set["headers"]);
    RateLimitHeaders rl = ParseRateLimitHeaders(h, 0);
    auto num = [&h](const char* k) -> std::optional<int> {
      auto it = h.find(k);
      if (it == h.end()) return std::nullopt;
      return std::stoi(it->second);
    };
    auto limit = num("ratelimit-limit") ? num("ratelimit-limit")
                 : num("rate-limit")    ? num("rate-limit")
                                        : num("x-rate-limit");
    auto remaining = num("ratelimit-remaining")    ? num("ratelimit-remaining")
                     : num("rate-limit-remaining") ? num("rate-limit-remaining")
                                                   : num("x-rate-limit-remaining");
    auto reset = num("ratelimit-reset") ? num("ratelimit-reset") : num("rate-limit-reset");
    EXPECT_EQ(rl.account.limit, limit) << where;
    EXPECT_EQ(rl.account.remaining, remaining) << where;
    if (reset) {
      EXPECT_EQ(rl.account.reset_seconds, static_cast<double>(*reset)) << where;
    } else {
      EXPECT_FALSE(rl.account.reset_seconds.has_value()) << where;
    }
    size_t bucket_headers = 0;
    for (const auto& [name, value] : h) {
      for (std::string prefix : {"zendesk-ratelimit-", "zendesk-rate-limit-"}) {
        if (name.rfind(prefix, 0) != 0) continue;
        ++bucket_headers;
        buckets_2023 += prefix == "zendesk-rate-limit-";
        const std::string bucket = name.substr(prefix.size());
        ASSERT_EQ(rl.named.count(bucket), 1u) << where << ": " << name << " was not read";
        const RateWindow& w = rl.named.at(bucket);
        // "total=100; remaining=99; resets=17"
        int total = 0, rem = 0, resets = 0;
        ASSERT_EQ(std::sscanf(value.c_str(), "total=%d; remaining=%d; resets=%d", &total, &rem, &resets), 3)
            << value;
        EXPECT_EQ(w.limit, total) << where;
        EXPECT_EQ(w.remaining, rem) << where;
        EXPECT_EQ(w.reset_seconds, static_cast<double>(resets)) << where;
      }
    }
    EXPECT_EQ(rl.named.size(), bucket_headers) << where;
    EXPECT_FALSE(rl.retry_after.has_value()) << where;
  }
  EXPECT_GE(buckets_2023, 4) << "the 2023 recordings spell buckets zendesk-rate-limit-<name>";
}

}  // namespace
}  // namespace sk::zendesk
