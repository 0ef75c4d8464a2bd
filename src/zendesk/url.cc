#include "zendesk/url.h"

#include <algorithm>
#include <cctype>

#include "util/text.h"

namespace sk::zendesk {
namespace {

bool ValidSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool ValidPort(std::string_view p) {
  if (p.empty() || p.size() > 5) return false;
  if (!std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  int v = std::stoi(std::string(p));
  return v >= 1 && v <= 65535;
}

Status Reject(std::string_view why, bool allow_local) {
  std::string m = "invalid Zendesk account URL (";
  m += why;
  m += "): use https://<subdomain>.zendesk.com";
  if (allow_local) m += ", or http://127.0.0.1:PORT / http://localhost:PORT for a local simulator";
  return InvalidArgument(m);
}

}  // namespace

Result<std::string> ValidateAccountUrl(std::string_view url, bool allow_local) {
  // Trim surrounding whitespace (pasted values).
  while (!url.empty() && std::isspace(static_cast<unsigned char>(url.front()))) url.remove_prefix(1);
  while (!url.empty() && std::isspace(static_cast<unsigned char>(url.back()))) url.remove_suffix(1);
  std::string lowered = AsciiLower(url);
  std::string_view rest = lowered;
  std::string scheme;
  if (rest.starts_with("https://")) {
    scheme = "https";
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    scheme = "http";
    rest.remove_prefix(7);
  } else {
    return Reject("it must start with https://", allow_local);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos)
    return Reject("no path, query or fragment allowed", allow_local);
  if (rest.find('@') != std::string_view::npos)
    return Reject("no user name or password allowed", allow_local);
  if (rest.empty()) return Reject("no host", allow_local);
  if (rest.find_first_of(" \t\\%") != std::string_view::npos)
    return Reject("bad characters in host", allow_local);

  std::string_view host = rest;
  std::string_view port;
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos && rest.front() != '[') {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }

  if (allow_local && (host == "127.0.0.1" || host == "localhost")) {
    if (!ValidPort(port)) return Reject("a local simulator URL needs a port", allow_local);
    return scheme + "://" + std::string(host) + ":" + std::string(port);
  }

  constexpr std::string_view kSuffix = ".zendesk.com";
  if (!host.ends_with(kSuffix)) return Reject("the host must be <subdomain>.zendesk.com", allow_local);
  if (rest.size() != host.size()) return Reject("no port allowed", allow_local);
  std::string_view sub = host.substr(0, host.size() - kSuffix.size());
  if (!ValidSubdomain(sub))
    return Reject("the subdomain may contain only letters, digits and hyphens, at most 63", allow_local);
  if (scheme != "https") return Reject("Zendesk requires https://", allow_local);
  return "https://" + std::string(host);
}

std::string UrlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string OriginOf(std::string_view url) {
  auto p = url.find("://");
  if (p == std::string_view::npos) return "";
  auto end = url.find_first_of("/?#", p + 3);
  return AsciiLower(url.substr(0, end));
}

std::string EndpointKey(std::string_view path_or_url) {
  std::string_view p = path_or_url;
  if (auto s = p.find("://"); s != std::string_view::npos) {
    auto slash = p.find('/', s + 3);
    p = slash == std::string_view::npos ? std::string_view("/") : p.substr(slash);
  }
  if (auto q = p.find_first_of("?#"); q != std::string_view::npos) p = p.substr(0, q);
  if (p.ends_with(".json")) p.remove_suffix(5);
  std::string out;
  size_t i = 0;
  while (i < p.size()) {
    if (p[i] == '/') {
      out += '/';
      ++i;
      continue;
    }
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view seg = p.substr(i, j - i);
    bool numeric = std::all_of(seg.begin(), seg.end(), [](char c) { return c >= '0' && c <= '9'; });
    bool job_id = seg.size() > 20 && seg.find_first_of("0123456789") != std::string_view::npos &&
                  seg.find('_') == std::string_view::npos;
    bool prev_job = out.ends_with("/job_statuses/");
    if (numeric || (job_id && prev_job) || (prev_job && seg != "show_many")) {
      out += "{id}";
    } else {
      out += seg;
    }
    i = j;
  }
  return out;
}

}  // namespace sk::zendesk
