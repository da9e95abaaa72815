// Fuzzes the tRPC request decoder: method, path list, query string and body from one input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/trpc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // Layout: <flags byte><path>\n<query>\n<body>
  if (in.empty()) return 0;
  const bool post = (in[0] & 1) != 0;
  in.remove_prefix(1);
  const size_t a = in.find('\n');
  const std::string_view path = in.substr(0, a);
  std::string_view rest = a == std::string_view::npos ? std::string_view() : in.substr(a + 1);
  const size_t b = rest.find('\n');
  const std::string_view query = rest.substr(0, b);
  const std::string_view body = b == std::string_view::npos ? std::string_view() : rest.substr(b + 1);
  auto r = dai::trpc::Decode(post ? "POST" : "GET", path, query, body);
  if (r.ok()) {
    for (const auto& call : r->calls) {
      if (call.input) (void)dai::DumpJson(*call.input);
    }
  } else {
    (void)dai::trpc::ErrorEnvelope(r.status(), "p");
  }
  return 0;
}
