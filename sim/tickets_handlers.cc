// Tickets: /tickets, /tickets/{id}, /tickets/{id}/audits, /ticket_audits,
// /tickets/show_many, /deleted_tickets, /users/{id}/tickets/assigned, /tickets/update_many,
// /job_statuses and /job_statuses/{id}.
#include <algorithm>

#include "handlers.h"
#include "render.h"

namespace zdsim {

namespace {

constexpr int64_t kDeletedVisibleSeconds = 30 * 86400;

bool Live(const Ticket& t) {
  return t.created && !t.archived && t.status != static_cast<uint8_t>(Status::kDeleted);
}

// CBP or OBP over ticket indexes in ascending id order.
// `idx` is in the list's order; `cbp_key` gives each ticket a cursor key that
// ascends in that order (default: its id, for lists sorted by id).
void ServeTicketList(Ctx& c, const std::vector<int32_t>& idx, const char* key,
                     const std::function<json(const Ticket&)>& render,
                     const std::function<Key(const Ticket&)>& cbp_key = nullptr) {
  json out;
  size_t b = 0, e = 0;
  if (WantsCbp(c.req)) {
    CbpRequest r;
    if (auto err = ParseCbp(c.req, 100, 100, &r)) return SendHttpError(c, *err);
    auto keyfn = [&](size_t i) {
      const Ticket& t = c.ds.tickets[idx[i]];
      return cbp_key ? cbp_key(t) : Key{t.id, 0};
    };
    const Slice s = CbpSlice(idx.size(), keyfn, r, c.repeat_page);
    b = s.begin;
    e = s.end;
    std::optional<Key> first, last;
    if (e > b) {
      first = keyfn(b);
      last = keyfn(e - 1);
    }
    AddCbpMeta(out, c.req, c.base, c.path, r.size, s.has_more, first, last);
  } else {
    ObpRequest r;
    if (auto err = ParseObp(c.req, 100, 100, &r)) return SendHttpError(c, *err);
    b = std::min(idx.size(), static_cast<size_t>(r.page - 1) * r.per_page);
    e = std::min(idx.size(), b + r.per_page);
    AddObpMeta(out, c.req, c.base, c.path, r, idx.size());
  }
  json arr = json::array();
  for (size_t k = b; k < e; ++k) arr.push_back(render(c.ds.tickets[idx[k]]));
  out[key] = std::move(arr);
  SendJson(c, 200, out);
}

void ListTickets(Ctx& c) {
  std::vector<int32_t> idx;
  for (int32_t i = 0; i < static_cast<int32_t>(c.ds.tickets.size()); ++i)
    if (Live(c.ds.tickets[i])) idx.push_back(i);
  ServeTicketList(c, idx, "tickets", [&](const Ticket& t) { return TicketJson(c.ds, t, c.base); });
}

void ShowTicket(Ctx& c) {
  const int32_t i = c.ds.TicketIndex(c.ArgId(0));
  if (i < 0 || c.ds.tickets[i].status == static_cast<uint8_t>(Status::kDeleted)) return SendNotFound(c);
  SendJson(c, 200, {{"ticket", TicketJson(c.ds, c.ds.tickets[i], c.base)}});
}

// ≤ 100 ids; unknown and deleted ones are left out.
void ShowManyTickets(Ctx& c) {
  bool ok = true;
  const auto ids = ParseIdList(c.req.get_param_value("ids"), &ok);
  if (ids.size() > 100) {
    return SendJson(c, 400,
                    {{"error", "TooManyValues"},
                     {"description", "Parameter  cannot specify more than 100 values"},
                     {"max_count", 100}});
  }
  json arr = json::array();
  for (int64_t id : ids) {
    const int32_t i = c.ds.TicketIndex(id);
    if (i < 0 || c.ds.tickets[i].status == static_cast<uint8_t>(Status::kDeleted)) continue;
    arr.push_back(TicketJson(c.ds, c.ds.tickets[i], c.base));
  }
  SendJson(c, 200,
           {{"tickets", arr}, {"next_page", nullptr}, {"previous_page", nullptr}, {"count", arr.size()}});
}

void Assigned(Ctx& c) {
  const int32_t u = c.ds.UserIndex(c.ArgId(0));
  if (u < 0) return SendNotFound(c);
  std::vector<int32_t> idx;
  for (int32_t i = 0; i < static_cast<int32_t>(c.ds.tickets.size()); ++i)
    if (Live(c.ds.tickets[i]) && c.ds.tickets[i].assignee == u) idx.push_back(i);
  ServeTicketList(c, idx, "tickets", [&](const Ticket& t) { return TicketJson(c.ds, t, c.base); });
}

void TicketAudits(Ctx& c) {
  const int32_t i = c.ds.TicketIndex(c.ArgId(0));
  if (i < 0 || c.ds.tickets[i].status == static_cast<uint8_t>(Status::kDeleted)) return SendNotFound(c);
  const auto& evs = i < static_cast<int32_t>(c.ds.ticket_events.size()) ? c.ds.ticket_events[i]
                                                                        : std::vector<int32_t>{};
  json out;
  size_t b = 0, e = evs.size();
  if (WantsCbp(c.req)) {
    CbpRequest r;
    if (auto err = ParseCbp(c.req, 100, 100, &r)) return SendHttpError(c, *err);
    auto keyfn = [&](size_t k) { return Key{c.ds.events[evs[k]].at, c.ds.EventId(evs[k])}; };
    const Slice s = CbpSlice(evs.size(), keyfn, r, c.repeat_page);
    b = s.begin;
    e = s.end;
    std::optional<Key> first, last;
    if (e > b) {
      first = keyfn(b);
      last = keyfn(e - 1);
    }
    AddCbpMeta(out, c.req, c.base, c.path, r.size, s.has_more, first, last);
  } else {
    out["next_page"] = nullptr;
    out["previous_page"] = nullptr;
    out["count"] = evs.size();
  }
  SendPage(c, "audits", out, [&](JsonWriter& w) {
    for (size_t k = b; k < e; ++k) WriteAudit(w, c.ds, static_cast<size_t>(evs[k]));
  });
}

// Account-wide audits, oldest first, archived tickets excluded, and with the
// audits_omit_deleted quirk soft-deleted tickets too (reference §6.4).
void AllAudits(Ctx& c) {
  CbpRequest r;
  if (auto err = ParseCbp(c.req, 100, 100, &r)) return SendHttpError(c, *err);
  const auto& ev = c.ds.events;
  auto visible = [&](size_t k) { return AuditListed(c.ds, c.ds.tickets[ev[k].ticket]); };
  auto keyof = [&](size_t k) { return Key{ev[k].at, c.ds.EventId(k)}; };
  auto lower = [&](const Key& k, bool strictly_after) {
    size_t lo = 0, hi = ev.size();
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (strictly_after ? !(k < keyof(mid)) : keyof(mid) < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  std::vector<size_t> page;
  bool has_more = false;
  if (r.before) {
    size_t k = lower(*r.before, false);
    while (k > 0 && page.size() < static_cast<size_t>(r.size)) {
      --k;
      if (visible(k)) page.push_back(k);
    }
    std::reverse(page.begin(), page.end());
    while (k > 0 && !has_more) has_more = visible(--k);
  } else {
    size_t k = r.after ? lower(*r.after, true) : 0;
    if (c.repeat_page) k = k >= 2 ? k - 2 : 0;
    for (; k < ev.size() && page.size() < static_cast<size_t>(r.size); ++k)
      if (visible(k)) page.push_back(k);
    for (; k < ev.size() && !has_more; ++k) has_more = visible(k);
  }
  json out;
  std::optional<Key> first, last;
  if (!page.empty()) {
    first = keyof(page.front());
    last = keyof(page.back());
  }
  AddCbpMeta(out, c.req, c.base, c.path, r.size, has_more, first, last);
  SendPage(c, "audits", out, [&](JsonWriter& w) {
    for (size_t k : page) WriteAudit(w, c.ds, k);
  });
}

void DeletedTickets(Ctx& c) {
  std::vector<int32_t> idx;
  for (int32_t i = 0; i < static_cast<int32_t>(c.ds.tickets.size()); ++i) {
    const Ticket& t = c.ds.tickets[i];
    if (t.created && !t.archived && t.status == static_cast<uint8_t>(Status::kDeleted) &&
        t.deleted_at > c.now - kDeletedVisibleSeconds)
      idx.push_back(i);
  }
  // sort_by=id|deleted_at (reference §6.5), sort_order=asc|desc; ties by id.
  // CBP cursors follow the same order, so later pages continue the sort.
  const bool by_deleted_at = !c.ignore_sort && c.req.get_param_value("sort_by") == "deleted_at";
  const int64_t sign = !c.ignore_sort && c.req.get_param_value("sort_order") == "desc" ? -1 : 1;
  auto sort_key = [&](const Ticket& t) {
    return by_deleted_at ? Key{sign * t.deleted_at, sign * t.id} : Key{sign * t.id, 0};
  };
  std::sort(idx.begin(), idx.end(),
            [&](int32_t a, int32_t b) { return sort_key(c.ds.tickets[a]) < sort_key(c.ds.tickets[b]); });
  ServeTicketList(c, idx, "deleted_tickets", [&](const Ticket& t) { return DeletedTicketJson(c.ds, t); }, sort_key);
}

void UpdateMany(Ctx& c) {
  auto body = ParseBody(c);
  if (!body) return;
  std::vector<std::pair<int64_t, json>> changes;
  if (c.req.has_param("ids")) {
    bool ok = true;
    const auto ids = ParseIdList(c.req.get_param_value("ids"), &ok);
    if (ids.size() > 100)
      return SendJson(c, 400, {{"error", "TooManyValues"},
                               {"description", "Parameter  cannot specify more than 100 values"},
                               {"max_count", 100}});
    if (!body->contains("ticket") || !(*body)["ticket"].is_object())
      return SendError(c, 400, "InvalidParameter", "The ticket parameter is missing");
    for (int64_t id : ids) changes.emplace_back(id, (*body)["ticket"]);
  } else if (body->contains("tickets") && (*body)["tickets"].is_array()) {
    const json& arr = (*body)["tickets"];
    if (arr.size() > 100)
      return SendJson(c, 400, {{"error", "TooManyValues"},
                               {"description", "Parameter  cannot specify more than 100 values"},
                               {"max_count", 100}});
    for (const json& t : arr) {
      if (!t.is_object() || !t.contains("id") || !t["id"].is_number_integer())
        return SendError(c, 400, "InvalidParameter", "Each ticket needs an id");
      changes.emplace_back(t["id"].get<int64_t>(), t);
    }
  } else {
    return SendError(c, 400, "InvalidParameter", "ids or tickets required");
  }
  if (c.s.jobs.InFlight() >= 30) {
    c.res.set_header("Retry-After", "1");
    return SendError(c, 429, "TooManyJobs", "Too many jobs are queued or running. Please wait and retry.");
  }
  const std::string id = c.s.jobs.Create(c.user, std::move(changes), c.now, c.job_failed);
  SendJson(c, 200, {{"job_status", c.s.jobs.Json(*c.s.jobs.Find(id, c.now), c.base)}});
}

void JobStatus(Ctx& c) {
  const Job* j = c.s.jobs.Find(c.args.empty() ? "" : c.args[0], c.now);
  if (!j) return SendNotFound(c);
  SendJson(c, 200, {{"job_status", c.s.jobs.Json(*j, c.base)}});
}

// CBP shape, one page: the account's recent jobs, newest first.
void ListJobStatuses(Ctx& c) {
  SendJson(c, 200,
           {{"job_statuses", c.s.jobs.List(100, c.now)},
            {"meta", {{"has_more", false}, {"after_cursor", nullptr}, {"before_cursor", nullptr}}},
            {"links", {{"next", nullptr}, {"prev", nullptr}}}});
}

void UpdateTicket(Ctx& c) {
  const int32_t i = c.ds.TicketIndex(c.ArgId(0));
  if (i < 0 || c.ds.tickets[i].status == static_cast<uint8_t>(Status::kDeleted)) return SendNotFound(c);
  auto body = ParseBody(c);
  if (!body) return;
  if (!body->contains("ticket") || !(*body)["ticket"].is_object())
    return SendError(c, 400, "InvalidParameter", "The ticket parameter is missing");
  Ticket& t = c.ds.tickets[i];
  if (t.status == static_cast<uint8_t>(Status::kClosed) || t.archived)
    return SendRecordInvalid(c, "status", "InvalidValue", "Status: closed prevents ticket update");
  const json& ch = (*body)["ticket"];
  Event e{c.now, i, c.user, kNoChange32, kNobody, EventKind::kUpdate, kNoChange, kNoChange, kSeatkeeper, Via::kApi};
  if (ch.contains("assignee_id")) {
    if (ch["assignee_id"].is_null()) e.assignee_to = kNobody;
    else {
      const int32_t u = ch["assignee_id"].is_number_integer() ? c.ds.UserIndex(ch["assignee_id"].get<int64_t>()) : -1;
      const char* why = u < 0 ? "Assignee: is not an agent" : AssigneeRefusal(c.ds.users[u]);
      if (why) return SendRecordInvalid(c, "assignee_id", "InvalidValue", why);
      e.assignee_to = u;
    }
  }
  if (ch.contains("status") && ch["status"].is_string()) {
    const int s = StatusFromName(ch["status"].get<std::string>());
    if (s < 0 || s == static_cast<int>(Status::kDeleted))
      return SendRecordInvalid(c, "status", "InvalidValue", "Status: is invalid");
    e.status_to = static_cast<uint8_t>(s);
  }
  if (ch.contains("comment")) e.flags |= kComment | kPublic;
  const size_t idx = c.ds.ApplyEvent(e);
  SendJson(c, 200, {{"ticket", TicketJson(c.ds, t, c.base)}, {"audit", AuditJson(c.ds, idx)}});
}

void DeleteTicket(Ctx& c) {
  const int32_t i = c.ds.TicketIndex(c.ArgId(0));
  if (i < 0 || c.ds.tickets[i].status == static_cast<uint8_t>(Status::kDeleted)) return SendNotFound(c);
  if (c.ds.tickets[i].archived) return SendNotFound(c);
  Event e{c.now, i, c.user, kNoChange32, kNobody, EventKind::kDelete, kNoChange, kNoChange, kSeatkeeper, Via::kApi};
  c.ds.ApplyEvent(e);
  c.res.status = 204;
}

}  // namespace

void RegisterTicketRoutes(Router& r) {
  r.Add("GET", R"(/api/v2/tickets)", Access::kAgent, ListTickets, "tickets-index");
  r.Add("PUT", R"(/api/v2/tickets/update_many)", Access::kAgent, UpdateMany);
  r.Add("GET", R"(/api/v2/tickets/show_many)", Access::kAgent, ShowManyTickets);
  r.Add("GET", R"(/api/v2/tickets/(\d+))", Access::kAgent, ShowTicket);
  r.Add("PUT", R"(/api/v2/tickets/(\d+))", Access::kAgent, UpdateTicket);
  r.Add("DELETE", R"(/api/v2/tickets/(\d+))", Access::kAgent, DeleteTicket);
  r.Add("GET", R"(/api/v2/tickets/(\d+)/audits)", Access::kAgent, TicketAudits);
  r.Add("GET", R"(/api/v2/ticket_audits)", Access::kAdmin, AllAudits);
  r.Add("GET", R"(/api/v2/deleted_tickets)", Access::kAgent, DeletedTickets, "deleted-tickets-index");
  r.Add("GET", R"(/api/v2/users/(\d+)/tickets/assigned)", Access::kAgent, Assigned);
  r.Add("GET", R"(/api/v2/job_statuses)", Access::kAgent, ListJobStatuses);
  r.Add("GET", R"(/api/v2/job_statuses/([A-Za-z0-9-]+))", Access::kAgent, JobStatus);
}

}  // namespace zdsim
