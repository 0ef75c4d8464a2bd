#include "sync/preflight.h"

#include "util/time.h"

namespace sk::sync {

Result<PreflightResult> RunPreflight(zendesk::Client& client) {
  PreflightResult r;
  r.checks = nlohmann::json::array();
  auto check = [&](const std::string& name, bool ok, const std::string& detail) {
    r.checks.push_back({{"check", name}, {"ok", ok}, {"detail", detail}});
  };
  auto me = client.Me();
  if (!me.ok()) {
    const Status& s = me.status();
    if (s.code() == Code::kForbidden && s.message().find("IP") != std::string::npos) return s;
    return s.With("checking the credentials");
  }
  r.me = *me;
  check("credentials", true, "authenticated as " + me->name + " <" + me->email.value_or("") + ">");
  check("ip_restriction", true, "this server may call the API");
  if (me->role != "admin")
    return Refused("the connecting user " + me->email.value_or(me->name) + " is " +
                   (me->role == "agent" ? "an agent" : "an end user") +
                   ", not an admin: seatkeeper needs an admin's authorisation to read the whole account (incremental "
                   "exports, audit log, deleted users). Connect as an admin, or ask an admin to make this user an "
                   "admin in Admin Center > People > Team members.");
  check("admin", true, "the connecting user is an admin");

  auto audit = client.Get("/api/v2/audit_logs.json?page%5Bsize%5D=1");
  int limit = client.stats().account_limit.value_or(0);
  bool audit_logs = audit.ok();
  if (!audit.ok() && audit.status().code() != Code::kForbidden) return audit.status().With("probing the audit log");
  if (audit_logs)
    r.plan = limit >= 2500 ? "enterprise-plus" : "enterprise";
  else
    r.plan = limit >= 400 ? "professional" : (limit >= 200 ? "team" : "unknown");
  check("plan", true,
        "plan " + r.plan + " (API limit " + std::to_string(limit) +
            "/min); sign-in history from the audit log " +
            (audit_logs
                 ? "available"
                 : "needs Enterprise or Enterprise Plus: login evidence is last_login_at moves (sign-in or "
                   "API use)"));

  auto roles = client.ListCustomRoles();
  bool custom_roles = roles.ok();
  if (!roles.ok() && roles.status().code() != Code::kForbidden) return roles.status().With("reading custom roles");
  check("custom_roles", true,
        custom_roles ? "custom role names readable" : "custom roles need Enterprise: license types come from role_type");

  auto hc = client.IncrementalArticles(NowUnix() - 3600);
  bool help_center = hc.ok();
  std::string hc_reason;
  if (!hc.ok()) {
    if (hc.status().code() == Code::kUnavailable || hc.status().code() == Code::kRateLimited)
      return hc.status().With("probing Help Center");
    hc_reason = "Help Center (Guide) is not readable: " + hc.status().message() +
                ". Give the connecting admin Guide admin rights (Admin Center > People > Team members > Guide role), "
                "or enable Help Center; article activity is not measured until then";
  }
  check("help_center", help_center, help_center ? "Help Center articles readable" : hc_reason);

  r.capabilities = {{"audit_logs", audit_logs},
                    {"custom_roles", custom_roles},
                    {"help_center", help_center},
                    {"help_center_reason", hc_reason},
                    {"high_volume", limit >= 2500},
                    {"rate_limit", limit}};
  return r;
}

Result<store::Connection> ConnectWithPreflight(zendesk::Client& client, store::Store& store, store::Connection c,
                                               PreflightResult* result) {
  SK_ASSIGN_OR_RETURN(auto pf, RunPreflight(client));
  c.plan = pf.plan;
  c.connecting_user_id = pf.me.id;
  c.connecting_user_email = pf.me.email.value_or("");
  c.preflight_json = pf.checks.dump();
  c.capabilities_json = pf.capabilities.dump();
  c.state = "connected";
  c.connected_at = NowUnix();
  SK_ASSIGN_OR_RETURN(auto old, store.GetConnection(c.account));
  if (old) {  // notification channels belong to the account, not to one credential
    c.notify_json = old->notify_json;
    c.notify_secret = old->notify_secret;
  }
  if (old && old->url == c.url) {
    c.last_sync_at = old->last_sync_at;
    c.window_days = old->window_days;
    if (old->last_sync_at) c.state = "synced";
  }
  SK_RETURN_IF_ERROR(store.PutConnection(c));
  if (result) *result = std::move(pf);
  return c;
}

nlohmann::json CapabilitiesTable(const std::string& permission, const std::string& plan,
                                 const nlohmann::json& caps) {
  nlohmann::json rows = nlohmann::json::array();
  auto row = [&](const std::string& area, const std::string& name, bool ok, const std::string& why) {
    rows.push_back({{"area", area}, {"capability", name}, {"available", ok}, {"reason", ok ? "" : why}});
  };
  bool connected = !plan.empty();
  std::string nc = "not connected";
  bool audit = caps.is_object() && caps.value("audit_logs", false);
  bool hc = caps.is_object() && caps.value("help_center", false);
  bool rw = permission == "read-write";
  std::string ro = "the connection is read-only: reconnect with --permission read-write";
  row("sync", "users (name, email, role, custom role, suspended, created/updated)", connected, nc);
  row("sync", "last login time (last_login_at)", connected, nc);
  row("sync", "license type and paid seat", connected, nc);
  row("sync", "usage: ticket activity (created, edited, deleted)", connected, nc);
  row("sync", "usage: Help Center articles created", connected && hc,
      connected ? caps.value("help_center_reason", std::string("Help Center not readable")) : nc);
  row("sync", "usage: sign-ins from the audit log (history included)", connected && audit,
      connected ? "needs Zendesk Enterprise or Enterprise Plus (plan " + plan + ")" : nc);
  row("sync",
      "usage: last_login_at moves between syncs (each is \"sign-in or API use\": Zendesk moves it on every "
      "API-token request too)",
      connected, nc);
  // Which login evidence the account has (PRODUCT §4 item 1).
  row("sync",
      audit
          ? "login evidence: proven sign-ins (history included); a staff member's last_login_at move the "
            "audit log does not confirm counts as API use, not a login, and staff with only API use are "
            "shown as probable integration accounts"
          : "login evidence: last_login_at moves only, labelled \"sign-in or API use\" (no proven sign-ins, "
            "no history before the first sync; integration accounts cannot be told apart)",
      connected, nc);
  row("sync", "90 days of usage history, then daily incremental sync", connected, nc);
  for (const char* a : {"create user", "delete user (soft)", "permanently delete user", "downgrade to end user",
                        "upgrade to agent or admin", "reassign non-closed tickets", "offboard a leaver"})
    row("action", a, connected && rw, connected ? ro : nc);
  row("report", "idle paid seats", connected, nc);
  row("report", "audit trail of actions", true, "");
  return rows;
}

}  // namespace sk::sync
