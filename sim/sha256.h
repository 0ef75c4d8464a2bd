// SHA-256 for the PKCE S256 check, from libsodium.
#pragma once

#include <sodium.h>

#include <string>

namespace zdsim {

// The 32-byte binary digest of data.
inline std::string Sha256(const std::string& data) {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size());
  return out;
}

}  // namespace zdsim
