#include "zendesk/errors.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <vector>

#include "util/text.h"

namespace sk::zendesk {
namespace {

using nlohmann::json;

std::string AsText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

void Append(std::string& out, const std::string& part) {
  if (part.empty()) return;
  if (out.find(part) != std::string::npos) return;
  if (!out.empty()) out += out.back() == '.' ? " " : ": ";
  out += part;
}

std::string FromJson(const json& doc) {
  std::string out;
  if (!doc.is_object()) return out;
  auto err = doc.find("error");
  if (err != doc.end()) {
    if (err->is_object()) {  // Help Center / strict params envelope
      Append(out, AsText(err->value("title", json())));
      Append(out, AsText(err->value("message", json())));
    }
  }
  auto desc = doc.find("description");
  auto edesc = doc.find("error_description");
  if (err != doc.end() && err->is_string()) {
    // The classic code ("RecordInvalid") is useful only when no description exists.
    if ((desc == doc.end() || AsText(*desc).empty()) && (edesc == doc.end() || AsText(*edesc).empty()))
      Append(out, err->get<std::string>());
  }
  if (desc != doc.end()) Append(out, AsText(*desc));
  if (edesc != doc.end()) Append(out, AsText(*edesc));
  auto details = doc.find("details");
  if (details != doc.end() && details->is_object()) {
    for (const auto& [field, list] : details->items()) {
      if (list.is_array()) {
        for (const auto& d : list) {
          if (d.is_object() && d.contains("description"))
            Append(out, AsText(d["description"]));
          else if (d.is_string())
            Append(out, d.get<std::string>());
        }
      } else if (list.is_string()) {
        Append(out, field + " " + list.get<std::string>());
      }
    }
  } else if (details != doc.end() && details->is_string()) {
    Append(out, details->get<std::string>());
  }
  auto errors = doc.find("errors");
  if (errors != doc.end() && errors->is_array()) {
    for (const auto& e : *errors) {
      if (!e.is_object()) continue;
      Append(out, AsText(e.value("title", json())));
      Append(out, AsText(e.value("detail", json())));
    }
  } else if (errors != doc.end() && errors->is_object()) {
    Append(out, errors->dump());
  }
  return out;
}

bool IsJson(std::string_view body, json* out) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) return false;
  if (out) *out = std::move(doc);
  return true;
}

bool MentionsIpRestriction(const std::string& lower_body) {
  for (const char* needle : {"ip address", "ip restriction", "ip_restriction", "ip whitelist", "ip allowlist",
                             "ip_allowlist", "ip_whitelist", "ip-restriction"}) {
    if (lower_body.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string WithEndpoint(std::string msg, std::string_view endpoint) {
  if (!endpoint.empty()) {
    msg += " (";
    msg += endpoint;
    msg += ")";
  }
  return msg;
}

}  // namespace

std::string ZendeskReason(std::string_view body) {
  json doc;
  if (IsJson(body, &doc)) return FromJson(doc);
  std::string text = Trim(body);
  if (text.empty()) return "";
  if (text.front() == '<') return "an HTML page instead of an API answer";
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

Status UnreachableStatus(std::string_view url, std::string_view curl_message, int attempts, double seconds) {
  std::string host(url);
  if (auto scheme = host.find("://"); scheme != std::string::npos) host = host.substr(scheme + 3);
  host = host.substr(0, host.find_first_of("/?#"));
  if (auto at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  std::string lower(curl_message);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  const bool dns = lower.find("resolve") != std::string::npos;
  std::vector<std::string> proxies;
  for (const char* name : {"HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"}) {
    const char* v = std::getenv(name);
    if (v && *v) proxies.push_back(name);
  }
  std::string proxy;
  if (!proxies.empty()) {
    std::string names;
    for (const auto& n : proxies) names += (names.empty() ? "" : "/") + n;
    proxy = "the proxy named by " + names +
            " (set in this environment; every request goes through it) is down, refuses the connection or "
            "cannot resolve " +
            host;
  } else {
    proxy = "this network needs an HTTPS proxy and none is set (HTTPS_PROXY or https_proxy)";
  }
  const std::string dns_cause = "DNS: " + host +
                                " does not resolve from this machine (check the subdomain spelling, "
                                "and that this machine's DNS resolves names: getent hosts " +
                                host + ")";
  const std::string firewall = "a firewall blocks outgoing HTTPS (TCP port 443) to " + host;
  const std::string ip =
      "Zendesk's IP restriction (Admin Center > Account > Security > Advanced) or a network "
      "allow-list does not admit this machine's address";
  std::vector<std::string> causes;
  if (dns)
    causes = {dns_cause, proxy, firewall, ip};
  else
    causes = {firewall, proxy, ip, dns_cause};
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.0f", seconds);
  std::string msg = "could not reach Zendesk at " + host + " (" + std::string(curl_message) + ") after " +
                    std::to_string(attempts) + " attempt" + (attempts == 1 ? "" : "s") + " in " + secs +
                    " s; nothing was changed. Likely causes:";
  for (size_t i = 0; i < causes.size(); ++i) msg += " (" + std::to_string(i + 1) + ") " + causes[i] + ";";
  msg.back() = '.';
  return Status(Code::kUnavailable, msg);
}

Status AnonymousUserStatus() {
  return {
      Code::kUnauthenticated,
      "Zendesk answered as an anonymous user: the credentials are invalid (wrong email, API token or OAuth "
      "token, or API token access is disabled). Check the token/email, or reconnect"};
}

bool IsRetryableHttpStatus(long s) {
  return s == 409 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

namespace {

// A 403: IP restrictions, missing OAuth scopes, or Zendesk's own reason.
Status ForbiddenStatus(const std::string& reason, const std::string& lower_body, std::string_view endpoint) {
  if (MentionsIpRestriction(lower_body)) {
    return {Code::kForbidden,
            WithEndpoint("Zendesk refused the request: blocked by the account's IP restrictions: allow this "
                         "server's IP in Admin Center > Security > Advanced > IP restrictions",
                         endpoint)};
  }
  static constexpr std::string_view kScopes = "missing the following required scopes:";
  if (lower_body.find(kScopes) != std::string::npos) {
    // Take the scopes from the reason text (original case).
    std::string scopes;
    std::string lr = AsciiLower(reason);
    if (auto q = lr.find(kScopes); q != std::string::npos) scopes = Trim(reason.substr(q + kScopes.size()));
    return {Code::kForbidden, WithEndpoint("the OAuth token lacks the required scopes: " + scopes +
                                               ". Reconnect seatkeeper and grant these scopes",
                                           endpoint)};
  }
  return {Code::kForbidden, WithEndpoint("Zendesk refused the request (403 Forbidden): " +
                                             (reason.empty() ? std::string("no reason given") : reason),
                                         endpoint)};
}

// The statuses without a case of their own: 5xx, redirects, 400, the rest.
Status OtherHttpStatus(long http_status, const std::string& reason, std::string_view endpoint) {
  if (http_status >= 500) {
    return {Code::kUnavailable,
            WithEndpoint("Zendesk is unavailable (HTTP " + std::to_string(http_status) + ")" +
                             (reason.empty() ? std::string() : ": " + reason) + ". Try again later",
                         endpoint)};
  }
  if (http_status >= 300 && http_status < 400) {
    std::string m =
        "Zendesk answered with a redirect (HTTP " + std::to_string(http_status) +
        "), which seatkeeper does not follow; check the account URL (https://<subdomain>.zendesk.com)";
    return {Code::kBadResponse, WithEndpoint(m, endpoint)};
  }
  if (http_status == 400) {
    // Zendesk refusing what seatkeeper sent is not a usage error of the
    // caller (kInvalidArgument, exit 2): like a 422 it is Zendesk's refusal,
    // which actions report as such with Zendesk's reason.
    return {Code::kInvalidRecord, WithEndpoint("Zendesk rejected the request (400): " +
                                                   (reason.empty() ? std::string("bad request") : reason),
                                               endpoint)};
  }
  return {Code::kBadResponse,
          WithEndpoint("unexpected HTTP " + std::to_string(http_status) + " from Zendesk" +
                           (reason.empty() ? std::string() : ": " + reason),
                       endpoint)};
}

}  // namespace

Status StatusFromHttp(long http_status, std::string_view body,
                      const std::map<std::string, std::string>& headers, std::string_view endpoint) {
  json doc;
  bool is_json = IsJson(body, &doc);
  std::string reason = is_json ? FromJson(doc) : ZendeskReason(body);
  std::string_view path = endpoint.substr(std::min(endpoint.size(), endpoint.find(' ') + 1));
  bool is_me = path.ends_with("/users/me") || path.ends_with("/users/me.json");

  switch (http_status) {
    case 401: {
      std::string r = reason.empty() ? "401 Unauthorized" : reason;
      while (!r.empty() && r.back() == '.') r.pop_back();
      return {Code::kUnauthenticated,
              WithEndpoint("Zendesk rejected the credentials: " + r + ". Check the token/email, or reconnect",
                           endpoint)};
    }
    case 403:
      return ForbiddenStatus(reason, AsciiLower(body), endpoint);
    case 404:
      if (is_me && !is_json) {
        return {Code::kNotFound,
                "no Zendesk account at this address (check the subdomain): users/me answered 404 without a "
                "Zendesk "
                "API body"};
      }
      return {Code::kNotFound, WithEndpoint("Zendesk has no such record (404): " +
                                                (reason.empty() ? std::string("Not found") : reason),
                                            endpoint)};
    case 410:
      // Gone: an endpoint or record Zendesk no longer offers (a withdrawn
      // export), a "not found" for good rather than a malformed answer.
      return {Code::kNotFound, WithEndpoint("Zendesk no longer offers this (410 Gone)" +
                                                (reason.empty() ? std::string() : ": " + reason),
                                            endpoint)};
    case 409:
      return {Code::kConflict,
              WithEndpoint("Zendesk reported a conflict (409): " +
                               (reason.empty() ? std::string("concurrent modification") : reason),
                           endpoint)};
    case 422:
      return {Code::kInvalidRecord,
              WithEndpoint("Zendesk rejected the data (422): " +
                               (reason.empty() ? std::string("validation failed") : reason),
                           endpoint)};
    case 429: {
      std::string m = "Zendesk rate limit exceeded (429)";
      if (!reason.empty()) m += ": " + reason;
      if (auto it = headers.find("retry-after"); it != headers.end())
        m += "; retry after " + it->second + " s";
      m += ". Lower --api-budget or try again later";
      return {Code::kRateLimited, WithEndpoint(m, endpoint)};
    }
    default:
      return OtherHttpStatus(http_status, reason, endpoint);
  }
}

}  // namespace sk::zendesk
