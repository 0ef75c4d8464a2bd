#include "handlers.h"

#include <cstdlib>
#include <sstream>

namespace zdsim {

int64_t Ctx::ArgId(size_t i) const {
  if (i >= args.size()) return 0;
  char* end = nullptr;
  const long long v = std::strtoll(args[i].c_str(), &end, 10);
  return (end && *end == '\0') ? v : 0;
}

const Route* Router::Match(const std::string& method, const std::string& path, std::vector<std::string>* args) const {
  for (const Route& r : routes_) {
    if (r.method != method) continue;
    std::smatch m;
    if (std::regex_match(path, m, r.re)) {
      args->clear();
      for (size_t i = 1; i < m.size(); ++i) args->push_back(m[i].str());
      return &r;
    }
  }
  return nullptr;
}

bool Router::PathKnown(const std::string& path) const {
  for (const Route& r : routes_)
    if (std::regex_match(path, r.re)) return true;
  return false;
}

void SendJson(Ctx& c, int status, const json& body) {
  c.res.status = status;
  c.res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json; charset=utf-8");
}

void SendPage(Ctx& c, std::string_view records_key, const json& envelope,
              const std::function<void(JsonWriter&)>& records) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key(records_key.data(), static_cast<rapidjson::SizeType>(records_key.size()));
  w.StartArray();
  records(w);
  w.EndArray();
  for (const auto& [k, v] : envelope.items()) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    const std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
    w.RawValue(text.data(), text.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  c.res.status = 200;
  c.res.set_content(buf.GetString(), buf.GetSize(), "application/json; charset=utf-8");
}

void SendError(Ctx& c, int status, const std::string& error, const std::string& description) {
  SendJson(c, status, {{"error", error}, {"description", description}});
}

void SendHttpError(Ctx& c, const HttpError& e) { SendJson(c, e.status, e.body); }

void SendForbidden(Ctx& c) {
  SendError(c, 403, "Forbidden",
            "You do not have access to this page. Please contact the account owner of this help desk for further "
            "help.");
}

void SendNotFound(Ctx& c) { SendError(c, 404, "RecordNotFound", "Not found"); }

void SendRecordInvalid(Ctx& c, const std::string& field, const std::string& error, const std::string& description) {
  SendJson(c, 422,
           {{"error", "RecordInvalid"},
            {"description", "Record validation errors"},
            {"details", {{field, json::array({{{"description", description}, {"error", error}}})}}}});
}

std::optional<json> ParseBody(Ctx& c) {
  if (c.req.body.empty()) return json::object();
  // Zendesk reads a JSON body only when sent as application/json (reference,
  // general conventions); otherwise the request arrives without its fields.
  if (c.req.get_header_value("Content-Type").rfind("application/json", 0) != 0) return json::object();
  auto j = json::parse(c.req.body, nullptr, false);
  if (j.is_discarded()) {
    SendError(c, 400, "InvalidJSON", "The request body is not valid JSON");
    return std::nullopt;
  }
  return j;
}

std::optional<int64_t> ParamInt(const Ctx& c, const std::string& name) {
  if (!c.req.has_param(name)) return std::nullopt;
  const std::string v = c.req.get_param_value(name);
  char* end = nullptr;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || !end || *end != '\0') return std::nullopt;
  return x;
}

std::vector<int64_t> ParseIdList(const std::string& s, bool* ok) {
  std::vector<int64_t> out;
  *ok = true;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (part.empty()) continue;
    char* end = nullptr;
    const long long v = std::strtoll(part.c_str(), &end, 10);
    if (!end || *end != '\0') {
      *ok = false;
      continue;
    }
    out.push_back(v);
  }
  return out;
}

}  // namespace zdsim
