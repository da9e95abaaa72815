#include "cli/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace dai::cli {
namespace {

std::string WriteYaml(const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("dai-config-" + std::to_string(::getpid()) + "-" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".yaml");
  std::ofstream(path) << text;
  return path.string();
}

TEST(ConfigTest, Defaults) {
  auto c = LoadConfig(std::nullopt, {}, {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->listen, "127.0.0.1:8080");
  EXPECT_EQ(c->DatabaseUrl(), "./data/devops-ai.db");
  EXPECT_EQ(c->sqlite_memory_mb, 64);
  c = LoadConfig(std::nullopt, {{"DEVOPS_AI_SQLITE_MEMORY_MB", "128"}}, {});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sqlite_memory_mb, 128);
  c = LoadConfig(std::nullopt, {}, {{"sqlite_memory_mb", "2"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("sqlite_memory_mb"), std::string::npos);
}

TEST(ConfigTest, PrecedenceFlagsOverEnvOverFile) {
  const std::string file =
      WriteYaml("listen: 127.0.0.1:1000\ndata_dir: /tmp/file\nlog_level: warn\n");
  auto c =
      LoadConfig(file, {{"DEVOPS_AI_LISTEN", "127.0.0.1:2000"}, {"DEVOPS_AI_DATA_DIR", "/tmp/env"}},
                 {{"listen", "[::1]:3000"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen, "[::1]:3000");
  EXPECT_EQ(c->data_dir, "/tmp/env");
  EXPECT_EQ(c->log_level, "warn");
  auto addr = c->ListenAddress();
  ASSERT_TRUE(addr.ok());
  EXPECT_EQ(addr->first, "::1");
  EXPECT_EQ(addr->second, 3000);
  std::remove(file.c_str());
}

TEST(ConfigTest, ErrorsNameTheSetting) {
  auto c = LoadConfig(std::nullopt, {{"DEVOPS_AI_LISTN", "x"}}, {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("DEVOPS_AI_LISTN"), std::string::npos);
  c = LoadConfig(std::nullopt, {}, {{"threads", "many"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("threads"), std::string::npos);
  c = LoadConfig(std::nullopt, {}, {{"listen", "nohost"}});
  EXPECT_FALSE(c.ok());
  c = LoadConfig(std::nullopt, {}, {{"prometheus_url", "ftp://x"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("prometheus_url"), std::string::npos);
  c = LoadConfig(std::nullopt, {}, {{"kubeconfig", "relative/kubeconfig"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("setting kubeconfig"), std::string::npos);
  c = LoadConfig(std::nullopt, {{"DEVOPS_AI_KUBECONFIG", "in-cluster"}},
                 {{"kube_context", "prod"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->kubeconfig, "in-cluster");
  EXPECT_EQ(c->kube_context, "prod");
  const std::string file = WriteYaml("listen: 127.0.0.1:1\nbogus_key: 1\n");
  c = LoadConfig(file, {}, {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("bogus_key"), std::string::npos);
  std::remove(file.c_str());
  const std::string bad = WriteYaml("listen: [unclosed\n");
  c = LoadConfig(bad, {}, {});
  EXPECT_FALSE(c.ok());
  std::remove(bad.c_str());
}

TEST(ConfigTest, DescribeRedactsPasswords) {
  auto c = LoadConfig(std::nullopt, {}, {{"db", "postgres://app:s3cret@127.0.0.1:5432/db"}});
  ASSERT_TRUE(c.ok());
  const std::string d = DescribeConfig(*c);
  EXPECT_EQ(d.find("s3cret"), std::string::npos);
  EXPECT_NE(d.find("postgres://app:***@127.0.0.1"), std::string::npos);
}

}  // namespace
}  // namespace dai::cli
