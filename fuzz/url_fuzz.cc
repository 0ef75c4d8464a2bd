// libFuzzer target: the account URL validator and URL helpers (url.h), the
// first line of defence against SSRF. Beyond not crashing, an accepted URL
// must be https://<subdomain>.zendesk.com (or loopback with allow_local) and
// validating the normalised form again must give the same form.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "zendesk/url.h"

using namespace sk::zendesk;

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void Check(std::string_view input, bool allow_local) {
  auto r = ValidateAccountUrl(input, allow_local);
  if (!r.ok()) return;
  const std::string& u = *r;
  bool zendesk = u.rfind("https://", 0) == 0 && EndsWith(u, ".zendesk.com") &&
                 u.find_first_of("@/?#:\\ \r\n", 8) == std::string::npos;
  bool local = allow_local && (u.rfind("http://127.0.0.1:", 0) == 0 || u.rfind("https://127.0.0.1:", 0) == 0 ||
                               u.rfind("http://localhost:", 0) == 0 || u.rfind("https://localhost:", 0) == 0);
  if (!zendesk && !local) __builtin_trap();  // accepted something outside the allow-list
  auto again = ValidateAccountUrl(u, allow_local);
  if (!again.ok() || *again != u) __builtin_trap();  // normalisation is stable
  if (OriginOf(u) != u) __builtin_trap();             // a base URL is an origin
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  Check(s, false);
  Check(s, true);
  std::string enc = UrlEncode(s);
  if (enc.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%") != std::string::npos)
    __builtin_trap();
  (void)OriginOf(s);
  (void)EndpointKey(s);
  return 0;
}
