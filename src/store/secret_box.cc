#include "store/secret_box.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "util/encoding.h"

namespace sk::store {
namespace {

constexpr const char* kPrefix = "sk1:";

Result<std::string> FromHex(const std::string& hex) {
  auto bytes = HexDecode(hex);
  if (!bytes) return IoError("not hex");
  return *std::move(bytes);
}

}  // namespace

SecretBox SecretBox::FromKey(const std::string& key32) {
  SecretBox b;
  b.key_ = key32;
  return b;
}

Result<SecretBox> SecretBox::Open(const std::string& home) {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  if (const char* env = std::getenv("SEATKEEPER_KEY"); env && *env) {
    auto key = FromHex(env);
    if (!key.ok() || key->size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
      return InvalidArgument("SEATKEEPER_KEY must be 64 hex digits (32 bytes)");
    return FromKey(*key);
  }
  std::string path = home + "/key";
  std::ifstream in(path);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    std::string hex = ss.str();
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
    auto key = FromHex(hex);
    if (!key.ok() || key->size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
      return IoError("the key file " + path + " is damaged (expected 64 hex digits)");
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
      return Refused("the key file " + path + " is readable by others; run: chmod 600 " + path);
    return FromKey(*key);
  }
  unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  crypto_aead_xchacha20poly1305_ietf_keygen(key);
  std::string hex = HexEncode(std::string_view(reinterpret_cast<const char*>(key), sizeof key));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return IoError("cannot create the key file " + path);
  std::string line = hex + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ok = (::fsync(fd) == 0) && ok;
  ::close(fd);
  if (!ok) return IoError("cannot write the key file " + path);
  sodium_memzero(key, sizeof key);
  return Open(home);
}

std::string SecretBox::Seal(const std::string& plaintext, const std::string& associated) const {
  if (plaintext.empty()) return "";
  std::string buf(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plaintext.size() +
                      crypto_aead_xchacha20poly1305_ietf_ABYTES,
                  '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(buf.data());
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(associated.data()), associated.size(), nullptr, nonce,
      reinterpret_cast<const unsigned char*>(key_.data()));
  buf.resize(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + clen);
  return kPrefix + HexEncode(buf);
}

Result<std::string> SecretBox::Open(const std::string& sealed, const std::string& associated) const {
  if (sealed.empty()) return std::string();
  if (sealed.rfind(kPrefix, 0) != 0) return IoError("stored secret is not sealed");
  auto raw = FromHex(sealed.substr(4));
  if (!raw.ok() || raw->size() < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES)
    return IoError("stored secret is damaged");
  const auto* nonce = reinterpret_cast<const unsigned char*>(raw->data());
  size_t clen = raw->size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::string out(clen, '\0');
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &mlen, nullptr,
          nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, clen,
          reinterpret_cast<const unsigned char*>(associated.data()), associated.size(), nonce,
          reinterpret_cast<const unsigned char*>(key_.data())) != 0)
    return IoError("cannot decrypt a stored secret: the key (SEATKEEPER_KEY or SEATKEEPER_HOME/key) is not the one it was sealed with");
  out.resize(mlen);
  return out;
}

}  // namespace sk::store
