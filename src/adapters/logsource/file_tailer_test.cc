#include "adapters/logsource/file_tailer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace dai::logsource {
namespace {

namespace fs = std::filesystem;

class FileTailerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("dai-tail-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "app.log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Append(const std::string& text, const std::string& path = "") {
    std::ofstream out(path.empty() ? path_ : path, std::ios::app | std::ios::binary);
    out << text;
  }
  std::vector<std::string> Poll(FileTailer& t, PollStats* stats = nullptr) {
    std::vector<std::string> lines;
    auto r = t.Poll([&](std::string_view l) { lines.emplace_back(l); });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (stats != nullptr && r.ok()) *stats = *r;
    return lines;
  }

  fs::path dir_;
  std::string path_;
};

using Lines = std::vector<std::string>;

TEST_F(FileTailerTest, FollowsAppendsAndHoldsPartialLines) {
  Append("one\ntw");
  FileTailer t(path_, {});
  EXPECT_EQ(Poll(t), (Lines{"one"}));
  EXPECT_EQ(t.position().offset, 4u);
  Append("o\nthree\n");
  EXPECT_EQ(Poll(t), (Lines{"two", "three"}));
  EXPECT_EQ(Poll(t), Lines{});
}

TEST_F(FileTailerTest, RenameRotationReadsTheOldFileToItsEndThenTheNewOne) {
  Append("a1\na2\n");
  FileTailer t(path_, {});
  EXPECT_EQ(Poll(t), (Lines{"a1", "a2"}));
  Append("a3\na4-unterminated");
  fs::rename(path_, path_ + ".1");
  Append("b1\n");
  PollStats stats;
  EXPECT_EQ(Poll(t, &stats), (Lines{"a3", "a4-unterminated", "b1"}));
  EXPECT_EQ(stats.rotations, 1);
  Append("b2\n");
  EXPECT_EQ(Poll(t), (Lines{"b2"}));
}

TEST_F(FileTailerTest, CopyTruncateStartsOverAtZero) {
  Append("a1\na2\na3\n");
  FileTailer t(path_, {});
  EXPECT_EQ(Poll(t).size(), 3u);
  fs::resize_file(path_, 0);
  Append("b1\n");
  PollStats stats;
  EXPECT_EQ(Poll(t, &stats), (Lines{"b1"}));
  EXPECT_EQ(stats.truncations, 1);
}

TEST_F(FileTailerTest, DeletedFileIsDrainedAndTheNewOneFollowed) {
  Append("a1\n");
  FileTailer t(path_, {});
  EXPECT_EQ(Poll(t), (Lines{"a1"}));
  {
    std::ofstream out(path_, std::ios::app);
    out << "a2\n";
    out.flush();
    fs::remove(path_);
  }
  PollStats stats;
  EXPECT_EQ(Poll(t, &stats), (Lines{"a2"}));
  EXPECT_TRUE(stats.missing);
  EXPECT_EQ(Poll(t, &stats), Lines{});
  EXPECT_TRUE(stats.missing);
  Append("c1\n");
  EXPECT_EQ(Poll(t), (Lines{"c1"}));
}

TEST_F(FileTailerTest, MissingAtStartIsNotAnErrorAndAppearsLater) {
  FileTailer t(path_, {});
  PollStats stats;
  EXPECT_EQ(Poll(t, &stats), Lines{});
  EXPECT_TRUE(stats.missing);
  Append("x\n");
  EXPECT_EQ(Poll(t), (Lines{"x"}));
}

TEST_F(FileTailerTest, ResumesFromASavedPositionWithoutLossOrDuplication) {
  Append("l1\nl2\nl3-part");
  TailPosition saved;
  {
    FileTailer t(path_, {});
    EXPECT_EQ(Poll(t), (Lines{"l1", "l2"}));
    saved = t.position();
  }
  Append("ial\nl4\n");
  FileTailer t2(path_, saved);
  EXPECT_EQ(Poll(t2), (Lines{"l3-partial", "l4"}));
}

TEST_F(FileTailerTest, ResumeAfterRotationWhileDownFinishesTheRotatedFile) {
  Append("l1\nl2\n");
  TailPosition saved;
  {
    FileTailer t(path_, {});
    Poll(t);
    saved = t.position();
  }
  Append("l3\n");
  fs::rename(path_, path_ + ".1");
  Append("n1\n");
  FileTailer t2(path_, saved);
  PollStats stats;
  EXPECT_EQ(Poll(t2, &stats), (Lines{"l3", "n1"}));
  EXPECT_EQ(stats.rotations, 1);
}

TEST_F(FileTailerTest, ResumeOnAShrunkFileStartsAtZero) {
  Append("l1\nl2\n");
  TailPosition saved;
  {
    FileTailer t(path_, {});
    Poll(t);
    saved = t.position();
  }
  fs::resize_file(path_, 0);
  Append("m\n");
  FileTailer t2(path_, saved);
  EXPECT_EQ(Poll(t2), (Lines{"m"}));
}

TEST_F(FileTailerTest, BoundedReadsAndOverLongLines) {
  TailOptions options;
  options.max_read_bytes = 1024;
  options.max_line_bytes = 100;
  std::string text;
  for (int i = 0; i < 100; ++i) text += "line " + std::to_string(i) + "\n";
  text += std::string(5000, 'x') + "\nlast\n";
  Append(text);
  FileTailer t(path_, {}, options);
  Lines all;
  for (int i = 0; i < 20; ++i) {
    for (auto& l : Poll(t)) all.push_back(l);
  }
  ASSERT_EQ(all.size(), 101u);
  EXPECT_EQ(all.front(), "line 0");
  EXPECT_EQ(all.back(), "last");
  EXPECT_EQ(t.rejected_long(), 1u);
}

TEST_F(FileTailerTest, ADirectoryIsAClearError) {
  FileTailer t(dir_.string(), {});
  auto r = t.Poll([](std::string_view) {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace dai::logsource
