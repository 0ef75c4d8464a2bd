// /search (1,000-result cap), /search/count and /search/export (CBP, filter[type]).
#include <algorithm>

#include "handlers.h"
#include "render.h"
#include "search.h"

namespace zdsim {

namespace {

struct Hit {
  bool ticket;
  int32_t idx;
  int64_t id;
};

// What the index holds (Dataset::AsIndexed): a ticket as it was before its
// latest changes, no user added within the index's lag.
std::vector<Hit> Run(Ctx& c, const SearchQuery& q, const std::string& type) {
  std::vector<Hit> hits;
  c.ds.CatchUpIndex();
  if (type.empty() || type == "ticket") {
    auto consider = [&](int32_t i) {
      const Ticket& t = c.ds.AsIndexed(i);
      if (!t.created || t.archived || t.status == static_cast<uint8_t>(Status::kDeleted)) return;
      if (MatchTicket(c.ds, t, q, c.user)) hits.push_back({true, i, t.id});
    };
    if (auto only = CandidateTickets(c.ds, q, c.user)) {
      for (int32_t i : *only) consider(i);  // `commenter:` named: an index, as Zendesk's
    } else {
      for (int32_t i = 0; i < static_cast<int32_t>(c.ds.tickets.size()); ++i) consider(i);
    }
  }
  if (type.empty() || type == "user") {
    for (int32_t i = 0; i < static_cast<int32_t>(c.ds.users.size()); ++i) {
      const User& u = c.ds.users[i];
      if (!u.active || !c.ds.UserIndexed(i)) continue;
      if (MatchUser(c.ds, u, q)) hits.push_back({false, i, u.id});
    }
  }
  return hits;
}

json HitJson(Ctx& c, const Hit& h) {
  json j = h.ticket ? TicketJson(c.ds, c.ds.AsIndexed(h.idx), c.base) : c.s.ServeUser(h.idx, c.base);
  j["result_type"] = h.ticket ? "ticket" : "user";
  return j;
}

void Search(Ctx& c) {
  const SearchQuery q = ParseSearch(c.req.get_param_value("query"), c.ds);
  std::vector<Hit> hits = Run(c, q, q.type);
  const std::string sort_by = c.req.get_param_value("sort_by");
  if (sort_by == "updated_at" || sort_by == "created_at") {
    auto time = [&](const Hit& h) {
      if (h.ticket) {
        const Ticket& t = c.ds.AsIndexed(h.idx);
        return sort_by == "updated_at" ? t.updated_at : t.created_at;
      }
      return sort_by == "updated_at" ? c.ds.users[h.idx].updated_at : c.ds.users[h.idx].created_at;
    };
    std::stable_sort(hits.begin(), hits.end(), [&](const Hit& a, const Hit& b) { return time(a) < time(b); });
  }
  if (c.req.get_param_value("sort_order") == "desc") std::reverse(hits.begin(), hits.end());
  ObpRequest r;
  if (auto err = ParseObp(c.req, 100, 100, &r, false)) return SendHttpError(c, *err);
  if (static_cast<int64_t>(r.page) * r.per_page > 1000) {
    return SendError(c, 422, "InvalidValue",
                     "Invalid search: Requested response size was greater than Search Response Limits");
  }
  const size_t b = std::min(hits.size(), static_cast<size_t>(r.page - 1) * r.per_page);
  const size_t e = std::min(hits.size(), b + r.per_page);
  json arr = json::array();
  for (size_t k = b; k < e; ++k) arr.push_back(HitJson(c, hits[k]));
  json out = {{"results", std::move(arr)}, {"facets", nullptr}};
  AddObpMeta(out, c.req, c.base, c.path, r, hits.size());
  if (static_cast<int64_t>(r.page + 1) * r.per_page > 1000) out["next_page"] = nullptr;
  SendJson(c, 200, out);
}

void SearchCount(Ctx& c) {
  const SearchQuery q = ParseSearch(c.req.get_param_value("query"), c.ds);
  SendJson(c, 200, {{"count", Run(c, q, q.type).size()}});
}

void Export(Ctx& c) {
  const std::string type = c.req.get_param_value("filter[type]");
  if (type.empty())
    return SendError(c, 400, "InvalidValue", "filter[type] is required (ticket, user, organization or group)");
  if (type != "ticket" && type != "user")
    return SendJson(c, 200, {{"results", json::array()},
                             {"facets", nullptr},
                             {"meta", {{"has_more", false}, {"after_cursor", nullptr}, {"before_cursor", nullptr}}},
                             {"links", {{"next", nullptr}, {"prev", nullptr}}}});
  SearchQuery q = ParseSearch(c.req.get_param_value("query"), c.ds);
  if (!q.type.empty())
    return SendError(c, 400, "InvalidValue", "The query must not contain type:; use filter[type]");
  std::vector<Hit> hits = Run(c, q, type);
  CbpRequest r;
  if (auto err = ParseCbp(c.req, 100, 1000, &r)) return SendHttpError(c, *err);
  auto keyfn = [&](size_t k) { return Key{hits[k].id, 0}; };
  const Slice s = CbpSlice(hits.size(), keyfn, r, c.repeat_page);
  json arr = json::array();
  for (size_t k = s.begin; k < s.end; ++k) arr.push_back(HitJson(c, hits[k]));
  json out = {{"results", std::move(arr)}, {"facets", nullptr}};
  std::optional<Key> last;
  if (s.end > s.begin) last = keyfn(s.end - 1);
  AddCbpMeta(out, c.req, c.base, c.path, r.size, s.has_more, std::nullopt, last);
  if (!s.has_more) out["links"]["next"] = nullptr;
  SendJson(c, 200, out);
}

}  // namespace

void RegisterSearchRoutes(Router& r) {
  r.Add("GET", R"(/api/v2/search)", Access::kAgent, Search, "search-index");
  r.Add("GET", R"(/api/v2/search/count)", Access::kAgent, SearchCount, "search-index");
  r.Add("GET", R"(/api/v2/search/export)", Access::kAgent, Export, "search-export");
}

}  // namespace zdsim
