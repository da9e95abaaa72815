#include "engines/logmine/template_miner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dai::logmine {
namespace {

TemplateMiner MakeMiner(MinerOptions options = {}, std::vector<std::string> masks = {}) {
  auto m = TemplateMiner::Create(options, masks);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(m).value();
}

TEST(TemplateMiner, GroupsLinesThatDifferInVariables) {
  TemplateMiner m = MakeMiner();
  auto a = m.Add("Receiving block blk_38865049064139660 src: /10.0.0.1:5000 dest: /10.0.0.2:50010").cluster_id;
  auto b = m.Add("Receiving block blk_-6952295868487656571 src: /10.0.0.9:5123 dest: /10.0.0.3:50010").cluster_id;
  auto c = m.Add("Deleting block blk_7128370237687728475 file /mnt/hadoop/current/blk_7128370237687728475").cluster_id;
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(m.cluster_count(), 2u);
  EXPECT_EQ(m.Classify("Receiving block blk_1073741825 src: /1.2.3.4:1 dest: /5.6.7.8:2").template_text,
            "Receiving block <*> src: <*>:<*> dest: <*>:<*>");
}

TEST(TemplateMiner, NonNumericVariablesAreLearned) {
  TemplateMiner m = MakeMiner();
  m.Add("Starting executor on host alpha.example");
  m.Add("Starting executor on host beta-host.example");
  const auto& r = m.Add("Starting executor on host gamma.internal");
  EXPECT_EQ(r.template_text, "Starting executor on host <*>");
  ASSERT_EQ(r.parameters.size(), 1u);
  EXPECT_EQ(r.parameters[0], "gamma.internal");
}

TEST(TemplateMiner, FewRepeatedWordsSplitTemplates) {
  // States of an enumeration (few values, each repeated) stay constants: distinct events.
  TemplateMiner m = MakeMiner();
  std::vector<std::string> states = {"LOOKING", "FOLLOWING", "LEADING"};
  for (int i = 0; i < 30; ++i) {
    m.Add("Notification: " + std::to_string(i) + " (n.leader), state " + states[i % 3]);
  }
  std::string t0(m.Classify("Notification: 5 (n.leader), state LOOKING").template_text);
  std::string t1(m.Classify("Notification: 6 (n.leader), state FOLLOWING").template_text);
  EXPECT_EQ(t0, "Notification: <*> (n.leader), state LOOKING");
  EXPECT_EQ(t1, "Notification: <*> (n.leader), state FOLLOWING");
}

TEST(TemplateMiner, WordsThatNeverRepeatBecomeVariables) {
  TemplateMiner m = MakeMiner();
  for (const char* link : {"LNKA", "LNKB", "LNKC", "LNKD", "LNKE"}) {
    m.Add(std::string("PCI Interrupt Link [") + link + "] enabled");
  }
  EXPECT_EQ(m.Classify("PCI Interrupt Link [LNKF] enabled").template_text,
            "PCI Interrupt Link [<*>] enabled");
}

TEST(TemplateMiner, ParametersAreRawTokensAtVariablePositions) {
  TemplateMiner m = MakeMiner({}, {"blk_-?\\d+"});
  m.Add("Verification succeeded for blk_-100");
  const auto& r = m.Add("Verification succeeded for blk_200");
  EXPECT_EQ(r.template_text, "Verification succeeded for <*>");
  ASSERT_EQ(r.parameters.size(), 1u);
  EXPECT_EQ(r.parameters[0], "blk_200");
}

TEST(TemplateMiner, StateIsBoundedByEvictingLeastRecentlySeen) {
  MinerOptions options;
  options.max_clusters = 3;
  TemplateMiner m = MakeMiner(options);
  auto keep = m.Add("alpha event happened").cluster_id;
  for (const char* s : {"beta one", "gamma two three four", "delta", "epsilon x y z w v"}) {
    m.Add(s);
    m.Add("alpha event happened");  // keeps alpha recent
  }
  EXPECT_LE(m.cluster_count(), 3u);
  EXPECT_GE(m.evictions(), 1u);
  EXPECT_EQ(m.Add("alpha event happened").cluster_id, keep);
}

TEST(TemplateMiner, LongMessagesFoldTheirTail) {
  MinerOptions options;
  options.max_tokens = 4;
  TemplateMiner m = MakeMiner(options);
  const auto& r = m.Add("a b c d e f g");
  EXPECT_EQ(r.template_text, "a b c <*>");
  ASSERT_EQ(r.parameters.size(), 1u);
  EXPECT_EQ(r.parameters[0], "d e f g");
}

TEST(TemplateMiner, SaveRestoreRoundTrip) {
  TemplateMiner m = MakeMiner({}, {"core\\.\\d+"});
  for (int i = 0; i < 20; ++i) {
    m.Add("generating core." + std::to_string(i));
    m.Add("user u" + std::string(1, static_cast<char>('a' + i)) + " logged in from host" +
          std::to_string(i));
  }
  std::string saved = m.Save();
  auto restored = TemplateMiner::Restore(saved);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->cluster_count(), m.cluster_count());
  EXPECT_EQ(restored->Save(), saved);
  const auto& a = m.Classify("generating core.99");
  std::string ta(a.template_text);
  uint64_t ida = a.cluster_id;
  const auto& b = restored->Classify("generating core.99");
  EXPECT_EQ(b.template_text, ta);
  EXPECT_EQ(b.cluster_id, ida);
  EXPECT_EQ(ta, "generating core.<*>");
  // Learning continues after a restore.
  EXPECT_EQ(restored->Add("generating core.5").cluster_id, ida);
}

TEST(TemplateMiner, RestoreRejectsMalformedState) {
  EXPECT_FALSE(TemplateMiner::Restore("").ok());
  EXPECT_FALSE(TemplateMiner::Restore("{}").ok());
  EXPECT_FALSE(TemplateMiner::Restore("{\"format\":\"dai.logmine.v1\"}").ok());
  TemplateMiner m = MakeMiner();
  m.Add("x y z");
  std::string saved = m.Save();
  std::string broken = saved.substr(0, saved.size() / 2);
  EXPECT_FALSE(TemplateMiner::Restore(broken).ok());
}

TEST(TemplateMiner, GarbageInvalidUtf8AndHugeLinesDoNotCrash) {
  MinerOptions options;
  options.max_clusters = 64;
  TemplateMiner m = MakeMiner(options, {"\\d+"});
  std::string garbage;
  uint32_t x = 12345;
  for (int line = 0; line < 500; ++line) {
    garbage.clear();
    for (int i = 0; i < 200; ++i) {
      x = x * 1103515245u + 12345u;
      garbage.push_back(static_cast<char>(x >> 24));
    }
    m.Add(garbage);
  }
  m.Add("\xff\xfe\xc3\x28 invalid \xe2\x82 utf8");
  std::string huge(1 << 20, 'x');
  for (size_t i = 0; i < huge.size(); i += 7) huge[i] = ' ';
  const auto& r = m.Add(huge);
  EXPECT_LE(r.template_text.size(), 256u * 260u);
  EXPECT_LE(m.cluster_count(), 64u);
  EXPECT_FALSE(m.Save().empty());
  EXPECT_TRUE(TemplateMiner::Restore(m.Save()).ok());
}

TEST(TemplateMiner, EmptyMessage) {
  TemplateMiner m = MakeMiner();
  EXPECT_EQ(m.Add("").template_text, "");
  EXPECT_EQ(m.Add("   ").template_text, "");
}

TEST(TemplateMiner, RejectsBadOptions) {
  MinerOptions bad;
  bad.similarity = 0;
  EXPECT_FALSE(TemplateMiner::Create(bad).ok());
  EXPECT_FALSE(TemplateMiner::Create({}, {"(bad"}).ok());
}

}  // namespace
}  // namespace dai::logmine
