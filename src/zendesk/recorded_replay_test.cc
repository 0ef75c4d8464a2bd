// The real client (ZendeskClient over libcurl) against a tiny replay server
// that answers with real recorded Zendesk exchanges (tests/fixtures/recorded/,
// sources in its SOURCES.md): status, headers as recorded, body with the
// recorded account's links pointed at the replay server. Pagination, errors
// and rate-limit headers are exercised over real HTTP.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "zendesk/client.h"
#include "zendesk/zendesk_test_support.h"

namespace sk::zendesk {
namespace {

using nlohmann::json;

using testing::Recorded;

// Serves, for each path (no query), its queued recorded exchanges in order;
// the last one repeats. Unknown paths get 599 so a test sees the stray request.
class ReplayServer {
 public:
  ReplayServer() {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); };
    http_.server().Get(".*", handler);
    http_.server().Post(".*", handler);
    http_.server().Put(".*", handler);
    http_.server().Delete(".*", handler);
  }
  std::string base() const { return http_.base(); }

  // Queues `exchange` for requests to its recorded path (query ignored: the
  // client chooses its own page sizes). Header names can be re-cased to show
  // that the client reads them whatever their case.
  void Queue(const json& exchange, bool title_case_headers = false) {
    std::string path = exchange["request"]["path"];
    path = path.substr(0, path.find('?'));
    std::lock_guard<std::mutex> lk(mu_);
    queues_[path].push_back({exchange, title_case_headers});
  }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lk(mu_);
    return requests_;
  }

 private:
  struct Entry {
    json exchange;
    bool title_case;
  };
  static std::string TitleCase(std::string name) {
    bool up = true;
    for (auto& c : name) {
      c = static_cast<char>(up ? std::toupper(static_cast<unsigned char>(c))
                               : std::tolower(static_cast<unsigned char>(c)));
      up = c == '-';
    }
    return name;
  }
  void Serve(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lk(mu_);
    requests_.push_back(req.method + " " + req.target);
    auto it = queues_.find(req.path);
    if (it == queues_.end() || it->second.empty()) {
      res.status = 599;
      return;
    }
    size_t& next = served_[req.path];
    const Entry& e = it->second[std::min(next, it->second.size() - 1)];
    ++next;
    const json& r = e.exchange["response"];
    res.status = r["status"].get<int>();
    std::string content_type = "application/json; charset=utf-8";
    for (const auto& [k, v] : r["headers"].items()) {
      std::string lower = k;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "content-type") {
        content_type = v.get<std::string>();
        continue;
      }
      res.set_header(e.title_case ? TitleCase(k) : k, v.get<std::string>());
    }
    const json& body = r["body"];
    if (body.is_null()) return;
    std::string text = body.is_string() ? body.get<std::string>() : body.dump();
    // Links name the recorded account; point them here (the client never
    // follows a link off its own origin).
    text = std::regex_replace(text, std::regex(R"(https://[a-z0-9-]+\.zendesk\.com)"), base());
    res.set_content(text, content_type);
  }

  std::mutex mu_;
  std::map<std::string, std::vector<Entry>> queues_;
  std::map<std::string, size_t> served_;
  std::vector<std::string> requests_;
  testing::LocalServer http_;  // last: stops serving before the rest goes
};

ClientOptions Options(const std::string& base, std::vector<double>* sleeps) {
  ClientOptions o;
  o.base_url = base;
  o.credentials.kind = Credentials::Kind::kOAuthToken;
  o.credentials.secret = "replay-token";
  o.sleep = [sleeps](double s) { sleeps->push_back(s); };
  o.connect_timeout_seconds = 2;
  o.request_timeout_seconds = 10;
  return o;
}

TEST(RecordedReplay, AnonymousUsersMeIsRejectedCredentials) {
  ReplayServer replay;
  replay.Queue(Recorded("users_me_anonymous.json")["exchanges"][0]);
  std::vector<double> sleeps;
  Client client(Options(replay.base(), &sleeps));
  auto me = client.Me();
  ASSERT_FALSE(me.ok());
  EXPECT_EQ(me.status().code(), Code::kUnauthenticated) << me.status().message();
  EXPECT_EQ(replay.requests().size(), 1u);
}

// A CBP users page, then Zendesk falling back to offset pagination: the
// client stops with an error instead of taking the offset page for the end.
TEST(RecordedReplay, UsersCursorWalkRefusesAnOffsetPage) {
  json f = Recorded("users_cbp_and_obp_2024.json");
  ReplayServer replay;
  replay.Queue(f["exchanges"][0]);
  replay.Queue(f["exchanges"][1]);
  std::vector<double> sleeps;
  Client client(Options(replay.base(), &sleeps));
  auto first = client.ListUsers("");
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_EQ(first->items.size(), 1u);
  EXPECT_TRUE(first->has_more);
  // 2024 recording: X-Rate-Limit and ratelimit-* both present.
  EXPECT_EQ(client.stats().account_limit, 700);
  EXPECT_EQ(client.stats().account_remaining,
            std::stoi(f["exchanges"][0]["response"]["headers"]["ratelimit-remaining"].get<std::string>()));
  auto second = client.ListUsers(first->after_cursor);
  ASSERT_FALSE(second.ok()) << "an offset page was taken for the last cursor page";
  EXPECT_EQ(second.status().code(), Code::kBadResponse);
  EXPECT_NE(second.status().message().find("offset pagination"), std::string::npos)
      << second.status().message();
  auto requests = replay.requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_NE(requests[1].find("page%5Bafter%5D="), std::string::npos) << requests[1];
}

TEST(RecordedReplay, TicketAuditsAndIncrementalTickets) {
  ReplayServer replay;
  replay.Queue(Recorded("ticket_audits_cbp_2024.json")["exchanges"][0]);
  json inc = Recorded("incremental_tickets_2024.json");
  replay.Queue(inc["exchanges"][1]);  // /incremental/tickets/cursor
  std::vector<double> sleeps;
  Client client(Options(replay.base(), &sleeps));
  auto audits = client.TicketAudits("", 1);
  ASSERT_TRUE(audits.ok()) << audits.status().message();
  ASSERT_EQ(audits->items.size(), 1u);
  EXPECT_TRUE(audits->has_more);
  auto tickets = client.IncrementalTicketsCursor(0, "");
  ASSERT_TRUE(tickets.ok()) << tickets.status().message();
  ASSERT_EQ(tickets->items.size(), 1u);
  EXPECT_FALSE(tickets->end_of_stream);
  EXPECT_EQ(tickets->after_cursor, inc["exchanges"][1]["response"]["body"]["after_cursor"]);
  EXPECT_TRUE(sleeps.empty()) << "nothing recorded asks to wait";
}

TEST(RecordedReplay, JobStatusPolledToCompletion) {
  json f = Recorded("users_update_many_job_2023.json");
  ReplayServer replay;
  for (size_t i = 1; i < f["exchanges"].size(); ++i) replay.Queue(f["exchanges"][i]);
  std::vector<double> sleeps;
  Client client(Options(replay.base(), &sleeps));
  const std::string id = f["exchanges"][1]["response"]["body"]["job_status"]["id"];
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    auto job = client.GetJobStatus(id);
    ASSERT_TRUE(job.ok()) << job.status().message();
    seen.push_back(job->status);
    if (job->Done()) {
      EXPECT_EQ(job->results.size(), 100u);
      break;
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"queued", "working", "completed"}));
  // 2023 recording: only the older rate-limit / rate-limit-remaining names besides X-Rate-Limit.
  EXPECT_EQ(client.stats().account_limit, 700);
}

TEST(RecordedReplay, RecordedRefusalsAreNotRetried) {
  ReplayServer replay;
  json not_found = Recorded("user_update_not_found_404_2023.json")["exchanges"][0];
  replay.Queue(not_found);
  replay.Queue(Recorded("users_create_many_too_many_400_2023.json")["exchanges"][0]);
  std::vector<double> sleeps;
  Client client(Options(replay.base(), &sleeps));
  auto update = client.UpdateUser(9223372036854775807LL, json{{"name", "x"}});
  ASSERT_FALSE(update.ok());
  EXPECT_EQ(update.status().code(), Code::kNotFound) << update.status().message();
  EXPECT_NE(update.status().message().find("Not found"), std::string::npos) << update.status().message();
  auto create = client.Send("POST", "/api/v2/users/create_many.json", json{{"users", json::array()}});
  ASSERT_FALSE(create.ok());
  EXPECT_EQ(create.status().code(), Code::kInvalidRecord) << create.status().message();
  EXPECT_NE(create.status().message().find("Maximum 100 users may be created per call"), std::string::npos)
      << create.status().message();
  EXPECT_EQ(replay.requests().size(), 2u) << "a refusal is not retried";
  EXPECT_TRUE(sleeps.empty());
}

// Every recorded rate-limit header set, served over HTTP with its names
// re-cased: the client's view of the account window matches the headers.
TEST(RecordedReplay, EveryRecordedRateLimitHeaderSetIsReadOverHttp) {
  json sets = Recorded("rate_limit_header_sets.json")["header_sets"];
  ASSERT_FALSE(sets.empty());
  for (const auto& set : sets) {
    ReplayServer replay;
    json exchange = {{"request", {{"method", "GET"}, {"path", "/api/v2/users/me.json"}}},
                     {"response",
                      {{"status", 200},
                       {"headers", set["headers"]},
                       {"body", json::parse(R"({"user":{"id":1,"name":"A","role":"admin"}})")}}}};
    replay.Queue(exchange, /*title_case_headers=*/true);
    std::vector<double> sleeps;
    Client client(Options(replay.base(), &sleeps));
    ASSERT_TRUE(client.Me().ok()) << set.dump();
    std::map<std::string, std::string> h;
    for (const auto& [k, v] : set["headers"].items()) {
      std::string lower = k;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      h[lower] = v;
    }
    std::optional<int> want_limit, want_remaining;
    for (const char* k : {"x-rate-limit", "rate-limit", "ratelimit-limit"})
      if (h.count(k)) want_limit = std::stoi(h[k]);
    for (const char* k : {"x-rate-limit-remaining", "rate-limit-remaining", "ratelimit-remaining"})
      if (h.count(k)) want_remaining = std::stoi(h[k]);
    EXPECT_EQ(client.stats().account_limit, want_limit) << set.dump();
    EXPECT_EQ(client.stats().account_remaining, want_remaining) << set.dump();
  }
}

}  // namespace
}  // namespace sk::zendesk
