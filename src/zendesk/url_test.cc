#include "zendesk/url.h"

#include <gtest/gtest.h>

namespace sk::zendesk {
namespace {

struct UrlCase {
  const char* url;
  bool allow_local;
  const char* want;  // nullptr = rejected
};

TEST(ValidateAccountUrlTest, Table) {
  const UrlCase cases[] = {
      {"https://acme.zendesk.com", false, "https://acme.zendesk.com"},
      {"https://acme.zendesk.com/", false, "https://acme.zendesk.com"},
      {"HTTPS://Acme.Zendesk.com", false, "https://acme.zendesk.com"},
      {"  https://d3v-zenpydev.zendesk.com/ ", false, "https://d3v-zenpydev.zendesk.com"},
      {"https://a1.zendesk.com", false, "https://a1.zendesk.com"},
      {"http://acme.zendesk.com", false, nullptr},
      {"http://acme.zendesk.com", true, nullptr},
      {"acme.zendesk.com", false, nullptr},
      {"acme", false, nullptr},
      {"https://user@acme.zendesk.com", false, nullptr},
      {"https://user:pw@acme.zendesk.com", false, nullptr},
      {"https://acme.zendesk.com:443", false, nullptr},
      {"https://acme.zendesk.com:8443/", false, nullptr},
      {"https://acme.zendesk.com/api/v2", false, nullptr},
      {"https://acme.zendesk.com?x=1", false, nullptr},
      {"https://acme.zendesk.com#frag", false, nullptr},
      {"https://acme.zendesk.com.evil.net", false, nullptr},
      {"https://evil.net/acme.zendesk.com", false, nullptr},
      {"https://169.254.169.254", false, nullptr},
      {"https://169.254.169.254", true, nullptr},
      {"https://[::1]:8080", true, nullptr},
      {"https://zendesk.com", false, nullptr},
      {"https://.zendesk.com", false, nullptr},
      {"https://-acme.zendesk.com", false, nullptr},
      {"https://ac_me.zendesk.com", false, nullptr},
      {"https://a.b.zendesk.com", false, nullptr},
      {"https://example.com", false, nullptr},
      {"https://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.zendesk.com", false,
       nullptr},  // 64
      {"https://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.zendesk.com", false,
       "https://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.zendesk.com"},  // 63
      {"http://127.0.0.1:8080", false, nullptr},
      {"http://127.0.0.1:8080", true, "http://127.0.0.1:8080"},
      {"http://127.0.0.1:8080/", true, "http://127.0.0.1:8080"},
      {"https://127.0.0.1:8443", true, "https://127.0.0.1:8443"},
      {"http://localhost:9000", true, "http://localhost:9000"},
      {"http://localhost", true, nullptr},
      {"http://localhost:0", true, nullptr},
      {"http://localhost:99999", true, nullptr},
      {"http://127.0.0.1:8080/api", true, nullptr},
      {"http://user@127.0.0.1:8080", true, nullptr},
      {"ftp://acme.zendesk.com", false, nullptr},
      {"", false, nullptr},
  };
  for (const UrlCase& c : cases) {
    auto r = ValidateAccountUrl(c.url, c.allow_local);
    if (c.want) {
      ASSERT_TRUE(r.ok()) << c.url << ": " << r.status().ToString();
      EXPECT_EQ(*r, c.want) << c.url;
    } else {
      ASSERT_FALSE(r.ok()) << c.url << " was accepted as " << *r;
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << c.url;
      EXPECT_NE(r.status().message().find("https://<subdomain>.zendesk.com"), std::string::npos) << c.url;
    }
  }
}

TEST(UrlHelpersTest, EncodeOriginEndpointKey) {
  EXPECT_EQ(UrlEncode("a b/c:d[]="), "a%20b%2Fc%3Ad%5B%5D%3D");
  EXPECT_EQ(OriginOf("https://Acme.zendesk.com/api/v2?x"), "https://acme.zendesk.com");
  EXPECT_EQ(OriginOf("/api/v2"), "");
  EXPECT_EQ(EndpointKey("https://acme.zendesk.com/api/v2/users/123.json?x=1"), "/api/v2/users/{id}");
  EXPECT_EQ(EndpointKey("/api/v2/users/me.json"), "/api/v2/users/me");
  EXPECT_EQ(EndpointKey("/api/v2/job_statuses/V3-3453357b842a394f4b7c092020d42e30.json"),
            "/api/v2/job_statuses/{id}");
  EXPECT_EQ(EndpointKey("/api/v2/tickets/5/audits.json?page%5Bsize%5D=100"), "/api/v2/tickets/{id}/audits");
}

}  // namespace
}  // namespace sk::zendesk
