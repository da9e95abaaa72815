// Small cryptographic helpers over libsodium: random tokens, SHA-256, argon2id password
// hashes, constant-time comparison. libsodium is initialised on first use.
// Thread-safety: all functions are safe to call concurrently.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace dai::auth {

//! `bytes` random bytes from libsodium's CSPRNG, base64url without padding.
std::string RandomToken(size_t bytes = 32);
//! SHA-256 of `data`, lower-case hex.
std::string Sha256Hex(std::string_view data);
//! Constant-time equality of two strings (lengths may leak).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

//! argon2id cost. kInteractive for production logins; kMinimum only for tests.
enum class PasswordCost { kInteractive, kModerate, kMinimum };
//! The encoded argon2id string ("$argon2id$v=19$m=...").
Result<std::string> HashPassword(std::string_view password, PasswordCost cost);
//! True when `password` matches `encoded`.
bool VerifyPassword(std::string_view password, const std::string& encoded);
//! INVALID_ARGUMENT naming the rule when a new password is too weak (length 12..1024).
Status CheckPasswordPolicy(std::string_view password);

}  // namespace dai::auth
