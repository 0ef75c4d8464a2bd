// Ticket deletions from GET /deleted_tickets (reference §6.5): who deleted
// which ticket when, for the last 30 days. The ticket event export reports
// the same deletions as a status change; both feed the once-only key
// "deleted:<ticket id>", so a deletion counts one ticket action for its actor
// whichever source sees it first. Cost: ceil(deleted tickets in 30 days / 100)
// requests on the deleted-tickets bucket (10/min), read in full each sync.
#include "sync/source.h"

namespace sk::sync {
namespace {

class DeletedTicketsSource final : public Source {
 public:
  const char* name() const override { return "deleted_tickets"; }
  bool Available(const SyncContext&, std::string*) const override { return true; }

  Status Run(SyncContext& ctx) override {
    std::string cursor;
    int64_t pages = 0, records = 0;
    do {
      SK_ASSIGN_OR_RETURN(auto page, ctx.client->DeletedTickets(cursor));
      ++pages;
      store::Page out;
      for (const auto& t : page.items) {
        ++records;
        if (!t.actor_id || *t.actor_id <= 0 || t.deleted_at < ctx.window_start) continue;
        if (ctx.IsOwnWrite(*t.actor_id, t.id, t.deleted_at)) continue;
        store::ActivityDelta d{*t.actor_id, ctx.zone.DayOf(t.deleted_at), store::Kind::kTicket, 1,
                               {"deleted:" + std::to_string(t.id)}};
        out.once.push_back({"deleted:" + std::to_string(t.id), d});
      }
      SK_RETURN_IF_ERROR(ctx.store->ApplyPage(ctx.conn.account, out, ctx.now));
      ctx.Report({"deleted tickets", pages, records, page.has_more ? 0.5 : 1.0, -1});
      if (!page.has_more) break;
      if (page.after_cursor.empty() || page.after_cursor == cursor)
        return BadResponse("the deleted tickets list has more pages but no new cursor");
      cursor = page.after_cursor;
    } while (true);
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<Source> MakeDeletedTicketsSource() { return std::make_unique<DeletedTicketsSource>(); }

}  // namespace sk::sync
