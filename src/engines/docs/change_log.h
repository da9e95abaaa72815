// Change documentation (pure): release notes, infrastructure changes between snapshots and
// configuration/rule changes from the audit log, assembled into one Markdown change log per
// period, grouped by day and then by service. Times are given (UTC, ISO 8601 strings).
// Thread-safety: free functions.
#pragma once

#include <string>
#include <vector>

namespace dai::docs {

struct ChangeEntry {
  std::string at;       //!< ISO 8601 UTC ("2026-11-29T04:00:00Z")
  std::string kind;     //!< release, infrastructure, configuration
  std::string service;  //!< "" = platform-wide
  std::string title;
  std::string detail;  //!< Markdown, may be empty
  std::string source;  //!< "doc:12", "snapshot:3..4", "audit:88"
};

//! Markdown headed "# Change log <from> – <to>" (optionally for one service); entries outside
//! the period are left out; days newest first, entries within a day by time.
std::string BuildChangeLog(std::vector<ChangeEntry> entries, const std::string& from,
                           const std::string& to, const std::string& service = "");

}  // namespace dai::docs
