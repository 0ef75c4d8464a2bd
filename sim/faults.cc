#include "faults.h"

namespace zdsim {

std::optional<std::string> ParseFault(const nlohmann::json& j, Fault* f) {
  if (!j.is_object()) return "body must be a JSON object";
  try {
    if (j.contains("kind")) f->kind = j["kind"].get<std::string>();
    static const char* kKinds[] = {"status",        "ip_restricted", "reset",       "slow",
                                   "truncate",      "invalid_utf8",  "repeat_page", "expired_cursor",
                                   "token_expired", "ignore_sort",   "job_failed"};
    bool ok = false;
    for (const char* k : kKinds) ok = ok || f->kind == k;
    if (!ok) return "unknown fault kind " + f->kind;
    if (j.contains("status")) f->status = j["status"].get<int>();
    if (j.contains("body")) f->body = j["body"].get<std::string>();
    if (j.contains("retry_after")) {
      if (j["retry_after"].is_null()) f->retry_after.reset();
      else f->retry_after = j["retry_after"].get<int>();
    }
    if (j.contains("count")) f->count = j["count"].get<int>();
    if (j.contains("path") && !j["path"].is_null()) f->path = j["path"].get<std::string>();
    if (j.contains("method") && !j["method"].is_null()) f->method = j["method"].get<std::string>();
    if (j.contains("skip")) f->skip = j["skip"].get<int>();
    if (j.contains("delay_ms")) f->delay_ms = j["delay_ms"].get<int>();
  } catch (const std::exception& e) {
    return std::string("invalid fault: ") + e.what();
  }
  if (f->count < 1) return "count must be >= 1";
  return std::nullopt;
}

std::optional<Fault> Faults::Match(const std::string& method, const std::string& path) {
  for (size_t i = 0; i < faults_.size(); ++i) {
    Fault& f = faults_[i];
    if (!f.method.empty() && f.method != method) continue;
    if (!f.path.empty() && path.rfind(f.path, 0) != 0) {
      // Also match when the fault path carries a .json suffix the request lacks.
      std::string p = f.path;
      if (p.size() > 5 && p.substr(p.size() - 5) == ".json") p.resize(p.size() - 5);
      if (path.rfind(p, 0) != 0) continue;
    }
    if (f.skip > 0) {
      --f.skip;
      return std::nullopt;
    }
    Fault fired = f;
    if (--f.count <= 0) faults_.erase(faults_.begin() + static_cast<std::ptrdiff_t>(i));
    return fired;
  }
  return std::nullopt;
}

nlohmann::json Faults::List() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : faults_) {
    out.push_back({{"kind", f.kind},
                   {"status", f.status},
                   {"body", f.body},
                   {"retry_after", f.retry_after ? nlohmann::json(*f.retry_after) : nlohmann::json(nullptr)},
                   {"count", f.count},
                   {"path", f.path},
                   {"method", f.method},
                   {"skip", f.skip},
                   {"delay_ms", f.delay_ms}});
  }
  return out;
}

}  // namespace zdsim
