#include "engines/incidents/correlator.h"

#include <gtest/gtest.h>

namespace dai::incidents {
namespace {

const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);

alerts::Alert Make(std::map<std::string, std::string> labels, bool firing = true) {
  alerts::Alert a;
  a.labels = std::move(labels);
  a.status = firing ? alerts::AlertStatus::kFiring : alerts::AlertStatus::kResolved;
  a.fingerprint = alerts::LabelFingerprint(a.labels);
  a.starts_at = kT0;
  return a;
}

IncidentView Open(int64_t id, std::map<std::string, std::string> group, std::set<std::string> firing,
                  TimePoint last = kT0, std::string severity = "medium") {
  IncidentView v;
  v.id = id;
  v.status = "detected";
  v.severity = std::move(severity);
  v.group_labels = std::move(group);
  v.firing_fingerprints = firing;
  v.all_fingerprints = firing;
  v.opened_at = last;
  v.last_signal_at = last;
  return v;
}

CorrelatorConfig Config() { return CorrelatorConfig{}; }

TEST(CorrelatorTest, OpensThenGroupsThenDeduplicates) {
  auto a = Make({{"alertname", "HighLatency"}, {"service", "api"}, {"severity", "warning"}});
  Decision d = Correlate(a, {}, {}, kT0, Config());
  EXPECT_EQ(d.action, Action::kOpen);
  EXPECT_EQ(d.group_labels, (std::map<std::string, std::string>{{"service", "api"}}));
  EXPECT_EQ(d.severity, "medium");

  std::vector<IncidentView> incs = {Open(1, {{"service", "api"}}, {a.fingerprint})};
  auto b = Make({{"alertname", "ErrorRate"}, {"service", "api"}, {"severity", "critical"}});
  d = Correlate(b, incs, {a}, kT0 + Millis(60'000), Config());
  EXPECT_EQ(d.action, Action::kAttach);
  EXPECT_EQ(d.incident_id, 1);
  EXPECT_EQ(d.severity, "critical");  // worst member

  d = Correlate(a, incs, {a}, kT0 + Millis(120'000), Config());
  EXPECT_EQ(d.action, Action::kRefresh);
}

TEST(CorrelatorTest, OutsideWindowOpensNew) {
  auto a = Make({{"alertname", "X"}, {"service", "api"}});
  std::vector<IncidentView> incs = {Open(1, {{"service", "api"}}, {"other"}, kT0)};
  Decision d = Correlate(a, incs, {}, kT0 + Millis(11 * 60 * 1000), Config());
  EXPECT_EQ(d.action, Action::kOpen);
}

TEST(CorrelatorTest, DifferentGroupsStayApart) {
  auto a = Make({{"alertname", "X"}, {"service", "billing"}});
  std::vector<IncidentView> incs = {Open(1, {{"service", "api"}}, {"f"}, kT0)};
  EXPECT_EQ(Correlate(a, incs, {}, kT0, Config()).action, Action::kOpen);
}

TEST(CorrelatorTest, ServiceGraphNeighboursJoin) {
  CorrelatorConfig c = Config();
  c.service_graph["db"] = {"api"};
  auto a = Make({{"alertname", "SlowQueries"}, {"service", "db"}});
  std::vector<IncidentView> incs = {Open(7, {{"service", "api"}}, {"f"}, kT0)};
  Decision d = Correlate(a, incs, {}, kT0 + Millis(1000), c);
  EXPECT_EQ(d.action, Action::kAttach);
  EXPECT_EQ(d.incident_id, 7);
  EXPECT_NE(d.reason.find("service graph"), std::string::npos);
}

TEST(CorrelatorTest, MemberResolutionAndLastMember) {
  auto a = Make({{"alertname", "A"}, {"service", "api"}});
  auto b = Make({{"alertname", "B"}, {"service", "api"}});
  std::vector<IncidentView> incs = {Open(1, {{"service", "api"}}, {a.fingerprint, b.fingerprint})};
  auto ra = a;
  ra.status = alerts::AlertStatus::kResolved;
  Decision d = Correlate(ra, incs, {}, kT0, Config());
  EXPECT_EQ(d.action, Action::kMemberResolved);
  EXPECT_FALSE(d.all_members_resolved);
  incs[0].firing_fingerprints.erase(a.fingerprint);
  auto rb = b;
  rb.status = alerts::AlertStatus::kResolved;
  d = Correlate(rb, incs, {}, kT0, Config());
  EXPECT_TRUE(d.all_members_resolved);
  // A second resolution of the same alert is ignored.
  incs[0].firing_fingerprints.clear();
  EXPECT_EQ(Correlate(rb, incs, {}, kT0, Config()).action, Action::kIgnored);
  // A resolution nobody tracks is ignored.
  auto stray = Make({{"alertname", "Z"}}, false);
  EXPECT_EQ(Correlate(stray, {}, {}, kT0, Config()).action, Action::kIgnored);
}

TEST(CorrelatorTest, FlappingIsHeldInOneIncident) {
  auto a = Make({{"alertname", "A"}, {"service", "api"}});
  IncidentView inc = Open(3, {{"service", "api"}}, {});
  inc.all_fingerprints = {a.fingerprint};
  inc.status = "resolved";
  inc.resolved_at = kT0;
  Decision d = Correlate(a, {inc}, {}, kT0 + Millis(5 * 60 * 1000), Config());
  EXPECT_EQ(d.action, Action::kReopen);
  EXPECT_EQ(d.incident_id, 3);
  EXPECT_FALSE(d.flapping);
  inc.reopen_count = 1;
  d = Correlate(a, {inc}, {}, kT0 + Millis(5 * 60 * 1000), Config());
  EXPECT_TRUE(d.flapping);
  // Long after resolution, a new incident opens.
  d = Correlate(a, {inc}, {}, kT0 + Millis(2 * 3600 * 1000), Config());
  EXPECT_EQ(d.action, Action::kOpen);
}

TEST(CorrelatorTest, CriticalInhibitsWarningsOfSameService) {
  auto crit = Make({{"alertname", "Down"}, {"service", "api"}, {"severity", "critical"}});
  auto warn = Make({{"alertname", "Slow"}, {"service", "api"}, {"severity", "warning"}});
  auto other = Make({{"alertname", "Slow"}, {"service", "web"}, {"severity", "warning"}});
  Decision d = Correlate(warn, {}, {crit}, kT0, Config());
  EXPECT_EQ(d.action, Action::kInhibited);
  EXPECT_EQ(d.inhibited_by, crit.fingerprint);
  EXPECT_EQ(Correlate(other, {}, {crit}, kT0, Config()).action, Action::kOpen);
  // Resolved critical no longer inhibits.
  crit.status = alerts::AlertStatus::kResolved;
  EXPECT_EQ(Correlate(warn, {}, {crit}, kT0, Config()).action, Action::kOpen);
  // Alerts without any scoping label are never inhibited.
  auto bare_crit = Make({{"alertname", "Down"}, {"severity", "critical"}});
  auto bare_warn = Make({{"alertname", "Slow"}, {"severity", "warning"}});
  EXPECT_EQ(Correlate(bare_warn, {}, {bare_crit}, kT0, Config()).action, Action::kOpen);
}

TEST(CorrelatorTest, GroupLabelsFallBackToAlertname) {
  auto a = Make({{"alertname", "DiskFull"}, {"instance", "h1"}});
  EXPECT_EQ(GroupLabels(a, Config()), (std::map<std::string, std::string>{{"alertname", "DiskFull"}}));
}

}  // namespace
}  // namespace dai::incidents

namespace dai::incidents {
namespace {

TEST(CorrelatorTest, MembersAreNotInhibitedFromTheirOwnIncident) {
  auto warn = Make({{"alertname", "Slow"}, {"service", "api"}, {"severity", "warning"}});
  auto crit = Make({{"alertname", "Down"}, {"service", "api"}, {"severity", "critical"}});
  std::vector<IncidentView> incs = {Open(1, {{"service", "api"}}, {warn.fingerprint, crit.fingerprint})};
  EXPECT_EQ(Correlate(warn, incs, {crit}, kT0, Config()).action, Action::kRefresh);
}

}  // namespace
}  // namespace dai::incidents
