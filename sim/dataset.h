// The simulated account: deterministic generation from Options, and the
// evolution of its history (materialising planned ticket lifecycles as the
// clock advances, sign-ins, articles).
#pragma once

#include <chrono>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "model.h"
#include "options.h"
#include "rng.h"

namespace zdsim {

inline constexpr int64_t kDay = 86400;  // seconds
inline constexpr int64_t kHour = 3600;

inline constexpr int64_t kEventIdBase = 926256957613;
inline constexpr int64_t kEventIdStride = 8;  // audit id, then child event ids +1..+7

class Dataset {
 public:
  // Generates users and history up to now - 5 minutes.
  Dataset(const Options& o, int64_t now);

  const Options& options() const { return opt_; }
  bool enterprise() const { return enterprise_; }

  std::vector<Role> roles;
  std::vector<User> users;
  std::vector<Ticket> tickets;
  std::vector<Event> events;                       // ascending by time
  std::vector<std::vector<int32_t>> ticket_events;  // per ticket: indexes into events
  // Per user index: the tickets they commented on, in comment order (a
  // ticket again only after another): search's `commenter:` index.
  std::vector<std::vector<int32_t>> commented;
  std::vector<Article> articles;
  std::vector<AuditRecord> audit;                  // see SortedAudit()
  std::vector<Group> groups;                       // ascending id
  std::vector<GroupMembership> memberships;        // ascending id

  int32_t owner = 0, admin = 1, agent = 2;  // well-known user indexes

  int32_t UserIndex(int64_t id) const;
  int32_t TicketIndex(int64_t id) const;
  int32_t UserByEmail(const std::string& email) const;  // -1 when none (scrubbed users excluded)
  const Role* FindRole(int64_t id) const;
  const Role* RoleByName(const std::string& name) const;
  int64_t EventId(size_t idx) const { return kEventIdBase + static_cast<int64_t>(idx) * kEventIdStride; }
  // Event index from an audit id, -1 when not one.
  int64_t EventIndexFromId(int64_t id) const;

  // Audit records sorted by (created_at, id).
  const std::vector<AuditRecord>& SortedAudit();

  // Appends an event that happened now (an API mutation or a sign-in) and
  // applies it to the ticket. Returns the event index.
  size_t ApplyEvent(Event e);
  int32_t AddUser(User u);  // assigns id; returns index
  // Adds `user` to group `group_id` (a new membership, not the user's default).
  void AddMembership(int32_t user, int64_t group_id, int64_t at);
  void AddAudit(int64_t at, int32_t actor, int32_t source, AuditAction action, uint8_t detail = 0);
  // Recomputes the license kind after a role change.
  void Relicense(User& u) const;
  int64_t NextUserId() const;
  // Makes UserByEmail find the user's current email.
  void ReindexEmail(int32_t idx);

  // Moves time from old_now to new_now; with activity, the new period gets
  // tickets, events, sign-ins and articles at the same density as history.
  void Advance(int64_t old_now, int64_t new_now, bool activity);

  // Marks tickets closed for Options::archive_after_days archived.
  void Archive(int64_t now);

  // The search index's lag (Options::quirks.search_index_lag), tracked from
  // the end of generation on (history is indexed): search sees a ticket as
  // it was before its changes younger than the lag, and no user added
  // within it.
  const Ticket& AsIndexed(int32_t ticket) const;
  bool UserIndexed(int32_t user) const;
  // Forgets the changes the index has caught up with (call before a search);
  // with `all`, every change (the clock moved past the lag).
  void CatchUpIndex(bool all = false);

 private:
  void GenerateRoles(Rng& rng);
  void GenerateUsers(Rng& rng, int64_t now);
  void AddIntegrationAgents(int64_t now);
  void AddCast(int64_t now);
  // Groups and memberships, and a few users' tags (policies' exemptions):
  // derived from the users, without the generation's random sequence.
  void AddGroupsAndTags();
  // The cast's ticket work in [from, to]: private notes (and the one public
  // reply) on tickets among the first `dated` (sorted by creation time).
  void PlanCastWork(int64_t from, int64_t to, size_t dated);
  void BuildPools();
  void PlanTickets(int64_t from, int64_t to, Rng& rng);
  void PlanTicket(int64_t t0, Rng& rng, int forced_actor = -1);
  void PlanSignIns(int64_t from, int64_t to, Rng& rng);
  void PlanArticles(int64_t from, int64_t to, double count, Rng& rng);
  void PlaceEdgeEvents(int64_t now);
  void SortPending();
  void Materialize(int64_t upto);
  int32_t PickWorker(Rng& rng) const;

  Options opt_;
  bool enterprise_;
  int64_t horizon_ = 0;  // history exists up to here
  std::vector<Event> pending_;  // planned events not yet happened (ascending)
  size_t pending_pos_ = 0;
  std::vector<int32_t> workers_, light_, requesters_, authors_;
  std::unordered_map<int64_t, int32_t> user_by_id_;
  std::unordered_map<std::string, int32_t> user_by_email_;
  bool audit_sorted_ = true;
  uint64_t advance_seq_ = 0;
  struct Unindexed {
    Ticket as_indexed;
    std::chrono::steady_clock::time_point changed;  // the latest change
  };
  std::chrono::steady_clock::duration index_lag_{0};
  std::unordered_map<int32_t, Unindexed> unindexed_tickets_;
  std::unordered_map<int32_t, std::chrono::steady_clock::time_point> unindexed_users_;
};

// Whether the account-wide /ticket_audits list shows the audits of `t`: not
// when archived, nor when soft-deleted under the audits_omit_deleted quirk.
inline bool AuditListed(const Dataset& ds, const Ticket& t) {
  if (t.archived) return false;
  return !(ds.options().quirks.audits_omit_deleted && t.status == static_cast<uint8_t>(Status::kDeleted));
}

}  // namespace zdsim
