// Issue 7, fault matrix: every zdsim fault kind during the users sync, the
// usage backfill and each action. A run either ends with the same store as a
// clean run, or fails with a clear error (exit 1) leaving what it had
// committed consistent (page-atomic, never double counted) so that the next
// clean run converges; an action either applies its mutation exactly once or
// fails leaving Zendesk unchanged. The matrix (fault x phase -> outcome) is
// printed at the end.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <functional>
#include <tuple>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include <httplib.h>

#include "store/store.h"
#include "support/account.h"

namespace sk::testing {
namespace {

using nlohmann::json;

struct FaultCase {
  std::string name;
  zdsim::Fault fault;
};

zdsim::Fault Make(const std::string& kind, int status, const std::string& body, std::optional<int> retry_after,
                  int count, int delay_ms = 1000) {
  zdsim::Fault f;
  f.kind = kind;
  f.status = status;
  f.body = body;
  f.retry_after = retry_after;
  f.count = count;
  f.delay_ms = delay_ms;
  return f;
}

// Counts keep each cell within a few seconds (backoff without Retry-After is 1, 2, 4 … s).
std::vector<FaultCase> Faults() {
  return {
      {"429 json Retry-After", Make("status", 429, "json", 1, 2)},
      {"429 text no Retry-After", Make("status", 429, "text", std::nullopt, 1)},
      {"503 Retry-After", Make("status", 503, "json", 1, 2)},
      {"500 no Retry-After", Make("status", 500, "json", std::nullopt, 2)},
      {"500 storm", Make("status", 500, "json", 0, 40)},
      {"reset", Make("reset", 0, "json", std::nullopt, 2)},
      {"slow 1.5s", Make("slow", 0, "json", std::nullopt, 1, 1500)},
      {"truncate", Make("truncate", 0, "json", std::nullopt, 1)},
      {"invalid_utf8", Make("invalid_utf8", 0, "json", std::nullopt, 1)},
      {"repeat_page", Make("repeat_page", 0, "json", std::nullopt, 1)},
      {"ip_restricted", Make("ip_restricted", 403, "json", std::nullopt, 1)},
      {"expired cursor (400)", Make("expired_cursor", 400, "json", std::nullopt, 1)},
      {"token expired (401)", Make("token_expired", 401, "json", std::nullopt, 1)},
  };
}

// The printed matrix, filled by every test of this file.
std::map<std::string, std::map<std::string, std::string>>& Matrix() {
  static std::map<std::string, std::map<std::string, std::string>> m;
  return m;
}
std::vector<std::string>& PhaseOrder() {
  static std::vector<std::string> v;
  return v;
}
void Record(const std::string& fault, const std::string& phase, const std::string& outcome) {
  if (std::find(PhaseOrder().begin(), PhaseOrder().end(), phase) == PhaseOrder().end()) PhaseOrder().push_back(phase);
  Matrix()[fault][phase] = outcome;
}

class MatrixPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    if (Matrix().empty()) return;
    std::ostringstream os;
    os << "\nFault matrix (fault x phase -> outcome; ok = same result as a clean run, "
          "error = clean failure, store intact, next run converges)\n";
    os << std::left << std::setw(42) << "fault";
    for (const auto& p : PhaseOrder()) os << std::setw(18) << p;
    os << "\n";
    int cells = 0;
    for (const auto& f : Faults()) {
      if (!Matrix().count(f.name)) continue;
      os << std::setw(42) << f.name;
      for (const auto& p : PhaseOrder()) {
        auto it = Matrix()[f.name].find(p);
        std::string v = it == Matrix()[f.name].end() ? "-" : it->second;
        if (v != "-") ++cells;
        os << std::setw(18) << v;
      }
      os << "\n";
    }
    for (const auto& [f, row] : Matrix()) {
      bool known = false;
      for (const auto& k : Faults()) known |= k.name == f;
      if (known) continue;
      os << std::setw(42) << f;
      for (const auto& p : PhaseOrder()) {
        auto it = row.find(p);
        std::string v = it == row.end() ? "-" : it->second;
        if (v != "-") ++cells;
        os << std::setw(18) << v;
      }
      os << "\n";
    }
    os << cells << " cells\n";
    std::cout << os.str() << std::flush;
  }
};
[[maybe_unused]] const auto* const kPrinter = ::testing::AddGlobalTestEnvironment(new MatrixPrinter);

json StripAdminLogin(json users, int64_t admin) {
  for (auto& u : users)
    if (u["id"] == admin) u["last_login_at"] = nullptr;
  return users;
}

// Every (user, day) row of `partial` exists in `full` with a subset of its sources.
std::string NotASubset(const json& partial, const json& full) {
  std::map<std::string, std::set<std::string>> want;
  for (const auto& r : full)
    for (const auto& s : r["sources"]) want[r["user_id"].dump() + "@" + r["date"].get<std::string>()].insert(s);
  for (const auto& r : partial) {
    auto it = want.find(r["user_id"].dump() + "@" + r["date"].get<std::string>());
    if (it == want.end()) return "row not in a clean run: " + r.dump();
    for (const auto& s : r["sources"])
      if (!it->second.count(s)) return "source not in a clean run: " + r.dump();
  }
  return "";
}

// Whether the one injected fault `f` fired at least once: it is gone (every
// count used), or it is still armed with fewer counts or skips left (a 500
// storm outlasts the client's retries and is never used up).
bool FaultFired(Account& a, const zdsim::Fault& f) {
  httplib::Client http(a.sim().BaseUrl());
  auto r = http.Get("/_sim/faults");
  if (!r || r->status != 200) return false;
  auto j = json::parse(r->body, nullptr, false);
  if (j.is_object() && j.contains("faults")) j = j["faults"];
  if (!j.is_array()) return false;
  if (j.empty()) return true;
  for (const auto& left : j) {
    if (left.value("path", "") != f.path || left.value("kind", "") != f.kind) continue;
    return left.value("skip", 0) == 0 && left.value("count", f.count) < f.count;
  }
  return true;
}

struct SyncPhase {
  std::string name;
  std::string path;
  int skip;
};

// The matrix's account: every phase still spans several pages (a clean sync
// reads 5 export pages, 28 audit pages and 9 audit-log pages), and a cell's
// clean sync takes a few seconds. 30 days of history, not 90: a sync of it
// makes 49 requests instead of 102, and the three cells (13 syncs each, all
// CPU in the ASan build, two thirds of it zdsim's answers) were the suite's
// longest tests (about 100 CPU s each).
zdsim::Options MatrixAccount() {
  zdsim::Options o = SmallAccount(21);
  o.tickets_per_day = 10;
  o.days = 30;
  return o;
}

class SyncFaultMatrix : public ::testing::TestWithParam<SyncPhase> {
 protected:
  static void SetUpTestSuite() {
    clean_ = new Account(MatrixAccount(), "matrix-clean");
    // The cells force the walk (its faults are under test); evidence ids name the source.
    clean_->cli().SetEnv("SEATKEEPER_TICKET_ACTIVITY_PLAN", "walk");
    ASSERT_EQ(clean_->Connect().exit_code, 0);
    clean_->Json({"sync"});
    usage_ = new json(ProjectUsage(clean_->Json({"usage"})));
    full_usage_ = new json(clean_->Json({"usage"}));
    users_ = new json(StripAdminLogin(ProjectUsers(clean_->Json({"users"})), clean_->sim().AdminId()));
  }
  static void TearDownTestSuite() {
    delete clean_;
    delete usage_;
    delete full_usage_;
    delete users_;
  }
  static Account* clean_;
  static json* usage_;
  static json* full_usage_;
  static json* users_;
};
Account* SyncFaultMatrix::clean_ = nullptr;
json* SyncFaultMatrix::usage_ = nullptr;
json* SyncFaultMatrix::full_usage_ = nullptr;
json* SyncFaultMatrix::users_ = nullptr;

TEST_P(SyncFaultMatrix, EveryFaultEndsLikeACleanRunOrFailsCleanly) {
  const SyncPhase& phase = GetParam();
  ASSERT_FALSE(usage_->empty());
  // One simulated account per phase (syncs only read it); each cell starts
  // from an empty store.
  Account acct(MatrixAccount(), "matrix");
  acct.cli().SetEnv("SEATKEEPER_TICKET_ACTIVITY_PLAN", "walk");  // the walk's faults under test
  for (const auto& fc : Faults()) {
    SCOPED_TRACE(fc.name + " during " + phase.name);
    auto started = std::chrono::steady_clock::now();
    for (const char* f : {"/seatkeeper.db", "/seatkeeper.db-wal", "/seatkeeper.db-shm"})
      std::filesystem::remove(acct.cli().home() + f);
    ASSERT_EQ(acct.Connect().exit_code, 0);
    acct.sim().ClearRequests();
    zdsim::Fault f = fc.fault;
    f.path = phase.path;
    f.skip = phase.skip;
    acct.sim().AddFault(f);
    CliResult r = acct.cli().Run({"sync"});
    bool fired = FaultFired(acct, f);
    acct.sim().ClearFaults();
    std::string outcome;
    if (r.exit_code == 0) {
      outcome = "ok";
    } else {
      // A clear error, the state says so, and what was committed never overcounts.
      EXPECT_EQ(r.exit_code, 1) << r.err;
      EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
      EXPECT_LT(r.err.size(), 2000u) << "the error should be one clear line: " << r.err;
      EXPECT_EQ(acct.Json({"status"})["state"], "error");
      std::string bad = NotASubset(ProjectUsage(acct.Json({"usage"})), *usage_);
      EXPECT_TRUE(bad.empty()) << bad;
      outcome = "error";
      // The next clean run converges.
      CliResult again = acct.cli().Run({"sync"});
      ASSERT_EQ(again.exit_code, 0) << again.err;
      outcome += "->ok";
    }
    auto got_usage = acct.Json({"usage"});
    EXPECT_TRUE(got_usage == *full_usage_)
        << "usage (counts included) differs from a clean run: "
        << FirstDifference(ProjectUsage(got_usage), *usage_, {"date", "user_id"});
    auto got_users = StripAdminLogin(ProjectUsers(acct.Json({"users"})), acct.sim().AdminId());
    EXPECT_TRUE(got_users == *users_) << FirstDifference(got_users, *users_, {"id"});
    if (fc.fault.kind == "repeat_page") {
      // A second sync changes nothing (no double counting).
      acct.Json({"sync"});
      EXPECT_TRUE(acct.Json({"usage"}) == *full_usage_) << "a re-run changed usage";
    }
    double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // A hang guard only (minutes): a 20 s bound failed at 20-26 s on a loaded 2-core machine.
    EXPECT_LT(secs, 300) << "cell hung";
    // A fault that never fired tests nothing: the account must span the phase.
    EXPECT_TRUE(fired) << "the fault never fired; the account is too small for this phase";
    if (!fired) outcome += "(not fired)";
    if (::testing::Test::HasFailure()) outcome = "FAIL:" + outcome;
    Record(fc.name, phase.name, outcome);
  }
}

INSTANTIATE_TEST_SUITE_P(Phases, SyncFaultMatrix,
                         ::testing::Values(SyncPhase{"users-sync", "/api/v2/incremental/users", 0},
                                           SyncPhase{"usage-backfill", "/api/v2/incremental/ticket_events", 1},
                                           SyncPhase{"audit-walk", "/api/v2/ticket_audits", 2}),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           for (auto& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// An OAuth access token (client credentials) that expires mid-sync: the client
// obtains a new one and the sync completes like a clean run.
TEST_F(SyncFaultMatrix, OAuthTokenExpiringMidSyncIsRenewed) {
  Account acct(MatrixAccount(), "matrix-oauth");  // compared with the suite's clean run
  acct.cli().SetEnv("SEATKEEPER_TICKET_ACTIVITY_PLAN", "walk");
  std::string file = acct.cli().WriteFile("client-secret", std::string(zdsim::kOauthClientSecret) + "\n");
  ASSERT_EQ(acct.cli()
                .Run({"connect", "--url", acct.sim().BaseUrl(), "--allow-local", "--client-id", "seatkeeper",
                      "--client-secret-file", file})
                .exit_code,
            0);
  for (const auto& [phase, path, skip] : std::vector<std::tuple<std::string, std::string, int>>{
           {"users-sync", "/api/v2/incremental/users", 0}, {"usage-backfill", "/api/v2/incremental/ticket_events", 1}}) {
    zdsim::Fault f = Make("token_expired", 401, "json", std::nullopt, 1);
    f.path = path;
    f.skip = skip;
    acct.sim().AddFault(f);
    CliResult r = acct.cli().Run({"sync"});
    acct.sim().ClearFaults();
    EXPECT_EQ(r.exit_code, 0) << phase << ": " << r.err;
    Record("token expired, OAuth client credentials", phase, r.exit_code == 0 ? "ok(renewed)" : "FAIL:exit " + std::to_string(r.exit_code));
  }
  EXPECT_TRUE(acct.Json({"usage"}) == *full_usage_);
  auto users = StripAdminLogin(ProjectUsers(acct.Json({"users"})), acct.sim().AdminId());
  EXPECT_TRUE(users == *users_) << FirstDifference(users, *users_, {"id"});
}

// Records deleted (softly and permanently) while a users sync is between two
// pages: the sync completes, and the next one (the deletion is older than the
// export's one-minute horizon by then) matches Zendesk exactly.
TEST(SyncFaults, RecordsDeletedBetweenTwoPages) {
  zdsim::Options o = SmallAccount(25);
  o.users = 2500;  // several incremental-users pages
  Account acct(o, "deleted-between");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  std::vector<int64_t> victims;
  for (const auto& u : acct.sim().TruthUsers())
    if (u["role"] == "end-user" && !u["deleted"].get<bool>() && victims.size() < 2) victims.push_back(u["id"]);
  ASSERT_EQ(victims.size(), 2u);
  zdsim::Fault slow = Make("slow", 0, "json", std::nullopt, 1, 1500);
  slow.path = "/api/v2/incremental/users";
  slow.skip = 1;
  acct.sim().AddFault(slow);
  std::atomic<bool> deleted{false};
  std::thread deleter([&] {
    for (int i = 0; i < 400; ++i) {
      for (const auto& r : acct.sim().Requests())
        if (r["path"].get<std::string>().rfind("/api/v2/incremental/users", 0) == 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(300));  // inside the slow second page
          acct.sim().SoftDeleteUser(victims[0]);
          acct.sim().PermanentlyDeleteUser(victims[1]);
          deleted = true;
          return;
        }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  CliResult r = acct.cli().Run({"sync"});
  deleter.join();
  ASSERT_TRUE(deleted.load());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  acct.Advance(120, false);
  acct.Json({"sync"});
  auto got = ProjectUsers(acct.Json({"users"})), want = ProjectUsers(acct.sim().TruthUsers());
  auto strip = [&](json u) { return StripAdminLogin(std::move(u), acct.sim().AdminId()); };
  EXPECT_TRUE(strip(got) == strip(want)) << FirstDifference(got, want, {"id"});
  Record("record deleted between pages", "users-sync", r.exit_code == 0 && strip(got) == strip(want) ? "ok" : "FAIL");
}

// OAuth with a rotating refresh token: the access token expires mid-sync, the
// client refreshes (the rotated pair is saved), and a refresh token that was
// already used once fails with a clear error and an intact store.
json TokenCall(Account& a, const json& body) {
  httplib::Client http(a.sim().BaseUrl());
  auto r = http.Post("/oauth/tokens", body.dump(), "application/json");
  if (!r || r->status != 201) {
    ADD_FAILURE() << "token call failed: " << (r ? r->body : "no answer");
    return json::object();
  }
  return json::parse(r->body);
}

json AuthorizationCodeTokens(Account& a) {
  httplib::Client http(a.sim().BaseUrl());
  const std::string redirect = "http://127.0.0.1:9/callback";
  auto r = http.Post("/oauth/authorizations",
                     "client_id=seatkeeper&redirect_uri=" + std::string("http%3A%2F%2F127.0.0.1%3A9%2Fcallback") +
                         "&scope=read+write&state=s1&decision=approve",
                     "application/x-www-form-urlencoded");
  if (!r || r->status != 302) {
    ADD_FAILURE() << "authorization failed: " << (r ? std::to_string(r->status) + r->body : "no answer");
    return json::object();
  }
  std::string loc = r->get_header_value("Location");
  auto q = loc.find("code=");
  std::string code = loc.substr(q + 5, loc.find('&', q) - q - 5);
  return TokenCall(a, {{"grant_type", "authorization_code"}, {"code", code}, {"client_id", zdsim::kOauthClientId},
                       {"client_secret", zdsim::kOauthClientSecret}, {"redirect_uri", redirect}});
}

TEST_F(SyncFaultMatrix, RefreshTokenRotatesAndAReusedOneFailsCleanly) {
  Account acct(MatrixAccount(), "matrix-refresh");  // compared with the suite's clean run
  acct.cli().SetEnv("SEATKEEPER_TICKET_ACTIVITY_PLAN", "walk");
  json t1 = AuthorizationCodeTokens(acct);
  ASSERT_TRUE(t1.contains("refresh_token")) << t1.dump();
  ASSERT_EQ(acct.ConnectOAuth(t1["access_token"]).exit_code, 0);
  const std::string home = acct.cli().home();
  auto store_conn = [&](const std::function<void(store::Connection&)>& edit) {
    auto st = store::OpenSqlite(home + "/seatkeeper.db", home);
    EXPECT_TRUE(st.ok());
    auto c = (*st)->GetConnection("default");
    EXPECT_TRUE(c.ok() && c->has_value());
    store::Connection conn = **c;
    edit(conn);
    EXPECT_TRUE((*st)->PutConnection(conn).ok());
    return conn;
  };
  store_conn([&](store::Connection& c) {
    c.refresh_token = t1["refresh_token"];
    c.client_id = zdsim::kOauthClientId;
    c.client_secret = zdsim::kOauthClientSecret;
  });
  zdsim::Fault f = Make("token_expired", 401, "json", std::nullopt, 1);
  f.path = "/api/v2/incremental/ticket_events";
  f.skip = 1;
  acct.sim().AddFault(f);
  CliResult r = acct.cli().Run({"sync"});
  acct.sim().ClearFaults();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string rotated = store_conn([](store::Connection&) {}).refresh_token;
  EXPECT_NE(rotated, t1["refresh_token"].get<std::string>()) << "the rotated refresh token was not saved";
  Record("token expired, refresh token", "usage-backfill", r.exit_code == 0 ? "ok(refreshed)" : "FAIL");

  // Someone else uses the stored refresh token first: ours is now spent.
  TokenCall(acct, {{"grant_type", "refresh_token"}, {"refresh_token", rotated},
                   {"client_id", zdsim::kOauthClientId}, {"client_secret", zdsim::kOauthClientSecret}});
  acct.Advance(120, false);
  auto before = acct.Json({"usage"});
  f.skip = 0;
  acct.sim().AddFault(f);
  CliResult spent = acct.cli().Run({"sync"});
  acct.sim().ClearFaults();
  EXPECT_EQ(spent.exit_code, 1) << spent.out;
  EXPECT_NE(spent.err.find("error: "), std::string::npos) << spent.err;
  EXPECT_LT(spent.err.size(), 2000u) << spent.err;
  EXPECT_EQ(acct.Json({"status"})["state"], "error");
  std::string bad = NotASubset(ProjectUsage(acct.Json({"usage"})), ProjectUsage(acct.sim().TruthUsage(90, "UTC")));
  EXPECT_TRUE(bad.empty()) << bad;
  Record("refresh token already used", "usage-backfill", spent.exit_code == 1 ? "error" : "FAIL");
  // Reconnecting with a fresh token recovers.
  ASSERT_EQ(acct.ConnectOAuth(zdsim::kAdminOauthToken).exit_code, 0);
  acct.Json({"sync"});
  auto got = ProjectUsage(acct.Json({"usage"})), want = ProjectUsage(acct.sim().TruthUsage(90, "UTC"));
  EXPECT_TRUE(got == want) << FirstDifference(got, want, {"date", "user_id"});
  (void)before;
}

// ---- actions ----

struct ActionCase {
  std::string name;
  // Builds the command for a fresh target; returns the fault path and a check
  // of the simulator's state: "applied", "unchanged" or a description.
  std::function<std::vector<std::string>(Account&, int64_t target, int64_t other, int n)> args;
  std::function<std::string(Account&, int64_t target, int n)> fault_path;
  std::function<std::string(Account&, int64_t target, int n)> state;
};

std::string Email(int n) { return "matrix-created-" + std::to_string(n) + "@example.test"; }

int UsersWithEmail(Account& a, const std::string& email) {
  int k = 0;
  for (const auto& u : a.sim().TruthUsers())
    if (u["email"] == email && !u["deleted"].get<bool>()) ++k;
  return k;
}

// Successful mutating requests (non-GET, 2xx) whose path starts with `prefix`.
std::vector<ActionCase> Actions() {
  auto user_path = [](Account&, int64_t t, int) { return "/api/v2/users/" + std::to_string(t); };
  return {
      {"set-role",
       [](Account&, int64_t t, int64_t, int) {
         return std::vector<std::string>{"user",   "set-role", std::to_string(t),
                                         "--role", "end-user", "--let-zendesk-reassign"};
       },
       user_path,
       [](Account& a, int64_t t, int) {
         std::string role = a.TruthUser(t)["role"];
         int puts = a.SucceededMutations("/api/v2/users/" + std::to_string(t));
         if (role == "end-user")
           return puts == 1 ? std::string("applied") : "applied " + std::to_string(puts) + "x";
         return role == "agent" ? std::string("unchanged") : "role " + role;
       }},
      {"user-create",
       [](Account&, int64_t, int64_t, int n) {
         return std::vector<std::string>{"user", "create", "--name", "Matrix " + std::to_string(n), "--email", Email(n),
                                         "--role", "end-user"};
       },
       [](Account&, int64_t, int) { return std::string("/api/v2/users"); },
       [](Account& a, int64_t, int n) {
         int k = UsersWithEmail(a, Email(n));
         return k == 1 ? std::string("applied") : k == 0 ? std::string("unchanged") : std::to_string(k) + " users";
       }},
      {"user-delete",
       [](Account&, int64_t t, int64_t, int) {
         return std::vector<std::string>{"user", "delete", std::to_string(t), "--let-zendesk-reassign"};
       },
       user_path,
       [](Account& a, int64_t t, int) {
         bool deleted = a.TruthUser(t)["deleted"];
         int dels = a.SucceededMutations("/api/v2/users/" + std::to_string(t));
         if (deleted) return dels == 1 ? std::string("applied") : "applied " + std::to_string(dels) + "x";
         return std::string("unchanged");
       }},
      {"tickets-reassign",
       [](Account&, int64_t t, int64_t o, int) {
         return std::vector<std::string>{"tickets", "reassign", "--from", std::to_string(t), "--to", std::to_string(o)};
       },
       [](Account&, int64_t, int) { return std::string("/api/v2/tickets/update_many"); },
       [](Account& a, int64_t t, int) {
         int open = 0;
         for (const auto& tk : a.sim().TicketsState(t))
           if (tk["status"] != "closed" && tk["status"] != "deleted" && !tk["archived"].get<bool>()) ++open;
         return open == 0 ? std::string("applied") : std::to_string(open) + " still assigned";
       }},
      {"offboard",
       [](Account&, int64_t t, int64_t o, int) {
         return std::vector<std::string>{"offboard", std::to_string(t), "--reassign-to", std::to_string(o), "--delete"};
       },
       user_path,
       [](Account& a, int64_t t, int) {
         bool deleted = a.TruthUser(t)["deleted"];
         int dels = 0;
         for (const auto& r : a.sim().Requests()) {
           int st = r["status"];
           if (r["method"] == "DELETE" && st >= 200 && st < 300 &&
               r["path"].get<std::string>().rfind("/api/v2/users/" + std::to_string(t), 0) == 0)
             ++dels;
         }
         if (deleted) return dels == 1 ? std::string("applied") : "deleted " + std::to_string(dels) + "x";
         return std::string("unchanged");
       }},
  };
}

TEST(ActionFaultMatrix, EveryFaultAppliesOnceOrLeavesZendeskUnchanged) {
  zdsim::Options o = SmallAccount(22);
  o.agents = 140;  // one fresh target per cell
  Account acct(o, "matrix-actions");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  acct.Json({"sync"});
  std::vector<int64_t> agents;
  for (const auto& u : acct.sim().TruthUsers())
    if (u["role"] == "agent" && u["license"] == "agent" && !u["deleted"].get<bool>() &&
        !u["suspended"].get<bool>() && u["id"] != acct.sim().AgentId())
      agents.push_back(u["id"]);
  const int64_t heir = acct.sim().AdminId();
  size_t next = 0;
  int n = 0;
  for (const auto& action : Actions()) {
    for (const auto& fc : Faults()) {
      if (fc.fault.kind == "repeat_page" || fc.fault.kind == "expired_cursor") continue;  // pages only
      SCOPED_TRACE(fc.name + " during " + action.name);
      ASSERT_LT(next, agents.size()) << "not enough agents for the matrix";
      int64_t target = agents[next++];
      ++n;
      acct.sim().ClearRequests();
      zdsim::Fault f = fc.fault;
      f.path = action.fault_path(acct, target, n);
      acct.sim().AddFault(f);
      CliResult r = acct.cli().Run(action.args(acct, target, heir, n));
      acct.sim().ClearFaults();
      std::string state = action.state(acct, target, n);
      std::string outcome;
      if (r.exit_code == 0) {
        EXPECT_EQ(state, "applied") << r.out << r.err;
        outcome = state == "applied" ? "ok" : "FAIL:" + state;
      } else {
        EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 3) << r.exit_code << r.err;
        EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
        // Failed: nothing half-applied. "applied" is acceptable only when
        // Zendesk applied it exactly once and the CLI says it could not confirm.
        // A reassignment runs in batches: a failed batch leaves its tickets where
        // they were and the error names them (each ticket moved at most once).
        bool partial = action.name == "tickets-reassign" && state.find("still assigned") != std::string::npos &&
                       (r.err.find("could not") != std::string::npos || r.err.find("not reassigned") != std::string::npos);
        EXPECT_TRUE(state == "unchanged" || state == "applied" || partial) << state << "\n" << r.err;
        outcome = state == "unchanged" ? "error"
                  : state == "applied" ? "error(applied once)"
                  : partial            ? "error(partial)"
                                       : "FAIL:" + state;
        // Running the same command again completes it without repeating a mutation.
        CliResult again = acct.cli().Run(action.args(acct, target, heir, n));
        std::string after = action.state(acct, target, n);
        if (again.exit_code == 0 && after == "applied") outcome += "->ok";
        else if (action.name == "user-create" && again.exit_code != 0 && after == "applied")
          outcome += "->exists";
        else
          ADD_FAILURE() << "retry: exit " << again.exit_code << " " << again.err << " state " << after;
      }
      Record(fc.name, action.name, outcome);
    }
  }
}


}  // namespace
}  // namespace sk::testing

// ---- crash safety ----

#include <sqlite3.h>

namespace sk::testing {
namespace {

std::string IntegrityCheckOf(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "cannot open";
  }
  std::string result;
  sqlite3_exec(
      db, "PRAGMA integrity_check",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) += values[0] ? values[0] : "";
        return 0;
      },
      &result, nullptr);
  sqlite3_close(db);
  return result;
}

// 30 SIGKILLs spread over a whole backfill (several rounds, each from an
// empty home, each with its kill points shifted), PRAGMA integrity_check after
// every kill, and every round ends identical to a clean run.
TEST(CrashSafety, ThirtyKillsSpreadOverABackfill) {
  zdsim::Options o = SmallAccount(23);
  o.users = 1200;          // two incremental-users pages
  o.tickets_per_day = 40;  // several export pages and dozens of audit pages
  // Kill points, not answer times, are under test: zdsim's latency only
  // stretched each of the up to 12 rounds (884 s of the 900 s limit on a
  // loaded 2-core machine).
  o.latency = false;
  Account clean(o, "kills-clean");
  ASSERT_EQ(clean.Connect().exit_code, 0);
  auto t0 = std::chrono::steady_clock::now();
  clean.Json({"sync"});
  int full_ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  auto want_usage = clean.Json({"usage"});
  auto want_users = StripAdminLogin(ProjectUsers(clean.Json({"users"})), clean.sim().AdminId());
  const int step = std::max(25, full_ms / 9);
  int kills = 0, rounds = 0;
  std::set<int> points;
  while (kills < 30 && rounds < 12) {
    Account acct(o, "kills");
    ASSERT_EQ(acct.Connect().exit_code, 0);
    int offset = 20 + (rounds * step) / 4;
    ++rounds;
    for (int delay = offset; kills < 30; delay += step) {
      CliResult r = acct.cli().RunKilledAfter({"sync"}, delay);
      if (r.exit_code == 0) break;
      ASSERT_EQ(r.exit_code, 128 + 9) << r.err;
      ++kills;
      points.insert(delay);
      ASSERT_EQ(IntegrityCheckOf(acct.cli().home() + "/seatkeeper.db"), "ok") << "after kill " << kills;
      ASSERT_EQ(acct.cli().Run({"status", "--json"}).exit_code, 0);
    }
    CliResult fin = acct.cli().Run({"sync"});
    ASSERT_EQ(fin.exit_code, 0) << fin.err;
    auto got = acct.Json({"usage"});
    EXPECT_TRUE(got == want_usage) << "round " << rounds << ": "
                                   << FirstDifference(ProjectUsage(got), ProjectUsage(want_usage), {"date", "user_id"});
    auto users = StripAdminLogin(ProjectUsers(acct.Json({"users"})), acct.sim().AdminId());
    EXPECT_TRUE(users == want_users) << FirstDifference(users, want_users, {"id"});
  }
  EXPECT_GE(kills, 30);
  std::cout << "[crash safety] clean backfill " << full_ms << " ms; " << kills << " SIGKILLs survived over " << rounds
            << " rounds at " << points.size() << " distinct points (" << *points.begin() << ".." << *points.rbegin()
            << " ms)\n";
  Record("SIGKILL x" + std::to_string(kills), "usage-backfill", "ok(resumed)");
}

// Actions killed part-way: the next run resumes or reports, and no completed
// mutation is ever sent twice (checked in zdsim's request log): no user is
// deleted or has its role changed by two successful requests, and no ticket
// is in two successful update_many requests.
TEST(CrashSafety, KilledActionsNeverRepeatACompletedMutation) {
  zdsim::Options o = SmallAccount(24);
  o.agents = 90;
  o.tickets_per_day = 60;
  Account acct(o, "kill-actions");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  acct.Json({"sync"});
  std::vector<int64_t> agents;
  for (const auto& u : acct.sim().TruthUsers())
    if (u["role"] == "agent" && u["license"] == "agent" && !u["deleted"].get<bool>() &&
        !u["suspended"].get<bool>() && u["id"] != acct.sim().AgentId())
      agents.push_back(u["id"]);
  const std::string heir = std::to_string(acct.sim().AdminId());
  acct.sim().ClearRequests();
  int killed = 0, cases = 0, completed = 0;
  size_t next_agent = 0;
  std::set<int> kill_points;
  auto run_case = [&](const std::vector<std::string>& cmd, int delay, const std::function<bool()>& done) {
    CliResult r = acct.cli().RunKilledAfter(cmd, delay);
    if (r.exit_code == 128 + 9) {
      ++killed;
      kill_points.insert(delay);
    }
    EXPECT_EQ(IntegrityCheckOf(acct.cli().home() + "/seatkeeper.db"), "ok");
    CliResult again = acct.cli().Run(cmd);
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_FALSE(again.out.empty() && again.err.empty()) << "the re-run says nothing";
    if (again.exit_code == 0) {
      EXPECT_TRUE(done()) << "the re-run did not finish the action: " << again.out;
      completed += done() ? 1 : 0;
    }
  };
  auto open_tickets = [&](int64_t user) {
    int open = 0;
    for (const auto& tk : acct.sim().TicketsState(user))
      if (tk["status"] != "closed" && tk["status"] != "deleted" && !tk["archived"].get<bool>()) ++open;
    return open;
  };
  for (int delay : {30, 60, 90, 120, 160, 200, 250, 320, 400, 500, 650, 800, 1000, 1300}) {
    ASSERT_LT(next_agent, agents.size());
    const int64_t target = agents[next_agent++];
    ++cases;
    run_case({"offboard", std::to_string(target), "--reassign-to", heir, "--delete"}, delay,
             [&] { return acct.TruthUser(target)["deleted"].get<bool>() && open_tickets(target) == 0; });
  }
  for (int delay : {40, 80, 120, 180, 260, 400, 600, 900}) {
    ASSERT_LT(next_agent, agents.size());
    const int64_t target = agents[next_agent++];
    ++cases;
    run_case({"tickets", "reassign", "--from", std::to_string(target), "--to", heir}, delay,
             [&] { return open_tickets(target) == 0; });
  }
  // The single-request actions verify Zendesk's state before they send: a
  // kill after the request was accepted leaves a re-run with nothing to send.
  for (int delay : {40, 90, 150}) {
    ASSERT_LT(next_agent, agents.size());
    const int64_t target = agents[next_agent++];
    ++cases;
    run_case({"user", "set-role", std::to_string(target), "--role", "end-user", "--let-zendesk-reassign"},
             delay, [&] { return acct.TruthUser(target)["role"] == "end-user"; });
  }
  for (int delay : {40, 90, 150}) {
    const std::string email = "killed-create-" + std::to_string(delay) + "@example.test";
    ++cases;
    run_case({"user", "create", "--name", "Killed " + std::to_string(delay), "--email", email, "--role",
              "end-user"},
             delay, [&] { return UsersWithEmail(acct, email) == 1; });
  }
  for (int delay : {40, 90, 150, 250}) {
    ASSERT_LT(next_agent, agents.size());
    const int64_t target = agents[next_agent++];
    ++cases;
    run_case({"user", "delete", std::to_string(target), "--permanent", "--yes", "--let-zendesk-reassign"},
             delay, [&] { return acct.TruthUser(target)["deleted"].get<bool>(); });
  }
  // Successful mutations per user and per ticket, from zdsim's request log.
  std::map<std::string, int> deletes, role_changes, creates;
  std::map<std::string, int> ticket_moves;
  int update_many = 0;
  for (const auto& r : acct.sim().Requests()) {
    int st = r["status"];
    if (st < 200 || st >= 300) continue;
    std::string path = r["path"];
    if (r["method"] == "DELETE") ++deletes[path.substr(0, path.find('?'))];
    // Not create_or_update with an email alone: a lookup of the user a killed
    // create made (the search index lags behind it), which changes nothing.
    if (r["method"] == "POST" && path.rfind("/api/v2/users", 0) == 0 &&
        path.rfind("/api/v2/users/create_or_update", 0) != 0)
      ++creates[path];
    if (r["method"] == "PUT" && path.rfind("/api/v2/users/", 0) == 0)
      ++role_changes[path.substr(0, path.find('?'))];
    if (r["method"] == "PUT" && path.rfind("/api/v2/tickets/update_many", 0) == 0) {
      ++update_many;
      auto q = path.find("ids=");
      if (q == std::string::npos) continue;
      std::string ids = path.substr(q + 4);
      ids = ids.substr(0, ids.find('&'));
      for (size_t p = 0; p < ids.size();) {
        size_t c = ids.find("%2C", p);
        size_t comma = ids.find(',', p);
        size_t e = std::min(c, comma);
        ++ticket_moves[ids.substr(p, e - p)];
        if (e == std::string::npos) break;
        p = e + (e == c ? 3 : 1);
      }
    }
  }
  for (const auto& [path, n] : deletes) EXPECT_EQ(n, 1) << path << " deleted " << n << " times";
  for (const auto& [path, n] : role_changes) EXPECT_EQ(n, 1) << path << " changed " << n << " times";
  int created = 0;
  for (const auto& [path, n] : creates) created += n;
  EXPECT_EQ(created, 3) << "users created by successful POSTs (one per email)";
  int moved_twice = 0;
  std::string twice;
  for (const auto& [id, n] : ticket_moves)
    if (n > 1 && ++moved_twice <= 10) twice += id + " ";
  EXPECT_EQ(moved_twice, 0) << moved_twice
                            << " tickets were sent in two successful update_many requests, e.g. " << twice;
  EXPECT_GE(killed, 12);
  EXPECT_EQ(completed, cases);
  EXPECT_GT(ticket_moves.size(), 0u);
  std::cout << "[crash safety] " << killed << " of " << cases
            << " action runs (offboard, tickets reassign, set-role, create, permanent delete) killed "
            << "at " << kill_points.size() << " distinct points ("
            << (kill_points.empty() ? 0 : *kill_points.begin()) << ".."
            << (kill_points.empty() ? 0 : *kill_points.rbegin()) << " ms), every re-run completed; "
            << deletes.size() << " deletions sent once each, " << created << " users created once each, "
            << role_changes.size() << " users downgraded once each, " << ticket_moves.size()
            << " tickets moved once each in " << update_many
            << " update_many requests; tickets sent twice: " << moved_twice << "\n";
  Record("SIGKILL x" + std::to_string(killed), "offboard",
         moved_twice ? "FAIL:tickets re-sent" : "ok(resumed)");
}

}  // namespace
}  // namespace sk::testing
