#include "reports/audit_chain_report.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "reports/registry.h"

namespace sk::reports {

using nlohmann::json;

Result<store::ChainReport> RunAuditVerify(store::Store& st, const std::string& account) {
  SK_ASSIGN_OR_RETURN(auto chain, st.ReadAuditChain(account));
  return store::VerifyChain(chain);
}

namespace {

std::string Summary(const store::ChainReport& r) {
  std::string s;
  if (r.intact) {
    s = "audit trail intact: " + std::to_string(r.entries) + " entries, " + std::to_string(r.links) +
        " chained rows";
  } else {
    const auto& b = *r.first_break;
    s = "audit trail broken: first bad entry ";
    s += b.id ? "row " + std::to_string(b.id) + " (audit entry " + std::to_string(b.entry_id) + ")"
              : std::string("at the chain's end");
    s += b.seq ? " at position " + std::to_string(b.seq) : "";
    s += ": " + b.problem + " — " + b.detail;
  }
  if (r.unchained > 0)
    s += "; " + std::to_string(r.unchained) +
         " rows from before the chain existed are not covered (the chain starts at row " +
         (r.first_chained_id ? std::to_string(*r.first_chained_id) : std::string("-")) + ")";
  return s;
}

}  // namespace

json AuditVerifyJson(const store::ChainReport& r) {
  json bad = nullptr;
  if (r.first_break) {
    const auto& b = *r.first_break;
    bad = {{"problem", b.problem},
           {"seq", b.seq ? json(b.seq) : json()},
           {"id", b.id ? json(b.id) : json()},
           {"entry_id", b.entry_id ? json(b.entry_id) : json()},
           {"detail", b.detail}};
  }
  return {{"intact", r.intact},
          {"entries", r.entries},
          {"links", r.links},
          {"unchained", r.unchained},
          {"first_chained_id", r.first_chained_id ? json(*r.first_chained_id) : json()},
          {"head_hash", r.head_hash.empty() ? json() : json(r.head_hash)},
          {"first_bad", bad},
          {"summary", Summary(r)}};
}

void PrintAuditVerify(const store::ChainReport& r, std::ostream& out) {
  out << Summary(r) << "\n";
}

Status WriteAuditExport(store::Store& st, const std::string& account, std::ostream& out) {
  SK_ASSIGN_OR_RETURN(auto chain, st.ReadAuditChain(account));
  auto line = [&out](const json& j) {
    out << j.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  };
  std::vector<const store::AuditLink*> rows;
  for (const auto& l : chain.links) rows.push_back(&l);
  // Oldest first: rows from before the chain (id order), then the chain by position.
  std::stable_sort(rows.begin(), rows.end(), [](const store::AuditLink* a, const store::AuditLink* b) {
    if (a->seq.has_value() != b->seq.has_value()) return !a->seq.has_value();
    return a->seq && *a->seq < *b->seq;
  });
  for (const store::AuditLink* l : rows) {
    const auto& e = l->entry;
    const bool chained = l->seq.has_value() && !l->hash.empty();
    line({{"kind", "row"},
          {"id", e.id},
          {"entry_id", l->revision_of ? l->revision_of : e.id},
          {"revision_of", l->revision_of ? json(l->revision_of) : json()},
          {"seq", l->seq ? json(*l->seq) : json()},
          {"account", e.account},
          {"at", FormatIso(e.at)},
          {"at_unix", e.at},
          {"actor", e.actor},
          {"action", e.action},
          {"target", e.target},
          {"before_json", e.before_json},
          {"after_json", e.after_json},
          {"result", e.result},
          {"detail", e.detail},
          {"prev_hash", chained ? json(l->prev_hash) : json()},
          {"hash", chained ? json(l->hash) : json()}});
  }
  line({{"kind", "head"},
        {"seq", chain.head ? chain.head->seq : 0},
        {"hash", chain.head && !chain.head->hash.empty() ? json(chain.head->hash) : json()}});
  if (!out) return IoError("writing the audit export failed");
  return Status::Ok();
}

namespace {

// The export's run: to FILE (`--output`, CLI only) or as the answer.
Result<Output> RunAuditExport(const Source& src, const std::optional<std::string>& file) {
  if (!file) {
    std::ostringstream text;
    SK_RETURN_IF_ERROR(WriteAuditExport(*src.store, src.account, text));
    Output o = TextOutput(text.str(), "application/x-ndjson");
    o.filename = "audit.jsonl";
    return o;
  }
  std::ofstream f(*file, std::ios::binary | std::ios::trunc);
  if (!f) return IoError("cannot write " + *file);
  SK_RETURN_IF_ERROR(WriteAuditExport(*src.store, src.account, f));
  f.close();
  if (!f) return IoError("writing " + *file + " failed");
  return TextOutput("");
}

}  // namespace

std::vector<Report> AuditChainReports() {
  Report verify = DeclareReport(
      "audit.verify", {"audit", "verify"}, "/api/audit/verify",
      "Check the audit trail's hash chain: exit 0 when intact, 4 when an entry was "
      "edited, removed or reordered (the first bad one is named)",
      "The hash chain's state (audit verify --json): 200 with intact true, or intact false and the first bad "
      "entry");
  verify.needs_connection = false;
  verify.parse = Steps([](const Reader&) -> Result<bool> { return true; },
                       [](const Source& s, bool) { return RunAuditVerify(*s.store, s.account); },
                       [](const store::ChainReport& r, Format format, Surface) {
                         Output o = format == Format::kJson ? JsonOutput(AuditVerifyJson(r))
                                                            : Printed(PrintAuditVerify, r);
                         if (!r.intact) o.exit_code = kAuditBrokenExit;
                         return o;
                       });

  Report exp =
      DeclareReport("audit.export", {"audit", "export"}, "/api/audit/export",
                    "Write the audit trail with its hash chain as JSON Lines (every row, then the "
                    "chain head)",
                    "JSON Lines (application/x-ndjson, audit.jsonl): enough to recompute every hash");
  exp.needs_connection = false;
  exp.cli_formats = {};
  exp.fields = {{"output",
                 "string",
                 false,
                 "write to FILE instead of standard output",
                 "audit.jsonl",
                 {},
                 true,
                 false,
                 false}};
  exp.parse =
      Steps([](const Reader& in) -> Result<std::optional<std::string>> { return in.String("output"); },
            RunAuditExport, [](const Output& o, Format, Surface) { return o; });
  return {verify, exp};
}

}  // namespace sk::reports
