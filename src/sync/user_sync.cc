// The user inventory. Each sync reads every user through the cursor-based
// incremental user export from start_time=0 (1,000 users a request — the
// largest page Zendesk offers for users; its own 20/min bucket), because
// last_login_at moves without touching updated_at, so only a full read sees
// every sign-in. Soft-deleted users come with active:false and are told
// apart from permanently deleted ones by /deleted_users. Users that vanish
// from the export are marked deleted, never dropped. The export cursor is
// checkpointed per page, so an interrupted pass resumes where it stopped.
#include <nlohmann/json.hpp>
#include <set>
#include <spdlog/spdlog.h>

#include "sync/license.h"
#include "sync/sync.h"

namespace sk::sync {

Status SyncUsers(SyncContext& ctx, int64_t* users_seen, int64_t* marked_deleted) {
  const std::string& account = ctx.conn.account;
  std::map<int64_t, zendesk::CustomRole> roles;
  auto caps = nlohmann::json::parse(ctx.conn.capabilities_json, nullptr, false);
  if (caps.is_object() && caps.value("custom_roles", false)) {
    SK_ASSIGN_OR_RETURN(auto list, ctx.client->ListCustomRoles());
    for (auto& r : list) roles[r.id] = r;
  }
  std::set<int64_t> soft_deleted;
  {
    std::string cursor;
    while (true) {
      SK_ASSIGN_OR_RETURN(auto page, ctx.client->ListDeletedUsers(cursor));
      for (const auto& u : page.items)
        if (u.id) soft_deleted.insert(*u.id);
      if (!page.has_more) break;
      if (page.after_cursor.empty() || page.after_cursor == cursor)
        return BadResponse("the deleted users list has more pages but no new cursor");
      cursor = page.after_cursor;
    }
  }

  const std::string key = "users:run";
  SK_ASSIGN_OR_RETURN(auto saved, ctx.store->GetCheckpoint(account, key));
  std::string run_id = ctx.run_id, cursor;
  if (saved) {
    auto j = nlohmann::json::parse(*saved, nullptr, false);
    if (j.is_object()) {
      run_id = j.value("run_id", run_id);
      cursor = j.value("cursor", "");
    }
  }
  int64_t pages = 0;
  bool restarted = false;
  while (true) {
    std::optional<UnixTime> start;
    if (cursor.empty()) start = 0;
    auto fetched = ctx.client->IncrementalUsersCursor(start, cursor);
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
    store::Page out;
    out.run_id = run_id;
    for (const auto& u : page.items) {
      if (!u.id) continue;
      out.users.push_back(ToRecord(u, roles, soft_deleted.count(*u.id) > 0));
      ++*users_seen;
      bool is_connecting = ctx.conn.connecting_user_id && *u.id == *ctx.conn.connecting_user_id;
      if (u.last_login_at && !is_connecting && *u.last_login_at >= ctx.window_start && *u.last_login_at <= ctx.now) {
        store::ActivityDelta d{*u.id, ctx.zone.DayOf(*u.last_login_at), store::Kind::kLoginObserved, 1,
                               {"last_login_at:" + FormatIso(*u.last_login_at)}};
        out.once.push_back({"login:" + std::to_string(*u.id) + ":" + std::to_string(*u.last_login_at), d});
      }
    }
    bool more = !page.end_of_stream && !page.after_cursor.empty() && page.after_cursor != cursor;
    if (more) out.checkpoints[key] = nlohmann::json{{"run_id", run_id}, {"cursor", page.after_cursor}}.dump();
    SK_RETURN_IF_ERROR(ctx.store->ApplyPage(account, out, ctx.now));
    ctx.Report({"users", pages, *users_seen, more ? 0.5 : 1.0, -1});
    if (!more) break;
    cursor = page.after_cursor;
  }
  // A user missing from the export is not necessarily gone: Zendesk leaves
  // out records changed in the last minute (and a user may have changed
  // between pages). Ask for each one; only those Zendesk no longer knows are
  // marked deleted.
  SK_ASSIGN_OR_RETURN(auto unseen, ctx.store->UnseenUsers(account, run_id));
  for (size_t i = 0; i < unseen.size(); i += 100) {
    std::vector<int64_t> batch(unseen.begin() + static_cast<std::ptrdiff_t>(i),
                               unseen.begin() + static_cast<std::ptrdiff_t>(std::min(unseen.size(), i + 100)));
    SK_ASSIGN_OR_RETURN(auto found, ctx.client->ShowManyUsers(batch, /*include_deleted=*/true));
    store::Page out;
    out.run_id = run_id;
    for (const auto& u : found) {
      if (!u.id) continue;
      out.users.push_back(ToRecord(u, roles, soft_deleted.count(*u.id) > 0));
      ++*users_seen;
    }
    SK_RETURN_IF_ERROR(ctx.store->ApplyPage(account, out, ctx.now));
  }
  SK_ASSIGN_OR_RETURN(*marked_deleted, ctx.store->MarkUnseenUsersDeleted(account, run_id, ctx.now));
  return ctx.store->ClearCheckpoints(account, key);
}

}  // namespace sk::sync
