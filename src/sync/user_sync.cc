// The user inventory, in two kinds of pass (issue #19).
//
// A full pass reads every user through the cursor-based incremental user
// export from start_time=0 (1,000 users a request, the largest page Zendesk
// offers for users; its own 20/min bucket: 501 requests, 25 minutes, for
// 500,000 users). Soft-deleted users come with active:false and are told
// apart from permanently deleted ones by /deleted_users. Users that vanish
// from it are marked deleted, never dropped. Its cursor is checkpointed per
// page (users:run), so an interrupted pass resumes where it stopped.
//
// A daily pass reads what changed: the staff list
// (/users?role[]=agent&role[]=admin, 100 a request on the account budget, 50
// requests for 5,000 staff, reference §4.3) with every staff member's
// last_login_at, and the same export continued from where the previous pass
// left it (users:follow; every change moves updated_at, so a page or two a day).
// Every seat holder is staff, so seats and staff sign-ins are fresh every day.
// The same day it catches:
// - a role change, suspension, soft or permanent deletion, a new user: each
//   moves updated_at, so the continued export returns the user (active:false
//   when deleted); a suspended agent is also still in the staff list;
// - an agent demoted to end user or deleted in the export's omitted last
//   minute: staff stored as such but absent from both reads are asked for
//   with show_many (include_deleted): a demoted one comes back as an end
//   user, a deleted one with active:false, one Zendesk no longer knows is
//   marked permanently deleted.
//
// Why a full pass still runs, every kFullPassSeconds (7 days): an end user's
// last_login_at (a Help Center sign-in) moves without updated_at, so only a
// full read sees it; seats never depend on it (staff get theirs from the staff
// list daily). A full pass also reconciles users that vanished without an
// export record. It runs after the day's usage sources (RunSync:
// SyncUsersFullIfDue), never before them, so it never delays the day's usage;
// the first sync (nothing stored yet) is itself a full pass, before usage.
//
// The export leaves out records changed in its last minute, and every request
// made with an API token moves its user's updated_at (and last_login_at): the
// connecting user of an API-token connection is never in it. Both passes read
// the staff list (no omitted minute) and ask for the connecting user if
// neither read returned them. An end user created in the export's last minute
// appears with the next sync (the continued export starts before them).
//
// Each read notes the user's last_login_at when it lies in the usage window.
// It moves on a sign-in and on every API-token/basic-auth request, so it is
// "sign-in or API use": on plans without the audit log it is the login
// evidence there is (Kind::kLoginObserved); with the audit log, a staff
// member's sign-ins come from it and their move is kept as API use
// (Kind::kApiUse, never an active day). The connecting user's moves are
// seatkeeper's own requests and are never noted.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <set>

#include "sync/license.h"
#include "sync/sync.h"
#include "util/id_set.h"

namespace sk::sync {

namespace {

constexpr const char* kCheckpoint = "users:run";  // a full pass in progress
// {"cursor": where the export stopped, "full_at": when the last full pass started}.
constexpr const char* kFollowKey = "users:follow";
constexpr UnixTime kFullPassSeconds = 7 * 86400;

struct Follow {
  std::string cursor;
  UnixTime full_at = 0;
  std::string Json() const { return nlohmann::json{{"cursor", cursor}, {"full_at", full_at}}.dump(); }
};

Result<Follow> LoadFollow(const SyncContext& ctx) {
  Follow f;
  SK_ASSIGN_OR_RETURN(auto saved, ctx.store->GetCheckpoint(ctx.conn.account, kFollowKey));
  if (!saved) return f;
  auto j = nlohmann::json::parse(*saved, nullptr, false);
  if (!j.is_object()) return f;
  f.cursor = j.value("cursor", "");
  f.full_at = j.value("full_at", UnixTime{0});
  return f;
}

// One pass over the account's users (SyncUsers), phase by phase.
class UserPass {
 public:
  UserPass(SyncContext& ctx, int64_t* users_seen) : ctx_(ctx), users_seen_(users_seen) {}

  // What the records depend on (custom role names, soft-deleted users), and
  // where an interrupted pass stopped.
  Status Prepare() {
    caps_ = nlohmann::json::parse(ctx_.conn.capabilities_json, nullptr, false);
    if (caps_.is_object() && caps_.value("custom_roles", false)) {
      SK_ASSIGN_OR_RETURN(auto list, ctx_.client->ListCustomRoles());
      for (auto& r : list) roles_[r.id] = r;
    }
    audit_log_ = caps_.is_object() && caps_.value("audit_logs", false);
    SK_ASSIGN_OR_RETURN(auto saved, ctx_.store->GetCheckpoint(ctx_.conn.account, kCheckpoint));
    run_id_ = ctx_.run_id;
    if (saved) {
      auto j = nlohmann::json::parse(*saved, nullptr, false);
      if (j.is_object()) {
        run_id_ = j.value("run_id", run_id_);
        export_cursor_ = j.value("cursor", "");
      }
    }
    return Status::Ok();
  }

  // A daily pass: the export continues from `follow` (committed with each page).
  void Continue(const Follow& follow) {
    follow_ = follow;
    export_cursor_ = follow.cursor;
    daily_ = true;
  }

  // The incremental users export, from its checkpoint; each page is committed with the next cursor.
  Status ReadExport() {
    std::string& cursor = export_cursor_;
    int64_t pages = 0;
    bool restarted = false;
    while (true) {
      std::optional<UnixTime> start;
      if (cursor.empty()) start = 0;
      auto fetched = ctx_.client->IncrementalUsersCursor(start, cursor);
      if (!fetched.ok() && daily_ && fetched.status().code() == Code::kInvalidRecord) {
        // A continuation cursor Zendesk no longer accepts: a full pass (after
        // the day's usage) reads everyone; staff are fresh from the staff list.
        spdlog::warn("users export: continuation cursor rejected ({}); a full pass follows the usage sync",
                     fetched.status().message());
        follow_.full_at = 0;
        store::Page out = NewPage();
        out.checkpoints[kFollowKey] = follow_.Json();
        return ctx_.store->ApplyPage(ctx_.conn.account, out, ctx_.now);
      }
      if (!fetched.ok() && !cursor.empty() && !restarted && fetched.status().code() == Code::kInvalidRecord) {
        // Zendesk answers 400 to an expired cursor (e.g. a checkpoint from long
        // ago): start the export again. Users are upserted and stamped with the
        // same run id, so a restart neither duplicates nor loses anyone.
        spdlog::warn("users export: cursor rejected ({}); restarting the export", fetched.status().message());
        restarted = true;
        cursor.clear();
        continue;
      }
      if (!fetched.ok()) return fetched.status();
      auto page = std::move(fetched).value();
      ++pages;
      SK_RETURN_IF_ERROR(KnowDeletedUsersFor(page.items));
      store::Page out = NewPage();
      for (const auto& u : page.items) Take(u, &out);
      bool more = !page.end_of_stream && !page.after_cursor.empty() && page.after_cursor != cursor;
      if (!page.after_cursor.empty()) last_cursor_ = page.after_cursor;
      if (daily_) {
        // The continued export moves users:follow on (full_at unchanged).
        if (!page.after_cursor.empty()) follow_.cursor = page.after_cursor;
        out.checkpoints[kFollowKey] = follow_.Json();
      } else if (more) {
        out.checkpoints[kCheckpoint] =
            nlohmann::json{{"run_id", run_id_}, {"cursor", page.after_cursor}}.dump();
      }
      SK_RETURN_IF_ERROR(ctx_.store->ApplyPage(ctx_.conn.account, out, ctx_.now));
      ctx_.Report({"users", pages, *users_seen_, more ? 0.5 : 1.0, -1});
      if (!more) return Status::Ok();
      cursor = page.after_cursor;
    }
  }

  // The staff list: staff changed in the export's last minute (the
  // connecting user of an API-token connection always) are in it.
  Status ReadStaff() {
    std::string cursor;
    int64_t pages = 0, staff = 0;
    while (true) {
      SK_ASSIGN_OR_RETURN(auto page, ctx_.client->ListStaff(cursor));
      ++pages;
      SK_RETURN_IF_ERROR(KnowDeletedUsersFor(page.items));
      store::Page out = NewPage();
      for (const auto& u : page.items) Take(u, &out, /*count=*/daily_);  // full pass: read in the export too
      staff += static_cast<int64_t>(out.users.size());
      SK_RETURN_IF_ERROR(ctx_.store->ApplyPage(ctx_.conn.account, out, ctx_.now));
      ctx_.Report({"staff", pages, staff, page.has_more ? 0.5 : 1.0, -1});
      SK_ASSIGN_OR_RETURN(const bool more, NextCursor(page, &cursor, "the staff list"));
      if (!more) return Status::Ok();
    }
  }

  // Users neither read returned: the connecting user (not staff any more, or
  // an interrupted pass resumed after its pages), then those already stored.
  // A user missing from both reads is not necessarily gone: Zendesk leaves
  // out records changed in the last minute (and a user may have changed
  // between pages). Each is asked for; only those Zendesk no longer knows stay
  // unseen, to be marked deleted.
  Status AskAboutMissed() {
    const std::optional<int64_t> connecting = ctx_.conn.connecting_user_id;
    if (connecting && !connecting_seen_) SK_RETURN_IF_ERROR(AskAbout({*connecting}));
    SK_ASSIGN_OR_RETURN(auto unseen, ctx_.store->UnseenUsers(ctx_.conn.account, run_id_));
    for (size_t i = 0; i < unseen.size(); i += 100) {
      SK_RETURN_IF_ERROR(
          AskAbout({unseen.begin() + static_cast<std::ptrdiff_t>(i),
                    unseen.begin() + static_cast<std::ptrdiff_t>(std::min(unseen.size(), i + 100))}));
    }
    return Status::Ok();
  }

  // Daily pass: staff stored as such that neither read returned (demoted or
  // deleted, possibly in the export's omitted minute) are asked for; those
  // Zendesk no longer knows are marked permanently deleted.
  Status AskAboutMissedStaff(int64_t* marked_deleted) {
    const std::optional<int64_t> connecting = ctx_.conn.connecting_user_id;
    if (connecting && !connecting_seen_) SK_RETURN_IF_ERROR(AskAbout({*connecting}));
    std::vector<store::UserRecord> missed;
    for (const char* role : {"agent", "admin"}) {
      store::UserFilter f;
      f.role = role;
      f.include_deleted = false;
      SK_ASSIGN_OR_RETURN(auto staff, ctx_.store->ListUsers(ctx_.conn.account, f, ctx_.today, ctx_.today));
      for (auto& s : staff)
        if (!seen_.Contains(s.user.id)) missed.push_back(std::move(s.user));
    }
    for (size_t i = 0; i < missed.size(); i += 100) {
      std::vector<int64_t> ids;
      for (size_t k = i; k < std::min(missed.size(), i + 100); ++k) ids.push_back(missed[k].id);
      SK_RETURN_IF_ERROR(AskAbout(ids));
    }
    store::Page out = NewPage();
    for (auto& r : missed) {
      if (seen_.Contains(r.id)) continue;
      r.deleted = true;
      r.deleted_kind = "permanent";
      r.seat = false;
      out.users.push_back(std::move(r));
    }
    *marked_deleted = static_cast<int64_t>(out.users.size());
    if (out.users.empty()) return Status::Ok();
    return ctx_.store->ApplyPage(ctx_.conn.account, out, ctx_.now);
  }

  const std::string& run_id() const { return run_id_; }
  // The export's position after this pass (its last page's after_cursor).
  const std::string& last_cursor() const { return last_cursor_; }

 private:
  // A page for what was just read: a change it holds happened before this
  // moment (role history's upper bound), so it is stamped now.
  store::Page NewPage() const {
    store::Page out;
    out.run_id = run_id_;
    out.changes_at = NowUnix();
    return out;
  }

  // Soft-deleted users are told apart from permanently deleted ones by the
  // deleted users list, read once a pass when a deleted user first shows up.
  Status KnowDeletedUsersFor(const std::vector<zendesk::User>& users) {
    if (deleted_known_) return Status::Ok();
    bool any = false;
    for (const auto& u : users) any = any || !u.active;
    if (!any) return Status::Ok();
    std::string cursor;
    while (true) {
      SK_ASSIGN_OR_RETURN(auto page, ctx_.client->ListDeletedUsers(cursor));
      for (const auto& u : page.items)
        if (u.id) soft_deleted_.insert(*u.id);
      SK_ASSIGN_OR_RETURN(const bool more, NextCursor(page, &cursor, "the deleted users list"));
      if (!more) break;
    }
    deleted_known_ = true;
    return Status::Ok();
  }

  Status AskAbout(const std::vector<int64_t>& ids) {
    SK_ASSIGN_OR_RETURN(auto found, ctx_.client->ShowManyUsers(ids, /*include_deleted=*/true));
    SK_RETURN_IF_ERROR(KnowDeletedUsersFor(found));
    store::Page out = NewPage();
    for (const auto& u : found) Take(u, &out);
    return ctx_.store->ApplyPage(ctx_.conn.account, out, ctx_.now);
  }

  // Adds a user as read from Zendesk to `out`, with their last_login_at
  // evidence (see the file comment).
  void Take(const zendesk::User& u, store::Page* out, bool count = true) {
    if (!u.id) return;
    store::UserRecord r = ToRecord(u, roles_, soft_deleted_.count(*u.id) > 0);
    if (seen_.Insert(*u.id) && count) ++*users_seen_;
    const std::optional<int64_t> connecting = ctx_.conn.connecting_user_id;
    const bool is_connecting = connecting && *u.id == *connecting;
    connecting_seen_ |= is_connecting;
    if (u.last_login_at && !is_connecting && *u.last_login_at >= ctx_.window_start &&
        *u.last_login_at <= ctx_.now) {
      const store::Kind kind =
          audit_log_ && r.role != "end-user" ? store::Kind::kApiUse : store::Kind::kLoginObserved;
      store::ActivityDelta d{*u.id,
                             ctx_.zone.DayOf(*u.last_login_at),
                             kind,
                             1,
                             {"last_login_at:" + FormatIso(*u.last_login_at)}};
      out->once.push_back({"login:" + std::to_string(*u.id) + ":" + std::to_string(*u.last_login_at), d});
    }
    out->users.push_back(std::move(r));
  }

  SyncContext& ctx_;
  int64_t* users_seen_;
  nlohmann::json caps_;
  std::map<int64_t, zendesk::CustomRole> roles_;
  std::set<int64_t> soft_deleted_;
  bool audit_log_ = false;
  std::string run_id_;
  std::string export_cursor_;  // where an interrupted pass stopped ("" = the start)
  std::string last_cursor_;
  bool connecting_seen_ = false;
  bool deleted_known_ = false;
  bool daily_ = false;
  Follow follow_;
  CompactIdSet seen_;  // users either read returned in this pass
};

// A full pass (resuming an interrupted one); then the export is followed from where it ended.
Status FullPass(SyncContext& ctx, int64_t* users_seen, int64_t* marked_deleted) {
  UserPass pass(ctx, users_seen);
  SK_RETURN_IF_ERROR(pass.Prepare());
  SK_RETURN_IF_ERROR(pass.ReadExport());
  SK_RETURN_IF_ERROR(pass.ReadStaff());
  SK_RETURN_IF_ERROR(pass.AskAboutMissed());
  SK_ASSIGN_OR_RETURN(*marked_deleted,
                      ctx.store->MarkUnseenUsersDeleted(ctx.conn.account, pass.run_id(), ctx.now));
  SK_ASSIGN_OR_RETURN(Follow follow, LoadFollow(ctx));
  follow.cursor = pass.last_cursor();
  follow.full_at = ctx.now;
  store::Page out;
  out.checkpoints[kFollowKey] = follow.Json();
  SK_RETURN_IF_ERROR(ctx.store->ApplyPage(ctx.conn.account, out, ctx.now));
  return ctx.store->ClearCheckpoints(ctx.conn.account, kCheckpoint);
}

}  // namespace

Status SyncUsers(SyncContext& ctx, int64_t* users_seen, int64_t* marked_deleted) {
  SK_ASSIGN_OR_RETURN(Follow follow, LoadFollow(ctx));
  if (follow.cursor.empty()) return FullPass(ctx, users_seen, marked_deleted);  // nothing to follow yet
  UserPass pass(ctx, users_seen);
  SK_RETURN_IF_ERROR(pass.Prepare());
  pass.Continue(follow);
  SK_RETURN_IF_ERROR(pass.ReadStaff());
  SK_RETURN_IF_ERROR(pass.ReadExport());
  return pass.AskAboutMissedStaff(marked_deleted);
}

Result<bool> SyncUsersFullIfDue(SyncContext& ctx, int64_t* users_seen, int64_t* marked_deleted) {
  SK_ASSIGN_OR_RETURN(Follow follow, LoadFollow(ctx));
  SK_ASSIGN_OR_RETURN(auto in_progress, ctx.store->GetCheckpoint(ctx.conn.account, kCheckpoint));
  if (!in_progress && follow.full_at + kFullPassSeconds > ctx.now && !follow.cursor.empty()) return false;
  spdlog::info("users: full pass (the last one started {})",
               follow.full_at ? FormatIso(follow.full_at) : "never");
  int64_t seen = 0, marked = 0;
  SK_RETURN_IF_ERROR(FullPass(ctx, &seen, &marked));
  *users_seen = std::max(*users_seen, seen);
  *marked_deleted += marked;
  return true;
}

}  // namespace sk::sync
