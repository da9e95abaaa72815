#include "engines/postmortem/postmortem.h"

#include <gtest/gtest.h>

namespace dai::postmortem {
namespace {

TimePoint T(int64_t s) { return FromUnixMillis(1'700'000'000'000 + s * 1000); }

IncidentFacts Facts() {
  IncidentFacts f;
  f.id = 7;
  f.title = "API latency | high";
  f.severity = "critical";
  f.status = "resolved";
  f.affected_services = {"api"};
  f.detected_at = T(60);
  f.acknowledged_at = T(60 + 120);
  f.acknowledged_by = "alice";
  f.resolved_at = T(60 + 3600 + 240);
  f.root_cause = "A bad deploy of db";
  f.causes = {{"db", 0.91, {"db_latency anomalous first at 12:00 (score 0.97)"}}};
  f.timeline = {{T(60), "alert_attached", "alertmanager", true, "Opened: new group"},
                {T(180), "acknowledge", "alice", false, "Acknowledged"},
                {T(3900), "resolve", "alice", false, "Resolved: rolled back"}};
  f.alerts = {{"HighLatency", "critical", "api", T(0), T(3800), 3}};
  f.executions = {{"restart-api", "failed", false, "alice", T(200), T(260), "exit code 1"}};
  return f;
}

TEST(PostMortem, HasEverySectionAndTheFigures) {
  const std::string md = Render(Facts(), T(10000));
  for (const char* section :
       {"## Summary", "## Impact", "## Timeline", "## Root cause", "## What was done",
        "## What went well", "## What went poorly", "## Action items"}) {
    EXPECT_NE(md.find(section), std::string::npos) << section;
  }
  EXPECT_NE(md.find("| MTTA (time to acknowledge) | 2m 0s |"), std::string::npos) << md;
  EXPECT_NE(md.find("| MTTR (time to resolve) | 1h 4m |"), std::string::npos) << md;
  EXPECT_NE(md.find("| Time to detect | 1m 0s |"), std::string::npos) << md;
  EXPECT_NE(md.find("API latency \\| high"), std::string::npos);  // table-safe title
  EXPECT_NE(md.find("**db** (score 0.91)"), std::string::npos);
  EXPECT_NE(md.find("Runbook **restart-api**: failed"), std::string::npos);
  EXPECT_NE(md.find("- [ ] Fix runbook \"restart-api\", which failed: exit code 1."),
            std::string::npos);
  EXPECT_NE(md.find("Acknowledged after 2m 0s (target: 5m)."), std::string::npos);
  EXPECT_NE(md.find("Resolved after 1h 4m (target: 1h)."), std::string::npos);
  // Resolved after more than an hour: that went poorly, not well.
  EXPECT_LT(md.find("## What went poorly"), md.find("Resolved after 1h 4m"));
}

TEST(PostMortem, OpenIncidentWithoutAcknowledgement) {
  IncidentFacts f = Facts();
  f.resolved_at.reset();
  f.acknowledged_at.reset();
  f.executions.clear();
  f.root_cause.clear();
  f.causes.clear();
  f.flapping = true;
  f.reopen_count = 2;
  const std::string md = Render(f, T(660));
  EXPECT_NE(md.find("is not resolved yet (open for 10m 0s)"), std::string::npos) << md;
  EXPECT_NE(md.find("| Acknowledged | never |"), std::string::npos);
  EXPECT_EQ(md.find("MTTR"), std::string::npos);
  EXPECT_NE(md.find("_Not determined yet._"), std::string::npos);
  EXPECT_NE(md.find("Write a runbook"), std::string::npos);
  EXPECT_NE(md.find("flapped"), std::string::npos);
  EXPECT_NE(md.find("Nobody acknowledged"), std::string::npos);
}

TEST(PostMortem, NewlinesInValuesCannotBreakTheTable) {
  IncidentFacts f = Facts();
  f.timeline[0].description = "line1\n## Injected heading\n| x |";
  const std::string md = Render(f, T(10000));
  EXPECT_EQ(md.find("\n## Injected heading"), std::string::npos);
}

TEST(PostMortem, Durations) {
  EXPECT_EQ(FormatDuration(Millis(40'000)), "40s");
  EXPECT_EQ(FormatDuration(Millis(725'000)), "12m 5s");
  EXPECT_EQ(FormatDuration(Millis(3'840'000)), "1h 4m");
  EXPECT_EQ(FormatDuration(Millis(90'000'000)), "1d 1h 0m");
  EXPECT_EQ(FormatDuration(Millis(-5)), "0s");
}

}  // namespace
}  // namespace dai::postmortem
