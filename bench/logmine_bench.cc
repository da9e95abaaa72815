// logmine_bench: template mining throughput on the Loghub-2k logs (issue #4).
//
// The eight Loghub-2k files (../shared/data/loghub-2k/*/*.log) are concatenated and repeated in
// memory to DAI_LOGMINE_BENCH_MB megabytes (default 200). Scenarios, all on that same buffer:
//   BM_SplitLines      anchor: find line ends (memchr) and touch each line: the physical limit
//   BM_MineWholeLines  miner.Add(line) with the whole line as the message (built-in masks)
//   BM_FormatAndMine   each system's own Loghub log_format splits the line, then miner.Add(content)
// Counters: items = lines, bytes; clusters at the end; resident memory before and after each run
// and the miners' footprint (state_MiB; memory flat = it does not grow with the input once the
// templates are learned: compare DAI_LOGMINE_BENCH_MB=200 with 1024).
// Run: build/<dir>/bench/logmine_bench  (single-threaded: figures are per core).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engines/logmine/log_format.h"
#include "engines/logmine/template_miner.h"

namespace {

struct System {
  const char* name;
  const char* format;
};

// log_format per system, as in loghub-2k/benchmark_settings.json.
constexpr System kSystems[] = {
    {"HDFS", "<Date> <Time> <Pid> <Level> <Component>: <Content>"},
    {"Hadoop", "<Date> <Time> <Level> \\[<Process>\\] <Component>: <Content>"},
    {"Spark", "<Date> <Time> <Level> <Component>: <Content>"},
    {"Zookeeper", "<Date> <Time> - <Level>  \\[<Node>:<Component>@<Id>\\] - <Content>"},
    {"BGL", "<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> "
            "<Content>"},
    {"HPC", "<LogId> <Node> <Component> <State> <Time> <Flag> <Content>"},
    {"Thunderbird", "<Label> <Timestamp> <Date> <User> <Month> <Day> <Time> <Location> "
                    "<Component>(\\[<PID>\\])?: <Content>"},
    {"Windows", "<Date> <Time>, <Level>                  <Component>    <Content>"},
};

struct Corpus {
  std::string buffer;              // all lines, '\n'-terminated, repeated
  std::vector<uint8_t> system_of;  // per line: index into kSystems
  size_t lines = 0;
  bool ok = false;
};

long RssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

const Corpus& GetCorpus() {
  static Corpus corpus = [] {
    Corpus c;
    std::string once;
    std::vector<uint8_t> systems_once;
    for (size_t s = 0; s < std::size(kSystems); ++s) {
      std::string path = std::string(DAI_SHARED_DATA) + "/loghub-2k/" + kSystems[s].name + "/" +
                         kSystems[s].name + "_2k.log";
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "logmine_bench: %s not found; skipping (needs ../shared/data)\n",
                     path.c_str());
        return c;
      }
      std::stringstream ss;
      ss << in.rdbuf();
      std::string text = ss.str();
      if (!text.empty() && text.back() != '\n') text.push_back('\n');
      for (char ch : text) {
        if (ch == '\n') systems_once.push_back(static_cast<uint8_t>(s));
      }
      once += text;
    }
    size_t mb = 200;
    if (const char* env = std::getenv("DAI_LOGMINE_BENCH_MB")) mb = std::strtoul(env, nullptr, 10);
    size_t target = mb << 20;
    size_t reps = std::max<size_t>(1, target / once.size());
    c.buffer.reserve(reps * once.size());
    c.system_of.reserve(reps * systems_once.size());
    for (size_t r = 0; r < reps; ++r) {
      c.buffer += once;
      c.system_of.insert(c.system_of.end(), systems_once.begin(), systems_once.end());
    }
    c.lines = c.system_of.size();
    c.ok = true;
    return c;
  }();
  return corpus;
}

template <typename F>
void ForEachLine(const std::string& buffer, F&& f) {
  const char* p = buffer.data();
  const char* end = p + buffer.size();
  size_t index = 0;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (nl == nullptr) nl = end;
    f(index++, std::string_view(p, static_cast<size_t>(nl - p)));
    p = nl + 1;
  }
}

// rss_mined: resident memory with the miners still alive after the whole input (the input
// buffer included); state_MiB = rss_mined - rss_before, the miners' footprint, which should not
// grow with DAI_LOGMINE_BENCH_MB once the templates are learned.
void Finish(benchmark::State& state, const Corpus& c, long rss_before, long rss_mined = -1) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.lines));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.buffer.size()));
  state.counters["rss_before_MiB"] = static_cast<double>(rss_before) / 1024.0;
  state.counters["rss_after_MiB"] = static_cast<double>(RssKiB()) / 1024.0;
  if (rss_mined >= 0) {
    state.counters["state_MiB"] = static_cast<double>(rss_mined - rss_before) / 1024.0;
  }
  state.counters["input_MiB"] = static_cast<double>(c.buffer.size()) / (1 << 20);
}

void BM_SplitLines(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  if (!c.ok) {
    state.SkipWithError("loghub-2k data not found");
    return;
  }
  long rss = RssKiB();
  for (auto _ : state) {
    size_t sum = 0;
    ForEachLine(c.buffer, [&](size_t, std::string_view line) { sum += line.size() + line[0]; });
    benchmark::DoNotOptimize(sum);
  }
  Finish(state, c, rss);
}

void BM_MineWholeLines(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  if (!c.ok) {
    state.SkipWithError("loghub-2k data not found");
    return;
  }
  long rss = RssKiB();
  long mined = -1;
  size_t clusters = 0;
  for (auto _ : state) {
    auto miner = dai::logmine::TemplateMiner::Create({});
    ForEachLine(c.buffer, [&](size_t, std::string_view line) {
      benchmark::DoNotOptimize(miner->Add(line).cluster_id);
    });
    clusters = miner->cluster_count();
    mined = RssKiB();
  }
  state.counters["clusters"] = static_cast<double>(clusters);
  Finish(state, c, rss, mined);
}

void BM_FormatAndMine(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  if (!c.ok) {
    state.SkipWithError("loghub-2k data not found");
    return;
  }
  std::vector<dai::logmine::LogFormat> formats;
  for (const auto& s : kSystems) {
    auto f = dai::logmine::LogFormat::Parse(s.format);
    if (!f.ok()) {
      state.SkipWithError(f.status().ToString().c_str());
      return;
    }
    formats.push_back(std::move(f).value());
  }
  long rss = RssKiB();
  long mined = -1;
  size_t clusters = 0;
  size_t rejected = 0;
  for (auto _ : state) {
    // One miner per source, as the product keeps one per log source.
    std::vector<dai::logmine::TemplateMiner> miners;
    for (size_t s = 0; s < formats.size(); ++s) {
      miners.push_back(std::move(dai::logmine::TemplateMiner::Create({})).value());
    }
    dai::logmine::SplitLine split;
    rejected = 0;
    ForEachLine(c.buffer, [&](size_t i, std::string_view line) {
      uint8_t s = c.system_of[i];
      formats[s].Split(line, split);
      if (!split.ok) {
        ++rejected;
        return;
      }
      benchmark::DoNotOptimize(miners[s].Add(split.content).cluster_id);
    });
    clusters = 0;
    for (const auto& m : miners) clusters += m.cluster_count();
    mined = RssKiB();
  }
  state.counters["clusters"] = static_cast<double>(clusters);
  state.counters["rejected"] = static_cast<double>(rejected);
  Finish(state, c, rss, mined);
}

BENCHMARK(BM_SplitLines)->Unit(benchmark::kMillisecond)->MinTime(0.5);
BENCHMARK(BM_MineWholeLines)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_FormatAndMine)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
