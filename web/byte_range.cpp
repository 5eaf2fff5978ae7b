#include "web/byte_range.h"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <limits>

namespace vidx {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Digits only (at least one); saturates at the largest uint64_t.
std::optional<uint64_t> Number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    v = v > (kMax - d) / 10 ? kMax : v * 10 + d;
  }
  return v;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

RangeDecision ParseRange(std::string_view header, uint64_t size) {
  using Kind = RangeDecision::Kind;
  RangeDecision whole;
  header = Trim(header);
  const size_t eq = header.find('=');
  if (eq == std::string_view::npos || !EqualsNoCase(Trim(header.substr(0, eq)), "bytes")) {
    return whole;
  }
  const std::string_view spec = Trim(header.substr(eq + 1));
  if (spec.find(',') != std::string_view::npos) return whole;  // several ranges
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view first_text = Trim(spec.substr(0, dash));
  const std::string_view last_text = Trim(spec.substr(dash + 1));
  RangeDecision unsatisfiable;
  unsatisfiable.kind = Kind::kUnsatisfiable;
  if (first_text.empty()) {  // "-n": the last n bytes
    const std::optional<uint64_t> n = Number(last_text);
    if (!n) return whole;
    if (*n == 0 || size == 0) return unsatisfiable;
    const uint64_t length = *n < size ? *n : size;
    return {Kind::kPartial, size - length, length};
  }
  const std::optional<uint64_t> first = Number(first_text);
  if (!first) return whole;
  uint64_t last = size == 0 ? 0 : size - 1;
  if (!last_text.empty()) {
    const std::optional<uint64_t> l = Number(last_text);
    if (!l || *l < *first) return whole;
    if (*l < last) last = *l;
  }
  if (*first >= size) return unsatisfiable;
  return {Kind::kPartial, *first, last - *first + 1};
}

std::string ContentRange(const RangeDecision& decision, uint64_t size) {
  if (decision.kind == RangeDecision::Kind::kPartial) {
    return "bytes " + std::to_string(decision.offset) + "-" +
           std::to_string(decision.offset + decision.length - 1) + "/" + std::to_string(size);
  }
  return "bytes */" + std::to_string(size);
}

bool IfRangeMatches(std::string_view if_range, std::string_view etag, int64_t mtime_seconds) {
  if_range = Trim(if_range);
  if (if_range.empty()) return true;
  if (if_range.front() == '"') return if_range == etag;
  if (if_range.size() >= 2 && if_range[0] == 'W' && if_range[1] == '/') return false;
  const std::optional<int64_t> date = ParseHttpDate(if_range);
  return date && *date == mtime_seconds;
}

std::string HttpDate(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  tm g{};
  gmtime_r(&t, &g);
  char out[40];
  std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[g.tm_wday % 7],
                g.tm_mday, kMonths[g.tm_mon % 12], g.tm_year + 1900, g.tm_hour, g.tm_min, g.tm_sec);
  return out;
}

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed width, 29 characters.
  if (text.size() != 29 || text.substr(3, 2) != ", " || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  const auto digits = [&](size_t at, size_t n) -> std::optional<int> {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  int month = -1;
  for (int m = 0; m < 12; ++m) {
    if (text.substr(8, 3) == kMonths[m]) month = m;
  }
  const auto day = digits(5, 2), year = digits(12, 4), hour = digits(17, 2), minute = digits(20, 2),
             second = digits(23, 2);
  if (month < 0 || !day || !year || !hour || !minute || !second || text[7] != ' ' ||
      text[11] != ' ' || text[16] != ' ' || text[19] != ':' || text[22] != ':' || *day < 1 ||
      *day > 31 || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  tm g{};
  g.tm_year = *year - 1900;
  g.tm_mon = month;
  g.tm_mday = *day;
  g.tm_hour = *hour;
  g.tm_min = *minute;
  g.tm_sec = *second;
  return static_cast<int64_t>(timegm(&g));
}

}  // namespace vidx
