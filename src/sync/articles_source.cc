// Help Center articles from GET /help_center/incremental/articles
// (reference §8): articles changed since start_time, drafts included, with
// `author_id` and `created_at`. An article is creation activity of its author
// on the day it was created; the once-only key "article:<id>" keeps an
// article that changes again from counting twice. Cost: ceil(articles changed
// since the checkpoint / page size) requests on the Help Center bucket.
#include <nlohmann/json.hpp>

#include "sync/source.h"

namespace sk::sync {
namespace {

class ArticlesSource final : public Source {
 public:
  const char* name() const override { return "articles"; }
  bool Available(const SyncContext& ctx, std::string* why) const override {
    auto caps = nlohmann::json::parse(ctx.conn.capabilities_json, nullptr, false);
    if (caps.is_object() && caps.value("help_center", true) == false) {
      *why = caps.value("help_center_reason", std::string("Help Center is not readable with this connection"));
      return false;
    }
    return true;
  }

  Status Run(SyncContext& ctx) override {
    const std::string key = "usage:articles";
    SK_ASSIGN_OR_RETURN(auto saved, ctx.store->GetCheckpoint(ctx.conn.account, key));
    UnixTime start = ctx.window_start;
    if (saved && std::stoll(*saved) > ctx.window_start) start = std::stoll(*saved);
    int64_t pages = 0, records = 0;
    while (start <= ctx.now - 60) {
      SK_ASSIGN_OR_RETURN(auto page, ctx.client->IncrementalArticles(start));
      ++pages;
      store::Page out;
      for (const auto& a : page.items) {
        ++records;
        if (!a.author_id || *a.author_id <= 0 || a.created_at < ctx.window_start) continue;
        store::ActivityDelta d{*a.author_id, ctx.zone.DayOf(a.created_at), store::Kind::kArticle, 1,
                               {"article:" + std::to_string(a.id)}};
        out.once.push_back({"article:" + std::to_string(a.id), d});
      }
      UnixTime next = page.end_time > start ? page.end_time : start;
      out.checkpoints[key] = std::to_string(next);
      SK_RETURN_IF_ERROR(ctx.store->ApplyPage(ctx.conn.account, out, ctx.now));
      ctx.Report({"articles", pages, records, page.end_of_stream ? 1.0 : 0.5, -1});
      if (page.end_of_stream || page.items.empty() || next == start) break;
      start = next;
    }
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<Source> MakeArticlesSource() { return std::make_unique<ArticlesSource>(); }

}  // namespace sk::sync
