// One HTTP exchange over libcurl, no retries. TLS peer and host verification
// are always on; redirects are never followed; connections are reused
// (one easy handle per Transport). Error messages never contain request
// headers or bodies, so credentials cannot leak through them.
#pragma once

#include <string>
#include <vector>

#include "zendesk/client.h"

namespace sk::zendesk {

struct HttpRequest {
  std::string method = "GET";        // GET, POST, PUT, DELETE
  std::string url;                   // absolute
  std::vector<std::string> headers;  // "Name: value"
  bool has_body = false;             // sends `body` with Content-Type: application/json
  std::string body;
  long connect_timeout_seconds = 0;  // > 0: instead of Options::connect_timeout_seconds
};

// How a request failed below HTTP.
enum class NetError {
  kNone,
  kNotSent,    // could not connect / resolve / TLS handshake: Zendesk never saw it
  kTlsVerify,  // certificate verification failed (not retryable)
  kTimeout,    // timed out after the request may have been sent
  kBroken,     // connection reset, empty or truncated answer after sending
  kOther,
};

struct TransportResult {
  NetError error = NetError::kNone;
  std::string error_message;  // curl's description, no secrets
  Response response;          // valid when error == kNone
};

class Transport {
 public:
  struct Options {
    long connect_timeout_seconds = 10;
    long request_timeout_seconds = 120;
    std::string ca_file;
  };
  explicit Transport(Options options);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  TransportResult Perform(const HttpRequest& request);

 private:
  Options options_;
  void* curl_;  // CURL*
};

}  // namespace sk::zendesk
