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
};

struct SearchQuery {
  std::string type;  // "" when not given
  std::vector<SearchTerm> terms;
};

SearchQuery ParseSearch(const std::string& q);
bool MatchTicket(const Dataset& ds, const Ticket& t, const SearchQuery& q, int32_t me);
bool MatchUser(const Dataset& ds, const User& u, const SearchQuery& q);

}  // namespace zdsim
