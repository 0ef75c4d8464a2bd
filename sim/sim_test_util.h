// Helpers for zdsim tests: a started Simulator and authenticated clients.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server.h"

namespace zdsim::testing {

inline constexpr int64_t kNow = 1795608000;  // 2026-11-25T12:00:00Z

inline Options FixedOptions() {
  Options o;
  o.now = kNow;
  o.users = 120;
  o.agents = 20;
  o.days = 30;
  o.tickets_per_day = 20;
  o.rate_window_seconds = 1;
  return o;
}

inline std::unique_ptr<httplib::Client> AdminClient(const Simulator& sim) {
  auto c = std::make_unique<httplib::Client>(sim.BaseUrl());
  c->set_basic_auth((sim.AdminEmail() + "/token").c_str(), kAdminApiToken);
  c->set_read_timeout(10, 0);
  return c;
}

inline nlohmann::json Body(const httplib::Result& r) { return nlohmann::json::parse(r->body); }

// Every item under `key` of a cursor (CBP) walk that starts at `first` (a
// path with its query string), following links.next while meta.has_more.
inline nlohmann::json WalkCbp(httplib::Client& cli, std::string first, const std::string& key, int* pages) {
  nlohmann::json all = nlohmann::json::array();
  std::string next = std::move(first);
  *pages = 0;
  while (true) {
    auto r = cli.Get(next.c_str());
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    if (!r || r->status != 200) break;
    nlohmann::json j = Body(r);
    for (auto& x : j[key]) all.push_back(x);
    ++*pages;
    if (!j["meta"]["has_more"]) break;
    next = j["links"]["next"].get<std::string>();
    next = next.substr(next.find("/api/"));
  }
  return all;
}

}  // namespace zdsim::testing
