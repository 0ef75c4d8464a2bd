// zdsim: an in-process Zendesk API simulator. Construct with Options (the
// dataset is generated deterministically), Start() to serve on a background
// thread, then point a client at BaseUrl().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "credentials.h"
#include "faults.h"
#include "options.h"

namespace httplib {
class Server;
}

namespace zdsim {

class SimCore;
class Router;

class Simulator {
 public:
  explicit Simulator(Options o);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  int Start();  // returns the bound port; throws std::runtime_error when binding fails
  void Stop();
  std::string BaseUrl() const;
  const Options& options() const;
  int64_t Now() const;

  // Ground truth (see /_sim/truth/*).
  // probable_integration is judged over the usage window (window_days up to now, in tz).
  nlohmann::json TruthUsers(int window_days = 90, const std::string& tz = "UTC") const;
  nlohmann::json TruthUsage(int window_days, const std::string& tz) const;
  // Log of Zendesk requests (see /_sim/requests).
  nlohmann::json Requests() const;
  void ClearRequests();

  // C++ equivalents of the /_sim/ control calls. Return false / an error
  // message when the user does not exist or the change is invalid.
  void Advance(int64_t seconds, bool activity = true);
  void AddFault(const Fault& f);
  void ClearFaults();
  // With `actor_id`, the change is that admin's (as in Zendesk's UI): on
  // Enterprise an audit-log record (source_type user, action update/destroy)
  // names them, and their ticket moves apply. Without one, nobody's.
  std::optional<std::string> UpdateUser(int64_t user_id, const nlohmann::json& patch,
                                        std::optional<int64_t> actor_id = std::nullopt);
  bool SoftDeleteUser(int64_t user_id, std::optional<int64_t> actor_id = std::nullopt);
  bool PermanentlyDeleteUser(int64_t user_id);
  bool Login(int64_t user_id, std::optional<int64_t> at = std::nullopt);
  nlohmann::json TicketsState(std::optional<int64_t> assignee_id = std::nullopt) const;

  // Well-known users.
  int64_t AdminId() const;
  int64_t AgentId() const;
  int64_t OwnerId() const;
  std::string AdminEmail() const { return zdsim::AdminEmail(opt_.subdomain); }
  std::string AgentEmail() const { return zdsim::AgentEmail(opt_.subdomain); }
  std::string OwnerEmail() const { return zdsim::OwnerEmail(opt_.subdomain); }

 private:
  void Dispatch(const void* req, void* res);

  Options opt_;
  std::unique_ptr<SimCore> core_;
  std::unique_ptr<Router> zendesk_;
  std::unique_ptr<Router> control_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace zdsim
