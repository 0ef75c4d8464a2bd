// Ticket activity from the incremental ticket event export.
//
// Why this endpoint (reference §6): every ticket change — creation, field
// change, comment, deletion — is one event carrying `updater_id` (-1 for the
// system: triggers and automations), archived tickets included, 1,000 events a
// request, filterable by time. The cost of a backfill is therefore
// ceil(events in the window / 1000) requests on the incremental bucket
// (10/min; 30/min with High Volume): 50,000 updates → 50 requests → 5 min;
// 2,000,000 → 2,000 requests → 200 min at 10/min, 67 min at 30/min. The
// account-wide audit list (100 a page, no time filter, oldest first, no
// archived tickets) costs ceil(all non-archived audits / 100) on the account
// budget instead; see README "Usage sync arithmetic" for when it wins.
//
// Newest first: the window is split into the last 7 days and the older
// part; the source is registered twice — the recent part runs before every
// other source, the older part after them all — so the last 7 days are
// complete (sign-ins, articles, deletions included) early in a long backfill. Each chunk is a
// time-based walk start_time → end_time; the checkpoint keeps, per chunk, the
// next start_time and the ids of events at that exact second (the next page
// repeats them), committed atomically with the page's activity: a killed sync
// resumes without losing or double counting an event.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "sync/source.h"

namespace sk::sync {
namespace {

struct Chunk {
  UnixTime from = 0;
  std::optional<UnixTime> to;  // null: open-ended (follows the present)
  UnixTime next = 0;
  std::set<int64_t> boundary;
  bool done = false;
};

nlohmann::json ToJson(const std::vector<Chunk>& chunks) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& c : chunks) {
    nlohmann::json j = {{"from", c.from}, {"next", c.next}, {"boundary", c.boundary}, {"done", c.done}};
    j["to"] = c.to ? nlohmann::json(*c.to) : nlohmann::json(nullptr);
    a.push_back(j);
  }
  return {{"chunks", a}};
}

std::vector<Chunk> FromJson(const nlohmann::json& j) {
  std::vector<Chunk> out;
  for (const auto& c : j.value("chunks", nlohmann::json::array())) {
    Chunk ch;
    ch.from = c.value("from", int64_t{0});
    if (c.contains("to") && c["to"].is_number()) ch.to = c["to"].get<int64_t>();
    ch.next = c.value("next", ch.from);
    for (const auto& id : c.value("boundary", nlohmann::json::array())) ch.boundary.insert(id.get<int64_t>());
    ch.done = c.value("done", false);
    out.push_back(std::move(ch));
  }
  return out;
}

bool IsDeletion(const zendesk::TicketEvent& e) {
  for (const auto& c : e.children)
    if (c.event_type == "Change" && c.field_name == "status" && c.value == "deleted") return true;
  return false;
}

class TicketEventsSource final : public Source {
 public:
  explicit TicketEventsSource(bool recent) : recent_(recent) {}
  const char* name() const override { return recent_ ? "ticket_events" : "ticket_events_backfill"; }
  bool Available(const SyncContext&, std::string*) const override { return true; }

  Status Run(SyncContext& ctx) override {
    const std::string key = "usage:ticket_events";
    SK_ASSIGN_OR_RETURN(auto saved, ctx.store->GetCheckpoint(ctx.conn.account, key));
    std::vector<Chunk> chunks;
    if (saved) {
      auto j = nlohmann::json::parse(*saved, nullptr, false);
      if (!j.is_discarded()) chunks = FromJson(j);
    }
    if (chunks.empty()) {
      UnixTime split = std::max(ctx.window_start, ctx.zone.StartOf(ctx.today - 6));
      chunks.push_back({split, std::nullopt, split, {}, false});
      if (ctx.window_start < split) chunks.push_back({ctx.window_start, split, ctx.window_start, {}, false});
    } else {
      UnixTime earliest = chunks.front().from;
      for (const auto& c : chunks) earliest = std::min(earliest, c.from);
      if (ctx.window_start < earliest) chunks.push_back({ctx.window_start, earliest, ctx.window_start, {}, false});
    }

    int64_t pages = 0, records = 0;
    double events_per_second = 0;  // observed density, for the ETA
    for (size_t i = 0; i < chunks.size(); ++i) {
      Chunk& c = chunks[i];
      if (c.to.has_value() == recent_) continue;  // the other part's chunk
      while (!c.done) {
        if (c.next > ctx.now - 60) break;  // Zendesk refuses start_time within the last minute
        SK_ASSIGN_OR_RETURN(auto page, ctx.client->TicketEvents(c.next));
        ++pages;
        std::map<std::pair<int64_t, DayNumber>, store::ActivityDelta> activity;
        store::Page out;
        UnixTime new_next = page.items.empty() ? c.next : std::max(page.end_time, c.next);
        std::set<int64_t> new_boundary;
        if (new_next == c.next) new_boundary = c.boundary;
        for (const auto& e : page.items) {
          if (e.timestamp == new_next) new_boundary.insert(e.id);
          if (e.timestamp < c.next || (e.timestamp == c.next && c.boundary.count(e.id))) continue;  // repeat
          if (e.timestamp < c.from || (c.to && e.timestamp >= *c.to)) continue;
          ++records;
          if (e.updater_id <= 0) continue;  // Zendesk itself (triggers, automations)
          if (ctx.IsOwnWrite(e.updater_id, e.ticket_id, e.timestamp)) continue;
          DayNumber day = ctx.zone.DayOf(e.timestamp);
          if (IsDeletion(e)) {
            store::ActivityDelta d{e.updater_id, day, store::Kind::kTicket, 1,
                                   {"deleted:" + std::to_string(e.ticket_id)}};
            out.once.push_back({"deleted:" + std::to_string(e.ticket_id), d});
            continue;
          }
          auto& a = activity[{e.updater_id, day}];
          a.user_id = e.updater_id;
          a.day = day;
          a.kind = store::Kind::kTicket;
          a.count += 1;
          if (a.evidence.size() < 5) a.evidence.push_back("event:" + std::to_string(e.id));
        }
        for (auto& [k, a] : activity) out.activity.push_back(std::move(a));
        if (!page.items.empty() && page.end_time > c.next) {
          double span = static_cast<double>(page.end_time - c.next);
          events_per_second = static_cast<double>(page.items.size()) / std::max(span, 1.0);
        }
        bool past_end = c.to && new_next >= *c.to;
        if (!page.end_of_stream && !past_end && new_next == c.next && !page.items.empty())
          return BadResponse("the ticket event export did not advance past start_time " + std::to_string(c.next) +
                             " (more events share one second than a page holds)");
        c.next = new_next;
        c.boundary = std::move(new_boundary);
        if (past_end || (c.to && page.end_of_stream)) c.done = true;
        out.checkpoints[key] = ToJson(chunks).dump();
        SK_RETURN_IF_ERROR(ctx.store->ApplyPage(ctx.conn.account, out, ctx.now));
        ReportProgress(ctx, chunks, pages, records, events_per_second);
        if (page.end_of_stream || page.items.empty()) break;  // an empty page ends the walk too
      }
    }
    return Status::Ok();
  }

 private:
  bool recent_;
  static void ReportProgress(const SyncContext& ctx, const std::vector<Chunk>& chunks, int64_t pages,
                             int64_t records, double eps) {
    double total = 0, left = 0;
    for (const auto& c : chunks) {
      UnixTime end = c.to.value_or(ctx.now);
      total += static_cast<double>(std::max<UnixTime>(end - c.from, 0));
      if (!c.done) left += static_cast<double>(std::max<UnixTime>(end - c.next, 0));
    }
    Progress p;
    p.phase = "ticket events";
    p.pages = pages;
    p.records = records;
    p.fraction = total > 0 ? 1.0 - left / total : 1.0;
    if (eps > 0) {
      double pages_left = left * eps / 1000.0;
      double per_minute = ctx.incremental_per_minute * ctx.conn.api_budget / 100.0;
      p.eta_seconds = pages_left / std::max(per_minute, 0.1) * 60.0;
    }
    ctx.Report(p);
  }
};

}  // namespace

std::unique_ptr<Source> MakeTicketEventsSource(bool recent) { return std::make_unique<TicketEventsSource>(recent); }

}  // namespace sk::sync
