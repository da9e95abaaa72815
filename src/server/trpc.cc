#include "server/trpc.h"

#include <cstdlib>

namespace dai::trpc {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<Json> ParseInputJson(std::string_view text, std::string_view what) {
  if (!DepthWithin(text, kMaxJsonDepth)) {
    return Status::InvalidArgument(std::string(what) + " is nested deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels");
  }
  auto parsed = ParseJson(text);
  if (!parsed.ok()) return parsed.status().WithContext(what);
  return parsed;
}

}  // namespace

bool DepthWithin(std::string_view s, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

Result<std::string> PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return Status::InvalidArgument("bad percent-escape at the end of the query");
      }
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument("bad percent-escape \"%" + std::string(in.substr(i + 1, 2)) +
                                       "\"");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::optional<std::string>> QueryValue(std::string_view raw_query, std::string_view name) {
  size_t pos = 0;
  while (pos <= raw_query.size()) {
    size_t amp = raw_query.find('&', pos);
    if (amp == std::string_view::npos) amp = raw_query.size();
    const std::string_view pair = raw_query.substr(pos, amp - pos);
    const size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    if (key == name) {
      if (eq == std::string_view::npos) return std::optional<std::string>(std::string());
      DAI_ASSIGN_OR_RETURN(std::string v, PercentDecode(pair.substr(eq + 1), true));
      return std::optional<std::string>(std::move(v));
    }
    pos = amp + 1;
  }
  return std::optional<std::string>();
}

Result<Request> Decode(std::string_view method, std::string_view path_list,
                       std::string_view raw_query, std::string_view body) {
  Request req;
  if (method == "GET" || method == "HEAD") {
    req.is_post = false;
  } else if (method == "POST") {
    req.is_post = true;
  } else {
    return Status::InvalidArgument("unsupported HTTP method " + std::string(method.substr(0, 16)));
  }
  auto batch_flag = QueryValue(raw_query, "batch");
  if (!batch_flag.ok()) return batch_flag.status();
  const std::string flag = batch_flag->has_value() ? **batch_flag : std::string();
  req.batch = flag == "1" || flag == "true";

  DAI_ASSIGN_OR_RETURN(std::string paths, PercentDecode(path_list, false));
  if (paths.empty()) return Status::NotFound("no procedure path given");
  std::vector<std::string> names;
  size_t pos = 0;
  while (true) {
    const size_t comma = paths.find(',', pos);
    std::string name = paths.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (name.empty() || name.size() > kMaxPathLength) {
      return Status::NotFound("invalid procedure path \"" + name.substr(0, 64) + "\"");
    }
    names.push_back(std::move(name));
    if (names.size() > kMaxBatchSize) {
      return Status::PayloadTooLarge("a batch may hold at most " + std::to_string(kMaxBatchSize) +
                                     " calls");
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (!req.batch && names.size() > 1) {
    return Status::InvalidArgument("several procedures in one request need ?batch=1");
  }

  // The raw input text: the body for POST, the `input` query parameter for GET.
  std::optional<std::string> input_text;
  if (req.is_post) {
    if (!body.empty()) input_text = std::string(body);
  } else {
    DAI_ASSIGN_OR_RETURN(input_text, QueryValue(raw_query, "input"));
  }

  if (!req.batch) {
    Call call{std::move(names[0]), std::nullopt};
    if (input_text && !input_text->empty()) {
      DAI_ASSIGN_OR_RETURN(Json j, ParseInputJson(*input_text, "input"));
      call.input = std::move(j);
    }
    req.calls.push_back(std::move(call));
    return req;
  }

  Json all = Json::object();
  if (input_text && !input_text->empty()) {
    DAI_ASSIGN_OR_RETURN(all, ParseInputJson(*input_text, "batch input"));
    if (!all.is_object()) {
      return Status::InvalidArgument("batch input must be an object keyed by call index");
    }
  }
  for (size_t idx = 0; idx < names.size(); ++idx) {
    Call call{std::move(names[idx]), std::nullopt};
    if (auto it = all.find(std::to_string(idx)); it != all.end()) call.input = *it;
    req.calls.push_back(std::move(call));
  }
  return req;
}

ErrorCode ErrorCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kParseError: return {"PARSE_ERROR", -32700, 400};
    case StatusCode::kInvalidArgument: return {"BAD_REQUEST", -32600, 400};
    case StatusCode::kUnauthenticated: return {"UNAUTHORIZED", -32001, 401};
    case StatusCode::kPermissionDenied: return {"FORBIDDEN", -32003, 403};
    case StatusCode::kNotFound: return {"NOT_FOUND", -32004, 404};
    case StatusCode::kDeadlineExceeded: return {"TIMEOUT", -32008, 408};
    case StatusCode::kConflict: return {"CONFLICT", -32009, 409};
    case StatusCode::kFailedPrecondition: return {"PRECONDITION_FAILED", -32012, 412};
    case StatusCode::kPayloadTooLarge: return {"PAYLOAD_TOO_LARGE", -32013, 413};
    case StatusCode::kResourceExhausted: return {"TOO_MANY_REQUESTS", -32029, 429};
    case StatusCode::kUnimplemented: return {"NOT_IMPLEMENTED", -32603, 501};
    case StatusCode::kUnavailable: return {"SERVICE_UNAVAILABLE", -32603, 503};
    case StatusCode::kOk:
    case StatusCode::kInternal: break;
  }
  return {"INTERNAL_SERVER_ERROR", -32603, 500};
}

Json SuccessEnvelope(Json data) {
  return Json{{"result", Json{{"data", std::move(data)}}}};
}

std::string SuccessEnvelopeText(const Json& data) {
  std::string out = "{\"result\":{\"data\":";
  out += DumpJson(data);
  out += "}}";
  return out;
}

Json ErrorEnvelope(const ErrorCode& code, std::string_view message, std::string_view path) {
  Json data = {{"code", code.name}, {"httpStatus", code.http_status}};
  if (!path.empty()) data["path"] = std::string(path);
  return Json{{"error", Json{{"message", std::string(message)}, {"code", code.json_rpc},
                             {"data", std::move(data)}}}};
}

Json ErrorEnvelope(const Status& status, std::string_view path) {
  return ErrorEnvelope(ErrorCodeFor(status.code()), status.message(), path);
}

}  // namespace dai::trpc
