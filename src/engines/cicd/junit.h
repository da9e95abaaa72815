// JUnit XML reports (the de-facto format of Surefire, jest-junit, pytest, ctest --output-junit,
// PHPUnit ...): nested <testsuites>/<testsuite>/<testcase> with <failure>, <error>, <skipped>.
// Parsed with pugixml (a DOM parser that neither fetches external entities nor expands DTDs).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace dai::cicd {

enum class TestOutcome { kPassed, kFailed, kError, kSkipped };
std::string_view TestOutcomeName(TestOutcome o);

struct TestCaseResult {
  std::string suite;  //!< classname, else the enclosing testsuite's name
  std::string name;
  std::string file;  //!< the file attribute when present
  double duration_ms = 0;
  TestOutcome outcome = TestOutcome::kPassed;
  std::string message;  //!< failure/error message (first 2 KiB)
};

struct JunitReport {
  std::vector<TestCaseResult> cases;
  int suites = 0;
  //! Totals the root element declares (-1 when absent); they may disagree with the cases.
  int declared_tests = -1, declared_failures = -1, declared_errors = -1;
};

//! PARSE_ERROR with the byte offset on malformed XML; INVALID_ARGUMENT when the root is neither
//! <testsuites> nor <testsuite>. Inputs over 64 MiB are refused (PAYLOAD_TOO_LARGE).
Result<JunitReport> ParseJunitXml(std::string_view xml);

}  // namespace dai::cicd
