// Issue 7, hostile input: redirects never carry credentials to another host
// (the client follows none), account URLs outside the allow-list are refused
// before any request, and bad command-line arguments exit 2 having sent
// nothing to Zendesk.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "support/account.h"

namespace sk::testing {
namespace {

using nlohmann::json;

// A loopback HTTP server that records what reaches it and answers with `fn`.
class TinyServer {
 public:
  explicit TinyServer(std::function<void(const httplib::Request&, httplib::Response&)> fn) {
    auto handler = [this, fn](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lk(mu_);
        std::string auth = req.has_header("Authorization") ? req.get_header_value("Authorization") : "";
        seen_.push_back(req.method + " " + req.path + " auth=" + auth + " body=" + req.body);
      }
      fn(req, res);
    };
    srv_.Get(".*", handler);
    srv_.Post(".*", handler);
    srv_.Put(".*", handler);
    srv_.Delete(".*", handler);
    port_ = srv_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { srv_.listen_after_bind(); });
    while (!srv_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TinyServer() {
    srv_.stop();
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> Seen() {
    std::lock_guard lk(mu_);
    return seen_;
  }

 private:
  httplib::Server srv_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> seen_;
};

TEST(HostileInput, RedirectsAreNeverFollowedSoCredentialsStayHome) {
  TinyServer elsewhere([](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_content(R"({"user":{"id":1,"name":"Evil","email":"evil@x.test","role":"admin"}})", "application/json");
  });
  for (int code : {301, 302, 303, 307, 308}) {
    SCOPED_TRACE("HTTP " + std::to_string(code));
    std::string target = elsewhere.Url();
    TinyServer redirector([code, target](const httplib::Request& req, httplib::Response& res) {
      res.status = code;
      res.set_header("Location", target + req.path);
    });
    CliRunner cli("redirect");
    std::string token = cli.WriteFile("api-token", "top-secret-api-token\n");
    CliResult r = cli.Run({"connect", "--url", redirector.Url(), "--allow-local", "--email", "admin@acme.test",
                           "--token-file", token, "--log-level", "debug"});
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE(r.err.find("redirect"), std::string::npos) << r.err;
    std::string secret_file = cli.WriteFile("client-secret", "top-secret-client-secret\n");
    CliResult oauth = cli.Run({"connect", "--url", redirector.Url(), "--allow-local", "--client-id", "seatkeeper",
                               "--client-secret-file", secret_file});
    EXPECT_NE(oauth.exit_code, 0) << oauth.out;
    EXPECT_FALSE(redirector.Seen().empty()) << "the configured host was asked";
    for (const auto& s : elsewhere.Seen()) ADD_FAILURE() << "the other host received: " << s;
    for (const auto& out : {r.out, r.err, oauth.out, oauth.err}) {
      EXPECT_EQ(out.find("top-secret-api-token"), std::string::npos) << out;
      EXPECT_EQ(out.find("top-secret-client-secret"), std::string::npos) << out;
    }
  }
}

TEST(HostileInput, AccountUrlsOutsideTheAllowListAreRefusedBeforeAnyRequest) {
  TinyServer trap([](const httplib::Request&, httplib::Response& res) { res.status = 200; });
  CliRunner cli("ssrf");
  std::string token = cli.WriteFile("api-token", "t\n");
  std::string port = trap.Url().substr(trap.Url().rfind(':') + 1);
  for (const std::string& url : std::vector<std::string>{"http://acme.zendesk.com", "https://acme.zendesk.com.evil.test", "https://evil.test/acme.zendesk.com",
        "https://user:pw@acme.zendesk.com", "https://acme.zendesk.com:8443", "https://acme.zendesk.com/api/v2",
        "https://acme.zendesk.com?x=1", "https://acme.zendesk.com#frag", "https://169.254.169.254",
        "https://[::1]", "ftp://acme.zendesk.com", "https://-acme.zendesk.com", "https://ac_me.zendesk.com",
        "https://a.b.zendesk.com", "https://acme.zendesk.com\r\nHost: evil", "https://acme%2ezendesk.com",
        "https://" + std::string(64, 'a') + ".zendesk.com", "javascript:alert(1)", "", "https://",
        // Loopback without --allow-local, and look-alikes of the local exception.
        "http://127.0.0.1:" + port, "http://localhost:" + port, "http://127.0.0.2:" + port,
        "http://0.0.0.0:" + port, "http://2130706433:" + port}) {
    CliResult r = cli.Run({"connect", "--url", url, "--email", "a@b.test", "--token-file", token});
    EXPECT_EQ(r.exit_code, 2) << url << ": " << r.err;
  }
  for (const std::string& url : std::vector<std::string>{"http://127.0.0.2:" + port, "http://0.0.0.0:" + port, "http://2130706433:" + port,
                                "http://localhost.evil.test:" + port, "http://127.0.0.1@evil.test:" + port}) {
    CliResult r = cli.Run({"connect", "--url", url, "--allow-local", "--email", "a@b.test", "--token-file", token});
    EXPECT_EQ(r.exit_code, 2) << url << " with --allow-local: " << r.err;
  }
  EXPECT_TRUE(trap.Seen().empty()) << trap.Seen().front();
}

TEST(HostileInput, BadArgumentsExitTwoAndSendNothing) {
  Account acct(SmallAccount(41), "badargs");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  acct.Json({"sync"});
  acct.sim().ClearRequests();
  const std::string agent = std::to_string(acct.sim().AgentId());
  const std::string url = acct.sim().BaseUrl();
  std::vector<std::vector<std::string>> cases = {
      // typos
      {"synk"},
      {"sync", "--dayz", "3"},
      {"users", "--inactiv-days", "3"},
      {"user", "set-roll", agent, "--role", "end-user"},
      {},
      // bad values
      {"--log-level", "loud", "status"},
      {"--log-format", "xml", "status"},
      {"connect", "--url", url, "--allow-local", "--permission", "admin"},
      {"connect", "--url", url, "--allow-local", "--api-budget", "0"},
      {"connect", "--url", url, "--allow-local", "--api-budget", "101"},
      {"connect", "--url", url, "--allow-local", "--api-budget", "ten"},
      {"connect", "--url", url, "--allow-local", "--timezone", "Mars/Olympus_Mons"},
      {"connect", "--url", url, "--allow-local"},  // no way to authenticate
      // account names the web API could not address
      {"--account", "acme corp", "status"},
      {"--account", "", "sync"},
      {"--account", "../other", "users"},
      {"--account", std::string(65, 'a'), "status"},
      {"connect", "--url", url, "--allow-local", "--name", "-acme", "--oauth-token-file", "-"},
      {"users", "--role", "boss"},
      {"users", "--license", "gold"},
      {"user", "set-role", agent, "--role", "boss"},
      {"user", "create", "--name", "X", "--email", "x@example.test", "--role", "root"},
      {"user", "delete", agent, "--permanent"},  // needs --yes
      {"offboard", agent},                       // needs --reassign-to
      // out-of-range and non-numeric numbers
      {"sync", "--days", "0"},
      {"sync", "--days", "3651"},
      {"sync", "--days", "-5"},
      {"sync", "--days", "99999999999999999999"},
      {"users", "--inactive-days", "-1"},
      {"seats", "--inactive-days", "0"},
      {"seats", "--seat-price", "-3"},
      {"seats", "--seat-price", "free"},
      {"seats", "--seat-price", "nan"},  // passed CLI11's NonNegativeNumber (issue #16)
      {"seats", "--seat-price", "inf"},
      {"usage", "--from", "0001-01-01", "--to", "9999-12-31"},  // more than 3660 days
      {"usage", "--user", "abc"},
      {"user", "set-role", "not-a-number", "--role", "end-user"},
      {"user", "delete", "12abc"},
      {"tickets", "reassign", "--from", agent, "--to", "x"},
      // bad dates
      {"usage", "--from", "2026-13-01"},
      {"usage", "--from", "2026-02-30"},
      {"usage", "--to", "yesterday"},
      {"usage", "--from", "20261101"},
      {"usage", "--from", "2026-11-01T00:00:00Z"},
      {"usage", "--from", "2026-11-20", "--to", "2026-11-01"},
      {"usage", "--from", "'; DROP TABLE users; --"},
  };
  for (const auto& args : cases) {
    CliResult r = acct.cli().Run(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.out << r.err;
    EXPECT_FALSE(r.err.empty()) << joined << ": says nothing";
  }
  for (const auto& r : acct.sim().Requests()) ADD_FAILURE() << "a request was sent: " << r.dump();
  // The store is untouched: still connected and synced.
  EXPECT_EQ(acct.Json({"status"})["state"], "synced");
}

TEST(HostileInput, OutOfRangeUserIdIsRejected) {
  Account acct(SmallAccount(42), "badargs-overflow");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  CliResult r = acct.cli().Run({"usage", "--user", "99999999999999999999"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
}

// Issue 16: names chosen in Zendesk (end users pick their own; an admin
// renamed here) reach every line the CLI prints outside its tables, not only
// the tables: the connect banner, status, warnings and errors, log lines.
TEST(HostileInput, ZendeskNamesCannotDriveTheTerminalOnAnyLine) {
  Account acct(SmallAccount(43), "hostile-names");
  // Clear the screen, retitle the window, the 8-bit CSI, and a line break
  // that would fake a line of output.
  const std::string hostile =
      "Eve\x1b[2J\x1b]0;pwned\x07\xC2\x9B"
      "31m\nerror: fake line";
  ASSERT_FALSE(acct.sim().UpdateUser(acct.sim().AdminId(), {{"name", hostile}}).has_value());
  auto clean = [](const CliResult& r, const std::string& what) {
    for (const std::string* s : {&r.out, &r.err}) {
      EXPECT_EQ(s->find('\x1b'), std::string::npos) << what << ": raw ESC in " << *s;
      EXPECT_EQ(s->find('\x07'), std::string::npos) << what << ": raw BEL";
      EXPECT_EQ(s->find("\xC2\x9B"), std::string::npos) << what << ": raw 8-bit CSI";
      EXPECT_EQ(s->find("\nerror: fake line"), std::string::npos) << what << ": a forged line";
    }
  };
  CliResult connect = acct.Connect({"--log-level", "info"});
  ASSERT_EQ(connect.exit_code, 0) << connect.err;
  // The name is shown, made safe (U+FFFD for each control).
  EXPECT_NE(connect.out.find("Eve\xEF\xBF\xBD[2J\xEF\xBF\xBD]0;pwned"), std::string::npos) << connect.out;
  clean(connect, "connect");
  CliResult sync = acct.cli().Run({"sync", "--log-level", "info"});
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  clean(sync, "sync");
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"status"}, {"users"}, {"seats", "--inactive-days", "1"}, {"usage"}}) {
    CliResult r = acct.cli().Run(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd[0] << ": " << r.err;
    clean(r, cmd[0]);
  }
}

}  // namespace
}  // namespace sk::testing
