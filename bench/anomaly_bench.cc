// Anomaly engine throughput (issue #3): points per second per core through
// AnomalyDetector::Update, beside the anchor of a loop that only reads the same points (the
// memory-bound physical limit) in the same run, and the bytes of state one series costs.
// Input: a synthetic 5-minute series (daily seasonality + noise + occasional spikes, seeded) of
// 1M points, replayed; plus, when present, the NAB dev split files concatenated
// (../shared/data/nab/data, skipped with a message when absent).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include "engines/anomaly/anomaly_detector.h"
#include "engines/anomaly/nab_csv.h"

namespace {

struct Point {
  int64_t t;
  double v;
};

const std::vector<Point>& Synthetic() {
  static const std::vector<Point> points = [] {
    std::vector<Point> p;
    std::mt19937_64 rng(42);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    constexpr int kN = 1 << 20;
    p.reserve(kN);
    for (int i = 0; i < kN; ++i) {
      const int64_t t = 1396310400 + int64_t{300} * i;
      double v = 50 + 10 * std::sin(2 * M_PI * static_cast<double>(t % 86400) / 86400.0) +
                 noise(rng);
      if (u(rng) < 0.001) v += 25;
      p.push_back({t, v});
    }
    return p;
  }();
  return points;
}

const std::vector<std::vector<Point>>& Nab() {
  static const std::vector<std::vector<Point>> files = [] {
    std::vector<std::vector<Point>> out;
    const std::filesystem::path root = std::filesystem::path(DAI_SHARED_DATA) / "nab" / "data";
    std::error_code ec;
    if (!std::filesystem::is_directory(root, ec)) return out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root, ec)) {
      if (e.path().extension() != ".csv") continue;
      std::ifstream in(e.path());
      std::stringstream ss;
      ss << in.rdbuf();
      auto rows = dai::anomaly::ParseNabCsv(ss.str());
      if (!rows.ok()) continue;
      std::vector<Point> p;
      for (const auto& r : *rows) p.push_back({r.unix_seconds, r.value});
      out.push_back(std::move(p));
    }
    return out;
  }();
  return files;
}

// Anchor: read every point once (sum), the limit of any per-point work on this input.
void BM_ReadOnlyAnchor(benchmark::State& state) {
  const auto& p = Synthetic();
  for (auto _ : state) {
    double sum = 0;
    int64_t ts = 0;
    for (const auto& x : p) {
      sum += x.v;
      ts ^= x.t;
    }
    benchmark::DoNotOptimize(sum);
    benchmark::DoNotOptimize(ts);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(p.size()));
}
BENCHMARK(BM_ReadOnlyAnchor);

void BM_DetectorSynthetic(benchmark::State& state) {
  const auto& p = Synthetic();
  for (auto _ : state) {
    dai::anomaly::AnomalyDetector det;
    double sum = 0;
    for (const auto& x : p) sum += det.Update(x.t, x.v);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(p.size()));
  state.counters["state_bytes"] = static_cast<double>(dai::anomaly::AnomalyDetector().StateBytes());
}
BENCHMARK(BM_DetectorSynthetic)->Unit(benchmark::kMillisecond);

void BM_DetectorNab(benchmark::State& state) {
  const auto& files = Nab();
  if (files.empty()) {
    state.SkipWithError("NAB data absent at ../shared/data/nab/data (skipped)");
    return;
  }
  int64_t n = 0;
  for (const auto& f : files) n += static_cast<int64_t>(f.size());
  for (auto _ : state) {
    double sum = 0;
    for (const auto& f : files) {
      dai::anomaly::AnomalyDetector det;
      for (const auto& x : f) sum += det.Update(x.t, x.v);
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_DetectorNab)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  std::printf("anomaly state per series: %zu bytes (goal < 4096)\n",
              dai::anomaly::AnomalyDetector().StateBytes());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
