#include "reports/table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

namespace sk::reports {
namespace {

// User names come from Zendesk, where end users choose their own.
TEST(TableTest, HostileNamesReachNeitherTheTerminalNorASpreadsheetAsCommands) {
  Table t({"ID", "NAME", "ROLE"});
  t.Add({"1", "Eve\x1b[2J\x1b[H\x1b]0;pwned\x07", "end-user"});
  t.Add({"2", "Mallory\n3  Fake Admin  admin", "end-user"});
  t.Add({"3", "=HYPERLINK(\"http://evil.example\",\"x\")", "-5"});
  std::ostringstream text;
  t.Print(text);
  const std::string out = text.str();
  for (char c : out) EXPECT_TRUE(c == '\n' || static_cast<unsigned char>(c) >= 0x20) << int(c);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 4) << out;  // header + 3 rows, no fake row
  std::ostringstream csv;
  t.PrintCsv(csv);
  EXPECT_NE(csv.str().find("\"'=HYPERLINK("), std::string::npos) << csv.str();
  EXPECT_NE(csv.str().find(",-5\r\n"), std::string::npos) << csv.str();  // numbers stay numbers
}

}  // namespace
}  // namespace sk::reports
