// Encryption of secrets at rest (tokens, client secrets) with libsodium's
// XChaCha20-Poly1305 AEAD. The 32-byte key comes from SEATKEEPER_KEY (64 hex
// digits) or from SEATKEEPER_HOME/key, created 0600 on first use.
#pragma once

#include <string>

#include "util/status.h"

namespace sk::store {

class SecretBox {
 public:
  // Loads or creates the key for `home`.
  static Result<SecretBox> Open(const std::string& home);
  static SecretBox FromKey(const std::string& key32);

  // Returns "sk1:" + hex(nonce || ciphertext). Empty input stays empty.
  std::string Seal(const std::string& plaintext, const std::string& associated) const;
  // Inverse of Seal; kIo when the key is wrong or the value was tampered with.
  Result<std::string> Open(const std::string& sealed, const std::string& associated) const;

 private:
  std::string key_;
};

}  // namespace sk::store
