#include "modules/security/security_service.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "adapters/inventory/image_inventory.h"
#include "store/migrations.h"
#include "store/test_backends.h"

namespace dai::security {
namespace {

namespace fs = std::filesystem;
using store::testing::Backend;

// A real advisory shape (GHSA-gxpj-cx7g-858c, debug < 2.6.9), trimmed to what matching uses.
constexpr const char* kDebugAdvisory = R"({
  "id": "GHSA-gxpj-cx7g-858c", "modified": "2023-01-09T05:02:44Z",
  "aliases": ["CVE-2017-16137"], "summary": "Regular Expression Denial of Service in debug",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"}],
  "affected": [{"package": {"ecosystem": "npm", "name": "debug"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.6.9"}]},
               {"type": "ECOSYSTEM", "events": [{"introduced": "3.0.0"}, {"fixed": "3.1.0"}]}]}]})";

constexpr const char* kLock = R"({"lockfileVersion": 3, "packages": {
  "": {"dependencies": {"debug": "2.5.2"}},
  "node_modules/debug": {"version": "2.5.2", "dependencies": {"ms": "0.7.2"}},
  "node_modules/ms": {"version": "0.7.2"}}})";

void WriteFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// Writes a tar (optionally gzip) of name -> content entries; a null content writes a symlink
// to "/etc/shadow".
std::string TarBytes(const std::vector<std::pair<std::string, const char*>>& entries, bool gzip) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(
      a, &out, nullptr,
      [](archive*, void* client, const void* buf, size_t n) -> la_ssize_t {
        static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const auto& [name, content] : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    if (content) {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_size(e, static_cast<la_int64_t>(strlen(content)));
      archive_write_header(a, e);
      archive_write_data(a, content, strlen(content));
    } else {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, "/etc/shadow");
      archive_write_header(a, e);
    }
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

class SecurityServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string error;
    tdb_ = store::testing::TestDatabase::Create(GetParam(), &error);
    if (!tdb_) GTEST_SKIP() << error;
    ASSERT_TRUE(store::Migrate(tdb_->db()).ok());
    dir_ = fs::temp_directory_path() / ("dai-security-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(GetParam() == Backend::kSqlite));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    svc_ = std::make_unique<SecurityService>(
        tdb_->db(), clock_, SecurityServiceOptions{},
        [this](const std::string& t, const std::string&) { events_.push_back(t); });
    auto n = svc_->ImportAdvisories(kDebugAdvisory, "test");
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    ASSERT_EQ(*n, 1);
  }
  void TearDown() override {
    svc_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  int64_t ScanNow(const fs::path& target) {
    auto scan = svc_->StartScan("container", target.string(), "alice", nullptr);
    EXPECT_TRUE(scan.ok()) << scan.status().ToString();
    if (!scan.ok()) return 0;
    const int64_t id = (*scan)["id"].get<int64_t>();
    EXPECT_EQ((*scan)["status"], "pending");
    Status st = svc_->RunScan(id);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return id;
  }

  std::unique_ptr<store::testing::TestDatabase> tdb_;
  fs::path dir_;
  FakeClock clock_{1'700'000'000'000};
  std::unique_ptr<SecurityService> svc_;
  std::vector<std::string> events_;
};

TEST(OsvRefreshDueTest, DueOnlyWithAScheduleAndAnOldEnoughLastRefresh) {
  const TimePoint now = TimePoint(std::chrono::hours(1000));
  EXPECT_FALSE(OsvRefreshDue(std::nullopt, 0, now)) << "no schedule: never";
  EXPECT_FALSE(OsvRefreshDue(now - std::chrono::hours(5000), 0, now));
  EXPECT_TRUE(OsvRefreshDue(std::nullopt, 24, now)) << "never refreshed: at once";
  EXPECT_FALSE(OsvRefreshDue(now - std::chrono::hours(23), 24, now));
  EXPECT_TRUE(OsvRefreshDue(now - std::chrono::hours(24), 24, now));
  EXPECT_TRUE(OsvRefreshDue(now - std::chrono::hours(300), 24, now));
  EXPECT_TRUE(OsvRefreshDue(now + std::chrono::hours(2), 24, now)) << "a last refresh in the future";
  EXPECT_FALSE(OsvRefreshDue(now, -3, now));
}

TEST_P(SecurityServiceTest, RepositoryScanFindsTheAdvisoryWithPatchAssessment) {
  WriteFile(dir_ / "repo" / "package-lock.json", kLock);
  const int64_t id = ScanNow(dir_ / "repo");
  auto scan = svc_->GetScan(id, true);
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ((*scan)["status"], "completed");
  EXPECT_EQ((*scan)["mediumCount"], 1);  // CVSS:3.1 .../A:L scores 5.3: MEDIUM
  auto vulns = svc_->ListVulnerabilities(Json{{"scanId", id}});
  ASSERT_TRUE(vulns.ok()) << vulns.status().ToString();
  ASSERT_EQ((*vulns)["total"], 1);
  const Json& v = (*vulns)["items"][0];
  EXPECT_EQ(v["vulnId"], "GHSA-gxpj-cx7g-858c");
  EXPECT_EQ(v["aliases"], Json::array({"CVE-2017-16137"}));
  EXPECT_EQ(v["packageName"], "debug");
  EXPECT_EQ(v["packageVersion"], "2.5.2");
  EXPECT_EQ(v["fixedVersion"], "2.6.9");
  EXPECT_EQ(v["location"], "package-lock.json");
  EXPECT_EQ(v["details"]["patch"]["distance"], "minor");
  EXPECT_EQ(v["details"]["relationship"], "direct");
  EXPECT_EQ((*scan)["report"]["targetKind"], "repository");
  EXPECT_EQ((*scan)["report"]["packages"], 2);
  EXPECT_EQ((*scan)["report"]["database"]["advisories"], 1);
  auto cdx = svc_->GetSbom(id, "cyclonedx");
  ASSERT_TRUE(cdx.ok());
  EXPECT_EQ((*cdx)["specVersion"], "1.5");
  EXPECT_EQ((*cdx)["components"].size(), 2u);
  auto spdx = svc_->GetSbom(id, "spdx");
  ASSERT_TRUE(spdx.ok());
  EXPECT_EQ((*spdx)["packages"].size(), 2u);
  EXPECT_NE(std::find(events_.begin(), events_.end(), "security.scan"), events_.end());
}

TEST_P(SecurityServiceTest, ApplyPatchPreviewsTheManifestChange) {
  const char* flask = R"({"id": "GHSA-m2qf-hxjv-5gpq", "summary": "Flask session cookie disclosure",
    "affected": [{"package": {"ecosystem": "PyPI", "name": "flask"},
      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.5"}]}]}]})";
  ASSERT_TRUE(svc_->ImportAdvisories(flask, "test").ok());
  WriteFile(dir_ / "py" / "requirements.txt", "Flask==2.0.0\nclick==8.0.0\n");
  WriteFile(dir_ / "py" / "package-lock.json", kLock);
  const int64_t id = ScanNow(dir_ / "py");
  auto vulns = svc_->ListVulnerabilities(Json{{"scanId", id}});
  ASSERT_TRUE(vulns.ok());
  int64_t flask_id = 0, debug_id = 0;
  for (const auto& v : (*vulns)["items"]) {
    if (v["packageName"] == "Flask") flask_id = v["id"];
    if (v["packageName"] == "debug") debug_id = v["id"];
  }
  ASSERT_GT(flask_id, 0);
  ASSERT_GT(debug_id, 0);
  auto p = svc_->ApplyPatch(flask_id, true);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)["toVersion"], "2.2.5");
  EXPECT_NE((*p)["diff"].get<std::string>().find("+Flask==2.2.5"), std::string::npos);
  EXPECT_EQ((*p)["applied"], false);
  auto npm = svc_->ApplyPatch(debug_id, true);
  ASSERT_TRUE(npm.ok()) << npm.status().ToString();
  EXPECT_TRUE((*npm)["diff"].is_null());
  EXPECT_EQ((*npm)["command"], "npm install 'debug@2.6.9'");
  // The working tree is never edited: the file is unchanged, and writing is refused.
  EXPECT_EQ(svc_->ApplyPatch(flask_id, false).status().code(), StatusCode::kFailedPrecondition);
  std::ifstream in(dir_ / "py" / "requirements.txt");
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "Flask==2.0.0");
  EXPECT_EQ(svc_->ApplyPatch(999999, true).status().code(), StatusCode::kNotFound);
}

TEST_P(SecurityServiceTest, FindingsCarryTheirDependencyPath) {
  const char* ms = R"({"id": "GHSA-w9mr-4mfr-499f", "summary": "ms ReDoS",
    "affected": [{"package": {"ecosystem": "npm", "name": "ms"},
      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]}]}]})";
  ASSERT_TRUE(svc_->ImportAdvisories(ms, "test").ok());
  WriteFile(dir_ / "repo" / "package-lock.json", kLock);
  const int64_t id = ScanNow(dir_ / "repo");
  auto vulns = svc_->ListVulnerabilities(Json{{"scanId", id}});
  ASSERT_TRUE(vulns.ok());
  ASSERT_EQ((*vulns)["total"], 2);
  for (const auto& v : (*vulns)["items"]) {
    if (v["packageName"] == "ms")
      EXPECT_EQ(v["details"]["dependencyPath"], Json::array({"debug@2.5.2", "ms@0.7.2"}));
    else
      EXPECT_EQ(v["details"]["dependencyPath"], Json::array({"debug@2.5.2"}));
  }
}

TEST_P(SecurityServiceTest, PoliciesIgnoreFindingsAndDecideTheVerdict) {
  WriteFile(dir_ / "repo" / "package-lock.json", kLock);
  // No policy: no verdict.
  auto none = svc_->GetScan(ScanNow(dir_ / "repo"), true);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE((*none)["report"]["policy"]["verdict"].is_null());
  auto ci = svc_->CreatePolicy(Json{{"name", "ci"}, {"block", {{"severity", "medium"}}}});
  ASSERT_TRUE(ci.ok()) << ci.status().ToString();
  EXPECT_EQ((*ci)["enforcement"], "block");
  EXPECT_EQ(svc_->CreatePolicy(Json{{"name", "ci"}}).status().code(), StatusCode::kConflict);
  auto bad = svc_->CreatePolicy(
      Json{{"name", "x"},
           {"ignore", Json::array({{{"id", "A"}, {"reason", "r"}, {"expires", "soon"}}})}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("input.ignore[0].expires"), std::string::npos);
  auto blocked = svc_->GetScan(ScanNow(dir_ / "repo"), true);
  ASSERT_TRUE(blocked.ok());
  EXPECT_EQ((*blocked)["report"]["policy"]["verdict"], "block");

  // The clock is 2023-11-14: a waiver until 2023-12-31 applies, one that ended 2023-11-01 not.
  const int64_t pid = (*ci)["id"].get<int64_t>();
  auto upd = svc_->UpdatePolicy(
      Json{{"id", pid},
           {"ignore",
            Json::array({{{"id", "CVE-2017-16137"},
                          {"reason", "regex input is not user controlled"},
                          {"expires", "2023-12-31"}},
                         {{"package", "debug"}, {"reason", "old"}, {"expires", "2023-11-01"}}})}});
  ASSERT_TRUE(upd.ok()) << upd.status().ToString();
  EXPECT_EQ((*upd)["block"]["severity"], "medium") << "fields left out keep their value";
  const int64_t id = ScanNow(dir_ / "repo");
  auto scan = svc_->GetScan(id, true);
  ASSERT_TRUE(scan.ok());
  const Json& pol = (*scan)["report"]["policy"];
  EXPECT_EQ(pol["verdict"], "pass");
  ASSERT_EQ(pol["policies"].size(), 1u);
  EXPECT_EQ(pol["policies"][0]["ignored"], 1);
  ASSERT_EQ(pol["policies"][0]["expiredRules"].size(), 1u);
  EXPECT_NE(pol["policies"][0]["expiredRules"][0].get<std::string>().find("expired on 2023-11-01"),
            std::string::npos);
  auto vulns = svc_->ListVulnerabilities(Json{{"scanId", id}});
  ASSERT_TRUE(vulns.ok());
  const Json& v = (*vulns)["items"][0];
  EXPECT_EQ(v["status"], "ignored");
  EXPECT_EQ(v["details"]["ignoredBy"]["policy"], "ci");
  EXPECT_EQ(v["details"]["ignoredBy"]["reason"], "regex input is not user controlled");

  // Disabled: not applied. Deleted: gone.
  ASSERT_TRUE(svc_->UpdatePolicy(Json{{"id", pid}, {"enabled", false}}).ok());
  auto off = svc_->GetScan(ScanNow(dir_ / "repo"), true);
  EXPECT_TRUE((*off)["report"]["policy"]["verdict"].is_null());
  auto list = svc_->ListPolicies();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)["items"].size(), 1u);
  EXPECT_EQ((*list)["items"][0]["enabled"], false);
  ASSERT_TRUE(svc_->DeletePolicy(pid).ok());
  EXPECT_EQ(svc_->DeletePolicy(pid).status().code(), StatusCode::kNotFound);
}

TEST_P(SecurityServiceTest, BadTargetsAndOtherScanTypes) {
  EXPECT_EQ(svc_->StartScan("container", "relative/path", "a", nullptr).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(svc_->StartScan("container", (dir_ / "missing").string(), "a", nullptr).status().code(),
            StatusCode::kInvalidArgument);
  // Secrets scans read files: refused until scan roots are configured.
  auto no_roots = svc_->StartScan("secrets", dir_.string(), "a", nullptr);
  EXPECT_EQ(no_roots.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(no_roots.status().message().find("scan_roots"), std::string::npos);
  EXPECT_EQ(svc_->StartScan("container", dir_.string(), "a", nullptr, true).status().code(),
            StatusCode::kInvalidArgument);
  // A malformed lockfile as the single target: the scan fails with the parser's message.
  WriteFile(dir_ / "bad" / "package-lock.json", "{\"lockfileVersion\": 2}");
  auto scan =
      svc_->StartScan("container", (dir_ / "bad" / "package-lock.json").string(), "a", nullptr);
  ASSERT_TRUE(scan.ok());
  EXPECT_FALSE(svc_->RunScan((*scan)["id"].get<int64_t>()).ok());
  auto after = svc_->GetScan((*scan)["id"].get<int64_t>(), false);
  EXPECT_EQ((*after)["status"], "failed");
  EXPECT_NE((*after)["error"].get<std::string>().find("packages"), std::string::npos);
}

TEST_P(SecurityServiceTest, DockerSaveImageWithWhiteoutsAndHostileEntries) {
  // Layer 1: Debian-like OS files and an app lockfile; layer 2 deletes the lockfile's
  // directory contents (opaque) and adds a new one, plus hostile entries.
  const std::string layer1 = TarBytes(
      {{"etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12\"\n"},
       {"var/lib/dpkg/status",
        "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\nArchitecture: "
        "amd64\n\n"},
       {"app/old/package-lock.json", kLock},
       {"srv/package-lock.json", kLock}},
      false);
  const std::string layer2 = TarBytes({{"app/old/.wh..wh..opq", ""},
                                       {"srv/.wh.package-lock.json", ""},
                                       {"../../escape/package-lock.json", kLock},
                                       {"app/link/package-lock.json", nullptr}},
                                      true);
  const std::string manifest =
      R"([{"Config":"c.json","RepoTags":["t:1"],"Layers":["l1/layer.tar","l2/layer.tar.gz"]}])";
  // Binary layer content cannot pass through a C string: build the outer tar with lengths.
  std::string outer;
  {
    archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_open(
        a, &outer, nullptr,
        [](archive*, void* client, const void* buf, size_t n) -> la_ssize_t {
          static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
          return static_cast<la_ssize_t>(n);
        },
        nullptr);
    for (const auto& [name, content] : std::vector<std::pair<std::string, std::string>>{
             {"manifest.json", manifest}, {"l1/layer.tar", layer1}, {"l2/layer.tar.gz", layer2}}) {
      archive_entry* e = archive_entry_new();
      archive_entry_set_pathname(e, name.c_str());
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
      archive_write_header(a, e);
      archive_write_data(a, content.data(), content.size());
      archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
  }
  WriteFile(dir_ / "image.tar", outer);
  auto inv = inventory::ScanImage((dir_ / "image.tar").string());
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  ASSERT_TRUE(inv->os.has_value());
  EXPECT_EQ(inv->os->version_id, "12");
  std::vector<std::string> got;
  for (const auto& p : inv->packages) got.push_back(p.location + " " + p.name + "@" + p.version);
  EXPECT_EQ(got, (std::vector<std::string>{"/var/lib/dpkg/status bash@5.2.15-2+b2"}));
  std::string warnings;
  for (const auto& w : inv->warnings) warnings += w + "\n";
  EXPECT_NE(warnings.find("climbs out"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("symbolic link"), std::string::npos) << warnings;
  EXPECT_FALSE(fs::exists(dir_.parent_path() / "escape")) << "nothing may be written outside";
  // The same image through the module: an image scan of Debian 12 packages.
  const int64_t id = ScanNow(dir_ / "image.tar");
  auto scan = svc_->GetScan(id, true);
  EXPECT_EQ((*scan)["report"]["targetKind"], "image");
  EXPECT_EQ((*scan)["report"]["os"]["versionId"], "12");
}

TEST_P(SecurityServiceTest, DecompressionBombIsBounded) {
  std::string big(4 << 20, 'a');
  std::string layer = TarBytes({{"var/lib/dpkg/status", big.c_str()}}, true);
  ASSERT_LT(layer.size(), 64u << 10) << "4 MiB of 'a' compresses well";
  WriteFile(dir_ / "oci" / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  WriteFile(dir_ / "oci" / "blobs" / "sha256" / "aaaa", layer);
  WriteFile(dir_ / "oci" / "blobs" / "sha256" / "bbbb",
            R"({"schemaVersion":2,"layers":[{"digest":"sha256:aaaa"}]})");
  WriteFile(dir_ / "oci" / "index.json",
            R"({"schemaVersion":2,"manifests":[{"digest":"sha256:bbbb"}]})");
  inventory::ImageLimits limits;
  limits.max_uncompressed_bytes = 1 << 20;
  auto inv = inventory::ScanImage((dir_ / "oci").string(), limits);
  ASSERT_FALSE(inv.ok());
  EXPECT_EQ(inv.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(inv.status().message().find("max_uncompressed_bytes"), std::string::npos);
  limits = {};
  limits.max_file_bytes = 1 << 20;
  inv = inventory::ScanImage((dir_ / "oci").string(), limits);
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  EXPECT_TRUE(inv->packages.empty());
  ASSERT_FALSE(inv->warnings.empty());
  EXPECT_NE(inv->warnings[0].find("over the"), std::string::npos);
}

TEST_P(SecurityServiceTest, ImportsTrivyReport) {
  const char* trivy =
      R"({"SchemaVersion":2,"ArtifactName":"app","Results":[{"Target":"package-lock.json",
    "Type":"npm","Vulnerabilities":[{"VulnerabilityID":"CVE-2019-11358","PkgName":"jquery",
    "InstalledVersion":"3.3.9","FixedVersion":"3.4.0","Severity":"MEDIUM","Title":"jquery: prototype pollution"}]}]})";
  auto scan = svc_->ImportReport(trivy, "bob");
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_EQ((*scan)["mediumCount"], 1);
  EXPECT_EQ((*scan)["report"]["scanner"], "trivy");
  auto vulns = svc_->ListVulnerabilities(Json{{"package", "jquery"}});
  ASSERT_TRUE(vulns.ok());
  ASSERT_EQ((*vulns)["total"], 1);
  EXPECT_EQ((*vulns)["items"][0]["details"]["importedFrom"], "trivy");
  EXPECT_FALSE(svc_->ImportReport("{\"nope\":1}", "bob").ok());
}

constexpr const char* kPrivilegedDeployment = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: registry.example/api:1.2
        securityContext: {privileged: true}
)";

TEST_P(SecurityServiceTest, KubernetesScanFromPathStoresFailuresAndTallies) {
  WriteFile(dir_ / "k8s" / "deploy.yaml", kPrivilegedDeployment);
  WriteFile(dir_ / "k8s" / "broken.yaml", "kind: Pod\nmetadata: {name: [\n");
  auto scan = svc_->StartScan("kubernetes", (dir_ / "k8s").string(), "alice", nullptr);
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  const int64_t id = (*scan)["id"].get<int64_t>();
  ASSERT_TRUE(svc_->RunScan(id).ok());
  auto got = svc_->GetScan(id, true);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["status"], "completed");
  EXPECT_GE((*got)["criticalCount"].get<int>(), 1);  // privileged
  const Json& rep = (*got)["report"];
  EXPECT_EQ(rep["objects"], 1);
  EXPECT_EQ(rep["tally"]["privileged"]["failed"], 1);
  EXPECT_EQ(rep["tally"]["host-pid"]["passed"], 1);
  ASSERT_EQ(rep["errors"].size(), 1u);  // the broken file is named, the other still scanned
  EXPECT_NE(rep["errors"][0].get<std::string>().find("broken.yaml"), std::string::npos);
  EXPECT_EQ(rep["objectsSummary"][0]["worst"], "critical");
}

TEST_P(SecurityServiceTest, ComplianceNeedsEvidenceAndTracksTrend) {
  // No evidence at all yet: CIS controls are not assessed, never passed.
  auto empty = svc_->CheckCompliance("cis_kubernetes", "alice");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ((*empty)["passedControls"], 0);
  EXPECT_EQ((*empty)["failedControls"], 0);
  EXPECT_EQ((*empty)["report"]["notAssessed"], (*empty)["totalControls"]);

  auto scan = svc_->ScanManifests(kPrivilegedDeployment, "deploy.yaml", "alice");
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_EQ((*scan)["scanType"], "kubernetes");
  auto report = svc_->CheckCompliance("cis_kubernetes", "alice");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GT((*report)["failedControls"].get<int>(), 0);
  EXPECT_GT((*report)["passedControls"].get<int>(), 0);
  bool saw_privileged = false;
  for (const auto& c : (*report)["report"]["controls"])
    if (c["id"] == "5.2.2") {
      saw_privileged = true;
      EXPECT_EQ(c["status"], "fail");
      EXPECT_EQ(c["previousStatus"], "not_assessed");
    }
  EXPECT_TRUE(saw_privileged);
  EXPECT_EQ((*report)["report"]["previousReportId"], (*empty)["id"]);

  auto list = svc_->ListComplianceReports(Json{{"framework", "cis_kubernetes"}});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)["total"], 2);
  auto md = svc_->ExportComplianceReport((*report)["id"].get<int64_t>(), "markdown");
  ASSERT_TRUE(md.ok());
  EXPECT_NE((*md)["body"].get<std::string>().find("| 5.2.2 |"), std::string::npos);
  auto html = svc_->ExportComplianceReport((*report)["id"].get<int64_t>(), "html");
  ASSERT_TRUE(html.ok());
  EXPECT_NE((*html)["body"].get<std::string>().find("<table>"), std::string::npos);
  EXPECT_EQ(svc_->GetComplianceReport(999999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(svc_->CheckCompliance("iso9001", "a").status().code(), StatusCode::kInvalidArgument);
  // Invalid YAML sent inline is refused with its line, and nothing is stored.
  auto bad = svc_->ScanManifests("kind: Pod\n  bad: [\n", "bad.yaml", "alice");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("input.manifests: bad.yaml:"), std::string::npos);
}

TEST_P(SecurityServiceTest, SecretsScanUnderAScanRootStoresRedactedFindings) {
  const fs::path root = dir_ / "root";
  const std::string aws = "AKIAZ3MQ7RL2XW4PN6TB";
  WriteFile(root / "app" / "settings.py", "DEBUG = 1\naws_key = \"" + aws + "\"\n");
  WriteFile(root / "app" / "ok.txt", "nothing here\n");
  WriteFile(dir_ / "outside" / "x.txt", "k = " + aws + "\n");
  WriteFile(dir_ / "root-evil" / "x.txt", "k = " + aws + "\n");
  fs::create_directory_symlink(dir_ / "outside", root / "link");
  SecurityServiceOptions options;
  options.scan_roots = {root.string() + "/"};
  SecurityService svc(tdb_->db(), clock_, options, nullptr);
  for (const fs::path& p :
       {dir_ / "outside", dir_ / "root-evil", root / "link" / "x.txt", root / ".." / "outside"}) {
    auto r = svc.StartScan("secrets", p.string(), "a", nullptr);
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << p;
    EXPECT_NE(r.status().message().find("outside the allowed scan roots"), std::string::npos);
  }
  auto scan = svc.StartScan("secrets", root.string(), "alice", nullptr);
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  const int64_t id = (*scan)["id"].get<int64_t>();
  ASSERT_TRUE(svc.RunScan(id).ok());
  auto done = svc.GetScan(id, true);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ((*done)["status"], "completed");
  EXPECT_EQ((*done)["criticalCount"], 1);
  EXPECT_EQ((*done)["report"]["targetKind"], "directory");
  EXPECT_EQ((*done)["report"]["files"], 2) << "the symlink is not followed";
  EXPECT_TRUE((*done)["report"]["history"].is_null());
  auto page = svc.ListSecretFindings({{"scanId", id}});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ((*page)["total"], 1);
  const Json& f = (*page)["items"][0];
  EXPECT_EQ(f["ruleId"], "aws-access-key-id");
  EXPECT_EQ(f["severity"], "critical");
  EXPECT_EQ(f["file"], "app/settings.py");
  EXPECT_EQ(f["line"], 2);
  EXPECT_EQ(f["source"], "tree");
  EXPECT_TRUE(f["commit"].is_null());
  EXPECT_EQ(f["redacted"], "AKIA****");
  EXPECT_EQ(f["fingerprint"].get<std::string>().rfind("aws-access-key-id:app/settings.py:", 0), 0u);
  EXPECT_EQ(DumpJson(*page).find(aws), std::string::npos) << "the secret never leaves the scan";
  EXPECT_EQ((*svc.ListSecretFindings({{"file", "settings"}}))["total"], 1);
  EXPECT_EQ((*svc.ListSecretFindings({{"file", "%"}}))["total"], 0) << "LIKE wildcards literal";
  EXPECT_EQ((*svc.ListSecretFindings({{"severity", "high"}}))["total"], 0);
  EXPECT_EQ((*svc.ListSecretFindings({{"source", "history"}}))["total"], 0);
  // The findings are compliance evidence: SOC 2's confidentiality control fails on them.
  auto soc2 = svc.StartScan("compliance", "soc2", "alice", nullptr);
  ASSERT_TRUE(soc2.ok()) << soc2.status().ToString();
  EXPECT_EQ((*soc2)["status"], "completed");
  const int64_t report_id = (*soc2)["report"]["complianceReportId"].get<int64_t>();
  auto report = svc.GetComplianceReport(report_id);
  ASSERT_TRUE(report.ok());
  bool secrets_evidence = false;
  for (const auto& c : (*report)["report"]["controls"])
    for (const auto& e : c["evidence"])
      if (e.is_string() && e.get<std::string>().find("secrets findings: 1") != std::string::npos)
        secrets_evidence = secrets_evidence || c["status"] == "fail";
  EXPECT_TRUE(secrets_evidence) << DumpJson((*report)["report"]);
  auto bad = svc.StartScan("compliance", "iso9001", "alice", nullptr);
  ASSERT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("soc2"), std::string::npos);
  // History requested on a directory that is not a repository: the scan fails, named.
  auto hist = svc.StartScan("secrets", root.string(), "alice", nullptr, true);
  ASSERT_TRUE(hist.ok());
  EXPECT_FALSE(svc.RunScan((*hist)["id"].get<int64_t>()).ok());
  auto failed = svc.GetScan((*hist)["id"].get<int64_t>(), false);
  EXPECT_EQ((*failed)["status"], "failed");
  EXPECT_NE((*failed)["error"].get<std::string>().find("not a git repository"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, SecurityServiceTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         store::testing::BackendName);

}  // namespace
}  // namespace dai::security
