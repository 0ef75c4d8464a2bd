// What every report shares (registry.h declares each report): its declared inputs (plain data that any
// surface can list: CLI options, query parameters, an OpenAPI entry, a UI form), one reader of their values
// (a command line and a query string go through the same parser and get the same errors), the usage window of
// a connection, and date ranges bounded to kMaxRangeDays.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/status.h"
#include "util/time.h"

namespace sk::reports {

// One input of a report.
struct Field {
  std::string name;  // the query parameter; the CLI option is --name with '_' spelled '-'
  std::string type;  // date | integer | number | string | enum | boolean
  bool required = false;
  std::string help;
  std::string example;
  std::vector<std::string> choices;  // type enum
  bool cli = true;                   // offered as a CLI option (type boolean: a flag)
  bool api = true;                   // offered as a query parameter
  bool in_path = false;              // REST: a path parameter ({name} in the report's path)
};

// Raw input values by field name; an empty value is the same as none.
using Inputs = std::map<std::string, std::string>;

// Where the values came from: errors name a field as that surface spells it
// (`--inactive-days` on the command line, `inactive_days` in a query).
enum class Surface { kCli, kApi };

// The field `name` as `surface` spells it.
std::string Spelled(const std::string& name, Surface surface);
// The field's name on the command line: its --option, or for a path parameter
// the positional argument it becomes (ID for {id}: `users history ID`).
std::string CliName(const Field& f);

// Typed reads of Inputs: nullopt when the value is absent or empty;
// kInvalidArgument naming the field when it is malformed or out of range.
class Reader {
 public:
  Reader(const Inputs& inputs, Surface surface) : in_(inputs), surface_(surface) {}
  std::optional<std::string> String(const std::string& name) const;
  Result<std::optional<int64_t>> Integer(const std::string& name, int64_t min, int64_t max) const;
  // A finite number in [min, max] (NaN and infinity are refused).
  Result<std::optional<double>> Number(const std::string& name, double min, double max) const;
  Result<std::optional<std::string>> Choice(const std::string& name,
                                            const std::vector<std::string>& choices) const;
  // "true" or "false".
  Result<std::optional<bool>> Boolean(const std::string& name) const;
  // A date YYYY-MM-DD.
  Result<std::optional<DayNumber>> Day(const std::string& name) const;
  std::string Name(const std::string& name) const { return Spelled(name, surface_); }
  Surface surface() const { return surface_; }

 private:
  const Inputs& in_;
  Surface surface_;
};

// The usage window of a connection: its last window_days days, today
// included, in its time zone.
struct Window {
  Zone zone = Zone::Utc();
  DayNumber first = 0, today = 0;
  int days = 0;
  // {"from", "to", "timezone"}
  nlohmann::json Json() const;
};
Result<Window> WindowOf(const store::Connection& c);

// The longest from..to range a report answers (ten years): a wider one only
// builds an answer nobody can use (0001-01-01..9999-12-31 made 336 MB).
inline constexpr int64_t kMaxRangeDays = 3660;

// The from and to fields of a report over days.
std::vector<Field> RangeFields();

// from..to as given (formats checked), and as resolved against a window.
struct RangeInput {
  std::optional<DayNumber> from, to;
  Surface surface = Surface::kApi;
};
struct DayRange {
  DayNumber from = 0, to = 0;
};
Result<RangeInput> ReadRange(const Reader& in);
// Absent ends default to the window's; kInvalidArgument when from is after
// to or the range is longer than kMaxRangeDays.
Result<DayRange> Resolve(const RangeInput& r, const Window& w);

}  // namespace sk::reports
