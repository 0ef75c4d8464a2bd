// Many accounts per deployment: the account a request is about (?account=,
// resolved once for every account-scoped route) and GET /api/accounts, the
// list the UI draws one tile per account from.
#include <httplib.h>

#include "server/http_util.h"
#include "server/web_server.h"
#include "sync/provisional.h"

namespace sk::server {
namespace {

using nlohmann::json;

json IsoOrNull(std::optional<UnixTime> t) {
  return t ? json(FormatIso(*t)) : json();
}

// What a tile shows about seats: paid seats by license, light agents (no
// paid seat) and paid seats without activity in the last 30 days (as
// GET /api/seats?inactive_days=30 counts them). Reads the seat holders
// only, not every user.
// Before the first sync has ended they come from the provisional seat verdict
// (issue #19; "verdict": "provisional"), afterwards from the synced usage.
Result<std::optional<json>> ProvisionalSeatCounts(store::Store& st, const store::Connection& c,
                                                  DayNumber today, int idle_days) {
  if (c.last_sync_at) return std::optional<json>();
  SK_ASSIGN_OR_RETURN(auto v, sync::LoadProvisionalVerdict(st, c.account));
  if (!v) return std::optional<json>();
  int agents = 0, admins = 0, idle = 0, integrations = 0;
  for (const auto& s : v->seats) {
    agents += s.license == "agent";
    admins += s.license == "admin";
    const bool integration = s.verdict == sync::kVerdictIntegration;
    integrations += integration;
    idle += !integration &&
            (s.verdict != sync::kVerdictActive || !s.evidence_day || *s.evidence_day < today - idle_days + 1);
  }
  return std::optional<json>(json{{"paid", v->seats.size()},
                                  {"agents", agents},
                                  {"admins", admins},
                                  {"light_agents", 0},
                                  {"idle", idle},
                                  {"idle_days", idle_days},
                                  {"probable_integrations", integrations},
                                  {"verdict", "provisional"}});
}

Result<json> SeatCounts(store::Store& st, const store::Connection& c) {
  constexpr int kIdleDays = 30;
  SK_ASSIGN_OR_RETURN(Zone zone, Zone::Named(c.timezone));
  const DayNumber today = zone.DayOf(NowUnix());
  SK_ASSIGN_OR_RETURN(auto provisional, ProvisionalSeatCounts(st, c, today, kIdleDays));
  if (provisional) return *provisional;
  const DayNumber first = today - c.window_days + 1;
  store::UserFilter paid;
  paid.seat = true;
  paid.include_deleted = false;
  SK_ASSIGN_OR_RETURN(auto holders, st.ListUsers(c.account, paid, first, today));
  int agents = 0, admins = 0, idle = 0, integrations = 0;
  for (const auto& u : holders) {
    agents += u.user.license == "agent";
    admins += u.user.license == "admin";
    // Probable integration accounts (API use only) are counted apart, not as idle.
    const bool integration = store::ProbableIntegration(u);
    integrations += integration;
    idle += !integration && (!u.last_active_day || *u.last_active_day < today - kIdleDays + 1);
  }
  store::UserFilter light;
  light.license = "light-agent";
  light.include_deleted = false;
  SK_ASSIGN_OR_RETURN(auto light_agents, st.ListUsers(c.account, light, first, today));
  return json{{"paid", holders.size()},
              {"agents", agents},
              {"admins", admins},
              {"light_agents", light_agents.size()},
              {"idle", idle},
              {"idle_days", kIdleDays},
              {"probable_integrations", integrations},
              {"verdict", "confirmed"}};
}

}  // namespace

Result<std::string> WebServer::AccountOf(const httplib::Request& req, bool allow_new) {
  auto name = QueryString(req, "account");
  if (!name) return opt_.account;
  if (!store::ValidAccountName(*name))
    return InvalidArgument(std::string("account must be ") + store::kAccountNameRule);
  if (*name == opt_.account || allow_new) return *name;
  SK_ASSIGN_OR_RETURN(auto conn, store_->GetConnection(*name));
  if (!conn)
    return Status(Code::kNotFound,
                  "no Zendesk account named \"" + *name + "\" in the store (GET /api/accounts lists them)");
  return *name;
}

void WebServer::AddForAccount(Route r, AccountHandler h, bool allow_new) {
  r.query.insert(r.query.begin(),
                 {"account", allow_new ? "name of the account to connect or reconnect (default: the server's "
                                         "--account); a new name adds an account"
                                       : "which connected account (GET /api/accounts; default: the server's "
                                         "--account); an unknown name is 404"});
  Add(std::move(r), [this, h = std::move(h), allow_new](const httplib::Request& req, httplib::Response& res,
                                                        const Session* s) {
    auto account = AccountOf(req, allow_new);
    if (!account.ok()) {
      const Status& st = account.status();
      if (st.code() == Code::kNotFound) return SendError(res, 404, st.message(), "not_found");
      if (st.code() == Code::kInvalidArgument) return SendError(res, 400, st.message(), "invalid_argument");
      return SendStatus(res, st);
    }
    h(req, res, s, *account);
  });
}

Result<std::vector<store::QueueEntry>> WebServer::ConnectedAccounts() {
  std::vector<store::QueueEntry> out;
  if (opt_.sync_queue) {
    SK_ASSIGN_OR_RETURN(auto entries, opt_.sync_queue->List(NowUnix()));
    for (auto& e : entries)
      if (e.state != "not-connected") out.push_back(std::move(e));
    return out;
  }
  SK_ASSIGN_OR_RETURN(auto conn, store_->GetConnection(opt_.account));
  if (conn && conn->state != "not-connected") {
    store::QueueEntry e;
    e.account = conn->account;
    e.url = conn->url;
    e.state = conn->state;
    e.last_sync_at = conn->last_sync_at;
    out.push_back(std::move(e));
  }
  return out;
}

void WebServer::RegisterAccountRoutes() {
  Add({"GET",
       "/api/accounts",
       Route::Access::kSession,
       "Every connected account, by name, with what its tile shows: URL, state, plan, permission, last sync "
       "and its result, the sync running here (sync: phase, fraction, ETA) or elsewhere (lease_owner), and "
       "seats (paid, agents, admins, light_agents, idle for idle_days). The default account (the server's "
       "--account) is listed, not connected, when no account is connected",
       {},
       nullptr},
      [this](const httplib::Request&, httplib::Response& res, const Session*) {
        auto entries = ConnectedAccounts();
        if (!entries.ok()) return SendStatus(res, entries.status());
        if (entries->empty()) {
          store::QueueEntry e;
          e.account = opt_.account;
          e.state = "not-connected";
          entries->push_back(e);
        }
        json arr = json::array();
        for (const auto& e : *entries) {
          auto conn = store_->GetConnection(e.account);
          if (!conn.ok()) return SendStatus(res, conn.status());
          json snap = syncs_->For(e.account).Snapshot();
          json a = {{"name", e.account},
                    {"default", e.account == opt_.account},
                    {"url", e.url},
                    {"state", e.state},
                    {"error", nullptr},
                    {"plan", nullptr},
                    {"permission", nullptr},
                    {"last_sync_at", IsoOrNull(e.last_sync_at)},
                    {"last_result", nullptr},
                    {"lease_owner", e.owner.empty() ? json() : json(e.owner)},
                    {"syncing", snap.value("running", false) || !e.owner.empty() || e.state == "syncing"},
                    {"sync", snap},
                    {"seats", nullptr}};
          // The last result: this server's last run, else the queue's (any process's).
          if (!snap["last_result"].is_null()) {
            a["last_result"] = snap["last_result"];
          } else if (!e.last_result.empty()) {
            a["last_result"] = e.last_result.rfind("error", 0) == 0 ? "error" : e.last_result;
          }
          if (*conn) {
            const store::Connection& c = **conn;
            if (!c.error.empty()) a["error"] = c.error;
            if (!c.plan.empty()) a["plan"] = c.plan;
            a["permission"] = c.permission;
            if (c.last_sync_at) {
              auto seats = SeatCounts(*store_, c);
              if (!seats.ok()) return SendStatus(res, seats.status());
              a["seats"] = *seats;
            }
          }
          arr.push_back(a);
        }
        SendJson(res, 200, arr);
      });
}

}  // namespace sk::server
