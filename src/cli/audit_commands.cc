// `seatkeeper audit verify` and `seatkeeper audit export`: the audit trail's
// hash chain (src/reports/audit_chain_report.h) on the command line.
#include <CLI/CLI.hpp>
#include <fstream>
#include <memory>

#include "cli/context.h"
#include "reports/audit_chain_report.h"

namespace sk::cli {

void RegisterAuditChainCommands(CLI::App* audit, Context& ctx) {
  CLI::App* verify = audit->add_subcommand(
      "verify",
      "Check the audit trail's hash chain: exit 0 when intact, 4 when an entry was edited, removed or "
      "reordered (the first bad one is named)");
  verify->add_flag("--json", ctx.json, "JSON output (as GET /api/audit/verify)");
  verify->callback([&ctx] {
    auto st = ctx.Store();
    if (!st.ok()) return ctx.Finish(st.status());
    auto r = reports::RunAuditVerify(**st, ctx.account);
    if (!r.ok()) return ctx.Finish(r.status());
    if (ctx.json) {
      *ctx.out << reports::AuditVerifyJson(*r).dump(2) << "\n";
    } else {
      reports::PrintAuditVerify(*r, *ctx.out);
    }
    if (!r->intact) ctx.exit_code = reports::kAuditBrokenExit;
  });

  auto output = std::make_shared<std::string>();
  CLI::App* exp = audit->add_subcommand(
      "export", "Write the audit trail with its hash chain as JSON Lines (every row, then the chain head)");
  exp->add_option("--output", *output, "Write to FILE instead of standard output");
  exp->callback([&ctx, output] {
    auto st = ctx.Store();
    if (!st.ok()) return ctx.Finish(st.status());
    if (output->empty()) return ctx.Finish(reports::WriteAuditExport(**st, ctx.account, *ctx.out));
    std::ofstream f(*output, std::ios::binary | std::ios::trunc);
    if (!f) return ctx.Finish(IoError("cannot write " + *output));
    Status s = reports::WriteAuditExport(**st, ctx.account, f);
    f.close();
    if (s.ok() && !f) s = IoError("writing " + *output + " failed");
    ctx.Finish(s);
  });
}

}  // namespace sk::cli
