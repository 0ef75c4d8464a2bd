// Incremental exports: /incremental/users[/cursor], /incremental/tickets[/cursor],
// /incremental/ticket_events (time-based, 1000 per page, last minute excluded).
#include <algorithm>

#include "handlers.h"
#include "render.h"

namespace zdsim {

namespace {

constexpr int kMaxPerPage = 1000;

struct IncRequest {
  bool cursor_mode = false;
  std::optional<Key> after;  // cursor position
  int64_t start_time = 0;
  int per_page = kMaxPerPage;
};

// Validates start_time / cursor / per_page; sends the error and returns false.
bool ParseInc(Ctx& c, bool cursor_endpoint, IncRequest* r) {
  r->cursor_mode = cursor_endpoint;
  if (auto pp = ParamInt(c, "per_page")) r->per_page = static_cast<int>(std::clamp<int64_t>(*pp, 1, kMaxPerPage));
  if (cursor_endpoint && c.req.has_param("cursor")) {
    auto k = DecodeIncrementalCursor(c.req.get_param_value("cursor"));
    if (!k) {
      SendError(c, 400, "InvalidCursor", "cursor is not valid");
      return false;
    }
    r->after = k;
    return true;
  }
  auto st = ParamInt(c, "start_time");
  if (!st) {
    SendError(c, 400, "InvalidValue", "start_time is required and must be a Unix epoch time in seconds");
    return false;
  }
  if (*st > c.now - 60) {
    SendError(c, 422, "InvalidValue", "Too recent start_time. Use a start_time older than 1 minute");
    return false;
  }
  r->start_time = std::max<int64_t>(0, *st);
  return true;
}

// Sorted (time, id, index) rows visible to exports; returns the page bounds.
struct Row {
  int64_t t;
  int64_t id;
  int32_t idx;
};

struct IncPage {
  size_t begin = 0, end = 0;
  bool end_of_stream = true;
  int64_t end_time = 0;
};

IncPage Paginate(const std::vector<Row>& rows, const IncRequest& r, bool repeat) {
  IncPage p;
  if (r.after) {
    const Key k = *r.after;
    p.begin = static_cast<size_t>(std::upper_bound(rows.begin(), rows.end(), k,
                                                   [](const Key& key, const Row& row) {
                                                     return key < Key{row.t, row.id};
                                                   }) -
                                  rows.begin());
  } else {
    p.begin = static_cast<size_t>(std::lower_bound(rows.begin(), rows.end(), r.start_time,
                                                   [](const Row& row, int64_t t) { return row.t < t; }) -
                                  rows.begin());
  }
  if (repeat) p.begin = p.begin >= 2 ? p.begin - 2 : 0;
  p.end = std::min(rows.size(), p.begin + static_cast<size_t>(r.per_page));
  if (!r.cursor_mode) {
    // Time-based pages never split a timestamp.
    while (p.end < rows.size() && p.end > p.begin && rows[p.end].t == rows[p.end - 1].t) ++p.end;
  }
  const size_t n = p.end - p.begin;
  p.end_of_stream = n < static_cast<size_t>(r.per_page);
  if (n == 0) {
    p.end_time = r.after ? r.after->first : r.start_time;
  } else {
    p.end_time = rows[p.end - 1].t;
    if (rows[p.begin].t == p.end_time && !r.cursor_mode && !p.end_of_stream) ++p.end_time;
  }
  return p;
}

void AddIncMeta(Ctx& c, json& out, const std::vector<Row>& rows, const IncPage& p, const IncRequest& r) {
  const std::string pp = c.req.has_param("per_page") ? "&per_page=" + std::to_string(r.per_page) : "";
  std::string extra;
  for (const char* k : {"include", "exclude_deleted"})
    if (c.req.has_param(k)) extra += std::string("&") + k + "=" + UrlEncode(c.req.get_param_value(k));
  if (r.cursor_mode) {
    std::string cursor;
    if (p.end > p.begin) cursor = EncodeIncrementalCursor(Key{rows[p.end - 1].t, rows[p.end - 1].id});
    else if (r.after) cursor = EncodeIncrementalCursor(*r.after);
    else cursor = EncodeIncrementalCursor(Key{r.start_time, 0});
    out["after_cursor"] = cursor;
    out["after_url"] = c.base + c.path + ".json?cursor=" + UrlEncode(cursor) + pp + extra;
    out["before_cursor"] = nullptr;
    out["before_url"] = nullptr;
    out["end_of_stream"] = p.end_of_stream;
  } else {
    out["count"] = p.end - p.begin;
    out["end_time"] = p.end_time;
    out["next_page"] = c.base + c.path + ".json?start_time=" + std::to_string(p.end_time) + pp + extra;
    out["end_of_stream"] = p.end_of_stream;
  }
}

void IncrementalUsers(Ctx& c, bool cursor) {
  IncRequest r;
  if (!ParseInc(c, cursor, &r)) return;
  const int64_t cutoff = c.now - 60;
  std::vector<Row> rows;
  rows.reserve(c.ds.users.size());
  for (int32_t i = 0; i < static_cast<int32_t>(c.ds.users.size()); ++i) {
    const User& u = c.ds.users[i];
    if (u.updated_at <= cutoff) rows.push_back(Row{u.updated_at, u.id, i});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.t != b.t ? a.t < b.t : a.id < b.id; });
  const IncPage p = Paginate(rows, r, c.repeat_page);
  json out = json::object();
  AddIncMeta(c, out, rows, p, r);
  SendPage(c, "users", out, [&](JsonWriter& w) {
    for (size_t k = p.begin; k < p.end; ++k) c.s.ServeUser(w, rows[k].idx, c.base);
  });
}

void IncrementalTickets(Ctx& c, bool cursor) {
  IncRequest r;
  if (!ParseInc(c, cursor, &r)) return;
  const bool exclude_deleted = c.req.get_param_value("exclude_deleted") == "true";
  const int64_t cutoff = c.now - 60;
  std::vector<Row> rows;
  for (int32_t i = 0; i < static_cast<int32_t>(c.ds.tickets.size()); ++i) {
    const Ticket& t = c.ds.tickets[i];
    // Ordered and filtered by generated_timestamp, so a ticket can come back
    // with an updated_at before start_time (reference §6.2).
    const int64_t generated = GeneratedAt(t, c.now);
    if (!t.created || generated > cutoff) continue;
    if (exclude_deleted && t.status == static_cast<uint8_t>(Status::kDeleted)) continue;
    rows.push_back(Row{generated, t.id, i});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.t != b.t ? a.t < b.t : a.id < b.id; });
  const IncPage p = Paginate(rows, r, c.repeat_page);
  json arr = json::array();
  for (size_t k = p.begin; k < p.end; ++k)
    arr.push_back(TicketJson(c.ds, c.ds.tickets[rows[k].idx], c.base, true, c.now));
  json out = {{"tickets", std::move(arr)}};
  AddIncMeta(c, out, rows, p, r);
  SendJson(c, 200, out);
}

void TicketEvents(Ctx& c) {
  IncRequest r;
  if (!ParseInc(c, false, &r)) return;
  const bool comments = c.req.get_param_value("include").find("comment_events") != std::string::npos;
  const int64_t cutoff = c.now - 60;
  const auto& ev = c.ds.events;
  // Events are stored in time order; find the visible range without copying.
  const size_t last = static_cast<size_t>(
      std::upper_bound(ev.begin(), ev.end(), cutoff, [](int64_t t, const Event& e) { return t < e.at; }) - ev.begin());
  size_t b = static_cast<size_t>(
      std::lower_bound(ev.begin(), ev.begin() + static_cast<std::ptrdiff_t>(last), r.start_time,
                       [](const Event& e, int64_t t) { return e.at < t; }) -
      ev.begin());
  if (c.repeat_page) b = b >= 2 ? b - 2 : 0;
  size_t e = std::min(last, b + static_cast<size_t>(r.per_page));
  while (e < last && e > b && ev[e].at == ev[e - 1].at) ++e;
  const size_t n = e - b;
  const bool eos = n < static_cast<size_t>(r.per_page);
  int64_t end_time = n ? ev[e - 1].at : r.start_time;
  if (n && ev[b].at == end_time && !eos) ++end_time;
  const std::string pp = c.req.has_param("per_page") ? "&per_page=" + std::to_string(r.per_page) : "";
  const std::string inc = comments ? "&include=comment_events" : "";
  SendPage(c, "ticket_events",
           {{"count", n},
            {"end_time", end_time},
            {"next_page", c.base + c.path + ".json?start_time=" + std::to_string(end_time) + pp + inc},
            {"end_of_stream", eos}},
           [&](JsonWriter& w) {
             for (size_t k = b; k < e; ++k) WriteTicketEvent(w, c.ds, k, comments);
           });
}

}  // namespace

void RegisterExportRoutes(Router& r) {
  r.Add("GET", R"(/api/v2/incremental/users)", Access::kAdmin, [](Ctx& c) { IncrementalUsers(c, false); },
        "incremental-exports");
  r.Add("GET", R"(/api/v2/incremental/users/cursor)", Access::kAdmin, [](Ctx& c) { IncrementalUsers(c, true); },
        "incremental-exports-cursor");
  r.Add("GET", R"(/api/v2/incremental/tickets)", Access::kAdmin, [](Ctx& c) { IncrementalTickets(c, false); },
        "incremental-exports");
  r.Add("GET", R"(/api/v2/incremental/tickets/cursor)", Access::kAdmin,
        [](Ctx& c) { IncrementalTickets(c, true); }, "incremental-exports");
  r.Add("GET", R"(/api/v2/incremental/ticket_events)", Access::kAdmin, TicketEvents, "incremental-exports");
}

}  // namespace zdsim
