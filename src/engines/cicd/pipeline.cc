#include "engines/cicd/pipeline.h"

#include <yaml-cpp/yaml.h>

#include "core/yaml_input.h"

#include <algorithm>
#include <functional>
#include <set>

namespace dai::cicd {
namespace {

using Argv = std::vector<std::string>;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view BaseName(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string DirName(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

int Depth(std::string_view path) {
  return static_cast<int>(std::count(path.begin(), path.end(), '/'));
}

// Paths under vendored or generated trees never define a project of their own.
bool Ignored(std::string_view path) {
  for (std::string_view part : {"node_modules/", "vendor/", "third_party/", ".git/", "build/",
                                "dist/", "target/", "testdata/", "fixtures/", ".venv/"}) {
    if (path.substr(0, part.size()) == part ||
        path.find(std::string("/") + std::string(part)) != std::string_view::npos)
      return true;
  }
  return false;
}

const std::string* Content(const RepoSnapshot& repo, const std::string& path) {
  auto it = repo.contents.find(path);
  return it == repo.contents.end() ? nullptr : &it->second;
}

bool HasFile(const std::set<std::string>& files, const std::string& dir, std::string_view name) {
  return files.count(dir.empty() ? std::string(name) : dir + "/" + std::string(name)) > 0;
}

std::string Join(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

bool AnyFileUnder(const std::vector<std::string>& files, const std::string& dir,
                  const std::function<bool(std::string_view)>& pred) {
  for (const auto& f : files) {
    if (!dir.empty() && f.rfind(dir + "/", 0) != 0) continue;
    if (pred(BaseName(f)) && !Ignored(f)) return true;
  }
  return false;
}

void DetectNode(const RepoSnapshot& repo, const std::set<std::string>& files,
                const std::string& dir, std::vector<Toolchain>& out) {
  Toolchain t;
  t.dir = dir;
  if (HasFile(files, dir, "pnpm-lock.yaml")) {
    t.kind = "pnpm";
    t.setup.push_back({"pnpm", "install", "--frozen-lockfile"});
  } else if (HasFile(files, dir, "yarn.lock")) {
    t.kind = "yarn";
    t.setup.push_back({"yarn", "install", "--frozen-lockfile"});
  } else {
    t.kind = "npm";
    t.setup.push_back(HasFile(files, dir, "package-lock.json") ? Argv{"npm", "ci"}
                                                               : Argv{"npm", "install"});
  }
  t.caches.push_back(
      {Join(dir, "node_modules"), Join(dir, t.kind == "pnpm"   ? "pnpm-lock.yaml"
                                            : t.kind == "yarn" ? "yarn.lock"
                                                               : "package-lock.json")});
  const std::string runner = t.kind;
  if (const auto* text = Content(repo, Join(dir, "package.json"))) {
    auto json = ParseJson(*text);
    if (json.ok() && json->is_object() && json->contains("scripts") &&
        (*json)["scripts"].is_object()) {
      const auto& scripts = (*json)["scripts"];
      for (const char* s : {"lint", "build"})
        if (scripts.contains(s)) t.build.push_back({runner, "run", s});
      // npm's default "test" script fails on purpose; it is not a test command.
      if (scripts.contains("test") && scripts["test"].is_string() &&
          scripts["test"].get<std::string>().find("no test specified") == std::string::npos)
        t.test.push_back({runner, "test"});
    }
  }
  out.push_back(std::move(t));
}

void DetectPython(const RepoSnapshot& repo, const std::vector<std::string>& all,
                  const std::set<std::string>& files, const std::string& dir,
                  std::vector<Toolchain>& out) {
  Toolchain t;
  t.dir = dir;
  std::string deps_text;
  const std::string* pyproject = Content(repo, Join(dir, "pyproject.toml"));
  if (pyproject) deps_text += *pyproject;
  if (HasFile(files, dir, "poetry.lock") ||
      (pyproject && pyproject->find("[tool.poetry]") != std::string::npos)) {
    t.kind = "poetry";
    t.setup.push_back({"poetry", "install", "--no-interaction"});
    t.caches.push_back({"~/.cache/pypoetry", Join(dir, "poetry.lock")});
  } else {
    t.kind = "pip";
    if (HasFile(files, dir, "requirements.txt")) {
      t.setup.push_back({"python3", "-m", "pip", "install", "-r", "requirements.txt"});
      t.caches.push_back({"~/.cache/pip", Join(dir, "requirements.txt")});
      if (const auto* r = Content(repo, Join(dir, "requirements.txt"))) deps_text += *r;
    } else if (pyproject) {
      t.setup.push_back({"python3", "-m", "pip", "install", "."});
      t.caches.push_back({"~/.cache/pip", Join(dir, "pyproject.toml")});
    }
  }
  bool pytest = deps_text.find("pytest") != std::string::npos ||
                HasFile(files, dir, "pytest.ini") || HasFile(files, dir, "conftest.py") ||
                HasFile(files, dir, "tox.ini");
  bool has_tests = AnyFileUnder(all, dir, [](std::string_view b) {
    return (b.rfind("test_", 0) == 0 && EndsWith(b, ".py")) || EndsWith(b, "_test.py");
  });
  Argv prefix = t.kind == "poetry" ? Argv{"poetry", "run", "python"} : Argv{"python3"};
  if (pytest) {
    Argv a = prefix;
    a.insert(a.end(), {"-m", "pytest"});
    t.test.push_back(a);
  } else if (has_tests) {
    Argv a = prefix;
    a.insert(a.end(), {"-m", "unittest", "discover", "-v"});
    // unittest discovers test*.py from the start directory; a tests/ folder is common.
    if (HasFile(files, dir, "tests/__init__.py") ||
        AnyFileUnder(all, Join(dir, "tests"),
                     [](std::string_view b) { return EndsWith(b, ".py"); }))
      a.insert(a.end(), {"-s", "tests", "-t", "."});
    t.test.push_back(a);
  }
  out.push_back(std::move(t));
}

}  // namespace

std::vector<std::string> FilesWorthReading(const std::vector<std::string>& files) {
  static const std::set<std::string, std::less<>> kNames = {
      "package.json",     "CMakeLists.txt", "Makefile",   "GNUmakefile", "pyproject.toml",
      "requirements.txt", "setup.cfg",      "Chart.yaml", "go.mod",      "Cargo.toml"};
  std::vector<std::string> out;
  for (const auto& f : files)
    if (!Ignored(f) && Depth(f) <= 3 && kNames.count(BaseName(f))) out.push_back(f);
  return out;
}

RepoProfile DetectRepository(const RepoSnapshot& repo) {
  RepoProfile profile;
  std::set<std::string> files;
  for (const auto& f : repo.files)
    if (!Ignored(f)) files.insert(f);
  std::set<std::string> languages;
  auto ext_present = [&](std::string_view ext) {
    return std::any_of(files.begin(), files.end(),
                       [&](const std::string& f) { return EndsWith(f, ext); });
  };
  if (ext_present(".cc") || ext_present(".cpp") || ext_present(".cxx")) languages.insert("c++");
  if (ext_present(".c")) languages.insert("c");
  if (ext_present(".ts") || ext_present(".tsx")) languages.insert("typescript");
  if (ext_present(".js") || ext_present(".mjs")) languages.insert("javascript");
  if (ext_present(".py")) languages.insert("python");
  if (ext_present(".go")) languages.insert("go");
  if (ext_present(".rs")) languages.insert("rust");
  if (ext_present(".java")) languages.insert("java");
  if (ext_present(".kt")) languages.insert("kotlin");
  if (ext_present(".tf")) languages.insert("hcl");

  // Project roots: the shallowest manifest of each kind per directory; a CMake project in a
  // subdirectory of another CMake project is part of it.
  std::set<std::string> cmake_dirs, python_dirs, helm_dirs, tf_dirs;
  std::vector<Toolchain>& out = profile.toolchains;
  for (const auto& f : files) {
    if (Depth(f) > 3) continue;
    std::string_view base = BaseName(f);
    std::string dir = DirName(f);
    if (base == "CMakeLists.txt") {
      bool nested = std::any_of(cmake_dirs.begin(), cmake_dirs.end(), [&](const std::string& d) {
        return d.empty() || dir.rfind(d + "/", 0) == 0;
      });
      if (!nested && (dir.empty() || !files.count("CMakeLists.txt"))) cmake_dirs.insert(dir);
    } else if (base == "package.json") {
      DetectNode(repo, files, dir, out);
    } else if (base == "go.mod") {
      Toolchain t{"go",
                  dir,
                  {{"go", "mod", "download"}},
                  {{"go", "build", "./..."}},
                  {{"go", "test", "./..."}},
                  {{"~/go/pkg/mod", Join(dir, "go.sum")}},
                  false};
      out.push_back(std::move(t));
    } else if (base == "Cargo.toml") {
      bool nested = false;
      for (const auto& t : out)
        if (t.kind == "cargo" && (t.dir.empty() || dir.rfind(t.dir + "/", 0) == 0)) nested = true;
      if (!nested)
        out.push_back({"cargo",
                       dir,
                       {},
                       {{"cargo", "build", "--locked"}},
                       {{"cargo", "test", "--locked"}},
                       {{"~/.cargo/registry", Join(dir, "Cargo.lock")},
                        {Join(dir, "target"), Join(dir, "Cargo.lock")}},
                       false});
    } else if (base == "pom.xml") {
      out.push_back({"maven",
                     dir,
                     {},
                     {{"mvn", "-B", "-DskipTests", "package"}},
                     {{"mvn", "-B", "test"}},
                     {{"~/.m2/repository", Join(dir, "pom.xml")}},
                     false});
    } else if (base == "build.gradle" || base == "build.gradle.kts") {
      std::string gradle = HasFile(files, dir, "gradlew") ? "./gradlew" : "gradle";
      out.push_back({"gradle",
                     dir,
                     {},
                     {{gradle, "assemble"}},
                     {{gradle, "test"}},
                     {{"~/.gradle/caches", Join(dir, std::string(base))}},
                     false});
    } else if (base == "pyproject.toml" || base == "requirements.txt" || base == "setup.py") {
      python_dirs.insert(dir);
    } else if (base == "Dockerfile") {
      Argv build{"docker",
                 "build",
                 "-f",
                 f,
                 "-t",
                 dir.empty() ? "app:ci" : std::string(BaseName(dir)) + ":ci",
                 dir.empty() ? "." : dir};
      out.push_back({"docker", "", {}, {build}, {}, {}, true});
    } else if (base == "Chart.yaml") {
      helm_dirs.insert(dir);
    } else if (EndsWith(base, ".tf")) {
      tf_dirs.insert(dir);
    }
  }
  for (const auto& dir : cmake_dirs) {
    Toolchain t{
        "cmake", dir, {},   {{"cmake", "-S", ".", "-B", "build"}, {"cmake", "--build", "build"}},
        {},      {},  false};
    const std::string* text = Content(repo, Join(dir, "CMakeLists.txt"));
    if (!text || text->find("enable_testing") != std::string::npos ||
        text->find("add_test") != std::string::npos ||
        text->find("include(CTest)") != std::string::npos)
      t.test.push_back({"ctest", "--test-dir", "build", "--output-on-failure"});
    out.push_back(std::move(t));
  }
  // A Makefile drives the build only when no other build system sits in the same directory.
  for (const auto& f : files) {
    std::string_view base = BaseName(f);
    if (Depth(f) > 2 || (base != "Makefile" && base != "GNUmakefile")) continue;
    std::string dir = DirName(f);
    bool other = std::any_of(out.begin(), out.end(),
                             [&](const Toolchain& t) { return t.dir == dir && !t.deploy; }) ||
                 cmake_dirs.count(dir);
    if (other) continue;
    Toolchain t{"make", dir, {}, {{"make"}}, {}, {}, false};
    if (const auto* text = Content(repo, f)) {
      for (const char* target : {"\ntest:", "\ncheck:"}) {
        std::string hay = "\n" + *text;
        if (hay.find(target) != std::string::npos) {
          t.test.push_back(
              {"make", std::string(target + 1, std::char_traits<char>::length(target) - 2)});
          break;
        }
      }
    }
    out.push_back(std::move(t));
  }
  for (const auto& dir : python_dirs) DetectPython(repo, repo.files, files, dir, out);
  for (const auto& dir : helm_dirs)
    out.push_back({"helm", dir, {}, {{"helm", "lint", dir.empty() ? "." : dir}}, {}, {}, true});
  for (const auto& dir : tf_dirs) {
    bool nested = std::any_of(tf_dirs.begin(), tf_dirs.end(), [&](const std::string& d) {
      return d != dir && (d.empty() ? false : dir.rfind(d + "/", 0) == 0);
    });
    if (nested) continue;
    out.push_back({"terraform",
                   dir,
                   {{"terraform", "init", "-backend=false", "-input=false"}},
                   {{"terraform", "validate"}},
                   {},
                   {{Join(dir, ".terraform"), Join(dir, ".terraform.lock.hcl")}},
                   true});
  }
  std::stable_sort(out.begin(), out.end(), [](const Toolchain& a, const Toolchain& b) {
    if (a.deploy != b.deploy) return !a.deploy;
    return a.dir < b.dir;
  });
  profile.languages.assign(languages.begin(), languages.end());
  return profile;
}

Result<Pipeline> GeneratePipeline(const RepoProfile& profile, std::string_view name) {
  if (profile.toolchains.empty())
    return Status::InvalidArgument(
        "no build system detected (looked for CMake, Make, npm/yarn/pnpm, Go, Cargo, Maven, "
        "Gradle, "
        "Python, Dockerfile, Helm, Terraform)");
  Pipeline p;
  p.name = std::string(name.empty() ? "ci" : name);
  std::set<std::string> ids;
  std::vector<std::string> build_jobs;
  for (const auto& t : profile.toolchains) {
    Job job;
    std::string base = t.kind;
    if (!t.dir.empty()) {
      std::string slug;
      for (char c : t.dir)
        slug +=
            std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
      base += "-" + slug;
    }
    job.id = base;
    for (int n = 2; ids.count(job.id); ++n) job.id = base + "-" + std::to_string(n);
    ids.insert(job.id);
    job.name = t.kind + (t.dir.empty() ? "" : " (" + t.dir + ")");
    job.caches = t.caches;
    auto add = [&](const std::vector<Argv>& cmds, std::string_view phase) {
      for (const auto& argv : cmds) {
        Step s;
        s.name = std::string(phase) + ": " + ShellQuote(argv);
        s.argv = argv;
        if (!t.dir.empty() && t.kind != "docker" && t.kind != "helm") s.working_directory = t.dir;
        job.steps.push_back(std::move(s));
      }
    };
    add(t.setup, "setup");
    add(t.build, t.deploy ? "deploy" : "build");
    add(t.test, "test");
    if (job.steps.empty()) continue;
    if (t.deploy) {
      job.needs = build_jobs;
    } else {
      build_jobs.push_back(job.id);
    }
    static const std::map<std::string, std::string> kImages = {
        {"cmake", "gcc:12"},          {"make", "gcc:12"},
        {"npm", "node:20"},           {"yarn", "node:20"},
        {"pnpm", "node:20"},          {"go", "golang:1.22"},
        {"cargo", "rust:1"},          {"maven", "maven:3-eclipse-temurin-17"},
        {"gradle", "gradle:8-jdk17"}, {"pip", "python:3.11"},
        {"poetry", "python:3.11"},    {"docker", "docker:24"},
        {"helm", "alpine/helm:3"},    {"terraform", "hashicorp/terraform:1.6"}};
    job.image = kImages.at(t.kind);
    p.jobs.push_back(std::move(job));
  }
  if (p.jobs.empty()) return Status::InvalidArgument("detected build systems have no commands");
  DAI_RETURN_IF_ERROR(ValidatePipeline(p));
  return p;
}

Result<std::vector<std::string>> TopologicalOrder(const Pipeline& pipeline) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < pipeline.jobs.size(); ++i) index[pipeline.jobs[i].id] = i;
  std::vector<int> state(pipeline.jobs.size(), 0);  // 0 new, 1 on stack, 2 done
  std::vector<std::string> order, stack;
  std::string cycle;
  std::function<bool(size_t)> visit = [&](size_t i) -> bool {
    if (state[i] == 2) return true;
    if (state[i] == 1) {
      auto from = std::find(stack.begin(), stack.end(), pipeline.jobs[i].id);
      for (auto it = from; it != stack.end(); ++it) cycle += *it + " -> ";
      cycle += pipeline.jobs[i].id;
      return false;
    }
    state[i] = 1;
    stack.push_back(pipeline.jobs[i].id);
    for (const auto& need : pipeline.jobs[i].needs) {
      auto it = index.find(need);
      if (it != index.end() && !visit(it->second)) return false;
    }
    stack.pop_back();
    state[i] = 2;
    order.push_back(pipeline.jobs[i].id);
    return true;
  };
  for (size_t i = 0; i < pipeline.jobs.size(); ++i)
    if (!visit(i)) return Status::InvalidArgument("cycle in the job graph: " + cycle);
  return order;
}

Status ValidatePipeline(const Pipeline& pipeline, bool runnable) {
  if (pipeline.jobs.empty()) return Status::InvalidArgument("pipeline has no jobs");
  std::set<std::string> ids;
  for (const auto& job : pipeline.jobs) {
    if (job.id.empty()) return Status::InvalidArgument("a job has an empty id");
    if (!ids.insert(job.id).second)
      return Status::InvalidArgument("duplicate job id '" + job.id + "'");
  }
  for (const auto& job : pipeline.jobs) {
    for (const auto& need : job.needs)
      if (!ids.count(need))
        return Status::InvalidArgument("job '" + job.id + "' needs '" + need +
                                       "', which is not a job");
    if (!runnable) continue;
    if (job.steps.empty()) return Status::InvalidArgument("job '" + job.id + "' has no steps");
    for (size_t i = 0; i < job.steps.size(); ++i) {
      const auto& s = job.steps[i];
      std::string where = "job '" + job.id + "' step " + std::to_string(i + 1);
      if (s.argv.empty() && s.uses.empty() && s.run.empty())
        return Status::InvalidArgument(where + " has no command (argv, run or uses)");
      for (const auto& a : s.argv)
        if (a.find('\0') != std::string::npos)
          return Status::InvalidArgument(where + " has an argument containing a NUL byte");
      if (!s.argv.empty() && s.argv[0].empty())
        return Status::InvalidArgument(where + " has an empty program name");
      if (s.timeout_seconds < 0) return Status::InvalidArgument(where + " has a negative timeout");
    }
  }
  auto order = TopologicalOrder(pipeline);
  return order.ok() ? Status::Ok() : order.status();
}

std::string StepLabel(const Step& step) {
  if (!step.name.empty()) return step.name;
  return step.uses.empty() ? ShellQuote(step.argv) : step.uses;
}

Result<std::optional<RunStep>> StepAfter(const Pipeline& pipeline, size_t recorded) {
  DAI_ASSIGN_OR_RETURN(auto order, TopologicalOrder(pipeline));
  size_t index = 0;
  for (const auto& id : order) {
    for (const auto& job : pipeline.jobs) {
      if (job.id != id) continue;
      for (const auto& step : job.steps) {
        if (index++ == recorded) return std::optional<RunStep>(RunStep{job.id, StepLabel(step)});
      }
      break;
    }
  }
  return std::optional<RunStep>();
}

std::string ShellQuote(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && std::all_of(a.begin(), a.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) ||
             std::string_view("-_./=:,+@%~").find(c) != std::string_view::npos;
    });
    if (plain && a[0] != '~') {
      out += a;
    } else {
      out += '\'';
      for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

namespace {

std::string StepCommand(const Step& s) { return s.argv.empty() ? s.run : ShellQuote(s.argv); }

std::string SetupAction(const Job& job, std::map<std::string, std::string>& with) {
  const std::string& image = job.image;
  if (image.rfind("node:", 0) == 0) {
    with["node-version"] = "20";
    return "actions/setup-node@v4";
  }
  if (image.rfind("python:", 0) == 0) {
    with["python-version"] = "3.11";
    return "actions/setup-python@v5";
  }
  if (image.rfind("golang:", 0) == 0) {
    with["go-version"] = "1.22";
    return "actions/setup-go@v5";
  }
  if (image.rfind("maven:", 0) == 0 || image.rfind("gradle:", 0) == 0) {
    with["distribution"] = "temurin";
    with["java-version"] = "17";
    return "actions/setup-java@v4";
  }
  return "";
}

}  // namespace

std::string ToGithubActionsYaml(const Pipeline& p) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "name" << YAML::Value << p.name;
  // Quoted: YAML 1.1 readers (PyYAML) would read a bare on as the boolean true.
  e << YAML::Key << YAML::DoubleQuoted << "on" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "push" << YAML::Value << YAML::BeginMap << YAML::Key << "branches"
    << YAML::Value << YAML::Flow << p.branches << YAML::EndMap;
  e << YAML::Key << "pull_request" << YAML::Value << YAML::BeginMap << YAML::Key << "branches"
    << YAML::Value << YAML::Flow << p.branches << YAML::EndMap;
  e << YAML::EndMap;
  e << YAML::Key << "permissions" << YAML::Value << YAML::BeginMap << YAML::Key << "contents"
    << YAML::Value << "read" << YAML::EndMap;
  e << YAML::Key << "jobs" << YAML::Value << YAML::BeginMap;
  for (const auto& job : p.jobs) {
    e << YAML::Key << job.id << YAML::Value << YAML::BeginMap;
    if (!job.name.empty()) e << YAML::Key << "name" << YAML::Value << job.name;
    if (!job.needs.empty()) e << YAML::Key << "needs" << YAML::Value << YAML::Flow << job.needs;
    e << YAML::Key << "runs-on" << YAML::Value << job.runs_on;
    e << YAML::Key << "timeout-minutes" << YAML::Value << job.timeout_minutes;
    e << YAML::Key << "steps" << YAML::Value << YAML::BeginSeq;
    e << YAML::BeginMap << YAML::Key << "uses" << YAML::Value << "actions/checkout@v4"
      << YAML::EndMap;
    std::map<std::string, std::string> with;
    std::string setup = SetupAction(job, with);
    if (!setup.empty()) {
      e << YAML::BeginMap << YAML::Key << "uses" << YAML::Value << setup;
      e << YAML::Key << "with" << YAML::Value << YAML::BeginMap;
      for (const auto& [k, v] : with) e << YAML::Key << k << YAML::Value << v;
      e << YAML::EndMap << YAML::EndMap;
    }
    if (!job.caches.empty()) {
      std::vector<std::string> paths, keys;
      for (const auto& c : job.caches) {
        if (std::find(paths.begin(), paths.end(), c.path) == paths.end()) paths.push_back(c.path);
        if (!c.key.empty() && std::find(keys.begin(), keys.end(), c.key) == keys.end())
          keys.push_back(c.key);
      }
      std::string path_text, key_text = "${{ runner.os }}-" + job.id + "-${{ hashFiles(";
      for (size_t i = 0; i < paths.size(); ++i) path_text += (i ? "\n" : "") + paths[i];
      for (size_t i = 0; i < keys.size(); ++i) key_text += (i ? ", '" : "'") + keys[i] + "'";
      key_text += ") }}";
      e << YAML::BeginMap << YAML::Key << "uses" << YAML::Value << "actions/cache@v4";
      e << YAML::Key << "with" << YAML::Value << YAML::BeginMap;
      e << YAML::Key << "path" << YAML::Value << path_text;
      e << YAML::Key << "key" << YAML::Value << key_text;
      e << YAML::EndMap << YAML::EndMap;
    }
    for (const auto& s : job.steps) {
      e << YAML::BeginMap;
      if (!s.name.empty()) e << YAML::Key << "name" << YAML::Value << s.name;
      if (!s.uses.empty()) {
        e << YAML::Key << "uses" << YAML::Value << s.uses;
        if (!s.with.empty()) {
          e << YAML::Key << "with" << YAML::Value << YAML::BeginMap;
          for (const auto& [k, v] : s.with) e << YAML::Key << k << YAML::Value << v;
          e << YAML::EndMap;
        }
      } else {
        e << YAML::Key << "run" << YAML::Value << StepCommand(s);
      }
      if (!s.working_directory.empty())
        e << YAML::Key << "working-directory" << YAML::Value << s.working_directory;
      if (!s.env.empty()) {
        e << YAML::Key << "env" << YAML::Value << YAML::BeginMap;
        for (const auto& [k, v] : s.env) e << YAML::Key << k << YAML::Value << v;
        e << YAML::EndMap;
      }
      if (s.timeout_seconds > 0)
        e << YAML::Key << "timeout-minutes" << YAML::Value
          << std::max(1, (s.timeout_seconds + 59) / 60);
      e << YAML::EndMap;
    }
    e << YAML::EndSeq << YAML::EndMap;
  }
  e << YAML::EndMap << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

std::string ToGitlabCiYaml(const Pipeline& p) {
  // Stages are the DAG's levels; `needs` keeps the exact edges.
  std::map<std::string, int> level;
  auto order = TopologicalOrder(p);
  std::map<std::string, const Job*> by_id;
  for (const auto& j : p.jobs) by_id[j.id] = &j;
  int max_level = 0;
  if (order.ok()) {
    for (const auto& id : *order) {
      int l = 0;
      for (const auto& n : by_id[id]->needs) l = std::max(l, level[n] + 1);
      level[id] = l;
      max_level = std::max(max_level, l);
    }
  }
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "stages" << YAML::Value << YAML::BeginSeq;
  for (int l = 0; l <= max_level; ++l) e << ("stage-" + std::to_string(l + 1));
  e << YAML::EndSeq;
  for (const auto& job : p.jobs) {
    e << YAML::Key << job.id << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "stage" << YAML::Value << ("stage-" + std::to_string(level[job.id] + 1));
    if (!job.image.empty()) e << YAML::Key << "image" << YAML::Value << job.image;
    e << YAML::Key << "needs" << YAML::Value << YAML::Flow << job.needs;
    if (!job.caches.empty()) {
      e << YAML::Key << "cache" << YAML::Value << YAML::BeginMap;
      std::vector<std::string> keys, paths;
      for (const auto& c : job.caches) {
        if (!c.key.empty() && std::find(keys.begin(), keys.end(), c.key) == keys.end())
          keys.push_back(c.key);
        // GitLab caches only paths inside the project directory.
        if (c.path.rfind("~", 0) != 0) paths.push_back(c.path);
      }
      if (!keys.empty()) {
        e << YAML::Key << "key" << YAML::Value << YAML::BeginMap << YAML::Key << "files"
          << YAML::Value << YAML::Flow
          << std::vector<std::string>(keys.begin(), keys.begin() + std::min<size_t>(2, keys.size()))
          << YAML::EndMap;
      }
      e << YAML::Key << "paths" << YAML::Value << YAML::Flow << paths;
      e << YAML::EndMap;
    }
    e << YAML::Key << "timeout" << YAML::Value << (std::to_string(job.timeout_minutes) + "m");
    e << YAML::Key << "script" << YAML::Value << YAML::BeginSeq;
    for (const auto& s : job.steps) {
      if (!s.uses.empty()) continue;  // GitHub actions have no GitLab equivalent
      std::string cmd = StepCommand(s);
      if (!s.working_directory.empty())
        cmd = "(cd " + ShellQuote({s.working_directory}) + " && " + cmd + ")";
      e << cmd;
    }
    e << YAML::EndSeq << YAML::EndMap;
  }
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

namespace {

// A one-line script is turned into argv only when it has no shell syntax at all.
std::vector<std::string> PlainArgv(const std::string& script) {
  std::string s = script;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.empty() || s.find_first_of("\n|&;<>()$`\\\"'*?[]#~=%{}!") != std::string::npos) return {};
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::map<std::string, std::string> ScalarMap(const YAML::Node& n) {
  std::map<std::string, std::string> out;
  if (!n || !n.IsMap()) return out;
  for (const auto& kv : n)
    if (kv.second.IsScalar()) out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  return out;
}

}  // namespace

Result<Pipeline> ParseGithubWorkflow(std::string_view yaml_text) {
  DAI_RETURN_IF_ERROR(CheckYamlInput(yaml_text, "workflow"));
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& ex) {
    return Status::ParseError("invalid YAML at line " + std::to_string(ex.mark.line + 1) + ": " +
                              ex.msg);
  }
  try {
    if (!root.IsMap()) return Status::InvalidArgument("workflow: the document is not a mapping");
    Pipeline p;
    p.branches.clear();
    if (root["name"] && root["name"].IsScalar()) p.name = root["name"].as<std::string>();
    YAML::Node jobs = root["jobs"];
    if (!jobs || !jobs.IsMap() || jobs.size() == 0)
      return Status::InvalidArgument("workflow: 'jobs' is missing or not a non-empty mapping");
    for (const auto& kv : jobs) {
      Job job;
      job.id = kv.first.as<std::string>();
      const YAML::Node& j = kv.second;
      if (!j.IsMap()) return Status::InvalidArgument("job '" + job.id + "' is not a mapping");
      if (j["name"] && j["name"].IsScalar()) job.name = j["name"].as<std::string>();
      if (j["runs-on"] && j["runs-on"].IsScalar()) job.runs_on = j["runs-on"].as<std::string>();
      if (j["timeout-minutes"] && j["timeout-minutes"].IsScalar()) {
        try {
          job.timeout_minutes = j["timeout-minutes"].as<int>();
        } catch (const YAML::Exception&) {
          job.timeout_minutes = 0;  // an expression: decided at run time
        }
      }
      if (YAML::Node needs = j["needs"]) {
        if (needs.IsScalar()) {
          job.needs.push_back(needs.as<std::string>());
        } else if (needs.IsSequence()) {
          for (const auto& n : needs) {
            if (!n.IsScalar())
              return Status::InvalidArgument("job '" + job.id + "': 'needs' holds a non-string");
            job.needs.push_back(n.as<std::string>());
          }
        } else {
          return Status::InvalidArgument("job '" + job.id +
                                         "': 'needs' must be a string or a list");
        }
      }
      if (j["uses"]) {
        // A reusable-workflow call: one step standing for the called workflow.
        Step s;
        s.name = "call " +
                 (j["uses"].IsScalar() ? j["uses"].as<std::string>() : std::string("workflow"));
        s.uses = j["uses"].IsScalar() ? j["uses"].as<std::string>() : "";
        if (s.uses.empty())
          return Status::InvalidArgument("job '" + job.id + "': 'uses' must be a string");
        job.steps.push_back(std::move(s));
      } else {
        // A job without steps is valid YAML for GitHub (the schema allows it); it just does
        // nothing runnable here.
        YAML::Node steps = j["steps"];
        if (steps && !steps.IsSequence())
          return Status::InvalidArgument("job '" + job.id + "': 'steps' must be a list");
        int index = 0;
        for (const auto& sn : steps ? steps : YAML::Node(YAML::NodeType::Sequence)) {
          ++index;
          std::string where = "job '" + job.id + "' step " + std::to_string(index);
          if (!sn.IsMap()) return Status::InvalidArgument(where + " is not a mapping");
          Step s;
          if (sn["name"] && sn["name"].IsScalar()) s.name = sn["name"].as<std::string>();
          bool has_uses = sn["uses"] && sn["uses"].IsScalar(),
               has_run = sn["run"] && sn["run"].IsScalar();
          if (has_uses) s.uses = sn["uses"].as<std::string>();
          if (has_run) s.run = sn["run"].as<std::string>();
          // Control steps of parallel steps (wait, wait-all, cancel, parallel) carry no command.
          bool control = sn["wait"] || sn["wait-all"] || sn["cancel"] || sn["parallel"];
          if (!has_uses && !has_run && !control)
            return Status::InvalidArgument(where + " has neither 'run' nor 'uses'");
          if (control && s.name.empty())
            s.name = sn["wait"]       ? "wait"
                     : sn["wait-all"] ? "wait-all"
                     : sn["cancel"]   ? "cancel"
                                      : "parallel";
          if (has_uses && has_run)
            return Status::InvalidArgument(where + " has both 'run' and 'uses'");
          s.with = ScalarMap(sn["with"]);
          s.env = ScalarMap(sn["env"]);
          if (sn["working-directory"] && sn["working-directory"].IsScalar())
            s.working_directory = sn["working-directory"].as<std::string>();
          if (!s.run.empty()) s.argv = PlainArgv(s.run);
          job.steps.push_back(std::move(s));
        }
      }
      p.jobs.push_back(std::move(job));
    }
    DAI_RETURN_IF_ERROR(ValidatePipeline(p, /*runnable=*/false));
    return p;
  } catch (const YAML::Exception& ex) {
    return Status::InvalidArgument(std::string("workflow: unexpected structure: ") + ex.msg);
  }
}

Json PipelineToJson(const Pipeline& p) {
  Json jobs = Json::array();
  for (const auto& job : p.jobs) {
    Json steps = Json::array();
    for (const auto& s : job.steps) {
      Json js = {{"name", s.name}};
      if (!s.argv.empty()) js["argv"] = s.argv;
      if (!s.uses.empty()) js["uses"] = s.uses;
      if (!s.run.empty()) js["run"] = s.run;
      if (!s.with.empty()) js["with"] = s.with;
      if (!s.env.empty()) js["env"] = s.env;
      if (!s.working_directory.empty()) js["workingDirectory"] = s.working_directory;
      if (s.timeout_seconds > 0) js["timeoutSeconds"] = s.timeout_seconds;
      steps.push_back(std::move(js));
    }
    Json caches = Json::array();
    for (const auto& c : job.caches) caches.push_back({{"path", c.path}, {"key", c.key}});
    jobs.push_back({{"id", job.id},
                    {"name", job.name},
                    {"needs", job.needs},
                    {"runsOn", job.runs_on},
                    {"image", job.image},
                    {"timeoutMinutes", job.timeout_minutes},
                    {"steps", steps},
                    {"caches", caches}});
  }
  return {{"name", p.name}, {"branches", p.branches}, {"jobs", jobs}};
}

Result<Pipeline> PipelineFromJson(const Json& j) {
  auto str = [](const Json& o, const char* key, std::string& out) -> bool {
    if (!o.contains(key)) return true;
    if (!o[key].is_string()) return false;
    out = o[key].get<std::string>();
    return true;
  };
  auto strings = [](const Json& o, const char* key, std::vector<std::string>& out) -> bool {
    if (!o.contains(key)) return true;
    if (!o[key].is_array()) return false;
    out.clear();
    for (const auto& v : o[key]) {
      if (!v.is_string()) return false;
      out.push_back(v.get<std::string>());
    }
    return true;
  };
  auto string_map = [](const Json& o, const char* key,
                       std::map<std::string, std::string>& out) -> bool {
    if (!o.contains(key)) return true;
    if (!o[key].is_object()) return false;
    for (const auto& [k, v] : o[key].items()) {
      if (!v.is_string()) return false;
      out[k] = v.get<std::string>();
    }
    return true;
  };
  if (!j.is_object()) return Status::InvalidArgument("definition: must be an object");
  Pipeline p;
  if (!str(j, "name", p.name)) return Status::InvalidArgument("definition.name: must be a string");
  if (!strings(j, "branches", p.branches))
    return Status::InvalidArgument("definition.branches: must be a list of strings");
  if (!j.contains("jobs") || !j["jobs"].is_array())
    return Status::InvalidArgument("definition.jobs: must be a list");
  for (size_t i = 0; i < j["jobs"].size(); ++i) {
    const Json& jj = j["jobs"][i];
    std::string where = "definition.jobs[" + std::to_string(i) + "]";
    if (!jj.is_object()) return Status::InvalidArgument(where + ": must be an object");
    Job job;
    if (!str(jj, "id", job.id)) return Status::InvalidArgument(where + ".id: must be a string");
    if (!str(jj, "name", job.name))
      return Status::InvalidArgument(where + ".name: must be a string");
    if (!strings(jj, "needs", job.needs))
      return Status::InvalidArgument(where + ".needs: must be a list of strings");
    if (!str(jj, "runsOn", job.runs_on))
      return Status::InvalidArgument(where + ".runsOn: must be a string");
    if (!str(jj, "image", job.image))
      return Status::InvalidArgument(where + ".image: must be a string");
    if (jj.contains("timeoutMinutes")) {
      if (!jj["timeoutMinutes"].is_number_integer() || jj["timeoutMinutes"].get<int64_t>() < 1 ||
          jj["timeoutMinutes"].get<int64_t>() > 24 * 60)
        return Status::InvalidArgument(where + ".timeoutMinutes: must be an integer in 1..1440");
      job.timeout_minutes = jj["timeoutMinutes"].get<int>();
    }
    if (jj.contains("caches")) {
      if (!jj["caches"].is_array())
        return Status::InvalidArgument(where + ".caches: must be a list");
      for (const auto& c : jj["caches"]) {
        Cache cache;
        if (!c.is_object() || !str(c, "path", cache.path) || !str(c, "key", cache.key))
          return Status::InvalidArgument(where + ".caches: entries need string path and key");
        job.caches.push_back(cache);
      }
    }
    if (!jj.contains("steps") || !jj["steps"].is_array())
      return Status::InvalidArgument(where + ".steps: must be a list");
    for (size_t k = 0; k < jj["steps"].size(); ++k) {
      const Json& js = jj["steps"][k];
      std::string sw = where + ".steps[" + std::to_string(k) + "]";
      if (!js.is_object()) return Status::InvalidArgument(sw + ": must be an object");
      Step s;
      if (!str(js, "name", s.name) || !str(js, "uses", s.uses) || !str(js, "run", s.run) ||
          !str(js, "workingDirectory", s.working_directory))
        return Status::InvalidArgument(sw +
                                       ": name, uses, run and workingDirectory must be strings");
      if (!strings(js, "argv", s.argv))
        return Status::InvalidArgument(sw + ".argv: must be a list of strings");
      if (!string_map(js, "with", s.with) || !string_map(js, "env", s.env))
        return Status::InvalidArgument(sw + ": with and env must map strings to strings");
      if (js.contains("timeoutSeconds")) {
        if (!js["timeoutSeconds"].is_number_integer() || js["timeoutSeconds"].get<int64_t>() < 1 ||
            js["timeoutSeconds"].get<int64_t>() > 24 * 3600)
          return Status::InvalidArgument(sw + ".timeoutSeconds: must be an integer in 1..86400");
        s.timeout_seconds = js["timeoutSeconds"].get<int>();
      }
      job.steps.push_back(std::move(s));
    }
    p.jobs.push_back(std::move(job));
  }
  DAI_RETURN_IF_ERROR(ValidatePipeline(p));
  return p;
}

Status CheckRefinement(const Pipeline& generated, const Pipeline& suggested) {
  DAI_RETURN_IF_ERROR(ValidatePipeline(suggested, true).WithContext("the suggestion"));
  std::set<std::vector<std::string>> commands;
  std::set<std::pair<std::string, std::map<std::string, std::string>>> actions;
  std::set<std::pair<std::string, std::string>> env;
  std::set<std::string> dirs, images;
  std::set<std::pair<std::string, std::string>> caches;
  for (const auto& job : generated.jobs) {
    images.insert(job.image);
    for (const auto& c : job.caches) caches.insert({c.path, c.key});
    for (const auto& step : job.steps) {
      if (!step.argv.empty()) commands.insert(step.argv);
      if (!step.uses.empty()) actions.insert({step.uses, step.with});
      for (const auto& kv : step.env) env.insert(kv);
      dirs.insert(step.working_directory);
    }
  }
  for (const auto& job : suggested.jobs) {
    const std::string where = "job " + job.id;
    if (!images.count(job.image))
      return Status::InvalidArgument(where + ": image \"" + job.image + "\" is new");
    for (const auto& c : job.caches) {
      if (!caches.count({c.path, c.key}))
        return Status::InvalidArgument(where + ": cache " + c.path + " is new");
    }
    for (size_t step_idx = 0; step_idx < job.steps.size(); ++step_idx) {
      const Step& step = job.steps[step_idx];
      const std::string at = where + " step " + std::to_string(step_idx + 1) +
                             (step.name.empty() ? "" : " (" + step.name + ")");
      if (!step.run.empty()) return Status::InvalidArgument(at + ": a script (run) is new");
      if (!step.argv.empty() && !commands.count(step.argv))
        return Status::InvalidArgument(at + ": the command " + ShellQuote(step.argv) +
                                       " is not one the generated pipeline runs");
      if (!step.uses.empty() && !actions.count({step.uses, step.with}))
        return Status::InvalidArgument(at + ": the action " + step.uses + " is new");
      for (const auto& kv : step.env) {
        if (!env.count(kv))
          return Status::InvalidArgument(at + ": the environment variable " + kv.first + " is new");
      }
      if (!dirs.count(step.working_directory))
        return Status::InvalidArgument(at + ": the working directory " + step.working_directory +
                                       " is new");
    }
  }
  return Status::Ok();
}

}  // namespace dai::cicd
