// Issue #20 part 6: a Zendesk that cannot be reached at all. The real CLI
// says what it is retrying, gives up within seconds instead of minutes, names
// the likely causes and exits 1. Attempts and messages are asserted, never
// the elapsed time (the kill limit below only catches a hang).
#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>

#include "support/account.h"
#include "support/cli_runner.h"

namespace sk::testing {
namespace {

constexpr int kHangLimitMs = 180000;

// A loopback port nothing listens on (bound, then closed).
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return -1;
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool Resolves(const char* host) {
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host, "443", nullptr, &res);
  if (res) ::freeaddrinfo(res);
  return rc == 0;
}

// Lines of the log (standard error) holding `what`.
int CountLines(const std::string& text, const std::string& what) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(what) != std::string::npos;
  return n;
}

CliResult ConnectTo(CliRunner& cli, const std::string& url, bool allow_local) {
  std::string token = cli.WriteFile("token", "sk-secret-token-7f3a\n");
  std::vector<std::string> args = {"connect",         "--url",        url,  "--email",
                                   "admin@acme.test", "--token-file", token};
  if (allow_local) args.push_back("--allow-local");
  return cli.RunKilledAfter(args, kHangLimitMs);
}

// `fast`: each attempt fails at once (refused connection; a resolver that
// answers NXDOMAIN at once). Then the attempts are 1 + 3 retries: backoff
// 1 + 2 + 4 s, and the next 8 s would pass the 12 s limit. A slow resolver
// spends the limit in fewer attempts; each retry is still announced.
void ExpectExplained(const CliResult& r, const std::string& host, bool fast) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("could not reach Zendesk at " + host), std::string::npos) << r.err;
  for (const char* cause : {"DNS", "proxy", "firewall", "IP restriction"})
    EXPECT_NE(r.err.find(cause), std::string::npos) << "the message names " << cause << ": " << r.err;
  const int retries = CountLines(r.err, "waiting: no answer from Zendesk");
  if (fast) {
    EXPECT_EQ(retries, 3) << r.err;
  }
  EXPECT_GE(retries, 1) << r.err;
  EXPECT_NE(r.err.find("after " + std::to_string(retries + 1) + " attempts"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("attempt 2 of at most 8, giving up after 12 s"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("sk-secret-token-7f3a"), std::string::npos) << "the token is never printed";
  EXPECT_EQ(r.out.find("sk-secret-token-7f3a"), std::string::npos);
}

TEST(Reachability, AHostThatDoesNotResolveIsExplainedAndGivenUpQuickly) {
  if (Resolves("nonexistent-xyz.zendesk.com"))
    GTEST_SKIP()
        << "nonexistent-xyz.zendesk.com resolves on this machine: the DNS-failure case cannot be shown here";
  for (const char* proxy : {"HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"})
    if (std::getenv(proxy))
      GTEST_SKIP() << proxy << " is set: requests go through that proxy, not this machine's DNS";
  CliRunner cli("unresolvable");
  auto r = ConnectTo(cli, "https://nonexistent-xyz.zendesk.com", false);
  ExpectExplained(r, "nonexistent-xyz.zendesk.com", /*fast=*/false);
  EXPECT_NE(r.err.find("resolve"), std::string::npos) << r.err;
  EXPECT_LT(r.err.find("(1) DNS"), r.err.find("firewall"))
      << "DNS is named first for a name that does not resolve";
  // Nothing was stored: the account is still not connected.
  auto status = cli.Run({"status", "--json"});
  EXPECT_NE(status.out.find("not-connected"), std::string::npos) << status.out;
}

TEST(Reachability, AClosedPortIsExplainedAndGivenUpQuickly) {
  int port = ClosedPort();
  ASSERT_GT(port, 0);
  CliRunner cli("closed-port");
  auto r = ConnectTo(cli, "http://127.0.0.1:" + std::to_string(port), true);
  ExpectExplained(r, "127.0.0.1:" + std::to_string(port), /*fast=*/true);
  EXPECT_LT(r.err.find("(1) a firewall"), r.err.find("DNS"))
      << "a refused connection names the firewall first";
}

TEST(Reachability, AConfiguredProxyIsNamedWithoutItsAddress) {
  int port = ClosedPort();
  ASSERT_GT(port, 0);
  CliRunner cli("proxy");
  // A proxy URL may carry a password: only the variable's name is shown.
  cli.SetEnv("HTTPS_PROXY", "http://user:proxy-pass-123@127.0.0.1:" + std::to_string(port));
  auto r = ConnectTo(cli, "https://nonexistent-xyz.zendesk.com", false);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("HTTPS_PROXY"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("proxy-pass-123"), std::string::npos) << r.err;
  EXPECT_EQ(CountLines(r.err, "waiting: no answer from Zendesk"), 3) << r.err;
}

// A sync whose Zendesk went away after connect: one log line and one final
// error line, not a third copy from the lease worker with a "retry in 300 s"
// that a one-shot command never does.
TEST(Reachability, AFailedSyncSaysWhyOnceInTheLogAndOnceAsTheError) {
  Account acct(SmallAccount(31), "gone-after-connect");
  ASSERT_EQ(acct.Connect().exit_code, 0);
  acct.sim().Stop();
  CliResult r = acct.cli().RunKilledAfter({"sync"}, kHangLimitMs);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(CountLines(r.err, "could not reach Zendesk"), 2) << r.err;
  EXPECT_EQ(CountLines(r.err, "error: "), 1) << r.err;
  EXPECT_EQ(r.err.find("retry in"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sk::testing
