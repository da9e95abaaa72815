#include "engines/logmine/push_decoder.h"

#include "core/json.h"

namespace dai::logmine {

Result<std::vector<PushedStream>> DecodeLokiPush(std::string_view body, const PushLimits& limits) {
  DAI_ASSIGN_OR_RETURN(Json j, ParseJson(body));
  if (!j.is_object()) return Status::InvalidArgument("body: expected an object with \"streams\"");
  auto streams = j.find("streams");
  if (streams == j.end() || !streams->is_array()) {
    return Status::InvalidArgument("streams: expected an array");
  }
  if (streams->size() > limits.max_streams) {
    return Status::InvalidArgument("streams: more than " + std::to_string(limits.max_streams) +
                                   " streams");
  }
  std::vector<PushedStream> out;
  size_t total = 0;
  for (size_t si = 0; si < streams->size(); ++si) {
    const Json& s = (*streams)[si];
    const std::string where = "streams[" + std::to_string(si) + "]";
    if (!s.is_object()) return Status::InvalidArgument(where + ": expected an object");
    PushedStream ps;
    auto labels = s.find("stream");
    if (labels != s.end()) {
      if (!labels->is_object())
        return Status::InvalidArgument(where + ".stream: expected an object");
      if (labels->size() > limits.max_labels) {
        return Status::InvalidArgument(where + ".stream: too many labels");
      }
      for (auto it = labels->begin(); it != labels->end(); ++it) {
        if (!it.value().is_string()) {
          return Status::InvalidArgument(where + ".stream." + it.key() + ": expected a string");
        }
        ps.labels[it.key()] = it.value().get<std::string>();
      }
    }
    auto values = s.find("values");
    if (values == s.end() || !values->is_array()) {
      return Status::InvalidArgument(where + ".values: expected an array");
    }
    for (size_t vi = 0; vi < values->size(); ++vi) {
      const Json& v = (*values)[vi];
      const std::string vw = where + ".values[" + std::to_string(vi) + "]";
      if (!v.is_array() || v.size() < 2 || v.size() > 3) {
        return Status::InvalidArgument(vw + ": expected [\"<unix ns>\", \"<line>\"]");
      }
      if (!v[0].is_string())
        return Status::InvalidArgument(vw + "[0]: expected a string of nanoseconds");
      if (!v[1].is_string())
        return Status::InvalidArgument(vw + "[1]: expected the log line as a string");
      const std::string& ns = v[0].get_ref<const std::string&>();
      if (ns.empty() || ns.size() > 19 || ns.find_first_not_of("0123456789") != std::string::npos) {
        return Status::InvalidArgument(vw + "[0]: expected a string of nanoseconds");
      }
      if (++total > limits.max_lines) {
        return Status::InvalidArgument("values: more than " + std::to_string(limits.max_lines) +
                                       " lines in one push");
      }
      PushedLine line;
      line.unix_ms = static_cast<int64_t>(std::stoull(ns) / 1000000ULL);
      line.line = v[1].get<std::string>();
      ps.lines.push_back(std::move(line));
    }
    out.push_back(std::move(ps));
  }
  return out;
}

}  // namespace dai::logmine
