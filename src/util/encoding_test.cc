#include "util/encoding.h"

#include <gtest/gtest.h>

namespace sk {
namespace {

TEST(HexTest, RoundTripsAndRejectsWhatIsNotHex) {
  EXPECT_EQ(HexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(HexDecode("0001ABff"), std::string("\x00\x01\xab\xff", 4));
  EXPECT_EQ(HexDecode(""), std::string());
  EXPECT_EQ(HexDecode("abc"), std::nullopt);     // odd
  EXPECT_EQ(HexDecode("zz"), std::nullopt);      // not a digit
  EXPECT_EQ(HexDecode("00 1"), std::nullopt);    // trailing junk
  EXPECT_EQ(HexDecode("0011\n"), std::nullopt);  // callers trim their own line ends
}

TEST(Base64Test, StandardMatchesRfc4648Vectors) {
  // RFC 4648 §10.
  const char* vectors[][2] = {{"", ""},
                              {"f", "Zg=="},
                              {"fo", "Zm8="},
                              {"foo", "Zm9v"},
                              {"foob", "Zm9vYg=="},
                              {"fooba", "Zm9vYmE="},
                              {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), plain);
  }
  // HTTP Basic credentials as Zendesk's API token scheme sends them.
  EXPECT_EQ(Base64Encode("admin@example.com/token:abc+/?"), "YWRtaW5AZXhhbXBsZS5jb20vdG9rZW46YWJjKy8/");
}

TEST(Base64Test, DecodingAcceptsMissingPaddingAndRejectsOtherAlphabets) {
  EXPECT_EQ(Base64Decode("Zm9vYg"), "foob");
  EXPECT_EQ(Base64Decode("Zm9vYg=="), "foob");
  EXPECT_EQ(Base64Decode("Zm9v YmFy"), std::nullopt);
  EXPECT_EQ(Base64Decode("Pz8_"), std::nullopt);  // URL-safe alphabet
  EXPECT_EQ(Base64Decode("Pz8/"),
            "??"
            "?");
  EXPECT_EQ(Base64Decode("Z"), std::nullopt);
}

TEST(Base64Test, UrlSafeNoPaddingIsThePkceEncoding) {
  // RFC 7636 appendix B: the challenge of the example verifier's SHA-256.
  const unsigned char digest[] = {19, 211, 30,  150, 26,  26,  216, 236, 47,  22,  177,
                                  12, 76,  152, 46,  8,   118, 168, 120, 173, 109, 241,
                                  68, 86,  110, 225, 137, 74,  203, 112, 249, 195};
  EXPECT_EQ(Base64Encode(std::string(reinterpret_cast<const char*>(digest), sizeof digest),
                         Base64::kUrlSafeNoPadding),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  EXPECT_EQ(Base64Decode("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Base64::kUrlSafeNoPadding)->size(),
            32u);
}

}  // namespace
}  // namespace sk
