#include "engines/assistant/assistant.h"

#include <algorithm>
#include <cctype>

namespace dai::assistant {

namespace {

std::string Path(const std::string& base, size_t i) { return base + "[" + std::to_string(i) + "]"; }

Status ParseToolCalls(const Json& calls, const std::string& where, std::vector<ToolCall>* out) {
  if (!calls.is_array()) return Status::InvalidArgument(where + ": must be an array");
  for (size_t i = 0; i < calls.size(); ++i) {
    const Json& c = calls[i];
    const std::string at = Path(where, i);
    if (!c.is_object()) return Status::InvalidArgument(at + ": must be an object");
    if (!c.contains("function") || !c["function"].is_object()) {
      return Status::InvalidArgument(at + ".function: required object");
    }
    const Json& f = c["function"];
    if (!f.contains("name") || !f["name"].is_string() || f["name"].get<std::string>().empty()) {
      return Status::InvalidArgument(at + ".function.name: required non-empty string");
    }
    ToolCall t;
    t.id = c.contains("id") && c["id"].is_string() ? c["id"].get<std::string>()
                                                   : "call_" + std::to_string(i);
    t.name = f["name"].get<std::string>();
    if (f.contains("arguments")) {
      if (f["arguments"].is_string()) {
        t.arguments = f["arguments"].get<std::string>();
      } else if (f["arguments"].is_object()) {
        t.arguments = DumpJson(f["arguments"]);  // some servers (Ollama) send an object
      } else {
        return Status::InvalidArgument(at + ".function.arguments: must be a JSON string");
      }
    }
    out->push_back(std::move(t));
  }
  return Status::Ok();
}

Usage ParseUsage(const Json& j) {
  Usage u;
  if (j.is_object()) {
    if (j.contains("prompt_tokens") && j["prompt_tokens"].is_number_integer())
      u.prompt_tokens = j["prompt_tokens"].get<int64_t>();
    if (j.contains("completion_tokens") && j["completion_tokens"].is_number_integer()) {
      u.completion_tokens = j["completion_tokens"].get<int64_t>();
    }
  }
  return u;
}

}  // namespace

Result<ChatResponse> ParseChatCompletion(std::string_view body) {
  auto parsed = ParseJson(body);
  if (!parsed.ok())
    return Status::InvalidArgument("response: not JSON (" + parsed.status().message() + ")");
  const Json& j = *parsed;
  if (!j.is_object()) return Status::InvalidArgument("response: must be a JSON object");
  if (j.contains("error")) {
    auto m = ParseErrorMessage(body);
    return Status::Unavailable("the LLM answered an error: " + m.value_or("(no message)"));
  }
  if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) {
    return Status::InvalidArgument("response.choices: required, a non-empty array");
  }
  const Json& c = j["choices"][0];
  if (!c.is_object() || !c.contains("message") || !c["message"].is_object()) {
    return Status::InvalidArgument("response.choices[0].message: required object");
  }
  const Json& m = c["message"];
  ChatResponse r;
  if (m.contains("content") && !m["content"].is_null()) {
    if (!m["content"].is_string())
      return Status::InvalidArgument("response.choices[0].message.content: must be a string");
    r.content = m["content"].get<std::string>();
  }
  if (m.contains("tool_calls") && !m["tool_calls"].is_null()) {
    DAI_RETURN_IF_ERROR(
        ParseToolCalls(m["tool_calls"], "response.choices[0].message.tool_calls", &r.tool_calls));
  }
  if (c.contains("finish_reason") && c["finish_reason"].is_string())
    r.finish_reason = c["finish_reason"].get<std::string>();
  if (j.contains("usage")) r.usage = ParseUsage(j["usage"]);
  if (j.contains("model") && j["model"].is_string()) r.model = j["model"].get<std::string>();
  return r;
}

std::optional<std::string> ParseErrorMessage(std::string_view body) {
  auto parsed = ParseJson(body);
  if (!parsed.ok() || !parsed->is_object() || !parsed->contains("error")) return std::nullopt;
  const Json& e = (*parsed)["error"];
  if (e.is_string()) return e.get<std::string>();
  if (e.is_object() && e.contains("message") && e["message"].is_string()) {
    std::string m = e["message"].get<std::string>();
    if (m.size() > 500) m.resize(500);
    return m;
  }
  return std::nullopt;
}

Status StreamAccumulator::Feed(std::string_view bytes) {
  buffer_.append(bytes);
  if (buffer_.size() > max_bytes_ + 65536)
    return Status::InvalidArgument("stream: an event is too large");
  while (true) {
    // Events end with a blank line; accept \n\n and \r\n\r\n.
    size_t end = buffer_.find("\n\n");
    size_t skip = 2;
    const size_t crlf = buffer_.find("\r\n\r\n");
    if (crlf != std::string::npos && (end == std::string::npos || crlf < end)) {
      end = crlf;
      skip = 4;
    }
    if (end == std::string::npos) return Status::Ok();
    std::string event = buffer_.substr(0, end);
    buffer_.erase(0, end + skip);
    std::string data;
    size_t pos = 0;
    while (pos <= event.size()) {
      size_t nl = event.find('\n', pos);
      if (nl == std::string::npos) nl = event.size();
      std::string_view line(event.data() + pos, nl - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.substr(0, 5) == "data:") {
        std::string_view v = line.substr(5);
        if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        if (!data.empty()) data += '\n';
        data.append(v);
      }
      pos = nl + 1;
    }
    if (!data.empty()) DAI_RETURN_IF_ERROR(HandleEvent(data));
  }
}

Status StreamAccumulator::HandleEvent(std::string_view data) {
  if (done_) return Status::Ok();
  if (data == "[DONE]") {
    done_ = true;
    return Status::Ok();
  }
  auto parsed = ParseJson(data);
  if (!parsed.ok() || !parsed->is_object())
    return Status::InvalidArgument("stream: a chunk is not a JSON object");
  const Json& j = *parsed;
  if (j.contains("error")) {
    return Status::Unavailable("the LLM answered an error mid-stream: " +
                               ParseErrorMessage(data).value_or("(no message)"));
  }
  if (j.contains("usage") && j["usage"].is_object()) response_.usage = ParseUsage(j["usage"]);
  if (j.contains("model") && j["model"].is_string())
    response_.model = j["model"].get<std::string>();
  if (!j.contains("choices") || !j["choices"].is_array()) return Status::Ok();
  if (j["choices"].empty()) return Status::Ok();  // the usage-only final chunk
  const Json& c = j["choices"][0];
  if (!c.is_object()) return Status::InvalidArgument("stream: choices[0] must be an object");
  if (c.contains("finish_reason") && c["finish_reason"].is_string()) {
    response_.finish_reason = c["finish_reason"].get<std::string>();
  }
  if (!c.contains("delta") || !c["delta"].is_object()) return Status::Ok();
  const Json& d = c["delta"];
  if (d.contains("content") && d["content"].is_string()) {
    const std::string& piece = d["content"].get_ref<const std::string&>();
    bytes_ += piece.size();
    if (bytes_ > max_bytes_)
      return Status::InvalidArgument("stream: the answer exceeds " + std::to_string(max_bytes_) +
                                     " bytes");
    response_.content += piece;
  }
  if (d.contains("tool_calls") && d["tool_calls"].is_array()) {
    for (size_t i = 0; i < d["tool_calls"].size(); ++i) {
      const Json& t = d["tool_calls"][i];
      if (!t.is_object())
        return Status::InvalidArgument("stream: delta.tool_calls[" + std::to_string(i) +
                                       "] must be an object");
      const int index = t.contains("index") && t["index"].is_number_integer()
                            ? t["index"].get<int>()
                            : static_cast<int>(i);
      if (index < 0 || index > 128)
        return Status::InvalidArgument("stream: tool call index out of range");
      auto it = std::find(indexes_.begin(), indexes_.end(), index);
      ToolCall* call = nullptr;
      if (it == indexes_.end()) {
        indexes_.push_back(index);
        response_.tool_calls.emplace_back();
        call = &response_.tool_calls.back();
      } else {
        call = &response_.tool_calls[static_cast<size_t>(it - indexes_.begin())];
      }
      if (t.contains("id") && t["id"].is_string()) call->id = t["id"].get<std::string>();
      if (t.contains("function") && t["function"].is_object()) {
        const Json& f = t["function"];
        if (f.contains("name") && f["name"].is_string()) call->name += f["name"].get<std::string>();
        if (f.contains("arguments") && f["arguments"].is_string()) {
          const std::string& piece = f["arguments"].get_ref<const std::string&>();
          bytes_ += piece.size();
          if (bytes_ > max_bytes_)
            return Status::InvalidArgument("stream: tool arguments exceed the size limit");
          call->arguments += piece;
        }
      }
    }
  }
  return Status::Ok();
}

Result<ChatResponse> StreamAccumulator::Finish() const {
  if (!done_ && response_.finish_reason.empty()) {
    return Status::FailedPrecondition("stream: ended before [DONE] or a finish_reason (cut off)");
  }
  ChatResponse r = response_;
  for (size_t i = 0; i < r.tool_calls.size(); ++i) {
    if (r.tool_calls[i].name.empty()) {
      return Status::InvalidArgument("stream: tool call " + std::to_string(i) +
                                     " has no function name");
    }
    if (r.tool_calls[i].id.empty()) r.tool_calls[i].id = "call_" + std::to_string(i);
  }
  return r;
}

std::string ToolName(std::string_view procedure) {
  std::string out;
  for (char c : procedure) {
    if (c == '.') {
      out += "__";
    } else {
      out += c;
    }
  }
  return out;
}

std::string ProcedureName(std::string_view tool) {
  std::string out;
  for (size_t i = 0; i < tool.size(); ++i) {
    if (tool[i] == '_' && i + 1 < tool.size() && tool[i + 1] == '_') {
      out += '.';
      ++i;
    } else {
      out += tool[i];
    }
  }
  return out;
}

std::string QuoteData(std::string_view label, std::string_view text) {
  // DumpJson escapes quotes, control characters and invalid UTF-8, so the data is one JSON
  // string: nothing inside it can end the block or look like an instruction line.
  // '<' and '>' are escaped too (\u003c, still valid JSON), so the text cannot contain the
  // closing tag.
  auto escape = [](const std::string& json) {
    std::string out;
    for (char c : json) {
      if (c == '<') {
        out += "\\u003c";
      } else if (c == '>') {
        out += "\\u003e";
      } else {
        out += c;
      }
    }
    return out;
  };
  return "<data source=" + escape(DumpJson(Json(std::string(label)))) + ">" +
         escape(DumpJson(Json(std::string(text)))) + "</data>";
}

namespace {

bool IsEmailChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         c == '+' || c == '%';
}

}  // namespace

std::string RedactPersonalData(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '@' && i > 0 && IsEmailChar(text[i - 1]) && i + 1 < text.size() &&
        IsEmailChar(text[i + 1])) {
      // Walk back over the local part already copied, forward over the domain.
      size_t back = out.size();
      while (back > 0 && IsEmailChar(out[back - 1])) --back;
      size_t fwd = i + 1;
      while (fwd < text.size() && IsEmailChar(text[fwd])) ++fwd;
      if (std::string_view(text.substr(i + 1, fwd - i - 1)).find('.') != std::string_view::npos) {
        out.resize(back);
        out += "<email>";
        i = fwd;
        continue;
      }
    }
    // IPv4 dotted quads.
    if (std::isdigit(static_cast<unsigned char>(text[i])) &&
        (i == 0 ||
         !(std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '.'))) {
      size_t j = i;
      int parts = 0;
      bool ok = true;
      while (parts < 4) {
        size_t digits = 0;
        int value = 0;
        while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j])) && digits < 4) {
          value = value * 10 + (text[j] - '0');
          ++j;
          ++digits;
        }
        if (digits == 0 || digits > 3 || value > 255) {
          ok = false;
          break;
        }
        ++parts;
        if (parts < 4) {
          if (j < text.size() && text[j] == '.') {
            ++j;
          } else {
            ok = false;
            break;
          }
        }
      }
      if (ok && parts == 4 &&
          (j >= text.size() ||
           !(std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '.'))) {
        out += "<ip>";
        i = j;
        continue;
      }
    }
    out += text[i];
    ++i;
  }
  return out;
}

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string s) {
  const char* ws = " \t\r\n?!.,\"'";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

// The text between `prefix` (the end of its first occurrence) and the first of `suffixes`.
std::optional<std::string> Between(const std::string& q, const std::string& prefix,
                                   const std::vector<std::string>& suffixes) {
  const size_t p = q.find(prefix);
  if (p == std::string::npos) return std::nullopt;
  const size_t start = p + prefix.size();
  size_t end = q.size();
  for (const auto& s : suffixes) {
    const size_t at = q.find(s, start);
    if (at != std::string::npos && at < end) end = at;
  }
  std::string subject = Trim(q.substr(start, end - start));
  if (subject.empty()) return std::nullopt;
  return subject;
}

}  // namespace

Intent ClassifyQuestion(std::string_view question) {
  const std::string q = Lower(question.substr(0, 2000));
  Intent intent;
  for (const char* prefix : {"why is ", "why are ", "why does ", "why do ", "why did "}) {
    auto s = Between(
        q, prefix,
        {" failing", " down", " broken", " fail", " red", " erroring", " crashing", " slow"});
    if (s && q.find(*s + " ") != std::string::npos) {
      intent.kind = IntentKind::kWhyFailing;
      intent.subject = *s;
      for (const char* article : {"the ", "our "}) {
        if (intent.subject.rfind(article, 0) == 0)
          intent.subject = intent.subject.substr(std::string(article).size());
      }
      return intent;
    }
  }
  for (const char* prefix : {"spend on ", "spent on ", "spending on ", "cost of ", "costs of ",
                             "pay for ", "paid for "}) {
    auto s = Between(q, prefix, {" this ", " last ", " in ", " during ", " over "});
    if (s) {
      intent.kind = IntentKind::kSpend;
      intent.subject = *s;
      return intent;
    }
  }
  if (q.find("spend") != std::string::npos || q.find("cost") != std::string::npos ||
      q.find("how much") != std::string::npos) {
    intent.kind = IntentKind::kSpend;
    return intent;
  }
  for (const char* k : {"on fire", "burning", "broken", "what is wrong", "what's wrong",
                        "open incident", "incidents", "outage", "firing", "down right now"}) {
    if (q.find(k) != std::string::npos) {
      intent.kind = IntentKind::kOnFire;
      return intent;
    }
  }
  return intent;
}

}  // namespace dai::assistant
