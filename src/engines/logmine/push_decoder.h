// Decoders for log lines pushed over HTTP: Loki's push API JSON body
// (`{"streams":[{"stream":{labels},"values":[["<unix ns>","<line>"(, {metadata})]]}]}`), as
// Promtail, Grafana Alloy, Fluent Bit's loki output and Vector send it with
// Content-Type application/json. (The protobuf+snappy body is not accepted: the caller answers
// 415 naming the content type.)
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace dai::logmine {

struct PushedLine {
  int64_t unix_ms = 0;  //!< 0 when the sender gave no time
  std::string line;
};

struct PushedStream {
  std::map<std::string, std::string> labels;
  std::vector<PushedLine> lines;
};

struct PushLimits {
  size_t max_streams = 1000;
  size_t max_lines = 100000;
  size_t max_labels = 64;
};

//! INVALID_ARGUMENT naming the field ("streams[0].values[3][0]: expected a string of
//! nanoseconds") or PARSE_ERROR for malformed JSON; nothing partial is returned.
Result<std::vector<PushedStream>> DecodeLokiPush(std::string_view body,
                                                 const PushLimits& limits = {});

}  // namespace dai::logmine
