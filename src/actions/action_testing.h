// Test fixture for the actions: an in-process zdsim, a fresh SQLite store
// holding a read-write API-token connection for the simulator's admin, and a
// client whose retry sleeps are instant. Header-only; used by *_test.cc here.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "actions/action.h"
#include "actions/offboard.h"
#include "server.h"
#include "store/store.h"
#include "store/store_testing.h"
#include "zendesk/client.h"

namespace sk::actions::testing {

using nlohmann::json;

inline zdsim::Options SmallAccount() {
  zdsim::Options o;
  o.seed = 42;
  o.users = 60;
  o.agents = 8;
  o.days = 20;
  o.tickets_per_day = 20;
  o.articles = 2;
  o.plan = "enterprise";
  o.latency_scale = 1.0 / 60;  // Zendesk's answer times at a test's one-second scale
  return o;
}

class ActionsTest : public ::testing::Test {
 protected:
  // Override to change the simulated account before SetUp runs.
  virtual zdsim::Options SimOptions() { return SmallAccount(); }

  void SetUp() override {
    sim_ = std::make_unique<zdsim::Simulator>(SimOptions());
    sim_->Start();
    auto st = scratch_.emplace("sk-actions").OpenStore();
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    store_ = std::move(*st);
    conn_.account = "default";
    conn_.url = sim_->BaseUrl();
    conn_.auth_kind = "api_token";
    conn_.email = sim_->AdminEmail();
    conn_.secret = zdsim::kAdminApiToken;
    conn_.permission = "read-write";
    conn_.state = "synced";
    conn_.plan = "enterprise";
    conn_.connecting_user_id = sim_->AdminId();
    conn_.connecting_user_email = sim_->AdminEmail();
    ASSERT_TRUE(store_->PutConnection(conn_).ok());
    client_ = MakeClient(zendesk::Credentials::Kind::kApiToken, zdsim::kAdminApiToken);
    sim_->ClearRequests();
  }

  void TearDown() override {
    client_.reset();
    store_.reset();
    if (sim_) sim_->Stop();
    scratch_.reset();
  }

  std::unique_ptr<zendesk::Client> MakeClient(zendesk::Credentials::Kind kind, const std::string& secret) {
    zendesk::ClientOptions o;
    o.base_url = sim_->BaseUrl();
    o.credentials.kind = kind;
    o.credentials.email = sim_->AdminEmail();
    o.credentials.secret = secret;
    o.sleep = [](double) {};
    o.max_attempts = 3;
    o.request_timeout_seconds = 30;
    return std::make_unique<zendesk::Client>(std::move(o));
  }

  // An action context; job polls sleep a tenth of the asked time (zdsim jobs
  // complete after ~0.5 s of real time).
  ActionContext Ctx(bool dry_run = false) {
    ActionContext c;
    c.store = store_.get();
    c.client = client_.get();
    c.conn = conn_;
    c.actor = "test:runner";
    c.dry_run = dry_run;
    c.sleep = [](double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s / 10)); };
    return c;
  }

  // Zendesk requests that may change something (anything but GET/HEAD).
  json MutatingRequests() {
    json out = json::array();
    for (const auto& r : sim_->Requests()) {
      std::string m = r.value("method", "");
      if (m != "GET" && m != "HEAD") out.push_back(r);
    }
    return out;
  }
  int CountRequests(const std::string& method, const std::string& path_prefix) {
    int n = 0;
    for (const auto& r : sim_->Requests()) {
      if (r.value("method", "") == method && r.value("path", "").rfind(path_prefix, 0) == 0) ++n;
    }
    return n;
  }

  // The simulator's view of a user (from its ground truth), or null.
  json TruthUser(int64_t id) {
    json all = sim_->TruthUsers();
    const json& list = all.is_object() && all.contains("users") ? all["users"] : all;
    for (const auto& u : list) {
      if (u.value("id", int64_t{0}) == id) return u;
    }
    return nullptr;
  }

  // A user (by role) served by zdsim over HTTP, not the owner, admin or agent
  // well-known users.
  int64_t FindUser(const std::string& role, int skip = 0) {
    std::string cursor;
    for (;;) {
      auto page = client_->ListUsers(cursor);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) return 0;
      for (const auto& u : page->items) {
        if (!u.id || !u.active || u.suspended || u.role != role) continue;
        if (*u.id == sim_->OwnerId() || *u.id == sim_->AdminId() || *u.id == sim_->AgentId()) continue;
        if (role == "agent" && u.role_type && *u.role_type != 0) continue;  // plain/custom full agents
        if (skip-- > 0) continue;
        return *u.id;
      }
      if (!page->has_more) return 0;
      cursor = page->after_cursor;
    }
  }

  // Non-closed tickets assigned to `id` per zdsim's state.
  int NonClosed(int64_t id) {
    int n = 0;
    for (const auto& t : sim_->TicketsState(id)) {
      std::string s = t.value("status", "");
      if (s != "closed" && s != "deleted") ++n;
    }
    return n;
  }

  // Whether a line of `o` at `step` says `text`.
  static bool Says(const ActionOutcome& o, const std::string& step, const std::string& text) {
    for (const auto& c : o.changes)
      if (c.step == step && c.description.find(text) != std::string::npos) return true;
    return false;
  }

  // How an offboarding ends (Leaving).
  enum class Then { kDelete, kPermanentlyDelete };
  // Offboarding user `id`: tickets to the simulator's agent, then the user deleted (softly or for good).
  OffboardRequest Leaving(int64_t id, Then then) const {
    OffboardRequest r;
    r.user_id = id;
    r.reassign_to = sim_->AgentId();
    (then == Then::kDelete ? r.delete_user : r.permanent) = true;
    return r;
  }

  std::unique_ptr<zdsim::Simulator> sim_;
  std::optional<store::testing::ScratchHome> scratch_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<zendesk::Client> client_;
  store::Connection conn_;
};

}  // namespace sk::actions::testing
