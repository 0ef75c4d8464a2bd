// The channels over libcurl: the webhook through the Zendesk client's
// transport (TLS verified, no redirects, errors without headers or bodies),
// e-mail over SMTP with STARTTLS required unless plain SMTP to localhost was
// chosen. Errors never contain the webhook's path, the password or the body.
#include <curl/curl.h>

#include <cstring>
#include <ctime>
#include <memory>

#include "notify/notify.h"
#include "util/encoding.h"
#include "zendesk/transport.h"

namespace sk::notify {

namespace {

Status Unavailable(std::string m) {
  return Status(Code::kUnavailable, std::move(m));
}

// An RFC 2047 encoded word when the subject is not plain ASCII.
std::string HeaderText(const std::string& s) {
  for (unsigned char ch : s)
    if (ch >= 0x80) return "=?UTF-8?B?" + Base64Encode(s) + "?=";
  return s;
}

std::string Rfc5322Date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string Payload(const Settings& s, const std::string& subject, const std::string& text) {
  std::string to;
  for (const auto& r : s.smtp_to) to += (to.empty() ? "" : ", ") + r;
  std::string out = "Date: " + Rfc5322Date(std::time(nullptr)) + "\r\nFrom: " + s.smtp_from +
                    "\r\nTo: " + to + "\r\nSubject: " + HeaderText(subject) +
                    "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n";
  for (char ch : text) {
    if (ch == '\r') continue;
    if (ch == '\n')
      out += "\r\n";
    else
      out += ch;
  }
  return out + "\r\n";  // libcurl ends DATA and escapes lines starting with "."
}

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadPayload(char* buffer, size_t size, size_t nitems, void* user) {
  auto* up = static_cast<Upload*>(user);
  const size_t n = std::min(size * nitems, up->data->size() - up->offset);
  std::memcpy(buffer, up->data->data() + up->offset, n);
  up->offset += n;
  return n;
}

class Curl final : public Senders {
 public:
  Status Webhook(const Settings& s, const std::string& json_body) override {
    zendesk::Transport transport(
        zendesk::Transport::Options{.connect_timeout_seconds = 10, .request_timeout_seconds = 30});
    zendesk::HttpRequest req;
    req.method = "POST";
    req.url = s.webhook_url;
    req.has_body = true;
    req.body = json_body;
    const zendesk::TransportResult r = transport.Perform(req);
    if (r.error == zendesk::NetError::kTlsVerify)
      return Refused("the webhook's TLS certificate did not verify: " + r.error_message);
    if (r.error != zendesk::NetError::kNone)
      return Unavailable("the webhook did not answer: " + r.error_message);
    const long st = r.response.status;
    if (st >= 200 && st < 300) return Status::Ok();
    const std::string what = "the webhook answered HTTP " + std::to_string(st);
    // Gone or refused for good (a removed Slack webhook answers 404/410);
    // rate limits and server errors are retried.
    if (st == 429 || st == 408 || st >= 500) return Unavailable(what);
    return Refused(what + " (check or replace the webhook URL)");
  }

  Status Email(const Settings& s, const std::string& subject, const std::string& text) override {
    std::unique_ptr<CURL, void (*)(CURL*)> h(curl_easy_init(), curl_easy_cleanup);
    if (!h) return Internal("curl_easy_init failed");
    const std::string payload = Payload(s, subject, text);
    Upload up{&payload};
    curl_slist* rcpt = nullptr;
    for (const auto& r : s.smtp_to) rcpt = curl_slist_append(rcpt, ("<" + r + ">").c_str());
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> rcpt_guard(rcpt, curl_slist_free_all);
    const std::string from = "<" + s.smtp_from + ">";
    char errbuf[CURL_ERROR_SIZE] = {0};
    CURL* c = h.get();
    curl_easy_setopt(c, CURLOPT_URL, s.smtp_url.c_str());
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(s.smtp_plain ? CURLUSESSL_NONE : CURLUSESSL_ALL));
    if (!s.smtp_user.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, s.smtp_user.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, s.smtp_password.c_str());
    }
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadPayload);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    const CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) return Status::Ok();
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    std::string what = "SMTP: " + std::string(errbuf[0] ? errbuf : curl_easy_strerror(rc));
    if (code) what += " (server said " + std::to_string(code) + ")";
    if (rc == CURLE_USE_SSL_FAILED) return Refused("the SMTP server does not offer STARTTLS; " + what);
    if (rc == CURLE_LOGIN_DENIED) return Refused("the SMTP server refused the login; " + what);
    if (rc == CURLE_PEER_FAILED_VERIFICATION)
      return Refused("the SMTP server's TLS certificate did not verify");
    if (code >= 500 && code < 600) return Refused(what);
    return Unavailable(what);
  }
};

}  // namespace

std::unique_ptr<Senders> CurlSenders() {
  return std::make_unique<Curl>();
}

}  // namespace sk::notify
