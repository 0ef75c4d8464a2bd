// Local servers for the notification channels' tests: a webhook receiver
// over HTTP on 127.0.0.1 that can fail on demand, and a minimal SMTP relay
// without TLS (as a relay on the same machine is) that keeps each message.
#pragma once

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "zendesk/zendesk_test_support.h"

namespace sk::notify::testing {

// Receives POSTs under /hook/ and keeps their bodies; the first FailNext(n) answer 500.
class LocalWebhook {
 public:
  LocalWebhook() {
    server_.server().Post(R"(/hook/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      bodies_.push_back(req.body);
      res.status = fail_next_ > 0 ? (fail_next_--, 500) : 200;
      res.set_content("ok", "text/plain");
    });
  }
  std::string Url() const { return server_.base() + "/hook/T0/B0/s3cr3tpath"; }
  void FailNext(int n) { fail_next_ = n; }
  std::vector<std::string> Bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::atomic<int> fail_next_{0};
  zendesk::testing::LocalServer server_;  // last: stopped before what its handler uses goes
};

// Answers every command, keeps each message's DATA, and answers DATA's end
// with `final_code` (250 accepted, 451 try later, 554 refused).
class LocalSmtp {
 public:
  explicit LocalSmtp(int final_code) : final_code_(final_code) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::abort();  // no free port
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 4);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LocalSmtp() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string Url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> Messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }

 private:
  void Serve() {
    for (;;) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      Session(c);
      ::close(c);
    }
  }
  void Send(int c, const std::string& line) { (void)!::write(c, line.data(), line.size()); }
  void Session(int c) {
    Send(c, "220 relay ready\r\n");
    std::string buf, data;
    bool in_data = false;
    char chunk[4096];
    for (;;) {
      const ssize_t n = ::read(c, chunk, sizeof chunk);
      if (n <= 0) return;
      buf.append(chunk, static_cast<size_t>(n));
      for (size_t eol; (eol = buf.find("\r\n")) != std::string::npos;) {
        const std::string line = buf.substr(0, eol);
        buf.erase(0, eol + 2);
        if (in_data) {
          if (line == ".") {
            in_data = false;
            {
              std::lock_guard lock(mu_);
              messages_.push_back(data);
            }
            Send(c, std::to_string(final_code_) + (final_code_ == 250 ? " queued\r\n" : " try later\r\n"));
          } else {
            data += line + "\n";
          }
          continue;
        }
        const std::string verb = line.substr(0, 4);
        if (verb == "EHLO" || verb == "HELO")
          Send(c, "250 relay\r\n");
        else if (verb == "DATA") {
          in_data = true;
          data.clear();
          Send(c, "354 go ahead\r\n");
        } else if (verb == "QUIT") {
          Send(c, "221 bye\r\n");
          return;
        } else {
          Send(c, "250 ok\r\n");
        }
      }
    }
  }
  int final_code_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> messages_;
};

}  // namespace sk::notify::testing
