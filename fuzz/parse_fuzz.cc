// libFuzzer target: the Zendesk response parsers (src/zendesk/parse.h) and the
// error-body reader (errors.h). The first byte picks the parser; the rest is
// the body. The parsers must never crash, hang or throw on any input, and a
// successful parse must give well-formed values.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "zendesk/errors.h"
#include "zendesk/parse.h"

using namespace sk::zendesk;

namespace {

template <typename T>
void Touch(const sk::Result<T>& r) {
  if (!r.ok() && r.status().message().empty()) __builtin_trap();  // every failure says why
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t selector = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (selector % 16) {
    case 0: Touch(ParseUserResponse(body)); break;
    case 1: {
      auto p = ParseUsersPage(body);
      Touch(p);
      if (p.ok())
        for (const auto& u : p->items) (void)u.name.size();
      break;
    }
    case 2: Touch(ParseUsersList(body)); break;
    case 3: Touch(ParseIncrementalUsersPage(body)); break;
    case 4: Touch(ParseCustomRoles(body)); break;
    case 5: Touch(ParseTicketEventsPage(body)); break;
    case 6: Touch(ParseTicketAuditsPage(body)); break;
    case 7: Touch(ParseDeletedTicketsPage(body)); break;
    case 8: Touch(ParseIncrementalTicketsPage(body)); break;
    case 9: Touch(ParseSearchTicketsPage(body)); break;
    case 10: Touch(ParseArticlesPage(body)); break;
    case 11: Touch(ParseAuditLogsPage(body)); break;
    case 12: Touch(ParseJobStatusResponse(body)); break;
    case 13: Touch(ParseTokenResponse(body, 1795186800)); break;
    case 14: (void)ZendeskReason(body); break;
    case 15: {
      static const long kStatuses[] = {301, 400, 401, 403, 404, 422, 429, 500, 503};
      std::map<std::string, std::string> headers = {{"retry-after", std::string(body.substr(0, 8))},
                                                    {"content-type", "application/json"}};
      auto s = StatusFromHttp(kStatuses[(size - 1) % 9], body, headers, "GET /api/v2/users/me");
      if (s.ok()) __builtin_trap();  // a non-2xx answer is never ok
      break;
    }
  }
  return 0;
}
