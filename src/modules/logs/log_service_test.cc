// LogService on SQLite and PostgreSQL: push and file sources, template counts, samples,
// restarts without loss or duplication, and the log anomaly signals reaching the Incident
// Commander (the real IncidentService over the same store).
#include "modules/logs/log_service.h"
#include "modules/logs/log_runtime.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "store/migrations.h"
#include "store/test_backends.h"

namespace dai::logs {
namespace {

using store::testing::Backend;
namespace fs = std::filesystem;

class LogServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string error;
    test_db_ = store::testing::TestDatabase::Create(GetParam(), &error);
    if (!test_db_) {
      if (GetParam() == Backend::kPostgres && !store::testing::InCi()) GTEST_SKIP() << error;
      FAIL() << error;
    }
    ASSERT_TRUE(store::Migrate(test_db_->db()).ok());
    clock_.SetMillis(ToUnixMillis(*ParseIso8601("2026-11-29T00:00:30Z")));
    incidents_ = std::make_unique<incidents::IncidentService>(
        test_db_->db(), clock_, incidents::IncidentServiceOptions{},
        [](const std::string&, const std::string&) {});
    dir_ = fs::temp_directory_path() /
           ("dai-logs-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    NewService();
  }
  void TearDown() override {
    if (svc_) svc_->Stop();
    svc_.reset();
    incidents_.reset();
    test_db_.reset();
    fs::remove_all(dir_);
  }
  void NewService() {
    if (svc_) svc_->Stop();
    LogServiceOptions options;
    options.run_readers = false;
    svc_ = std::make_unique<LogService>(test_db_->db(), clock_, incidents_.get(), options,
                                        [](const std::string&, const std::string&) {});
    ASSERT_TRUE(svc_->Start().ok());
  }
  Json Push(const std::string& source, const std::vector<std::string>& lines) {
    std::vector<LogService::PushLine> pl;
    for (const auto& l : lines) pl.push_back({0, l});
    auto r = svc_->Push(source, pl, true);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Json();
  }
  Json Templates(Json in = Json::object()) {
    auto r = svc_->ListTemplates(in);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Json();
  }
  int64_t TemplateTotal(const std::string& needle) {
    Json t = Templates({{"search", needle}, {"limit", 1000}});
    int64_t total = 0;
    for (const auto& i : t["items"]) total += i["total"].get<int64_t>();
    return total;
  }
  std::vector<std::string> IncidentAlertnames() {
    auto rows = test_db_->db().Query("SELECT labels FROM alerts ORDER BY id");
    EXPECT_TRUE(rows.ok());
    std::vector<std::string> out;
    for (const auto& r : rows->rows) {
      auto j = ParseJson(r.GetString(0));
      if (j.ok()) out.push_back(j->value("alertname", ""));
    }
    return out;
  }
  std::unique_ptr<store::testing::TestDatabase> test_db_;
  FakeClock clock_{0};
  std::unique_ptr<incidents::IncidentService> incidents_;
  std::unique_ptr<LogService> svc_;
  fs::path dir_;
};

TEST_P(LogServiceTest, PushMinesTemplatesCountsAndSamples) {
  std::vector<std::string> lines;
  for (int i = 0; i < 20; ++i) {
    lines.push_back("level=info msg=\"user " + std::to_string(i) + " logged in from 10.0.0." +
                    std::to_string(i) + "\"");
  }
  lines.push_back(R"({"level":"warn","msg":"cache miss ratio 0.42 above 0.3"})");
  lines.push_back(std::string("\x00\x01\x02\x03\xff\xfe\x80\x81", 8));  // binary
  Json r = Push("api", lines);
  EXPECT_EQ(r["accepted"], 21);
  EXPECT_EQ(r["rejected"], 1);
  Json t = Templates({{"sort", "count"}});
  ASSERT_EQ(t["total"], 2);
  EXPECT_EQ(t["items"][0]["template"], "user <*> logged in from <*>");
  EXPECT_EQ(t["items"][0]["total"], 20);
  EXPECT_EQ(t["items"][0]["windowCount"], 20);
  EXPECT_EQ(t["items"][0]["level"], "info");
  EXPECT_EQ(t["items"][0]["examples"].size(), 3u);
  EXPECT_EQ(t["items"][1]["level"], "warn");
  int64_t spark = 0;
  for (const auto& v : t["items"][0]["sparkline"]) spark += v.get<int64_t>();
  EXPECT_EQ(spark, 20);
  auto sources = svc_->ListSources();
  ASSERT_TRUE(sources.ok());
  ASSERT_EQ(sources->size(), 1u);
  EXPECT_EQ((*sources)[0]["linesTotal"], 21);
  EXPECT_EQ((*sources)[0]["rejectedTotal"], 1);
  EXPECT_EQ((*sources)[0]["rejectedReasons"]["binary"], 1);
  auto search = svc_->SearchLines({{"contains", "user 1 "}});
  ASSERT_TRUE(search.ok());
  ASSERT_EQ((*search)["total"], 1);
  EXPECT_EQ((*search)["items"][0]["template"], "user <*> logged in from <*>");
  auto one = svc_->GetTemplate(t["items"][0]["id"].get<int64_t>(), 10);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ((*one)["series"].back(), 20);
  // Pushing to a missing source without createSource is refused; a bad source name too.
  EXPECT_EQ(svc_->Push("nope", {{0, "x"}}, false).status().code(), StatusCode::kNotFound);
}

TEST_P(LogServiceTest, FileSourceFollowsRotationAndResumesAfterRestartWithoutDuplicates) {
  const std::string path = (dir_ / "app.log").string();
  auto created = svc_->CreateSource({{"name", "app"},
                                     {"kind", "file"},
                                     {"path", path},
                                     {"format", "<Date> <Time> <Level> <Content>"}});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto write = [&](const std::string& text, const std::string& p) {
    std::ofstream out(p, std::ios::app);
    out << text;
  };
  ASSERT_TRUE(svc_->PollOnce().ok());  // the file does not exist yet: waiting, not an error
  auto src = svc_->ListSources();
  ASSERT_TRUE(src.ok());
  EXPECT_NE((*src)[0]["lastError"].get<std::string>().find("does not exist"), std::string::npos);
  std::string batch;
  for (int i = 0; i < 10; ++i)
    batch += "2026-11-29 00:00:0" + std::to_string(i) + " INFO worker " + std::to_string(i) +
             " started\n";
  write(batch + "garbage\n2026-11-29 00:00:10 INFO worker 10 sta", path);
  ASSERT_TRUE(svc_->PollOnce().ok());
  EXPECT_EQ(TemplateTotal("worker"), 10);
  // Restart: the partial line is completed after the restart and counted once.
  NewService();
  write("rted\n", path);
  ASSERT_TRUE(svc_->PollOnce().ok());
  EXPECT_EQ(TemplateTotal("worker"), 11);
  // Rotation by rename, then copytruncate.
  write("2026-11-29 00:00:11 INFO worker 11 started\n", path);
  fs::rename(path, path + ".1");
  write("2026-11-29 00:00:12 INFO worker 12 started\n", path);
  ASSERT_TRUE(svc_->PollOnce().ok());
  EXPECT_EQ(TemplateTotal("worker"), 13);
  write("2026-11-29 00:00:12 INFO worker 12 stopped\n", path);
  ASSERT_TRUE(svc_->PollOnce().ok());
  fs::resize_file(path, 0);
  write("2026-11-29 00:00:13 INFO worker 13 started\n", path);
  ASSERT_TRUE(svc_->PollOnce().ok());
  EXPECT_EQ(TemplateTotal("worker"), 15);
  // Deleted while tailed: nothing breaks; a new file is followed.
  fs::remove(path);
  ASSERT_TRUE(svc_->PollOnce().ok());
  write("2026-11-29 00:00:14 ERROR worker 14 crashed\n", path);
  ASSERT_TRUE(svc_->PollOnce().ok());
  src = svc_->ListSources();
  ASSERT_TRUE(src.ok());
  EXPECT_EQ((*src)[0]["rejectedReasons"]["format_mismatch"], 1);
  EXPECT_EQ((*src)[0]["linesTotal"], 16);
  // The crash is a new error-level template: a signal reached the Incident Commander.
  auto names = IncidentAlertnames();
  EXPECT_NE(std::find(names.begin(), names.end(), "LogNewErrorTemplate"), names.end());
}

TEST_P(LogServiceTest, BadSourceDefinitionsAreRefusedWithTheField) {
  auto r = svc_->CreateSource({{"name", "x"}, {"kind", "file"}, {"path", "relative.log"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("path"), std::string::npos);
  r = svc_->CreateSource(
      {{"name", "x"}, {"kind", "file"}, {"path", "/tmp/x.log"}, {"format", "<Date> <Oops"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("format"), std::string::npos);
  r = svc_->CreateSource({{"name", "x"}, {"kind", "push"}, {"masks", {"(unclosed"}}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("masks"), std::string::npos);
  ASSERT_TRUE(
      svc_->CreateSource({{"name", "j"}, {"kind", "journald"}, {"units", {"nginx.service"}}}).ok());
  r = svc_->CreateSource({{"name", "j"}, {"kind", "push"}});
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
  EXPECT_EQ(svc_->Push("j", {{0, "x"}}, true).status().code(), StatusCode::kFailedPrecondition);
}

TEST_P(LogServiceTest, ErrorBurstRaisesASignalAndResolves) {
  // An hour of a few errors a minute, then a burst.
  for (int m = 0; m < 61; ++m) {
    Push("db", {"ERROR connection to replica 10.0.0.1 lost", "INFO checkpoint complete"});
    clock_.Advance(Millis(60'000));
  }
  auto quiet = svc_->Evaluate();
  ASSERT_TRUE(quiet.ok()) << quiet.status().ToString();
  EXPECT_TRUE((*quiet)["bursts"].empty());
  std::vector<std::string> burst;
  for (int i = 0; i < 40; ++i)
    burst.push_back("ERROR query " + std::to_string(i) + " failed: deadlock detected");
  Push("db", burst);
  clock_.Advance(Millis(60'000));
  auto r = svc_->Evaluate();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)["bursts"].size(), 1u) << r->dump();
  EXPECT_EQ((*r)["bursts"][0]["count"], 40);
  auto names = IncidentAlertnames();
  EXPECT_NE(std::find(names.begin(), names.end(), "LogErrorBurst"), names.end());
  auto signals = svc_->ListSignals({{"status", "firing"}});
  ASSERT_TRUE(signals.ok());
  bool found = false;
  for (const auto& s : (*signals)["items"]) {
    if (s["kind"] == "LogErrorBurst") {
      found = true;
      EXPECT_NE(s["details"]["examples"].get<std::string>().find("deadlock detected"),
                std::string::npos);
      EXPECT_NE(s["details"]["template"].get<std::string>().find("deadlock"), std::string::npos);
    }
  }
  EXPECT_TRUE(found);
  // The next minute is quiet again: resolved.
  Push("db", {"ERROR connection to replica 10.0.0.1 lost"});
  clock_.Advance(Millis(60'000));
  r = svc_->Evaluate();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)["bursts"].empty());
  auto rows = test_db_->db().Query("SELECT status FROM log_signals WHERE kind = 'LogErrorBurst'");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->rows.at(0).GetString(0), "resolved");
}

TEST_P(LogServiceTest, NoiseTemplatesRaiseNothingAndCriticalOnesAlways) {
  for (int m = 0; m < 61; ++m) {
    Push("svc", {"INFO tick"});
    clock_.Advance(Millis(60'000));
  }
  std::vector<std::string> burst(30, "ERROR flaky probe failed");
  Push("svc", burst);
  Json t = Templates({{"search", "flaky"}});
  ASSERT_EQ(t["items"].size(), 1u);
  const int64_t id = t["items"][0]["id"].get<int64_t>();
  ASSERT_TRUE(svc_->MarkTemplate(id, "noise").ok());
  clock_.Advance(Millis(60'000));
  auto r = svc_->Evaluate();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)["bursts"].empty()) << r->dump();
  Json tick = Templates({{"search", "tick"}});
  ASSERT_TRUE(svc_->MarkTemplate(tick["items"][0]["id"].get<int64_t>(), "critical").ok());
  Push("svc", {"INFO tick"});
  auto names = IncidentAlertnames();
  EXPECT_NE(std::find(names.begin(), names.end(), "LogCriticalTemplate"), names.end());
  EXPECT_EQ(svc_->MarkTemplate(999999, "noise").status().code(), StatusCode::kNotFound);
}

TEST_P(LogServiceTest, RateAnomalyFromTheAnomalyEngine) {
  for (int m = 0; m < 120; ++m) {
    std::vector<std::string> lines;
    for (int i = 0; i < 5 + (m % 3); ++i)
      lines.push_back("INFO request " + std::to_string(i) + " served in 12ms");
    Push("web", lines);
    clock_.Advance(Millis(60'000));
  }
  auto steady = svc_->Evaluate();
  ASSERT_TRUE(steady.ok()) << steady.status().ToString();
  EXPECT_TRUE((*steady)["rateAnomalies"].empty()) << steady->dump();
  std::vector<std::string> flood;
  for (int i = 0; i < 300; ++i)
    flood.push_back("INFO request " + std::to_string(i) + " served in 12ms");
  Push("web", flood);
  clock_.Advance(Millis(60'000));
  auto r = svc_->Evaluate();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)["rateAnomalies"].size(), 1u) << r->dump();
  auto names = IncidentAlertnames();
  EXPECT_NE(std::find(names.begin(), names.end(), "LogRateAnomaly"), names.end());
  // Ranked by change, the flooded template comes first.
  Json t = Templates({{"windowMinutes", 2}});
  EXPECT_NE(t["items"][0]["template"].get<std::string>().find("served"), std::string::npos);
}

TEST(TemplateCovers, MatchesInstancesOfAGeneralisedTemplate) {
  EXPECT_TRUE(TemplateCovers("worker <*> started", "worker 7 started"));
  EXPECT_TRUE(TemplateCovers("worker <*> started", "worker <*> started"));
  EXPECT_TRUE(TemplateCovers("block blk_<*> of <*>", "block blk_<*> of 10.0.0.1:50010"));
  EXPECT_TRUE(TemplateCovers("<*>", "anything-at-all"));
  EXPECT_FALSE(TemplateCovers("worker <*> started", "worker <*> crashed"));
  EXPECT_FALSE(TemplateCovers("worker <*> started", "worker <*> started now"));
  EXPECT_FALSE(TemplateCovers("a <*>b", "a xc"));
}

INSTANTIATE_TEST_SUITE_P(Backends, LogServiceTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         store::testing::BackendName);

}  // namespace
}  // namespace dai::logs
