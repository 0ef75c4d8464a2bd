// The users report: every user with role, license, seat, last login and
// activity over the usage window (`seatkeeper users`, GET /api/users), and
// one user's page (GET /api/users/{id}); declared in UsersReports().
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "reports/report.h"

namespace sk::reports {

std::vector<Field> UsersFields();

struct UsersQuery {
  store::UserFilter filter;
  int page = 0;  // users per page (after `filter.after_id`); 0 = every matching user
  bool csv = false;
};
// The API pages 100 users by default (limit, after) unless format=csv.
Result<UsersQuery> ReadUsers(const Reader& in);

struct UsersResult {
  Window window;
  std::vector<store::UserWithUsage> users;
  std::optional<int64_t> next_after;  // paged: the id to ask the next page after
};
Result<UsersResult> RunUsers(store::Store& st, const std::string& account, const store::Connection& conn,
                             const UsersQuery& q);

// users --json: an array of store::UserJson.
nlohmann::json UsersJson(const UsersResult& r);
// GET /api/users: {"next_after", "users", "window"}, written straight to text.
std::string UsersPageJson(const UsersResult& r);
// GET /api/users?format=csv (the UI's export button): lower-case columns, CRLF.
std::string UsersCsv(const UsersResult& r);
// users and users --csv: the table (or its CSV) and, as a table, a summary.
void PrintUsers(const UsersResult& r, std::ostream& out, bool csv);

// GET /api/users/{id}: one user (a users --json element plus profile fields)
// and their usage rows over the window: {"user", "usage", "is_connecting_user", "window"}.
Result<nlohmann::json> RunUserDetail(store::Store& st, const std::string& account,
                                     const store::Connection& conn, int64_t id);

}  // namespace sk::reports
