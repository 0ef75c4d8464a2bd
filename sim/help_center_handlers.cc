// Help Center: /help_center[/{locale}]/articles (CBP/OBP) and
// /help_center/incremental/articles?start_time= (time-based).
#include <algorithm>

#include "handlers.h"
#include "render.h"

namespace zdsim {

namespace {

bool Enabled(Ctx& c) {
  if (c.ds.options().help_center) return true;
  SendJson(c, 403, {{"error", {{"title", "Forbidden"}, {"message", "Help Center is not enabled for this account"}}}});
  return false;
}

bool SeesDrafts(const Ctx& c) { return c.is_admin(); }

void Articles(Ctx& c) {
  if (!Enabled(c)) return;
  const int64_t author = c.path.find("/users/") != std::string::npos ? c.ArgId(0) : 0;
  std::vector<size_t> idx;
  for (size_t i = 0; i < c.ds.articles.size(); ++i) {
    const Article& a = c.ds.articles[i];
    if (a.draft && !SeesDrafts(c)) continue;
    if (author && c.ds.users[a.author].id != author) continue;
    idx.push_back(i);
  }
  json out;
  size_t b = 0, e = 0;
  if (WantsCbp(c.req)) {
    CbpRequest r;
    if (auto err = ParseCbp(c.req, 30, 100, &r)) return SendHttpError(c, *err);
    auto keyfn = [&](size_t k) { return Key{c.ds.articles[idx[k]].id, 0}; };
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
    if (auto err = ParseObp(c.req, 30, 100, &r)) return SendHttpError(c, *err);
    b = std::min(idx.size(), static_cast<size_t>(r.page - 1) * r.per_page);
    e = std::min(idx.size(), b + r.per_page);
    AddObpMeta(out, c.req, c.base, c.path, r, idx.size());
    out["page"] = r.page;
    out["per_page"] = r.per_page;
    out["page_count"] = (idx.size() + r.per_page - 1) / r.per_page;
  }
  json arr = json::array();
  for (size_t k = b; k < e; ++k) arr.push_back(ArticleJson(c.ds, c.ds.articles[idx[k]], c.base));
  out["articles"] = std::move(arr);
  SendJson(c, 200, out);
}

void IncrementalArticles(Ctx& c) {
  if (!Enabled(c)) return;
  auto st = ParamInt(c, "start_time");
  if (!st) return SendJson(c, 400, {{"error", {{"title", "Invalid"}, {"message", "start_time is required"}}}});
  const int per_page = 100;
  std::vector<size_t> idx;
  for (size_t i = 0; i < c.ds.articles.size(); ++i) {
    const Article& a = c.ds.articles[i];
    if (a.updated_at >= *st && (!a.draft || SeesDrafts(c))) idx.push_back(i);
  }
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    const Article &x = c.ds.articles[a], &y = c.ds.articles[b];
    return x.updated_at != y.updated_at ? x.updated_at < y.updated_at : x.id < y.id;
  });
  size_t e = std::min(idx.size(), static_cast<size_t>(per_page));
  while (e < idx.size() && e > 0 && c.ds.articles[idx[e]].updated_at == c.ds.articles[idx[e - 1]].updated_at) ++e;
  json arr = json::array();
  for (size_t k = 0; k < e; ++k) arr.push_back(ArticleJson(c.ds, c.ds.articles[idx[k]], c.base));
  int64_t end_time = e ? c.ds.articles[idx[e - 1]].updated_at : *st;
  const bool more = e < idx.size();
  if (more && e && c.ds.articles[idx[0]].updated_at == end_time) ++end_time;
  json next = more ? json(c.base + c.path + ".json?start_time=" + std::to_string(end_time)) : json(nullptr);
  SendJson(c, 200, {{"count", e}, {"next_page", next}, {"end_time", end_time}, {"articles", std::move(arr)}});
}

}  // namespace

void RegisterHelpCenterRoutes(Router& r) {
  r.Add("GET", R"(/api/v2/help_center/articles)", Access::kAgent, Articles);
  r.Add("GET", R"(/api/v2/help_center/[a-z]{2}(?:-[a-z]{2})?/articles)", Access::kAgent, Articles);
  r.Add("GET", R"(/api/v2/help_center/users/(\d+)/articles)", Access::kAgent, Articles);
  r.Add("GET", R"(/api/v2/help_center/incremental/articles)", Access::kAgent, IncrementalArticles);
}

}  // namespace zdsim
