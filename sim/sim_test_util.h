// Helpers for zdsim tests: a started Simulator and authenticated clients.
#pragma once

#include <memory>
#include <string>

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

}  // namespace zdsim::testing
