#include "core/ids.h"

#include <unistd.h>

#include <array>
#include <mutex>
#include <random>

namespace dai {
namespace {

std::string RandomHex(size_t n) {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n, '0');
  std::lock_guard lock(mu);
  for (auto& c : out) c = kHex[rng() & 15];
  return out;
}

}  // namespace

std::string NewRequestId() { return RandomHex(16); }

std::string NewProcessId() {
  std::array<char, 128> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return std::string(host.data()) + "-" + std::to_string(getpid()) + "-" + RandomHex(6);
}

}  // namespace dai
