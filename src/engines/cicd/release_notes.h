// Release notes from git history: Conventional Commits (type(scope)!: subject, BREAKING CHANGE
// footers) grouped into breaking changes, features, fixes and others, with PR/issue references
// and authors, rendered as Markdown. Also pipeline optimizations derived from run history.
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engines/cicd/pipeline.h"
#include "engines/cicd/test_intel.h"

namespace dai::cicd {

struct CommitInfo {
  std::string sha;
  std::string author;
  std::string message;  //!< full message: subject line, blank line, body
};

struct ParsedCommit {
  std::string sha, author, type, scope, subject;
  bool breaking = false;
  bool conventional = false;
  std::string breaking_note;
  std::vector<std::string> refs;  //!< "#12", "GH-3" ...
};

ParsedCommit ParseConventionalCommit(const CommitInfo& c);

struct ReleaseNotes {
  std::string markdown;
  int features = 0, fixes = 0, breaking = 0, other = 0;
  std::vector<std::string> authors;
};

//! `title` heads the document (e.g. "v1.2.0"). Merge commits ("Merge ...") are skipped.
ReleaseNotes BuildReleaseNotes(const std::vector<CommitInfo>& commits, const std::string& title);

//! The commits as facts for a narrator (an LLM writing a summary): each parsed commit (type,
//! scope, subject, breaking note, references; no bodies), at most `max_commits`, and the counts.
Json ReleaseNotesFacts(const std::vector<CommitInfo>& commits, const ReleaseNotes& notes,
                       size_t max_commits = 200);

//! `markdown` (a BuildReleaseNotes() result) with a "## Summary" section after its title holding
//! `summary`, labelled as written by the LLM `model`; the generated sections stay as they are.
std::string WithSummary(const std::string& markdown, const std::string& summary,
                        const std::string& model);

//! Timing of one step in one finished run.
struct StepTiming {
  std::string job, step;
  std::vector<std::string> argv;
  double duration_ms = 0;
  bool ok = true;
};

struct Optimization {
  std::string
      type;  //!< caching, parallelization, flaky_test, step_removal (slow step), test_selection
  std::string title, description;
  double estimated_seconds_saved = 0;
  double confidence = 0;
};

//! From the pipeline and its runs' step timings (and test flakiness, if known): the slowest
//! steps, dependency-install steps whose job has no cache, jobs that wait on others without a
//! data dependency (no artifacts are passed between our jobs), flaky tests to quarantine.
std::vector<Optimization> SuggestOptimizations(const Pipeline& pipeline,
                                               const std::vector<StepTiming>& timings,
                                               const std::vector<FlakinessReport>& flaky);

}  // namespace dai::cicd
