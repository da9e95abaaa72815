#include "engines/logmine/log_line.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/json.h"

namespace dai::logmine {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsLower(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != lower[i]) return false;
  }
  return true;
}

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return 1;
  size_t len = 0;
  uint32_t min = 0;
  uint32_t cp = 0;
  if ((b & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = b & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// "2024-01-02T03:04:05..." at the start of s: returns the length of the timestamp token.
size_t IsoTimestampLength(std::string_view s) {
  if (s.size() < 19 || !IsDigit(s[0]) || !IsDigit(s[3]) || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != ' ') || s[13] != ':') {
    return 0;
  }
  size_t i = 11;
  while (i < s.size() && !IsSpace(s[i])) ++i;
  return i;
}

std::string_view NextToken(std::string_view s, size_t& pos) {
  while (pos < s.size() && IsSpace(s[pos])) ++pos;
  size_t start = pos;
  while (pos < s.size() && !IsSpace(s[pos])) ++pos;
  return s.substr(start, pos - start);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool ParseJsonLine(std::string_view line, ParsedLine& out) {
  if (line.size() < 2 || line.front() != '{' || line.back() != '}') return false;
  auto j = ParseJson(line);
  if (!j.ok() || !j->is_object()) return false;
  static constexpr const char* kMessageKeys[] = {"msg",      "message", "MESSAGE", "log",
                                                 "@message", "text",    "event"};
  const Json* message = nullptr;
  for (const char* k : kMessageKeys) {
    auto it = j->find(k);
    if (it != j->end() && it->is_string()) {
      message = &*it;
      break;
    }
  }
  out.kind = LineKind::kJson;
  if (message != nullptr) {
    out.storage = message->get<std::string>();
    while (!out.storage.empty() && (out.storage.back() == '\n' || out.storage.back() == '\r')) {
      out.storage.pop_back();
    }
  } else {
    out.storage.assign(line);
  }
  out.message = out.storage;
  static constexpr const char* kLevelKeys[] = {"level",     "lvl",       "severity", "loglevel",
                                               "log.level", "levelname", "@level"};
  for (const char* k : kLevelKeys) {
    auto it = j->find(k);
    if (it == j->end()) continue;
    if (it->is_string()) out.level = ParseLevelWord(it->get_ref<const std::string&>());
    if (out.level != LogLevel::kUnknown) break;
  }
  if (out.level == LogLevel::kUnknown) {
    auto it = j->find("PRIORITY");  // journald
    if (it != j->end()) {
      int p = -1;
      if (it->is_string()) {
        const std::string& s = it->get_ref<const std::string&>();
        if (s.size() == 1 && IsDigit(s[0])) p = s[0] - '0';
      } else if (it->is_number_integer()) {
        p = it->get<int>();
      }
      out.level = SyslogSeverityLevel(p);
    }
  }
  if (out.level == LogLevel::kUnknown) {
    auto it = j->find("stream");  // Docker json-file: stderr lines default to nothing certain
    (void)it;
    out.level = FindLevelKeyword(out.message);
  }
  return true;
}

// logfmt: at least two key=value pairs, one of them msg= or level=.
bool ParseLogfmt(std::string_view line, ParsedLine& out) {
  if (line.find('=') == std::string_view::npos) return false;
  size_t pos = 0;
  int pairs = 0;
  bool useful = false;
  std::string_view msg;
  bool msg_quoted = false;
  LogLevel level = LogLevel::kUnknown;
  while (pos < line.size()) {
    while (pos < line.size() && IsSpace(line[pos])) ++pos;
    if (pos >= line.size()) break;
    size_t key_start = pos;
    while (pos < line.size() && line[pos] != '=' && !IsSpace(line[pos])) ++pos;
    if (pos >= line.size() || line[pos] != '=' || pos == key_start) return false;
    std::string_view key = line.substr(key_start, pos - key_start);
    ++pos;
    std::string_view value;
    bool quoted = false;
    if (pos < line.size() && line[pos] == '"') {
      quoted = true;
      size_t v = ++pos;
      while (pos < line.size() && line[pos] != '"') {
        if (line[pos] == '\\' && pos + 1 < line.size()) ++pos;
        ++pos;
      }
      if (pos >= line.size()) return false;
      value = line.substr(v, pos - v);
      ++pos;
    } else {
      size_t v = pos;
      while (pos < line.size() && !IsSpace(line[pos])) ++pos;
      value = line.substr(v, pos - v);
    }
    ++pairs;
    if (key == "msg" || key == "message") {
      msg = value;
      msg_quoted = quoted;
      useful = true;
    } else if (key == "level" || key == "lvl" || key == "severity") {
      level = ParseLevelWord(value);
      useful = true;
    }
  }
  if (pairs < 2 || !useful) return false;
  out.kind = LineKind::kLogfmt;
  out.level = level;
  if (msg.data() == nullptr) {
    out.message = line;
  } else if (msg_quoted && msg.find('\\') != std::string_view::npos) {
    out.storage.clear();
    for (size_t i = 0; i < msg.size(); ++i) {
      if (msg[i] == '\\' && i + 1 < msg.size()) {
        ++i;
        out.storage.push_back(msg[i] == 'n' ? ' ' : msg[i]);
      } else {
        out.storage.push_back(msg[i]);
      }
    }
    out.message = out.storage;
  } else {
    out.message = msg;
  }
  if (out.level == LogLevel::kUnknown) out.level = FindLevelKeyword(out.message);
  return true;
}

bool IsMonth(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return std::find(std::begin(kMonths), std::end(kMonths), s) != std::end(kMonths);
}

// RFC 3164 after an optional <PRI>: "Mmm dd hh:mm:ss host tag[pid]: message".
bool ParseBsdSyslog(std::string_view rest, int severity, ParsedLine& out) {
  size_t pos = 0;
  std::string_view mon = NextToken(rest, pos);
  if (!IsMonth(mon)) return false;
  std::string_view day = NextToken(rest, pos);
  std::string_view time = NextToken(rest, pos);
  if (day.empty() || day.size() > 2 || !IsDigit(day[0]) || time.size() != 8 || time[2] != ':') {
    return false;
  }
  NextToken(rest, pos);  // host
  size_t tag_start = pos;
  while (tag_start < rest.size() && IsSpace(rest[tag_start])) ++tag_start;
  size_t colon = rest.find(": ", tag_start);
  std::string_view message;
  if (colon != std::string_view::npos && colon - tag_start < 64 &&
      rest.substr(tag_start, colon - tag_start).find(' ') == std::string_view::npos) {
    message = rest.substr(colon + 2);
  } else {
    message = rest.substr(std::min(tag_start, rest.size()));
  }
  out.kind = LineKind::kSyslog;
  out.message = Trim(message);
  out.level = severity >= 0 ? SyslogSeverityLevel(severity) : FindLevelKeyword(out.message);
  if (severity >= 0 && out.level >= LogLevel::kInfo) {
    // Many programs log everything at one priority: a keyword in the text may say more.
    LogLevel kw = FindLevelKeyword(out.message);
    if (kw > out.level) out.level = kw;
  }
  return true;
}

bool ParseSyslog(std::string_view line, ParsedLine& out) {
  int severity = -1;
  std::string_view rest = line;
  if (!line.empty() && line[0] == '<') {
    size_t close = line.find('>');
    if (close == std::string_view::npos || close < 2 || close > 4) return false;
    int pri = 0;
    for (size_t i = 1; i < close; ++i) {
      if (!IsDigit(line[i])) return false;
      pri = pri * 10 + (line[i] - '0');
    }
    if (pri > 191) return false;
    severity = pri % 8;
    rest = line.substr(close + 1);
    if (rest.size() > 2 && rest[0] == '1' && rest[1] == ' ') {
      // RFC 5424: VERSION TIMESTAMP HOST APP PROCID MSGID SD MSG
      size_t pos = 2;
      for (int k = 0; k < 5; ++k) NextToken(rest, pos);
      while (pos < rest.size() && IsSpace(rest[pos])) ++pos;
      if (pos < rest.size() && rest[pos] == '[') {
        // Structured data: [id k="v" ...]... (quoted values may hold ']').
        while (pos < rest.size() && rest[pos] == '[') {
          bool in_quote = false;
          ++pos;
          while (pos < rest.size()) {
            char c = rest[pos];
            if (c == '\\' && pos + 1 < rest.size()) {
              pos += 2;
              continue;
            }
            if (c == '"') in_quote = !in_quote;
            ++pos;
            if (c == ']' && !in_quote) break;
          }
        }
      } else if (pos < rest.size() && rest[pos] == '-') {
        ++pos;
      }
      std::string_view message = Trim(rest.substr(std::min(pos, rest.size())));
      if (message.size() >= 3 && static_cast<unsigned char>(message[0]) == 0xEF &&
          static_cast<unsigned char>(message[1]) == 0xBB &&
          static_cast<unsigned char>(message[2]) == 0xBF) {
        message.remove_prefix(3);  // BOM
      }
      out.kind = LineKind::kSyslog;
      out.message = message;
      out.level = SyslogSeverityLevel(severity);
      return true;
    }
    if (ParseBsdSyslog(rest, severity, out)) return true;
    out.kind = LineKind::kSyslog;
    out.message = Trim(rest);
    out.level = SyslogSeverityLevel(severity);
    return true;
  }
  return ParseBsdSyslog(rest, -1, out);
}

// Combined/common log format: host ident user [time] "request" status size ...
bool ParseAccess(std::string_view line, ParsedLine& out) {
  size_t bracket = line.find(" [");
  if (bracket == std::string_view::npos || bracket > 300) return false;
  size_t close = line.find("] \"", bracket);
  if (close == std::string_view::npos || close - bracket > 40) return false;
  size_t req_end = line.find('"', close + 3);
  if (req_end == std::string_view::npos) return false;
  size_t pos = req_end + 1;
  std::string_view status = NextToken(line, pos);
  if (status.size() != 3 || !IsDigit(status[0]) || !IsDigit(status[1]) || !IsDigit(status[2])) {
    return false;
  }
  out.kind = LineKind::kAccess;
  // The message is the request and what follows: the client's address and time are variables
  // for every line and carry no template information.
  out.message = line.substr(close + 2);
  out.level = status[0] == '5'   ? LogLevel::kError
              : status[0] == '4' ? LogLevel::kWarn
                                 : LogLevel::kInfo;
  return true;
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kFatal:
      return "fatal";
    case LogLevel::kUnknown:
      break;
  }
  return "unknown";
}

LogLevel ParseLevelWord(std::string_view word) {
  // Brackets and a trailing colon as in "[ERROR]" or "WARN:".
  while (!word.empty() && (word.front() == '[' || word.front() == '<' || word.front() == '(')) {
    word.remove_prefix(1);
  }
  while (!word.empty() && (word.back() == ']' || word.back() == ':' || word.back() == '>' ||
                           word.back() == ')' || word.back() == ',')) {
    word.remove_suffix(1);
  }
  if (word.empty() || word.size() > 12) return LogLevel::kUnknown;
  struct Entry {
    std::string_view name;
    LogLevel level;
  };
  static constexpr Entry kWords[] = {
      {"trace", LogLevel::kTrace},        {"finest", LogLevel::kTrace},
      {"finer", LogLevel::kTrace},        {"debug", LogLevel::kDebug},
      {"dbg", LogLevel::kDebug},          {"fine", LogLevel::kDebug},
      {"info", LogLevel::kInfo},          {"information", LogLevel::kInfo},
      {"informational", LogLevel::kInfo}, {"notice", LogLevel::kInfo},
      {"inf", LogLevel::kInfo},           {"warn", LogLevel::kWarn},
      {"warning", LogLevel::kWarn},       {"wrn", LogLevel::kWarn},
      {"error", LogLevel::kError},        {"err", LogLevel::kError},
      {"severe", LogLevel::kError},       {"failure", LogLevel::kError},
      {"fatal", LogLevel::kFatal},        {"critical", LogLevel::kFatal},
      {"crit", LogLevel::kFatal},         {"alert", LogLevel::kFatal},
      {"emerg", LogLevel::kFatal},        {"emergency", LogLevel::kFatal},
      {"panic", LogLevel::kFatal},
  };
  for (const Entry& e : kWords) {
    if (EqualsLower(word, e.name)) return e.level;
  }
  if (word.size() == 1) {
    switch (word[0]) {
      case 'T':
        return LogLevel::kTrace;
      case 'D':
        return LogLevel::kDebug;
      case 'I':
        return LogLevel::kInfo;
      case 'W':
        return LogLevel::kWarn;
      case 'E':
        return LogLevel::kError;
      case 'F':
        return LogLevel::kFatal;
      default:
        break;
    }
  }
  return LogLevel::kUnknown;
}

LogLevel SyslogSeverityLevel(int severity) {
  switch (severity) {
    case 0:
    case 1:
    case 2:
      return LogLevel::kFatal;
    case 3:
      return LogLevel::kError;
    case 4:
      return LogLevel::kWarn;
    case 5:
    case 6:
      return LogLevel::kInfo;
    case 7:
      return LogLevel::kDebug;
    default:
      return LogLevel::kUnknown;
  }
}

void LineSplitter::Deliver(std::string_view line, const LineFn& on_line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  on_line(line);
}

void LineSplitter::Feed(std::string_view chunk, const LineFn& on_line) {
  size_t pos = 0;
  while (pos < chunk.size()) {
    const char* nl =
        static_cast<const char*>(std::memchr(chunk.data() + pos, '\n', chunk.size() - pos));
    const size_t end = nl == nullptr ? chunk.size() : static_cast<size_t>(nl - chunk.data());
    std::string_view piece = chunk.substr(pos, end - pos);
    if (skipping_) {
      if (nl != nullptr) skipping_ = false;
    } else if (partial_.size() + piece.size() > max_) {
      ++rejected_long_;
      partial_.clear();
      skipping_ = nl == nullptr;
    } else if (nl == nullptr) {
      partial_.append(piece);
    } else if (partial_.empty()) {
      Deliver(piece, on_line);
    } else {
      partial_.append(piece);
      std::string line = std::move(partial_);
      partial_.clear();
      Deliver(line, on_line);
    }
    pos = nl == nullptr ? chunk.size() : end + 1;
  }
}

void LineSplitter::Finish(const LineFn& on_line) {
  if (!skipping_ && !partial_.empty()) {
    std::string line = std::move(partial_);
    partial_.clear();
    Deliver(line, on_line);
  }
  partial_.clear();
  skipping_ = false;
}

size_t SanitizeLine(std::string_view line, std::string& out, size_t max_bytes) {
  out.clear();
  size_t replaced = 0;
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  static constexpr std::string_view kEllipsis = "\xE2\x80\xA6";
  if (max_bytes < 8) max_bytes = 8;
  size_t i = 0;
  while (i < line.size()) {
    const auto b = static_cast<unsigned char>(line[i]);
    std::string_view piece;
    size_t advance = 1;
    char space = ' ';
    if (b < 0x20 && b != '\t') {
      piece = std::string_view(&space, 1);
      ++replaced;
    } else if (b == 0x7F) {
      piece = std::string_view(&space, 1);
      ++replaced;
    } else {
      size_t len = Utf8Length(line, i);
      if (len == 0) {
        piece = kReplacement;
        ++replaced;
      } else {
        piece = line.substr(i, len);
        advance = len;
      }
    }
    if (out.size() + piece.size() > max_bytes - kEllipsis.size()) {
      out += kEllipsis;
      return replaced;
    }
    out.append(piece.data(), piece.size());
    i += advance;
  }
  return replaced;
}

bool LooksBinary(std::string_view line) {
  if (line.empty()) return false;
  size_t bad = 0;
  size_t i = 0;
  while (i < line.size()) {
    const auto b = static_cast<unsigned char>(line[i]);
    if (b < 0x20 && b != '\t') {
      ++bad;
      ++i;
      continue;
    }
    size_t len = Utf8Length(line, i);
    if (len == 0) {
      ++bad;
      len = 1;
    }
    i += len;
  }
  return bad * 4 > line.size();
}

std::string_view LineKindName(LineKind kind) {
  switch (kind) {
    case LineKind::kJson:
      return "json";
    case LineKind::kLogfmt:
      return "logfmt";
    case LineKind::kSyslog:
      return "syslog";
    case LineKind::kAccess:
      return "access";
    case LineKind::kContainer:
      return "container";
    case LineKind::kPlain:
      break;
  }
  return "plain";
}

LogLevel FindLevelKeyword(std::string_view text) {
  size_t pos = 0;
  for (int k = 0; k < 8 && pos < text.size(); ++k) {
    std::string_view tok = NextToken(text, pos);
    if (tok.empty()) break;
    // "level=error", "level:warn", "severity=E"
    size_t sep = tok.find_first_of("=:");
    if (sep != std::string_view::npos && sep + 1 < tok.size()) {
      std::string_view key = tok.substr(0, sep);
      if (EqualsLower(key, "level") || EqualsLower(key, "lvl") || EqualsLower(key, "severity")) {
        LogLevel l = ParseLevelWord(tok.substr(sep + 1));
        if (l != LogLevel::kUnknown) return l;
      }
    }
    // Level words count in capitals or brackets ("ERROR", "[warn]", "<Error>"), or as the
    // first word; a lower-case "error" inside a sentence is not a level.
    bool upper = std::all_of(tok.begin(), tok.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || c == '[' || c == ']' || c == ':' || c == '<' || c == '>';
    });
    bool bracketed = tok.size() > 2 && (tok.front() == '[' || tok.front() == '<');
    if ((upper && tok.size() > 1) || bracketed || k == 0) {
      LogLevel l = ParseLevelWord(tok);
      if (l != LogLevel::kUnknown && (tok.size() > 1 || k > 0)) return l;
    }
  }
  return LogLevel::kUnknown;
}

void ParseLine(std::string_view line, ParsedLine& out) {
  out.kind = LineKind::kPlain;
  out.level = LogLevel::kUnknown;
  out.storage.clear();
  std::string_view l = Trim(line);
  // Kubernetes CRI: "2016-10-06T00:17:09.669794202Z stdout F message".
  bool container = false;
  if (size_t ts = IsoTimestampLength(l); ts > 0 && ts + 10 <= l.size()) {
    size_t pos = ts;
    std::string_view stream = NextToken(l, pos);
    std::string_view tag = NextToken(l, pos);
    if ((stream == "stdout" || stream == "stderr") && (tag == "F" || tag == "P")) {
      if (pos < l.size()) ++pos;
      l = l.substr(std::min(pos, l.size()));
      container = true;
    }
  }
  if (!l.empty() && l.front() == '{' && ParseJsonLine(l, out)) {
    // Docker json-file lines carry the message in "log"; JSON inside a CRI line is the app's.
  } else if (!l.empty() && (l.front() == '<' || IsMonth(l.substr(0, 3))) && ParseSyslog(l, out)) {
  } else if (ParseAccess(l, out)) {
  } else if (ParseLogfmt(l, out)) {
  } else {
    out.kind = LineKind::kPlain;
    out.message = l;
    out.level = FindLevelKeyword(l);
    // A leading ISO timestamp is a header, not part of the message.
    if (size_t ts = IsoTimestampLength(l); ts > 0) {
      size_t pos = ts;
      while (pos < l.size() && IsSpace(l[pos])) ++pos;
      out.message = l.substr(pos);
    }
  }
  if (container) {
    if (out.kind == LineKind::kPlain) out.kind = LineKind::kContainer;
  }
}

bool IsErrorBurst(const uint32_t* history, size_t history_size, uint32_t current,
                  const BurstOptions& options) {
  if (current < options.min_count) return false;
  double baseline = 0;
  if (history_size > 0) {
    std::vector<uint32_t> h(history, history + history_size);
    auto mid = h.begin() + static_cast<std::ptrdiff_t>(h.size() / 2);
    std::nth_element(h.begin(), mid, h.end());
    baseline = *mid;
  }
  return current >= options.factor * (baseline + 1.0);
}

}  // namespace dai::logmine
