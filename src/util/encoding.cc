#include "util/encoding.h"

#include <sodium.h>

namespace sk {
namespace {

int SodiumVariant(Base64 v) {
  return v == Base64::kStandard ? sodium_base64_VARIANT_ORIGINAL : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  std::string out(bytes.size() * 2, '\0');
  // Writes the terminating NUL into the string's own terminator slot.
  sodium_bin2hex(out.data(), out.size() + 1, reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  return out;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(),
                     nullptr, &len, &end) != 0 ||
      end != hex.data() + hex.size())
    return std::nullopt;
  out.resize(len);
  return out;
}

std::string Base64Encode(std::string_view bytes, Base64 variant) {
  const int v = SodiumVariant(variant);
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), v), '\0');  // counts the NUL
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), v);
  out.pop_back();
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text, Base64 variant) {
  // Padding is optional: without it, every variant decodes as its unpadded twin.
  while (variant == Base64::kStandard && !text.empty() && text.back() == '=') text.remove_suffix(1);
  const int v =
      variant == Base64::kStandard ? sodium_base64_VARIANT_ORIGINAL_NO_PADDING : SodiumVariant(variant);
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(),
                        nullptr, &len, &end, v) != 0 ||
      end != text.data() + text.size())
    return std::nullopt;
  out.resize(len);
  return out;
}

}  // namespace sk
