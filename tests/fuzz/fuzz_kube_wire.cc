// Fuzzes the Kubernetes wire parsers: the watch-stream line splitter, kubeconfig parsing
// (yaml-cpp underneath), API error bodies, and resource paths built from the input as names.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/kubernetes/kube_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;  // keep each run fast
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string rest;
  auto events = dai::kube::ParseWatchStream(in, 1000, &rest);
  if (events.ok() && rest.size() > in.size()) __builtin_trap();
  (void)dai::kube::ParseKubeconfig(in, "", "/base");
  (void)dai::kube::ApiError(static_cast<int>(size % 600), in, "get", "pods x/y");
  (void)dai::kube::DecodeBase64(in);
  const std::string name(in.substr(0, 64));
  auto path = dai::kube::ResourcePath(*dai::kube::FindResource("pods"), "ns", name, "log");
  // A name must never become a "." or ".." path segment (a name such as "...." is only dots,
  // not a traversal: found by this target when the check was a substring search for "/..").
  if (path.ok()) {
    size_t start = 0;
    while (start <= path->size()) {
      size_t end = path->find('/', start);
      if (end == std::string::npos) end = path->size();
      const std::string_view segment = std::string_view(*path).substr(start, end - start);
      if (segment == "." || segment == "..") __builtin_trap();
      start = end + 1;
    }
  }
  return 0;
}
