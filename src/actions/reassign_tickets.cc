#include "actions/reassign_tickets.h"

#include <algorithm>
#include <deque>
#include <set>

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

struct Job {
  std::string id;
  std::vector<int64_t> ids;
  int polls = 0;
};

// Moves `ids` to `to` in jobs; fills moved/failed/unknown. Returns a status
// only for failures that stop the whole run (auth, rate limit, outage).
Status MoveBatches(const ActionContext& ctx, const std::vector<int64_t>& ids, int64_t to,
                   const ReassignOptions& opt, std::set<int64_t>& moved, std::map<int64_t, Failure>& failed,
                   std::set<int64_t>& unknown, std::vector<int64_t>& submitted, size_t& done_count,
                   size_t total) {
  const size_t batch = static_cast<size_t>(std::clamp(opt.batch_size, 1, 100));
  const size_t in_flight_max = static_cast<size_t>(std::clamp(opt.max_in_flight, 1, 30));
  size_t next = 0;
  std::deque<Job> jobs;
  double delay = 1;
  const json change = {{"assignee_id", to}};

  auto settle = [&](const Job& job, const zendesk::JobStatus& js) {
    std::set<int64_t> reported;
    for (const auto& r : js.results) {
      if (!r.id) continue;
      reported.insert(*r.id);
      if (r.success) {
        moved.insert(*r.id);
      } else {
        failed[*r.id] = {*r.id, r.error.empty() ? r.status : r.error, r.details};
      }
    }
    for (int64_t id : job.ids) {
      if (reported.count(id)) continue;
      if (js.status == "completed") {
        moved.insert(id);  // no per-id result: verification re-checks it
      } else {
        failed[id] = {id, "Job" + js.status,
                      "job " + js.id + " ended " + js.status + " without a result for this ticket"};
      }
    }
    done_count += job.ids.size();
    Progress(ctx, "reassigned " + std::to_string(done_count) + "/" + std::to_string(total) + " tickets");
  };

  while (next < ids.size() || !jobs.empty()) {
    while (next < ids.size() && jobs.size() < in_flight_max) {
      std::vector<int64_t> chunk(ids.begin() + static_cast<long>(next),
                                 ids.begin() + static_cast<long>(std::min(ids.size(), next + batch)));
      next += chunk.size();
      auto js = ctx.client->UpdateManyTickets(chunk, change);
      submitted.insert(submitted.end(), chunk.begin(), chunk.end());
      if (!js.ok()) {
        const Code c = js.status().code();
        if (c == Code::kInvalidRecord || c == Code::kNotFound || c == Code::kBadResponse) {
          for (int64_t id : chunk) failed[id] = {id, CodeName(c), js.status().message()};
          done_count += chunk.size();
          continue;
        }
        // The request may have reached Zendesk: its tickets are re-checked.
        for (int64_t id : chunk) unknown.insert(id);
        for (auto& j : jobs) unknown.insert(j.ids.begin(), j.ids.end());
        return FromZendesk(js.status(), "reassign tickets " + IdList(chunk, 5));
      }
      if (js->Done()) {
        settle(Job{js->id, chunk, 0}, *js);
      } else {
        jobs.push_back(Job{js->id, chunk, 0});
      }
    }
    if (jobs.empty()) continue;
    Sleep(ctx, delay);
    bool progressed = false;
    for (auto it = jobs.begin(); it != jobs.end();) {
      auto js = ctx.client->GetJobStatus(it->id);
      ++it->polls;
      if (!js.ok()) {
        if (js.status().code() == Code::kNotFound) {
          // Job data expired: unknown, the verification re-checks the tickets.
          unknown.insert(it->ids.begin(), it->ids.end());
          done_count += it->ids.size();
          it = jobs.erase(it);
          progressed = true;
          continue;
        }
        for (auto& j : jobs) unknown.insert(j.ids.begin(), j.ids.end());
        return js.status().With("polling job " + it->id);
      }
      if (js->Done()) {
        settle(*it, *js);
        it = jobs.erase(it);
        progressed = true;
      } else if (it->polls >= opt.max_polls_per_job) {
        unknown.insert(it->ids.begin(), it->ids.end());
        done_count += it->ids.size();
        it = jobs.erase(it);
        progressed = true;
      } else {
        ++it;
      }
    }
    delay = progressed ? 1 : std::min(delay * 2, std::max(1.0, opt.max_poll_seconds));
  }
  return Status::Ok();
}

}  // namespace

Result<AssignedTickets> NonClosedTicketsOf(const ActionContext& ctx, int64_t assignee) {
  AssignedTickets out;
  std::set<int64_t> seen;
  std::string cursor;
  const std::string query = "assignee:" + Id(assignee) + " status<closed";
  for (int page = 0;; ++page) {
    auto r = ctx.client->SearchTickets(query, cursor);
    if (!r.ok()) return r.status().With("searching the tickets of user " + Id(assignee));
    for (const auto& t : r->items) {
      if (t.status == "closed" || t.status == "deleted") continue;
      if (t.assignee_id && *t.assignee_id != assignee) continue;
      if (!seen.insert(t.id).second) continue;
      out.ids.push_back(t.id);
      ++out.by_status[t.status.empty() ? "unknown" : t.status];
    }
    if (!r->has_more || r->after_cursor.empty() || r->after_cursor == cursor) break;
    cursor = r->after_cursor;
  }
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
  if (u.role == "agent" && u.role_type && *u.role_type == 1) {
    return Refused(who + " is a light agent: light agents cannot be assigned tickets");
  }
  return u;
}

Result<ActionOutcome> ReassignTickets(const ActionContext& ctx, int64_t from, int64_t to,
                                      const ReassignOptions& options) {
  const std::string target = "tickets:" + Id(from) + "->" + Id(to);
  AuditRecord audit(ctx, "tickets.reassign", target);
  if (Status s = CheckWritePermission(ctx.conn); !s.ok()) return audit.Fail(s);
  if (from <= 0 || to <= 0) return audit.Fail(InvalidArgument("user ids must be positive"));
  if (from == to) return audit.Fail(Refused("--from and --to are the same user " + Id(from)));
  if (ctx.client == nullptr) return audit.Fail(Internal("no Zendesk client"));

  auto assignee = CheckAssignee(ctx, to);
  if (!assignee.ok()) return audit.Fail(assignee.status());
  auto tickets = NonClosedTicketsOf(ctx, from);
  if (!tickets.ok()) return audit.Fail(tickets.status());

  const json before = {{"from", from},
                       {"to", to},
                       {"to_user", UserJson(*assignee)},
                       {"non_closed", tickets->ids.size()},
                       {"by_status", tickets->by_status}};
  if (Status s = audit.Begin(before); !s.ok()) return s;

  ActionOutcome o = NewOutcome(ctx, "tickets.reassign", target);
  o.before = before;
  const size_t total = tickets->ids.size();
  const std::string what = "reassign " + std::to_string(total) + " non-closed tickets" +
                           (total ? " (" + StatusCounts(tickets->by_status) + ")" : "") + " from " +
                           Id(from) + " to " + Id(to) + " (" + assignee->name + ")";
  if (total == 0) {
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
    o.details = {{"tickets", tickets->ids.size()}, {"by_status", tickets->by_status}};
    audit.Finish(o);
    return o;
  }

  const UnixTime start = NowUnix();
  std::set<int64_t> moved;
  std::map<int64_t, Failure> failed;
  std::set<int64_t> unknown;
  std::vector<int64_t> submitted;
  size_t done_count = 0;
  Status run =
      MoveBatches(ctx, tickets->ids, to, options, moved, failed, unknown, submitted, done_count, total);

  // Verification: nothing of FROM left except the tickets Zendesk refused. A
  // second pass picks up tickets whose job outcome was unknown.
  std::vector<int64_t> remaining;
  bool verified = false;
  if (run.ok()) {
    for (int pass = 0; pass < 2; ++pass) {
      auto again = NonClosedTicketsOf(ctx, from);
      if (!again.ok()) {
        run = again.status().With("verifying the reassignment");
        break;
      }
      remaining = again->ids;
      // The search index lags behind updates: confirm with the tickets themselves.
      if (!remaining.empty()) {
        auto current = CurrentAssignees(ctx, remaining);
        if (current.ok()) {
          std::vector<int64_t> still;
          for (int64_t id : remaining) {
            auto it = current->find(id);
            if (it == current->end()) continue;  // gone (deleted/archived)
            const auto& [who, st] = it->second;
            if (who && *who == from && st != "closed") still.push_back(id);
          }
          remaining = still;
        }
      }
      std::vector<int64_t> retry;
      for (int64_t id : remaining) {
        if (!failed.count(id)) retry.push_back(id);
      }
      for (int64_t id : remaining) moved.erase(id);
      if (retry.empty() || pass == 1) break;
      Progress(ctx, std::to_string(retry.size()) + " tickets still assigned to " + Id(from) +
                        ": moving them again");
      unknown.clear();
      run = MoveBatches(ctx, retry, to, options, moved, failed, unknown, submitted, done_count,
                        total + retry.size());
      if (!run.ok()) break;
    }
    verified = run.ok() && std::all_of(remaining.begin(), remaining.end(),
                                       [&](int64_t id) { return failed.count(id) > 0; });
  }
  for (const auto& [id, f] : failed) moved.erase(id);
  const UnixTime end = NowUnix();

  // Our own writes never count as the connecting admin's activity (±60 s for clock skew).
  if (!submitted.empty()) {
    std::vector<int64_t> ids(submitted.begin(), submitted.end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (Status s = ctx.store->RecordOwnWrites(ctx.conn.account, ids, start - 60, end + 60); !s.ok()) {
      o.warnings.push_back("could not record seatkeeper's own ticket writes: " + s.ToString());
    }
  }

  json failures = json::array();
  for (const auto& [id, f] : failed)
    failures.push_back({{"id", id}, {"error", f.error}, {"details", f.details}});
  std::vector<int64_t> left_unexplained;
  for (int64_t id : remaining) {
    if (!failed.count(id)) left_unexplained.push_back(id);
  }
  o.details = {{"tickets", total},
               {"by_status", tickets->by_status},
               {"moved", moved.size()},
               {"failed", failed.size()},
               {"failures", failures},
               {"verified", verified},
               {"remaining", remaining.size()},
               {"remaining_ids", remaining}};
  o.after = {{"moved", moved.size()}, {"failed", failed.size()}, {"remaining", remaining.size()}};
  o.changes.push_back({"reassign-tickets", what, failed.empty() && run.ok() && verified ? "done" : "failed"});
  o.summary =
      "reassigned " + std::to_string(moved.size()) + " of " + std::to_string(total) + " tickets from " +
      Id(from) + " to " + Id(to) + (failed.empty() ? "" : ", " + std::to_string(failed.size()) + " failed") +
      (verified
           ? (remaining.empty() ? "; verified: none left" : "; verified: only the failed tickets are left")
           : "");
  for (const auto& [id, f] : failed) {
    if (o.warnings.size() >= 20) {
      o.warnings.push_back("... " + std::to_string(failed.size()) + " failures in all (see --json)");
      break;
    }
    o.warnings.push_back("ticket " + Id(id) + " not reassigned: " + f.error +
                         (f.details.empty() ? "" : ": " + f.details));
  }
  if (!run.ok()) {
    o.result = "partial";
    o.status = run;
  } else if (!failed.empty()) {
    o.result = "partial";
    o.status = Status(Code::kInvalidRecord, std::to_string(failed.size()) + " of " + std::to_string(total) +
                                                " tickets could not be reassigned (Zendesk refused them)");
  } else if (!verified) {
    o.result = "partial";
    o.status = Status(Code::kUnavailable, std::to_string(left_unexplained.size()) +
                                              " tickets are still assigned to " + Id(from) +
                                              " after the reassignment: " + IdList(left_unexplained));
  }
  audit.Finish(o);
  return o;
}

}  // namespace sk::actions
