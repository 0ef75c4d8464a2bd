#include "util/text.h"

#include <gtest/gtest.h>

namespace sk {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(TerminalSafeTest, HostileNamesCannotDriveTheTerminal) {
  // Clear screen and home, retitle the window (OSC 0 ... BEL), a carriage
  // return that overwrites the line, a newline that fakes a table row, the
  // 8-bit CSI (U+009B), a right-to-left override, bytes that are not UTF-8.
  EXPECT_EQ(TerminalSafe("Eve\x1b[2J\x1b[H"), "Eve" + kFffd + "[2J" + kFffd + "[H");
  EXPECT_EQ(TerminalSafe("\x1b]0;pwned\x07x"), kFffd + "]0;pwned" + kFffd + "x");
  EXPECT_EQ(TerminalSafe("Mallory\r12345  admin"), "Mallory" + kFffd + "12345  admin");
  EXPECT_EQ(TerminalSafe("a\n360000000001  Fake Row  admin"), "a" + kFffd + "360000000001  Fake Row  admin");
  EXPECT_EQ(TerminalSafe("x\xC2\x9B"
                         "2Jy"),
            "x" + kFffd + "2Jy");
  EXPECT_EQ(TerminalSafe("abc\xE2\x80\xAE"
                         "fdp.exe"),
            "abc" + kFffd + "fdp.exe");
  EXPECT_EQ(TerminalSafe("bad\xFF\xC3"), "bad" + kFffd + kFffd);
  EXPECT_EQ(TerminalSafe("tab\there\x7f"), "tab" + kFffd + "here" + kFffd);
  // Names in any script, and emoji, are kept.
  for (const char* fine : {"Fatima Ørsted", "山田 太郎", "Zoë 👩‍💻", "O'Brien, Jr.", ""})
    EXPECT_EQ(TerminalSafe(fine), fine);
}

TEST(TerminalTextTest, KeepsLineBreaksAndMakesEachLineSafe) {
  EXPECT_EQ(TerminalText("deleted Eve\x1b[2J <eve@x.test>\nnext line"),
            "deleted Eve" + kFffd + "[2J <eve@x.test>\nnext line");
  EXPECT_EQ(TerminalText("a\r\n\x1b]0;t\x07\n"), "a" + kFffd + "\n" + kFffd + "]0;t" + kFffd + "\n");
  EXPECT_EQ(TerminalText(""), "");
  EXPECT_EQ(TerminalText("\n\n"), "\n\n");
}

TEST(FormatAmountTest, TwoDecimalsAtMostNoneWhenWhole) {
  EXPECT_EQ(FormatAmount(115), "115");
  EXPECT_EQ(FormatAmount(55.5), "55.5");
  EXPECT_EQ(FormatAmount(1234.567), "1234.57");
  EXPECT_EQ(FormatAmount(0), "0");
  EXPECT_EQ(FormatAmount(0.05), "0.05");
  EXPECT_EQ(FormatAmount(1e9), "1000000000");
}

TEST(CsvCellTest, FormulasBecomeTextAndQuotingFollowsRfc4180) {
  const char* cases[][2] = {
      {"=HYPERLINK(\"http://evil.example\",\"click\")",
       "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\""},
      {"=1+2", "'=1+2"},
      {"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
      {"-2+3", "'-2+3"},
      {"@SUM(A1)", "'@SUM(A1)"},
      {"\t=1", "'\t=1"},
      {"\r=1", "\"'\r=1\""},
      // Numbers and ordinary text are unchanged.
      {"-5", "-5"},
      {"+3.5", "+3.5"},
      {"Ana", "Ana"},
      {"a,b", "\"a,b\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"", ""},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(CsvCell(in), out) << in;
}

}  // namespace
}  // namespace sk
