// Generation and serving options of the simulator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace zdsim {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  uint64_t seed = 1;
  int users = 200;
  int agents = 20;
  std::string plan = "enterprise";  // team|professional|enterprise|enterprise-plus
  bool high_volume = false;
  int days = 90;
  int tickets_per_day = 30;
  int articles = 20;
  std::optional<int64_t> now;  // fixed clock when set
  int rate_window_seconds = 60;
  bool rate_limits = true;
  std::string subdomain = "acme";
  std::string edge_zone = "Europe/Berlin";
  bool help_center = true;
};

inline bool IsEnterprise(const Options& o) { return o.plan == "enterprise" || o.plan == "enterprise-plus"; }

}  // namespace zdsim
