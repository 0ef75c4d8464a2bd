#include "reports/report.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace sk::reports {
namespace {

// 1e9 as 1000000000, 0.5 as 0.5.
std::string Plain(double x) {
  if (x == std::floor(x) && std::fabs(x) < 1e15) return std::to_string(static_cast<int64_t>(x));
  return nlohmann::json(x).dump();
}

}  // namespace

std::string Spelled(const std::string& name, Surface surface) {
  if (surface == Surface::kApi) return name;
  std::string flag = "--" + name;
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}

std::string CliName(const Field& f) {
  if (!f.in_path) return Spelled(f.name, Surface::kCli);
  std::string upper = f.name;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

std::optional<std::string> Reader::String(const std::string& name) const {
  auto it = in_.find(name);
  if (it == in_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

Result<std::optional<int64_t>> Reader::Integer(const std::string& name, int64_t min, int64_t max) const {
  auto v = String(name);
  if (!v) return std::optional<int64_t>();
  size_t used = 0;
  int64_t n = 0;
  try {
    n = std::stoll(*v, &used);
  } catch (...) {
    used = 0;
  }
  if (used != v->size() || n < min || n > max)
    return InvalidArgument(Name(name) + " must be an integer from " + std::to_string(min) + " to " +
                           std::to_string(max));
  return std::optional<int64_t>(n);
}

Result<std::optional<double>> Reader::Number(const std::string& name, double min, double max) const {
  auto v = String(name);
  if (!v) return std::optional<double>();
  char* end = nullptr;
  const double n = std::strtod(v->c_str(), &end);
  // NaN compares false with everything: !(n >= min) refuses it.
  if (!end || *end != '\0' || !std::isfinite(n) || !(n >= min) || n > max)
    return InvalidArgument(Name(name) + " must be a number from " + Plain(min) + " to " + Plain(max));
  return std::optional<double>(n);
}

Result<std::optional<std::string>> Reader::Choice(const std::string& name,
                                                  const std::vector<std::string>& choices) const {
  auto v = String(name);
  if (!v) return std::optional<std::string>();
  for (const auto& c : choices)
    if (*v == c) return v;
  std::string list;
  for (size_t i = 0; i < choices.size(); ++i)
    list += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  return InvalidArgument(Name(name) + " must be " + list);
}

Result<std::optional<bool>> Reader::Boolean(const std::string& name) const {
  SK_ASSIGN_OR_RETURN(auto v, Choice(name, {"true", "false"}));
  if (!v) return std::optional<bool>();
  return std::optional<bool>(*v == "true");
}

Result<std::optional<DayNumber>> Reader::Day(const std::string& name) const {
  auto v = String(name);
  if (!v) return std::optional<DayNumber>();
  auto d = ParseDay(*v);
  if (!d) return InvalidArgument(Name(name) + " must be a date YYYY-MM-DD");
  return std::optional<DayNumber>(*d);
}

nlohmann::json Window::Json() const {
  return {{"from", FormatDay(first)}, {"to", FormatDay(today)}, {"timezone", zone.name()}};
}

Result<Window> WindowOf(const store::Connection& c) {
  Window w;
  SK_ASSIGN_OR_RETURN(w.zone, Zone::Named(c.timezone));
  w.today = w.zone.DayOf(NowUnix());
  w.first = w.today - c.window_days + 1;
  w.days = c.window_days;
  return w;
}

std::vector<Field> RangeFields() {
  return {{"from", "date", false, "first date YYYY-MM-DD (default: start of the window)", "2026-11-01"},
          {"to", "date", false, "last date YYYY-MM-DD (default: today)", "2026-11-30"}};
}

Result<RangeInput> ReadRange(const Reader& in) {
  RangeInput r;
  r.surface = in.surface();
  SK_ASSIGN_OR_RETURN(r.from, in.Day("from"));
  SK_ASSIGN_OR_RETURN(r.to, in.Day("to"));
  return r;
}

Result<DayRange> Resolve(const RangeInput& r, const Window& w) {
  DayRange d{r.from.value_or(w.first), r.to.value_or(w.today)};
  const std::string from = Spelled("from", r.surface), to = Spelled("to", r.surface);
  if (d.from > d.to) return InvalidArgument(from + " is after " + to);
  if (int64_t{d.to} - d.from >= kMaxRangeDays)
    return InvalidArgument("the date range " + from + ".." + to + " is longer than " +
                           std::to_string(kMaxRangeDays) + " days");
  return d;
}

}  // namespace sk::reports
