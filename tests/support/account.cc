#include "support/account.h"

#include <fstream>
#include <map>
#include <sstream>

namespace sk::testing {

zdsim::Options SmallAccount(uint64_t seed, const std::string& plan) {
  zdsim::Options o;
  o.seed = seed;
  o.plan = plan;
  o.users = 300;
  o.agents = 40;
  o.tickets_per_day = 25;
  o.articles = 20;
  o.days = 90;
  o.now = kNow;
  o.rate_window_seconds = 1;
  return o;
}

Account::Account(zdsim::Options o, const std::string& name) : cli_(name) {
  if (!o.now) o.now = kNow;
  sim_ = std::make_unique<zdsim::Simulator>(o);
  sim_->Start();
  cli_.SetEnv("SEATKEEPER_NOW", std::to_string(sim_->Now()));
}

Account::~Account() { sim_->Stop(); }

CliResult Account::Connect(const std::vector<std::string>& extra) {
  std::string token = cli_.WriteFile("api-token", "zdsim-admin-api-token\n");
  std::vector<std::string> args = {"connect",      "--url",        sim_->BaseUrl(), "--allow-local",
                                   "--email",      sim_->AdminEmail(), "--token-file", token};
  args.insert(args.end(), extra.begin(), extra.end());
  return cli_.Run(args);
}

CliResult Account::ConnectOAuth(const std::string& token, const std::vector<std::string>& extra) {
  std::string file = cli_.WriteFile("oauth-token", token + "\n");
  std::vector<std::string> args = {"connect", "--url", sim_->BaseUrl(), "--allow-local", "--oauth-token-file", file};
  args.insert(args.end(), extra.begin(), extra.end());
  return cli_.Run(args);
}

nlohmann::json Account::Json(std::vector<std::string> args) {
  args.push_back("--json");
  CliResult r = cli_.Run(args);
  if (r.exit_code != 0) {
    std::string failed;
    for (const auto& req : sim_->Requests())
      if (req["status"] != 200 && req["status"] != 201) failed += req.dump() + "\n";
    ADD_FAILURE() << args[0] << " exited " << r.exit_code << ": " << r.err << "\nnon-2xx requests:\n"
                  << failed.substr(0, 4000);
  }
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

std::vector<int64_t> Account::SpareAgents() {
  std::vector<int64_t> out;
  for (const auto& u : sim_->TruthUsers()) {
    const int64_t id = u["id"];
    if (u["license"] == "agent" && !u["suspended"].get<bool>() && !u["deleted"].get<bool>() &&
        id != sim_->AdminId() && id != sim_->OwnerId() && id != sim_->AgentId())
      out.push_back(id);
  }
  return out;
}

nlohmann::json Account::TruthUser(int64_t id) {
  for (const auto& u : sim_->TruthUsers())
    if (u["id"] == id) return u;
  return nullptr;
}

int Account::Mutations() {
  int n = 0;
  for (const auto& r : sim_->Requests()) n += r["method"] != "GET";
  return n;
}

int Account::SucceededMutations(const std::string& prefix) {
  int n = 0;
  for (const auto& r : sim_->Requests()) {
    const int st = r["status"];
    n += r["method"] != "GET" && st >= 200 && st < 300 && r["path"].get<std::string>().rfind(prefix, 0) == 0;
  }
  return n;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Account::Advance(int64_t seconds, bool activity) {
  sim_->Advance(seconds, activity);
  cli_.SetEnv("SEATKEEPER_NOW", std::to_string(sim_->Now()));
}

nlohmann::json ProjectUsers(const nlohmann::json& users) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& u : users) {
    nlohmann::json p;
    for (const char* k : {"id", "name", "email", "role", "license", "seat", "custom_role", "suspended", "deleted",
                          "last_login_at"})
      p[k] = u.contains(k) ? u[k] : nlohmann::json();
    out.push_back(p);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a["id"] < b["id"]; });
  return out;
}

nlohmann::json ProjectUsage(const nlohmann::json& usage) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : usage) out.push_back({{"user_id", r["user_id"]}, {"date", r["date"]}, {"sources", r["sources"]}});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a["date"], a["user_id"]) < std::tie(b["date"], b["user_id"]);
  });
  return out;
}

std::string FirstDifference(const nlohmann::json& got, const nlohmann::json& want, const std::vector<std::string>& key) {
  auto k = [&](const nlohmann::json& o) {
    std::string s;
    for (const auto& f : key) s += o.value(f, nlohmann::json()).dump() + "|";
    return s;
  };
  std::map<std::string, nlohmann::json> g, w;
  for (const auto& o : got) g[k(o)] = o;
  for (const auto& o : want) w[k(o)] = o;
  std::string out;
  int shown = 0;
  for (const auto& [key_s, o] : w) {
    auto it = g.find(key_s);
    if (it == g.end()) out += "missing: " + o.dump() + "\n";
    else if (it->second != o) out += "differs: got " + it->second.dump() + " want " + o.dump() + "\n";
    else continue;
    if (++shown >= 8) break;
  }
  for (const auto& [key_s, o] : g) {
    if (shown >= 8) break;
    if (!w.count(key_s)) {
      out += "unexpected: " + o.dump() + "\n";
      ++shown;
    }
  }
  out += "got " + std::to_string(got.size()) + " rows, want " + std::to_string(want.size());
  return out;
}

}  // namespace sk::testing
