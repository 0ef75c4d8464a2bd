#include "jobs.h"

#include <cstdio>

#include "render.h"
#include "util/time.h"

namespace zdsim {

namespace {
constexpr int kQueuedMs = 150;
constexpr int kDoneMs = 500;

int ElapsedMs(const Job& j) {
  return static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - j.created).count());
}

const char* StatusOf(const Job& j) {
  if (j.done) return j.fails ? "failed" : "completed";
  return ElapsedMs(j) < kQueuedMs ? "queued" : "working";
}

// How many of its changes a job makes: all, or the first half of a failing one.
size_t Made(const Job& j) {
  return j.fails ? j.changes.size() / 2 : j.changes.size();
}

nlohmann::json Fail(int64_t id, const char* error, const char* details) {
  return {{"id", id}, {"action", "update"}, {"success", false}, {"status", "Failed"}, {"error", error},
          {"details", details}};
}

nlohmann::json ApplyOne(Dataset& ds, int32_t actor, int64_t id, const nlohmann::json& change, int64_t now) {
  const int32_t ti = ds.TicketIndex(id);
  if (ti < 0) return Fail(id, "RecordNotFound", "Not found");
  const Ticket& t = ds.tickets[ti];
  if (t.status == static_cast<uint8_t>(Status::kDeleted)) return Fail(id, "RecordNotFound", "Not found");
  if (t.status == static_cast<uint8_t>(Status::kClosed) || t.archived)
    return Fail(id, "TicketUpdateFailed", "Status: closed prevents ticket update");
  Event e{now, ti, actor, kNoChange32, kNobody, EventKind::kUpdate, kNoChange, kNoChange, kSeatkeeper, Via::kApi};
  if (change.contains("assignee_id")) {
    const auto& a = change["assignee_id"];
    if (a.is_null()) {
      e.assignee_to = kNobody;
    } else if (a.is_number_integer()) {
      const int32_t u = ds.UserIndex(a.get<int64_t>());
      if (u < 0) return Fail(id, "RecordInvalid", "Assignee: is not an agent");
      if (const char* why = AssigneeRefusal(ds.users[u])) return Fail(id, "RecordInvalid", why);
      e.assignee_to = u;
    } else {
      return Fail(id, "RecordInvalid", "Assignee: is invalid");
    }
  }
  if (change.contains("status") && change["status"].is_string()) {
    const int s = StatusFromName(change["status"].get<std::string>());
    if (s < 0 || s == static_cast<int>(Status::kDeleted)) return Fail(id, "RecordInvalid", "Status: is invalid");
    e.status_to = static_cast<uint8_t>(s);
  }
  if (change.contains("comment")) {
    e.flags |= kComment;
    const auto& c = change["comment"];
    if (!c.is_object() || !c.contains("public") || c["public"].get<bool>()) e.flags |= kPublic;
  }
  ds.ApplyEvent(e);
  return {{"id", id}, {"action", "update"}, {"success", true}, {"status", "Updated"}};
}
}  // namespace

std::string JobQueue::Create(int32_t actor, std::vector<std::pair<int64_t, nlohmann::json>> changes,
                             int64_t now, bool fails) {
  Job j;
  char buf[48];
  const uint64_t x = Mix(++counter_ + 0xB0B);
  std::snprintf(buf, sizeof buf, "V3-%016llx%016llx", static_cast<unsigned long long>(x),
                static_cast<unsigned long long>(Mix(x)));
  j.id = buf;
  j.created = std::chrono::steady_clock::now();
  j.created_at = now;
  j.fails = fails;
  j.actor = actor;
  j.changes = std::move(changes);
  jobs_.push_back(std::move(j));
  return jobs_.back().id;
}

void JobQueue::Process(Dataset& ds, int64_t now, bool all) {
  for (Job& j : jobs_) {
    if (j.done || (!all && ElapsedMs(j) < kDoneMs)) continue;
    j.results = nlohmann::json::array();
    for (size_t k = 0; k < Made(j); ++k)
      j.results.push_back(ApplyOne(ds, j.actor, j.changes[k].first, j.changes[k].second, now));
    if (j.fails) j.results = nullptr;
    j.done = true;
    j.completed_at = now;
  }
}

const Job* JobQueue::Find(const std::string& id, int64_t now) const {
  for (const Job& j : jobs_)
    if (j.id == id) return now - j.created_at < kDataSeconds ? &j : nullptr;
  return nullptr;
}

nlohmann::json JobQueue::List(size_t limit, int64_t now) const {
  nlohmann::json out = nlohmann::json::array();
  for (auto it = jobs_.rbegin(); it != jobs_.rend() && out.size() < limit; ++it) {
    if (now - it->created_at >= kDataSeconds) continue;
    out.push_back({{"id", it->id}, {"status", StatusOf(*it)}});
  }
  return out;
}

size_t JobQueue::InFlight() const {
  size_t n = 0;
  for (const Job& j : jobs_) n += j.done ? 0 : 1;
  return n;
}

nlohmann::json JobQueue::Json(const Job& j, const std::string& base) const {
  const char* status = StatusOf(j);
  nlohmann::json out = {{"id", j.id},
                        {"job_type", j.job_type},
                        {"url", base + "/api/v2/job_statuses/" + j.id + ".json"},
                        {"total", j.changes.size()},
                        {"progress", nullptr},
                        {"status", status},
                        {"message", nullptr},
                        {"results", nullptr}};
  if (std::string(status) == "working") out["progress"] = j.changes.size() / 2;
  if (j.done) {
    out["progress"] = Made(j);
    std::string when = Iso(j.completed_at);  // 2024-07-01T13:00:10Z -> 2024-07-01 13:00:10 +0000
    when[10] = ' ';
    when.pop_back();
    out["message"] = (j.fails ? "Failed at " : "Completed at ") + when + " +0000";
    out["results"] = j.results;
  }
  return out;
}

}  // namespace zdsim
