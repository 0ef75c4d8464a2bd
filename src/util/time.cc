#include "util/time.h"

#include <date/date.h>
#include <date/tz.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

namespace sk {
namespace {

using Seconds = std::chrono::seconds;
using SysSeconds = std::chrono::time_point<std::chrono::system_clock, Seconds>;

int ParseDigits(std::string_view s, size_t pos, size_t n, bool* ok) {
  if (pos + n > s.size()) {
    *ok = false;
    return 0;
  }
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      *ok = false;
      return 0;
    }
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

UnixTime NowUnix() {
  if (const char* pinned = std::getenv("SEATKEEPER_NOW"); pinned && *pinned) {
    if (auto t = ParseIso(pinned)) return *t;
    char* end = nullptr;
    long long v = std::strtoll(pinned, &end, 10);
    if (end && *end == '\0') return v;
  }
  return std::chrono::duration_cast<Seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string FormatIso(UnixTime t) {
  SysSeconds tp{Seconds{t}};
  return date::format("%Y-%m-%dT%H:%M:%SZ", tp);
}

std::optional<UnixTime> ParseIso(std::string_view s) {
  bool ok = true;
  int y = ParseDigits(s, 0, 4, &ok);
  if (!ok || s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
      s[16] != ':')
    return std::nullopt;
  int mo = ParseDigits(s, 5, 2, &ok), d = ParseDigits(s, 8, 2, &ok);
  int h = ParseDigits(s, 11, 2, &ok), mi = ParseDigits(s, 14, 2, &ok), se = ParseDigits(s, 17, 2, &ok);
  if (!ok) return std::nullopt;
  date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)}, date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return std::nullopt;
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
  }
  long offset = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int sign = s[pos] == '-' ? -1 : 1;
      int oh = ParseDigits(s, pos + 1, 2, &ok);
      size_t mpos = pos + 3;
      if (mpos < s.size() && s[mpos] == ':') ++mpos;
      int om = ParseDigits(s, mpos, 2, &ok);
      if (!ok) return std::nullopt;
      offset = sign * (oh * 3600L + om * 60L);
      pos = mpos + 2;
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) return std::nullopt;
  auto days = date::sys_days{ymd}.time_since_epoch().count();
  return static_cast<UnixTime>(days) * 86400 + h * 3600 + mi * 60 + se - offset;
}

std::string FormatDay(DayNumber d) {
  date::year_month_day ymd{date::sys_days{date::days{d}}};
  return date::format("%Y-%m-%d", ymd);
}

std::optional<DayNumber> ParseDay(std::string_view s) {
  bool ok = true;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int y = ParseDigits(s, 0, 4, &ok), mo = ParseDigits(s, 5, 2, &ok), d = ParseDigits(s, 8, 2, &ok);
  if (!ok) return std::nullopt;
  date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)}, date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<DayNumber>(date::sys_days{ymd}.time_since_epoch().count());
}

Result<Zone> Zone::Named(const std::string& name) {
  if (name.empty() || name == "UTC" || name == "Etc/UTC") return Utc();
  Zone z;
  z.name_ = name;
  try {
    z.tz_ = date::locate_zone(name);
  } catch (const std::exception& e) {
    return InvalidArgument("unknown time zone '" + name + "' (expected an IANA name such as Europe/Berlin)");
  }
  return z;
}

Zone Zone::Utc() {
  Zone z;
  z.name_ = "UTC";
  return z;
}

DayNumber Zone::DayOf(UnixTime t) const {
  auto floor_div = [](int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); };
  if (!tz_) return static_cast<DayNumber>(floor_div(t, 86400));
  auto* tz = static_cast<const date::time_zone*>(tz_);
  auto info = tz->get_info(SysSeconds{Seconds{t}});
  return static_cast<DayNumber>(floor_div(t + info.offset.count(), 86400));
}

UnixTime Zone::StartOf(DayNumber d) const {
  if (!tz_) return static_cast<UnixTime>(d) * 86400;
  auto* tz = static_cast<const date::time_zone*>(tz_);
  date::local_seconds local{Seconds{static_cast<int64_t>(d) * 86400}};
  auto info = tz->get_info(local);
  switch (info.result) {
    case date::local_info::unique:
    case date::local_info::ambiguous:  // earliest of the two
      return (local - info.first.offset).time_since_epoch().count();
    case date::local_info::nonexistent:  // midnight skipped: the day starts at the transition
      return info.second.begin.time_since_epoch().count();
  }
  return (local - info.first.offset).time_since_epoch().count();
}

}  // namespace sk
