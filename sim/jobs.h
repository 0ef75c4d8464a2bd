// Background jobs (tickets/update_many): queued -> working -> completed,
// applied when they complete (checked lazily on every request). A job's data
// is kept for one day of the account's clock (reference §9.3), then its
// status answers 404 and the list leaves it out.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataset.h"

namespace zdsim {

struct Job {
  std::string id;
  std::string job_type = "Bulk Update Ticket";
  std::chrono::steady_clock::time_point created;
  int64_t created_at = 0;  // sim time
  int32_t actor = -1;
  std::vector<std::pair<int64_t, nlohmann::json>> changes;  // ticket id -> change
  bool fails = false;  // makes the first half of its changes, then ends "failed" without results
  bool done = false;
  int64_t completed_at = 0;  // sim time
  nlohmann::json results;
};

class JobQueue {
 public:
  static constexpr int64_t kDataSeconds = 86400;
  std::string Create(int32_t actor, std::vector<std::pair<int64_t, nlohmann::json>> changes, int64_t now,
                     bool fails = false);
  // Completes due jobs (with `all`, every job: the clock is moving on by
  // more than a job takes), applying their changes at sim time `now`.
  void Process(Dataset& ds, int64_t now, bool all = false);
  // The job `id` whose data is still kept at sim time `now`.
  const Job* Find(const std::string& id, int64_t now) const;
  nlohmann::json Json(const Job& j, const std::string& base) const;
  // GET /job_statuses: the `limit` newest jobs, newest first, as id + status
  // (the list form Zendesk may reduce to those two fields).
  nlohmann::json List(size_t limit, int64_t now) const;
  size_t InFlight() const;

 private:
  std::vector<Job> jobs_;
  uint64_t counter_ = 0;
};

}  // namespace zdsim
