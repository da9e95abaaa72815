// docs_bench: the documentation generator's figures, each beside its anchor in the same run.
//  1. Knowledge-base search over N synthetic documents (default 100,000; Zipf-distributed words,
//     ~120 words each, seeded): indexing rate and query latency (p50/p99 of 1,000 two-term
//     queries, top 20 with snippets) of our BM25 index, against SQLite FTS5 (in memory, the
//     same documents and queries, ORDER BY bm25() LIMIT 20 with snippet()).
//  2. Architecture diagrams at 200 and 2,000 components: DOT generation and in-process layout +
//     SVG rendering through libgvc (dot, and sfdp, which RenderDot picks above 300 nodes),
//     against Graphviz's own `dot -Tsvg` and `dot -Ksfdp -Tsvg` processes on the same DOT text
//     (each stopped after 30 s).
// Usage: docs_bench [documents] [queries] [largest diagram, default 2000]
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "adapters/graphviz/graphviz_renderer.h"
#include "engines/docs/architecture.h"
#include "engines/docs/search_index.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

std::string Word(size_t rank) {
  static const char* syll[] = {"ka", "lo", "mi", "ne", "ru", "sa",
                               "ti", "vo", "ze", "po", "da", "gi"};
  std::string w;
  size_t r = rank + 1;
  while (r > 0) {
    w += syll[r % 12];
    r /= 12;
  }
  return w;
}

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "sqlite %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

// Graphviz's own process on the same DOT with layout engine `engine`, stopped after `cap`:
// the milliseconds it took, or -1 when it was stopped (or could not start).
double RunDot(const std::string& path, const char* engine, std::chrono::seconds cap) {
  const std::string k = std::string("-K") + engine;
  const bool sfdp = std::string(engine) == "sfdp";
  // sfdp with the attributes RenderDot sets for it (straight edges, overlaps removed).
  const char* argv[] = {"dot",
                        k.c_str(),
                        "-Tsvg",
                        "-o",
                        "/dev/null",
                        sfdp ? "-Gsplines=false" : "-Gsplines=true",
                        sfdp ? "-Goverlap=prism" : "-Goverlap=true",
                        path.c_str(),
                        nullptr};
  auto t0 = Clock::now();
  pid_t pid;
  if (posix_spawnp(&pid, "dot", nullptr, nullptr, const_cast<char**>(argv), environ) != 0)
    return -1;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() - t0 > cap) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    usleep(20'000);
  }
  return Ms(Clock::now() - t0);
}

std::string Figure(double ms) {
  if (ms < 0) return "stopped after 30 s";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f ms", ms);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n_docs = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  const size_t n_queries = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1000;
  const size_t max_diagram = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 2000;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::mt19937_64 rng(42);
  const size_t vocab = 50000;
  std::vector<double> cdf(vocab);
  double sum = 0;
  for (size_t i = 0; i < vocab; ++i)
    cdf[i] = (sum += 1.0 / std::pow(static_cast<double>(i + 1), 1.07));
  std::uniform_real_distribution<double> u(0, sum);
  auto draw = [&] {
    return static_cast<size_t>(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin());
  };
  std::vector<dai::docs::SearchDocument> docs;
  docs.reserve(n_docs);
  size_t bytes = 0;
  for (size_t d = 0; d < n_docs; ++d) {
    dai::docs::SearchDocument doc;
    doc.id = static_cast<int64_t>(d + 1);
    for (int w = 0; w < 6; ++w) doc.title += (w ? " " : "") + Word(draw());
    for (int w = 0; w < 120; ++w) doc.body += (w ? " " : "") + Word(draw());
    doc.doc_type = "custom";
    bytes += doc.title.size() + doc.body.size();
    docs.push_back(std::move(doc));
  }
  std::vector<std::string> queries;
  std::uniform_int_distribution<size_t> mid(50, 5000);
  for (size_t q = 0; q < n_queries; ++q) queries.push_back(Word(mid(rng)) + " " + Word(mid(rng)));

  // Ours.
  dai::docs::SearchIndex index;
  auto t0 = Clock::now();
  for (const auto& d : docs) index.Upsert(d);
  const double ours_index_ms = Ms(Clock::now() - t0);
  std::vector<double> ours;
  size_t ours_hits = 0;
  for (const auto& q : queries) {
    auto t = Clock::now();
    auto hits = index.Search(q);
    ours.push_back(Ms(Clock::now() - t));
    ours_hits += hits.size();
  }

  // Anchor: SQLite FTS5.
  sqlite3* db = nullptr;
  sqlite3_open(":memory:", &db);
  Check(
      sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(title, body)", nullptr, nullptr, nullptr),
      db, "create");
  sqlite3_stmt* ins = nullptr;
  Check(sqlite3_prepare_v2(db, "INSERT INTO t(rowid, title, body) VALUES (?, ?, ?)", -1, &ins,
                           nullptr),
        db, "prep");
  t0 = Clock::now();
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  for (const auto& d : docs) {
    sqlite3_bind_int64(ins, 1, d.id);
    sqlite3_bind_text(ins, 2, d.title.c_str(), static_cast<int>(d.title.size()), SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, d.body.c_str(), static_cast<int>(d.body.size()), SQLITE_STATIC);
    Check(sqlite3_step(ins), db, "insert");
    sqlite3_reset(ins);
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  const double fts_index_ms = Ms(Clock::now() - t0);
  sqlite3_finalize(ins);
  sqlite3_stmt* sel = nullptr;
  Check(sqlite3_prepare_v2(
            db,
            "SELECT rowid, snippet(t, 1, '<mark>', '</mark>', '…', 24) FROM t WHERE t MATCH ? "
            "ORDER BY bm25(t, 3.0, 1.0) LIMIT 20",
            -1, &sel, nullptr),
        db, "prep select");
  std::vector<double> fts;
  size_t fts_hits = 0;
  for (const auto& q : queries) {
    std::string match = q.substr(0, q.find(' ')) + " OR " + q.substr(q.find(' ') + 1);
    auto t = Clock::now();
    sqlite3_bind_text(sel, 1, match.c_str(), static_cast<int>(match.size()), SQLITE_TRANSIENT);
    while (sqlite3_step(sel) == SQLITE_ROW) ++fts_hits;
    sqlite3_reset(sel);
    fts.push_back(Ms(Clock::now() - t));
  }
  sqlite3_finalize(sel);
  sqlite3_close(db);
  std::printf("search: %zu documents (%.1f MB), %zu two-term queries, top 20 with snippets\n",
              n_docs, static_cast<double>(bytes) / 1e6, n_queries);
  std::printf(
      "  indexing   ours %.0f docs/s (%.2f s) | SQLite FTS5 %.0f docs/s (%.2f s) | ratio %.2f\n",
      static_cast<double>(n_docs) / ours_index_ms * 1000, ours_index_ms / 1000,
      static_cast<double>(n_docs) / fts_index_ms * 1000, fts_index_ms / 1000,
      fts_index_ms / ours_index_ms);
  std::printf("  query p50  ours %.3f ms | FTS5 %.3f ms | ratio %.2f\n", Pct(ours, 0.5),
              Pct(fts, 0.5), Pct(fts, 0.5) / Pct(ours, 0.5));
  std::printf("  query p99  ours %.3f ms | FTS5 %.3f ms | ratio %.2f (goal: ours < 20 ms)\n",
              Pct(ours, 0.99), Pct(fts, 0.99), Pct(fts, 0.99) / Pct(ours, 0.99));
  std::printf("  hits       ours %zu | FTS5 %zu\n", ours_hits, fts_hits);

  // Diagrams.
  for (size_t n : {size_t{200}, size_t{2000}}) {
    if (n > max_diagram) break;
    dai::Json comps = dai::Json::array(), conns = dai::Json::array();
    std::mt19937 g(7);
    for (size_t i = 0; i < n; ++i)
      comps.push_back({{"id", "c" + std::to_string(i)},
                       {"name", "service-" + std::to_string(i)},
                       {"kind", i % 10 == 0  ? "database"
                                : i % 3 == 0 ? "service"
                                             : "deployment"},
                       {"namespace", "ns" + std::to_string(i % 20)}});
    for (size_t i = 1; i < n; ++i) {
      conns.push_back({{"from", "c" + std::to_string(g() % i)}, {"to", "c" + std::to_string(i)}});
      if (i % 2 == 0)
        conns.push_back({{"from", "c" + std::to_string(i)}, {"to", "c" + std::to_string(g() % n)}});
    }
    auto snap = dai::docs::SnapshotFromJson(comps, conns);
    auto t = Clock::now();
    std::string dot = dai::docs::ToDot(*snap);
    const double gen_ms = Ms(Clock::now() - t);
    // In process, the layout RenderDot chooses (dot up to kDotLayoutMaxNodes, sfdp beyond);
    // in-process dot is run only where it chooses it (at 2,000 it takes minutes), sfdp always.
    const bool auto_is_dot = n <= dai::graphviz::kDotLayoutMaxNodes;
    t = Clock::now();
    auto svg = dai::graphviz::RenderDot(dot, dai::graphviz::Format::kSvg);
    const double auto_ms = Ms(Clock::now() - t);
    double sfdp_ms = auto_ms;
    if (auto_is_dot) {
      t = Clock::now();
      auto s2 = dai::graphviz::RenderDot(dot, dai::graphviz::Format::kSvg, 5000,
                                         dai::graphviz::Layout::kSfdp);
      sfdp_ms = Ms(Clock::now() - t);
    }
    std::string path = "/tmp/docs_bench_" + std::to_string(n) + ".dot";
    std::ofstream(path) << dot;
    const double dot_proc = RunDot(path, "dot", std::chrono::seconds(30));
    const double sfdp_proc = RunDot(path, "sfdp", std::chrono::seconds(30));
    std::remove(path.c_str());
    std::printf(
        "diagram %zu components, %zu connections: DOT text %.1f ms; libgvc layout+SVG as chosen "
        "(%s) %.0f ms (%s, %zu KB); in process: dot %s, sfdp %.0f ms | `dot -Tsvg` %s, "
        "`dot -Ksfdp -Gsplines=false -Goverlap=prism -Tsvg` %s\n",
        n, snap->edges.size(), gen_ms, auto_is_dot ? "dot" : "sfdp", auto_ms,
        svg.ok() ? "ok" : svg.status().message().c_str(), svg.ok() ? svg->size() / 1024 : 0,
        auto_is_dot ? Figure(auto_ms).c_str() : "not run", sfdp_ms, Figure(dot_proc).c_str(),
        Figure(sfdp_proc).c_str());
  }
  return 0;
}
