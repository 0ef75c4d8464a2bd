// Injected faults: the next N matching Zendesk requests (after skipping K)
// get an error status, a reset connection, a delay, a damaged body or a
// repeated page.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zdsim {

struct Fault {
  std::string kind = "status";  // status|ip_restricted|reset|slow|truncate|invalid_utf8|repeat_page|
                                //   expired_cursor (400 on a cursor)|token_expired (401 invalid_token)|
                                //   ignore_sort (a list answers in its default order, as some
                                //   Zendesk lists do with cursor pagination)|job_failed (the
                                //   update_many job this request starts makes the first half
                                //   of its changes, then ends "failed" with no results)
  int status = 503;
  std::string body = "json";    // json|text
  std::optional<int> retry_after = 1;
  int count = 1;
  std::string path;             // prefix; empty = any Zendesk path
  std::string method;           // GET, PUT...; empty = any
  int skip = 0;
  int delay_ms = 1000;
};

// Parses the /_sim/faults body; returns an error message when invalid.
std::optional<std::string> ParseFault(const nlohmann::json& j, Fault* out);

class Faults {
 public:
  void Add(Fault f) { faults_.push_back(std::move(f)); }
  void Clear() { faults_.clear(); }
  // The fault that fires for this request, if any (consumes counters).
  std::optional<Fault> Match(const std::string& method, const std::string& path);
  nlohmann::json List() const;

 private:
  std::vector<Fault> faults_;
};

}  // namespace zdsim
