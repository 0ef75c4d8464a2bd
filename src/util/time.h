// Time in seatkeeper: instants are Unix seconds (int64, UTC); calendar days are
// civil dates in the connection's IANA time zone, printed YYYY-MM-DD.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace sk {

using UnixTime = int64_t;
// Days since 1970-01-01 in some zone's civil calendar.
using DayNumber = int32_t;

// The current time. Tests and the simulator may pin it with SEATKEEPER_NOW
// (Unix seconds or ISO 8601); otherwise the system clock.
UnixTime NowUnix();

// 2026-11-23T09:15:00Z
std::string FormatIso(UnixTime t);
// Accepts "YYYY-MM-DDTHH:MM:SSZ" with optional fraction and numeric offset.
std::optional<UnixTime> ParseIso(std::string_view s);

// "YYYY-MM-DD" <-> day number.
std::string FormatDay(DayNumber d);
std::optional<DayNumber> ParseDay(std::string_view s);

// A named IANA zone ("UTC", "Europe/Berlin"). Cheap to copy.
class Zone {
 public:
  static Result<Zone> Named(const std::string& name);
  static Zone Utc();
  const std::string& name() const { return name_; }

  // The civil day that contains instant t.
  DayNumber DayOf(UnixTime t) const;
  // The first instant of civil day d (handles DST: midnight may not exist).
  UnixTime StartOf(DayNumber d) const;

 private:
  std::string name_;
  const void* tz_ = nullptr;  // date::time_zone*, null for UTC
};

}  // namespace sk
