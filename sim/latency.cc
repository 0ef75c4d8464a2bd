#include "latency.h"

#include <cmath>

namespace zdsim {
namespace {

bool StartsWith(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

bool IsUserPath(const std::string& path) {
  // /api/v2/users/{id} (a delete of one user is the slowest recorded write).
  if (!StartsWith(path, "/api/v2/users/")) return false;
  const std::string rest = path.substr(14);
  return !rest.empty() && rest.find_first_not_of("0123456789") == std::string::npos;
}

// Standard normal draw (Box-Muller) from two uniforms of the generator.
double Normal(Rng& rng) {
  const double u1 = ((rng.Next() >> 11) + 1.0) * (1.0 / 9007199254740993.0);
  const double u2 = (rng.Next() >> 11) * (1.0 / 9007199254740992.0);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace

// Medians fitted to the recorded x-runtime figures (sim/README.md "Latency"):
// small answers 0.06-0.10 s; a 100-audit page (129 KB) 0.83-0.87 s; 1000-item
// incremental exports (800-945 KB) 1.3-1.8 s; 100-user pages (82 KB)
// 0.25-0.40 s; search export 1000 items (900 KB) 2.0-2.2 s; user create
// 0.14 s; user delete 0.29 s.
LatencyProfile ProfileFor(const std::string& method, const std::string& path, int status) {
  if (status == 429 || status == 401 || status == 403) return {0.06, 0};  // refused before any work
  if (method == "DELETE") return IsUserPath(path) ? LatencyProfile{0.29, 0} : LatencyProfile{0.12, 0};
  if (method != "GET") return {0.14, 0.0015};
  if (StartsWith(path, "/api/v2/ticket_audits")) return {0.09, 0.0060};
  if (StartsWith(path, "/api/v2/search")) return {0.15, 0.0022};
  if (StartsWith(path, "/api/v2/incremental/")) return {0.09, 0.0017};
  if (StartsWith(path, "/api/v2/users")) return {0.09, 0.0025};
  return {0.09, 0.0015};
}

LatencyModel::LatencyModel(double scale, double rtt_s, uint64_t seed)
    : scale_(scale), rtt_s_(rtt_s), rng_(seed ^ 0x6C6174656E6379ULL) {}

double LatencyModel::Delay(const std::string& method, const std::string& path, int status,
                           size_t body_bytes) {
  if (scale_ <= 0) return 0;
  const LatencyProfile p = ProfileFor(method, path, status);
  const double median = p.base_s + p.per_kb_s * (static_cast<double>(body_bytes) / 1024.0);
  double jitter;
  bool slow;
  {
    std::lock_guard<std::mutex> lk(mu_);
    // Log-normal around the median, sigma 0.25 (recorded p90/median 1.24-1.4
    // on the endpoints with many samples), and one answer in a hundred eight
    // times slower (recorded max/median of a show: 0.79/0.091).
    jitter = std::exp(0.25 * Normal(rng_));
    slow = rng_.Chance(0.01);
  }
  return scale_ * (median * jitter * (slow ? 8.0 : 1.0) + rtt_s_);
}

}  // namespace zdsim
