// libFuzzer target: JSON request bodies and query parameters as the REST API
// (src/server/http_util.h) reads them: JsonBody must accept exactly JSON
// objects and QueryInt must stay within its bounds, whatever arrives.
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/http_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  httplib::Request req;
  req.body = s;
  auto j = sk::server::JsonBody(req);
  if (j.ok() && !j->is_object()) __builtin_trap();
  if (j.ok()) {
    // What route handlers do with a body: typed reads that must not throw out.
    for (const char* k : {"url", "client_id", "client_secret", "permission", "timezone", "role", "email", "name"}) {
      auto it = j->find(k);
      if (it != j->end() && it->is_string()) (void)it->get<std::string>().size();
    }
    (void)j->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  // The same bytes as a query value.
  req.params.clear();
  req.params.emplace("days", s);
  auto q = sk::server::QueryInt(req, "days", 1, 3650);
  if (q.ok() && q->has_value() && (**q < 1 || **q > 3650)) __builtin_trap();
  req.headers.clear();
  req.headers.emplace("Cookie", s);
  (void)sk::server::CookieValue(req, "sk_session");
  (void)sk::server::HtmlEscape(s);
  return 0;
}
