#include "engines/cicd/junit.h"

#include <pugixml.hpp>

#include <cstdlib>

namespace dai::cicd {

std::string_view TestOutcomeName(TestOutcome o) {
  switch (o) {
    case TestOutcome::kPassed:
      return "passed";
    case TestOutcome::kFailed:
      return "failed";
    case TestOutcome::kError:
      return "error";
    case TestOutcome::kSkipped:
      return "skipped";
  }
  return "passed";
}

namespace {

int IntAttr(const pugi::xml_node& n, const char* name) {
  pugi::xml_attribute a = n.attribute(name);
  return a ? a.as_int(-1) : -1;
}

std::string Clip(std::string s) {
  if (s.size() > 2048) s.resize(2048);
  return s;
}

void Walk(const pugi::xml_node& suite, const std::string& suite_name, JunitReport& out, int depth) {
  if (depth > 64) return;
  for (pugi::xml_node child : suite.children()) {
    std::string_view tag = child.name();
    if (tag == "testsuite") {
      ++out.suites;
      Walk(child, child.attribute("name").as_string(suite_name.c_str()), out, depth + 1);
    } else if (tag == "testcase") {
      TestCaseResult r;
      r.name = child.attribute("name").as_string();
      r.suite = child.attribute("classname").as_string(suite_name.c_str());
      // node:test's junit reporter writes classname="test" on every case; its describe block
      // (the enclosing testsuite) names the case's group.
      if (r.suite.empty() || (r.suite == "test" && !suite_name.empty())) r.suite = suite_name;
      r.file = child.attribute("file").as_string();
      double seconds = child.attribute("time").as_double(0.0);
      r.duration_ms = seconds > 0 && seconds < 1e9 ? seconds * 1000.0 : 0.0;
      if (pugi::xml_node f = child.child("failure")) {
        r.outcome = TestOutcome::kFailed;
        r.message = Clip(f.attribute("message") ? f.attribute("message").as_string()
                                                : f.text().as_string());
      } else if (pugi::xml_node e = child.child("error")) {
        r.outcome = TestOutcome::kError;
        r.message = Clip(e.attribute("message") ? e.attribute("message").as_string()
                                                : e.text().as_string());
      } else if (child.child("skipped")) {
        r.outcome = TestOutcome::kSkipped;
      }
      out.cases.push_back(std::move(r));
    }
  }
}

}  // namespace

Result<JunitReport> ParseJunitXml(std::string_view xml) {
  if (xml.size() > (64u << 20)) return Status::PayloadTooLarge("JUnit XML over 64 MiB");
  pugi::xml_document doc;
  // parse_default without DOCTYPE processing: entities other than the five predefined and
  // character references are left as text, so nothing is fetched or expanded.
  pugi::xml_parse_result res = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default);
  if (!res)
    return Status::ParseError("JUnit XML: " + std::string(res.description()) + " at byte " +
                              std::to_string(res.offset));
  pugi::xml_node root = doc.document_element();
  std::string_view tag = root.name();
  JunitReport out;
  if (tag == "testsuites") {
    Walk(root, root.attribute("name").as_string(), out, 0);
  } else if (tag == "testsuite") {
    out.suites = 1;
    Walk(root, root.attribute("name").as_string(), out, 0);
  } else {
    return Status::InvalidArgument("JUnit XML: root element is <" + std::string(tag) +
                                   ">, expected <testsuites> or <testsuite>");
  }
  out.declared_tests = IntAttr(root, "tests");
  out.declared_failures = IntAttr(root, "failures");
  out.declared_errors = IntAttr(root, "errors");
  return out;
}

}  // namespace dai::cicd
