// `devops-ai scan secrets PATH|- [--format table|json|sarif] [--config gitleaks.toml]
//  [--baseline FILE] [--gitignore] [--threads N] [--git] [--no-cache]`: runs the secrets engine
// (engines/secrets) over a file, a directory (recursive; skips .git, symlinks and binary files;
// with --gitignore, skips paths matched by .gitignore files), stdin, or with --git the whole
// history of a git repository (adapters/secretscan: each blob once; findings carry the
// introducing commit and its author date). Findings are redacted in
// every format. Exit code: 0 = no finding, 1 = findings, 2 = usage or input error.
// With --baseline FILE (a JSON array or {"findings": [...]} whose entries carry "fingerprint"
// as this command's json output prints them), findings already in the baseline are dropped.
//
// The compiled rule database is cached in $XDG_CACHE_HOME/devops-ai (else ~/.cache/devops-ai),
// keyed by the rules, vectorscan version and CPU; --no-cache compiles afresh and skips it.
//
// Hidden evaluation mode: `scan secrets --cases CASES.json --config gitleaks.toml` scores the
// engine on /work/shared/data/secrets/cases.json (rule -> {tps, fps, tp_paths, fp_paths}: each
// rule alone plus the global allow-list must flag every TP and no FP) or on
// detect_secrets_cases.json (plugin -> {tps, fps}: the whole rule set flags a TP line and not an
// FP line) and prints recall and false-positive rate per rule and overall.

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/secretscan/scanner_cache.h"
#include "adapters/secretscan/secret_sources.h"
#include "cli/commands.h"
#include "core/clock.h"
#include "core/json.h"
#include "engines/secrets/builtin_rules.h"
#include "engines/secrets/gitleaks_config.h"
#include "engines/secrets/secret_scanner.h"

namespace dai::cli {
namespace {

namespace fs = std::filesystem;
using secrets::Finding;

struct SecretsArgs {
  std::string path;
  std::string format = "table";
  std::string config;
  std::string baseline;
  std::string cases;
  bool gitignore = false;
  bool git = false;
  unsigned threads = 0;
  std::string prefilter = "keywords";
  bool no_cache = false;
};

bool ReadFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

Result<secrets::RuleSet> LoadRules(const std::string& config) {
  if (config.empty()) return secrets::BuiltinRules();
  std::string text;
  if (!ReadFile(config, text)) return Status::NotFound("cannot read " + config);
  return secrets::ParseGitleaksConfig(text);
}

// History findings carry the commit that introduced them (keyed by fingerprint).
struct CommitInfo {
  std::string commit;
  int64_t author_time = 0;
};
using CommitMap = std::map<std::string, CommitInfo>;

std::string AuthorDate(int64_t t) { return FormatIso8601(TimePoint(std::chrono::seconds(t))); }

Json FindingJson(const Finding& f, const CommitMap& commits) {
  Json j{{"ruleId", f.rule_id},  {"description", f.description},
         {"path", f.path},       {"line", f.line},
         {"column", f.column},   {"offset", f.offset},
         {"length", f.length},   {"entropy", f.entropy},
         {"secret", f.redacted}, {"fingerprint", f.fingerprint}};
  if (auto it = commits.find(f.fingerprint); it != commits.end()) {
    j["commit"] = it->second.commit;
    j["authorDate"] = AuthorDate(it->second.author_time);
  }
  return j;
}

Json Sarif(const std::vector<Finding>& findings, const secrets::RuleSet& rules,
           const CommitMap& commits) {
  Json driver_rules = Json::array();
  for (const auto& r : rules.rules)
    driver_rules.push_back(
        {{"id", r.id},
         {"shortDescription", {{"text", r.description.empty() ? r.id : r.description}}}});
  Json results = Json::array();
  for (const auto& f : findings) {
    results.push_back({{"ruleId", f.rule_id},
                       {"level", "error"},
                       {"message", {{"text", f.rule_id + ": " + f.redacted}}},
                       {"locations", Json::array({{{"physicalLocation",
                                                    {{"artifactLocation", {{"uri", f.path}}},
                                                     {"region",
                                                      {{"startLine", f.line},
                                                       {"startColumn", f.column},
                                                       {"snippet", {{"text", f.redacted}}}}}}}}})},
                       {"partialFingerprints", {{"devopsAiSecret/v1", f.fingerprint}}}});
    if (auto it = commits.find(f.fingerprint); it != commits.end())
      results.back()["properties"] = {{"commit", it->second.commit},
                                      {"authorDate", AuthorDate(it->second.author_time)}};
  }
  return Json{{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", Json::array({{{"tool",
                                      {{"driver",
                                        {{"name", "devops-ai"},
                                         {"informationUri", "https://github.com/devops-ai"},
                                         {"rules", driver_rules}}}}},
                                     {"results", results}}})}};
}

Result<std::set<std::string>> LoadBaseline(const std::string& path) {
  std::string text;
  if (!ReadFile(path, text)) return Status::NotFound("cannot read baseline " + path);
  auto parsed = ParseJson(text);
  if (!parsed.ok()) return parsed.status();
  Json j = std::move(parsed).value();
  if (j.is_object() && j.contains("findings")) j = j["findings"];
  if (!j.is_array()) return Status::InvalidArgument("baseline: expected a JSON array of findings");
  std::set<std::string> out;
  for (const auto& e : j) {
    if (e.is_object() && e.contains("fingerprint") && e["fingerprint"].is_string())
      out.insert(e["fingerprint"].get<std::string>());
    else if (e.is_object() && e.contains("Fingerprint") && e["Fingerprint"].is_string())
      out.insert(e["Fingerprint"].get<std::string>());
  }
  return out;
}

std::string CaseLine(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("line") && v["line"].is_string())
    return v["line"].get<std::string>();
  return {};
}

// Hidden --cases mode (see the header comment).
int RunCases(const SecretsArgs& args) {
  std::string text;
  if (!ReadFile(args.cases, text)) {
    std::fprintf(stderr, "scan secrets: cannot read %s\n", args.cases.c_str());
    return 2;
  }
  auto parsed = ParseJson(text);
  if (!parsed.ok() || !parsed.value().is_object()) {
    std::fprintf(stderr, "scan secrets: %s is not a cases object\n", args.cases.c_str());
    return 2;
  }
  const Json& cases = parsed.value();
  auto rules = LoadRules(args.config);
  if (!rules.ok()) {
    std::fprintf(stderr, "scan secrets: %s\n", rules.status().ToString().c_str());
    return 2;
  }
  bool detect_secrets_format = false;
  for (const auto& [k, v] : cases.items())
    if (v.contains("source_test")) detect_secrets_format = true;
  std::unique_ptr<secrets::SecretScanner> all;
  const secrets::Prefilter prefilter =
      args.prefilter == "regex" ? secrets::Prefilter::kRegex : secrets::Prefilter::kKeywords;
  if (detect_secrets_format) {
    auto s = secrets::SecretScanner::Create(rules.value(), prefilter);
    if (!s.ok()) {
      std::fprintf(stderr, "scan secrets: %s\n", s.status().ToString().c_str());
      return 2;
    }
    all = std::move(s).value();
  }
  size_t tp_total = 0, tp_hit = 0, fp_total = 0, fp_hit = 0, skipped = 0;
  std::printf("%-44s %6s %8s %6s %8s\n", "rule", "tps", "recall", "fps", "fp_rate");
  for (const auto& [rule_id, entry] : cases.items()) {
    const secrets::SecretScanner* scanner = all.get();
    std::unique_ptr<secrets::SecretScanner> own;
    if (!detect_secrets_format) {
      secrets::RuleSet one;
      one.global_allowlists = rules.value().global_allowlists;
      for (const auto& r : rules.value().rules)
        if (r.id == rule_id) one.rules.push_back(r);
      if (one.rules.empty()) {
        std::printf("%-44s (not in the rule set: skipped)\n", rule_id.c_str());
        ++skipped;
        continue;
      }
      auto s = secrets::SecretScanner::Create(std::move(one), prefilter);
      if (!s.ok()) {
        std::fprintf(stderr, "scan secrets: %s\n", s.status().ToString().c_str());
        return 2;
      }
      own = std::move(s).value();
      scanner = own.get();
    }
    auto scratch = scanner->NewScratch();
    if (!scratch.ok()) return 2;
    auto flags = [&](const std::string& content, const std::string& path) {
      auto r = scanner->Scan(content, path, *scratch.value());
      return r.ok() && !r.value().findings.empty();
    };
    size_t tps = 0, tph = 0, fps = 0, fph = 0;
    for (const char* key : {"tps", "fps"}) {
      if (!entry.contains(key)) continue;
      for (const auto& v : entry[key]) {
        bool hit = flags(CaseLine(v), "");
        if (key[0] == 't')
          ++tps, tph += hit;
        else
          ++fps, fph += hit;
      }
    }
    for (const char* key : {"tp_paths", "fp_paths"}) {
      if (!entry.contains(key)) continue;
      for (const auto& v : entry[key]) {
        bool hit = flags(v.value("content", std::string()), v.value("path", std::string()));
        if (key[0] == 't')
          ++tps, tph += hit;
        else
          ++fps, fph += hit;
      }
    }
    tp_total += tps, tp_hit += tph, fp_total += fps, fp_hit += fph;
    std::printf("%-44s %6zu %8.3f %6zu %8.3f\n", rule_id.c_str(), tps,
                tps ? double(tph) / double(tps) : 1.0, fps, fps ? double(fph) / double(fps) : 0.0);
  }
  std::printf("OVERALL tps=%zu recall=%.4f fps=%zu fp_rate=%.4f rules_skipped=%zu\n", tp_total,
              tp_total ? double(tp_hit) / double(tp_total) : 1.0, fp_total,
              fp_total ? double(fp_hit) / double(fp_total) : 0.0, skipped);
  return 0;
}

int RunSecrets(const SecretsArgs& args) {
  if (!args.cases.empty()) return RunCases(args);
  if (args.path.empty()) {
    std::fprintf(stderr, "scan secrets: PATH (or -) is required\n");
    return 2;
  }
  auto rules = LoadRules(args.config);
  if (!rules.ok()) {
    std::fprintf(stderr, "scan secrets: %s\n", rules.status().ToString().c_str());
    return 2;
  }
  // The compiled rule database comes from the user's cache when a valid one for these rules,
  // this vectorscan and this CPU is there (adapters/secretscan/scanner_cache.h).
  auto scanner_or = secretscan::LoadOrCompileScanner(
      rules.value(),
      args.prefilter == "regex" ? secrets::Prefilter::kRegex : secrets::Prefilter::kKeywords,
      args.no_cache ? std::string() : secretscan::DefaultCacheDir());
  if (!scanner_or.ok()) {
    std::fprintf(stderr, "scan secrets: %s\n", scanner_or.status().ToString().c_str());
    return 2;
  }
  if (!scanner_or->note.empty())
    std::fprintf(stderr, "scan secrets: rule cache: %s\n", scanner_or->note.c_str());
  const auto& scanner = *scanner_or->scanner;
  std::set<std::string> baseline;
  if (!args.baseline.empty()) {
    auto b = LoadBaseline(args.baseline);
    if (!b.ok()) {
      std::fprintf(stderr, "scan secrets: %s\n", b.status().ToString().c_str());
      return 2;
    }
    baseline = std::move(b).value();
  }

  std::vector<Finding> findings;
  CommitMap commits;
  if (args.path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    std::string data = ss.str();
    auto scratch = scanner.NewScratch();
    if (!scratch.ok()) return 2;
    auto r = scanner.Scan(data, "-", *scratch.value());
    if (!r.ok()) {
      std::fprintf(stderr, "scan secrets: %s\n", r.status().ToString().c_str());
      return 2;
    }
    findings = std::move(r.value().findings);
  } else if (args.git) {
    auto h = secretscan::ScanGitHistory(scanner, args.path);
    if (!h.ok()) {
      std::fprintf(stderr, "scan secrets: %s\n", h.status().message().c_str());
      return 2;
    }
    for (const auto& e : h->errors)
      std::fprintf(stderr, "scan secrets: %s: %s\n", e.path.c_str(), e.message.c_str());
    for (auto& g : h->findings) {
      commits[g.finding.fingerprint] = {g.commit, g.author_time};
      findings.push_back(std::move(g.finding));
    }
    std::fprintf(stderr, "scan secrets: %llu commit(s), %llu blob(s)\n",
                 static_cast<unsigned long long>(h->commits),
                 static_cast<unsigned long long>(h->blobs));
  } else {
    secretscan::TreeOptions options;
    options.gitignore = args.gitignore;
    options.threads = args.threads;
    auto t = secretscan::ScanTree(scanner, args.path, options);
    if (!t.ok()) {
      std::fprintf(stderr, "scan secrets: %s\n", t.status().message().c_str());
      return 2;
    }
    for (const auto& e : t->errors)
      std::fprintf(stderr, "scan secrets: cannot scan %s: %s\n", e.path.c_str(), e.message.c_str());
    findings = std::move(t->findings);
  }
  if (!baseline.empty())
    findings.erase(std::remove_if(findings.begin(), findings.end(),
                                  [&](const Finding& f) { return baseline.count(f.fingerprint); }),
                   findings.end());
  std::sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.path, a.offset, a.rule_id) < std::tie(b.path, b.offset, b.rule_id);
  });
  if (args.format == "json") {
    Json arr = Json::array();
    for (const auto& f : findings) arr.push_back(FindingJson(f, commits));
    std::cout << DumpJson(Json{{"findings", arr}}) << "\n";
  } else if (args.format == "sarif") {
    std::cout << DumpJson(Sarif(findings, rules.value(), commits)) << "\n";
  } else {
    for (const auto& f : findings) {
      auto it = commits.find(f.fingerprint);
      std::printf("%s:%llu:%llu\t%s\t%s%s%s\n", f.path.c_str(),
                  static_cast<unsigned long long>(f.line),
                  static_cast<unsigned long long>(f.column), f.rule_id.c_str(), f.redacted.c_str(),
                  it == commits.end() ? "" : "\t",
                  it == commits.end() ? "" : it->second.commit.substr(0, 12).c_str());
    }
    std::fprintf(stderr, "%zu finding(s)\n", findings.size());
  }
  return findings.empty() ? 0 : 1;
}

}  // namespace

void RegisterScanCommands(CLI::App& app, CliState& state) {
  auto* scan = app.add_subcommand("scan", "Security scanners");
  scan->require_subcommand(1);
  auto args = std::make_shared<SecretsArgs>();
  auto* sec = scan->add_subcommand("secrets", "Find leaked secrets in a file, directory or stdin");
  sec->add_option("path", args->path, "file, directory, or - for stdin");
  sec->add_option("--format", args->format, "table | json | sarif")
      ->check(CLI::IsMember({"table", "json", "sarif"}));
  sec->add_option("--config", args->config, "gitleaks-format TOML rules (default: built-in rules)");
  sec->add_option("--baseline", args->baseline, "JSON findings whose fingerprints are ignored");
  sec->add_flag("--gitignore", args->gitignore, "skip paths matched by .gitignore files");
  sec->add_flag("--git", args->git,
                "PATH is a git repository: scan every blob of its history once and report the "
                "commit that introduced each secret");
  sec->add_option("--threads", args->threads, "worker threads (default: cores)");
  sec->add_flag("--no-cache", args->no_cache,
                "compile the rules afresh and neither read nor write the compiled-rule cache "
                "($XDG_CACHE_HOME/devops-ai, else ~/.cache/devops-ai)");
  sec->add_option("--prefilter", args->prefilter,
                  "candidate search: keywords (default: rules with long keywords triggered by them "
                  "as caseless literals) or regex (every rule regex as a vectorscan prefilter)")
      ->check(CLI::IsMember({"keywords", "regex"}))
      ->group("");
  sec->add_option("--cases", args->cases, "evaluation mode: score a cases JSON file")->group("");
  sec->callback([args, &state] { state.exit_code = RunSecrets(*args); });
}

}  // namespace dai::cli
