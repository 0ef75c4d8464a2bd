#include "sync/coverage.h"

namespace sk::sync {
namespace {

constexpr char kCoverageKey[] = "coverage:ticket_activity";

}  // namespace

nlohmann::json CoverageJson(const std::vector<DayCoverage>& days) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : days) {
    nlohmann::json j = {
        {"date", FormatDay(d.day)}, {"complete", d.complete()}, {"sources", d.sources}, {"unseen", d.unseen}};
    if (!d.pending.empty()) j["pending"] = d.pending;
    out.push_back(std::move(j));
  }
  return out;
}

nlohmann::json CoverageSummaryJson(const std::vector<DayCoverage>& days) {
  nlohmann::json incomplete = nlohmann::json::array();
  int64_t complete = 0;
  for (const auto& d : days) {
    if (d.complete())
      ++complete;
    else
      incomplete.push_back({{"date", FormatDay(d.day)}, {"unseen", d.unseen}});
  }
  return {{"days", days.size()}, {"complete", complete}, {"incomplete", incomplete}};
}

Status StoreCoverage(store::Store& store, const std::string& account, const std::vector<DayCoverage>& days) {
  return store.PutValue(account, kCoverageKey, CoverageJson(days).dump());
}

Result<std::vector<DayCoverage>> LoadCoverage(store::Store& store, const std::string& account) {
  SK_ASSIGN_OR_RETURN(auto saved, store.GetValue(account, kCoverageKey));
  std::vector<DayCoverage> out;
  if (!saved) return out;
  auto j = nlohmann::json::parse(*saved, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    auto day = ParseDay(e.value("date", ""));
    if (!day) continue;
    DayCoverage d;
    d.day = *day;
    d.sources = e.value("sources", std::vector<std::string>{});
    d.unseen = e.value("unseen", std::vector<std::string>{});
    d.pending = e.value("pending", "");
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace sk::sync
