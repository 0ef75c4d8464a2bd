#include "actions/reassign_tickets.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <optional>
#include <set>

#include "actions/registry.h"
#include "sync/license.h"

namespace sk::actions {

using nlohmann::json;

namespace {

std::string Id(int64_t v) {
  return std::to_string(v);
}

std::string StatusCounts(const std::map<std::string, int>& by_status) {
  static const char* kOrder[] = {"new", "open", "pending", "hold", "solved"};
  std::string s;
  for (const char* st : kOrder) {
    auto it = by_status.find(st);
    if (it == by_status.end() || it->second == 0) continue;
    if (!s.empty()) s += ", ";
    s += st + std::string(" ") + std::to_string(it->second);
  }
  for (const auto& [st, n] : by_status) {
    if (std::find(std::begin(kOrder), std::end(kOrder), st) != std::end(kOrder) || n == 0) continue;
    if (!s.empty()) s += ", ";
    s += st + " " + std::to_string(n);
  }
  return s;
}

std::string IdList(const std::vector<int64_t>& ids, size_t max = 20) {
  std::string s;
  for (size_t i = 0; i < ids.size() && i < max; ++i) s += (i ? "," : "") + Id(ids[i]);
  if (ids.size() > max) s += ",... (" + std::to_string(ids.size()) + " in all)";
  return s;
}

// Current assignee of each id per GET /tickets/show_many (authoritative,
// unlike the search index, which lags behind updates). Missing ids are absent.
Result<std::map<int64_t, std::pair<std::optional<int64_t>, std::string>>> CurrentAssignees(
    const ActionContext& ctx, const std::vector<int64_t>& ids) {
  std::map<int64_t, std::pair<std::optional<int64_t>, std::string>> out;
  for (size_t i = 0; i < ids.size(); i += 100) {
    std::string list;
    for (size_t j = i; j < ids.size() && j < i + 100; ++j) list += (j > i ? "," : "") + Id(ids[j]);
    SK_ASSIGN_OR_RETURN(auto r, ctx.client->Get("/api/v2/tickets/show_many.json?ids=" + list));
    json body = json::parse(r.body, nullptr, false);
    if (!body.is_object() || !body.contains("tickets") || !body["tickets"].is_array()) {
      return BadResponse("tickets/show_many: no tickets array");
    }
    for (const auto& t : body["tickets"]) {
      if (!t.is_object() || !t.contains("id") || !t["id"].is_number_integer()) continue;
      std::optional<int64_t> assignee;
      if (t.contains("assignee_id") && t["assignee_id"].is_number_integer())
        assignee = t["assignee_id"].get<int64_t>();
      std::string status =
          t.contains("status") && t["status"].is_string() ? t["status"].get<std::string>() : "";
      out[t["id"].get<int64_t>()] = {assignee, status};
    }
  }
  return out;
}

struct Failure {
  int64_t id;
  std::string error;
  std::string details;
};

// What a run found out about each ticket it (or an interrupted run) sent.
struct Tally {
  std::set<int64_t> moved;
  std::map<int64_t, Failure> failed;
  std::set<int64_t> unknown;
  std::vector<int64_t> submitted;         // for Store::RecordOwnWrites
  std::optional<UnixTime> earliest_send;  // of an interrupted run's batches
  size_t resumed = 0;                     // tickets settled from an interrupted run's journal
  size_t done_count = 0;
  size_t total = 0;
};

void SettleJob(const std::vector<int64_t>& ids, const zendesk::JobStatus& js, Tally& t) {
  std::set<int64_t> reported;
  for (const auto& r : js.results) {
    if (!r.id) continue;
    reported.insert(*r.id);
    if (r.success) {
      t.moved.insert(*r.id);
    } else {
      t.failed[*r.id] = {*r.id, r.error.empty() ? r.status : r.error, r.details};
    }
  }
  for (int64_t id : ids) {
    if (reported.count(id)) continue;
    if (js.status == "completed") {
      t.moved.insert(id);  // no per-id result: verification re-checks it
    } else {
      // A job failed or killed as a whole may have made some of its changes
      // (reference §9.3): not Zendesk refusing the ticket. The ticket itself
      // tells (SettleUnknown), and one still assigned is sent again.
      t.unknown.insert(id);
    }
  }
}

// The tickets whose outcome no job told: moved when Zendesk now shows them
// assigned to `to`; the others are left for the next pass to find.
Status SettleUnknown(const ActionContext& ctx, int64_t to, Tally& t) {
  std::vector<int64_t> ids;
  for (int64_t id : t.unknown)
    if (!t.moved.count(id) && !t.failed.count(id)) ids.push_back(id);
  if (ids.empty()) return Status::Ok();
  SK_ASSIGN_OR_RETURN(auto current, CurrentAssignees(ctx, ids));
  for (int64_t id : ids) {
    auto it = current.find(id);
    if (it != current.end() && it->second.first == to) t.moved.insert(id);
  }
  return Status::Ok();
}

// The journal of update_many batches in the store (see ReassignJournalKey).
class Journal {
 public:
  Journal(const ActionContext& ctx, int64_t from) : ctx_(ctx), key_(ReassignJournalKey(from)) {}

  Status Load() {
    auto v = ctx_.store->GetValue(ctx_.conn.account, key_);
    if (!v.ok()) return v.status().With("reading the reassignment journal");
    doc_ = json::object();
    if (v->has_value()) doc_ = json::parse(**v, nullptr, false);
    if (!doc_.is_object()) doc_ = json::object();
    if (!doc_.contains("batches") || !doc_["batches"].is_object()) doc_["batches"] = json::object();
    return Status::Ok();
  }
  bool Empty() const { return doc_.at("batches").empty(); }
  size_t Size() const { return doc_.at("batches").size(); }
  std::vector<std::string> Keys() const {
    std::vector<std::string> out;
    for (const auto& [k, b] : doc_.at("batches").items()) out.push_back(k);
    return out;
  }
  const json& Batch(const std::string& k) const { return doc_.at("batches").at(k); }

  // Writes a batch about to be sent (before it is sent); returns its key.
  Result<std::string> Intend(const std::vector<int64_t>& ids, int64_t to) {
    const int64_t seq = doc_.value("seq", int64_t{0}) + 1;
    doc_["seq"] = seq;
    const std::string k = std::to_string(seq);
    doc_["batches"][k] = {{"ids", ids}, {"to", to}, {"at", NowUnix()}};
    if (Status s = Save(); !s.ok()) {
      doc_["batches"].erase(k);
      return s;
    }
    return k;
  }
  // The job Zendesk returned for batch `k`.
  Status Sent(const std::string& k, const std::string& job) {
    doc_["batches"][k]["job"] = job;
    return Save();
  }
  // Batch `k`'s outcome is known (or it was never accepted).
  Status Settled(const std::string& k) {
    doc_["batches"].erase(k);
    return Save();
  }

 private:
  Status Save() {
    return ctx_.store->PutValue(ctx_.conn.account, key_, doc_.dump())
        .With("writing the reassignment journal");
  }

  const ActionContext& ctx_;
  std::string key_;
  json doc_ = {{"batches", json::object()}};
};

double Backoff(double delay, const ReassignOptions& opt) {
  return std::min(delay * 2, std::max(1.0, opt.max_poll_seconds));
}

// Waits until the account has no queued or working job (GET /job_statuses):
// then no update_many that an interrupted send may have placed can still
// take effect. *listed is false when Zendesk does not list jobs here.
Status WaitForAccountJobs(const ActionContext& ctx, const ReassignOptions& opt, bool* listed) {
  *listed = false;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration<double>(std::max(0.0, opt.in_doubt_wait_seconds));
  double delay = 1;
  while (true) {
    auto r = ctx.client->Get("/api/v2/job_statuses.json?page%5Bsize%5D=100");
    if (!r.ok()) {
      const Code c = r.status().code();
      if (c == Code::kNotFound || c == Code::kForbidden || c == Code::kInvalidRecord) return Status::Ok();
      return r.status().With("listing Zendesk's job statuses");
    }
    json body = json::parse(r->body, nullptr, false);
    if (!body.is_object() || !body.contains("job_statuses") || !body["job_statuses"].is_array())
      return BadResponse("job_statuses: no job_statuses array");
    *listed = true;
    int running = 0;
    for (const auto& j : body["job_statuses"]) {
      zendesk::JobStatus js;
      js.status = j.is_object() && j.contains("status") && j["status"].is_string()
                      ? j["status"].get<std::string>()
                      : "";
      if (!js.Done()) ++running;
    }
    if (running == 0) return Status::Ok();
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status(Code::kUnavailable,
                    std::to_string(running) +
                        " Zendesk jobs are still running, and one may hold tickets of an interrupted "
                        "reassignment: nothing was sent again; re-run later");
    }
    Progress(ctx,
             "waiting for " + std::to_string(running) + " running Zendesk jobs before re-checking tickets");
    Sleep(ctx, delay);
    delay = Backoff(delay, opt);
  }
}

// Settles every batch left in the journal, sending nothing: a batch with a
// job id is polled to its end; a batch without one (the process stopped
// between sending and saving the answer) or whose job data expired is judged
// by its tickets' current assignee once no job of the account is running.
Status ResolvePending(const ActionContext& ctx, Journal& journal, const ReassignOptions& opt, Tally& t) {
  if (journal.Empty()) return Status::Ok();
  Progress(ctx, "checking " + std::to_string(journal.Size()) +
                    " update_many batches of an interrupted run before sending anything");
  std::vector<std::string> in_doubt;
  for (const std::string& k : journal.Keys()) {
    const json b = journal.Batch(k);
    const auto ids = b.value("ids", std::vector<int64_t>{});
    t.submitted.insert(t.submitted.end(), ids.begin(), ids.end());
    const UnixTime at = b.value("at", NowUnix());
    t.earliest_send = std::min(t.earliest_send.value_or(at), at);
    const std::string job = b.value("job", "");
    if (job.empty()) {
      in_doubt.push_back(k);
      continue;
    }
    double delay = 1;
    bool settled = false;
    for (int poll = 0; poll < std::max(1, opt.max_polls_per_job) && !settled; ++poll) {
      auto js = ctx.client->GetJobStatus(job);
      if (!js.ok()) {
        if (js.status().code() != Code::kNotFound) return js.status().With("polling job " + job);
        in_doubt.push_back(k);  // job data expired: the job ended long ago; the tickets tell
        settled = true;
      } else if (js->Done()) {
        const size_t before = t.moved.size() + t.failed.size();
        SettleJob(ids, *js, t);
        t.resumed += t.moved.size() + t.failed.size() - before;
        SK_RETURN_IF_ERROR(journal.Settled(k));
        settled = true;
      } else {
        Sleep(ctx, delay);
        delay = Backoff(delay, opt);
      }
    }
    if (!settled) {
      return Status(Code::kUnavailable, "job " + job + " of an interrupted reassignment is still running: " +
                                            "nothing was sent again; re-run later");
    }
  }
  if (in_doubt.empty()) return Status::Ok();
  bool listed = false;
  SK_RETURN_IF_ERROR(WaitForAccountJobs(ctx, opt, &listed));
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration<double>(std::max(0.0, opt.in_doubt_wait_seconds));
  for (const std::string& k : in_doubt) {
    const json b = journal.Batch(k);
    const auto ids = b.value("ids", std::vector<int64_t>{});
    const int64_t to = b.value("to", int64_t{0});
    double delay = 1;
    while (true) {
      SK_ASSIGN_OR_RETURN(auto current, CurrentAssignees(ctx, ids));
      size_t moved = 0;
      for (int64_t id : ids) {
        auto it = current.find(id);
        if (it != current.end() && it->second.first == to) {
          moved += t.moved.insert(id).second ? 1 : 0;
        }
      }
      t.resumed += moved;
      // Without a job list, the tickets themselves are watched for a while.
      if (listed || moved == ids.size() || std::chrono::steady_clock::now() >= deadline) break;
      Sleep(ctx, delay);
      delay = Backoff(delay, opt);
    }
    SK_RETURN_IF_ERROR(journal.Settled(k));
  }
  return Status::Ok();
}

// True when a failed update_many certainly did not change anything.
bool NotAccepted(Code c) {
  return c == Code::kInvalidRecord || c == Code::kNotFound || c == Code::kForbidden ||
         c == Code::kUnauthenticated || c == Code::kConflict || c == Code::kRateLimited ||
         c == Code::kInvalidArgument;
}

struct Job {
  std::string id;
  std::vector<int64_t> ids;
  int polls = 0;
  std::string key;  // in the journal
};

// Moves ticket ids to `to` in jobs, each batch written to the journal before
// it is sent; fills the tally's moved/failed/unknown. A status only for
// failures that stop the whole run (auth, rate limit, outage); batches whose
// outcome is unknown then stay in the journal.
class BatchMover {
 public:
  BatchMover(const ActionContext& ctx, Journal& journal, int64_t to, const ReassignOptions& opt, Tally& t)
      : ctx_(ctx), journal_(journal), to_(to), opt_(opt), t_(t), change_({{"assignee_id", to}}) {}

  Status Move(const std::vector<int64_t>& ids) {
    const size_t batch = static_cast<size_t>(std::clamp(opt_.batch_size, 1, 100));
    const size_t in_flight_max = static_cast<size_t>(std::clamp(opt_.max_in_flight, 1, 30));
    size_t next = 0;
    double delay = 1;
    while (next < ids.size() || !jobs_.empty()) {
      while (next < ids.size() && jobs_.size() < in_flight_max) {
        std::vector<int64_t> chunk(ids.begin() + static_cast<long>(next),
                                   ids.begin() + static_cast<long>(std::min(ids.size(), next + batch)));
        next += chunk.size();
        SK_RETURN_IF_ERROR(Send(chunk));
      }
      if (jobs_.empty()) continue;
      Sleep(ctx_, delay);
      bool progressed = false;
      SK_RETURN_IF_ERROR(Poll(progressed));
      delay = progressed ? 1 : Backoff(delay, opt_);
    }
    return Status::Ok();
  }

 private:
  // Journals and sends one batch; a job not done at once joins jobs_.
  Status Send(const std::vector<int64_t>& chunk) {
    auto key = journal_.Intend(chunk, to_);
    if (!key.ok()) {
      GiveUp({});
      return key.status();  // nothing of this batch was sent
    }
    auto js = ctx_.client->UpdateManyTickets(chunk, change_);
    t_.submitted.insert(t_.submitted.end(), chunk.begin(), chunk.end());
    if (!js.ok()) {
      const Code c = js.status().code();
      if (NotAccepted(c)) SK_RETURN_IF_ERROR(journal_.Settled(*key));
      if (c == Code::kInvalidRecord || c == Code::kNotFound) {
        for (int64_t id : chunk) t_.failed[id] = {id, CodeName(c), js.status().message()};
        t_.done_count += chunk.size();
        return Status::Ok();
      }
      // Otherwise the request may have reached Zendesk (a 2xx that did not
      // parse, a 5xx, a lost connection): its batch stays in the journal.
      GiveUp(chunk);
      return FromZendesk(js.status(), "reassign tickets " + IdList(chunk, 5));
    }
    if (Status s = journal_.Sent(*key, js->id); !s.ok()) {
      GiveUp(chunk);
      return s;
    }
    if (js->Done()) return Settle(Job{js->id, chunk, 0, *key}, *js);
    jobs_.push_back(Job{js->id, chunk, 0, *key});
    return Status::Ok();
  }

  // Polls every job once; a job done, expired or polled too often leaves jobs_.
  Status Poll(bool& progressed) {
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      auto js = ctx_.client->GetJobStatus(it->id);
      ++it->polls;
      if (!js.ok() && js.status().code() != Code::kNotFound) {
        GiveUp({});
        return js.status().With("polling job " + it->id);
      }
      if (js.ok() && js->Done()) {
        SK_RETURN_IF_ERROR(Settle(*it, *js));
      } else if (!js.ok() || it->polls >= opt_.max_polls_per_job) {
        // Job data expired, or too slow: unknown; the journal keeps it for the re-check.
        t_.unknown.insert(it->ids.begin(), it->ids.end());
        t_.done_count += it->ids.size();
      } else {
        ++it;
        continue;
      }
      it = jobs_.erase(it);
      progressed = true;
    }
    return Status::Ok();
  }

  Status Settle(const Job& job, const zendesk::JobStatus& js) {
    SettleJob(job.ids, js, t_);
    t_.done_count += job.ids.size();
    Progress(ctx_,
             "reassigned " + std::to_string(t_.done_count) + "/" + std::to_string(t_.total) + " tickets");
    return journal_.Settled(job.key);
  }

  void GiveUp(const std::vector<int64_t>& chunk) {
    t_.unknown.insert(chunk.begin(), chunk.end());
    for (auto& j : jobs_) t_.unknown.insert(j.ids.begin(), j.ids.end());
  }

  const ActionContext& ctx_;
  Journal& journal_;
  const int64_t to_;
  const ReassignOptions& opt_;
  Tally& t_;
  const json change_;
  std::deque<Job> jobs_;
};

Status MoveBatches(const ActionContext& ctx, Journal& journal, const std::vector<int64_t>& ids, int64_t to,
                   const ReassignOptions& opt, Tally& t) {
  return BatchMover(ctx, journal, to, opt, t).Move(ids);
}

// Of `ids`, those Zendesk itself shows assigned to `from` and not closed
// (the search index lags behind updates), with their status counts.
Result<AssignedTickets> StillAssigned(const ActionContext& ctx, const std::vector<int64_t>& ids,
                                      int64_t from) {
  AssignedTickets out;
  if (ids.empty()) return out;
  SK_ASSIGN_OR_RETURN(auto current, CurrentAssignees(ctx, ids));
  for (int64_t id : ids) {
    auto it = current.find(id);
    if (it == current.end()) continue;  // gone (deleted/archived)
    const auto& [who, st] = it->second;
    if (!who || *who != from || st == "closed") continue;
    out.ids.push_back(id);
    ++out.by_status[st.empty() ? "unknown" : st];
  }
  return out;
}

}  // namespace

namespace {

// Pages of `list` (a cursor page source) into `out`: the tickets of
// `assignee` not closed, each once.
template <typename List>
Status CollectNonClosed(List list, int64_t assignee, AssignedTickets& out) {
  std::set<int64_t> seen;
  std::string cursor;
  for (;;) {
    SK_ASSIGN_OR_RETURN(auto page, list(cursor));
    for (const auto& t : page.items) {
      if (t.status == "closed" || t.status == "deleted") continue;
      if (t.assignee_id && *t.assignee_id != assignee) continue;
      if (!seen.insert(t.id).second) continue;
      out.ids.push_back(t.id);
      ++out.by_status[t.status.empty() ? "unknown" : t.status];
    }
    if (!page.has_more || page.after_cursor.empty() || page.after_cursor == cursor) return Status::Ok();
    cursor = page.after_cursor;
  }
}

}  // namespace

Result<AssignedTickets> NonClosedTicketsOf(const ActionContext& ctx, int64_t assignee) {
  AssignedTickets out;
  Status listed = CollectNonClosed(
      [&](const std::string& c) { return ctx.client->AssignedTickets(assignee, c); }, assignee, out);
  if (listed.ok()) return out;
  // Only where Zendesk refuses the per-user list: the search index, minutes behind.
  if (!out.ids.empty() || (listed.code() != Code::kNotFound && listed.code() != Code::kForbidden))
    return listed.With("listing the tickets assigned to user " + Id(assignee));
  const std::string query = "assignee:" + Id(assignee) + " status<closed";
  Status searched = CollectNonClosed(
      [&](const std::string& c) { return ctx.client->SearchTickets(query, c); }, assignee, out);
  if (!searched.ok()) return searched.With("searching the tickets of user " + Id(assignee));
  return out;
}

Result<zendesk::User> CheckAssignee(const ActionContext& ctx, int64_t to) {
  SK_ASSIGN_OR_RETURN(zendesk::User u, FetchUser(ctx, to));
  const std::string who = "user " + Id(to) + " (" + u.name + ")";
  if (!u.active) return Refused(who + " is deleted and cannot take tickets");
  if (u.role != "agent" && u.role != "admin") {
    return Refused(who + " is " + (u.role.empty() ? "not an agent" : "an " + u.role) +
                   ": tickets can only be reassigned to an agent or admin");
  }
  if (u.suspended) return Refused(who + " is suspended and cannot take tickets");
  // The seats that hold no assigned tickets, classified as Assignable (agent_tickets.cc) does.
  const std::string type = sync::Classify(u, {}).type;
  if (type == "light-agent")
    return Refused(who + " is a light agent: light agents cannot be assigned tickets");
  if (type == "contributor")
    return Refused(who + " is a contributor: contributors cannot be assigned tickets");
  return u;
}

std::string ReassignJournalKey(int64_t from) {
  return "reassign/" + Id(from);
}

namespace {

// The verification: nothing of `from` left except the tickets Zendesk
// refused. A second pass re-sends tickets whose job outcome was unknown.
// Returns the run's status; sets `remaining` and `verified`.
Status VerifyNoneLeft(const ActionContext& ctx, Journal& journal, int64_t from, int64_t to,
                      const ReassignOptions& options, Tally& t, std::vector<int64_t>& remaining,
                      bool& verified) {
  Status run;
  for (int pass = 0; pass < 2; ++pass) {
    if (Status s = ResolvePending(ctx, journal, options, t); !s.ok()) {
      run = s.With("verifying the reassignment");
      break;
    }
    auto again = NonClosedTicketsOf(ctx, from);
    if (!again.ok()) {
      run = again.status().With("verifying the reassignment");
      break;
    }
    // Confirmed with the tickets themselves (a list answered by the search
    // index, in the fallback, lags behind updates).
    auto still = StillAssigned(ctx, again->ids, from);
    if (!still.ok()) {
      run = still.status().With("verifying the reassignment");
      break;
    }
    remaining = still->ids;
    if (Status s = SettleUnknown(ctx, to, t); !s.ok()) {
      run = s.With("verifying the reassignment");
      break;
    }
    std::vector<int64_t> retry;
    for (int64_t id : remaining)
      if (!t.failed.count(id)) retry.push_back(id);
    for (int64_t id : remaining) t.moved.erase(id);
    if (retry.empty() || pass == 1) break;
    Progress(ctx,
             std::to_string(retry.size()) + " tickets still assigned to " + Id(from) + ": moving them again");
    t.unknown.clear();
    t.total += retry.size();
    run = MoveBatches(ctx, journal, retry, to, options, t);
    if (!run.ok()) break;
  }
  verified = run.ok() && std::all_of(remaining.begin(), remaining.end(),
                                     [&](int64_t id) { return t.failed.count(id) > 0; });
  return run;
}

// Our own writes never count as the connecting admin's activity (±60 s for clock skew).
void RecordOwnTicketWrites(const ActionContext& ctx, const Tally& t, UnixTime start, ActionOutcome& o) {
  if (t.submitted.empty()) return;
  std::vector<int64_t> ids(t.submitted.begin(), t.submitted.end());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  const UnixTime from_ts = std::min(start, t.earliest_send.value_or(start)) - 60;
  if (Status s = ctx.store->RecordOwnWrites(ctx.conn.account, ids, from_ts, NowUnix() + 60); !s.ok())
    o.warnings.push_back("could not record seatkeeper's own ticket writes: " + s.ToString());
}

// What a finished run reports: counts, failures, what is left, the status.
struct MoveResult {
  Status run;
  size_t total = 0;
  size_t resumed = 0;
  std::vector<int64_t> remaining;
  bool verified = false;
};

void ReportMoves(int64_t from, int64_t to, const AssignedTickets& tickets, const std::string& what,
                 const Tally& t, const MoveResult& m, ActionOutcome& o) {
  json failures = json::array();
  for (const auto& [id, f] : t.failed)
    failures.push_back({{"id", id}, {"error", f.error}, {"details", f.details}});
  std::vector<int64_t> left_unexplained;
  for (int64_t id : m.remaining)
    if (!t.failed.count(id)) left_unexplained.push_back(id);
  o.details = {{"tickets", m.total},          {"by_status", tickets.by_status},
               {"moved", t.moved.size()},     {"failed", t.failed.size()},
               {"failures", failures},        {"resumed", m.resumed},
               {"verified", m.verified},      {"remaining", m.remaining.size()},
               {"remaining_ids", m.remaining}};
  o.after = {{"moved", t.moved.size()}, {"failed", t.failed.size()}, {"remaining", m.remaining.size()}};
  o.changes.push_back(
      {"reassign-tickets", what, t.failed.empty() && m.run.ok() && m.verified ? "done" : "failed"});
  o.summary = "reassigned " + std::to_string(t.moved.size()) + " of " + std::to_string(m.total) +
              " tickets from " + Id(from) + " to " + Id(to) +
              (m.resumed ? " (" + std::to_string(m.resumed) + " sent by an interrupted run)" : "") +
              (t.failed.empty() ? "" : ", " + std::to_string(t.failed.size()) + " failed") +
              (m.verified ? (m.remaining.empty() ? "; verified: none left"
                                                 : "; verified: only the failed tickets are left")
                          : "");
  for (const auto& [id, f] : t.failed) {
    if (o.warnings.size() >= 20) {
      o.warnings.push_back("... " + std::to_string(t.failed.size()) + " failures in all (see --json)");
      break;
    }
    o.warnings.push_back("ticket " + Id(id) + " not reassigned: " + f.error +
                         (f.details.empty() ? "" : ": " + f.details));
  }
  if (!m.run.ok()) {
    o.result = "partial";
    o.status = m.run;
  } else if (!t.failed.empty()) {
    o.result = "partial";
    o.status =
        Status(Code::kInvalidRecord, std::to_string(t.failed.size()) + " of " + std::to_string(m.total) +
                                         " tickets could not be reassigned (Zendesk refused them)");
  } else if (!m.verified) {
    o.result = "partial";
    o.status = Status(Code::kUnavailable, std::to_string(left_unexplained.size()) +
                                              " tickets are still assigned to " + Id(from) +
                                              " after the reassignment: " + IdList(left_unexplained));
  }
}

// The check phase: the request, the assignee, the journal of an interrupted
// run (settled before anything is searched or sent; on a dry run only
// announced), and the tickets to move.
struct ReassignPlan {
  zendesk::User assignee;
  AssignedTickets tickets;
  std::vector<std::string> warnings;
};

Result<ReassignPlan> PlanReassign(const ActionContext& ctx, int64_t from, int64_t to,
                                  const ReassignOptions& options, Journal& journal, Tally& t) {
  SK_RETURN_IF_ERROR(CheckWritePermission(ctx.conn));
  if (from <= 0 || to <= 0) return InvalidArgument("user ids must be positive");
  if (from == to) return Refused("--from and --to are the same user " + Id(from));
  if (ctx.client == nullptr) return Internal("no Zendesk client");
  ReassignPlan p;
  SK_ASSIGN_OR_RETURN(p.assignee, CheckAssignee(ctx, to));
  SK_RETURN_IF_ERROR(journal.Load());
  if (ctx.dry_run) {
    if (!journal.Empty())
      p.warnings.push_back(std::to_string(journal.Size()) +
                           " update_many batches of an interrupted run are pending: the real run checks them "
                           "before sending anything");
  } else if (Status s = ResolvePending(ctx, journal, options, t); !s.ok()) {
    return s.With("settling an interrupted reassignment");
  }
  SK_ASSIGN_OR_RETURN(AssignedTickets found, NonClosedTicketsOf(ctx, from));
  auto still = StillAssigned(ctx, found.ids, from);
  if (!still.ok()) return still.status().With("reading the tickets of user " + Id(from));
  p.tickets = found.ids.empty() ? found : *still;
  return p;
}

}  // namespace

Result<ActionOutcome> ReassignTickets(const ActionContext& ctx, int64_t from, int64_t to,
                                      const ReassignOptions& options) {
  const std::string target = "tickets:" + Id(from) + "->" + Id(to);
  AuditRecord audit(ctx, "tickets.reassign", target);
  Journal journal(ctx, from);
  Tally t;
  auto plan = PlanReassign(ctx, from, to, options, journal, t);
  if (!plan.ok()) return audit.Fail(plan.status());
  const AssignedTickets& tickets = plan->tickets;
  const json before = {{"from", from},
                       {"to", to},
                       {"to_user", UserJson(plan->assignee)},
                       {"non_closed", tickets.ids.size() + t.resumed},
                       {"by_status", tickets.by_status}};
  if (Status s = audit.Begin(before); !s.ok()) return s;
  ActionOutcome o = NewOutcome(ctx, "tickets.reassign", target);
  o.before = before;
  o.warnings = plan->warnings;
  MoveResult m;
  m.total = tickets.ids.size() + t.resumed;
  m.resumed = t.resumed;
  const std::string what = "reassign " + std::to_string(tickets.ids.size()) + " non-closed tickets" +
                           (tickets.ids.empty() ? "" : " (" + StatusCounts(tickets.by_status) + ")") +
                           " from " + Id(from) + " to " + Id(to) + " (" + plan->assignee.name + ")";
  if (m.total == 0) {
    o.result = ctx.dry_run ? "dry-run" : "no-op";
    o.summary = "user " + Id(from) + " has no non-closed tickets: nothing to reassign";
    o.changes.push_back({"reassign-tickets", what, "already-done"});
    o.details = {
        {"moved", 0}, {"failed", 0}, {"failures", json::array()}, {"verified", true}, {"remaining", 0}};
    o.after = ctx.dry_run ? json(nullptr) : json{{"remaining", 0}};
    audit.Finish(o);
    return o;
  }
  if (ctx.dry_run) {
    o.summary = "would " + what;
    o.changes.push_back({"reassign-tickets", what, "planned"});
    o.details = {{"tickets", tickets.ids.size()}, {"by_status", tickets.by_status}};
    audit.Finish(o);
    return o;
  }
  const UnixTime start = NowUnix();
  t.total = tickets.ids.size();
  m.run = MoveBatches(ctx, journal, tickets.ids, to, options, t);
  if (!m.run.ok() && !journal.Empty()) {
    // Settle what may have been accepted; the verification then re-sends only
    // the tickets Zendesk shows still assigned to FROM.
    if (ResolvePending(ctx, journal, options, t).ok()) m.run = Status::Ok();
  }
  if (m.run.ok()) m.run = VerifyNoneLeft(ctx, journal, from, to, options, t, m.remaining, m.verified);
  for (const auto& [id, f] : t.failed) t.moved.erase(id);
  RecordOwnTicketWrites(ctx, t, start, o);
  ReportMoves(from, to, tickets, what, t, m, o);
  audit.Finish(o);
  return o;
}

std::vector<Operation> ReassignTicketsOperations() {
  Operation op = DeclareAction("tickets.reassign", {"tickets", "reassign"}, "reassign-tickets",
                               "Reassign every non-closed ticket of one user to another",
                               "Reassign every non-closed ticket of one user to another agent or admin");
  op.target = "from";
  op.fields = {OptionField("from", FieldType::kId, true, "--from", "User whose tickets move", 123),
               OptionField("to", FieldType::kId, true, "--to", "Agent or admin who takes them", 456)};
  op.parse = [](const FieldValues& v) -> Result<ActionRun> {
    const int64_t from = v.Id("from"), to = v.Id("to");
    return ActionRun([from, to](const ActionContext& ctx) { return ReassignTickets(ctx, from, to); });
  };
  UiButton b = Button("action-reassign", "Reassign tickets…", "Reassign tickets", 40);
  b.ask = "to";
  b.ask_title = "Reassign non-closed tickets to user id";
  op.buttons = {b};
  return {op};
}

}  // namespace sk::actions
