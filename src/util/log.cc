#include "util/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "util/text.h"
#include "util/time.h"

namespace sk::log {
namespace {

std::mutex secrets_mu;
std::set<std::string>& Secrets() {
  static std::set<std::string> s;
  return s;
}
thread_local std::map<std::string, std::string> tls_fields;
std::atomic<bool> json_format{false};

class Formatter final : public spdlog::formatter {
 public:
  explicit Formatter(bool json) : json_(json) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string text = Redact(std::string(msg.payload.data(), msg.payload.size()));
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(msg.time.time_since_epoch()).count();
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count() % 1000;
    std::string ts = FormatIso(secs);
    ts.insert(ts.size() - 1, "." + std::string(ms < 10 ? "00" : ms < 100 ? "0" : "") + std::to_string(ms));
    std::string level(spdlog::level::to_string_view(msg.level).data(),
                      spdlog::level::to_string_view(msg.level).size());
    std::string line;
    if (json_) {
      nlohmann::json j = {{"ts", ts}, {"level", level}, {"msg", text}};
      for (const auto& [k, v] : tls_fields) j[k] = Redact(v);
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      // Messages carry Zendesk data (names, emails): nothing in them may
      // drive the terminal or break the line.
      line = ts + " " + level + " " + TerminalSafe(text);
      for (const auto& [k, v] : tls_fields) line += " " + k + "=" + TerminalSafe(Redact(v));
    }
    line += "\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<Formatter>(json_); }

 private:
  bool json_;
};

}  // namespace

Status Init(const std::string& format, const std::string& level) {
  if (format != "text" && format != "json") return InvalidArgument("--log-format must be text or json");
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off")
    return InvalidArgument("--log-level must be trace, debug, info, warn, error or off");
  auto logger = spdlog::stderr_logger_mt(
      "seatkeeper-" + std::to_string(reinterpret_cast<uintptr_t>(&tls_fields)) + "-" +
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  logger->set_formatter(std::make_unique<Formatter>(format == "json"));
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  json_format = format == "json";
  return Status::Ok();
}

void RegisterSecret(const std::string& secret) {
  if (secret.size() < 6) return;
  std::lock_guard lock(secrets_mu);
  Secrets().insert(secret);
}

std::string Redact(std::string s) {
  std::lock_guard lock(secrets_mu);
  for (const auto& secret : Secrets()) {
    for (size_t pos = s.find(secret); pos != std::string::npos; pos = s.find(secret, pos + 3))
      s.replace(pos, secret.size(), "***");
  }
  return s;
}

std::map<std::string, std::string> CurrentFields() {
  return tls_fields;
}

bool IsJson() {
  return json_format;
}

std::string NewRunId() {
  static std::atomic<uint32_t> counter{0};
  static const uint64_t seed =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
      (static_cast<uint64_t>(::getpid()) << 32);
  std::mt19937_64 mix(seed + counter.fetch_add(1));
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", static_cast<uint32_t>(mix()));
  return std::to_string(NowUnix()) + "-" + hex;
}

Scope::Scope(std::map<std::string, std::string> fields) {
  saved_ = tls_fields;
  for (auto& [k, v] : fields) tls_fields[k] = std::move(v);
}

Scope::~Scope() {
  tls_fields = std::move(saved_);
}

}  // namespace sk::log
