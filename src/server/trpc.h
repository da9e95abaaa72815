// The tRPC HTTP RPC wire protocol (as @trpc/client v11 speaks it), decoded and encoded
// without any HTTP library: pure functions, fuzzed (tests/fuzz/fuzz_trpc_decoder.cc).
//  - query:    GET  /trpc/a.b?input=<urlencoded JSON>      (no input = undefined)
//  - mutation: POST /trpc/a.b  body: JSON                  (empty body = undefined)
//  - batch:    GET  /trpc/a.b,c.d?batch=1&input={"0":..,"1":..}  /  POST with body {"0":..}
// Success {"result":{"data":X}}; error {"error":{"message","code":N,"data":{"code","httpStatus",
// "path"}}}; a batch answers an array in order, HTTP 207 when statuses differ.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace dai::trpc {

struct Call {
  std::string path;
  std::optional<Json> input;  //!< nullopt = undefined (no input sent)
};

struct Request {
  bool batch = false;
  bool is_post = false;
  std::vector<Call> calls;
};

//! Limits that keep decoding bounded.
inline constexpr size_t kMaxBatchSize = 64;
inline constexpr size_t kMaxPathLength = 256;
inline constexpr int kMaxJsonDepth = 64;

//! Decodes one HTTP request. `path_list` is the part after "/trpc/" (comma-separated in a
//! batch, percent-encoded as sent), `raw_query` the raw query string, `body` the request body.
//! Errors: METHOD_NOT_SUPPORTED-worthy methods give INVALID_ARGUMENT with code hint via
//! `DecodeError`; malformed JSON gives PARSE_ERROR naming where it was; a batch whose input
//! object is not an object gives INVALID_ARGUMENT.
Result<Request> Decode(std::string_view method, std::string_view path_list,
                       std::string_view raw_query, std::string_view body);

//! Percent-decoding for query components ('+' means space). Fails on bad escapes.
Result<std::string> PercentDecode(std::string_view in, bool plus_is_space);
//! The value of `name` in a raw query string, percent-decoded; nullopt when absent.
Result<std::optional<std::string>> QueryValue(std::string_view raw_query, std::string_view name);

//! tRPC error codes and HTTP statuses for our Status codes.
struct ErrorCode {
  const char* name;  //!< "BAD_REQUEST"
  int json_rpc;      //!< -32600
  int http_status;   //!< 400
};
ErrorCode ErrorCodeFor(StatusCode code);
//! Special: the method does not fit the procedure kind (tRPC METHOD_NOT_SUPPORTED, 405).
inline constexpr ErrorCode kMethodNotSupported{"METHOD_NOT_SUPPORTED", -32005, 405};

Json SuccessEnvelope(Json data);
//! DumpJson(SuccessEnvelope(data)) without building the envelope (the hot path of every call).
std::string SuccessEnvelopeText(const Json& data);
Json ErrorEnvelope(const ErrorCode& code, std::string_view message, std::string_view path);
Json ErrorEnvelope(const Status& status, std::string_view path);

//! A JSON nesting-depth check done before full parsing (deeply nested input is refused).
bool DepthWithin(std::string_view json_text, int max_depth);

}  // namespace dai::trpc
