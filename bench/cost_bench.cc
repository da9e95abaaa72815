// Cost engine throughput (issue #8). Input: the FOCUS 1.0 sample (../shared/data/cost/focus,
// skipped with a message when absent) with its body repeated to ~100k rows (~75 MB) in memory.
// Figures, medians of 5 runs (thread CPU time), each beside its anchor measured in the same run on
// the same bytes:
//   * CostReader (streamed in 1 MiB chunks: CSV tokenizing, column mapping, number and time
//     parsing) and CostReader + CostAggregator (the daily/resource/on-demand aggregates an
//     import builds), against counting the lines with memchr (what `wc -l` does: the cost of
//     reading the bytes once);
//   * the forecast's hold-out MAPE on the sample's daily spend against the seasonal-naive
//     baseline.
// Google Benchmark runs the same cases afterwards for per-case detail.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engines/cost/cost_aggregator.h"
#include "engines/cost/focus_reader.h"
#include "engines/cost/forecast.h"

namespace {

constexpr int kRepeats = 100;

const std::string& Sample() {
  static const std::string text = [] {
    const auto path = std::filesystem::path(DAI_SHARED_DATA) / "cost/focus/focus_sample_1.0.csv";
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }();
  return text;
}

const std::string& Input() {
  static const std::string text = [] {
    const std::string& s = Sample();
    if (s.empty()) return std::string();
    const size_t body = s.find('\n') + 1;
    std::string out = s.substr(0, body);
    out.reserve(s.size() * kRepeats);
    for (int i = 0; i < kRepeats; ++i) out.append(s, body, std::string::npos);
    return out;
  }();
  return text;
}

int64_t CountLines(const std::string& text) {
  int64_t n = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)))) !=
         nullptr) {
    ++n;
    ++p;
  }
  return n;
}

int64_t ReadRecords(const std::string& text, bool aggregate) {
  dai::cost::CostReader reader;
  dai::cost::CostAggregator agg;
  int64_t rows = 0;
  auto cb = [&](const dai::cost::CostRecord& r) {
    ++rows;
    return aggregate ? agg.Add(r) : dai::Status::Ok();
  };
  constexpr size_t kChunk = 1 << 20;
  for (size_t i = 0; i < text.size(); i += kChunk) {
    if (!reader.Feed(std::string_view(text).substr(i, kChunk), cb).ok()) return -1;
  }
  if (!reader.Finish(cb).ok()) return -1;
  if (aggregate) benchmark::DoNotOptimize(agg.Daily().size());
  return rows;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU time of this thread, not wall time: the shared 2-core machine is usually loaded, and
// both the case and its anchor are single-threaded.
template <typename F>
double MedianSeconds(F&& f, int runs = 5) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const double a = ThreadCpuSeconds();
    f();
    t.push_back(ThreadCpuSeconds() - a);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void Summary() {
  const std::string& text = Input();
  if (text.empty()) {
    std::printf("SKIP: %s/cost/focus/focus_sample_1.0.csv is absent\n", DAI_SHARED_DATA);
    return;
  }
  const double mb = static_cast<double>(text.size()) / 1e6;
  int64_t lines = 0, rows = 0;
  const double anchor = MedianSeconds([&] { lines = CountLines(text); });
  const double read = MedianSeconds([&] { rows = ReadRecords(text, false); });
  const double agg = MedianSeconds([&] { ReadRecords(text, true); });
  std::printf("input: %.1f MB, %lld lines, %lld records (FOCUS sample x%d)\n", mb,
              static_cast<long long>(lines), static_cast<long long>(rows), kRepeats);
  std::printf("anchor memchr line count (wc -l): %8.0f MB/s\n", mb / anchor);
  std::printf("CostReader:                       %8.0f MB/s  %9.0f rows/s  ratio to anchor %.3f\n",
              mb / read, static_cast<double>(rows) / read, anchor / read);
  std::printf("CostReader + CostAggregator:      %8.0f MB/s  %9.0f rows/s  ratio to anchor %.3f\n",
              mb / agg, static_cast<double>(rows) / agg, anchor / agg);

  // Forecast backtest on the sample's daily effective spend.
  dai::cost::CostReader reader;
  dai::cost::CostAggregator a;
  auto cb = [&](const dai::cost::CostRecord& r) { return a.Add(r); };
  if (!reader.Feed(Sample(), cb).ok() || !reader.Finish(cb).ok()) return;
  std::map<int64_t, double> by_day;
  for (const auto& d : a.Daily()) by_day[d.day] += d.effective;
  std::vector<double> series;
  for (int64_t d = by_day.begin()->first; d <= by_day.rbegin()->first; d += dai::cost::kDay)
    series.push_back(by_day.count(d) ? by_day[d] : 0.0);
  auto f = dai::cost::Forecast(series, dai::cost::ForecastOptions{.horizon = 7});
  if (!f.ok()) return;
  std::printf(
      "forecast on the sample (%zu days, hold-out %d days): chosen %s MAPE %.1f%%, "
      "seasonal-naive MAPE %.1f%%\n",
      series.size(), f->backtest_points,
      std::string(dai::cost::ForecastModelName(f->model)).c_str(), f->backtest_mape,
      f->seasonal_naive_mape);
  for (const auto& c : f->candidates)
    std::printf("  candidate %-15s MAPE %.1f%%\n",
                std::string(dai::cost::ForecastModelName(c.model)).c_str(), c.mape);
}

void BM_AnchorLineCount(benchmark::State& state) {
  const std::string& text = Input();
  if (text.empty()) return state.SkipWithError("shared data absent");
  for (auto _ : state) benchmark::DoNotOptimize(CountLines(text));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_AnchorLineCount)->Unit(benchmark::kMillisecond);

void BM_CostReader(benchmark::State& state) {
  const std::string& text = Input();
  if (text.empty()) return state.SkipWithError("shared data absent");
  int64_t rows = 0;
  for (auto _ : state) rows = ReadRecords(text, state.range(0) != 0);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
  state.SetItemsProcessed(state.iterations() * rows);
}
BENCHMARK(BM_CostReader)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  Summary();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
