// SHA-256 (FIPS 180-4), for PKCE S256 checks without linking OpenSSL directly.
#pragma once

#include <string>

namespace zdsim {

// The 32-byte binary digest of data.
std::string Sha256(const std::string& data);

}  // namespace zdsim
