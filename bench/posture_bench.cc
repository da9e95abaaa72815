// Kubernetes posture scan throughput (issue #7): MB/s of manifests scanned as one set with
// every check (optional ones included), beside two anchors measured in the same run on the same
// input: yaml-cpp's YAML::LoadAll alone (the parse every YAML tool pays; the floor for us), and
// our ParseManifests (parse + YAML->JSON conversion under the node budget) without checks.
// Input: every manifest of ../shared/data/k8s/kube-score/manifests, copied into N namespaces
// (N = 1 and 10, so the cross-object checks see ~130 and ~1,300 objects). Skips with a message
// when the data is absent. Compare bytes_per_second across rows of the same N.
#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engines/posture/manifest.h"
#include "engines/posture/posture.h"

namespace {

namespace fs = std::filesystem;

std::string Corpus(int namespaces) {
  fs::path dir = fs::path(DAI_SHARED_DATA) / "k8s" / "kube-score" / "manifests";
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::string base;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string text(std::istreambuf_iterator<char>(in), {});
    // keep only files that parse on their own (a few fixtures are deliberately broken)
    if (!dai::posture::ParseManifests(text, f.string()).ok()) continue;
    base += "---\n" + text + "\n";
  }
  std::string out;
  for (int n = 0; n < namespaces; ++n) {
    std::string copy = base;
    // give every object of copy n its own namespace so the copies do not see each other
    std::string ns = "\n  namespace: bench-" + std::to_string(n);
    for (size_t pos = 0; (pos = copy.find("\nmetadata:", pos)) != std::string::npos;) {
      pos += 10;
      copy.insert(pos, ns);
    }
    out += copy;
  }
  return out;
}

const std::string& Input(int namespaces) {
  static std::string one = Corpus(1);
  static std::string ten = Corpus(10);
  return namespaces == 1 ? one : ten;
}

bool Skip(benchmark::State& state, const std::string& input) {
  if (!input.empty()) return false;
  state.SkipWithError("../shared/data/k8s absent: skipped");
  return true;
}

void BM_Anchor_YamlCppLoadAll(benchmark::State& state) {
  const std::string& input = Input(static_cast<int>(state.range(0)));
  if (Skip(state, input)) return;
  for (auto _ : state) benchmark::DoNotOptimize(YAML::LoadAll(input));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
}

void BM_ParseManifests(benchmark::State& state) {
  const std::string& input = Input(static_cast<int>(state.range(0)));
  if (Skip(state, input)) return;
  for (auto _ : state) benchmark::DoNotOptimize(dai::posture::ParseManifests(input, "bench"));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
}

void BM_ParseAndEvaluateAllChecks(benchmark::State& state) {
  const std::string& input = Input(static_cast<int>(state.range(0)));
  if (Skip(state, input)) return;
  dai::posture::EvaluateOptions options;
  options.include_optional = true;
  size_t objects = 0;
  for (auto _ : state) {
    auto parsed = dai::posture::ParseManifests(input, "bench");
    objects = parsed->size();
    benchmark::DoNotOptimize(dai::posture::Evaluate(*parsed, options));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
  state.counters["objects"] = static_cast<double>(objects);
}

BENCHMARK(BM_Anchor_YamlCppLoadAll)->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseManifests)->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseAndEvaluateAllChecks)->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
