// The notifications report: what was queued for the account's channels and
// what became of it (sent, retrying with its next attempt, given up with the
// last error), newest first (`seatkeeper notifications`, GET
// /api/notifications). Message bodies are not shown; channels are set up
// with `seatkeeper notify set` (src/cli/notify_commands.cc).
#include <ostream>

#include "reports/registry.h"
#include "reports/table.h"

namespace sk::reports {

namespace {

using nlohmann::json;

json NotificationJson(const store::Notification& n) {
  return {{"id", n.id},
          {"key", n.key},
          {"channel", n.channel},
          {"kind", n.kind},
          {"subject", n.subject},
          {"state", n.state},
          {"attempts", n.attempts},
          {"last_error", n.last_error},
          {"created_at", FormatIso(n.created_at)},
          {"next_attempt_at", n.state == "pending" ? json(FormatIso(n.next_at)) : json(nullptr)},
          {"sent_at", n.sent_at ? json(FormatIso(*n.sent_at)) : json(nullptr)}};
}

json NotificationsJson(const std::vector<store::Notification>& rows) {
  json list = json::array();
  std::map<std::string, int> by_state = {{"pending", 0}, {"sent", 0}, {"failed", 0}};
  for (const auto& n : rows) {
    list.push_back(NotificationJson(n));
    ++by_state[n.state];
  }
  return {{"notifications", list},
          {"pending", by_state["pending"]},
          {"sent", by_state["sent"]},
          {"failed", by_state["failed"]}};
}

void PrintNotifications(const std::vector<store::Notification>& rows, std::ostream& out) {
  if (rows.empty()) {
    out << "No notifications yet (set up a channel with `seatkeeper notify set`).\n";
    return;
  }
  Table t({"ID", "CREATED", "CHANNEL", "KIND", "STATE", "ATTEMPTS", "SUBJECT", "LAST ERROR"});
  for (const auto& n : rows)
    t.Add({std::to_string(n.id), FormatIso(n.created_at), n.channel, n.kind,
           n.state == "pending" && n.attempts > 0 ? "retry at " + FormatIso(n.next_at) : n.state,
           std::to_string(n.attempts), n.subject, n.last_error});
  t.Print(out);
}

}  // namespace

std::vector<Report> NotificationsReports() {
  Report r = DeclareReport(
      "notifications", {"notifications"}, "/api/notifications",
      "Notifications queued for the webhook and e-mail, and what became of each",
      "Newest first: channel, kind, subject, state (pending, sent, failed), attempts and the last "
      "delivery error; bodies are not shown");
  r.fields = {{"limit", "integer", false, "at most this many (default 50)", "50"}};
  r.needs_connection = false;
  r.parse = Steps(
      [](const Reader& in) -> Result<int> {
        SK_ASSIGN_OR_RETURN(auto limit, in.Integer("limit", 1, 10000));
        return static_cast<int>(limit.value_or(50));
      },
      [](const Source& s, int limit) { return s.store->ListNotifications(s.account, std::nullopt, limit); },
      JsonOrText(NotificationsJson, PrintNotifications));
  return {r};
}

}  // namespace sk::reports
