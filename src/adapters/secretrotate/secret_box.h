// SecretBox: encryption at rest of managed secrets (libsodium crypto_secretbox_easy, XSalsa20-
// Poly1305) under a 32-byte key kept in a file OUTSIDE the database (setting secrets_key_file,
// default "<data_dir>-secrets.key"), created 0600 on first use. A sealed value is
// "v1:" + base64url(nonce || ciphertext); a fresh random nonce per seal. Also the generator of
// new secret values from libsodium's CSPRNG.
// Thread-safety: immutable after Open(); Seal/Open may be called concurrently.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "core/status.h"

namespace dai::secretrotate {

class SecretBox {
 public:
  //! Reads the key file at `key_path`, creating it (0600, O_EXCL, 32 random bytes as hex) when
  //! it does not exist and `create` is true. FAILED_PRECONDITION naming the file when it cannot
  //! be read or created, is not 64 hex characters, or is readable by group or others.
  static Result<SecretBox> Open(const std::string& key_path, bool create = true);
  //! A box over an explicit key (tests).
  static SecretBox FromKey(const std::array<unsigned char, 32>& key);

  //! "v1:<base64url(nonce||ciphertext)>".
  std::string Seal(std::string_view plaintext) const;
  //! The plaintext of a Seal() result. FAILED_PRECONDITION when the text is malformed or was
  //! sealed under another key (the key file changed), without echoing the text.
  Result<std::string> Unseal(std::string_view sealed) const;

 private:
  std::array<unsigned char, 32> key_{};
};

//! How a generated secret is spelled.
enum class SecretAlphabet { kAlnum, kBase64Url, kHex };
//! "alnum" | "base64url" | "hex"; INVALID_ARGUMENT otherwise.
Result<SecretAlphabet> ParseAlphabet(std::string_view name);
//! `length` characters from libsodium's CSPRNG (randombytes_uniform per character for alnum and
//! hex, so no modulo bias; randombytes_buf encoded for base64url).
std::string GenerateSecret(size_t length, SecretAlphabet alphabet);

//! Standard base64 with padding (the Kubernetes Secret data encoding) and its inverse.
std::string Base64Encode(std::string_view data);
Result<std::string> Base64Decode(std::string_view text);

}  // namespace dai::secretrotate
