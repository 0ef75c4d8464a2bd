// The subset of Zendesk search syntax the simulator understands:
// type:ticket|user, assignee:ID|me|none, requester:ID|email, submitter:ID,
// status:X / status<X / status<=X / status>X / status>=X, -field:value,
// role:end-user|agent|admin, email:pattern (with *), name:text, free text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dataset.h"

namespace zdsim {

struct SearchTerm {
  std::string field;  // empty: free text
  std::string op;     // ":" "<" "<=" ">" ">="
  std::string value;
  bool negate = false;
  // Worked out once by ParseSearch, not per ticket (a search scans every
  // ticket; at 1.5 million tickets re-parsing made one query take seconds):
  std::string lower;                 // value in lower case
  std::optional<int32_t> user;       // the user a numeric value names (its index; -1: none)
  std::optional<int64_t> day_start;  // value's UTC day start when it is a date
  std::optional<int64_t> at;         // value's time when it is an ISO time
};

struct SearchQuery {
  std::string type;  // "" when not given
  std::vector<SearchTerm> terms;
};

// Parses `q`; user ids are looked up in `ds` once, not per ticket.
SearchQuery ParseSearch(const std::string& q, const Dataset& ds);
// The only tickets `q` can match when it names a commenter by id (or `me`),
// ascending; nullopt when every ticket must be tried.
std::optional<std::vector<int32_t>> CandidateTickets(const Dataset& ds, const SearchQuery& q, int32_t me);
bool MatchTicket(const Dataset& ds, const Ticket& t, const SearchQuery& q, int32_t me);
bool MatchUser(const Dataset& ds, const User& u, const SearchQuery& q);

}  // namespace zdsim
