// Ticket activity: who created, changed, commented on or deleted a ticket, when.
//
// Two Zendesk endpoints tell it, at very different prices (reference §6.3,
// §6.4, §11):
// - the incremental ticket event export: 1,000 events a request, filtered by
//   time, archived and deleted tickets included, on the incremental bucket of
//   10 requests a minute (30 with High Volume / Enterprise Plus);
// - the account-wide audit list /ticket_audits: 100 audits a request, oldest
//   first, no time filter, archived tickets excluded, on the account budget
//   (400-2,500 a minute by plan).
// A first sync drains both buckets at once on different parts of the window.
// The export reads newest first: the last 7 days before every other source
// (so recent days are complete early), later one day at a time further back.
// The audit walk reads oldest first, from the start of the non-archived
// history. They meet in between; every moment of the window is read by
// exactly one of them. Requests alternate by each bucket's pace (a virtual
// clock per stream advancing by the share of a request each record read
// costs), so the mix is what the limits make fastest, identical with or
// without limits in force, and the same after a resume.
//
// Arithmetic, 2,000,000 updates in 90 days on Enterprise (700/min): the export
// alone needs 2,000 requests at 10/min = 200 min. The walk adds ~670 requests
// = 67,000 audits a minute, so the window plus the non-archived audits before
// it (about 30 more days) is read in about 35 minutes; the last 7 days still
// come from the export alone (155 requests at 10/min = 15.5 min).
//
// Archived tickets (closed for 120 days) are missing from the audit list, so
// the walk only owns the last 119 days; an older part of the window is read by
// the export. A token without the global `read` scope gets 403 from the audit
// list before the walk read anything: the walk is switched off and the export
// reads its part.
//
// Checkpoints: the export's chunks (usage:ticket_events) and the walk's cursor
// and position (usage:ticket_audits) are committed with every page of either,
// atomically with the page's activity; a killed sync resumes exactly there.
// Nothing is counted twice: the export claims a day only while the walk has
// not reached it, and the walk counts only audits before the export's lowest
// claim.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "sync/source.h"

namespace sk::sync {
namespace {

constexpr char kChunksKey[] = "usage:ticket_events";
constexpr char kWalkKey[] = "usage:ticket_audits";
// The audit list is complete only for days no archived ticket can touch.
constexpr int kArchiveGuardDays = 119;
// Audits per walk transaction (200 pages; every export page commits the walk's
// batch first, too): fewer upserts of the same user-day and fewer commits, at
// most 200 pages re-read after a kill.
constexpr int64_t kWalkCommitRecords = 20000;

struct Chunk {
  UnixTime from = 0;
  std::optional<UnixTime> to;  // null: open-ended (follows the present)
  UnixTime next = 0;
  std::set<int64_t> boundary;
  bool done = false;
  bool caught_up = false;  // this run: the open chunk reached the present (not saved)
};

struct Walk {
  bool planned = false;  // this backfill has a walk
  bool done = false;
  bool off = false;  // the audit list is not available to this connection
  std::string cursor;
  UnixTime low = 0;     // counts audits with low <= created_at < the export's lowest claim
  UnixTime last_t = 0;  // position: the last audit read (0: none yet)
  int64_t last_id = 0;
  // Records each stream has read so far. They drive the alternation (not
  // requests or time), so a resumed sync makes the same choices as an
  // uninterrupted one and the two streams meet at the same moment.
  int64_t export_records = 0;
  int64_t walk_records = 0;
  bool active() const { return planned && !done && !off; }
};

struct State {
  std::vector<Chunk> chunks;
  Walk walk;

  // The walk's exclusive upper bound: the lowest export claim at or above its start.
  UnixTime WalkUntil() const {
    std::optional<UnixTime> u;
    for (const auto& c : chunks)
      if (c.from >= walk.low && (!u || c.from < *u)) u = c.from;
    return u.value_or(walk.low);
  }

  std::map<std::string, std::string> Checkpoints() const {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& c : chunks) {
      nlohmann::json j = {{"from", c.from}, {"next", c.next}, {"boundary", c.boundary}, {"done", c.done}};
      j["to"] = c.to ? nlohmann::json(*c.to) : nlohmann::json(nullptr);
      a.push_back(j);
    }
    std::map<std::string, std::string> out{{kChunksKey, nlohmann::json{{"chunks", a}}.dump()}};
    if (walk.planned) {
      out[kWalkKey] = nlohmann::json{{"cursor", walk.cursor},
                                     {"low", walk.low},
                                     {"last_t", walk.last_t},
                                     {"last_id", walk.last_id},
                                     {"done", walk.done},
                                     {"off", walk.off},
                                     {"export_records", walk.export_records},
                                     {"walk_records", walk.walk_records}}
                          .dump();
    }
    return out;
  }
};

std::vector<Chunk> ChunksFromJson(const nlohmann::json& j) {
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

Walk WalkFromJson(const nlohmann::json& j) {
  Walk w;
  w.planned = true;
  w.cursor = j.value("cursor", "");
  w.low = j.value("low", int64_t{0});
  w.last_t = j.value("last_t", int64_t{0});
  w.last_id = j.value("last_id", int64_t{0});
  w.done = j.value("done", false);
  w.off = j.value("off", false);
  w.export_records = j.value("export_records", int64_t{0});
  w.walk_records = j.value("walk_records", int64_t{0});
  return w;
}

bool IsDeletion(const std::vector<zendesk::ChildEvent>& children) {
  for (const auto& c : children)
    if (c.event_type == "Change" && c.field_name == "status" && c.value == "deleted") return true;
  return false;
}

// One page's worth of ticket activity, the same for events and audits.
class ActivityPage {
 public:
  explicit ActivityPage(const SyncContext& ctx) : ctx_(ctx) {}

  // One ticket update (an export event or an audit) by `updater` at `t`.
  void Add(int64_t updater, int64_t ticket_id, UnixTime t, bool deletion, const char* evidence_kind,
           int64_t id) {
    if (updater <= 0) return;  // Zendesk itself (triggers, automations)
    if (ctx_.IsOwnWrite(updater, ticket_id, t)) return;
    DayNumber day = ctx_.zone.DayOf(t);
    if (deletion) {
      std::string key = "deleted:" + std::to_string(ticket_id);
      page_.once.push_back({key, store::ActivityDelta{updater, day, store::Kind::kTicket, 1, {key}}});
      return;
    }
    auto& a = activity_[{updater, day}];
    a.user_id = updater;
    a.day = day;
    a.kind = store::Kind::kTicket;
    a.count += 1;
    if (a.evidence.size() < 5) a.evidence.push_back(std::string(evidence_kind) + ":" + std::to_string(id));
  }

  Status Commit(const State& state) {
    for (auto& [k, a] : activity_) page_.activity.push_back(std::move(a));
    page_.checkpoints = state.Checkpoints();
    return ctx_.store->ApplyPage(ctx_.conn.account, page_, ctx_.now);
  }

 private:
  const SyncContext& ctx_;
  std::map<std::pair<int64_t, DayNumber>, store::ActivityDelta> activity_;
  store::Page page_;
};

class TicketActivitySource final : public Source {
 public:
  explicit TicketActivitySource(bool recent) : recent_(recent) {}
  const char* name() const override { return recent_ ? "ticket_activity" : "ticket_activity_backfill"; }
  bool Available(const SyncContext&, std::string*) const override { return true; }

  Status Run(SyncContext& ctx) override {
    SK_ASSIGN_OR_RETURN(State state, Load(ctx));
    const double budget = std::clamp(ctx.conn.api_budget, 1, 100) / 100.0;
    const double export_per_min = std::max(0.1, ctx.incremental_per_minute * budget);
    // The walk leaves the export its share of the account limit, and a few requests a minute for others.
    const double walk_per_min =
        std::max(1.0, static_cast<double>(ctx.account_limit_per_minute()) * std::min(budget, 0.98) -
                          export_per_min - 5);
    export_s_ = 60.0 / export_per_min;
    walk_s_ = 60.0 / walk_per_min;
    if (state.walk.active())
      spdlog::debug(
          "ticket activity: export {:.0f} requests/min, audit walk {:.0f} requests/min (account limit {})",
          export_per_min, walk_per_min, ctx.account_limit_per_minute());

    while (true) {
      // Seconds of each bucket's budget the records read so far took.
      const double export_clock = static_cast<double>(state.walk.export_records) / 1000.0 * export_s_;
      const double walk_clock = static_cast<double>(state.walk.walk_records) / 100.0 * walk_s_;
      const bool walk_turn = state.walk.active() && walk_clock < export_clock;
      Chunk* chunk = walk_turn ? nullptr : NextExportChunk(ctx, state, recent_);
      if (chunk) {
        SK_RETURN_IF_ERROR(ExportPage(ctx, state, *chunk));
      } else if (state.walk.active() && (walk_turn || !recent_)) {
        SK_RETURN_IF_ERROR(WalkStep(ctx, state));
      } else {
        break;
      }
      ReportProgress(ctx, state);
    }
    SK_RETURN_IF_ERROR(FlushPending(state));
    if (walk_pages_ > 0 && !state.walk.off)
      ctx.audit_walk = {state.walk.low, state.walk.done ? state.WalkUntil() : state.walk.last_t};
    if (state.walk.off) ctx.audit_walk_off = true;
    return Status::Ok();
  }

 private:
  bool recent_;
  double export_s_ = 6, walk_s_ = 0.1;
  int64_t pages_ = 0, records_ = 0, walk_pages_ = 0;
  // The audit page being consumed (not saved: a resume fetches it again from
  // the walk's cursor and skips what was counted).
  struct {
    std::vector<zendesk::TicketAudit> items;
    size_t pos = 0;
    bool loaded = false;
    bool has_more = false;
    std::string after;
  } buf_;
  std::optional<ActivityPage> pending_;  // walk activity not committed yet
  int64_t pending_records_ = 0;
  double events_per_second_ = 0;  // observed export density, for the ETA

  static Result<State> Load(const SyncContext& ctx) {
    State state;
    SK_ASSIGN_OR_RETURN(auto saved, ctx.store->GetCheckpoint(ctx.conn.account, kChunksKey));
    if (saved) {
      auto j = nlohmann::json::parse(*saved, nullptr, false);
      if (!j.is_discarded()) state.chunks = ChunksFromJson(j);
    }
    SK_ASSIGN_OR_RETURN(auto walk, ctx.store->GetCheckpoint(ctx.conn.account, kWalkKey));
    if (walk && !state.chunks.empty()) {
      auto j = nlohmann::json::parse(*walk, nullptr, false);
      if (j.is_object()) state.walk = WalkFromJson(j);
    }
    if (state.chunks.empty()) {
      // First sync: the last 7 days for the export; older days by the walk
      // within the archive guard, by the export before it.
      UnixTime split = std::max(ctx.window_start, ctx.zone.StartOf(ctx.today - 6));
      state.chunks.push_back({split, std::nullopt, split, {}, false});
      UnixTime low = std::max(ctx.window_start, ctx.zone.StartOf(ctx.today - kArchiveGuardDays + 1));
      if (ctx.window_start < low)
        state.chunks.push_back({ctx.window_start, low, ctx.window_start, {}, false});
      if (low < split) {
        state.walk.planned = true;
        state.walk.low = low;
      }
      return state;
    }
    // A longer window than before: the export reads the added days.
    UnixTime earliest = state.chunks.front().from;
    for (const auto& c : state.chunks) earliest = std::min(earliest, c.from);
    if (state.walk.planned) earliest = std::min(earliest, state.walk.low);
    if (ctx.window_start < earliest)
      state.chunks.push_back({ctx.window_start, earliest, ctx.window_start, {}, false});
    return state;
  }

  // The chunk the export reads next: the open one in the recent phase; in the
  // backfill, an unfinished claim, else a newly claimed day (or, without a
  // walk, the whole rest), else the part before the archive guard.
  static Chunk* NextExportChunk(const SyncContext& ctx, State& state, bool recent) {
    auto has_work = [&](const Chunk& c) { return !c.done && !c.caught_up && c.next <= ctx.now - 60; };
    Chunk* best = nullptr;
    for (auto& c : state.chunks) {
      if (c.to.has_value() == false) {
        // The open chunk is the recent phase's (it ran to the present just before).
        if (recent && has_work(c)) return &c;
        continue;
      }

      if (has_work(c) && c.from >= state.walk.low && (!best || c.from > best->from)) best = &c;
    }
    if (recent) return nullptr;  // the recent phase reads the open chunk only
    if (best) return best;
    if (state.walk.planned && !state.walk.done) {
      UnixTime until = state.WalkUntil();
      UnixTime from = until;
      if (state.walk.off) {
        from = state.walk.low;
      } else {
        from = std::max(state.walk.low, ctx.zone.StartOf(ctx.zone.DayOf(until) - 1));
        if (state.walk.last_t >= from) from = until;  // the walk is already there
      }
      if (from < until) {
        state.chunks.push_back({from, until, from, {}, false});
        if (state.walk.off && from == state.walk.low) state.walk.done = true;  // nothing left for it
        return &state.chunks.back();
      }
    }
    for (auto& c : state.chunks)
      if (c.to && has_work(c) && (!best || c.from > best->from)) best = &c;
    return best;
  }

  Status ExportPage(SyncContext& ctx, State& state, Chunk& c) {
    // Walk activity first: this page's commit will carry the walk's position too.
    SK_RETURN_IF_ERROR(FlushPending(state));
    SK_ASSIGN_OR_RETURN(auto page, ctx.client->TicketEvents(c.next));
    ++pages_;
    ActivityPage out(ctx);
    UnixTime new_next = page.items.empty() ? c.next : std::max(page.end_time, c.next);
    std::set<int64_t> new_boundary;
    if (new_next == c.next) new_boundary = c.boundary;
    for (const auto& e : page.items) {
      if (e.timestamp == new_next) new_boundary.insert(e.id);
      if (e.timestamp < c.next || (e.timestamp == c.next && c.boundary.count(e.id))) continue;  // repeat
      if (e.timestamp < c.from || (c.to && e.timestamp >= *c.to)) continue;
      ++records_;
      ++state.walk.export_records;
      out.Add(e.updater_id, e.ticket_id, e.timestamp, IsDeletion(e.children), "event", e.id);
    }
    if (!page.items.empty() && page.end_time > c.next) {
      double span = static_cast<double>(page.end_time - c.next);
      events_per_second_ = static_cast<double>(page.items.size()) / std::max(span, 1.0);
    }
    bool past_end = c.to && new_next >= *c.to;
    if (!page.end_of_stream && !past_end && new_next == c.next && !page.items.empty())
      return BadResponse("the ticket event export did not advance past start_time " + std::to_string(c.next) +
                         " (more events share one second than a page holds)");
    c.next = new_next;
    c.boundary = std::move(new_boundary);
    if (past_end || (c.to && page.end_of_stream)) c.done = true;
    if (!c.to && (page.end_of_stream || page.items.empty())) c.caught_up = true;
    if (c.to && !c.done && page.items.empty()) c.done = true;  // an empty page ends the walk too
    return out.Commit(state);
  }

  // Consumes the next 100 audits of the list (one page's worth, whatever the
  // pages hold: a repeated or short page does not shift the alternation).
  // Walk activity is committed every kWalkCommitRecords audits, before any
  // export page, and at the end: each commit carries both checkpoints.
  Status WalkStep(SyncContext& ctx, State& state) {
    Walk& w = state.walk;
    if (!pending_) pending_.emplace(ctx);
    const UnixTime until = state.WalkUntil();
    int consumed = 0;
    while (consumed < 100 && !w.done) {
      if (!buf_.loaded) {
        auto page = ctx.client->TicketAudits(w.cursor, 100);
        if (!page.ok()) {
          if (page.status().code() == Code::kForbidden && w.last_t == 0) {
            // No `read` scope (or not allowed): the export reads the walk's part.
            spdlog::info(
                "the account-wide audit list is not available ({}); ticket activity comes from the ticket "
                "event export alone",
                page.status().message());
            w.off = true;
            return FlushPending(state);
          }
          return page.status();
        }
        ++pages_;
        ++walk_pages_;
        buf_.items = std::move(page->items);
        buf_.pos = 0;
        buf_.loaded = true;
        buf_.has_more = page->has_more;
        buf_.after = page->after_cursor;
        if (buf_.has_more && (buf_.after.empty() || buf_.after == w.cursor))
          return BadResponse("the audit list has more pages but no new cursor");
      }
      if (buf_.pos == buf_.items.size()) {
        NextWalkPage(w);
        continue;
      }
      const zendesk::TicketAudit& a = buf_.items[buf_.pos++];
      if (a.created_at < w.last_t || (a.created_at == w.last_t && a.id <= w.last_id)) continue;  // repeat
      if (a.created_at >= until) {
        w.done = true;  // oldest first: everything before the export's part is read
        spdlog::debug("audit walk: met the export at {}", FormatIso(until));
        break;
      }
      ++consumed;
      w.last_t = a.created_at;
      w.last_id = a.id;
      ++w.walk_records;
      if (a.created_at < w.low) continue;
      ++records_;
      pending_->Add(a.author_id, a.ticket_id, a.created_at, IsDeletion(a.events), "audit", a.id);
    }
    // A fully read page moves the cursor on, so a resume does not fetch it again.
    if (!w.done && buf_.loaded && buf_.pos == buf_.items.size()) NextWalkPage(w);
    pending_records_ += consumed;
    if (w.done || pending_records_ >= kWalkCommitRecords) return FlushPending(state);
    return Status::Ok();
  }

  // After the buffered page: the next one, or the end of the list.
  void NextWalkPage(Walk& w) {
    if (!buf_.has_more) {
      w.done = true;
      spdlog::debug("audit walk: end of the list at {}", FormatIso(w.last_t));
      return;
    }
    w.cursor = buf_.after;
    buf_.loaded = false;
  }

  Status FlushPending(const State& state) {
    if (!pending_) return Status::Ok();
    Status st = pending_->Commit(state);
    pending_.reset();
    pending_records_ = 0;
    return st;
  }

  void ReportProgress(const SyncContext& ctx, const State& state) const {
    double total = 0, left = 0;
    for (const auto& c : state.chunks) {
      UnixTime end = c.to.value_or(ctx.now);
      total += static_cast<double>(std::max<UnixTime>(end - c.from, 0));
      if (!c.done) left += static_cast<double>(std::max<UnixTime>(end - c.next, 0));
    }
    if (state.walk.active()) {
      UnixTime until = state.WalkUntil();
      total += static_cast<double>(std::max<UnixTime>(until - state.walk.low, 0));
      left += static_cast<double>(std::max<UnixTime>(until - std::max(state.walk.last_t, state.walk.low), 0));
    }
    Progress p;
    p.phase = "ticket activity";
    p.pages = pages_;
    p.records = records_;
    p.fraction = total > 0 ? 1.0 - left / total : 1.0;
    if (events_per_second_ > 0) {
      // Both streams together read about export + walk records a minute.
      double per_minute = 1000.0 * 60.0 / export_s_ + (state.walk.active() ? 100.0 * 60.0 / walk_s_ : 0.0);
      p.eta_seconds = left * events_per_second_ / std::max(per_minute, 1.0) * 60.0;
    }
    ctx.Report(p);
  }
};

}  // namespace

std::unique_ptr<Source> MakeTicketActivitySource(bool recent) {
  return std::make_unique<TicketActivitySource>(recent);
}

}  // namespace sk::sync
