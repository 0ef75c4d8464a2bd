#include "zendesk/errors.h"

#include <gtest/gtest.h>

namespace sk::zendesk {
namespace {

struct ErrorCase {
  long status;
  const char* body;
  const char* endpoint;
  Code want;
  std::vector<const char*> contains;
};

TEST(StatusFromHttpTest, Table) {
  const std::vector<ErrorCase> cases = {
      {401,
       R"({"error":"Couldn't authenticate you"})",
       "GET /api/v2/users",
       Code::kUnauthenticated,
       {"Zendesk rejected the credentials: Couldn't authenticate you",
        "Check the token/email, or reconnect"}},
      {401,
       R"({"error":"invalid_token","error_description":"The access token provided is expired, revoked, malformed or invalid for other reasons."})",
       "GET /api/v2/users",
       Code::kUnauthenticated,
       {"access token provided is expired"}},
      {403,
       R"({"error":"Forbidden","description":"You are missing the following required scopes: read"})",
       "GET /api/v2/ticket_audits",
       Code::kForbidden,
       {"lacks the required scopes: read"}},
      {403,
       R"({"error":"Forbidden","description":"Access denied: your IP address is not allowed by the account's IP restrictions"})",
       "GET /api/v2/users",
       Code::kForbidden,
       {"IP restrictions", "Admin Center > Security > Advanced > IP restrictions"}},
      {403, "IP restriction: request blocked", "GET /api/v2/users", Code::kForbidden, {"IP restrictions"}},
      {403,
       R"({"error":"Forbidden","description":"You do not have access to this page. Please contact the account owner of this help desk for further help."})",
       "GET /api/v2/audit_logs",
       Code::kForbidden,
       {"You do not have access to this page"}},
      {403,
       R"({"error":{"title":"Forbidden","message":"Guide admin only"}})",
       "GET /api/v2/help_center/x",
       Code::kForbidden,
       {"Forbidden", "Guide admin only"}},
      {404,
       R"({"error":"RecordNotFound","description":"Not found"})",
       "DELETE /api/v2/users/{id}",
       Code::kNotFound,
       {"Not found"}},
      {404,
       "<html><body>No help desk</body></html>",
       "GET /api/v2/users/me",
       Code::kNotFound,
       {"no Zendesk account at this address (check the subdomain)"}},
      {404, "", "GET /api/v2/users/me", Code::kNotFound, {"no Zendesk account at this address"}},
      {410,
       R"({"error":"Gone","description":"This endpoint is no longer available"})",
       "GET /api/v2/incremental/tickets/cursor",
       Code::kNotFound,
       {"no longer offers this (410 Gone)", "This endpoint is no longer available"}},
      {409,
       R"({"error":"UpdateConflict","description":"Ticket was updated by someone else"})",
       "PUT /api/v2/tickets/{id}",
       Code::kConflict,
       {"updated by someone else"}},
      {422,
       R"({"error":"RecordInvalid","description":"Record validation errors","details":{"email":[{"description":"Email: roger@example.org is already being used by another user","error":"DuplicateValue"}],"name":[{"description":"Name: cannot be blank","error":"BlankValue"}]}})",
       "POST /api/v2/users",
       Code::kInvalidRecord,
       {"Record validation errors", "Email: roger@example.org is already being used",
        "Name: cannot be blank"}},
      {429,
       "Number of allowed API requests per minute exceeded",
       "GET /api/v2/users",
       Code::kRateLimited,
       {"Number of allowed API requests per minute exceeded"}},
      {500, "<html>oops</html>", "GET /api/v2/users", Code::kUnavailable, {"HTTP 500"}},
      {503, R"({"error":"InternalError"})", "GET /api/v2/users", Code::kUnavailable, {"InternalError"}},
      {400,
       R"({"error":"InvalidPaginationParameter","description":"page[size] cannot be greater than 100"})",
       "GET /api/v2/users",
       Code::kInvalidRecord,
       {"page[size] cannot be greater than 100"}},
      {302, "", "GET /api/v2/users", Code::kBadResponse, {"redirect"}},
  };
  for (const ErrorCase& c : cases) {
    Status s = StatusFromHttp(c.status, c.body, {}, c.endpoint);
    EXPECT_EQ(s.code(), c.want) << c.status << " " << c.body << " -> " << s.ToString();
    for (const char* part : c.contains)
      EXPECT_NE(s.message().find(part), std::string::npos) << s.message() << " lacks " << part;
  }
}

// A Zendesk 400 or 422 is Zendesk's refusal, never the caller's usage error
// (CLI exit 2): both keep Zendesk's reason, and neither maps to exit 2.
TEST(StatusFromHttpTest, ZendeskRefusalsAreNeverUsageErrors) {
  for (long http : {400L, 422L}) {
    Status s = StatusFromHttp(http, R"({"error":{"title":"Invalid attribute","message":"bad user.tags"}})",
                              {}, "PUT /api/v2/users/12");
    EXPECT_EQ(s.code(), Code::kInvalidRecord) << http;
    EXPECT_NE(ExitCodeFor(s), 2) << http;
    EXPECT_NE(s.message().find("bad user.tags"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("(" + std::to_string(http) + ")"), std::string::npos) << s.message();
  }
}

TEST(StatusFromHttpTest, RetryAfterMentionedOn429) {
  Status s = StatusFromHttp(429, "x", {{"retry-after", "30"}}, "GET /api/v2/users");
  EXPECT_NE(s.message().find("retry after 30 s"), std::string::npos);
}

TEST(ZendeskReasonTest, Envelopes) {
  EXPECT_EQ(ZendeskReason(R"({"error":"RecordNotFound","description":"Not found"})"), "Not found");
  EXPECT_EQ(ZendeskReason(R"({"error":"invalid_grant","error_description":"bad code"})"), "bad code");
  EXPECT_EQ(ZendeskReason(R"({"errors":[{"title":"Too Many","detail":"slow down"}]})"),
            "Too Many: slow down");
  EXPECT_EQ(ZendeskReason(R"({"error":"TooManyValues"})"), "TooManyValues");
  EXPECT_EQ(ZendeskReason("  plain text \n"), "plain text");
  EXPECT_EQ(ZendeskReason(""), "");
}

TEST(AnonymousUserStatusTest, SaysCredentialsInvalid) {
  Status s = AnonymousUserStatus();
  EXPECT_EQ(s.code(), Code::kUnauthenticated);
  EXPECT_NE(s.message().find("anonymous user"), std::string::npos);
  EXPECT_NE(s.message().find("credentials are invalid"), std::string::npos);
}

}  // namespace
}  // namespace sk::zendesk
