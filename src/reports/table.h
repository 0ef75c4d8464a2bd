// Plain-text tables and CSV: how a report is shown on a terminal or exported.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace sk::reports {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  size_t size() const { return rows_.size(); }
  // Columns padded to the widest cell (UTF-8 aware); control characters in
  // cells are shown as U+FFFD (TerminalSafe).
  void Print(std::ostream& out) const;
  // RFC 4180 CSV with a header line; formula-like cells neutralised (CsvCell).
  void PrintCsv(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace sk::reports
