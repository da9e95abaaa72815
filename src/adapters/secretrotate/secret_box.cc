#include "adapters/secretrotate/secret_box.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace dai::secretrotate {
namespace {

void InitSodium() {
  if (sodium_init() < 0) std::abort();
}

std::string Encode(const unsigned char* data, size_t size, int variant) {
  std::string out(sodium_base64_encoded_len(size, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<std::vector<unsigned char>> Decode(std::string_view text, int variant) {
  std::vector<unsigned char> out(text.size() * 3 / 4 + 3);
  size_t len = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, nullptr,
                        variant) != 0) {
    return Status::InvalidArgument("not valid base64");
  }
  out.resize(len);
  return out;
}

}  // namespace

Result<SecretBox> SecretBox::Open(const std::string& key_path, bool create) {
  InitSodium();
  const std::string where = "secrets key file \"" + key_path + "\"";
  int fd = ::open(key_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT && create) {
    fd = ::open(key_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
      std::array<unsigned char, 32> key{};
      randombytes_buf(key.data(), key.size());
      char hex[65];
      sodium_bin2hex(hex, sizeof hex, key.data(), key.size());
      sodium_memzero(key.data(), key.size());
      std::string text = std::string(hex, 64) + "\n";
      sodium_memzero(hex, sizeof hex);
      const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                      ::fsync(fd) == 0;
      sodium_memzero(text.data(), text.size());
      ::close(fd);
      if (!ok) {
        ::unlink(key_path.c_str());
        return Status::FailedPrecondition(where + ": cannot write: " + std::strerror(errno));
      }
      fd = ::open(key_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    } else if (errno == EEXIST) {  // created concurrently
      fd = ::open(key_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
  }
  if (fd < 0) {
    return Status::FailedPrecondition(where + ": cannot open: " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::FailedPrecondition(where + ": not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Status::FailedPrecondition(where + ": readable by group or others (chmod 600 it)");
  }
  char buf[128];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  std::string_view text(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  SecretBox box;
  size_t len = 0;
  if (text.size() != 64 ||
      sodium_hex2bin(box.key_.data(), box.key_.size(), text.data(), text.size(), nullptr, &len,
                     nullptr) != 0 ||
      len != 32) {
    sodium_memzero(buf, sizeof buf);
    return Status::FailedPrecondition(where + ": must hold 64 hexadecimal characters (32 bytes)");
  }
  sodium_memzero(buf, sizeof buf);
  return box;
}

SecretBox SecretBox::FromKey(const std::array<unsigned char, 32>& key) {
  InitSodium();
  SecretBox box;
  box.key_ = key;
  return box;
}

std::string SecretBox::Seal(std::string_view plaintext) const {
  std::vector<unsigned char> buf(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                 plaintext.size());
  randombytes_buf(buf.data(), crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(buf.data() + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        buf.data(), key_.data());
  return "v1:" + Encode(buf.data(), buf.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

Result<std::string> SecretBox::Unseal(std::string_view sealed) const {
  if (sealed.substr(0, 3) != "v1:") {
    return Status::FailedPrecondition("sealed value: unknown format (expected v1:)");
  }
  auto bin = Decode(sealed.substr(3), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  if (!bin.ok() || bin->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return Status::FailedPrecondition("sealed value: malformed");
  }
  std::string out(bin->size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(
          reinterpret_cast<unsigned char*>(out.data()), bin->data() + crypto_secretbox_NONCEBYTES,
          bin->size() - crypto_secretbox_NONCEBYTES, bin->data(), key_.data()) != 0) {
    return Status::FailedPrecondition(
        "sealed value: cannot be decrypted with the current secrets key (was the key file "
        "replaced?)");
  }
  return out;
}

Result<SecretAlphabet> ParseAlphabet(std::string_view name) {
  if (name == "alnum") return SecretAlphabet::kAlnum;
  if (name == "base64url") return SecretAlphabet::kBase64Url;
  if (name == "hex") return SecretAlphabet::kHex;
  return Status::InvalidArgument("alphabet: one of alnum, base64url, hex");
}

std::string GenerateSecret(size_t length, SecretAlphabet alphabet) {
  InitSodium();
  static constexpr std::string_view kAlnum =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(length);
  if (alphabet == SecretAlphabet::kBase64Url) {
    std::vector<unsigned char> raw(length * 3 / 4 + 3);
    randombytes_buf(raw.data(), raw.size());
    out = Encode(raw.data(), raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw.data(), raw.size());
    out.resize(length);
    return out;
  }
  const std::string_view chars = alphabet == SecretAlphabet::kHex ? kHex : kAlnum;
  for (size_t i = 0; i < length; ++i) {
    out.push_back(chars[randombytes_uniform(static_cast<uint32_t>(chars.size()))]);
  }
  return out;
}

std::string Base64Encode(std::string_view data) {
  InitSodium();
  return Encode(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                sodium_base64_VARIANT_ORIGINAL);
}

Result<std::string> Base64Decode(std::string_view text) {
  InitSodium();
  DAI_ASSIGN_OR_RETURN(auto bin, Decode(text, sodium_base64_VARIANT_ORIGINAL));
  return std::string(bin.begin(), bin.end());
}

}  // namespace dai::secretrotate
