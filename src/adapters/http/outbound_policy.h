// OutboundPolicy: decides which network destinations an outbound HTTP request may reach. It is
// the SSRF guard of DESIGN.md's safety rules: a host allow-list (names and CIDRs), and address
// classes that are refused unless explicitly allowed (cloud metadata, link-local, loopback,
// private, unspecified, multicast). The checks are pure functions over parsed addresses, so
// they are tested without touching the network; HttpClient applies them to every resolved
// address BEFORE it connects and then pins the connection to the checked address.
// Thread-safety: immutable after Create(); safe for concurrent use.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace dai::http {

//! An IPv4 or IPv6 address in network byte order (IPv4 uses the first 4 bytes).
struct IpAddress {
  enum class Family { kV4, kV6 };
  Family family = Family::kV4;
  std::array<uint8_t, 16> bytes{};

  //! Parses "10.0.0.1", "::1", "[fd00:ec2::254]" (brackets allowed); nullopt when not literal.
  static std::optional<IpAddress> Parse(std::string_view text);
  static IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  //! "10.0.0.1" or "fd00:ec2::254" (no brackets).
  std::string ToString() const;
  //! For an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible or NAT64 (64:ff9b::/96) IPv6
  //! address, the embedded IPv4 address; otherwise itself.
  IpAddress Canonical() const;
  bool operator==(const IpAddress&) const = default;
};

//! An address block such as 10.0.0.0/8 or fe80::/10.
struct IpNetwork {
  IpAddress base;
  int prefix_length = 0;

  //! Parses "10.0.0.0/8", "fe80::/10" or a single address (a /32 or /128).
  //! INVALID_ARGUMENT naming the text when malformed.
  static Result<IpNetwork> Parse(std::string_view text);
  bool Contains(const IpAddress& address) const;
  std::string ToString() const;
};

//! The class an address belongs to, most specific first (metadata before link-local).
enum class AddressClass {
  kPublic,
  kCloudMetadata,  //!< 169.254.169.254, 169.254.170.2, 100.100.100.200, fd00:ec2::254
  kLinkLocal,      //!< 169.254.0.0/16, fe80::/10
  kLoopback,       //!< 127.0.0.0/8, ::1
  kPrivate,        //!< 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7
  kUnspecified,    //!< 0.0.0.0/8, ::
  kMulticast,      //!< 224.0.0.0/4, 255.255.255.255, ff00::/8
};

//! Classifies `address` (after Canonical()). Pure.
AddressClass ClassifyAddress(const IpAddress& address);
//! "cloud-metadata", "link-local", ... : the rule name used in refusal messages.
std::string_view AddressClassName(AddressClass address_class);

class OutboundPolicy {
 public:
  struct Options {
    //! Host name patterns: "prometheus.internal" (exact) or "*.example.com" (any subdomain,
    //! not the apex). Matched case-insensitively against the URL's host.
    std::vector<std::string> allowed_hosts;
    //! Address blocks ("10.1.0.0/16", "169.254.169.254"). An address inside one of these is
    //! allowed whatever its class: the only way to reach link-local or metadata addresses.
    std::vector<std::string> allowed_networks;
    //! When true (the default), a destination that matches neither list is allowed if its
    //! addresses pass the class rules; when false, it must match allowed_hosts or every
    //! address must lie in allowed_networks.
    bool allow_unlisted = true;
    //! Local integrations (a Prometheus on 127.0.0.1, a private-network service).
    bool allow_loopback = false;
    bool allow_private = false;
  };

  //! A policy with the defaults above: public destinations only.
  OutboundPolicy();
  //! INVALID_ARGUMENT naming a malformed network or host pattern.
  static Result<OutboundPolicy> Create(Options options);
  //! Convenience for local integrations: loopback and private allowed, nothing else changed.
  static OutboundPolicy AllowLocal();

  //! Checks the URL host name (or literal) against the allow-list before resolution.
  //! PERMISSION_DENIED naming the host and the rule when allow_unlisted is false and the
  //! host matches no pattern and is not an address inside an allowed network.
  Status CheckHost(std::string_view host) const;
  //! Checks one resolved address of `host`. PERMISSION_DENIED naming the address, its class
  //! (the rule) and how to allow it.
  Status CheckAddress(std::string_view host, const IpAddress& address) const;
  //! CheckHost, then CheckAddress for every address; an empty list is UNAVAILABLE.
  Status CheckDestination(std::string_view host, const std::vector<IpAddress>& addresses) const;

  const Options& options() const { return options_; }

 private:
  bool HostMatches(std::string_view host) const;
  bool InAllowedNetwork(const IpAddress& address) const;

  Options options_;
  std::vector<IpNetwork> networks_;
};

}  // namespace dai::http
