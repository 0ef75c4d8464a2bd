// Hex and base64, through libsodium (sodium_bin2hex, sodium_bin2base64 and
// their inverses): the one place seatkeeper and zdsim turn bytes into text
// and back.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sk {

// Lowercase hex digits, two per byte.
std::string HexEncode(std::string_view bytes);
// The bytes of `hex` (upper or lower case, an even number of digits and
// nothing else); nullopt otherwise.
std::optional<std::string> HexDecode(std::string_view hex);

enum class Base64 {
  kStandard,          // RFC 4648 §4 alphabet (+/), padded with '=': HTTP Basic credentials
  kUrlSafeNoPadding,  // RFC 4648 §5 alphabet (-_), no padding: PKCE challenges
};

std::string Base64Encode(std::string_view bytes, Base64 variant = Base64::kStandard);
// The bytes of `text`, which must be canonical base64 of `variant`; nullopt
// otherwise. For kStandard the trailing '=' padding may be left out.
std::optional<std::string> Base64Decode(std::string_view text, Base64 variant = Base64::kStandard);

}  // namespace sk
