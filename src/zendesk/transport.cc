#include "zendesk/transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace sk::zendesk {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct BodySink {
  CURL* curl;
  std::string* body;
};

size_t WriteBody(char* data, size_t size, size_t n, void* userp) {
  auto* sink = static_cast<BodySink*>(userp);
  if (sink->body->empty()) {
    // One allocation for the whole body (pages run to hundreds of KB; growing
    // by doubling copies each one twice).
    curl_off_t length = -1;
    if (curl_easy_getinfo(sink->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK &&
        length > 0 && length < (curl_off_t{1} << 30))
      sink->body->reserve(static_cast<size_t>(length));
  }
  sink->body->append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* userp) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(userp);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {  // a new response (after 100-continue, etc.)
    headers->clear();
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  auto [it, inserted] = headers->emplace(name, std::string(value));
  if (!inserted) it->second += ", " + std::string(value);
  return size * n;
}

}  // namespace

Transport::Transport(Options options) : options_(std::move(options)) {
  GlobalInitOnce();
  curl_ = curl_easy_init();
}

Transport::~Transport() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

namespace {

// What a failed transfer means for a retry: never sent, broken mid-way, ...
NetError NetErrorOf(CURLcode rc, CURL* curl) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
      return NetError::kNotSent;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return NetError::kTlsVerify;
    case CURLE_OPERATION_TIMEDOUT: {
      curl_off_t pretransfer = 0;
      curl_easy_getinfo(curl, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
      return pretransfer == 0 ? NetError::kNotSent : NetError::kTimeout;
    }
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return NetError::kBroken;
    default:
      return NetError::kOther;
  }
}

// The method, headers and body of `request`; returns the header list the
// caller frees after the transfer.
struct curl_slist* SetRequest(CURL* curl, const HttpRequest& request) {
  struct curl_slist* list = nullptr;
  list = curl_slist_append(list, "Accept: application/json");
  list = curl_slist_append(list, "Expect:");
  for (const auto& h : request.headers) list = curl_slist_append(list, h.c_str());
  if (request.has_body) list = curl_slist_append(list, "Content-Type: application/json");
  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.has_body) {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else if (request.method == "POST" || request.method == "PUT") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
    }
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  return list;
}

}  // namespace

TransportResult Transport::Perform(const HttpRequest& request) {
  TransportResult result;
  CURL* curl = static_cast<CURL*>(curl_);
  if (!curl) {
    result.error = NetError::kOther;
    result.error_message = "could not initialise libcurl";
    return result;
  }
  // Reset options but keep the connection cache (keep-alive reuse).
  curl_easy_reset(curl);
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::string body;
  std::map<std::string, std::string> headers;

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                   request.connect_timeout_seconds > 0 ? request.connect_timeout_seconds
                                                       : options_.connect_timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, options_.request_timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip, deflate, br, zstd as built
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "seatkeeper/" SK_VERSION);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  BodySink sink{curl, &body};
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &headers);
  struct curl_slist* list = SetRequest(curl, request);

  CURLcode rc = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(list);

  if (rc != CURLE_OK) {
    result.error_message = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    result.error = NetErrorOf(rc, curl);
    return result;
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  result.response.status = status;
  result.response.body = std::move(body);
  result.response.headers = std::move(headers);
  return result;
}

}  // namespace sk::zendesk
