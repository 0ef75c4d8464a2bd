// Text from outside (Zendesk user names chosen by end users, emails, role
// names) made safe for where it is shown: a terminal, or a CSV file that a
// spreadsheet will open.
#pragma once

#include <string>
#include <string_view>

namespace sk {

// `s` with every character a terminal would act on replaced by U+FFFD:
// C0 controls (ESC, CR, LF, TAB, BEL, BS, ...), DEL, C1 controls (U+0080 to
// U+009F, e.g. the 8-bit CSI), the bidirectional overrides and isolates
// (U+202A-U+202E, U+2066-U+2069) that reorder what follows, and bytes that
// are not UTF-8. Everything else is kept as it is.
std::string TerminalSafe(std::string_view s);

// Free text of several lines for a terminal (an action's summary, an error
// message, a warning): TerminalSafe on each line, the line breaks (LF) kept.
// Every line of text that can carry Zendesk data (names, emails, ticket
// subjects, role names) and is printed outside a Table goes through this.
std::string TerminalText(std::string_view s);

// One CSV field (RFC 4180 quoting) that a spreadsheet shows as text: a cell
// starting with = + - @ TAB or CR, which Excel, LibreOffice and Google
// Sheets would run as a formula (=HYPERLINK(...), =cmd|...), gets a leading
// apostrophe (OWASP's advice); a plain number such as -5 or +3.5 is kept.
std::string CsvCell(std::string_view s);

// `s` with ASCII letters in lower case (other bytes, UTF-8 included, as they are).
std::string AsciiLower(std::string_view s);
// `s` without leading and trailing white space (space, tab, CR, LF, FF, VT).
std::string Trim(std::string_view s);
// An amount of money as people write it: at most two decimals, none when
// whole ("115", "55.5", "1234.56").
std::string FormatAmount(double v);

}  // namespace sk
