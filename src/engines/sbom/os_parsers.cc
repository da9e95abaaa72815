// OS package databases: dpkg's var/lib/dpkg/status and apk's lib/apk/db/installed.
#include "engines/sbom/parsers_internal.h"

namespace dai::sbom::internal {

Result<ParseResult> ParseDpkgStatus(std::string_view content) {
  ParseResult result;
  auto lines = Lines(content);
  Package cur;
  std::string status;
  bool any = false;
  size_t start_line = 0;
  auto flush = [&] {
    if (!any) return;
    bool installed = status.size() >= 10 && status.substr(status.size() - 10) == " installed" &&
                     status.rfind("install ", 0) == 0;
    if (cur.name.empty() || cur.version.empty()) {
      result.warnings.push_back("dpkg status: paragraph at line " + std::to_string(start_line + 1) +
                                " lacks Package or Version; skipped");
    } else if (installed || status.empty()) {
      if (cur.src_name.empty()) cur.src_name = cur.name;
      if (cur.src_version.empty()) cur.src_version = cur.version;
      result.packages.push_back(std::move(cur));
    }
    cur = Package{};
    status.clear();
    any = false;
  };
  for (size_t idx = 0; idx < lines.size(); ++idx) {
    std::string_view line = lines[idx];
    if (TrimView(line).empty()) {
      flush();
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') continue;  // continuation
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (!any) {
      any = true;
      start_line = idx;
      cur.ecosystem = Ecosystem::kDeb;
    }
    std::string_view key = line.substr(0, colon);
    std::string_view value = TrimView(line.substr(colon + 1));
    if (key == "Package") {
      cur.name = std::string(value);
    } else if (key == "Version") {
      cur.version = std::string(value);
    } else if (key == "Status") {
      status = std::string(value);
    } else if (key == "Architecture") {
      cur.arch = std::string(value);
    } else if (key == "Source") {
      // "Source: util-linux (2.31.1-0.4ubuntu3.1)"
      size_t paren = value.find(" (");
      if (paren != std::string_view::npos && value.back() == ')') {
        cur.src_name = std::string(value.substr(0, paren));
        cur.src_version = std::string(value.substr(paren + 2, value.size() - paren - 3));
      } else {
        cur.src_name = std::string(value);
      }
    } else if (key == "Depends" || key == "Pre-Depends") {
      for (size_t pos = 0; pos < value.size();) {
        size_t comma = value.find(',', pos);
        std::string_view dep = TrimView(value.substr(
            pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
        dep = dep.substr(0, dep.find_first_of(" (:|"));
        if (!dep.empty()) cur.depends_on.push_back(std::string(dep));
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
      }
    }
  }
  flush();
  return result;
}

Result<ParseResult> ParseApkInstalled(std::string_view content) {
  ParseResult result;
  auto lines = Lines(content);
  Package cur;
  bool any = false;
  size_t start_line = 0;
  auto flush = [&] {
    if (!any) return;
    if (cur.name.empty() || cur.version.empty()) {
      result.warnings.push_back("apk installed: entry at line " + std::to_string(start_line + 1) +
                                " lacks P: or V:; skipped");
    } else {
      if (cur.src_name.empty()) cur.src_name = cur.name;
      cur.src_version = cur.version;
      result.packages.push_back(std::move(cur));
    }
    cur = Package{};
    any = false;
  };
  for (size_t idx = 0; idx < lines.size(); ++idx) {
    std::string_view line = lines[idx];
    if (TrimView(line).empty()) {
      flush();
      continue;
    }
    if (line.size() < 2 || line[1] != ':') continue;
    if (!any) {
      any = true;
      start_line = idx;
      cur.ecosystem = Ecosystem::kApk;
    }
    std::string value(line.substr(2));
    switch (line[0]) {
      case 'P':
        cur.name = value;
        break;
      case 'V':
        cur.version = value;
        break;
      case 'A':
        cur.arch = value;
        break;
      case 'o':
        cur.src_name = value;
        break;
      case 'D':
        for (size_t pos = 0; pos < value.size();) {
          size_t sp = value.find(' ', pos);
          std::string dep =
              value.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
          if (!dep.empty() && dep[0] != '!')
            cur.depends_on.push_back(dep.substr(0, dep.find_first_of("=<>~")));
          if (sp == std::string::npos) break;
          pos = sp + 1;
        }
        break;
      default:
        break;
    }
  }
  flush();
  return result;
}

}  // namespace dai::sbom::internal
