#include "adapters/http/outbound_policy.h"

#include <gtest/gtest.h>

namespace dai::http {
namespace {

IpAddress Ip(const char* text) {
  auto ip = IpAddress::Parse(text);
  EXPECT_TRUE(ip.has_value()) << text;
  return ip.value_or(IpAddress{});
}

TEST(IpAddressTest, ParsesLiteralsStrictly) {
  EXPECT_EQ(Ip("10.1.2.3").ToString(), "10.1.2.3");
  EXPECT_EQ(Ip("[fd00:ec2::254]").ToString(), "fd00:ec2::254");
  EXPECT_EQ(Ip("::1").family, IpAddress::Family::kV6);
  EXPECT_FALSE(IpAddress::Parse("0x7f.0.0.1"));  // inet_aton forms are names, not literals
  EXPECT_FALSE(IpAddress::Parse("1.2.3"));
  EXPECT_FALSE(IpAddress::Parse("example.com"));
  EXPECT_FALSE(IpAddress::Parse("fe80::1%eth0"));
  EXPECT_FALSE(IpAddress::Parse(""));
}

TEST(IpAddressTest, CanonicalUnwrapsEmbeddedIpv4) {
  EXPECT_EQ(Ip("::ffff:169.254.169.254").Canonical(), IpAddress::V4(169, 254, 169, 254));
  EXPECT_EQ(Ip("64:ff9b::a9fe:a9fe").Canonical(), IpAddress::V4(169, 254, 169, 254));
  EXPECT_EQ(Ip("::1").Canonical(), Ip("::1"));
  EXPECT_EQ(Ip("2001:db8::1").Canonical(), Ip("2001:db8::1"));
}

TEST(IpNetworkTest, ParsesAndContains) {
  auto n = IpNetwork::Parse("169.254.7.9/16");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->ToString(), "169.254.0.0/16");
  EXPECT_TRUE(n->Contains(Ip("169.254.255.1")));
  EXPECT_FALSE(n->Contains(Ip("169.255.0.1")));
  EXPECT_TRUE(n->Contains(Ip("::ffff:169.254.1.1")));
  auto v6 = IpNetwork::Parse("fe80::/10");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->Contains(Ip("febf::1")));
  EXPECT_FALSE(v6->Contains(Ip("fec0::1")));
  EXPECT_FALSE(v6->Contains(Ip("10.0.0.1")));
  auto single = IpNetwork::Parse("10.0.0.1");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->prefix_length, 32);
  EXPECT_EQ(IpNetwork::Parse("10.0.0.0/33").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IpNetwork::Parse("10.0.0.0/x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IpNetwork::Parse("host/8").status().code(), StatusCode::kInvalidArgument);
}

TEST(ClassifyAddressTest, KnownBlocks) {
  EXPECT_EQ(ClassifyAddress(Ip("169.254.169.254")), AddressClass::kCloudMetadata);
  EXPECT_EQ(ClassifyAddress(Ip("fd00:ec2::254")), AddressClass::kCloudMetadata);
  EXPECT_EQ(ClassifyAddress(Ip("::ffff:169.254.169.254")), AddressClass::kCloudMetadata);
  EXPECT_EQ(ClassifyAddress(Ip("169.254.170.2")), AddressClass::kCloudMetadata);
  EXPECT_EQ(ClassifyAddress(Ip("169.254.1.1")), AddressClass::kLinkLocal);
  EXPECT_EQ(ClassifyAddress(Ip("fe80::1")), AddressClass::kLinkLocal);
  EXPECT_EQ(ClassifyAddress(Ip("127.0.0.1")), AddressClass::kLoopback);
  EXPECT_EQ(ClassifyAddress(Ip("127.255.0.9")), AddressClass::kLoopback);
  EXPECT_EQ(ClassifyAddress(Ip("::1")), AddressClass::kLoopback);
  EXPECT_EQ(ClassifyAddress(Ip("10.9.9.9")), AddressClass::kPrivate);
  EXPECT_EQ(ClassifyAddress(Ip("172.31.0.1")), AddressClass::kPrivate);
  EXPECT_EQ(ClassifyAddress(Ip("172.32.0.1")), AddressClass::kPublic);
  EXPECT_EQ(ClassifyAddress(Ip("192.168.1.1")), AddressClass::kPrivate);
  EXPECT_EQ(ClassifyAddress(Ip("fd12::1")), AddressClass::kPrivate);
  EXPECT_EQ(ClassifyAddress(Ip("0.0.0.0")), AddressClass::kUnspecified);
  EXPECT_EQ(ClassifyAddress(Ip("::")), AddressClass::kUnspecified);
  EXPECT_EQ(ClassifyAddress(Ip("239.1.1.1")), AddressClass::kMulticast);
  EXPECT_EQ(ClassifyAddress(Ip("ff02::1")), AddressClass::kMulticast);
  EXPECT_EQ(ClassifyAddress(Ip("93.184.216.34")), AddressClass::kPublic);
  EXPECT_EQ(ClassifyAddress(Ip("2606:4700::1111")), AddressClass::kPublic);
}

TEST(OutboundPolicyTest, DefaultRefusesMetadataLinkLocalLoopbackPrivate) {
  OutboundPolicy policy;
  Status s = policy.CheckAddress("169.254.169.254", Ip("169.254.169.254"));
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("169.254.169.254"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("deny-cloud-metadata"), std::string::npos) << s.message();
  s = policy.CheckAddress("fd00:ec2::254", Ip("fd00:ec2::254"));
  EXPECT_NE(s.message().find("fd00:ec2::254"), std::string::npos) << s.message();
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  s = policy.CheckAddress("evil.example", Ip("169.254.3.4"));
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("deny-link-local"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("evil.example"), std::string::npos) << s.message();
  EXPECT_EQ(policy.CheckAddress("x", Ip("fe80::1")).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(policy.CheckAddress("x", Ip("127.0.0.1")).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(policy.CheckAddress("x", Ip("10.0.0.1")).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(policy.CheckAddress("x", Ip("0.0.0.0")).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(policy.CheckAddress("x", Ip("::ffff:127.0.0.1")).code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(policy.CheckAddress("x", Ip("93.184.216.34")).ok());
}

TEST(OutboundPolicyTest, AllowLocalStillRefusesMetadataAndLinkLocal) {
  OutboundPolicy policy = OutboundPolicy::AllowLocal();
  EXPECT_TRUE(policy.CheckAddress("x", Ip("127.0.0.1")).ok());
  EXPECT_TRUE(policy.CheckAddress("x", Ip("::1")).ok());
  EXPECT_TRUE(policy.CheckAddress("x", Ip("192.168.0.10")).ok());
  EXPECT_EQ(policy.CheckAddress("x", Ip("169.254.169.254")).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(policy.CheckAddress("x", Ip("fd00:ec2::254")).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(policy.CheckAddress("x", Ip("fe80::2")).code(), StatusCode::kPermissionDenied);
}

TEST(OutboundPolicyTest, ExplicitNetworkAllowsMetadata) {
  auto policy = OutboundPolicy::Create({.allowed_networks = {"169.254.169.254/32"}});
  ASSERT_TRUE(policy.ok());
  EXPECT_TRUE(policy->CheckAddress("x", Ip("169.254.169.254")).ok());
  EXPECT_EQ(policy->CheckAddress("x", Ip("169.254.169.253")).code(), StatusCode::kPermissionDenied);
}

TEST(OutboundPolicyTest, AllowListOfHostsAndNetworks) {
  auto policy = OutboundPolicy::Create({.allowed_hosts = {"hooks.example.com", "*.corp.example"},
                                        .allowed_networks = {"203.0.113.0/24"},
                                        .allow_unlisted = false});
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_TRUE(policy->CheckHost("HOOKS.example.com").ok());
  EXPECT_TRUE(policy->CheckHost("a.b.corp.example").ok());
  EXPECT_TRUE(policy->CheckHost("hooks.example.com.").ok());
  EXPECT_EQ(policy->CheckHost("corp.example").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(policy->CheckHost("evil-corp.example").code(), StatusCode::kPermissionDenied);
  Status s = policy->CheckHost("other.example.com");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("allow-list"), std::string::npos);
  // Listed host with a public address: allowed; unlisted host inside the network: allowed.
  EXPECT_TRUE(policy->CheckDestination("hooks.example.com", {Ip("93.184.216.34")}).ok());
  EXPECT_TRUE(policy->CheckDestination("203.0.113.5", {Ip("203.0.113.5")}).ok());
  EXPECT_EQ(policy->CheckDestination("198.51.100.1", {Ip("198.51.100.1")}).code(),
            StatusCode::kPermissionDenied);
  // A listed name still may not resolve to link-local.
  EXPECT_EQ(policy->CheckDestination("hooks.example.com", {Ip("169.254.169.254")}).code(),
            StatusCode::kPermissionDenied);
}

TEST(OutboundPolicyTest, EveryResolvedAddressMustPass) {
  OutboundPolicy policy;
  Status s = policy.CheckDestination("mixed.example", {Ip("93.184.216.34"), Ip("169.254.169.254")});
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("169.254.169.254"), std::string::npos);
  EXPECT_EQ(policy.CheckDestination("none.example", {}).code(), StatusCode::kUnavailable);
}

TEST(OutboundPolicyTest, CreateRejectsMalformedEntries) {
  EXPECT_EQ(OutboundPolicy::Create({.allowed_networks = {"10.0.0.0/99"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OutboundPolicy::Create({.allowed_hosts = {"bad host"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OutboundPolicy::Create({.allowed_hosts = {"*."}}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dai::http
