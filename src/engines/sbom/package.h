// The inventory model: packages found in lockfiles, manifests and OS package databases, and
// the parsers' common entry point. Pure: every parser takes file contents (and, where a
// format needs it, a companion file's contents) and returns packages; no I/O.
// Thread-safety: value types and stateless functions; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace dai::sbom {

//! The purl type of a package (https://github.com/package-url/purl-spec), which also names
//! its ecosystem.
enum class Ecosystem { kNpm, kPypi, kGolang, kCargo, kComposer, kGem, kMaven, kDeb, kApk };

std::string_view EcosystemPurlType(Ecosystem e);
//! The OSV ecosystem name ("npm", "PyPI", "Go", "crates.io", "Packagist", "RubyGems", "Maven",
//! "Debian", "Alpine"); OS ecosystems get their release appended by the caller.
std::string_view EcosystemOsvName(Ecosystem e);

enum class Relationship { kUnknown, kRoot, kDirect, kIndirect, kWorkspace };
std::string_view RelationshipName(Relationship r);

struct Package {
  Ecosystem ecosystem = Ecosystem::kNpm;
  std::string name;
  std::string version;  //!< as the file states it; OS packages: [epoch:]version[-release]
  bool dev = false;     //!< a development-only dependency, where the format says so
  Relationship relationship = Relationship::kUnknown;
  std::string src_name;                 //!< OS packages: the source package
  std::string src_version;              //!< OS packages: the source package's version
  std::string arch;                     //!< OS packages
  std::string location;                 //!< the file it was found in (set by the caller)
  std::vector<std::string> depends_on;  //!< "name@version" of direct dependencies, if known
};

//! The formats this engine reads.
enum class LockfileKind {
  kNpmLock,       //!< package-lock.json / npm-shrinkwrap.json (v1, v2, v3)
  kYarnLock,      //!< yarn.lock (v1 classic and v2+ berry)
  kPnpmLock,      //!< pnpm-lock.yaml (v5, v6, v9)
  kGoMod,         //!< go.mod
  kGoSum,         //!< go.sum
  kCargoLock,     //!< Cargo.lock
  kPoetryLock,    //!< poetry.lock
  kPipfileLock,   //!< Pipfile.lock
  kRequirements,  //!< requirements*.txt (pinned == lines)
  kComposerLock,  //!< composer.lock (+ composer.json next to it for direct/indirect)
  kGemfileLock,   //!< Gemfile.lock
  kPomXml,        //!< pom.xml (declared versions)
  kDpkgStatus,    //!< var/lib/dpkg/status
  kApkInstalled,  //!< lib/apk/db/installed
};

std::string_view LockfileKindName(LockfileKind kind);
//! Recognises a format from a file's path (its name and, for OS databases, its location).
std::optional<LockfileKind> DetectLockfileKind(std::string_view path);
//! Parses the name LockfileKindName prints ("npm", "yarn", ... ) back.
std::optional<LockfileKind> LockfileKindFromName(std::string_view name);

struct ParseResult {
  std::vector<Package> packages;
  std::vector<std::string> warnings;  //!< entries skipped and why
};

//! Parses one file. `companion` is the content of the file that completes it, when the
//! format has one (composer.json for composer.lock); empty otherwise. Inputs larger than
//! `kMaxInputBytes` are refused with PAYLOAD_TOO_LARGE; syntax errors give PARSE_ERROR /
//! INVALID_ARGUMENT naming the line or field.
inline constexpr size_t kMaxInputBytes = 64u << 20;
Result<ParseResult> ParseLockfile(LockfileKind kind, std::string_view content,
                                  std::string_view companion = {});

//! An OS release from etc/os-release (ID, VERSION_ID, PRETTY_NAME); nullopt when absent.
struct OsRelease {
  std::string id;          //!< "debian", "ubuntu", "alpine"
  std::string version_id;  //!< "12", "22.04", "3.18.4"
  std::string version_codename;
  std::string pretty_name;
};
std::optional<OsRelease> ParseOsRelease(std::string_view content);

//! The OSV ecosystem for an OS package given the OS release ("Debian:12", "Ubuntu:22.04",
//! "Alpine:v3.18"); the bare name when the release is unknown.
std::string OsvEcosystemFor(const Package& package, const std::optional<OsRelease>& os);

//! A package URL (purl) for the package.
std::string PackageUrl(const Package& package, const std::optional<OsRelease>& os = std::nullopt);

}  // namespace dai::sbom
