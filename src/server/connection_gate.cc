#include "server/connection_gate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "util/text.h"

namespace sk::server {
namespace {

using Clock = std::chrono::steady_clock;

// The line [start, nl) without its CR.
std::string LineAt(const std::string& buf, size_t start, size_t nl) {
  size_t end = nl;
  if (end > start && buf[end - 1] == '\r') --end;
  return buf.substr(start, end - start);
}

struct Frame {
  enum Kind { kIncomplete, kComplete, kError } kind = kIncomplete;
  size_t length = 0;  // kComplete: bytes of the whole request
  int status = 0;     // kError
  std::string code, message;
  bool head_complete = false;
  bool expect_continue = false;
};

Frame Error(int status, std::string code, std::string message) {
  Frame f;
  f.kind = Frame::kError;
  f.status = status;
  f.code = std::move(code);
  f.message = std::move(message);
  return f;
}

// The most a connection may buffer for one request: the head, a chunked body
// of the largest size in the smallest chunks' framing, and a little slack.
size_t BufferCap(const GateOptions& o) {
  return o.max_head_bytes + 2 * o.max_body_bytes + 16 * 1024;
}

// The request head at the start of `buf`, as far as framing goes.
struct Head {
  size_t end = 0;  // bytes of the head, its empty line included
  std::string content_length, transfer_encoding;
  bool expect_continue = false;
};

// Reads the head at the start of `buf`: kComplete with `head` filled, or
// kIncomplete (more bytes needed), or kError (why it is refused).
Frame ReadHead(const std::string& buf, const GateOptions& o, Head& head) {
  const auto too_large = [&] {
    return Error(431, "header_too_large", "request head larger than " + std::to_string(o.max_head_bytes));
  };
  size_t start = 0;
  for (bool first = true;; first = false) {
    const size_t nl = buf.find('\n', start);
    if (nl == std::string::npos) return buf.size() > o.max_head_bytes ? too_large() : Frame{};
    if (nl + 1 > o.max_head_bytes) return too_large();
    const std::string line = LineAt(buf, start, nl);
    start = nl + 1;
    if (line.empty()) {
      if (first) return Error(400, "bad_request", "empty request line");
      head.end = start;
      Frame f;
      f.kind = Frame::kComplete;
      return f;
    }
    if (first) continue;  // the request line: cpp-httplib parses it
    const size_t colon = line.find(':');
    if (colon == std::string::npos) return Error(400, "bad_request", "malformed header line");
    const std::string name = AsciiLower(Trim(line.substr(0, colon)));
    const std::string value = Trim(line.substr(colon + 1));
    if (name == "content-length") {
      if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string::npos)
        return Error(400, "bad_request", "malformed Content-Length");
      if (!head.content_length.empty() && head.content_length != value)
        return Error(400, "bad_request", "conflicting Content-Length headers");
      head.content_length = value;
    } else if (name == "transfer-encoding") {
      if (!head.transfer_encoding.empty() || AsciiLower(value) != "chunked")
        return Error(501, "not_implemented", "only the chunked transfer coding is supported");
      head.transfer_encoding = "chunked";
    } else if (name == "expect" && AsciiLower(value) == "100-continue") {
      head.expect_continue = true;
    }
  }
}

// The trailer lines after the last chunk, from `p`, up to an empty line.
Frame ReadTrailer(const std::string& buf, size_t p, size_t head_end, size_t raw_cap,
                  const std::string& too_large) {
  while (true) {
    const size_t e = buf.find('\n', p);
    if (e == std::string::npos) {
      if (buf.size() - p > 1024) return Error(431, "header_too_large", "trailer too large");
      return Frame{};
    }
    const bool empty = LineAt(buf, p, e).empty();
    p = e + 1;
    if (empty) {
      Frame f;
      f.kind = Frame::kComplete;
      f.length = p;
      return f;
    }
    if (p - head_end > raw_cap) return Error(413, "payload_too_large", too_large);
  }
}

// Walks the chunks received so far after a head ending at `head_end`,
// counting the decoded size against the body limit.
Frame ReadChunks(const std::string& buf, size_t head_end, const GateOptions& o) {
  const std::string too_large = "request body larger than " + std::to_string(o.max_body_bytes) + " bytes";
  const size_t raw_cap = 2 * o.max_body_bytes + 8 * 1024;
  size_t p = head_end;
  size_t total = 0;
  while (true) {
    if (p - head_end > raw_cap) return Error(413, "payload_too_large", too_large);
    const size_t nl = buf.find('\n', p);
    if (nl == std::string::npos) {
      if (buf.size() - p > 1024) return Error(400, "bad_request", "malformed chunk size line");
      return Frame{};
    }
    std::string size_line = LineAt(buf, p, nl);
    size_line = Trim(size_line.substr(0, size_line.find(';')));
    if (size_line.empty() || size_line.size() > 8 ||
        size_line.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
      return Error(400, "bad_request", "malformed chunk size");
    const size_t size = std::stoul(size_line, nullptr, 16);
    if (size > o.max_body_bytes || total + size > o.max_body_bytes)
      return Error(413, "payload_too_large", too_large);
    total += size;
    p = nl + 1;
    if (size == 0) return ReadTrailer(buf, p, head_end, raw_cap, too_large);
    if (buf.size() < p + size + 2) {
      if (buf.size() == p + size + 1 && buf[p + size] == '\n') {
        p += size + 1;
        continue;
      }
      return Frame{};
    }
    if (buf[p + size] == '\r' && buf[p + size + 1] == '\n') {
      p += size + 2;
    } else if (buf[p + size] == '\n') {
      p += size + 1;
    } else {
      return Error(400, "bad_request", "chunk data not followed by CRLF");
    }
  }
}

// Where the request at the start of `buf` ends, judged by the bytes received
// so far; or why it is refused.
Frame Examine(const std::string& buf, const GateOptions& o) {
  Head head;
  Frame h = ReadHead(buf, o, head);
  if (h.kind != Frame::kComplete) return h;
  Frame f;
  f.head_complete = true;
  f.expect_continue = head.expect_continue;
  if (head.transfer_encoding.empty()) {
    const uint64_t length = head.content_length.empty() ? 0 : std::stoull(head.content_length);
    if (length > o.max_body_bytes)
      return Error(413, "payload_too_large",
                   "request body larger than " + std::to_string(o.max_body_bytes) + " bytes");
    if (buf.size() >= head.end + length) {
      f.kind = Frame::kComplete;
      f.length = head.end + length;
    }
    return f;
  }
  if (!head.content_length.empty())
    return Error(400, "bad_request", "Content-Length and Transfer-Encoding together");
  Frame c = ReadChunks(buf, head.end, o);
  c.head_complete = true;
  c.expect_continue = head.expect_continue;
  return c;
}

const char* Reason(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

// Best effort, never blocks: the socket is non-blocking.
void SendNow(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;
    }
  }
}

std::string ErrorResponse(int status, const std::string& code, const std::string& message) {
  const std::string body = nlohmann::json({{"error", message}, {"code", code}}).dump();
  return "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n" + body;
}

void PeerOf(int fd, std::string& ip, int& port, bool local) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  const int rc = local ? ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len)
                       : ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ip.clear();
  port = 0;
  if (rc != 0) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text));
    port = ntohs(a->sin6_port);
  }
  ip = text;
}

struct Conn {
  int fd = -1;
  std::string ip;
  int port = 0;
  std::string buf;
  size_t msg_len = 0;
  Clock::time_point deadline;
  bool in_request = false;  // bytes of a request have arrived
  bool sent_continue = false;
  bool closing = false;  // answered with an error: draining before close
  size_t drained = 0;
  size_t served = 0;
};

// One complete request, already in memory, as cpp-httplib's Stream: reads
// never wait for the client (the end of the request is the end of the
// stream); writes go to the socket under the response's deadline.
class MessageStream final : public httplib::Stream {
 public:
  MessageStream(const Conn& c, Clock::time_point write_deadline) : c_(c), deadline_(write_deadline) {}

  bool is_readable() const override { return pos_ < c_.msg_len; }
  bool is_writable() const override { return Clock::now() < deadline_; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, c_.msg_len - pos_);
    std::copy_n(c_.buf.data() + pos_, n, ptr);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::send(c_.fd, ptr + done, size - done, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
        if (left <= 0) return -1;
        pollfd p{c_.fd, POLLOUT, 0};
        ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
        continue;
      }
      return -1;
    }
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.ip;
    port = c_.port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override { PeerOf(c_.fd, ip, port, true); }
  socket_t socket() const override { return c_.fd; }

 private:
  const Conn& c_;
  Clock::time_point deadline_;
  size_t pos_ = 0;
};

}  // namespace

struct ConnectionGate::Impl {
  GateOptions opt;
  Process process;
  int epfd = -1;
  int wakefd = -1;
  std::thread loop;
  std::unique_ptr<httplib::ThreadPool> pool;
  std::atomic<bool> started{false};
  std::atomic<bool> stopping{false};
  std::atomic<int> queued{0};  // complete requests waiting for a worker

  mutable std::mutex mu;  // guards what follows
  std::vector<std::unique_ptr<Conn>> incoming;
  std::map<std::string, int> per_address;
  GateStats stats;

  std::map<int, std::unique_ptr<Conn>> conns;  // the loop thread's

  void Wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wakefd, &one, sizeof(one));
  }

  void Release(Conn& c) {
    ::close(c.fd);
    std::lock_guard lock(mu);
    auto it = per_address.find(c.ip);
    if (it != per_address.end() && --it->second <= 0) per_address.erase(it);
    --stats.open_connections;
  }

  void Adopt(int fd) {
    if (stopping) {
      ::close(fd);
      return;
    }
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    PeerOf(fd, c->ip, c->port, false);
    {
      std::lock_guard lock(mu);
      int& mine = per_address[c->ip];
      if (static_cast<int>(stats.open_connections) >= opt.max_connections ||
          mine >= opt.max_connections_per_address) {
        if (mine == 0) per_address.erase(c->ip);
        ++stats.refused_connections;
        c.reset();
      } else {
        ++mine;
        ++stats.open_connections;
      }
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (!c) {
      SendNow(fd, ErrorResponse(503, "too_many_connections", "too many connections from this address"));
      ::shutdown(fd, SHUT_RDWR);
      ::close(fd);
      return;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->deadline = Clock::now() + std::chrono::seconds(opt.request_timeout_seconds);
    {
      std::lock_guard lock(mu);
      incoming.push_back(std::move(c));
    }
    Wake();
  }

  // Answers with an error and drains what the client still sends for a
  // moment, so that it reads the answer instead of a reset.
  void Refuse(Conn& c, const Frame& f) {
    {
      std::lock_guard lock(mu);
      if (f.status == 413 || f.status == 431) {
        ++stats.too_large;
      } else {
        ++stats.bad_framing;
      }
    }
    SendNow(c.fd, ErrorResponse(f.status, f.code, f.message));
    ::shutdown(c.fd, SHUT_WR);
    c.closing = true;
    c.buf.clear();
    c.buf.shrink_to_fit();
    c.deadline = Clock::now() + std::chrono::seconds(2);
  }

  // Looks at what `c` has buffered: waits for more, refuses, or hands a
  // complete request to a worker. False when `c` left the loop.
  bool Judge(std::unique_ptr<Conn>& c) {
    Frame f = Examine(c->buf, opt);
    if (f.kind == Frame::kIncomplete && c->buf.size() >= BufferCap(opt))
      f = Error(413, "payload_too_large", "request too large");
    if (f.kind == Frame::kError) {
      Refuse(*c, f);
      return true;
    }
    if (f.kind == Frame::kIncomplete) {
      if (f.head_complete && f.expect_continue && !c->sent_continue) {
        SendNow(c->fd, "HTTP/1.1 100 Continue\r\n\r\n");
        c->sent_continue = true;
      }
      return true;
    }
    c->msg_len = f.length;
    ::epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, nullptr);
    Conn* raw = c.release();
    ++queued;
    pool->enqueue([this, raw] {
      --queued;
      Work(std::unique_ptr<Conn>(raw));
    });
    return false;
  }

  void Work(std::unique_ptr<Conn> c) {
    while (true) {
      MessageStream stream(*c, Clock::now() + std::chrono::seconds(opt.write_timeout_seconds));
      const bool close = stopping || c->served + 1 >= opt.keep_alive_max_count;
      bool closed = false;
      bool ok = false;
      try {
        ok = process(stream, close, closed);
      } catch (...) {
        ok = false;
      }
      c->buf.erase(0, c->msg_len);
      c->msg_len = 0;
      c->served++;
      c->sent_continue = false;
      if (!ok || close || closed || stopping) {
        ::shutdown(c->fd, SHUT_RDWR);
        Release(*c);
        return;
      }
      // A keep-alive client that sends its next request at once (a browser
      // loading a page, a script) is served on this worker without a trip
      // through the poller; a slower one costs the worker at most
      // linger_ms, and only a complete request is run here. A worker
      // lingers only while no other connection's request waits for one.
      if (c->buf.empty() && opt.linger_ms > 0 && queued.load() == 0) {
        pollfd p{c->fd, POLLIN, 0};
        if (::poll(&p, 1, opt.linger_ms) > 0 && (p.revents & POLLIN)) {
          char tmp[16 * 1024];
          const ssize_t n = ::recv(c->fd, tmp, sizeof(tmp), MSG_DONTWAIT);
          if (n > 0) c->buf.append(tmp, static_cast<size_t>(n));
          if (n == 0) {
            ::shutdown(c->fd, SHUT_RDWR);
            Release(*c);
            return;
          }
        }
      }
      if (c->buf.empty()) break;
      const Frame f = Examine(c->buf, opt);
      if (f.kind != Frame::kComplete) break;  // the poller waits for the rest, or refuses it
      c->msg_len = f.length;
    }
    c->in_request = !c->buf.empty();
    if (!c->in_request) c->buf.shrink_to_fit();  // idle connections hold no buffer
    c->deadline = Clock::now() + std::chrono::seconds(c->in_request ? opt.request_timeout_seconds
                                                                    : opt.idle_timeout_seconds);
    {
      std::lock_guard lock(mu);
      incoming.push_back(std::move(c));
    }
    Wake();
  }

  void OnReadable(int fd) {
    auto it = conns.find(fd);
    if (it == conns.end()) return;
    std::unique_ptr<Conn>& c = it->second;
    char tmp[16 * 1024];
    if (c->closing) {
      const ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
      if (n > 0) c->drained += static_cast<size_t>(n);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || c->drained > (1u << 20)) Drop(it);
      return;
    }
    const size_t cap = BufferCap(opt);
    const size_t want = std::min(sizeof(tmp), cap > c->buf.size() ? cap - c->buf.size() : 0);
    if (want > 0) {
      const ssize_t n = ::recv(fd, tmp, want, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        Drop(it);
        return;
      }
      if (n < 0) return;
      if (!c->in_request) {
        c->in_request = true;
        c->deadline = Clock::now() + std::chrono::seconds(opt.request_timeout_seconds);
      }
      c->buf.append(tmp, static_cast<size_t>(n));
    }
    if (!Judge(c)) conns.erase(it);
  }

  void Drop(std::map<int, std::unique_ptr<Conn>>::iterator it) {
    ::epoll_ctl(epfd, EPOLL_CTL_DEL, it->first, nullptr);
    Release(*it->second);
    conns.erase(it);
  }

  void Run() {
    std::vector<epoll_event> events(128);
    while (!stopping) {
      const int n = ::epoll_wait(epfd, events.data(), static_cast<int>(events.size()), 200);
      for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == wakefd) {
          uint64_t v;
          [[maybe_unused]] ssize_t r = ::read(wakefd, &v, sizeof(v));
          continue;
        }
        OnReadable(events[i].data.fd);
      }
      std::vector<std::unique_ptr<Conn>> arrived;
      {
        std::lock_guard lock(mu);
        arrived.swap(incoming);
      }
      for (auto& c : arrived) {
        const int fd = c->fd;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.fd = fd;
        ::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
        auto [it, inserted] = conns.emplace(fd, std::move(c));
        if (!it->second->buf.empty() && !Judge(it->second)) conns.erase(it);
      }
      const auto now = Clock::now();
      for (auto it = conns.begin(); it != conns.end();) {
        auto next = std::next(it);
        Conn& c = *it->second;
        if (now >= c.deadline) {
          if (!c.closing) {
            {
              std::lock_guard lock(mu);
              ++stats.timed_out;
            }
            if (c.in_request)
              SendNow(c.fd, ErrorResponse(408, "request_timeout", "the request took too long to arrive"));
          }
          ::shutdown(c.fd, SHUT_RDWR);
          Drop(it);
        }
        it = next;
      }
    }
  }
};

ConnectionGate::ConnectionGate(GateOptions options, Process process) : impl_(std::make_unique<Impl>()) {
  impl_->opt = options;
  impl_->process = std::move(process);
}

ConnectionGate::~ConnectionGate() {
  Stop();
}

Status ConnectionGate::Start() {
  if (impl_->started.exchange(true)) return Status::Ok();
  impl_->epfd = ::epoll_create1(EPOLL_CLOEXEC);
  impl_->wakefd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl_->epfd < 0 || impl_->wakefd < 0) return IoError("cannot create the connection poller");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = impl_->wakefd;
  ::epoll_ctl(impl_->epfd, EPOLL_CTL_ADD, impl_->wakefd, &ev);
  impl_->pool = std::make_unique<httplib::ThreadPool>(static_cast<size_t>(std::max(1, impl_->opt.workers)));
  impl_->loop = std::thread([this] { impl_->Run(); });
  return Status::Ok();
}

void ConnectionGate::Adopt(int fd) {
  if (!impl_->started) {
    ::close(fd);
    return;
  }
  impl_->Adopt(fd);
}

void ConnectionGate::Stop() {
  if (!impl_->started || impl_->stopping.exchange(true)) return;
  impl_->Wake();
  if (impl_->loop.joinable()) impl_->loop.join();
  if (impl_->pool) impl_->pool->shutdown();
  for (auto& [fd, c] : impl_->conns) {
    ::shutdown(fd, SHUT_RDWR);
    impl_->Release(*c);
  }
  impl_->conns.clear();
  std::vector<std::unique_ptr<Conn>> left;
  {
    std::lock_guard lock(impl_->mu);
    left.swap(impl_->incoming);
  }
  for (auto& c : left) impl_->Release(*c);
  ::close(impl_->epfd);
  ::close(impl_->wakefd);
}

GateStats ConnectionGate::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

}  // namespace sk::server
