#include "engines/anomaly/nab_csv.h"

#include <cerrno>
#include <cstdlib>
#include <string>

namespace dai::anomaly {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Strips one pair of surrounding double quotes (NAB files do not quote, spreadsheets do).
std::string_view Unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

bool ReadDigits(std::string_view s, size_t pos, size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string Quoted(std::string_view s) {
  constexpr size_t kMax = 60;
  std::string out = "'";
  for (char c : s.substr(0, kMax)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  }
  if (s.size() > kMax) out += "...";
  out += "'";
  return out;
}

}  // namespace

Result<int64_t> ParseNabTimestamp(std::string_view text) {
  // YYYY-MM-DD HH:MM:SS (19 chars); 'T' accepted for the space; optional .fraction.
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  const bool shape = text.size() >= 19 && ReadDigits(text, 0, 4, year) && text[4] == '-' &&
                     ReadDigits(text, 5, 2, month) && text[7] == '-' &&
                     ReadDigits(text, 8, 2, day) && (text[10] == ' ' || text[10] == 'T') &&
                     ReadDigits(text, 11, 2, hour) && text[13] == ':' &&
                     ReadDigits(text, 14, 2, minute) && text[16] == ':' &&
                     ReadDigits(text, 17, 2, second);
  if (!shape) {
    return Status::InvalidArgument("timestamp " + Quoted(text) +
                                   " is not 'YYYY-MM-DD HH:MM:SS'");
  }
  if (text.size() > 19) {
    if (text[19] != '.') {
      return Status::InvalidArgument("timestamp " + Quoted(text) + " has trailing characters");
    }
    for (size_t i = 20; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') {
        return Status::InvalidArgument("timestamp " + Quoted(text) + " has a bad fraction");
      }
    }
  }
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDaysIn[month - 1] ||
      (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59 || second > 60) {
    return Status::InvalidArgument("timestamp " + Quoted(text) + " is not a valid date/time");
  }
  return DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
         hour * 3600 + minute * 60 + second;
}

Result<std::vector<NabRow>> ParseNabCsv(std::string_view text) {
  std::vector<NabRow> rows;
  size_t pos = 0;
  int64_t line_no = 0;
  int ts_col = -1, value_col = -1, columns = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = Trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line_no == 1 && line.size() >= 3 && line.substr(0, 3) == "\xEF\xBB\xBF") {
      line.remove_prefix(3);  // UTF-8 byte order mark
    }
    if (line.empty()) continue;
    // Split on commas (no embedded commas in this format).
    std::string_view fields[8];
    int count = 0;
    size_t start = 0;
    while (true) {
      size_t comma = line.find(',', start);
      std::string_view f = line.substr(start, comma == std::string_view::npos ? comma
                                                                               : comma - start);
      if (count < 8) fields[count] = Unquote(Trim(f));
      ++count;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    const std::string where = "line " + std::to_string(line_no) + ": ";
    if (ts_col < 0) {
      for (int i = 0; i < std::min(count, 8); ++i) {
        if (fields[i] == "timestamp") ts_col = i;
        if (fields[i] == "value") value_col = i;
      }
      if (ts_col < 0 || value_col < 0) {
        return Status::InvalidArgument(where + "header " + Quoted(line) +
                                       " must name the columns 'timestamp' and 'value'");
      }
      columns = count;
      continue;
    }
    if (count != columns) {
      return Status::InvalidArgument(where + "expected " + std::to_string(columns) +
                                     " fields, found " + std::to_string(count));
    }
    auto ts = ParseNabTimestamp(fields[ts_col]);
    if (!ts.ok()) return Status::InvalidArgument(where + ts.status().message());
    const std::string value_text(fields[value_col]);
    if (value_text.empty()) return Status::InvalidArgument(where + "empty value");
    errno = 0;
    char* parse_end = nullptr;
    const double v = std::strtod(value_text.c_str(), &parse_end);
    if (parse_end != value_text.c_str() + value_text.size()) {
      return Status::InvalidArgument(where + "value " + Quoted(value_text) + " is not a number");
    }
    rows.push_back(NabRow{std::string(fields[ts_col]), *ts, v, value_text});
  }
  if (ts_col < 0) return Status::InvalidArgument("empty input: no 'timestamp,value' header");
  return rows;
}

}  // namespace dai::anomaly
