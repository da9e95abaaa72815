#include "adapters/inventory/fs_inventory.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace dai::inventory {
namespace {

namespace fs = std::filesystem;

Result<std::string> ReadSmallFile(const fs::path& p, uint64_t max_bytes) {
  std::error_code ec;
  auto size = fs::file_size(p, ec);
  if (ec) return Status::NotFound("cannot stat " + p.string() + ": " + ec.message());
  if (size > max_bytes)
    return Status::PayloadTooLarge(p.string() + " is " + std::to_string(size) +
                                   " bytes, over the " + std::to_string(max_bytes) + "-byte limit");
  std::ifstream in(p, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + p.string());
  std::string out(size, '\0');
  in.read(out.data(), static_cast<std::streamsize>(size));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

void AddFile(sbom::Inventory& inv, const fs::path& file, const std::string& rel,
             sbom::LockfileKind kind, const ScanLimits& limits) {
  auto content = ReadSmallFile(file, limits.max_file_bytes);
  if (!content.ok()) {
    inv.warnings.push_back(rel + ": " + content.status().message() + "; skipped");
    return;
  }
  std::string companion;
  if (kind == sbom::LockfileKind::kComposerLock) {
    auto c = ReadSmallFile(file.parent_path() / "composer.json", limits.max_file_bytes);
    if (c.ok()) companion = std::move(*c);
  }
  auto parsed = sbom::ParseLockfile(kind, *content, companion);
  if (!parsed.ok()) {
    inv.warnings.push_back(rel + ": " + parsed.status().message() + "; skipped");
    return;
  }
  for (auto& w : parsed->warnings) inv.warnings.push_back(rel + ": " + w);
  for (auto& p : parsed->packages) {
    p.location = rel;
    inv.packages.push_back(std::move(p));
  }
}

}  // namespace

Result<sbom::Inventory> ScanPath(const std::string& path, const std::string& kind_hint,
                                 const ScanLimits& limits) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return Status::NotFound("no such file or directory: " + path);
  sbom::Inventory inv;
  inv.target = path;
  if (fs::is_regular_file(st)) {
    std::optional<sbom::LockfileKind> kind;
    if (!kind_hint.empty()) {
      kind = sbom::LockfileKindFromName(kind_hint);
      if (!kind) return Status::InvalidArgument("unknown format '" + kind_hint + "'");
    } else {
      kind = sbom::DetectLockfileKind(fs::absolute(path).lexically_normal().string());
    }
    if (!kind)
      return Status::InvalidArgument(path +
                                     ": not a recognised lockfile, manifest or package database "
                                     "(use --kind to name the format)");
    // A single file that does not parse is an error, not an empty inventory.
    DAI_ASSIGN_OR_RETURN(std::string content, ReadSmallFile(path, limits.max_file_bytes));
    std::string companion;
    if (*kind == sbom::LockfileKind::kComposerLock) {
      auto c = ReadSmallFile(fs::path(path).parent_path() / "composer.json", limits.max_file_bytes);
      if (c.ok()) companion = std::move(*c);
    }
    auto parsed = sbom::ParseLockfile(*kind, content, companion);
    if (!parsed.ok()) return parsed.status().WithContext(path);
    const std::string rel = fs::path(path).filename().string();
    for (auto& w : parsed->warnings) inv.warnings.push_back(rel + ": " + w);
    for (auto& p : parsed->packages) {
      p.location = rel;
      inv.packages.push_back(std::move(p));
    }
    return inv;
  }
  if (!fs::is_directory(st)) return Status::InvalidArgument(path + ": not a file or directory");
  const fs::path root(path);
  // OS release first, so OS packages can be tagged with it.
  for (const char* rel : {"etc/os-release", "usr/lib/os-release"}) {
    fs::path p = root / rel;
    if (fs::is_symlink(p, ec)) continue;  // a symlink could point outside the tree
    auto text = ReadSmallFile(p, 1 << 16);
    if (text.ok()) {
      inv.os = sbom::ParseOsRelease(*text);
      if (inv.os) break;
    }
  }
  uint64_t visited = 0;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) return Status::Unavailable("cannot list " + path + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      inv.warnings.push_back("walk: " + ec.message());
      ec.clear();
      continue;
    }
    if (++visited > limits.max_files_visited) {
      inv.warnings.push_back("walk: stopped after " + std::to_string(limits.max_files_visited) +
                             " entries");
      break;
    }
    const fs::directory_entry& entry = *it;
    std::string name = entry.path().filename().string();
    if (entry.is_symlink(ec)) continue;  // never follow links out of the tree
    if (entry.is_directory(ec)) {
      if (name == ".git" || name == "node_modules" || (name == "proc" && it.depth() == 0) ||
          it.depth() >= limits.max_depth)
        it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(ec)) continue;
    std::string rel = entry.path().lexically_relative(root).generic_string();
    auto kind = sbom::DetectLockfileKind(rel);
    if (!kind) continue;
    // A bare "status" must be dpkg's; "*.sum" must be go.sum-like.
    AddFile(inv, entry.path(), rel, *kind, limits);
  }
  std::stable_sort(
      inv.packages.begin(), inv.packages.end(),
      [](const sbom::Package& a, const sbom::Package& b) { return a.location < b.location; });
  return inv;
}

}  // namespace dai::inventory
