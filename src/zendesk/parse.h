// Pure parsers from Zendesk response bodies to the typed models. Tolerant:
// unknown fields are ignored, nulls are accepted where the model allows,
// ids are int64 (numbers or numeric strings), timestamps ISO 8601 or Unix.
// They never throw; a body of the wrong shape gives kBadResponse.
// The large export pages (ticket events, ticket audits, incremental users)
// are parsed with simdjson On-Demand; everything else with nlohmann::json.
#pragma once

#include <string_view>
#include <vector>

#include "util/status.h"
#include "zendesk/models.h"

namespace sk::zendesk {

// {"user":{...}} (also accepts {"deleted_user":{...}}). The anonymous users/me
// answer parses fine with id == nullopt; callers decide what that means.
Result<User> ParseUserResponse(std::string_view body);
// {"users":[...], "meta":{...}} or {"deleted_users":[...], ...}.
Result<CursorPage<User>> ParseUsersPage(std::string_view body);
// {"users":[...]} (show_many): only the list.
Result<std::vector<User>> ParseUsersList(std::string_view body);
// /incremental/users (time) and /incremental/users/cursor. simdjson.
Result<IncrementalPage<User>> ParseIncrementalUsersPage(std::string_view body);

// /groups (CBP): id, name, deleted; rows without an id are skipped.
Result<CursorPage<Group>> ParseGroupsPage(std::string_view body);
// /group_memberships (CBP): {id, user_id, group_id, default, ...}; rows
// without a user or group are skipped.
Result<CursorPage<GroupMembership>> ParseGroupMembershipsPage(std::string_view body);

// {"custom_roles":[...]}.
Result<std::vector<CustomRole>> ParseCustomRoles(std::string_view body);

// /incremental/ticket_events. simdjson. A child's `value` is taken from
// "value", else from the key named by its field_name ("status":"deleted").
Result<IncrementalPage<TicketEvent>> ParseTicketEventsPage(std::string_view body);
// /ticket_audits and /tickets/{id}/audits: CBP meta, or the legacy top-level
// after_cursor/after_url form. simdjson.
Result<CursorPage<TicketAudit>> ParseTicketAuditsPage(std::string_view body);
// /deleted_tickets (CBP meta or OBP next_page).
Result<CursorPage<DeletedTicket>> ParseDeletedTicketsPage(std::string_view body);
// /incremental/tickets and /incremental/tickets/cursor.
Result<IncrementalPage<Ticket>> ParseIncrementalTicketsPage(std::string_view body);
// /search/export?filter[type]=ticket: "results" with CBP meta.
Result<CursorPage<Ticket>> ParseSearchTicketsPage(std::string_view body);
// A cursor page of a ticket list ({"tickets":[...],"meta":{...}}): /users/{id}/tickets/assigned.
Result<CursorPage<Ticket>> ParseTicketsPage(std::string_view body);
// /search?query=type:ticket ...: "results" with offset pagination (next_page,
// count; at most 1,000 results); the page's tickets, has_more false.
Result<CursorPage<Ticket>> ParseSearchResultsPage(std::string_view body);
// /help_center/incremental/articles: count/next_page/end_time, no
// end_of_stream; end_of_stream is set when next_page is null/empty or the
// page is empty.
Result<IncrementalPage<Article>> ParseArticlesPage(std::string_view body);
// /audit_logs (CBP).
Result<CursorPage<AuditLog>> ParseAuditLogsPage(std::string_view body);

// {"job_status":{...}}; `results` may be an array, an object or null.
Result<JobStatus> ParseJobStatusResponse(std::string_view body);

// POST /oauth/tokens answer. expires_in / refresh_token(_expires_in) are
// optional; `now` converts relative lifetimes to absolute times.
Result<TokenSet> ParseTokenResponse(std::string_view body, UnixTime now);

}  // namespace sk::zendesk
