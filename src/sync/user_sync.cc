// The user inventory. Each sync reads every user through the cursor-based
// incremental user export from start_time=0 (1,000 users a request — the
// largest page Zendesk offers for users; its own 20/min bucket), because
// last_login_at moves without touching updated_at, so only a full read sees
// every sign-in. Soft-deleted users come with active:false and are told
// apart from permanently deleted ones by /deleted_users. Users that vanish
// from the export are marked deleted, never dropped. The export cursor is
// checkpointed per page, so an interrupted pass resumes where it stopped.
//
// The export leaves out records changed in its last minute, and every request
// made with an API token moves its user's updated_at (and last_login_at): the
// connecting user of an API-token connection is never in it. So each sync also
// reads the staff list (/users?role[]=agent&role[]=admin, 100 a request on the
// account budget, no omitted minute) — every seat holder is staff — and asks
// for the connecting user if neither read returned them. Users already stored
// but missing from both are re-checked with show_many. An end user created in
// the export's last minute appears with the next sync (Zendesk's user list
// offers no sort by update time that could find them cheaply).
//
// Each read notes the user's last_login_at when it lies in the usage window.
// It moves on a sign-in and on every API-token/basic-auth request, so it is
// "sign-in or API use": on plans without the audit log it is the login
// evidence there is (Kind::kLoginObserved); with the audit log, a staff
// member's sign-ins come from it and their move is kept as API use
// (Kind::kApiUse, never an active day). The connecting user's moves are
// seatkeeper's own requests and are never noted.
#include <nlohmann/json.hpp>
#include <set>
#include <spdlog/spdlog.h>

#include "sync/license.h"
#include "sync/sync.h"

namespace sk::sync {

namespace {

constexpr const char* kCheckpoint = "users:run";

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
    std::string cursor;
    while (true) {
      SK_ASSIGN_OR_RETURN(auto page, ctx_.client->ListDeletedUsers(cursor));
      for (const auto& u : page.items)
        if (u.id) soft_deleted_.insert(*u.id);
      if (!page.has_more) break;
      if (page.after_cursor.empty() || page.after_cursor == cursor)
        return BadResponse("the deleted users list has more pages but no new cursor");
      cursor = page.after_cursor;
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

  // The incremental users export, from its checkpoint; each page is committed with the next cursor.
  Status ReadExport() {
    std::string& cursor = export_cursor_;
    int64_t pages = 0;
    bool restarted = false;
    while (true) {
      std::optional<UnixTime> start;
      if (cursor.empty()) start = 0;
      auto fetched = ctx_.client->IncrementalUsersCursor(start, cursor);
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
      store::Page out = NewPage();
      out.changes_at = NowUnix();  // a change found here happened before this read
      for (const auto& u : page.items) Take(u, &out);
      bool more = !page.end_of_stream && !page.after_cursor.empty() && page.after_cursor != cursor;
      if (more)
        out.checkpoints[kCheckpoint] =
            nlohmann::json{{"run_id", run_id_}, {"cursor", page.after_cursor}}.dump();
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
      store::Page out = NewPage();
      out.changes_at = NowUnix();
      for (const auto& u : page.items) Take(u, &out, /*count=*/false);  // read before, in the export
      staff += static_cast<int64_t>(out.users.size());
      SK_RETURN_IF_ERROR(ctx_.store->ApplyPage(ctx_.conn.account, out, ctx_.now));
      ctx_.Report({"staff", pages, staff, page.has_more ? 0.5 : 1.0, -1});
      if (!page.has_more) return Status::Ok();
      if (page.after_cursor.empty() || page.after_cursor == cursor)
        return BadResponse("the staff list has more pages but no new cursor");
      cursor = page.after_cursor;
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

  const std::string& run_id() const { return run_id_; }

 private:
  store::Page NewPage() const {
    store::Page out;
    out.run_id = run_id_;
    return out;
  }

  Status AskAbout(const std::vector<int64_t>& ids) {
    SK_ASSIGN_OR_RETURN(auto found, ctx_.client->ShowManyUsers(ids, /*include_deleted=*/true));
    store::Page out = NewPage();
    out.changes_at = NowUnix();
    for (const auto& u : found) Take(u, &out);
    return ctx_.store->ApplyPage(ctx_.conn.account, out, ctx_.now);
  }

  // Adds a user as read from Zendesk to `out`, with their last_login_at
  // evidence (see the file comment).
  void Take(const zendesk::User& u, store::Page* out, bool count = true) {
    if (!u.id) return;
    store::UserRecord r = ToRecord(u, roles_, soft_deleted_.count(*u.id) > 0);
    if (count) ++*users_seen_;
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
  bool connecting_seen_ = false;
};

}  // namespace

Status SyncUsers(SyncContext& ctx, int64_t* users_seen, int64_t* marked_deleted) {
  UserPass pass(ctx, users_seen);
  SK_RETURN_IF_ERROR(pass.Prepare());
  SK_RETURN_IF_ERROR(pass.ReadExport());
  SK_RETURN_IF_ERROR(pass.ReadStaff());
  SK_RETURN_IF_ERROR(pass.AskAboutMissed());
  SK_ASSIGN_OR_RETURN(*marked_deleted,
                      ctx.store->MarkUnseenUsersDeleted(ctx.conn.account, pass.run_id(), ctx.now));
  return ctx.store->ClearCheckpoints(ctx.conn.account, kCheckpoint);
}

}  // namespace sk::sync
