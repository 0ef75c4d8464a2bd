#include "reports/table.h"

#include <algorithm>

#include "util/text.h"

namespace sk::reports {
namespace {

size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace

void Table::Print(std::ostream& out) const {
  // Cells come from Zendesk (names end users chose): nothing in them may
  // reach the terminal as a control character.
  std::vector<std::vector<std::string>> rows;
  rows.reserve(rows_.size());
  for (const auto& r : rows_) {
    std::vector<std::string> safe;
    safe.reserve(r.size());
    for (const auto& cell : r) safe.push_back(TerminalSafe(cell));
    rows.push_back(std::move(safe));
  }
  std::vector<size_t> width(header_.size(), 0);
  for (size_t i = 0; i < header_.size(); ++i) width[i] = DisplayWidth(header_[i]);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], DisplayWidth(r[i]));
  auto line = [&](const std::vector<std::string>& r) {
    std::string s;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < r.size() ? r[i] : "";
      s += cell;
      if (i + 1 < width.size()) s += std::string(width[i] - DisplayWidth(cell) + 2, ' ');
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out << s << '\n';
  };
  line(header_);
  for (const auto& r : rows) line(r);
}

void Table::PrintCsv(std::ostream& out) const {
  auto line = [&](const std::vector<std::string>& r) {
    for (size_t i = 0; i < r.size(); ++i) out << (i ? "," : "") << CsvCell(r[i]);
    out << "\r\n";
  };
  line(header_);
  for (const auto& r : rows_) line(r);
}

}  // namespace sk::reports
