// Seat recommendations (issue #17 item 1): one row per paid seat worth
// changing, with the evidence behind it and what the change saves
// (`seatkeeper recommendations`, GET /api/recommendations).
//
// Kinds, each user at most once, in this order:
// - suspended: suspended staff still hold a paid seat (only a downgrade frees it).
// - integration: the only activity in the window is API use (store::ProbableIntegration):
//   not a person; reclaiming it would break an integration (saving 0).
// - end-user: no activity in the last min_idle_days days.
// - light-agent: an agent (not an admin, the owner or the connecting user)
//   active in the window who never did what a light agent cannot: no public
//   comment, field change, ticket created or deleted, ticket assigned to them
//   (store::Kind::kFullAgentWork) and no article created. Reading (sign-ins)
//   and private notes stay possible on a light agent's seat (reference §5.2).
// The owner and the connecting user are never recommended (neither can be
// downgraded; the connecting user's own activity is not counted).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "reports/report.h"

namespace sk::reports {

struct RecommendationsQuery {
  int min_idle_days = 30;
  std::optional<double> seat_price;
};

struct Recommendation {
  store::UserWithUsage user;
  std::string kind;  // light-agent | end-user | integration | suspended
  std::string reason;
  std::vector<std::string> sources;   // activity sources in the window (api_use for an integration)
  std::vector<std::string> examples;  // a few evidence ids
  std::optional<double> monthly_saving;
};

// A light-agent custom role users of the account hold (the choices of a downgrade to light agent).
struct LightAgentRole {
  int64_t id = 0;
  std::string name;
  int users = 0;
};

struct RecommendationsResult {
  Window window;
  RecommendationsQuery query;
  std::vector<Recommendation> rows;
  int paid_seats = 0;
  // Every recommendation applied: seats freed and the monthly saving (with a seat price).
  int seats_freed = 0;
  std::optional<double> monthly_saving;
  // Most held first (Zendesk's API moves a user to light agent by custom_role_id, reference §4.3).
  std::vector<LightAgentRole> light_agent_roles;
};

// The recommendations of an account (see the file comment).
Result<RecommendationsResult> RunRecommendations(store::Store& st, const std::string& account,
                                                 const store::Connection& conn,
                                                 const RecommendationsQuery& q);

// recommendations --json: [{"user_id", "name", "license", "kind", "reason", "evidence": {"active_days",
// "last_active_date", "sources", "examples"}, "monthly_saving" (number or null), "action": null |
// {"operation" (an action's name in /api/operations), "title", "preset" (its field values), "choices"
// (light-agent: [{"custom_role_id", "name"}]), "alternative" (end-user, suspended: "offboard")}}]
nlohmann::json RecommendationsJson(const RecommendationsResult& r);
void PrintRecommendations(const RecommendationsResult& r, std::ostream& out, bool csv);

}  // namespace sk::reports
