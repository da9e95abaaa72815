// `devops-ai scan k8s PATH... | --cluster [--kubeconfig F] [--context C] [--namespace N]
// [--format table|json|sarif] [--only NAME]... [--all] [--fail-on SEVERITY] [--list-checks]`:
// Kubernetes posture checks over manifests (files, directories of *.yaml|*.yml|*.json, or - for
// stdin) or over the objects of a live cluster read through the Kubernetes API (kubeconfig,
// $KUBECONFIG, ~/.kube/config or the in-cluster service account), all scanned together as one set so
// cross-object checks (NetworkPolicy coverage, Service/Ingress/HPA targets, PDBs) see
// everything. Exit codes for CI: 0 no failure at or above --fail-on, 1 failures, 2 bad input
// (an unreadable or invalid file is reported and the other files are still scanned).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "core/json.h"
#include "engines/posture/manifest.h"
#include "engines/posture/posture.h"
#include "engines/posture/report_json.h"
#include "adapters/kubernetes/kube_inventory.h"

namespace dai::cli {
namespace {

namespace fs = std::filesystem;
using posture::Object;

struct K8sArgs {
  std::vector<std::string> paths;
  std::string format = "table";
  std::vector<std::string> only;
  bool all = false;
  std::string fail_on = "low";
  bool list_checks = false;
  bool cluster = false;
  std::string kubeconfig;
  std::string context;
  std::string namespace_;
};

// The live cluster's objects (the kinds ListClusterObjects reads). Errors go to stderr.
Result<std::vector<Object>> ClusterObjects(const K8sArgs& args) {
  DAI_ASSIGN_OR_RETURN(kube::KubeConfig config,
                       args.kubeconfig.empty() ? kube::DefaultKubeConfig(args.context)
                                               : kube::LoadKubeconfig(args.kubeconfig, args.context));
  DAI_ASSIGN_OR_RETURN(kube::KubeClient client, kube::KubeClient::Create(std::move(config)));
  DAI_ASSIGN_OR_RETURN(kube::ClusterObjects listed, kube::ListClusterObjects(client, args.namespace_));
  for (const auto& e : listed.errors) std::cerr << "scan k8s: warning: " << e << "\n";
  return posture::ObjectsFromJson(std::move(listed.objects), "cluster:" + client.config().context);
}

Result<std::string> ReadFile(const fs::path& path, size_t limit) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return Status::InvalidArgument(path.string() + ": " + ec.message());
  if (size > limit)
    return Status::InvalidArgument(path.string() + ": " + std::to_string(size) +
                                   " bytes is over the manifest size limit of " +
                                   std::to_string(limit));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(path.string() + ": cannot open");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool IsManifestFile(const fs::path& p) {
  auto ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

int SeverityRank(std::string_view s) {
  if (s == "critical") return 3;
  if (s == "high") return 2;
  if (s == "medium") return 1;
  return 0;
}

int RunK8s(const K8sArgs& args) {
  if (args.list_checks) {
    if (args.format == "json") {
      std::cout << posture::CatalogToJson().dump(1) << "\n";
    } else {
      for (const auto& c : posture::Catalog())
        std::printf("%-40s %-8s %-11s %s%s\n", std::string(c.id).c_str(),
                    std::string(posture::SeverityName(c.severity)).c_str(),
                    std::string(c.category).c_str(), std::string(c.title).c_str(),
                    c.optional ? " (optional)" : "");
    }
    return 0;
  }
  if (args.cluster && !args.paths.empty()) {
    std::cerr << "scan k8s: give either PATHs or --cluster, not both\n";
    return 2;
  }
  if (!args.cluster && (!args.kubeconfig.empty() || !args.context.empty() || !args.namespace_.empty())) {
    std::cerr << "scan k8s: --kubeconfig, --context and --namespace need --cluster\n";
    return 2;
  }
  if (args.paths.empty() && !args.cluster) {
    std::cerr << "scan k8s: give at least one PATH (file, directory or -), or --cluster\n";
    return 2;
  }
  posture::ManifestLimits limits;
  std::vector<Object> objects;
  int errors = 0;
  if (args.cluster) {
    auto live = ClusterObjects(args);
    if (!live.ok()) {
      std::cerr << "scan k8s: " << live.status().message() << "\n";
      return 2;
    }
    objects = std::move(live).value();
  }
  auto add_text = [&](const std::string& text, const std::string& name) {
    auto parsed = posture::ParseManifests(text, name, limits);
    if (!parsed.ok()) {
      std::cerr << "scan k8s: " << parsed.status().message() << "\n";
      ++errors;
      return;
    }
    for (auto& o : *parsed) objects.push_back(std::move(o));
  };
  for (const auto& path : args.paths) {
    if (path == "-") {
      std::string text(std::istreambuf_iterator<char>(std::cin), {});
      add_text(text, "<stdin>");
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> files;
      for (auto it = fs::recursive_directory_iterator(
               path, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && IsManifestFile(it->path())) files.push_back(it->path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        auto text = ReadFile(f, limits.max_bytes);
        if (!text.ok()) {
          std::cerr << "scan k8s: " << text.status().message() << "\n";
          ++errors;
          continue;
        }
        add_text(*text, f.string());
      }
    } else {
      auto text = ReadFile(path, limits.max_bytes);
      if (!text.ok()) {
        std::cerr << "scan k8s: " << text.status().message() << "\n";
        ++errors;
        continue;
      }
      add_text(*text, path);
    }
  }
  posture::EvaluateOptions options;
  options.only = args.only;
  options.include_optional = args.all;
  options.include_passes = args.format == "json";
  auto report = posture::Evaluate(objects, options);
  if (!report.ok()) {
    std::cerr << "scan k8s: " << report.status().message() << "\n";
    return 2;
  }
  int threshold = SeverityRank(args.fail_on);
  size_t blocking = 0;
  for (const auto& r : report->results)
    if (r.outcome == posture::Outcome::kFail &&
        SeverityRank(posture::SeverityName(r.severity)) >= threshold)
      ++blocking;
  if (args.format == "json") {
    Json j = posture::ReportToJson(objects, *report);
    if (errors) j["errors"] = errors;
    std::cout << j.dump(1, ' ', false, Json::error_handler_t::replace) << "\n";
  } else if (args.format == "sarif") {
    std::cout << posture::ReportToSarif(objects, *report, DAI_VERSION)
                     .dump(1, ' ', false, Json::error_handler_t::replace)
              << "\n";
  } else {
    for (const auto& r : report->results) {
      if (r.outcome != posture::Outcome::kFail) continue;
      const Object& o = objects[r.object_index];
      const std::string where = o.line > 0 ? o.file + ":" + std::to_string(o.line)
                                           : o.file + ":" + (o.namespace_.empty() ? "-" : o.namespace_);
      std::printf("%s\t%s/%s%s\t%s\t%s\t%s\n", where.c_str(), o.kind.c_str(),
                  o.name.c_str(), r.container.empty() ? "" : (" [" + r.container + "]").c_str(),
                  std::string(posture::SeverityName(r.severity)).c_str(), r.check_id.c_str(),
                  r.message.c_str());
    }
    std::fprintf(stderr, "%zu object(s), %zu check(s): %zu failed, %zu passed\n", objects.size(),
                 report->checks_run.size(), report->failed, report->passed);
  }
  if (errors) return 2;
  return blocking ? 1 : 0;
}

CLI::App* ScanCommand(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    if (sub->get_name() == "scan") return sub;
  auto* scan = app.add_subcommand("scan", "Security scanners");
  scan->require_subcommand(1);
  return scan;
}

}  // namespace

void RegisterK8sCommands(CLI::App& app, CliState& state) {
  CLI::App* scan = ScanCommand(app);
  auto args = std::make_shared<K8sArgs>();
  auto* cmd = scan->add_subcommand(
      "k8s", "Kubernetes posture checks over manifests (files, directories or - for stdin) or a live cluster (--cluster)");
  cmd->add_option("path", args->paths, "manifest files or directories, or - for stdin");
  cmd->add_option("--format", args->format, "table | json | sarif")
      ->check(CLI::IsMember({"table", "json", "sarif"}));
  cmd->add_option("--only", args->only,
                  "run only this check (id, kube-score name or Polaris id); repeatable");
  cmd->add_flag("--all", args->all, "also run the optional checks");
  cmd->add_option("--fail-on", args->fail_on,
                  "lowest severity that makes the exit code 1 (low|medium|high|critical)")
      ->check(CLI::IsMember({"low", "medium", "high", "critical"}));
  cmd->add_flag("--list-checks", args->list_checks, "print the check catalog and exit");
  cmd->add_flag("--cluster", args->cluster,
                "scan the live cluster through the Kubernetes API instead of files");
  cmd->add_option("--kubeconfig", args->kubeconfig,
                  "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)");
  cmd->add_option("--context", args->context, "kubeconfig context (default: current-context)");
  cmd->add_option("--namespace", args->namespace_, "only this namespace (default: all)");
  cmd->callback([args, &state] { state.exit_code = RunK8s(*args); });
}

}  // namespace dai::cli
