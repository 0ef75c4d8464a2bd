#include "policy/proposals.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "actions/idempotency.h"
#include "actions/registry.h"
#include "actions/render.h"
#include "reports/report.h"
#include "store/views.h"
#include "sync/after_sync.h"
#include "util/process.h"

namespace sk::policy {

using nlohmann::json;

namespace {

constexpr const char* kProposalPrefix = "proposal:";

json OptTime(UnixTime t) {
  return t ? json(FormatIso(t)) : json(nullptr);
}
UnixTime TimeOf(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return 0;
  return ParseIso(it->get<std::string>()).value_or(0);
}

bool Open(const Proposal& p) {
  return p.state == "pending" || p.state == "approved";
}

void Note(QueueReport& r, const Proposal& p, const std::string& note) {
  r.items.push_back({{"id", p.id}, {"state", p.state}, {"user_id", p.user_id}, {"note", note}});
}

// The usage of the user since the approval day (api_use is not activity):
// the first active day as evidence, or null.
Result<json> ActivitySince(store::Store& st, const store::Connection& conn, const Proposal& p,
                           const reports::Window& w) {
  const DayNumber from = w.zone.DayOf(p.decided_at);
  if (from > w.today) return json(nullptr);
  SK_ASSIGN_OR_RETURN(auto rows, st.Usage(conn.account, from, w.today, p.user_id));
  for (const auto& row : rows)
    if (!row.sources.empty()) return store::UsageJson(row);
  return json(nullptr);
}

}  // namespace

json Proposal::ToJson() const {
  return {{"id", id},
          {"policy", policy},
          {"user_id", user_id},
          {"user_name", user_name},
          {"user_email", user_email ? json(*user_email) : json(nullptr)},
          {"action", action},
          {"request", request},
          {"state", state},
          {"created_at", OptTime(created_at)},
          {"evidence", evidence},
          {"automatic", automatic},
          {"grace_days", grace_days},
          {"decided_by", decided_by},
          {"decided_at", OptTime(decided_at)},
          {"due_at", due_at ? json(FormatIso(*due_at)) : json(nullptr)},
          {"reason", reason},
          {"cancel_evidence", cancel_evidence},
          {"dry_run", dry_run},
          {"outcome", outcome},
          {"audit_id", audit_id},
          {"finished_at", OptTime(finished_at)}};
}

Proposal Proposal::FromJson(const json& j) {
  Proposal p;
  if (!j.is_object()) return p;
  p.id = j.value("id", "");
  p.policy = j.value("policy", "");
  p.user_id = j.value("user_id", int64_t{0});
  p.user_name = j.value("user_name", "");
  if (j.contains("user_email") && j["user_email"].is_string())
    p.user_email = j["user_email"].get<std::string>();
  p.action = j.value("action", "");
  p.request = j.value("request", json::object());
  p.state = j.value("state", "pending");
  p.created_at = TimeOf(j, "created_at");
  p.evidence = j.value("evidence", json(nullptr));
  p.automatic = j.value("automatic", false);
  p.grace_days = j.value("grace_days", 7);
  p.decided_by = j.value("decided_by", "");
  p.decided_at = TimeOf(j, "decided_at");
  if (UnixTime due = TimeOf(j, "due_at")) p.due_at = due;
  p.reason = j.value("reason", "");
  p.cancel_evidence = j.value("cancel_evidence", json(nullptr));
  p.dry_run = j.value("dry_run", json(nullptr));
  p.outcome = j.value("outcome", json(nullptr));
  p.audit_id = j.value("audit_id", int64_t{0});
  p.finished_at = TimeOf(j, "finished_at");
  return p;
}

json QueueReport::ToJson() const {
  return {{"proposed", proposed}, {"cancelled", cancelled}, {"ran", ran},
          {"failed", failed},     {"waiting", waiting},     {"proposals", items}};
}

Result<std::vector<Proposal>> ListProposals(store::Store& st, const std::string& account) {
  SK_ASSIGN_OR_RETURN(auto rows, st.ListValues(account, kProposalPrefix));
  std::vector<Proposal> out;
  for (const auto& [key, value] : rows) out.push_back(Proposal::FromJson(json::parse(value, nullptr, false)));
  return out;
}

Result<std::optional<Proposal>> GetProposal(store::Store& st, const std::string& account,
                                            const std::string& id) {
  SK_ASSIGN_OR_RETURN(auto value, st.GetValue(account, kProposalPrefix + id));
  if (!value) return std::optional<Proposal>();
  return std::optional<Proposal>(Proposal::FromJson(json::parse(*value, nullptr, false)));
}

Status PutProposal(store::Store& st, const std::string& account, const Proposal& p) {
  return st.PutValue(account, kProposalPrefix + p.id, p.ToJson().dump());
}

Result<QueueReport> Propose(store::Store& st, const store::Connection& conn) {
  QueueReport report;
  SK_ASSIGN_OR_RETURN(reports::Window w, reports::WindowOf(conn));
  SK_ASSIGN_OR_RETURN(auto policies, ListPolicies(st, conn.account));
  SK_ASSIGN_OR_RETURN(auto existing, ListProposals(st, conn.account));
  const UnixTime now = NowUnix();
  for (const Policy& pol : policies) {
    auto evaluated = Evaluate(st, conn, pol);
    if (!evaluated.ok()) {  // this policy cannot be judged today; the others still can
      report.items.push_back({{"policy", pol.name}, {"note", evaluated.status().ToString()}});
      spdlog::warn("reclaim policy {}: {}", pol.name, evaluated.status().ToString());
      continue;
    }
    const Evaluation& ev = *evaluated;
    std::set<int64_t> matched;
    for (const auto& m : ev.matches) matched.insert(m.user.user.id);
    // Users with an open or rejected proposal of this policy get no new one.
    std::set<int64_t> held;
    for (Proposal& p : existing) {
      if (p.policy != pol.name) continue;
      if (p.state == "pending" && !matched.count(p.user_id)) {
        p.state = "cancelled";
        p.reason = "no longer matches policy " + pol.name;
        p.decided_at = now;
        p.decided_by = "seatkeeper";
        SK_RETURN_IF_ERROR(PutProposal(st, conn.account, p));
        ++report.cancelled;
        Note(report, p, p.reason);
        continue;
      }
      if (Open(p) || p.state == "rejected") held.insert(p.user_id);
    }
    for (const auto& m : ev.matches) {
      const store::UserRecord& u = m.user.user;
      if (held.count(u.id)) continue;
      Proposal p;
      std::string day = FormatDay(w.today);
      day.erase(std::remove(day.begin(), day.end(), '-'), day.end());
      p.id = pol.name + "-" + std::to_string(u.id) + "-" + day;
      SK_ASSIGN_OR_RETURN(auto same, GetProposal(st, conn.account, p.id));
      if (same) continue;  // proposed earlier today (and since closed)
      p.policy = pol.name;
      p.user_id = u.id;
      p.user_name = u.name;
      p.user_email = u.email;
      p.action = pol.action;
      const ActionRequest req = RequestFor(pol, u.id);
      p.request = {{"operation", req.operation}, {"fields", req.fields}};
      p.created_at = now;
      p.evidence = m.evidence;
      p.automatic = pol.automatic;
      p.grace_days = pol.grace_days;
      if (pol.automatic) {
        p.state = "approved";
        p.decided_by = "policy:" + pol.name + " (automatic)";
        p.decided_at = now;
        p.due_at = now + static_cast<UnixTime>(pol.grace_days) * 86400;
      }
      SK_RETURN_IF_ERROR(PutProposal(st, conn.account, p));
      ++report.proposed;
      Note(report, p, "proposed: idle " + std::to_string(m.idle_days) + " days");
    }
  }
  return report;
}

namespace {

// Runs one approved, due proposal under its idempotency claim and records the result.
Status RunProposal(const actions::ActionContext& base, const std::string& owner, Proposal& p,
                   QueueReport& report) {
  store::Store& st = *base.store;
  const std::string operation = p.request.value("operation", "");
  const actions::Operation* op = actions::FindOperation(operation);
  auto finish = [&](const std::string& state, const std::string& why) {
    p.state = state;
    p.reason = why;
    p.finished_at = NowUnix();
    ++(state == "done" ? report.ran : report.failed);
    Note(report, p, why.empty() ? state : why);
    return PutProposal(st, base.conn.account, p);
  };
  if (op == nullptr) return finish("failed", "unknown operation " + operation);
  auto values = actions::ParseFields(*op, p.request.value("fields", json::object()));
  if (!values.ok()) return finish("failed", values.status().ToString());
  auto run = op->parse(*values);
  if (!run.ok()) return finish("failed", run.status().ToString());
  actions::ActionContext ctx = base;
  ctx.actor = "policy:" + p.policy + " proposal:" + p.id + " (approved by " + p.decided_by + ")";
  const json request = {{"proposal", p.id}, {"operation", operation}, {"fields", values->json()}};
  auto answer = actions::RunOnce(
      st, base.conn.account, "proposal:" + p.id, request, owner, [&]() -> Result<actions::ActionOutcome> {
        // Rejected or cancelled since it was read: nothing runs.
        auto current = GetProposal(st, base.conn.account, p.id);
        if (!current.ok()) return current.status();
        if (!*current || (**current).state != "approved")
          return Refused("proposal " + p.id + " is no longer approved");
        actions::ActionContext dry = ctx;
        dry.dry_run = true;
        auto planned = (*run)(dry);
        p.dry_run = planned.ok() ? planned->ToJson() : actions::ErrorJson(planned.status());
        if (!planned.ok()) return planned.status();
        if (!planned->status.ok()) return planned;
        return (*run)(ctx);
      });
  if (!answer.ok()) return answer.status();
  // Decided meanwhile (rejected, cancelled, or recorded by the process that
  // ran it): its state stays as written.
  SK_ASSIGN_OR_RETURN(auto current, GetProposal(st, base.conn.account, p.id));
  if (!current || current->state != "approved") return Status::Ok();
  if (answer->kind == "in-progress") {
    ++report.waiting;
    Note(report, p, "running in another process");
    return Status::Ok();
  }
  p.outcome = answer->body;
  p.audit_id = answer->body.value("audit_id", int64_t{0});
  if (answer->status.ok()) return finish("done", answer->body.value("summary", ""));
  return finish("failed", answer->status.ToString());
}

}  // namespace

Result<QueueReport> RunDue(const actions::ActionContext& ctx, const std::string& owner) {
  QueueReport report;
  store::Store& st = *ctx.store;
  const store::Connection& conn = ctx.conn;
  SK_ASSIGN_OR_RETURN(reports::Window w, reports::WindowOf(conn));
  SK_ASSIGN_OR_RETURN(auto all, ListProposals(st, conn.account));
  std::map<std::string, std::optional<Evaluation>> evaluations;  // by policy, computed once
  const UnixTime now = NowUnix();
  for (Proposal& p : all) {
    if (p.state != "approved") continue;
    // Re-read: another process may have moved it on meanwhile.
    SK_ASSIGN_OR_RETURN(auto fresh, GetProposal(st, conn.account, p.id));
    if (!fresh || fresh->state != "approved") continue;
    p = *fresh;
    auto cancel = [&](const std::string& why, json evidence) {
      p.state = "cancelled";
      p.reason = why;
      p.cancel_evidence = std::move(evidence);
      p.finished_at = now;
      ++report.cancelled;
      Note(report, p, why);
      return PutProposal(st, conn.account, p);
    };
    SK_ASSIGN_OR_RETURN(json activity, ActivitySince(st, conn, p, w));
    if (!activity.is_null()) {
      SK_RETURN_IF_ERROR(cancel(
          "the user was active during the grace period (" + activity.value("date", std::string()) + ")",
          activity));
      continue;
    }
    auto& ev = evaluations[p.policy];
    if (!ev) {
      SK_ASSIGN_OR_RETURN(auto pol, GetPolicy(st, conn.account, p.policy));
      if (!pol) {
        SK_RETURN_IF_ERROR(cancel("policy " + p.policy + " was removed", nullptr));
        continue;
      }
      SK_ASSIGN_OR_RETURN(ev, Evaluate(st, conn, *pol));
    }
    bool matches = false;
    for (const auto& m : ev->matches) matches |= m.user.user.id == p.user_id;
    if (!matches) {
      SK_RETURN_IF_ERROR(cancel("the user no longer matches policy " + p.policy, nullptr));
      continue;
    }
    if (!p.due_at || now < *p.due_at || !conn.last_sync_at || *conn.last_sync_at < *p.due_at) {
      ++report.waiting;
      Note(report, p,
           p.due_at && now >= *p.due_at ? "grace period over: waits for a sync after " + FormatIso(*p.due_at)
                                        : "in its grace period until " + FormatIso(p.due_at.value_or(now)));
      continue;
    }
    SK_RETURN_IF_ERROR(RunProposal(ctx, owner, p, report));
  }
  return report;
}

void InstallAfterSyncHook() {
  sync::SetAfterSyncHook([](zendesk::Client& client, store::Store& st, const std::string& account) {
    auto conn = st.GetConnection(account);
    if (!conn.ok() || !*conn) return;
    actions::ActionContext ctx;
    ctx.store = &st;
    ctx.conn = **conn;
    if (actions::CheckWritePermission(ctx.conn).ok()) ctx.client = &client;
    auto ran = RunDue(ctx, ProcessName("sync"));
    if (!ran.ok()) spdlog::warn("reclaim proposals: {}", ran.status().ToString());
    auto proposed = Propose(st, ctx.conn);
    if (!proposed.ok()) spdlog::warn("reclaim policies: {}", proposed.status().ToString());
    if (ran.ok() && proposed.ok() &&
        (proposed->proposed + ran->ran + ran->failed + ran->cancelled + proposed->cancelled) > 0)
      spdlog::info("reclaim policies: {} proposed, {} ran, {} failed, {} cancelled, {} waiting",
                   proposed->proposed, ran->ran, ran->failed, ran->cancelled + proposed->cancelled,
                   ran->waiting);
  });
}

}  // namespace sk::policy
