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
// Tickets the audit list leaves out (reference §6.4, §6.6): archived ones (the
// archiving age is not fixed: 120 days, sooner on busy accounts, 3 days on
// sandboxes) and, as recorded, soft-deleted ones. The walk notes every ticket
// it saw an audit of. When it is done, the incremental ticket export from the
// walk's start lists every ticket touched since (archived and deleted
// included; about one request per 1,000 tickets on the export bucket); the
// stretches of time where a ticket the walk did not see was alive become
// export chunks that count only the events of unseen tickets. The walk and
// these chunks count disjoint tickets, so nothing is counted twice; an
// account whose audit list hides nothing costs just the ticket export pages.
// A ticket hidden while the walk was reading it (archived or deleted during
// the walk) was seen, so its audits after that moment are not read: that
// window is the walk's duration and the tickets closed or deleted in it.
// Where the ticket export is refused, the days the walk read are reported as
// not fully seen (coverage:ticket_activity) instead.
//
// Whether the walk pays (issue #19): each hidden stretch costs at least one
// export page however short it is, so on an account where deletions are
// frequent (more than about one per 1,000 events, the bench's 5 % of tickets
// alive for hours to days) the stretches cover the whole walk's part and the
// export reads it all anyway, after the ticket export's scan and on top of
// the walk (large bench account: 25,920 audit pages + 335 scan pages + 2,138
// event pages, 4.1 h on Enterprise, against 2,131 event pages, 3.6 h, for the
// export alone). So the walk waits until the first export pages have been read
// (kPlanSamplePages, or the recent days if fewer) and the plan is chosen on the
// request cost per bucket (reference §6.7): from that sample, the share r of
// the walk's part the hidden stretches would make the export read again
// (deletions per export page and their lifetimes, Poisson coverage), the
// scan's pages S, and the share x of the walk's part the walk would read
// before meeting the export (the two buckets' record rates). The walk runs iff
// it saves export pages: (1 - r) * x * P > S, P the export pages of its part.
// Otherwise the export reads the walk's part in full and the walk never
// starts. Either plan counts every update exactly once; only the price
// differs. The choice is saved with the walk's checkpoint (a resume keeps
// it); SEATKEEPER_TICKET_ACTIVITY_PLAN=walk|export forces it (tests, diagnosis).
//
// Checkpoints: the export's chunks (usage:ticket_events) and the walk's cursor
// and position (usage:ticket_audits) are committed atomically with the
// activity of the pages they account for, a batch of pages at a time (see
// kWalkCommitRecords); a killed sync resumes at the last batch.
// Nothing is counted twice: the export claims a day only while the walk has
// not reached it, and the walk counts only audits before the export's lowest
// claim.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "store/domain.h"
#include "sync/coverage.h"
#include "sync/source.h"

namespace sk::sync {
namespace {

constexpr char kChunksKey[] = "usage:ticket_events";
constexpr char kWalkKey[] = "usage:ticket_audits";
// The tickets the walk saw, saved with each walk commit (not with export pages).
constexpr char kSeenKey[] = "usage:ticket_audits_seen";
// The audit list is complete only for days no archived ticket can touch.
constexpr int kArchiveGuardDays = 119;
// Export pages read before choosing whether the walk pays (the walk waits for them).
constexpr int64_t kPlanSamplePages = 10;
// Transactions: activity is summed per (user, day, kind) over a batch of
// pages before it is written, so a user-day is upserted once per batch instead
// of once per page, with one commit (issue #19: the store was 82 % of the
// large first sync's CPU with one transaction per export page). A batch ends
// where the export crosses a day boundary of the account's zone once it holds
// kExportDayBatchRecords events (every day on a large account, about 24
// pages: a day is complete in the store as soon as it is read; several days
// on a small one; at 40,000, every second day, the large first sync took 8 %
// less CPU, 26.0 s against 28.2, but a huge account's first sync peaked at
// 96.8 to 103.9 MB of RSS against 90.2: see bench/RESULTS.md, session 18),
// after kExportCommitRecords events or kWalkCommitRecords
// audits (200 walk pages), and at the end of a chunk or of the source. Batches end at the
// same places whether or not the sync was resumed (a resume starts at the
// last batch's end). A batch stores exactly what its pages (an export page, a
// walk step of 100 audits) would one at a time, evidence ids and their order
// included: each once-only delta (a deletion) records where its page ended
// among its row's ids (store::Page::Once::at). SEATKEEPER_TICKET_ACTIVITY_BATCH=N
// ends every batch after N records instead (tests: 1 commits every page).
constexpr int64_t kWalkCommitRecords = 20000;
constexpr int64_t kExportDayBatchRecords = 20000;
// A batch holds its (user, day, kind) rows in about 112 bytes each (evidence
// ids as kind and number; Commit makes them text a row at a time, and the
// store's sum points at those strings): it was about 480 with the ids as
// strings. A 20-day huge first sync peaked at 84.5 and 96.7 MB of RSS with
// this at 50,000 events (116.6 and 107.8 MB before; the peak varies by run);
// at 100,000 or 200,000 it peaked at 106 MB (the commit still holds the
// batch as text), so a huge day, about 118,000 events, is still written in
// three commits. At 50,000 a large account's days (about 22,000 events) stay
// whole.
constexpr int64_t kExportCommitRecords = 50000;

struct Chunk {
  UnixTime from = 0;
  std::optional<UnixTime> to;  // null: open-ended (follows the present)
  UnixTime next = 0;
  std::set<int64_t> boundary;
  bool done = false;
  bool caught_up = false;  // this run: the open chunk reached the present (not saved)
  // Inside the walk's part: counts only the events of tickets the walk did not see.
  bool hidden_only = false;
};

// Ticket ids (Zendesk's are small per-account sequence numbers): a bitmap,
// saved as alternating gap and run lengths.
class TicketIdSet {
 public:
  void Insert(int64_t id) {
    if (id < 0) return;
    if (id >= kBitmapLimit) {
      large_.insert(id);
      return;
    }
    const auto i = static_cast<size_t>(id);
    if (i >= bits_.size()) bits_.resize(std::max(i + 1, bits_.size() * 2));
    bits_[i] = true;
  }
  bool Contains(int64_t id) const {
    if (id < 0) return false;
    if (id >= kBitmapLimit) return large_.count(id) > 0;
    const auto i = static_cast<size_t>(id);
    return i < bits_.size() && bits_[i];
  }
  nlohmann::json ToJson() const {
    nlohmann::json runs = nlohmann::json::array();
    int64_t prev_end = 0;
    for (size_t i = 0; i < bits_.size();) {
      if (!bits_[i]) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < bits_.size() && bits_[j]) ++j;
      runs.push_back(static_cast<int64_t>(i) - prev_end);
      runs.push_back(static_cast<int64_t>(j - i));
      prev_end = static_cast<int64_t>(j);
      i = j;
    }
    return {{"runs", runs}, {"large", large_}};
  }
  static TicketIdSet FromJson(const nlohmann::json& j) {
    TicketIdSet s;
    const auto runs = j.value("runs", nlohmann::json::array());
    int64_t at = 0;
    for (size_t k = 0; k + 1 < runs.size(); k += 2) {
      at += runs[k].get<int64_t>();
      const int64_t n = runs[k + 1].get<int64_t>();
      for (int64_t id = at; id < at + n; ++id) s.Insert(id);
      at += n;
    }
    for (const auto& id : j.value("large", nlohmann::json::array())) s.Insert(id.get<int64_t>());
    return s;
  }

 private:
  static constexpr int64_t kBitmapLimit = int64_t{1} << 28;
  std::vector<bool> bits_;
  std::set<int64_t> large_;
};

// The search for tickets the walk did not see, once the walk is done.
struct HiddenScan {
  bool done = false;
  std::string cursor;   // the ticket export's next page (empty: from the walk's start)
  std::string refused;  // the ticket export was refused: why (the walk's days are not fully seen)
  // Set once the cursor export was refused: the time-based export's next start_time.
  std::optional<UnixTime> time_start;
  UnixTime read_to = 0;  // the latest change time read so far (where the time-based export resumes)
  int64_t tickets = 0;  // hidden tickets found
  std::vector<std::pair<UnixTime, UnixTime>> spans;  // merged [from, to) where they were alive

  void Add(UnixTime from, UnixTime to) {
    spans.push_back({from, to});
    std::sort(spans.begin(), spans.end());
    std::vector<std::pair<UnixTime, UnixTime>> merged;
    for (const auto& sp : spans) {
      if (!merged.empty() && sp.first <= merged.back().second)
        merged.back().second = std::max(merged.back().second, sp.second);
      else
        merged.push_back(sp);
    }
    spans = std::move(merged);
  }
  nlohmann::json ToJson() const {
    nlohmann::json sp = nlohmann::json::array();
    for (const auto& [a, b] : spans) sp.push_back({a, b});
    nlohmann::json j = {{"done", done},       {"cursor", cursor},   {"refused", refused},
                        {"read_to", read_to}, {"tickets", tickets}, {"spans", sp}};
    if (time_start) j["time_start"] = *time_start;
    return j;
  }
  static HiddenScan FromJson(const nlohmann::json& j) {
    HiddenScan h;
    h.done = j.value("done", false);
    h.cursor = j.value("cursor", "");
    h.refused = j.value("refused", "");
    if (j.contains("time_start") && j["time_start"].is_number_integer())
      h.time_start = j["time_start"].get<UnixTime>();
    h.read_to = j.value("read_to", UnixTime{0});
    h.tickets = j.value("tickets", int64_t{0});
    for (const auto& sp : j.value("spans", nlohmann::json::array()))
      h.spans.push_back({sp[0].get<int64_t>(), sp[1].get<int64_t>()});
    return h;
  }
};

// The cursor ticket export refused outright (400, 403, 404, 410, 422), not
// failing for a while: how its withdrawal for third parties would look.
bool CursorExportWithdrawn(const Status& s) {
  const Code c = s.code();
  return c == Code::kForbidden || c == Code::kNotFound || c == Code::kInvalidRecord;
}

bool IsDeletion(const std::vector<zendesk::ChildEvent>& children) {
  for (const auto& c : children)
    if (c.event_type == "Change" && c.field_name == "status" && c.value == "deleted") return true;
  return false;
}

bool IsCreation(const std::vector<zendesk::ChildEvent>& children) {
  for (const auto& c : children)
    if (c.event_type == "Create") return true;
  return false;
}

// What the first export pages show about the account, for choosing the plan.
struct PlanSample {
  int64_t pages = 0;
  int64_t events = 0, creations = 0, deletions = 0;
  UnixTime first = 0, last = 0;
  std::map<int64_t, UnixTime> created;  // tickets created in the sample
  int64_t lives = 0;                    // deleted tickets created in the sample
  double life_seconds = 0;              // their summed lifetimes

  // The counters only: a resumed sync goes on sampling where it stopped.
  nlohmann::json ToJson() const {
    return {{"pages", pages}, {"events", events}, {"creations", creations}, {"deletions", deletions},
            {"first", first}, {"last", last},     {"lives", lives},         {"life_seconds", life_seconds}};
  }
  static PlanSample FromJson(const nlohmann::json& j) {
    PlanSample s;
    s.pages = j.value("pages", int64_t{0});
    s.events = j.value("events", int64_t{0});
    s.creations = j.value("creations", int64_t{0});
    s.deletions = j.value("deletions", int64_t{0});
    s.first = j.value("first", UnixTime{0});
    s.last = j.value("last", UnixTime{0});
    s.lives = j.value("lives", int64_t{0});
    s.life_seconds = j.value("life_seconds", 0.0);
    return s;
  }

  void Add(const zendesk::TicketEvent& e) {
    ++events;
    if (!first || e.timestamp < first) first = e.timestamp;
    last = std::max(last, e.timestamp);
    if (IsCreation(e.children)) {
      ++creations;
      created.emplace(e.ticket_id, e.timestamp);
    }
    if (IsDeletion(e.children)) {
      ++deletions;
      if (auto it = created.find(e.ticket_id); it != created.end()) {
        ++lives;
        life_seconds += static_cast<double>(e.timestamp - it->second);
      }
    }
  }
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
  TicketIdSet seen;                // tickets the walk read an audit of
  bool tracks_seen = false;        // false for a walk saved before `seen` existed
  std::optional<HiddenScan> scan;  // started once the walk is done
  // "" until chosen, "walk", or "export" (the export reads the walk's part).
  std::string plan;
  std::string plan_why;  // how it was chosen
  PlanSample sample;     // the export pages read while the plan is open
  // The export reads the walk's part: the audit list is refused, or the walk does not pay.
  bool by_export() const { return off || plan == "export"; }
  bool active() const { return planned && !done && !by_export() && plan == "walk"; }
  bool scan_pending() const {
    return planned && done && !by_export() && tracks_seen && (!scan || !scan->done);
  }
};

// The walk's checkpoint (kWalkKey): these fields by name, a missing one
// keeps Walk's default; the hidden scan and the seen tickets apart.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Walk, cursor, low, last_t, last_id, done, off, export_records,
                                                walk_records, tracks_seen, plan, plan_why)

struct State {
  std::vector<Chunk> chunks;
  Walk walk;

  // The walk's exclusive upper bound: the lowest export claim at or above its start.
  UnixTime WalkUntil() const {
    std::optional<UnixTime> u;
    for (const auto& c : chunks)
      if (!c.hidden_only && c.from >= walk.low && (!u || c.from < *u)) u = c.from;
    return u.value_or(walk.low);
  }

  // With `with_seen`, the walk's seen tickets too (every walk commit has them).
  std::map<std::string, std::string> Checkpoints(bool with_seen = false) const {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& c : chunks) {
      nlohmann::json j = {{"from", c.from}, {"next", c.next}, {"boundary", c.boundary}, {"done", c.done}};
      j["to"] = c.to ? nlohmann::json(*c.to) : nlohmann::json(nullptr);
      if (c.hidden_only) j["hidden_only"] = true;
      a.push_back(j);
    }
    std::map<std::string, std::string> out{{kChunksKey, nlohmann::json{{"chunks", a}}.dump()}};
    if (walk.planned) {
      nlohmann::json j = walk;
      if (walk.scan) j["hidden_scan"] = walk.scan->ToJson();
      if (walk.plan.empty()) j["sample"] = walk.sample.ToJson();
      out[kWalkKey] = j.dump();
      if (with_seen) out[kSeenKey] = walk.seen.ToJson().dump();
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
    ch.hidden_only = c.value("hidden_only", false);
    out.push_back(std::move(ch));
  }
  return out;
}

Walk WalkFromJson(const nlohmann::json& j) {
  Walk w = j.get<Walk>();
  w.planned = true;
  if (j.contains("sample") && j["sample"].is_object()) w.sample = PlanSample::FromJson(j["sample"]);
  // Saved before the plan existed: a walk already under way goes on.
  if (w.plan.empty() && (w.done || w.walk_records > 0 || w.last_t > 0)) w.plan = "walk";
  if (j.contains("hidden_scan") && j["hidden_scan"].is_object())
    w.scan = HiddenScan::FromJson(j["hidden_scan"]);
  return w;
}

// The plan from the override, else from the sample; `why` says how it was chosen.
std::string ChoosePlan(const PlanSample& s, UnixTime walk_from, UnixTime walk_until, UnixTime now,
                       double export_per_min, double walk_per_min, std::string* why) {
  if (const char* forced = std::getenv("SEATKEEPER_TICKET_ACTIVITY_PLAN"); forced && *forced) {
    const std::string f = forced;
    if (f == "walk" || f == "export") {
      *why = "SEATKEEPER_TICKET_ACTIVITY_PLAN=" + f;
      return f;
    }
    if (f != "auto")
      spdlog::warn("SEATKEEPER_TICKET_ACTIVITY_PLAN={} is not walk, export or auto: ignored", f);
  }
  if (s.events < 100 || s.last <= s.first) {
    *why = "too few events to estimate (the walk as before)";
    return "walk";
  }
  const double rate = static_cast<double>(s.events) / static_cast<double>(s.last - s.first);  // events/s
  const double page_s = 1000.0 / rate;
  const double part_pages =
      rate * static_cast<double>(std::max<UnixTime>(walk_until - walk_from, 0)) / 1000.0;
  const double per_page = static_cast<double>(s.deletions) / static_cast<double>(s.events) * 1000.0;
  const double life = s.lives ? s.life_seconds / static_cast<double>(s.lives) : 0.0;
  // Share of the walk's part under a hidden stretch (joined within one page).
  const double r = 1.0 - std::exp(-per_page * (1.0 + life / page_s));
  // The scan lists every ticket touched since the walk's start, 1,000 a page.
  const double scan = 1.0 + static_cast<double>(s.creations) / static_cast<double>(s.events) * rate *
                                static_cast<double>(std::max<UnixTime>(now - walk_from, 0)) / 1000.0;
  // The walk reads ~100 audits a request, the export 1,000 events; one audit per event.
  const double x = walk_per_min * 100.0 / (walk_per_min * 100.0 + export_per_min * 1000.0);
  const double saved = (1.0 - r) * x * part_pages;
  *why = fmt::format(
      "{:.2f} deletions per export page living {:.1f} h: hidden stretches would cover {:.0f} % of the "
      "walk's part ({:.0f} export pages, {:.0f} % of it walked); the walk saves {:.0f} export pages, "
      "finding hidden tickets costs {:.0f}",
      per_page, life / 3600.0, r * 100.0, part_pages, x * 100.0, saved, scan);
  return saved > scan ? "walk" : "export";
}

// What in an update a light agent cannot do (reference §5.2: light agents
// view tickets and add private comments only): a public comment, a ticket
// created or deleted, a field change by the updater (not by a trigger acting
// within the update). A comment whose visibility is not given counts as public.
bool FullAgentWork(const std::vector<zendesk::ChildEvent>& children) {
  for (const auto& c : children) {
    if (c.by_rule) continue;
    if (c.event_type == "Create" || c.event_type == "Change") return true;
    if ((c.event_type == "Comment" || c.event_type == "VoiceComment") && c.is_public.value_or(true))
      return true;
    if (c.is_public.value_or(false))
      return true;  // comment_public on another child (export without the sideload)
  }
  return false;
}

// The users an update assigns a ticket to (Create or Change of assignee_id).
std::vector<int64_t> Assignees(const std::vector<zendesk::ChildEvent>& children) {
  std::vector<int64_t> out;
  for (const auto& c : children) {
    if ((c.event_type != "Create" && c.event_type != "Change") || c.field_name != "assignee_id") continue;
    int64_t id = 0;
    const auto [p, ec] = std::from_chars(c.value.data(), c.value.data() + c.value.size(), id);
    if (ec == std::errc() && id > 0) out.push_back(id);
  }
  return out;
}

// What an evidence id of ticket activity names ("<name>:<id>", EvidenceId).
enum class EvidenceKind : uint8_t { kAssigned, kEvent, kAudit };
const char* EvidenceKindName(EvidenceKind k) {
  switch (k) {
    case EvidenceKind::kAssigned:
      return "assigned";
    case EvidenceKind::kEvent:
      return "event";
    case EvidenceKind::kAudit:
      return "audit";
  }
  return "";
}

// One page's worth of ticket activity, the same for events and audits.
class ActivityPage {
 public:
  explicit ActivityPage(const SyncContext& ctx) : ctx_(ctx) {}

  // One ticket update (an export event or an audit) by `updater` at `t`,
  // with its child events.
  void Add(int64_t updater, int64_t ticket_id, UnixTime t, const std::vector<zendesk::ChildEvent>& children,
           EvidenceKind evidence_kind, int64_t id) {
    const DayNumber day = ctx_.zone.DayOf(t);
    // A ticket assigned to someone, whoever assigned it, is work for a full agent's seat.
    for (int64_t assignee : Assignees(children))
      Note(assignee, day, Kind::kFullAgentWork, EvidenceKind::kAssigned, ticket_id);
    if (updater <= 0) return;  // Zendesk itself (triggers, automations)
    if (ctx_.IsOwnWrite(updater, ticket_id, t)) return;
    const bool deletion = IsDeletion(children);
    if (deletion || FullAgentWork(children)) Note(updater, day, Kind::kFullAgentWork, evidence_kind, id);
    if (deletion) {
      std::string key = EvidenceId("deleted", ticket_id);
      page_.once.push_back({key, store::ActivityDelta{updater, day, store::Kind::kTicket, 1, {key}}});
      return;
    }
    Note(updater, day, Kind::kTicket, evidence_kind, id);
  }

  // Adds `next` after this page's activity; its once-only deltas keep their
  // place after `next`'s ids of their row, so that applying the two as one
  // page stores what applying them one after the other does.
  void Merge(ActivityPage&& next) {
    for (auto& o : next.page_.once) {
      const auto k = std::make_tuple(o.delta.user_id, o.delta.day, o.delta.kind);
      const auto mine = activity_.find(k);
      const auto theirs = next.activity_.find(k);
      const size_t before = mine == activity_.end() ? 0 : mine->second.ids;
      const size_t in_next = theirs == next.activity_.end() ? 0 : theirs->second.ids;
      o.at = before + std::min(o.at, in_next);
    }
    for (auto& [k, r] : next.activity_) {
      auto [it, inserted] = activity_.try_emplace(k, r);
      if (inserted) continue;
      it->second.count += r.count;
      for (size_t i = 0; i < r.ids; ++i) it->second.AddEvidence(r.kind[i], r.id[i]);
    }
    for (auto& o : next.page_.once) page_.once.push_back(std::move(o));
  }

  // Writes the rows' evidence ids as text one row at a time, freeing each
  // compact row as its text one is made, so that the batch is not held in
  // both forms at once.
  Status Commit(const State& state, bool with_seen = false) {
    page_.activity.reserve(page_.activity.size() + activity_.size());
    for (auto it = activity_.begin(); it != activity_.end(); it = activity_.erase(it)) {
      const auto& [user, day, kind] = it->first;
      const Row& r = it->second;
      auto& a = page_.activity.emplace_back(store::ActivityDelta{user, day, kind, r.count, {}});
      a.evidence.reserve(r.ids);
      for (size_t i = 0; i < r.ids; ++i)
        a.evidence.push_back(EvidenceId(EvidenceKindName(r.kind[i]), r.id[i]));
    }
    page_.checkpoints = state.Checkpoints(with_seen);
    return ctx_.store->ApplyPage(ctx_.conn.account, page_, ctx_.now);
  }

 private:
  const SyncContext& ctx_;
  using Kind = store::Kind;
  // A (user, day, kind) row: its count and its first evidence ids as (kind,
  // id) pairs. A batch holds a huge account's day of them, about 110 bytes a
  // row in the map; with the ids as strings it was about 480.
  struct Row {
    int64_t count = 0;
    uint8_t ids = 0;  // evidence ids kept
    std::array<EvidenceKind, store::domain::kEvidenceCap> kind{};
    std::array<int64_t, store::domain::kEvidenceCap> id{};
    void AddEvidence(EvidenceKind k, int64_t i) {
      if (ids == store::domain::kEvidenceCap) return;
      kind[ids] = k;
      id[ids] = i;
      ++ids;
    }
  };
  void Note(int64_t user, DayNumber day, Kind kind, EvidenceKind evidence_kind, int64_t id) {
    Row& r = activity_[{user, day, kind}];
    r.count += 1;
    r.AddEvidence(evidence_kind, id);
  }

  std::map<std::tuple<int64_t, DayNumber, Kind>, Row> activity_;
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
    if (const char* n = std::getenv("SEATKEEPER_TICKET_ACTIVITY_BATCH"); n && *n) {
      int64_t records = 0;
      const auto [end, ec] = std::from_chars(n, n + std::strlen(n), records);
      if (ec == std::errc() && *end == '\0' && records > 0)
        walk_batch_ = export_day_batch_ = export_batch_ = records;
    }
    if (state.walk.active())
      spdlog::debug(
          "ticket activity: export {:.0f} requests/min, audit walk {:.0f} requests/min (account limit {})",
          export_per_min, walk_per_min, ctx.account_limit_per_minute());

    while (true) {
      SK_RETURN_IF_ERROR(MaybeChoosePlan(ctx, state, export_per_min, walk_per_min, /*now=*/false));
      // Seconds of each bucket's budget the records read so far took.
      const double export_clock = static_cast<double>(state.walk.export_records) / 1000.0 * export_s_;
      const double walk_clock = static_cast<double>(state.walk.walk_records) / 100.0 * walk_s_;
      const bool walk_turn = state.walk.active() && walk_clock < export_clock;
      Chunk* chunk = walk_turn ? nullptr : NextExportChunk(ctx, state, recent_);
      if (chunk) {
        SK_RETURN_IF_ERROR(ExportPage(ctx, state, *chunk));
      } else if (state.walk.active() && (walk_turn || !recent_)) {
        SK_RETURN_IF_ERROR(WalkStep(ctx, state));
      } else if (!recent_ && state.walk.scan_pending()) {
        SK_RETURN_IF_ERROR(HiddenScanStep(ctx, state));
      } else if (PlanPending(state)) {
        // Nothing more to sample: choose with what was read.
        SK_RETURN_IF_ERROR(MaybeChoosePlan(ctx, state, export_per_min, walk_per_min, /*now=*/true));
      } else {
        break;
      }
      ReportProgress(ctx, state);
    }
    SK_RETURN_IF_ERROR(FlushPending(state));
    if ((walk_pages_ > 0 || scan_pages_ > 0) && !state.walk.off) {
      ctx.audit_walk = {state.walk.low, state.walk.done ? state.WalkUntil() : state.walk.last_t};
      if (state.walk.scan && state.walk.scan->done) {
        HiddenTickets h;
        h.tickets = state.walk.scan->tickets;
        h.refused = state.walk.scan->refused;
        for (const auto& c : state.chunks)
          if (c.hidden_only) h.read.push_back({c.from, *c.to});
        ctx.audit_walk_hidden = std::move(h);
      }
    }
    if (state.walk.off) ctx.audit_walk_off = true;
    if (state.walk.planned && !state.walk.off && state.walk.plan == "export")
      ctx.audit_walk_skipped = state.walk.plan_why;
    if (!recent_) return SaveCoverage(ctx, state);
    return Status::Ok();
  }

 private:
  bool recent_;
  double export_s_ = 6, walk_s_ = 0.1;
  int64_t pages_ = 0, records_ = 0, walk_pages_ = 0, scan_pages_ = 0;
  // The audit page being consumed (not saved: a resume fetches it again from
  // the walk's cursor and skips what was counted).
  struct {
    std::vector<zendesk::TicketAudit> items;
    size_t pos = 0;
    bool loaded = false;
    bool has_more = false;
    std::string after;
  } buf_;
  // Activity read and not committed yet (both streams), with the state it
  // brings the checkpoints to; see kWalkCommitRecords.
  std::optional<ActivityPage> pending_;
  int64_t pending_records_ = 0;         // walk audits in it
  int64_t pending_export_records_ = 0;  // export events in it
  bool pending_walk_ = false;           // holds walk activity: committed with the walk's seen tickets
  // Batch ends (records); SEATKEEPER_TICKET_ACTIVITY_BATCH sets all three.
  int64_t walk_batch_ = kWalkCommitRecords, export_day_batch_ = kExportDayBatchRecords,
          export_batch_ = kExportCommitRecords;
  double events_per_second_ = 0;  // observed export density, for the ETA

  static bool PlanPending(const State& state) {
    const Walk& w = state.walk;
    return w.planned && !w.done && !w.off && w.plan.empty();
  }

  // Chooses between the walk and the export for the walk's part, once the
  // sample is read (or `now`, or when forced), and commits the choice.
  Status MaybeChoosePlan(const SyncContext& ctx, State& state, double export_per_min, double walk_per_min,
                         bool now) {
    if (!PlanPending(state)) return Status::Ok();
    const char* forced = std::getenv("SEATKEEPER_TICKET_ACTIVITY_PLAN");
    const bool is_forced = forced && (std::string(forced) == "walk" || std::string(forced) == "export");
    if (!now && !is_forced && state.walk.sample.pages < kPlanSamplePages) return Status::Ok();
    Walk& w = state.walk;
    w.plan =
        ChoosePlan(w.sample, w.low, state.WalkUntil(), ctx.now, export_per_min, walk_per_min, &w.plan_why);
    // Debug: the reason is in `sync --json` (ticket_audits.skipped); errors stay one short block.
    spdlog::debug("ticket activity: {} ({})",
                  w.plan == "walk" ? "the audit walk reads the older days"
                                   : "the ticket event export reads the older days, without the audit walk",
                  w.plan_why);
    return CommitState(ctx, state);
  }

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
      SK_ASSIGN_OR_RETURN(auto seen, ctx.store->GetCheckpoint(ctx.conn.account, kSeenKey));
      if (seen) {
        auto sj = nlohmann::json::parse(*seen, nullptr, false);
        if (sj.is_object()) state.walk.seen = TicketIdSet::FromJson(sj);
      }
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
        state.walk.tracks_seen = true;
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
      if (state.walk.by_export()) {
        from = state.walk.low;
      } else {
        from = std::max(state.walk.low, ctx.zone.StartOf(ctx.zone.DayOf(until) - 1));
        if (state.walk.last_t >= from) from = until;  // the walk is already there
      }
      if (from < until) {
        state.chunks.push_back({from, until, from, {}, false});
        if (state.walk.by_export() && from == state.walk.low) state.walk.done = true;  // nothing left for it
        return &state.chunks.back();
      }
    }
    for (auto& c : state.chunks)
      if (c.to && has_work(c) && (!best || c.from > best->from)) best = &c;
    return best;
  }

  // One page of the event export: its activity joins the batch (committed
  // with the checkpoints it brings, see kWalkCommitRecords).
  Status ExportPage(SyncContext& ctx, State& state, Chunk& c) {
    SK_ASSIGN_OR_RETURN(auto page, ctx.client->TicketEvents(c.next));
    ++pages_;
    ActivityPage out(ctx);
    UnixTime new_next = page.items.empty() ? c.next : std::max(page.end_time, c.next);
    std::set<int64_t> new_boundary;
    if (new_next == c.next) new_boundary = c.boundary;
    std::vector<const zendesk::TicketEvent*> counted;
    counted.reserve(page.items.size());
    for (const auto& e : page.items) {
      if (e.timestamp == new_next) new_boundary.insert(e.id);
      if (e.timestamp < c.next || (e.timestamp == c.next && c.boundary.count(e.id))) continue;  // repeat
      if (e.timestamp < c.from || (c.to && e.timestamp >= *c.to)) continue;
      if (c.hidden_only && state.walk.seen.Contains(e.ticket_id)) continue;  // the walk counted it
      counted.push_back(&e);
      out.Add(e.updater_id, e.ticket_id, e.timestamp, e.children, EvidenceKind::kEvent, e.id);
    }
    bool past_end = c.to && new_next >= *c.to;
    if (!page.end_of_stream && !past_end && new_next == c.next && !page.items.empty())
      return BadResponse("the ticket event export did not advance past start_time " + std::to_string(c.next) +
                         " (more events share one second than a page holds)");
    if (PlanPending(state)) {
      ++state.walk.sample.pages;
      for (const auto* e : counted) state.walk.sample.Add(*e);
    }
    records_ += static_cast<int64_t>(counted.size());
    state.walk.export_records += static_cast<int64_t>(counted.size());
    if (!page.items.empty() && page.end_time > c.next) {
      double span = static_cast<double>(page.end_time - c.next);
      events_per_second_ = static_cast<double>(page.items.size()) / std::max(span, 1.0);
    }
    const bool new_day = ctx.zone.DayOf(new_next) != ctx.zone.DayOf(c.next);
    c.next = new_next;
    c.boundary = std::move(new_boundary);
    if (past_end || (c.to && page.end_of_stream)) c.done = true;
    if (!c.to && (page.end_of_stream || page.items.empty())) {
      c.caught_up = true;
      ctx.ticket_events_read_until = ctx.now - 60;  // everything older was exported
    }
    if (c.to && !c.done && page.items.empty()) c.done = true;  // an empty page ends the walk too
    Batch(ctx).Merge(std::move(out));
    pending_export_records_ += static_cast<int64_t>(counted.size());
    if ((new_day && pending_export_records_ >= export_day_batch_) || c.done || c.caught_up ||
        pending_export_records_ >= export_batch_)
      return FlushPending(state);
    return Status::Ok();
  }

  // Consumes the next 100 audits of the list (one page's worth, whatever the
  // pages hold: a repeated or short page does not shift the alternation).
  // Walk activity joins the batch (kWalkCommitRecords), committed at the end
  // of the walk too: each commit carries both checkpoints.
  Status WalkStep(SyncContext& ctx, State& state) {
    Walk& w = state.walk;
    ActivityPage& batch = Batch(ctx);
    ActivityPage step(ctx);  // a page of the batch, like an export page
    pending_walk_ = true;
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
            return CommitState(ctx, state);
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
      w.seen.Insert(a.ticket_id);
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
      step.Add(a.author_id, a.ticket_id, a.created_at, a.events, EvidenceKind::kAudit, a.id);
    }
    batch.Merge(std::move(step));
    // A fully read page moves the cursor on, so a resume does not fetch it again.
    if (!w.done && buf_.loaded && buf_.pos == buf_.items.size()) NextWalkPage(w);
    pending_records_ += consumed;
    if (w.done || pending_records_ >= walk_batch_) return FlushPending(state);
    return Status::Ok();
  }

  // One page of the incremental ticket export from the walk's start: notes
  // where tickets the walk did not see were alive inside its part. At the end
  // of the export, those stretches become hidden_only export chunks.
  Status HiddenScanStep(SyncContext& ctx, State& state) {
    Walk& w = state.walk;
    if (!w.scan) w.scan.emplace();
    HiddenScan& h = *w.scan;
    const UnixTime until = state.WalkUntil();
    auto page = h.time_start
                    ? ctx.client->IncrementalTickets(*h.time_start)
                    : ctx.client->IncrementalTicketsCursor(
                          h.cursor.empty() ? std::optional<UnixTime>(w.low) : std::nullopt, h.cursor);
    if (!page.ok() && !h.time_start && CursorExportWithdrawn(page.status())) {
      // The time-based export from where the cursor pages got to (a ticket
      // read twice only widens a stretch already noted).
      spdlog::warn("the cursor-based ticket export was refused ({}); reading the time-based export instead",
                   page.status().message());
      h.time_start = std::max(w.low, h.read_to);
      h.cursor.clear();
      return CommitState(ctx, state);
    }
    if (!page.ok()) {
      if (page.status().code() != Code::kForbidden) return page.status();
      spdlog::warn(
          "the ticket export is not available ({}): activity on tickets the audit list leaves out (archived "
          "or deleted) between {} and {} cannot be seen; the usage coverage says so",
          page.status().message(), FormatIso(w.low), FormatIso(until));
      h.refused = "the incremental ticket export was refused: " + page.status().message();
      h.done = true;
      return CommitState(ctx, state);
    }
    ++pages_;
    ++scan_pages_;
    for (const auto& t : page->items) {
      if (w.seen.Contains(t.id)) continue;
      const UnixTime last = std::max(t.updated_at, t.generated_timestamp.value_or(t.updated_at));
      h.read_to = std::max(h.read_to, last);
      const UnixTime from = std::max(t.created_at, w.low), to = std::min(last + 1, until);
      if (from >= to) continue;
      ++h.tickets;
      h.Add(from, to);
    }
    if (page->end_of_stream || page->items.empty()) {
      h.done = true;
      AddHiddenChunks(state);
    } else if (h.time_start) {
      if (page->end_time <= *h.time_start)
        return BadResponse("the ticket export has more pages but no later end_time");
      h.time_start = page->end_time;
    } else {
      if (page->after_cursor.empty() || page->after_cursor == h.cursor)
        return BadResponse("the ticket export has more pages but no new cursor");
      h.cursor = page->after_cursor;
    }
    return CommitState(ctx, state);
  }

  // The hidden tickets' stretches as export chunks; stretches closer than
  // about one export page of events are read as one.
  void AddHiddenChunks(State& state) const {
    const HiddenScan& h = *state.walk.scan;
    const double per_page_s = events_per_second_ > 0 ? 1000.0 / events_per_second_ : 86400.0;
    const auto join = static_cast<UnixTime>(std::clamp(per_page_s, 3600.0, 7 * 86400.0));
    std::vector<std::pair<UnixTime, UnixTime>> spans;
    for (const auto& sp : h.spans) {
      if (!spans.empty() && sp.first - spans.back().second < join)
        spans.back().second = sp.second;
      else
        spans.push_back(sp);
    }
    for (const auto& [from, to] : spans) {
      Chunk c{from, to, from, {}, false};
      c.hidden_only = true;
      state.chunks.push_back(std::move(c));
    }
    spdlog::info(
        "ticket activity: {} tickets the audit list left out, read from the ticket event export in {} parts",
        h.tickets, spans.size());
  }

  // What each day of the window was read from, and what could not be seen.
  Status SaveCoverage(SyncContext& ctx, const State& state) const {
    using Span = std::pair<UnixTime, UnixTime>;
    std::vector<Span> events, hidden, audits;
    for (const auto& c : state.chunks) {
      UnixTime end = c.done && c.to ? *c.to : c.next;
      if (!c.to && ctx.ticket_events_read_until) end = std::max(end, *ctx.ticket_events_read_until);
      if (end > c.from) (c.hidden_only ? hidden : events).push_back({c.from, end});
    }
    const Walk& w = state.walk;
    std::string audits_unseen;
    if (w.planned && !w.by_export() && (w.done || w.last_t > 0)) {
      audits.push_back({w.low, w.done ? state.WalkUntil() : std::max(w.low, w.last_t)});
      if (!w.tracks_seen)
        audits_unseen =
            "activity on tickets the audit list leaves out (archived or soft-deleted): this walk "
            "was read before seatkeeper looked for them";
      else if (w.scan && !w.scan->refused.empty())
        audits_unseen =
            "activity on tickets the audit list leaves out (archived or soft-deleted): " + w.scan->refused;
      else if (!w.scan || !w.scan->done)
        audits_unseen =
            "activity on tickets the audit list leaves out (archived or soft-deleted): not looked for yet";
    }
    auto hits = [](const std::vector<Span>& v, UnixTime a, UnixTime b) {
      for (const auto& [f, t] : v)
        if (f < b && t > a) return true;
      return false;
    };
    std::vector<DayCoverage> out;
    for (DayNumber d = ctx.first_day; d <= ctx.today; ++d) {
      const UnixTime a = ctx.zone.StartOf(d), b = std::min(ctx.zone.StartOf(d + 1), ctx.now);
      DayCoverage day;
      day.day = d;
      if (hits(events, a, b)) day.sources.push_back("ticket_events");
      if (hits(audits, a, b)) day.sources.push_back("ticket_audits");
      if (hits(hidden, a, b)) day.sources.push_back("ticket_events:hidden_tickets");
      if (hits(audits, a, b) && !audits_unseen.empty()) day.unseen.push_back(audits_unseen);
      // Parts of the day no source read.
      std::vector<Span> all = events;
      all.insert(all.end(), audits.begin(), audits.end());
      std::sort(all.begin(), all.end());
      UnixTime at = a;
      for (const auto& [f, t] : all) {
        if (t <= at || f >= b) continue;
        if (f > at) break;
        at = t;
      }
      if (at < b) {
        if (b == ctx.now && at >= ctx.now - 3600)
          day.pending = "ticket activity after " + FormatIso(at) +
                        " (Zendesk exports hold back the last minute): the next sync reads it";
        else
          day.unseen.push_back("ticket activity from " + FormatIso(at) + " not read yet");
      }
      out.push_back(std::move(day));
    }
    SK_RETURN_IF_ERROR(StoreCoverage(*ctx.store, ctx.conn.account, out));
    ctx.coverage = std::move(out);
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

  // The batch, started when empty.
  ActivityPage& Batch(const SyncContext& ctx) {
    if (!pending_) pending_.emplace(ctx);
    return *pending_;
  }

  // Commits the batch with the state's checkpoints, if there is one.
  Status FlushPending(const State& state) {
    if (!pending_) return Status::Ok();
    Status st = pending_->Commit(state, /*with_seen=*/pending_walk_);
    pending_.reset();
    pending_records_ = 0;
    pending_export_records_ = 0;
    pending_walk_ = false;
    return st;
  }

  // Commits the state's checkpoints now, with the batch if there is one.
  Status CommitState(const SyncContext& ctx, const State& state) {
    if (pending_) return FlushPending(state);
    return ActivityPage(ctx).Commit(state);
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
