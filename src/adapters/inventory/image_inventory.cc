#include "adapters/inventory/image_inventory.h"

#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "core/json.h"

namespace dai::inventory {
namespace {

namespace fs = std::filesystem;

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveCloser>;

ArchivePtr NewReader() {
  ArchivePtr a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  return a;
}

// Normalises an archive path: no leading "./" or "/", no empty or "." components. Empty
// result for paths that climb out with "..".
std::string NormalizePath(std::string_view raw, bool* escaped) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  *escaped = false;
  while (start <= raw.size()) {
    size_t slash = raw.find('/', start);
    std::string_view part =
        raw.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "..") {
      *escaped = true;
      return "";
    }
    if (!part.empty() && part != ".") parts.push_back(part);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out.push_back('/');
    out.append(parts[i]);
  }
  return out;
}

bool Relevant(const std::string& path) {
  if (path.find("node_modules/") != std::string::npos) return false;
  if (path.rfind("proc/", 0) == 0 || path.rfind("sys/", 0) == 0) return false;
  if (path == "etc/os-release" || path == "usr/lib/os-release") return true;
  std::string_view base =
      std::string_view(path).substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  if (base == "composer.json") return true;
  return sbom::DetectLockfileKind(path).has_value();
}

struct LayerResult {
  std::map<std::string, std::string> files;
  std::vector<std::string> deleted;  // paths removed from lower layers
  std::vector<std::string> opaque;   // directories whose lower contents are hidden
};

struct Budget {
  const ImageLimits& limits;
  uint64_t uncompressed = 0;
  uint64_t entries = 0;
  uint64_t kept = 0;
  std::vector<std::string>* warnings;
};

Result<std::string> ReadEntryData(archive* a, uint64_t max_bytes, const std::string& what) {
  std::string out;
  char buf[65536];
  while (true) {
    la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n < 0)
      return Status::InvalidArgument(
          what + ": " + (archive_error_string(a) ? archive_error_string(a) : "read error"));
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes)
      return Status::ResourceExhausted(what + " is larger than " + std::to_string(max_bytes) +
                                       " bytes");
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Reads one layer (a tar stream, any compression) from an open reader.
Status ReadLayer(archive* a, const std::string& layer_name, Budget& budget, LayerResult& out) {
  archive_entry* entry = nullptr;
  while (true) {
    int r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN)
      return Status::InvalidArgument(
          "layer " + layer_name + ": " +
          (archive_error_string(a) ? archive_error_string(a) : "corrupt archive"));
    if (++budget.entries > budget.limits.max_entries)
      return Status::ResourceExhausted("image has more than " +
                                       std::to_string(budget.limits.max_entries) +
                                       " entries (max_entries)");
    const la_int64_t size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
    budget.uncompressed += static_cast<uint64_t>(std::max<la_int64_t>(size, 0));
    if (budget.uncompressed > budget.limits.max_uncompressed_bytes)
      return Status::ResourceExhausted(
          "image expands to more than " + std::to_string(budget.limits.max_uncompressed_bytes) +
          " bytes (max_uncompressed_bytes): possible decompression bomb");
    const char* raw = archive_entry_pathname(entry);
    if (!raw) continue;
    bool escaped = false;
    std::string path = NormalizePath(raw, &escaped);
    if (escaped) {
      budget.warnings->push_back("layer " + layer_name + ": entry \"" +
                                 std::string(raw).substr(0, 200) +
                                 "\" climbs out of the root with ..; skipped");
      continue;
    }
    if (path.empty()) continue;
    const size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    if (base == ".wh..wh..opq") {
      out.opaque.push_back(dir);
      continue;
    }
    if (base.rfind(".wh.", 0) == 0) {
      out.deleted.push_back(dir.empty() ? base.substr(4) : dir + "/" + base.substr(4));
      continue;
    }
    // A later entry for the same path in this layer replaces the earlier one.
    out.files.erase(path);
    if (const char* link = archive_entry_hardlink(entry)) {
      bool esc = false;
      std::string target = NormalizePath(link, &esc);
      auto it = out.files.find(target);
      if (!esc && it != out.files.end() && Relevant(path)) out.files[path] = it->second;
      continue;
    }
    if (archive_entry_filetype(entry) == AE_IFLNK) {
      if (Relevant(path))
        budget.warnings->push_back("layer " + layer_name + ": " + path +
                                   " is a symbolic link; not followed");
      continue;
    }
    if (archive_entry_filetype(entry) != AE_IFREG || !Relevant(path)) continue;
    if (static_cast<uint64_t>(size) > budget.limits.max_file_bytes) {
      budget.warnings->push_back("layer " + layer_name + ": " + path + " is " +
                                 std::to_string(size) + " bytes, over the " +
                                 std::to_string(budget.limits.max_file_bytes) +
                                 "-byte limit; skipped");
      continue;
    }
    auto data = ReadEntryData(a, budget.limits.max_file_bytes, path);
    if (!data.ok()) {
      budget.warnings->push_back("layer " + layer_name + ": " + data.status().message() +
                                 "; skipped");
      continue;
    }
    budget.kept += data->size();
    if (budget.kept > budget.limits.max_kept_bytes)
      return Status::ResourceExhausted("analyzed files exceed " +
                                       std::to_string(budget.limits.max_kept_bytes) +
                                       " bytes (max_kept_bytes)");
    out.files[path] = std::move(*data);
  }
  return Status::Ok();
}

// Reads a layer that is itself an entry of the outer archive, streaming through it.
struct NestedSource {
  archive* outer;
  char buf[65536];
};

la_ssize_t NestedRead(archive*, void* client, const void** out) {
  auto* src = static_cast<NestedSource*>(client);
  la_ssize_t n = archive_read_data(src->outer, src->buf, sizeof src->buf);
  *out = src->buf;
  return n;
}

Status ReadNestedLayer(archive* outer, const std::string& name, Budget& budget, LayerResult& out) {
  ArchivePtr inner = NewReader();
  NestedSource src{outer, {}};
  if (archive_read_open(inner.get(), &src, nullptr, NestedRead, nullptr) != ARCHIVE_OK)
    return Status::InvalidArgument(
        "layer " + name + ": " +
        (archive_error_string(inner.get()) ? archive_error_string(inner.get()) : "cannot open"));
  return ReadLayer(inner.get(), name, budget, out);
}

std::string DigestPath(const std::string& digest) {
  size_t colon = digest.find(':');
  if (colon == std::string::npos) return "";
  std::string algo = digest.substr(0, colon), hex = digest.substr(colon + 1);
  for (char c : algo + hex)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return "";  // no path tricks
  return "blobs/" + algo + "/" + hex;
}

// Resolves the layer list from manifest.json (docker save) or index.json (OCI) held in `small`.
Result<std::vector<std::string>> LayerList(const std::map<std::string, std::string>& small) {
  if (auto it = small.find("manifest.json"); it != small.end()) {
    DAI_ASSIGN_OR_RETURN(Json m, ParseJson(it->second));
    if (!m.is_array() || m.empty() || !m[0].is_object() || !m[0].contains("Layers") ||
        !m[0]["Layers"].is_array())
      return Status::InvalidArgument("manifest.json: expected [{\"Layers\": [...]}]");
    std::vector<std::string> layers;
    for (const auto& l : m[0]["Layers"]) {
      bool esc = false;
      if (l.is_string()) layers.push_back(NormalizePath(l.get<std::string>(), &esc));
      if (esc) return Status::InvalidArgument("manifest.json: a layer path climbs out with ..");
    }
    return layers;
  }
  auto idx = small.find("index.json");
  if (idx == small.end())
    return Status::InvalidArgument(
        "not a container image: no manifest.json (docker save) or index.json (OCI layout)");
  DAI_ASSIGN_OR_RETURN(Json index, ParseJson(idx->second));
  for (int depth = 0; depth < 4; ++depth) {
    const Json& manifests = index["manifests"];
    if (!manifests.is_array() || manifests.empty())
      return Status::InvalidArgument("index.json: no manifests");
    // Prefer linux/amd64 when the index lists platforms.
    const Json* chosen = &manifests[0];
    for (const auto& m : manifests)
      if (m.contains("platform") && m["platform"].value("architecture", "") == "amd64") chosen = &m;
    std::string blob = DigestPath(chosen->value("digest", ""));
    auto it = small.find(blob);
    if (blob.empty() || it == small.end())
      return Status::InvalidArgument("index.json: manifest blob " + chosen->value("digest", "") +
                                     " is missing");
    DAI_ASSIGN_OR_RETURN(Json manifest, ParseJson(it->second));
    if (manifest.contains("manifests")) {
      index = manifest;  // a nested image index
      continue;
    }
    if (!manifest.contains("layers") || !manifest["layers"].is_array())
      return Status::InvalidArgument("OCI manifest " + blob + " has no layers");
    std::vector<std::string> layers;
    for (const auto& l : manifest["layers"]) {
      std::string p = DigestPath(l.value("digest", ""));
      if (p.empty()) return Status::InvalidArgument("OCI manifest: a layer has an invalid digest");
      layers.push_back(p);
    }
    return layers;
  }
  return Status::InvalidArgument("index.json: image indexes nested too deeply");
}

sbom::Inventory BuildInventory(const std::string& target, const std::vector<LayerResult>& layers,
                               std::vector<std::string> warnings) {
  std::map<std::string, std::string> view;
  for (const auto& layer : layers) {
    for (const auto& dir : layer.opaque) {
      const std::string prefix = dir.empty() ? "" : dir + "/";
      for (auto it = view.lower_bound(prefix); it != view.end() && it->first.rfind(prefix, 0) == 0;)
        it = view.erase(it);
    }
    for (const auto& del : layer.deleted) {
      view.erase(del);
      const std::string prefix = del + "/";
      for (auto it = view.lower_bound(prefix); it != view.end() && it->first.rfind(prefix, 0) == 0;)
        it = view.erase(it);
    }
    for (const auto& [path, content] : layer.files) view[path] = content;
  }
  sbom::Inventory inv;
  inv.target = target;
  inv.warnings = std::move(warnings);
  for (const char* p : {"etc/os-release", "usr/lib/os-release"}) {
    auto it = view.find(p);
    if (it != view.end() && (inv.os = sbom::ParseOsRelease(it->second))) break;
  }
  for (const auto& [path, content] : view) {
    auto kind = sbom::DetectLockfileKind(path);
    if (!kind) continue;
    std::string companion;
    if (*kind == sbom::LockfileKind::kComposerLock) {
      const size_t slash = path.rfind('/');
      auto c = view.find(slash == std::string::npos ? "composer.json"
                                                    : path.substr(0, slash) + "/composer.json");
      if (c != view.end()) companion = c->second;
    }
    auto parsed = sbom::ParseLockfile(*kind, content, companion);
    if (!parsed.ok()) {
      inv.warnings.push_back("/" + path + ": " + parsed.status().message() + "; skipped");
      continue;
    }
    for (auto& w : parsed->warnings) inv.warnings.push_back("/" + path + ": " + w);
    for (auto& p : parsed->packages) {
      p.location = "/" + path;
      inv.packages.push_back(std::move(p));
    }
  }
  return inv;
}

}  // namespace

Result<sbom::Inventory> ScanImage(const std::string& path, const ImageLimits& limits) {
  std::error_code ec;
  std::vector<std::string> warnings;
  Budget budget{limits, 0, 0, 0, &warnings};
  if (fs::is_directory(path, ec)) {
    // OCI image layout directory.
    std::map<std::string, std::string> small;
    for (const char* f : {"index.json", "oci-layout"}) {
      std::ifstream in(fs::path(path) / f, std::ios::binary);
      if (!in) continue;
      std::ostringstream ss;
      ss << in.rdbuf();
      small[f] = ss.str();
    }
    // Manifests: every blob small enough to be JSON.
    for (const auto& e : fs::recursive_directory_iterator(fs::path(path) / "blobs", ec)) {
      if (!e.is_regular_file() || e.is_symlink() || e.file_size() > limits.max_json_bytes) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      small[e.path().lexically_relative(path).generic_string()] = ss.str();
    }
    DAI_ASSIGN_OR_RETURN(auto layer_names, LayerList(small));
    std::vector<LayerResult> layers(layer_names.size());
    for (size_t i = 0; i < layer_names.size(); ++i) {
      ArchivePtr a = NewReader();
      const std::string file = (fs::path(path) / layer_names[i]).string();
      if (fs::is_symlink(file, ec))
        return Status::InvalidArgument("layer " + layer_names[i] + " is a symbolic link");
      if (archive_read_open_filename(a.get(), file.c_str(), 1 << 16) != ARCHIVE_OK)
        return Status::InvalidArgument("layer " + layer_names[i] + ": cannot open");
      DAI_RETURN_IF_ERROR(ReadLayer(a.get(), layer_names[i], budget, layers[i]));
    }
    return BuildInventory(path, layers, std::move(warnings));
  }
  if (!fs::is_regular_file(path, ec))
    return Status::NotFound("no such image file or directory: " + path);
  // Pass 1: the small JSON documents and the entry names.
  std::map<std::string, std::string> small;
  {
    ArchivePtr a = NewReader();
    if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
      return Status::InvalidArgument(path + ": not a readable archive");
    archive_entry* entry = nullptr;
    uint64_t count = 0;
    while (true) {
      int r = archive_read_next_header(a.get(), &entry);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN)
        return Status::InvalidArgument(
            path + ": " +
            (archive_error_string(a.get()) ? archive_error_string(a.get()) : "corrupt archive"));
      if (++count > limits.max_entries)
        return Status::ResourceExhausted(path + ": too many entries");
      bool esc = false;
      std::string name =
          NormalizePath(archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "", &esc);
      if (esc || name.empty() || archive_entry_filetype(entry) != AE_IFREG) continue;
      const la_int64_t size = archive_entry_size(entry);
      const bool json_like =
          name == "manifest.json" || name == "index.json" || name == "oci-layout" ||
          (name.rfind("blobs/", 0) == 0 && static_cast<uint64_t>(size) <= limits.max_json_bytes);
      if (!json_like) continue;
      auto data = ReadEntryData(a.get(), limits.max_json_bytes, name);
      if (data.ok()) small[name] = std::move(*data);
    }
  }
  DAI_ASSIGN_OR_RETURN(auto layer_names, LayerList(small));
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < layer_names.size(); ++i) position.emplace(layer_names[i], i);
  std::vector<LayerResult> layers(layer_names.size());
  std::vector<bool> seen(layer_names.size(), false);
  // Pass 2: each layer entry, streamed through a nested reader.
  ArchivePtr a = NewReader();
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    return Status::InvalidArgument(path + ": not a readable archive");
  archive_entry* entry = nullptr;
  while (true) {
    int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return Status::InvalidArgument(path + ": corrupt archive");
    bool esc = false;
    std::string name =
        NormalizePath(archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "", &esc);
    auto it = position.find(name);
    if (esc || it == position.end() || archive_entry_filetype(entry) != AE_IFREG) continue;
    if (seen[it->second]) continue;  // the same blob listed twice is read once
    seen[it->second] = true;
    DAI_RETURN_IF_ERROR(ReadNestedLayer(a.get(), name, budget, layers[it->second]));
  }
  for (size_t i = 0; i < layer_names.size(); ++i)
    if (!seen[i]) {
      // A layer listed twice shares its blob: copy what was read.
      bool copied = false;
      for (size_t j = 0; j < i; ++j)
        if (layer_names[j] == layer_names[i] && seen[j]) {
          layers[i] = layers[j];
          copied = true;
        }
      if (!copied)
        return Status::InvalidArgument(path + ": layer " + layer_names[i] +
                                       " is missing from the archive");
    }
  return BuildInventory(path, layers, std::move(warnings));
}

}  // namespace dai::inventory
