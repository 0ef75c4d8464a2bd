// The ground truth a correct seatkeeper sync must reproduce: every user's
// identity fields and the per-day usage rows of spec §4.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataset.h"

namespace zdsim {

// Per user, the distinct last_login_at values the simulator has served.
using ServedLogins = std::unordered_map<int32_t, std::vector<int64_t>>;

// Every user ever, with "probable_integration": on plans with the audit log, a
// staff member whose only activity in the usage window (`window_days` up to
// `now` in `tz`) is API use — served last_login_at moves the audit log does
// not confirm as sign-ins — and who is not a caller of the simulator itself.
// "full_agent_work": in the window the user did what a light agent cannot (a
// public comment, a ticket created or deleted, a field change) or had a ticket
// assigned to them (reference §5.2; recommendations' light-agent verdict).
// Throws std::invalid_argument for an unknown time zone.
nlohmann::json TruthUsersJson(const Dataset& ds, const ServedLogins& served, int64_t now, int window_days,
                              const std::string& tz);
// The usage rows of spec §4 item 1: audit-log sign-ins (Enterprise), served
// last_login_at values (every plan; on Enterprise only for end users, the audit
// log speaking for staff), ticket and article activity.
// Throws std::invalid_argument for an unknown time zone.
nlohmann::json TruthUsageJson(const Dataset& ds, const ServedLogins& served, int64_t now, int window_days,
                              const std::string& tz);
// What a full sync would be served right now (everyone's current last_login_at
// except users who call the API themselves); used by `zdsim truth usage`.
ServedLogins AssumeAllServed(const Dataset& ds);

}  // namespace zdsim
