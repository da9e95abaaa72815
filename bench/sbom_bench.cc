// sbom_bench: figures for issue #6, each beside an anchor measured in the same run.
//  BM_ParseCorpus      every lockfile of ../shared/data/lockfiles parsed (packages/s)
//  BM_ReadCorpusAnchor the same bytes read once (memchr for '\n'): the physical limit
//  BM_Match            100,000 packages against 200,000 synthetic OSV advisories (seeded)
//  BM_MatchAnchor      the same 100,000 lookups in a hash set of the advisories' names
// Run: build/release/bench/sbom_bench --benchmark_repetitions=5
// --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <unordered_set>

#include "engines/sbom/package.h"
#include "engines/vulnmatch/matcher.h"

namespace {

namespace fs = std::filesystem;

struct CorpusFile {
  dai::sbom::LockfileKind kind;
  std::string text;
};

const std::vector<CorpusFile>& Corpus() {
  static std::vector<CorpusFile> files = [] {
    std::vector<CorpusFile> out;
    const char* env = std::getenv("DAI_SHARED_DATA");
    fs::path root = fs::path(env ? env : DAI_SHARED_DATA) / "lockfiles" / "inputs";
    if (!fs::exists(root)) return out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (!e.is_regular_file()) continue;
      auto kind = dai::sbom::DetectLockfileKind(e.path().generic_string());
      if (!kind) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      out.push_back({*kind, ss.str()});
    }
    return out;
  }();
  return files;
}

void BM_ParseCorpus(benchmark::State& state) {
  const auto& files = Corpus();
  if (files.empty()) {
    state.SkipWithError("shared data absent (../shared/data/lockfiles)");
    return;
  }
  size_t bytes = 0, packages = 0;
  for (auto _ : state) {
    for (const auto& f : files) {
      auto r = dai::sbom::ParseLockfile(f.kind, f.text);
      if (r.ok()) packages += r->packages.size();
      bytes += f.text.size();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(packages));
}
BENCHMARK(BM_ParseCorpus)->Unit(benchmark::kMillisecond);

void BM_ReadCorpusAnchor(benchmark::State& state) {
  const auto& files = Corpus();
  if (files.empty()) {
    state.SkipWithError("shared data absent");
    return;
  }
  size_t bytes = 0, lines = 0;
  for (auto _ : state) {
    for (const auto& f : files) {
      const char* p = f.text.data();
      const char* end = p + f.text.size();
      while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p))))) {
        ++lines;
        ++p;
      }
      bytes += f.text.size();
    }
  }
  benchmark::DoNotOptimize(lines);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_ReadCorpusAnchor)->Unit(benchmark::kMillisecond);

struct MatchFixture {
  dai::vulnmatch::AdvisoryIndex index;
  std::vector<dai::vulnmatch::PackageQuery> queries;
  std::unordered_set<std::string> names;
};

const MatchFixture& Fixture() {
  static MatchFixture* fx = [] {
    auto* f = new MatchFixture;
    std::mt19937_64 rng(7);
    const char* ecos[] = {"npm", "PyPI", "Go", "crates.io", "Maven"};
    auto ver = [&] {
      return std::to_string(rng() % 5) + "." + std::to_string(rng() % 20) + "." +
             std::to_string(rng() % 20);
    };
    // 200,000 advisories over 50,000 package names (4 each on average).
    for (int i = 0; i < 200000; ++i) {
      dai::vulnmatch::Advisory a;
      a.id = "SYN-" + std::to_string(i);
      dai::vulnmatch::OsvAffected aff;
      int pkg = static_cast<int>(rng() % 50000);
      aff.ecosystem = ecos[pkg % 5];
      aff.name = "pkg" + std::to_string(pkg);
      aff.ranges.push_back({"ECOSYSTEM",
                            {{dai::vulnmatch::OsvEvent::Kind::kIntroduced, "0"},
                             {dai::vulnmatch::OsvEvent::Kind::kFixed, ver()}}});
      a.cvss_vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
      f->names.insert(std::string(aff.ecosystem) + "\n" + aff.name);
      a.affected.push_back(std::move(aff));
      f->index.Add(std::move(a));
    }
    // 100,000 packages over 200,000 names: about a quarter have advisories.
    for (int i = 0; i < 100000; ++i) {
      int pkg = static_cast<int>(rng() % 200000);
      f->queries.push_back({ecos[pkg % 5], "pkg" + std::to_string(pkg), ver()});
    }
    return f;
  }();
  return *fx;
}

void BM_Match(benchmark::State& state) {
  const auto& fx = Fixture();
  size_t findings = 0;
  for (auto _ : state) findings = fx.index.Match(fx.queries).size();
  state.counters["findings"] = static_cast<double>(findings);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(fx.queries.size()));
}
BENCHMARK(BM_Match)->Unit(benchmark::kMillisecond);

void BM_MatchAnchor(benchmark::State& state) {
  const auto& fx = Fixture();
  size_t hits = 0;
  for (auto _ : state) {
    hits = 0;
    for (const auto& q : fx.queries) hits += fx.names.count(q.ecosystem + "\n" + q.name);
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(fx.queries.size()));
}
BENCHMARK(BM_MatchAnchor)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
