// Request context, routing table and response helpers shared by the
// endpoint handler files (*_handlers.cc).
#pragma once

#include <httplib.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "core.h"
#include "pagination.h"
#include "render.h"

namespace zdsim {

using nlohmann::json;

enum class Access {
  kPublic,  // no authentication at all (OAuth endpoints)
  kAnyone,  // authentication optional (users/me answers anonymous)
  kAgent,   // any agent or admin
  kAdmin,   // admins only
};

struct Ctx {
  SimCore& s;
  Dataset& ds;
  const httplib::Request& req;
  httplib::Response& res;
  std::vector<std::string> args;  // regex captures
  std::string path;               // without .json
  std::string base;               // http://host:port
  int32_t user = -1;              // authenticated user index
  bool bearer = false;
  int64_t now = 0;
  bool repeat_page = false;
  bool ignore_sort = false;  // fault: sort_by/sort_order have no effect
  bool job_failed = false;   // fault: the job this request starts fails halfway

  bool is_admin() const { return user >= 0 && ds.users[user].role == "admin"; }
  int64_t ArgId(size_t i) const;  // 0 when not a number
};

using Handler = std::function<void(Ctx&)>;

struct Route {
  std::string method;
  std::regex re;
  Access access;
  std::string bucket;  // "" account only, "-" not rate limited, else endpoint bucket
  bool per_target;     // bucket keyed by the first capture (per user)
  Handler fn;
};

class Router {
 public:
  void Add(const std::string& method, const std::string& pattern, Access access, Handler fn,
           const std::string& bucket = "", bool per_target = false) {
    routes_.push_back(Route{method, std::regex(pattern), access, bucket, per_target, std::move(fn)});
  }
  const Route* Match(const std::string& method, const std::string& path, std::vector<std::string>* args) const;
  bool PathKnown(const std::string& path) const;

 private:
  std::vector<Route> routes_;
};

void SendJson(Ctx& c, int status, const json& body);
// A 200 page: `{"<records_key>": [records...], <envelope's fields>}`, the
// records written as text by `records` (render.h's JsonWriter), the envelope's
// fields (pagination) from the tree.
void SendPage(Ctx& c, std::string_view records_key, const json& envelope,
              const std::function<void(JsonWriter&)>& records);
void SendError(Ctx& c, int status, const std::string& error, const std::string& description);
void SendHttpError(Ctx& c, const HttpError& e);
void SendForbidden(Ctx& c);
void SendNotFound(Ctx& c);
void SendRecordInvalid(Ctx& c, const std::string& field, const std::string& error, const std::string& description);
// Parses the JSON body; sends 400 and returns nullopt when invalid.
std::optional<json> ParseBody(Ctx& c);
std::optional<int64_t> ParamInt(const Ctx& c, const std::string& name);
std::vector<int64_t> ParseIdList(const std::string& s, bool* ok);

// Registration, one per endpoint family.
void RegisterUserRoutes(Router& r);
void RegisterGroupRoutes(Router& r);
void RegisterTicketRoutes(Router& r);
void RegisterExportRoutes(Router& r);
void RegisterAccountRoutes(Router& r);
void RegisterHelpCenterRoutes(Router& r);
void RegisterSearchRoutes(Router& r);
void RegisterOauthRoutes(Router& r);
void RegisterControlRoutes(Router& r);

}  // namespace zdsim
