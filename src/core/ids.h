// Identifiers that need no cryptographic strength (request ids, lease owners). Secrets and
// tokens use libsodium in the auth module instead.
// Thread-safety: all functions are safe to call concurrently.
#pragma once

#include <string>

namespace dai {

//! 16 random hex characters, e.g. for request ids.
std::string NewRequestId();
//! "<hostname>-<pid>-<random>" identifying this process as a lease owner.
std::string NewProcessId();

}  // namespace dai
