// Planning of account activity: ticket lifecycles, sign-ins, articles and the
// events placed exactly on window edges.
#include <algorithm>

#include "dataset.h"
#include "util/time.h"

namespace zdsim {

void Dataset::BuildPools() {
  workers_.clear();
  light_.clear();
  requesters_.clear();
  authors_.clear();
  for (int32_t i = 0; i < static_cast<int32_t>(users.size()); ++i) {
    const User& u = users[i];
    if (!u.active || u.suspended) continue;
    if (u.license == License::kEndUser) {
      requesters_.push_back(i);
      continue;
    }
    if (i == admin) continue;  // the connecting admin does no ticket work
    if (u.activity == 0) continue;
    if (u.license == License::kAgent || u.license == License::kAdmin) {
      for (int k = 0; k < u.activity; ++k) workers_.push_back(i);
      authors_.push_back(i);
    } else if (u.license == License::kLightAgent) {
      light_.push_back(i);
    }
  }
  if (workers_.empty()) workers_.push_back(owner);
  if (requesters_.empty()) requesters_ = workers_;
  if (authors_.empty()) authors_.push_back(owner);
}

int32_t Dataset::PickWorker(Rng& rng) const { return workers_[rng.Below(workers_.size())]; }

void Dataset::PlanTickets(int64_t from, int64_t to, Rng& rng) {
  if (to <= from || opt_.tickets_per_day <= 0) return;
  const double expected = static_cast<double>(opt_.tickets_per_day) * static_cast<double>(to - from) / kDay;
  auto n = static_cast<int64_t>(expected);
  if (rng.Chance(expected - static_cast<double>(n))) ++n;
  std::vector<int64_t> times(static_cast<size_t>(n));
  for (auto& t : times) t = rng.Range(from, to);
  std::sort(times.begin(), times.end());
  pending_.reserve(pending_.size() + times.size() * 7);
  for (int64_t t0 : times) PlanTicket(t0, rng);
}

void Dataset::PlanTicket(int64_t t0, Rng& rng, int forced_actor) {
  Ticket t;
  t.id = static_cast<int64_t>(tickets.size()) + 1;
  t.created_at = t0;
  t.updated_at = t0;
  const auto ti = static_cast<int32_t>(tickets.size());
  t.requester = requesters_[rng.Below(requesters_.size())];
  auto ev = [&](int64_t at, EventKind kind, int32_t actor, uint8_t status_to, int32_t assignee_to, uint8_t flags,
                Via via) {
    pending_.push_back(Event{at, ti, actor, assignee_to, kNobody, kind, kNoChange, status_to, flags, via});
  };
  const auto r = forced_actor >= 0 ? 50 : rng.Below(100);
  int32_t assignee = kNobody;
  if (r < 45) {
    t.via = Via::kEmail;
    t.submitter = t.requester;
    ev(t0, EventKind::kCreate, t.requester, 0, kNobody, kComment | kPublic, Via::kEmail);
  } else if (r < 80) {
    t.via = Via::kWeb;
    assignee = forced_actor >= 0 ? forced_actor : PickWorker(rng);
    t.submitter = assignee;
    ev(t0, EventKind::kCreate, assignee, 1, assignee, kComment | kPublic, Via::kWeb);
  } else {
    t.via = Via::kApi;
    t.submitter = t.requester;
    ev(t0, EventKind::kCreate, t.requester, 0, kNobody, kComment | kPublic, Via::kApi);
  }
  tickets.push_back(t);
  if (forced_actor >= 0) return;  // edge tickets: creation only
  int64_t at = t0;
  if (assignee == kNobody) {
    at += rng.Range(60, 600);
    assignee = PickWorker(rng);
    ev(at, EventKind::kUpdate, kSystem, 1, assignee, 0, Via::kRule);  // trigger assigns and opens
  }
  const int rounds = static_cast<int>(rng.Range(0, 3));
  for (int i = 0; i < rounds; ++i) {
    at += rng.Range(30 * 60, 36 * kHour);
    ev(at, EventKind::kUpdate, assignee, 2, kNoChange32, kComment | kPublic, Via::kWeb);
    if (!light_.empty() && rng.Chance(0.3)) {
      ev(at + rng.Range(600, 4 * kHour), EventKind::kUpdate, light_[rng.Below(light_.size())], kNoChange,
         kNoChange32, kComment, Via::kWeb);
    }
    at += rng.Range(kHour, 48 * kHour);
    ev(at, EventKind::kUpdate, t.requester, 1, kNoChange32, kComment | kPublic, Via::kEmail);
  }
  if (rng.Chance(opt_.deleted_ticket_share)) {
    at += rng.Range(kHour, 72 * kHour);
    ev(at, EventKind::kDelete, rng.Chance(0.5) ? assignee : PickWorker(rng), kNoChange, kNoChange32, 0, Via::kWeb);
  } else if (rng.Chance(0.85)) {
    if (rng.Chance(0.1)) {  // handed over to a colleague
      at += rng.Range(kHour, 24 * kHour);
      const int32_t other = PickWorker(rng);
      ev(at, EventKind::kUpdate, assignee, kNoChange, other, 0, Via::kWeb);
      assignee = other;
    }
    at += rng.Range(kHour, 48 * kHour);
    ev(at, EventKind::kUpdate, assignee, 4, kNoChange32, kComment | kPublic, Via::kWeb);
    at += 4 * kDay + rng.Range(0, 2 * kHour);
    ev(at, EventKind::kUpdate, kSystem, 5, kNoChange32, 0, Via::kRule);  // automation closes
  }
}

void Dataset::PlaceEdgeEvents(int64_t now) {
  std::vector<int64_t> instants;
  auto add_zone = [&](const sk::Zone& z) {
    const sk::DayNumber first = z.DayOf(now) - opt_.days + 1;
    const int64_t start = z.StartOf(first);
    instants.push_back(start);
    instants.push_back(start - 1);
  };
  add_zone(sk::Zone::Utc());
  auto zone = sk::Zone::Named(opt_.edge_zone);
  if (zone.ok()) add_zone(*zone);
  // Distinct actors, preferring low-activity agents so the edge event matters.
  std::vector<int32_t> actors;
  for (int32_t w : workers_) {
    if (users[w].activity == 1 && std::find(actors.begin(), actors.end(), w) == actors.end()) actors.push_back(w);
  }
  for (int32_t w : workers_)
    if (std::find(actors.begin(), actors.end(), w) == actors.end()) actors.push_back(w);
  Rng rng(opt_.seed ^ 0xED6E);
  for (size_t i = 0; i < instants.size(); ++i) {
    PlanTicket(instants[i], rng, actors[i % actors.size()]);
  }
}

void Dataset::PlanSignIns(int64_t from, int64_t to, Rng& rng) {
  if (to <= from) return;
  static const double kP[] = {0.0, 0.15, 0.6, 0.9};
  const int64_t first_day = from / kDay, last_day = to / kDay;
  // 30% of end users sign in to the Help Center over the generated history.
  const double end_user_p =
      std::min(1.0, 0.3 * static_cast<double>(to - from) / (static_cast<double>(opt_.days + 20) * kDay));
  // Integration accounts' API use: its own random sequence (the account's
  // other activity stays as it was without them).
  Rng api_rng(opt_.seed ^ 0x1A7E6A7E ^ static_cast<uint64_t>(from));
  for (int32_t i = 0; i < static_cast<int32_t>(users.size()); ++i) {
    User& u = users[i];
    if (u.integration) {
      // A request with the integration's API token on most days: last_login_at
      // moves (and, with the quirk, updated_at); no sign-in, no audit record.
      for (int64_t d = first_day; d <= last_day; ++d) {
        if (!api_rng.Chance(0.7)) continue;
        const int64_t at = d * kDay + api_rng.Range(0, kDay - 1);
        if (at < from || at > to || at < u.created_at || !u.active) continue;
        if (u.last_login_at == kNull || at > u.last_login_at) u.last_login_at = at;
        if (opt_.quirks.api_use_touches_user) u.updated_at = std::max(u.updated_at, at);
      }
      continue;
    }
    if (u.cast != kNoCast) {
      // The cast's own sequence: only the reader signs in (on 40% of days).
      if (u.cast != kReader) continue;
      Rng cast_rng(opt_.seed ^ 0x4EAD ^ static_cast<uint64_t>(from));
      for (int64_t d = first_day; d <= last_day; ++d) {
        if (!cast_rng.Chance(0.4)) continue;
        const int64_t at = d * kDay + cast_rng.Range(7 * kHour, 17 * kHour);
        if (at < from || at > to || at < u.created_at || !u.active || u.suspended) continue;
        if (enterprise_) AddAudit(at, i, i, AuditAction::kLogin, 0);
        if (u.last_login_at == kNull || at > u.last_login_at) u.last_login_at = at;
      }
      continue;
    }
    if (u.license == License::kEndUser) {
      // End users sign in to the Help Center: only last_login_at shows it.
      if (rng.Chance(end_user_p)) {
        const int64_t at = rng.Range(from, to);
        if ((u.last_login_at == kNull || at > u.last_login_at) && (u.deleted_at == kNull || at < u.deleted_at))
          u.last_login_at = at;
      }
      continue;
    }
    if (u.activity == 0) {
      if (u.last_login_at == kNull && !u.suspended && rng.Chance(0.5))
        u.last_login_at = from - rng.Range(5 * kDay, 200 * kDay);
      else if (u.suspended && u.last_login_at == kNull)
        u.last_login_at = from - rng.Range(kDay, 30 * kDay);
      continue;
    }
    for (int64_t d = first_day; d <= last_day; ++d) {
      if (!rng.Chance(kP[u.activity])) continue;
      const int64_t at = d * kDay + rng.Range(5 * kHour, 20 * kHour);
      if (at < from || at > to) continue;
      if (u.deleted_at != kNull && at >= u.deleted_at) continue;
      if (at < u.created_at) continue;
      if (enterprise_) AddAudit(at, i, i, AuditAction::kLogin, static_cast<uint8_t>(rng.Below(3)));
      if (u.last_login_at == kNull || at > u.last_login_at) u.last_login_at = at;
    }
  }
}

void Dataset::PlanArticles(int64_t from, int64_t to, double count, Rng& rng) {
  auto n = static_cast<int64_t>(count);
  if (rng.Chance(count - static_cast<double>(n))) ++n;
  std::vector<int64_t> times;
  if (articles.empty() && n >= 3) {
    // A couple of articles from before the history so window edges matter.
    times.push_back(from - rng.Range(10 * kDay, 60 * kDay));
    times.push_back(from - rng.Range(kDay, 9 * kDay));
    n -= 2;
  }
  for (int64_t i = 0; i < n; ++i) times.push_back(rng.Range(from, to));
  std::sort(times.begin(), times.end());
  for (int64_t t : times) {
    Article a;
    a.id = 7253351877519 + static_cast<int64_t>(articles.size()) * 257;
    a.author = authors_[rng.Below(authors_.size())];
    a.created_at = t;
    a.updated_at = std::min(to, t + rng.Range(0, 10 * kDay));
    a.draft = rng.Chance(0.3);
    a.title_seed = static_cast<int32_t>(rng.Below(1000));
    articles.push_back(a);
  }
}

}  // namespace zdsim
