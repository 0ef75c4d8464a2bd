#include "server/http_util.h"

#include <map>

namespace sk::server {

void SendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void SendError(httplib::Response& res, int status, const std::string& message, const std::string& code) {
  nlohmann::json j = {{"error", message}};
  if (!code.empty()) j["code"] = code;
  SendJson(res, status, j);
}

int HttpStatusFor(const Status& s) {
  // Zendesk's own refusals of seatkeeper's credentials or requests are a bad
  // gateway to the browser: the request it sent was fine.
  static const std::map<Code, int> kStatus = {{Code::kOk, 200},
                                              {Code::kInvalidArgument, 400},
                                              {Code::kRefused, 403},
                                              {Code::kNotFound, 404},
                                              {Code::kConflict, 409},
                                              {Code::kInvalidRecord, 422},
                                              {Code::kUnauthenticated, 502},
                                              {Code::kForbidden, 502},
                                              {Code::kRateLimited, 502},
                                              {Code::kUnavailable, 502},
                                              {Code::kBadResponse, 502}};
  auto it = kStatus.find(s.code());
  return it != kStatus.end() ? it->second : 500;
}

void SendStatus(httplib::Response& res, const Status& s) {
  SendError(res, HttpStatusFor(s), s.message(), CodeName(s.code()));
}

Result<nlohmann::json> JsonBody(const httplib::Request& req) {
  if (req.body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("the request body must be a JSON object");
  return j;
}

Result<std::optional<int64_t>> QueryInt(const httplib::Request& req, const std::string& name, int64_t min,
                                        int64_t max) {
  if (!req.has_param(name.c_str())) return std::optional<int64_t>();
  const std::string v = req.get_param_value(name.c_str());
  if (v.empty()) return std::optional<int64_t>();
  size_t used = 0;
  int64_t n = 0;
  try {
    n = std::stoll(v, &used);
  } catch (...) {
    used = 0;
  }
  if (used != v.size() || n < min || n > max)
    return InvalidArgument(name + " must be an integer from " + std::to_string(min) + " to " +
                           std::to_string(max));
  return std::optional<int64_t>(n);
}

std::optional<std::string> QueryString(const httplib::Request& req, const std::string& name) {
  if (!req.has_param(name.c_str())) return std::nullopt;
  std::string v = req.get_param_value(name.c_str());
  if (v.empty()) return std::nullopt;
  return v;
}

std::string CookieValue(const httplib::Request& req, const std::string& name) {
  const size_t n = req.get_header_value_count("Cookie");
  for (size_t i = 0; i < n; ++i) {
    const std::string h = req.get_header_value("Cookie", i);
    size_t pos = 0;
    while (pos < h.size()) {
      size_t end = h.find(';', pos);
      if (end == std::string::npos) end = h.size();
      std::string part = h.substr(pos, end - pos);
      const size_t b = part.find_first_not_of(' ');
      part = b == std::string::npos ? "" : part.substr(b);
      const size_t eq = part.find('=');
      if (eq != std::string::npos && part.substr(0, eq) == name) return part.substr(eq + 1);
      pos = end + 1;
    }
  }
  return "";
}

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace sk::server
