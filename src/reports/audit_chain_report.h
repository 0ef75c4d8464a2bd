// The audit trail's tamper evidence (issue #17 item 4): `seatkeeper audit
// verify` / GET /api/audit/verify check the account's hash chain
// (store/audit_chain.h); `seatkeeper audit export` writes it as JSON Lines.
#pragma once

#include <ostream>
#include <string>

#include "reports/report.h"
#include "store/audit_chain.h"

namespace sk::reports {

// The CLI's exit status when the chain is broken (0 when intact; 1, 2 and 3
// keep their meanings: runtime failure, usage, refused).
inline constexpr int kAuditBrokenExit = 4;

Result<store::ChainReport> RunAuditVerify(store::Store& st, const std::string& account);

// {"intact", "entries", "links", "unchained", "first_chained_id", "head_hash",
//  "first_bad": null | {"problem": "edited"|"removed"|"reordered", "seq", "id",
//  "entry_id", "detail"}, "summary"}: `audit verify --json` and GET /api/audit/verify.
nlohmann::json AuditVerifyJson(const store::ChainReport& r);
// The human rendering: one line when intact, else the first bad entry and why.
void PrintAuditVerify(const store::ChainReport& r, std::ostream& out);

// Every row of the account's audit trail, oldest first, one JSON object a line:
// {"kind":"row", "id", "entry_id", "revision_of", "seq", "account", "at"
// (ISO), "at_unix", "actor", "action", "target", "before_json", "after_json"
// (the stored text, as hashed), "result", "detail", "prev_hash", "hash"}
// (the chain fields null for rows from before the chain), then one
// {"kind":"head", "seq", "hash"} line. Enough to recompute every hash.
Status WriteAuditExport(store::Store& st, const std::string& account, std::ostream& out);

}  // namespace sk::reports
