// cicd_bench: the CI/CD orchestrator's figures, each beside its anchor measured in the same run.
//  1. Runner overhead per step: a pipeline of 1 and of 1+N steps running /bin/true through
//     RunPipeline (clone once, then per step: log header, process start with the cleaned
//     environment and process group, output capture, status record); the per-step time is
//     (T[1+N] - T[1]) / N. Anchor: posix_spawn + waitpid of /bin/true, the physical floor of
//     running a step at all. Overhead = per-step time - anchor.
//  2. JUnit XML parsing (ParseJunitXml: pugixml DOM + our case extraction) over every report in
//     ../shared/data/ci/junit (skipped with a message when absent) and over one generated
//     report of 20,000 cases. Anchors: reading the same files once from disk (page cache), and
//     pugixml's own load_buffer alone (the parse floor).
// Medians of 5 repetitions. Usage: cicd_bench [steps, default 50]
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "adapters/runner/pipeline_runner.h"
#include "adapters/runner/step_process.h"
#include "engines/cicd/junit.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename F>
double TimeMs(F&& f) {
  auto t0 = Clock::now();
  f();
  return Ms(Clock::now() - t0);
}

void SpawnTrue() {
  pid_t pid = 0;
  char arg0[] = "/bin/true";
  char* argv[] = {arg0, nullptr};
  if (posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) != 0) std::abort();
  int status = 0;
  waitpid(pid, &status, 0);
}

void Git(const fs::path& repo, std::vector<std::string> args) {
  dai::runner::StepProcessSpec spec;
  spec.argv = {"git",
               "-c",
               "user.name=Bench",
               "-c",
               "user.email=b@example.com",
               "-c",
               "init.defaultBranch=main"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.cwd = repo.string();
  auto r = dai::runner::RunStepProcess(spec);
  if (!r.ok() || r->exit_code != 0) {
    std::fprintf(stderr, "git failed\n");
    std::exit(1);
  }
}

dai::cicd::Pipeline TruePipeline(int steps) {
  dai::cicd::Pipeline p;
  p.name = "bench";
  dai::cicd::Job j;
  j.id = "j";
  j.name = "j";
  for (int i = 0; i < steps; ++i) {
    dai::cicd::Step s;
    s.name = "true " + std::to_string(i);
    s.argv = {"/bin/true"};
    j.steps.push_back(s);
  }
  p.jobs = {j};
  return p;
}

void RunnerOverhead(int steps) {
  fs::path tmp = fs::temp_directory_path() / ("dai-cicd-bench-" + std::to_string(::getpid()));
  fs::create_directories(tmp / "repo");
  std::ofstream(tmp / "repo" / "README") << "bench\n";
  Git(tmp / "repo", {"init", "-q"});
  Git(tmp / "repo", {"add", "."});
  Git(tmp / "repo", {"commit", "-qm", "init"});
  auto run = [&](int n) {
    dai::runner::PipelineRunOptions opt;
    opt.source = (tmp / "repo").string();
    opt.work_dir = (tmp / "work").string();
    opt.log_path = (tmp / "log.txt").string();
    auto p = TruePipeline(n);
    return TimeMs([&] {
      auto r = dai::runner::RunPipeline(p, opt);
      if (!r.ok() || r->status != "succeeded") {
        std::fprintf(stderr, "pipeline failed: %s\n", r.ok() ? r->failure.c_str() : "error");
        std::exit(1);
      }
    });
  };
  std::vector<double> per_step, anchor;
  for (int rep = 0; rep < 5; ++rep) {
    double one = run(1), many = run(1 + steps);
    per_step.push_back((many - one) / steps);
    anchor.push_back(TimeMs([&] {
                       for (int i = 0; i < steps; ++i) SpawnTrue();
                     }) /
                     steps);
  }
  fs::remove_all(tmp);
  double ours = Median(per_step), floor = Median(anchor);
  std::printf(
      "runner per step (/bin/true, %d steps)   : %.3f ms   anchor posix_spawn+waitpid /bin/true: "
      "%.3f ms   overhead %.3f ms/step (goal < 20 ms), ratio %.2fx\n",
      steps, ours, floor, ours - floor, ours / floor);
}

std::string GeneratedReport(int cases) {
  std::string xml = "<?xml version=\"1.0\"?>\n<testsuites>\n";
  for (int s = 0; s < cases / 100; ++s) {
    xml += "<testsuite name=\"suite" + std::to_string(s) + "\" tests=\"100\">\n";
    for (int c = 0; c < 100; ++c) {
      xml += "  <testcase classname=\"pkg.Suite" + std::to_string(s) + "\" name=\"test_case_" +
             std::to_string(c) + "\" time=\"0.0" + std::to_string(c % 10) + "\"";
      if (c % 17 == 0)
        xml +=
            "><failure message=\"expected 4 but was 5\">at pkg.Suite.test(Suite.java:42)"
            "</failure></testcase>\n";
      else
        xml += "/>\n";
    }
    xml += "</testsuite>\n";
  }
  return xml + "</testsuites>\n";
}

void Junit(const std::string& label, const std::vector<fs::path>& files,
           const std::vector<std::string>& texts) {
  size_t bytes = 0;
  for (const auto& t : texts) bytes += t.size();
  std::vector<double> parse, pugi, read;
  size_t cases = 0;
  for (int rep = 0; rep < 5; ++rep) {
    // Enough passes for ~100 ms per measurement.
    const int passes = std::max<int>(1, static_cast<int>(20'000'000 / std::max<size_t>(bytes, 1)));
    parse.push_back(TimeMs([&] {
                      for (int p = 0; p < passes; ++p)
                        for (const auto& t : texts) {
                          auto r = dai::cicd::ParseJunitXml(t);
                          if (r.ok() && p == 0 && rep == 0) cases += r->cases.size();
                        }
                    }) /
                    passes);
    pugi.push_back(TimeMs([&] {
                     for (int p = 0; p < passes; ++p)
                       for (const auto& t : texts) {
                         pugi::xml_document doc;
                         doc.load_buffer(t.data(), t.size());
                       }
                   }) /
                   passes);
    if (!files.empty())
      read.push_back(TimeMs([&] {
                       for (int p = 0; p < passes; ++p)
                         for (const auto& f : files) {
                           std::ifstream in(f, std::ios::binary);
                           std::string s((std::istreambuf_iterator<char>(in)), {});
                           if (s.empty()) std::abort();
                         }
                     }) /
                     passes);
  }
  const double mb = static_cast<double>(bytes) / 1e6;
  const double ours = Median(parse), floor = Median(pugi);
  std::printf(
      "junit %-34s: %zu files, %.2f MB, %zu cases: ParseJunitXml %.1f MB/s (%.0f files/s)"
      "   anchor pugixml load alone %.1f MB/s (ratio %.2fx)",
      label.c_str(), texts.size(), mb, cases, mb / (ours / 1000), texts.size() / (ours / 1000),
      mb / (floor / 1000), ours / floor);
  if (!read.empty()) {
    const double r = Median(read);
    std::printf("   anchor reading the files once %.1f MB/s (ratio %.2fx)", mb / (r / 1000),
                ours / r);
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 50;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  RunnerOverhead(steps);
  fs::path dir = fs::path(DAI_SHARED_DATA) / "ci" / "junit";
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file() && it->path().extension() == ".xml") files.push_back(it->path());
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::printf("junit ../shared/data/ci/junit: SKIPPED (no JUnit files at %s)\n",
                dir.string().c_str());
  } else {
    std::vector<std::string> texts;
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      texts.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    Junit("../shared/data/ci/junit", files, texts);
  }
  fs::path gen =
      fs::temp_directory_path() / ("dai-cicd-bench-" + std::to_string(::getpid()) + ".xml");
  const std::string report = GeneratedReport(20000);
  std::ofstream(gen, std::ios::binary) << report;
  Junit("generated (20,000 cases)", {gen}, {report});
  fs::remove(gen, ec);
  return 0;
}
