// The connection handling of `seatkeeper serve` in front of cpp-httplib's
// request parser and router. cpp-httplib gives each connection a thread for
// its whole life, so slow clients could hold every worker, and it reads
// chunked bodies without a size limit. The gate instead:
//   - owns every accepted socket in one epoll thread (no worker is held by a
//     connection that is idle or still sending);
//   - reads a request's head and body into a buffer with hard limits (head
//     bytes, body bytes for Content-Length and chunked bodies alike, checked
//     as the bytes arrive, before anything more is buffered) and a deadline
//     for the whole request from its first byte, and one for idle keep-alive;
//   - caps connections per client address and in total;
//   - hands only complete requests to a fixed pool of workers, which run
//     cpp-httplib's parser and the handlers on the buffered bytes (they never
//     wait for the client) and write the response under a total deadline.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "util/status.h"

namespace httplib {
class Stream;
}

namespace sk::server {

struct GateOptions {
  size_t max_head_bytes = 16 * 1024;  // request line + headers
  size_t max_body_bytes = 64 * 1024;  // decoded body, any transfer encoding
  int request_timeout_seconds = 10;   // from a request's first byte to its last
  int idle_timeout_seconds = 5;       // keep-alive connection waiting for a request
  int write_timeout_seconds = 60;     // a whole response
  int max_connections = 1024;
  int max_connections_per_address = 64;
  int workers = 16;
  size_t keep_alive_max_count = 100;
  // After a response, how long a worker waits for the same connection's next
  // request before handing the connection back to the poller (only while no
  // other request waits for a worker).
  int linger_ms = 10;
};

// What the gate refused, for /metrics and tests.
struct GateStats {
  size_t open_connections = 0;
  uint64_t refused_connections = 0;  // over the total or per-address cap
  uint64_t timed_out = 0;            // request or idle deadline passed
  uint64_t too_large = 0;            // head or body over its limit
  uint64_t bad_framing = 0;          // unparseable length or chunk framing
};

class ConnectionGate {
 public:
  // Runs one complete request from `stream` (cpp-httplib's
  // Server::process_request); `close` asks for the connection to close after
  // it; sets `closed` when the exchange ends the connection.
  using Process = std::function<bool(httplib::Stream& stream, bool close, bool& closed)>;

  ConnectionGate(GateOptions options, Process process);
  ~ConnectionGate();
  ConnectionGate(const ConnectionGate&) = delete;
  ConnectionGate& operator=(const ConnectionGate&) = delete;

  Status Start();
  // Takes ownership of an accepted socket (any thread; never blocks on it).
  void Adopt(int fd);
  // Closes every connection and waits for the threads (idempotent).
  void Stop();
  GateStats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sk::server
