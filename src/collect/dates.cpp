#include "collect/dates.h"

#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

namespace vigil::collect {

int64_t PublishedToEpochMs(std::string_view text) {
  if (text.empty() || text.size() > kMaxDateChars) return 0;
  const std::string s(text);  // strptime needs a terminated string
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) {
    tm = {};
    rest = strptime(s.c_str(), "%Y-%m-%d %H:%M:%S", &tm);
  }
  if (rest == nullptr) {
    tm = {};
    const char* p = s.c_str();
    if (const char* comma = std::strchr(p, ',')) p = comma + 1;  // the weekday is optional
    rest = strptime(p, " %d %b %Y %H:%M:%S", &tm);
  }
  // Bounded years keep the arithmetic below far from overflow.
  if (rest == nullptr || tm.tm_year < 0 || tm.tm_year > 8099) return 0;
  int64_t t = static_cast<int64_t>(timegm(&tm));
  if (*rest == '.') {  // fractions of a second: ignored
    ++rest;
    while (*rest >= '0' && *rest <= '9') ++rest;
  }
  while (*rest == ' ') ++rest;
  if (*rest == '+' || *rest == '-') {
    const int sign = *rest == '-' ? -1 : 1;
    int hh = 0, mm = 0;
    if ((std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) == 2 ||
         std::sscanf(rest + 1, "%2d%2d", &hh, &mm) == 2) &&
        hh >= 0 && hh < 24 && mm >= 0 && mm < 60) {
      t -= sign * (hh * 3600 + mm * 60);
    }
  }
  return t * 1000;
}

}  // namespace vigil::collect
