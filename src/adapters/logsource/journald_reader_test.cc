// JournaldReader against a stand-in `journalctl`: no systemd-journald runs on the build machine,
// so a small script prints what `journalctl -o json --follow` prints (one JSON object per line
// with MESSAGE, PRIORITY, _SYSTEMD_UNIT and __CURSOR, the format of systemd's JSON export) and
// records the argv it was given, which is what the reader controls.
#include "adapters/logsource/journald_reader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace dai::logsource {
namespace {

namespace fs = std::filesystem;

TEST(DecodeJournalLine, ReadsMessagePriorityUnitAndCursor) {
  auto e = DecodeJournalLine(
      R"({"__CURSOR":"s=1;i=2","MESSAGE":"Started nginx","PRIORITY":"6","_SYSTEMD_UNIT":"nginx.service"})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->message, "Started nginx");
  EXPECT_EQ(e->priority, 6);
  EXPECT_EQ(e->unit, "nginx.service");
  EXPECT_EQ(e->cursor, "s=1;i=2");
  auto bytes = DecodeJournalLine(R"({"MESSAGE":[104,105,255],"SYSLOG_IDENTIFIER":"x"})");
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->message, "hi\xFF");
  EXPECT_FALSE(DecodeJournalLine("not json").ok());
  EXPECT_FALSE(DecodeJournalLine(R"({"PRIORITY":"3"})").ok());
  EXPECT_FALSE(DecodeJournalLine(R"({"MESSAGE":[1000]})").ok());
}

TEST(JournaldReader, RunsJournalctlByArgvResumesAfterTheCursorAndRestarts) {
  const fs::path dir = fs::temp_directory_path() / ("dai-journal-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path script = dir / "journalctl";
  const fs::path argv_log = dir / "argv.log";
  {
    std::ofstream out(script);
    out << "#!/bin/sh\n"
        << "echo \"$@\" >> '" << argv_log.string() << "'\n"
        << "echo '{\"__CURSOR\":\"c1\",\"MESSAGE\":\"disk sda "
           "failed\",\"PRIORITY\":\"3\",\"_SYSTEMD_UNIT\":\"smartd.service\"}'\n"
        << "echo 'garbage line'\n"
        << "echo '{\"__CURSOR\":\"c2\",\"MESSAGE\":\"ok\",\"PRIORITY\":\"6\"}'\n"
        << "exit 0\n";
  }
  ::chmod(script.c_str(), 0755);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<JournalEntry> got;
  std::vector<std::string> errors;
  JournaldOptions options;
  options.journalctl = script.string();
  options.restart_delay = std::chrono::milliseconds(100);
  options.extra_args = {"--unit", "smartd.service; rm -rf /"};
  JournaldReader reader(
      options, "",
      [&](std::vector<JournalEntry>& batch) {
        std::lock_guard<std::mutex> lock(mu);
        for (auto& e : batch) got.push_back(e);
        cv.notify_all();
      },
      [&](const std::string& error) {
        std::lock_guard<std::mutex> lock(mu);
        errors.push_back(error);
      });
  EXPECT_EQ(reader.Argv()[0], script.string());
  reader.Start();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return got.size() >= 4; }));
  }
  reader.Stop();
  ASSERT_GE(got.size(), 4u);
  EXPECT_EQ(got[0].message, "disk sda failed");
  EXPECT_EQ(got[0].priority, 3);
  EXPECT_EQ(got[1].cursor, "c2");
  EXPECT_GE(reader.rejected(), 1u);
  EXPECT_FALSE(errors.empty());
  std::ifstream in(argv_log);
  std::string first, second;
  std::getline(in, first);
  std::getline(in, second);
  // First run starts at the end; the restart resumes after the last cursor handed out. The
  // extra argument arrives as one argv element, unparsed by any shell.
  EXPECT_EQ(first, "-o json --follow --no-pager -n 0 --unit smartd.service; rm -rf /");
  EXPECT_EQ(second,
            "-o json --follow --no-pager --after-cursor=c2 --unit smartd.service; rm -rf /");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dai::logsource
