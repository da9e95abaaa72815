// Online OSV refresh (issue #6): the packages of the latest dependency scans are sent to the
// configured OSV API (`security.osv_api_url` in the settings table, default
// https://api.osv.dev) with POST /v1/querybatch, and every advisory it names that is missing or
// older in the store is fetched with GET /v1/vulns/{id} and imported like an offline file.
// Requests go through the one outbound HTTP client (timeouts, size limit, address policy).
// Procedures: getOsvSource (viewer), setOsvSource (admin), refreshAdvisories (admin).
// Scheduled refresh: with security.osv_refresh_hours > 0 the job security.osv_refresh (checked
// every 10 minutes, and at once when the schedule is set) refreshes when the last refresh is
// that old; every refresh, manual or scheduled, is recorded in security.osv_last_refresh.
#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "engines/sbom/package.h"
#include "modules/security/security_service.h"
#include "registry/schema.h"
#include "store/settings_repository.h"

namespace dai::security {
namespace {

namespace s = schema;

constexpr const char* kOsvUrlKey = "security.osv_api_url";
constexpr const char* kRefreshHoursKey = "security.osv_refresh_hours";
constexpr const char* kLastRefreshKey = "security.osv_last_refresh";
constexpr int kMaxRefreshHours = 720;
constexpr const char* kDefaultOsvUrl = "https://api.osv.dev";
constexpr size_t kBatch = 1000;     // OSV's querybatch limit per request
constexpr size_t kMaxFetch = 5000;  // advisories fetched per refresh
constexpr int kMaxScans = 20;       // latest completed dependency scans read

Status CheckUrl(const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    return Status::InvalidArgument("input.url must start with http:// or https://");
  if (url.size() > 500) return Status::InvalidArgument("input.url is longer than 500 characters");
  return Status::Ok();
}

// An OSV id as a path segment: OSV ids are [A-Za-z0-9._:-]; anything else is refused.
bool SafeId(const std::string& id) {
  if (id.empty() || id.size() > 200) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != ':')
      return false;
  return true;
}

}  // namespace

Result<std::string> SecurityService::OsvUrl() {
  store::SettingsRepository settings(db_, clock_);
  auto v = settings.Get(kOsvUrlKey);
  if (!v.ok()) {
    if (v.status().code() == StatusCode::kNotFound) return std::string(kDefaultOsvUrl);
    return v.status();
  }
  DAI_ASSIGN_OR_RETURN(Json j, ParseJson(*v));
  return j.is_string() ? j.get<std::string>() : std::string(kDefaultOsvUrl);
}

Status SecurityService::SetOsvUrl(const std::string& url) {
  DAI_RETURN_IF_ERROR(CheckUrl(url));
  std::string u = url;
  while (!u.empty() && u.back() == '/') u.pop_back();
  store::SettingsRepository settings(db_, clock_);
  return settings.Set(kOsvUrlKey, DumpJson(Json(u)));
}

bool OsvRefreshDue(std::optional<TimePoint> last, int hours, TimePoint now) {
  if (hours <= 0) return false;
  if (!last || *last > now) return true;
  return now - *last >= std::chrono::hours(hours);
}

Result<int> SecurityService::OsvRefreshHours() {
  store::SettingsRepository settings(db_, clock_);
  auto v = settings.Get(kRefreshHoursKey);
  if (!v.ok()) {
    if (v.status().code() == StatusCode::kNotFound) return 0;
    return v.status();
  }
  DAI_ASSIGN_OR_RETURN(Json j, ParseJson(*v));
  return j.is_number_integer() ? j.get<int>() : 0;
}

Status SecurityService::SetOsvRefreshHours(int hours) {
  if (hours < 0 || hours > kMaxRefreshHours)
    return Status::InvalidArgument("input.refreshHours must be between 0 (off) and 720");
  store::SettingsRepository settings(db_, clock_);
  return settings.Set(kRefreshHoursKey, DumpJson(Json(hours)));
}

Result<Json> SecurityService::LastOsvRefresh() {
  store::SettingsRepository settings(db_, clock_);
  auto v = settings.Get(kLastRefreshKey);
  if (!v.ok()) {
    if (v.status().code() == StatusCode::kNotFound) return Json(nullptr);
    return v.status();
  }
  return ParseJson(*v);
}

Result<Json> SecurityService::RefreshAdvisoriesRecorded(const std::string& trigger) {
  Result<Json> r = RefreshAdvisories();
  Json rec = {{"at", FormatIso8601(clock_.Now())}, {"trigger", trigger}, {"ok", r.ok()}};
  if (r.ok()) {
    rec["fetched"] = (*r)["fetched"];
    rec["imported"] = (*r)["imported"];
    rec["advisoriesNamed"] = (*r)["advisoriesNamed"];
  } else {
    rec["error"] = r.status().message().substr(0, 500);
  }
  store::SettingsRepository settings(db_, clock_);
  // The refresh's own outcome is the answer; failing to record it is only logged.
  if (auto st = settings.Set(kLastRefreshKey, DumpJson(rec)); !st.ok() && options_.warn)
    options_.warn("could not record the OSV refresh: " + st.message());
  if (publish_) publish_("security.osv_refresh", DumpJson(rec));
  return r;
}

Status SecurityService::RunScheduledOsvRefresh() {
  DAI_ASSIGN_OR_RETURN(int hours, OsvRefreshHours());
  DAI_ASSIGN_OR_RETURN(Json last, LastOsvRefresh());
  std::optional<TimePoint> at;
  if (last.is_object() && last.contains("at") && last["at"].is_string()) {
    auto t = ParseIso8601(last["at"].get<std::string>());
    if (t.ok()) at = *t;
  }
  if (!OsvRefreshDue(at, hours, clock_.Now())) return Status::Ok();
  // Recorded either way; a failure waits for the next period rather than hammering the API.
  (void)RefreshAdvisoriesRecorded("schedule");
  return Status::Ok();
}

Result<Json> SecurityService::RefreshAdvisories() {
  if (!http_) return Status::FailedPrecondition("no outbound HTTP client is configured");
  DAI_ASSIGN_OR_RETURN(std::string base, OsvUrl());
  // The packages of the latest completed dependency scans, as OSV queries.
  DAI_ASSIGN_OR_RETURN(
      auto scans,
      db_.Query("SELECT sbom, report FROM security_scans WHERE status = 'completed' AND sbom IS "
                "NOT NULL ORDER BY id DESC LIMIT ?",
                {int64_t{kMaxScans}}));
  std::set<std::tuple<std::string, std::string, std::string>> wanted;
  std::vector<std::string> skipped;
  for (const auto& row : scans.rows) {
    auto sbom = ParseJson(row.GetOptString(0).value_or("{}"));
    auto report = ParseJson(row.GetOptString(1).value_or("{}"));
    if (!sbom.ok() || !sbom->contains("components")) continue;
    std::optional<sbom::OsRelease> os;
    if (report.ok() && report->contains("os") && (*report)["os"].is_object()) {
      sbom::OsRelease r;
      r.id = (*report)["os"].value("id", "");
      r.version_id = (*report)["os"].value("versionId", "");
      os = r;
    }
    for (const auto& c : (*sbom)["components"]) {
      if (c.value("type", "") != "library") continue;
      const std::string purl = c.value("purl", "");
      const size_t slash = purl.find('/');
      if (purl.rfind("pkg:", 0) != 0 || slash == std::string::npos) continue;
      const std::string type = purl.substr(4, slash - 4);
      sbom::Package p;
      bool known = false;
      for (auto e : {sbom::Ecosystem::kNpm, sbom::Ecosystem::kPypi, sbom::Ecosystem::kGolang,
                     sbom::Ecosystem::kCargo, sbom::Ecosystem::kComposer, sbom::Ecosystem::kGem,
                     sbom::Ecosystem::kMaven, sbom::Ecosystem::kDeb, sbom::Ecosystem::kApk})
        if (sbom::EcosystemPurlType(e) == type) {
          p.ecosystem = e;
          known = true;
        }
      if (!known) continue;
      p.name = c.value("name", "");
      std::string version = c.value("version", "");
      if (c.contains("properties"))
        for (const auto& prop : c["properties"])
          if (prop.value("name", "") == "devops-ai:src_name") p.name = prop.value("value", p.name);
      if (p.name.empty() || version.empty()) continue;
      wanted.insert({sbom::OsvEcosystemFor(p, os), p.name, version});
    }
  }
  http::HttpClientRequest req;
  req.method = "POST";
  req.url = base + "/v1/querybatch";
  req.headers = {{"content-type", "application/json"}};
  std::vector<std::tuple<std::string, std::string, std::string>> queries(wanted.begin(),
                                                                         wanted.end());
  std::map<std::string, std::string> found;  // id -> modified
  int requests = 0;
  for (size_t start = 0; start < queries.size(); start += kBatch) {
    // One batch; queries OSV pages (next_page_token) are asked again with their token.
    std::vector<std::pair<size_t, std::string>> pending;
    for (size_t i = start; i < std::min(queries.size(), start + kBatch); ++i)
      pending.push_back({i, ""});
    for (int round = 0; !pending.empty() && round < 10; ++round) {
      Json body = {{"queries", Json::array()}};
      for (const auto& [i, token] : pending) {
        const auto& [eco, name, version] = queries[i];
        Json q = {{"package", {{"name", name}, {"ecosystem", eco}}}, {"version", version}};
        if (!token.empty()) q["page_token"] = token;
        body["queries"].push_back(std::move(q));
      }
      req.body = DumpJson(body);
      ++requests;
      auto resp = http_->Send(req);
      if (!resp.ok())
        return Status(resp.status().code(), "OSV querybatch at " + http::RedactUrl(req.url) + ": " +
                                                resp.status().message());
      if (resp->status != 200)
        return Status::Unavailable("OSV querybatch at " + http::RedactUrl(req.url) +
                                   " answered HTTP " + std::to_string(resp->status));
      auto doc = ParseJson(resp->body);
      if (!doc.ok() || !doc->contains("results") || !(*doc)["results"].is_array() ||
          (*doc)["results"].size() != pending.size())
        return Status::Unavailable(
            "OSV querybatch answer is not {results: [...]} with one result "
            "per query");
      std::vector<std::pair<size_t, std::string>> next;
      for (size_t k = 0; k < pending.size(); ++k) {
        const Json& r = (*doc)["results"][k];
        if (!r.is_object()) continue;
        if (r.contains("vulns") && r["vulns"].is_array())
          for (const auto& v : r["vulns"])
            if (v.is_object() && v.contains("id") && v["id"].is_string())
              found[v["id"].get<std::string>()] = v.value("modified", "");
        if (r.contains("next_page_token") && r["next_page_token"].is_string() &&
            !r["next_page_token"].get<std::string>().empty())
          next.push_back({pending[k].first, r["next_page_token"].get<std::string>()});
      }
      pending = std::move(next);
    }
  }
  // Fetch what is missing or newer than the stored copy.
  std::map<std::string, std::string> stored;
  if (!found.empty()) {
    DAI_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT id, modified FROM advisories", {}));
    for (const auto& r : rows.rows) stored[r.GetString(0)] = r.GetOptString(1).value_or("");
  }
  int fetched = 0, imported = 0, current = 0;
  for (const auto& [id, modified] : found) {
    auto it = stored.find(id);
    if (it != stored.end() && !modified.empty() && it->second >= modified) {
      ++current;
      continue;
    }
    if (!SafeId(id)) {
      skipped.push_back(id.substr(0, 80) + ": not an OSV id");
      continue;
    }
    if (static_cast<size_t>(fetched) >= kMaxFetch) {
      skipped.push_back("more than " + std::to_string(kMaxFetch) +
                        " advisories to fetch; the rest wait for the next refresh");
      break;
    }
    http::HttpClientRequest get;
    get.url = base + "/v1/vulns/" + id;
    ++fetched;
    auto resp = http_->Send(get);
    if (!resp.ok() || resp->status != 200) {
      skipped.push_back(
          id + ": " +
          (resp.ok() ? "HTTP " + std::to_string(resp->status) : resp.status().message()));
      continue;
    }
    auto n = ImportAdvisories(resp->body, "osv-api");
    if (!n.ok()) {
      skipped.push_back(id + ": " + n.status().message());
      continue;
    }
    imported += *n;
  }
  DAI_ASSIGN_OR_RETURN(Json db_info, DatabaseInfo());
  return Json{{"url", base},          {"packages", queries.size()},
              {"requests", requests}, {"advisoriesNamed", found.size()},
              {"upToDate", current},  {"fetched", fetched},
              {"imported", imported}, {"skipped", skipped},
              {"database", db_info}};
}

void SecurityService::RegisterOsvProcedures(ProcedureRegistry& registry,
                                            store::JobRepository* jobs) {
  const auto Q = ProcedureKind::kQuery;
  const auto M = ProcedureKind::kMutation;
  const Json source_schema = s::Object(
      {s::Req("url", s::String()), s::Req("refreshHours", s::Int()),
       s::Req("lastRefresh", s::Any(), "null, or {at, trigger, ok, error?, fetched?, imported?}")});
  auto source = [this]() -> Result<Json> {
    DAI_ASSIGN_OR_RETURN(std::string url, OsvUrl());
    DAI_ASSIGN_OR_RETURN(int hours, OsvRefreshHours());
    DAI_ASSIGN_OR_RETURN(Json last, LastOsvRefresh());
    return Json{{"url", url}, {"refreshHours", hours}, {"lastRefresh", last}};
  };
  registry.Add(MakeProcedure("securityGuardian.getOsvSource", Q, Role::kViewer, s::Object({}),
                             source_schema,
                             "The OSV API URL online refreshes use, the refresh schedule and "
                             "the last refresh",
                             [source](const Json&, CallContext&) { return source(); }));
  registry.Add(MakeProcedure(
      "securityGuardian.setOsvSource", M, Role::kAdmin,
      s::Object({s::Opt("url", s::String(8, 500), "http(s) base URL of an OSV API"),
                 s::Opt("refreshHours", s::Int(0, kMaxRefreshHours),
                        "hours between scheduled refreshes; 0 turns the schedule off")}),
      source_schema, "Set the OSV API URL and the refresh schedule",
      [this, source, jobs](const Json& in, CallContext&) -> Result<Json> {
        if (in.contains("url")) DAI_RETURN_IF_ERROR(SetOsvUrl(in["url"].get<std::string>()));
        if (in.contains("refreshHours")) {
          const int hours = in["refreshHours"].get<int>();
          DAI_RETURN_IF_ERROR(SetOsvRefreshHours(hours));
          // Checked at once rather than at the next 10-minute tick: a first refresh is due now.
          if (hours > 0 && jobs) {
            store::NewJob job;
            job.kind = "security.osv_refresh";
            job.run_after = clock_.Now();
            job.max_attempts = 1;
            job.singleton_key = "security.osv_refresh.now";
            auto queued = jobs->Enqueue(job, clock_.Now());
            if (!queued.ok() && queued.status().code() != StatusCode::kConflict)
              return queued.status();
          }
        }
        return source();
      }));
  registry.Add(MakeProcedure(
      "securityGuardian.refreshAdvisories", M, Role::kAdmin, s::Object({}), s::Any(),
      "Ask the OSV API (querybatch) about the packages of the latest scans and import the "
      "advisories that are new or changed",
      [this](const Json&, CallContext& ctx) {
        return RefreshAdvisoriesRecorded(
            "manual:" + (ctx.identity ? ctx.identity->username : std::string("internal")));
      }));
}

}  // namespace dai::security
