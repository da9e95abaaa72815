#include "adapters/http/outbound_policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace dai::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view StripBrackets(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    return text.substr(1, text.size() - 2);
  }
  return text;
}

bool InBlock(const IpAddress& a, const char* cidr) {
  auto network = IpNetwork::Parse(cidr);
  return network.ok() && network->Contains(a);
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  std::string s(StripBrackets(text));
  if (s.empty() || s.size() > 64) return std::nullopt;
  IpAddress a;
  // inet_pton accepts only the strict dotted-quad form, unlike inet_aton ("0x7f.1").
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::kV4;
    return a;
  }
  if (s.find('%') != std::string::npos) return std::nullopt;  // zone ids are not supported
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::kV6;
    return a;
  }
  return std::nullopt;
}

IpAddress IpAddress::V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  ip.family = Family::kV4;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == Family::kV4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

IpAddress IpAddress::Canonical() const {
  if (family == Family::kV4) return *this;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr uint8_t kCompat[12] = {};
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  const bool mapped = std::memcmp(bytes.data(), kMapped, 12) == 0;
  const bool nat64 = std::memcmp(bytes.data(), kNat64, 12) == 0;
  // ::a.b.c.d (deprecated IPv4-compatible); "::" and "::1" stay IPv6.
  const bool compat =
      std::memcmp(bytes.data(), kCompat, 12) == 0 && (bytes[12] | bytes[13] | bytes[14]) != 0;
  if (!mapped && !nat64 && !compat) return *this;
  return V4(bytes[12], bytes[13], bytes[14], bytes[15]);
}

Result<IpNetwork> IpNetwork::Parse(std::string_view text) {
  std::string_view addr = text;
  int prefix = -1;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    std::string_view p = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || end != p.data() + p.size() || p.empty()) {
      return Status::InvalidArgument("network \"" + std::string(text) + "\": bad prefix length");
    }
  }
  auto ip = IpAddress::Parse(addr);
  if (!ip) {
    return Status::InvalidArgument("network \"" + std::string(text) + "\": not an IP address");
  }
  const int max = ip->family == IpAddress::Family::kV4 ? 32 : 128;
  if (prefix < 0) prefix = max;
  if (prefix > max) {
    return Status::InvalidArgument("network \"" + std::string(text) + "\": prefix length over " +
                                   std::to_string(max));
  }
  IpNetwork n;
  n.base = *ip;
  n.prefix_length = prefix;
  // Zero the host bits so Contains and ToString see the network address.
  for (int bit = prefix; bit < max; ++bit) n.base.bytes[bit / 8] &= ~(0x80 >> (bit % 8));
  return n;
}

bool IpNetwork::Contains(const IpAddress& address) const {
  IpAddress a = address;
  if (base.family == IpAddress::Family::kV4) a = address.Canonical();
  if (a.family != base.family) return false;
  int full = prefix_length / 8;
  if (std::memcmp(a.bytes.data(), base.bytes.data(), full) != 0) return false;
  int rest = prefix_length % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (base.bytes[full] & mask);
}

std::string IpNetwork::ToString() const {
  return base.ToString() + "/" + std::to_string(prefix_length);
}

AddressClass ClassifyAddress(const IpAddress& address) {
  const IpAddress a = address.Canonical();
  if (a.family == IpAddress::Family::kV4) {
    if (InBlock(a, "169.254.169.254") || InBlock(a, "169.254.170.2") ||
        InBlock(a, "100.100.100.200")) {
      return AddressClass::kCloudMetadata;
    }
    if (InBlock(a, "169.254.0.0/16")) return AddressClass::kLinkLocal;
    if (InBlock(a, "127.0.0.0/8")) return AddressClass::kLoopback;
    if (InBlock(a, "0.0.0.0/8")) return AddressClass::kUnspecified;
    if (InBlock(a, "224.0.0.0/4") || InBlock(a, "255.255.255.255")) {
      return AddressClass::kMulticast;
    }
    if (InBlock(a, "10.0.0.0/8") || InBlock(a, "172.16.0.0/12") || InBlock(a, "192.168.0.0/16") ||
        InBlock(a, "100.64.0.0/10")) {
      return AddressClass::kPrivate;
    }
    return AddressClass::kPublic;
  }
  if (InBlock(a, "fd00:ec2::254")) return AddressClass::kCloudMetadata;
  if (InBlock(a, "fe80::/10")) return AddressClass::kLinkLocal;
  if (InBlock(a, "::1/128")) return AddressClass::kLoopback;
  if (InBlock(a, "::/128")) return AddressClass::kUnspecified;
  if (InBlock(a, "ff00::/8")) return AddressClass::kMulticast;
  if (InBlock(a, "fc00::/7") || InBlock(a, "fec0::/10")) return AddressClass::kPrivate;
  return AddressClass::kPublic;
}

std::string_view AddressClassName(AddressClass address_class) {
  switch (address_class) {
    case AddressClass::kPublic:
      return "public";
    case AddressClass::kCloudMetadata:
      return "cloud-metadata";
    case AddressClass::kLinkLocal:
      return "link-local";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kPrivate:
      return "private";
    case AddressClass::kUnspecified:
      return "unspecified";
    case AddressClass::kMulticast:
      return "multicast";
  }
  return "unknown";
}

OutboundPolicy::OutboundPolicy() = default;

Result<OutboundPolicy> OutboundPolicy::Create(Options options) {
  OutboundPolicy policy;
  for (std::string& pattern : options.allowed_hosts) {
    pattern = Lower(pattern);
    std::string_view rest = pattern;
    if (rest.rfind("*.", 0) == 0) rest.remove_prefix(2);
    const bool ok = !rest.empty() && std::all_of(rest.begin(), rest.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
    });
    if (!ok) {
      return Status::InvalidArgument("allowed host pattern \"" + pattern +
                                     "\": expected a host name or *.domain");
    }
  }
  for (const std::string& text : options.allowed_networks) {
    DAI_ASSIGN_OR_RETURN(IpNetwork network, IpNetwork::Parse(text));
    policy.networks_.push_back(network);
  }
  policy.options_ = std::move(options);
  return policy;
}

OutboundPolicy OutboundPolicy::AllowLocal() {
  OutboundPolicy policy;
  policy.options_.allow_loopback = true;
  policy.options_.allow_private = true;
  return policy;
}

bool OutboundPolicy::HostMatches(std::string_view host) const {
  std::string h = Lower(StripBrackets(host));
  if (!h.empty() && h.back() == '.') h.pop_back();  // "example.com." is "example.com"
  for (const std::string& pattern : options_.allowed_hosts) {
    if (pattern.rfind("*.", 0) == 0) {
      std::string_view suffix = std::string_view(pattern).substr(1);  // ".example.com"
      if (h.size() > suffix.size() &&
          h.compare(h.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return true;
      }
    } else if (h == pattern) {
      return true;
    }
  }
  return false;
}

bool OutboundPolicy::InAllowedNetwork(const IpAddress& address) const {
  return std::any_of(networks_.begin(), networks_.end(),
                     [&](const IpNetwork& n) { return n.Contains(address); });
}

Status OutboundPolicy::CheckHost(std::string_view host) const {
  if (options_.allow_unlisted || HostMatches(host)) return Status::Ok();
  // An address literal may still be allowed through allowed_networks: CheckAddress decides.
  if (IpAddress::Parse(host)) return Status::Ok();
  return Status::PermissionDenied("outbound request to host \"" + std::string(host) +
                                  "\" refused: not in the allowed hosts (rule allow-list)");
}

Status OutboundPolicy::CheckAddress(std::string_view host, const IpAddress& address) const {
  const std::string where = "outbound request to \"" + std::string(StripBrackets(host)) +
                            "\" refused: address " + address.ToString();
  if (InAllowedNetwork(address)) return Status::Ok();
  const AddressClass cls = ClassifyAddress(address);
  const std::string rule(AddressClassName(cls));
  switch (cls) {
    case AddressClass::kCloudMetadata:
    case AddressClass::kLinkLocal:
      return Status::PermissionDenied(where + " is " + rule + " (rule deny-" + rule +
                                      "; allow it only by listing its network explicitly)");
    case AddressClass::kUnspecified:
    case AddressClass::kMulticast:
      return Status::PermissionDenied(where + " is " + rule + " (rule deny-" + rule + ")");
    case AddressClass::kLoopback:
      if (!options_.allow_loopback) {
        return Status::PermissionDenied(where +
                                        " is loopback (rule deny-loopback; "
                                        "allow_loopback or an allowed network permits it)");
      }
      break;
    case AddressClass::kPrivate:
      if (!options_.allow_private) {
        return Status::PermissionDenied(where +
                                        " is private (rule deny-private; "
                                        "allow_private or an allowed network permits it)");
      }
      break;
    case AddressClass::kPublic:
      break;
  }
  if (!options_.allow_unlisted && !HostMatches(host)) {
    return Status::PermissionDenied(where +
                                    " is not in the allowed hosts or networks "
                                    "(rule allow-list)");
  }
  return Status::Ok();
}

Status OutboundPolicy::CheckDestination(std::string_view host,
                                        const std::vector<IpAddress>& addresses) const {
  DAI_RETURN_IF_ERROR(CheckHost(host));
  if (addresses.empty()) {
    return Status::Unavailable("host \"" + std::string(host) + "\" resolved to no address");
  }
  for (const IpAddress& a : addresses) DAI_RETURN_IF_ERROR(CheckAddress(host, a));
  return Status::Ok();
}

}  // namespace dai::http
