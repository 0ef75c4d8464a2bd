// The simulator's shared state behind one mutex: dataset, clock, tokens,
// rate limits, faults, jobs, the request log and served last_login_at values.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "auth.h"
#include "dataset.h"
#include "faults.h"
#include "jobs.h"
#include "latency.h"
#include "options.h"
#include "rate_limit.h"
#include "render.h"
#include "truth.h"

namespace zdsim {

struct RequestRecord {
  std::string method;
  std::string path;  // with query
  int status = 0;
  std::string bucket;  // empty = null
  int64_t user_id = 0;
  bool has_user = false;
  int64_t at = 0;         // sim time
  int64_t elapsed_ms = 0;  // real time since start
  int64_t latency_ms = 0;  // modelled server time the answer was held for
};

class SimCore {
 public:
  explicit SimCore(const Options& o);

  Options opt;
  mutable std::mutex mu;
  std::unique_ptr<Dataset> ds;
  TokenStore tokens;
  RateLimiter limiter;
  Faults faults;
  JobQueue jobs;
  LatencyModel latency;
  std::vector<RequestRecord> requests;
  ServedLogins served;
  std::string base_url;  // set when serving
  std::chrono::steady_clock::time_point real_start;

  int64_t Now() const;
  // Moves the clock (and with activity, the account's history) forward.
  void Advance(int64_t seconds, bool activity);
  // Completes due background jobs.
  void Tick() { jobs.Process(*ds, Now()); }

  int AccountLimit() const;
  int IncrementalLimit() const;
  int UsersCursorLimit() const;

  // A user's JSON as served to a client; remembers the last_login_at served.
  nlohmann::json ServeUser(int32_t idx, const std::string& base);
  void ServeUser(JsonWriter& w, int32_t idx, const std::string& base);  // the same, written into a page
  // Remembers the user's last_login_at as served (a shape that does not carry it, like a deleted user's).
  void NoteServed(int32_t idx);

  // --- control operations (caller holds mu) ---
  // Applies a partial {"role","custom_role_id","suspended","name","email"}; returns an error text.
  std::optional<std::string> PatchUser(int32_t idx, const nlohmann::json& patch, int32_t actor);
  // With quirks.agent_change_moves_tickets and an acting admin (actor >= 0),
  // soft-deleting an agent/admin hands their non-closed tickets to the actor.
  void SoftDelete(int32_t idx, int32_t actor);
  void PermanentDelete(int32_t idx, int32_t actor);
  void SignIn(int32_t idx, int64_t at);
  nlohmann::json TicketsState(std::optional<int64_t> assignee_id) const;
  nlohmann::json RequestsJson() const;

 private:
  // Zendesk's side effects on the tickets of an agent who is deleted or
  // downgraded by `actor` (reference §4.3): kToActor hands every non-closed
  // ticket to the actor; kUnassign unassigns the non-solved ones and hands the
  // solved ones to the actor (the legacy solved-ticket reassignment, which is
  // also Zendesk's default). Each move is one ticket update by the actor
  // flagged kZendeskMove. Returns the number of tickets moved.
  enum class TicketMove { kToActor, kUnassign };
  int MoveTicketsOf(int32_t idx, TicketMove how, int32_t actor);

  int64_t start_;
  bool fixed_;
  int64_t offset_ = 0;
};

}  // namespace zdsim
