// The Zendesk API client: libcurl transport with TLS verification, auth
// (OAuth bearer, client credentials, legacy API token), proactive pacing on
// Zendesk's rate-limit headers, retries with backoff and jitter on 429/5xx/
// network errors, and typed calls for the endpoints seatkeeper uses.
//
// Thread-safe: calls may run from several threads at once (the sync runs one
// lane per rate-limit bucket); each call in flight has its own connection,
// and the rate limiter, counters and tokens are shared, so every thread paces
// against the same buckets and a rotating OAuth pair is refreshed once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"
#include "zendesk/models.h"

namespace sk::zendesk {

struct Credentials {
  enum class Kind { kApiToken, kOAuthToken, kClientCredentials };
  Kind kind = Kind::kOAuthToken;
  std::string email;          // kApiToken: the agent's email
  std::string secret;         // API token, OAuth access token, or client secret
  std::string client_id;      // kClientCredentials (and refresh of kOAuthToken)
  std::string refresh_token;  // kOAuthToken from the authorization-code flow; may be empty
  std::string client_secret;  // kOAuthToken refresh: the OAuth client's secret
  // kClientCredentials: scope to request (empty = "read write"), and a token
  // obtained earlier (persisted via on_tokens) to use before asking for one.
  std::string scope;
  std::string access_token;
  // When the OAuth access token in use expires (kOAuthToken: `secret`;
  // kClientCredentials: `access_token`); unknown = never. The client
  // refreshes it kRefreshMargin seconds before then.
  std::optional<UnixTime> expires_at;
};

// How long before an access token's expiry the client replaces it.
inline constexpr UnixTime kRefreshMargin = 180;

// Rate-limit buckets that Zendesk meters separately.
enum class Bucket {
  kAccount,            // all Support API calls (200..2500/min by plan)
  kIncremental,        // /incremental/* time-based + ticket_events (10/min, 30 HV)
  kIncrementalCursor,  // /incremental/users/cursor (observed 20/min)
  kDeletedTickets,     // GET /deleted_tickets (10/min)
  kHelpCenter,         // /help_center/* (separate limits)
  kSearchExport,       // /search/export (100/min)
  kUserUpdate,         // PUT /users/{id} (5/min per target user)
};
const char* BucketName(Bucket b);

struct ClientOptions {
  // https://{sub}.zendesk.com, or http://127.0.0.1:PORT for the simulator.
  // Validated by the caller (see url.h); requests never leave this origin,
  // and redirects are not followed.
  std::string base_url;
  Credentials credentials;
  // Share of each bucket's budget seatkeeper may use, 1..100 (--api-budget).
  int api_budget_percent = 100;
  long connect_timeout_seconds = 10;
  long request_timeout_seconds = 120;
  int max_attempts = 8;  // per request, for retryable failures
  std::string ca_file;   // extra CA bundle (tests with a TLS simulator)
  // Called with rotated OAuth tokens before they are used; must persist them
  // atomically (a refresh token is single use). A non-ok status aborts.
  std::function<Status(const TokenSet&)> on_tokens;
  // Refresh of a rotating OAuth token (kOAuthToken with a refresh token),
  // shared with other processes: called with the refresh token the client
  // holds and `request`, the refresh request to Zendesk. It must call
  // `request` only if no one else has rotated `used_refresh` yet, persist its
  // answer before returning it, and otherwise return the pair the other
  // process stored. Unset: `request`, then on_tokens.
  std::function<Result<TokenSet>(const std::string& used_refresh,
                                 const std::function<Result<TokenSet>()>& request)>
      rotate_tokens;
  // Called once with a deprecation warning (legacy API token) etc.
  std::function<void(const std::string&)> on_warning;
  // Injected sleep (tests may speed time up). Default: std::this_thread::sleep_for.
  std::function<void(double seconds)> sleep;
};

// One HTTP exchange after retries.
struct Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

// Counters for metrics and benchmarks.
struct ClientStats {
  std::map<std::string, int64_t> requests_by_endpoint;  // "GET /api/v2/users" (ids/query stripped)
  std::map<long, int64_t> responses_by_status;
  int64_t retries = 0;
  int64_t rate_limited = 0;          // 429s seen
  double seconds_waited = 0;         // pacing + Retry-After sleeps
  std::optional<int> account_limit;  // last X-Rate-Limit seen (plan hint)
  std::optional<int> account_remaining;
  // Requests by rate-limit bucket (BucketName) and HTTP status of the answer
  // ("200", "429"), or "network" when no answer came back.
  std::map<std::pair<std::string, std::string>, int64_t> requests_by_bucket_status;
  // Last {limit, remaining} seen per bucket (BucketName).
  std::map<std::string, std::pair<int, int>> rate_limit_by_bucket;
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // --- generic ---
  // GET a path ("/api/v2/users.json?x=1") or an absolute URL on the same origin.
  // Non-2xx after retries become a Status with Zendesk's reason (see errors.h).
  Result<Response> Get(std::string_view path_or_url, Bucket bucket = Bucket::kAccount);
  // POST/PUT/DELETE with a JSON body (may be null for DELETE). A POST is
  // retried only when the request provably did not reach Zendesk or on
  // 429/503 (Zendesk did not process it); a PUT or DELETE also after a 5xx or
  // 409 answer, or when its answer never came (sending it again is safe).
  Result<Response> Send(std::string_view method, std::string_view path, const nlohmann::json& body,
                        Bucket bucket = Bucket::kAccount);

  // --- identity and account ---
  // users/me; kUnauthenticated when Zendesk answers with the anonymous user.
  Result<User> Me();
  Result<std::vector<CustomRole>> ListCustomRoles();  // kForbidden below Enterprise
  Result<nlohmann::json> AccountSettings();

  // --- users ---
  Result<CursorPage<User>> ListUsers(const std::string& after_cursor, int page_size = 100);
  // The staff list: /users?role[]=agent&role[]=admin (CBP, account bucket;
  // deleted users excluded). Unlike the incremental export it has no
  // omitted last minute, and it carries last_login_at.
  Result<CursorPage<User>> ListStaff(const std::string& after_cursor, int page_size = 100);
  // GET /groups and /group_memberships (CBP, 100 a page, account budget).
  Result<CursorPage<Group>> ListGroups(const std::string& after_cursor);
  Result<CursorPage<GroupMembership>> ListGroupMemberships(const std::string& after_cursor);
  Result<User> ShowUser(int64_t id);
  Result<std::vector<User>> ShowManyUsers(const std::vector<int64_t>& ids, bool include_deleted);
  // /incremental/users/cursor: start with start_time, continue with cursor.
  Result<IncrementalPage<User>> IncrementalUsersCursor(std::optional<UnixTime> start_time,
                                                       const std::string& cursor);
  // /incremental/users (time-based).
  Result<IncrementalPage<User>> IncrementalUsers(UnixTime start_time);
  Result<CursorPage<User>> ListDeletedUsers(const std::string& after_cursor);

  // --- activity ---
  // /incremental/ticket_events?start_time= (1000/page, incremental bucket).
  Result<IncrementalPage<TicketEvent>> TicketEvents(UnixTime start_time);
  // /ticket_audits (CBP, oldest first, account bucket).
  Result<CursorPage<TicketAudit>> TicketAudits(const std::string& after_cursor, int page_size = 100);
  Result<CursorPage<TicketAudit>> TicketAuditsOf(int64_t ticket_id, const std::string& after_cursor);
  // /deleted_tickets (CBP, 10/min bucket), newest deletion first (sort_by=deleted_at, sort_order=desc).
  Result<CursorPage<DeletedTicket>> DeletedTickets(const std::string& after_cursor);
  // /incremental/tickets (time-based: start_time, then each page's end_time),
  // for when the cursor form is withdrawn (reference, open questions: third-
  // party access to the cursor ticket export may end in December 2026).
  Result<IncrementalPage<Ticket>> IncrementalTickets(UnixTime start_time);
  // /incremental/tickets/cursor.
  Result<IncrementalPage<Ticket>> IncrementalTicketsCursor(std::optional<UnixTime> start_time,
                                                           const std::string& cursor);
  // /help_center/incremental/articles?start_time= (HC bucket).
  Result<IncrementalPage<Article>> IncrementalArticles(UnixTime start_time);
  // /audit_logs?filter[action]=login&filter[created_at][]=from&filter[created_at][]=to
  // (CBP, sort=created_at). kForbidden below Enterprise.
  Result<CursorPage<AuditLog>> LoginAuditLogs(UnixTime from, UnixTime to, const std::string& after_cursor);
  // The same sign-ins newest first (sort=-created_at): what the provisional
  // seat verdict reads, so a page budget keeps the most recent ones.
  Result<CursorPage<AuditLog>> RecentLoginAuditLogs(UnixTime from, UnixTime to,
                                                    const std::string& after_cursor);
  // /audit_logs?filter[source_type]=user&filter[action][]=update&filter[action][]=destroy
  // &filter[created_at][]=from&filter[created_at][]=to (CBP, sort=created_at): the
  // records of changes to users, naming who made them (reference §7.1). kForbidden below Enterprise.
  Result<CursorPage<AuditLog>> UserChangeAuditLogs(UnixTime from, UnixTime to,
                                                   const std::string& after_cursor);

  // --- mutations ---
  Result<User> CreateUser(const nlohmann::json& user);              // POST /users
  Result<User> UpdateUser(int64_t id, const nlohmann::json& user);  // PUT /users/{id}
  Result<User> DeleteUser(int64_t id);                              // soft delete
  Status PermanentlyDeleteUser(int64_t id);                         // DELETE /deleted_users/{id}
  // GET /users/{id}/tickets/assigned (CBP, 100 a page, account bucket): the
  // tickets assigned to `user` from Zendesk's database, not the search index
  // (which lags behind changes by minutes), archived ones left out.
  Result<CursorPage<Ticket>> AssignedTickets(int64_t user, const std::string& after_cursor);
  // Tickets assigned to `assignee` (any status) via /search/export (no 1,000 cap).
  Result<CursorPage<Ticket>> SearchTickets(const std::string& query, const std::string& after_cursor);
  // GET /search?query=...&sort_by=updated_at&sort_order=desc&per_page=N: the
  // first page of tickets matching `query` (type:ticket added), most recently
  // updated first (account bucket; at most 1,000 results; near real time).
  Result<std::vector<Ticket>> SearchRecentTickets(const std::string& query, int per_page);
  // PUT /tickets/update_many?ids=... with one change for all (≤ 100 ids).
  Result<JobStatus> UpdateManyTickets(const std::vector<int64_t>& ids, const nlohmann::json& ticket);
  Result<JobStatus> GetJobStatus(const std::string& id);

  // The counters; read them while no call is in flight (StatsSnapshot otherwise).
  const ClientStats& stats() const;
  ClientStats StatsSnapshot() const;  // a copy, safe while other threads call
  const ClientOptions& options() const;

  // Makes every call in flight or to come fail with `why` (kUnavailable)
  // before it sends another request, and cuts pacing and retry waits short
  // (not waits injected through ClientOptions::sleep): how the sync stops
  // its other lanes when one fails. ClearCancel() lets calls through again.
  void Cancel(const std::string& why);
  void ClearCancel();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Exchanges client credentials for an access token (POST /oauth/tokens,
// grant_type=client_credentials). Used by `connect --client-id`.
Result<TokenSet> ClientCredentialsGrant(const std::string& base_url, const std::string& client_id,
                                        const std::string& client_secret, const std::string& scope,
                                        const std::string& ca_file = "");
// Authorization-code exchange (web UI callback).
Result<TokenSet> AuthorizationCodeGrant(const std::string& base_url, const std::string& client_id,
                                        const std::string& client_secret, const std::string& code,
                                        const std::string& redirect_uri, const std::string& code_verifier,
                                        const std::string& scope, const std::string& ca_file = "");

}  // namespace sk::zendesk
