// Ticket deletions from GET /deleted_tickets (reference §6.5): who deleted
// which ticket when, for the last 30 days. The ticket event export reports
// the same deletions as a status change; both feed the once-only key
// "deleted:<ticket id>", so a deletion counts one ticket action for its actor
// whichever source sees it first.
//
// The list is asked for newest deletion first (sort_by=deleted_at,
// sort_order=desc) on the deleted-tickets bucket (10 requests a minute), and
// a pass stops at the first page that reaches back past what it needs: the
// recent part (the last 7 days, before the long backfill) and then, from the
// same cursor, back to where the last complete pass started (an hour of
// overlap) or the window's start. A daily sync of a large account reads a
// page or two instead of the whole 30 days (53 pages, 5.3 minutes, on the
// bench's large account). Zendesk does not promise that every list honours a
// sort with cursor pagination: the pages' order is checked as they come, and
// a list that is not newest first is read to its end, as before.
//
// Checkpoint (usage:deleted_tickets), committed with each page's deletions:
// the pass in progress (its start, cursor and stop point) and the start of the
// last complete pass. Re-reading a page after a kill counts nothing twice.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "sync/source.h"

namespace sk::sync {
namespace {

constexpr char kKey[] = "usage:deleted_tickets";
// Deletions can show up in the list a little after their deleted_at.
constexpr UnixTime kOverlapSeconds = 3600;

struct Pass {
  UnixTime read_until = 0;    // start of the last complete pass (0: none)
  UnixTime window_start = 0;  // the window that pass covered
  UnixTime started = 0;       // the pass in progress (0: none)
  std::string cursor;         // its next page
  bool sorted = true;         // every deletion so far no newer than the one before
  UnixTime last_deleted_at = 0;

  // Reads the list from its newest deletion again.
  void FromTheTop() {
    cursor.clear();
    sorted = true;
    last_deleted_at = 0;
  }
  nlohmann::json ToJson() const {
    return {{"read_until", read_until}, {"window_start", window_start},
            {"started", started},       {"cursor", cursor},
            {"sorted", sorted},         {"last_deleted_at", last_deleted_at}};
  }
  static Pass FromJson(const nlohmann::json& j) {
    Pass p;
    p.read_until = j.value("read_until", UnixTime{0});
    p.window_start = j.value("window_start", UnixTime{0});
    p.started = j.value("started", UnixTime{0});
    p.cursor = j.value("cursor", "");
    p.sorted = j.value("sorted", true);
    p.last_deleted_at = j.value("last_deleted_at", UnixTime{0});
    return p;
  }
};

class DeletedTicketsSource final : public Source {
 public:
  explicit DeletedTicketsSource(bool recent) : recent_(recent) {}
  const char* name() const override { return recent_ ? "deleted_tickets" : "deleted_tickets_backfill"; }
  bool Available(const SyncContext&, std::string*) const override { return true; }

  Status Run(SyncContext& ctx) override {
    Pass pass;
    SK_ASSIGN_OR_RETURN(auto saved, ctx.store->GetCheckpoint(ctx.conn.account, kKey));
    if (saved) {
      auto j = nlohmann::json::parse(*saved, nullptr, false);
      if (j.is_object()) pass = Pass::FromJson(j);
    }
    // A longer window than the last complete pass covered: read it all again.
    if (pass.read_until && ctx.window_start < pass.window_start) pass.read_until = 0;
    if (pass.read_until >= ctx.now) return Status::Ok();  // completed earlier in this sync
    if (!pass.started) {
      pass.started = ctx.now;
      pass.FromTheTop();
    }
    const UnixTime floor =
        pass.read_until ? std::max(ctx.window_start, pass.read_until - kOverlapSeconds) : ctx.window_start;
    // The recent part: the last 7 days first, the rest after the backfill.
    const UnixTime stop = recent_ ? std::max(floor, ctx.zone.StartOf(ctx.today - 6)) : floor;

    // A resumed pass already read back past this stop: nothing to do here (a
    // pass reads each part in the same phase however often it is interrupted).
    if (pass.sorted && pass.last_deleted_at && pass.last_deleted_at < stop) return Status::Ok();

    int64_t pages = 0, records = 0;
    bool restarted = false;
    while (true) {
      auto fetched = ctx.client->DeletedTickets(pass.cursor);
      if (!fetched.ok() && !pass.cursor.empty() && !restarted &&
          fetched.status().code() == Code::kInvalidRecord) {
        // A saved cursor Zendesk no longer accepts (400): this pass starts over
        // from the newest deletion; once keys keep re-read pages from counting twice.
        spdlog::warn("deleted tickets: cursor rejected ({}); reading the list from the top",
                     fetched.status().message());
        restarted = true;
        pass.FromTheTop();
        continue;
      }
      SK_RETURN_IF_ERROR(fetched.status());
      auto& page = *fetched;
      ++pages;
      store::Page out;
      for (const auto& t : page.items) {
        ++records;
        if (pass.last_deleted_at && t.deleted_at > pass.last_deleted_at) pass.sorted = false;
        pass.last_deleted_at = t.deleted_at;
        if (!t.actor_id || *t.actor_id <= 0 || t.deleted_at < ctx.window_start) continue;
        if (ctx.IsOwnWrite(*t.actor_id, t.id, t.deleted_at)) continue;
        std::string key = EvidenceId("deleted", t.id);
        out.once.push_back(
            {key, {*t.actor_id, ctx.zone.DayOf(t.deleted_at), store::Kind::kTicket, 1, {key}}});
        // Deleting a ticket is beyond a light agent (store::Kind::kFullAgentWork).
        out.once.push_back(
            {"full_" + key,
             {*t.actor_id, ctx.zone.DayOf(t.deleted_at), store::Kind::kFullAgentWork, 1, {key}}});
      }
      if (page.has_more && (page.after_cursor.empty() || page.after_cursor == pass.cursor))
        return BadResponse("the deleted tickets list has more pages but no new cursor");
      // Newest first so far, and this page reached back past `stop`: the rest is older.
      const bool reached = pass.sorted && !page.items.empty() && pass.last_deleted_at < stop;
      const bool list_end = !page.has_more;
      bool complete = list_end || (reached && stop == floor);
      if (complete) {
        pass = Pass{pass.started, ctx.window_start};
      } else {
        pass.cursor = page.after_cursor;
      }
      out.checkpoints[kKey] = pass.ToJson().dump();
      SK_RETURN_IF_ERROR(ctx.store->ApplyPage(ctx.conn.account, out, ctx.now));
      ctx.Report({"deleted tickets", pages, records, complete || reached ? 1.0 : 0.5, -1});
      if (complete || reached) break;
    }
    return Status::Ok();
  }

 private:
  bool recent_;
};

}  // namespace

std::unique_ptr<Source> MakeDeletedTicketsSource(bool recent) {
  return std::make_unique<DeletedTicketsSource>(recent);
}

}  // namespace sk::sync
