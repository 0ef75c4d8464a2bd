#include "notify/notify.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>

#include "policy/proposals.h"
#include "reports/seats_report.h"
#include "util/encoding.h"
#include "util/text.h"

namespace sk::notify {

using nlohmann::json;

namespace {

// "https://hooks.example.com/services/T/B/x" -> {"https", "hooks.example.com"}; the
// host without port or user info ("" when the URL has none).
struct UrlParts {
  std::string scheme, host;
  bool userinfo = false;
};
UrlParts Split(const std::string& url) {
  UrlParts p;
  const size_t colon = url.find("://");
  if (colon == std::string::npos) return p;
  p.scheme = url.substr(0, colon);
  p.scheme = AsciiLower(p.scheme);
  std::string authority = url.substr(colon + 3, url.find_first_of("/?#", colon + 3) - (colon + 3));
  if (const size_t at = authority.rfind('@'); at != std::string::npos) {
    p.userinfo = true;
    authority = authority.substr(at + 1);
  }
  if (!authority.empty() && authority[0] == '[') {
    p.host = authority.substr(0, authority.find(']') + 1);
  } else {
    p.host = authority.substr(0, authority.find(':'));
  }
  p.host = AsciiLower(p.host);
  return p;
}

bool Localhost(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

bool HasLineBreak(const std::string& s) {
  return s.find_first_of("\r\n") != std::string::npos;
}

bool PlausibleAddress(const std::string& a) {
  const size_t at = a.find('@');
  return at != std::string::npos && at > 0 && at + 1 < a.size() && !HasLineBreak(a) &&
         a.find_first_of(" <>,;\"") == std::string::npos;
}

// One line of text from a value we did not write (a user's name): no line
// breaks (a header or a Slack message stays one line), at most 80 characters.
std::string OneLine(std::string s) {
  std::replace_if(
      s.begin(), s.end(), [](char ch) { return ch == '\r' || ch == '\n' || ch == '\t'; }, ' ');
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

std::string Link(const Settings& s, const std::string& route) {
  if (s.link_base.empty()) return "";
  std::string base = s.link_base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/#" + route;
}

std::string ShortHash(const std::string& s) {
  unsigned char h[crypto_generichash_BYTES_MIN];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(s.data()), s.size(), nullptr, 0);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(h), 4));  // 8 hex digits
}

}  // namespace

// The settings' JSON in the connection's data: everything but the secrets.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Settings, smtp_url, smtp_from, smtp_to, smtp_user, smtp_plain,
                                                link_base, user_notice)

Result<Settings> LoadSettings(const store::Connection& c) {
  const json j = json::parse(c.notify_json.empty() ? "{}" : c.notify_json, nullptr, false);
  const json secret = json::parse(c.notify_secret.empty() ? "{}" : c.notify_secret, nullptr, false);
  if (!j.is_object() || !secret.is_object()) return IoError("the stored notification settings are damaged");
  Settings s;
  try {
    s = j.get<Settings>();
  } catch (const json::exception&) {
    return IoError("the stored notification settings are damaged");
  }
  s.webhook_url = secret.value("webhook_url", "");
  s.smtp_password = secret.value("smtp_password", "");
  return s;
}

void SaveSettings(const Settings& s, store::Connection* c) {
  c->notify_json = json(s).dump();
  c->notify_secret = json{{"webhook_url", s.webhook_url}, {"smtp_password", s.smtp_password}}.dump();
}

Status Validate(const Settings& s) {
  if (s.Webhook()) {
    const UrlParts u = Split(s.webhook_url);
    if (u.host.empty() || HasLineBreak(s.webhook_url) || u.userinfo)
      return InvalidArgument("the webhook URL is not an absolute URL with a host (https://host/path)");
    if (u.scheme != "https" && !(u.scheme == "http" && Localhost(u.host)))
      return InvalidArgument("the webhook URL must use https (http only to localhost)");
  }
  if (!s.smtp_url.empty()) {
    const UrlParts u = Split(s.smtp_url);
    if ((u.scheme != "smtp" && u.scheme != "smtps") || u.host.empty() || u.userinfo ||
        HasLineBreak(s.smtp_url))
      return InvalidArgument(
          "the SMTP URL must be smtp://host[:port] (STARTTLS) or smtps://host[:port], without credentials "
          "(give --smtp-user and the password from a file or SEATKEEPER_SMTP_PASSWORD)");
    if (s.smtp_plain && !(u.scheme == "smtp" && Localhost(u.host)))
      return InvalidArgument("plain SMTP (without TLS) is allowed only to a relay on localhost");
    if (!PlausibleAddress(s.smtp_from)) return InvalidArgument("e-mail needs a sender address (--smtp-from)");
    if (s.smtp_to.empty()) return InvalidArgument("e-mail needs at least one recipient (--smtp-to)");
    for (const auto& to : s.smtp_to)
      if (!PlausibleAddress(to)) return InvalidArgument("not an e-mail address: " + OneLine(to));
  }
  if (s.user_notice && !s.Email())
    return InvalidArgument(
        "the notice to users goes by e-mail: set up SMTP (--smtp, --smtp-from, --smtp-to)");
  if (!s.link_base.empty()) {
    const UrlParts u = Split(s.link_base);
    if ((u.scheme != "https" && u.scheme != "http") || u.host.empty() || HasLineBreak(s.link_base))
      return InvalidArgument("the link base must be the web app's http(s) URL");
  }
  return Status::Ok();
}

json SettingsJson(const Settings& s) {
  json j = {
      {"webhook", nullptr}, {"email", nullptr}, {"link_base", s.link_base}, {"user_notice", s.user_notice}};
  if (s.Webhook()) {
    const UrlParts u = Split(s.webhook_url);
    j["webhook"] = u.scheme + "://" + u.host + "/…";  // the path is the credential
  }
  if (!s.smtp_url.empty())
    j["email"] = {{"smtp_url", s.smtp_url},
                  {"from", s.smtp_from},
                  {"to", s.smtp_to},
                  {"user", s.smtp_user},
                  {"password_set", !s.smtp_password.empty()},
                  {"plain", s.smtp_plain}};
  return j;
}

namespace {

// The queue row of `m` for `channel`, without its body.
store::Notification RowOf(const store::Connection& c, const Message& m, const std::string& channel,
                          UnixTime now) {
  store::Notification n;
  n.account = c.account;
  n.key = m.key;
  n.kind = m.kind;
  n.subject = OneLine(m.subject);
  n.channel = channel;
  n.next_at = n.created_at = now;
  return n;
}

}  // namespace

Result<int> Enqueue(store::Store& store, const store::Connection& c, const Settings& s, const Message& m,
                    UnixTime now) {
  int queued = 0;
  if (s.Webhook()) {
    store::Notification n = RowOf(c, m, "webhook", now);
    n.body = json{
        {"text", n.subject + "\n" + m.text},
        {"event", m.kind},
        {"account", c.account},
        {"subject", n.subject},
        {"data",
         m.data}}.dump(-1, ' ', false, json::error_handler_t::replace);
    SK_ASSIGN_OR_RETURN(bool added, store.EnqueueNotification(n));
    queued += added;
  }
  if (s.Email()) {
    store::Notification n = RowOf(c, m, "email", now);
    n.body = m.text;
    SK_ASSIGN_OR_RETURN(bool added, store.EnqueueNotification(n));
    queued += added;
  }
  return queued;
}

namespace {

inline constexpr const char* kUserChannel = "user-email:";  // + the address: e-mail to one user

// Queues `m` as e-mail to `address` alone (a notice to a user, not to the admins).
Result<bool> EnqueueUserNotice(store::Store& store, const store::Connection& c, const Settings& s,
                               const std::string& address, const Message& m, UnixTime now) {
  if (!s.Email() || !PlausibleAddress(address)) return false;
  store::Notification n = RowOf(c, m, kUserChannel + address, now);
  n.body = m.text;
  return store.EnqueueNotification(n);
}

inline constexpr const char* kAuditMark = "notify:audit_id";
inline constexpr const char* kDigestMark = "notify:digest";  // the week and channels last digested

// The user a finished action was about, by name, from its before/after rows.
std::string NameIn(const store::AuditEntry& e) {
  for (const std::string* side : {&e.after_json, &e.before_json}) {
    const json j = json::parse(*side, nullptr, false);
    if (j.is_object() && j.contains("name") && j["name"].is_string()) return OneLine(j["name"]);
  }
  return "";
}

Message ActionMessage(const store::AuditEntry& e, const Settings& s) {
  const bool ok = e.result == "ok";
  Message m;
  m.key = "action:" + std::to_string(e.id);
  m.kind = ok ? "action.done" : "action.failed";
  const std::string name = NameIn(e);
  std::string who = e.target;
  std::string route = "/audit";
  if (e.target.rfind("user:", 0) == 0) {
    who = "user " + e.target.substr(5) + (name.empty() ? "" : " (" + name + ")");
    route = "/user/" + e.target.substr(5);
  }
  m.subject = "seatkeeper [" + e.account + "]: " + e.action + " on " + who + ": " + (ok ? "done" : e.result);
  m.text = "Action " + e.action + " by " + OneLine(e.actor) + " on " + who + ": " + e.result + ".";
  const std::string link = Link(s, route);
  if (!link.empty()) m.text += "\n" + link;
  m.data = {{"audit_id", e.id}, {"action", e.action}, {"target", e.target}, {"result", e.result}};
  if (!link.empty()) m.data["link"] = link;
  return m;
}

// Actions finished since the mark; the mark stops before an action still
// running (less than an hour old) so that its end is not missed.
Status CollectActions(store::Store& store, const store::Connection& c, const Settings& s, UnixTime now,
                      int* n) {
  SK_ASSIGN_OR_RETURN(auto mark_text, store.GetValue(c.account, kAuditMark));
  const int64_t mark = mark_text ? std::stoll(*mark_text) : 0;
  SK_ASSIGN_OR_RETURN(auto entries, store.ListAudit(c.account));
  int64_t new_mark = mark;
  bool held = false;
  for (const auto& e : entries) {
    if (e.id <= mark) continue;
    if (e.result == "started" && e.at > now - 3600) held = true;
    if (!held) new_mark = e.id;
    if (e.result != "ok" && e.result != "failed" && e.result != "refused") continue;
    SK_ASSIGN_OR_RETURN(int added, Enqueue(store, c, s, ActionMessage(e, s), now));
    *n += added;
  }
  if (!mark_text && entries.empty()) return store.PutValue(c.account, kAuditMark, "0");
  return new_mark != mark || !mark_text ? store.PutValue(c.account, kAuditMark, std::to_string(new_mark))
                                        : Status::Ok();
}

// The reason of a sync failure without where it struck: the part of the sync
// ("reading articles: ", "syncing users: ") and the request ("(GET /api/v2/...)").
// The sync's parts run at once (sync/sync.cc), so the same cause (a revoked
// token) can stop a different part first on each try; it is one reason.
std::string FailureReason(const std::string& error) {
  std::string r = error;
  for (const char* lead : {"reading ", "syncing "}) {
    const size_t colon = r.find(": ");
    if (r.rfind(lead, 0) == 0 && colon != std::string::npos && r.find(' ', std::strlen(lead)) >= colon) {
      r.erase(0, colon + 2);
      break;
    }
  }
  for (size_t open = r.find(" ("); open != std::string::npos; open = r.find(" (", open)) {
    const size_t close = r.find(')', open);
    const std::string inside = r.substr(open + 2, 7);
    const bool request = inside.rfind("GET /", 0) == 0 || inside.rfind("PUT /", 0) == 0 ||
                         inside.rfind("POST /", 0) == 0 || inside.rfind("DELETE ", 0) == 0 ||
                         inside.rfind("PATCH /", 0) == 0;
    if (!request || close == std::string::npos) {
      ++open;
      continue;
    }
    r.erase(open, close + 1 - open);
  }
  return r;
}

Message SyncFailedMessage(const store::Connection& c, const Settings& s, UnixTime now) {
  Message m;
  m.key = "sync-failed:" + std::to_string(now / 86400) + ":" + ShortHash(FailureReason(c.error));
  m.kind = "sync.failed";
  m.subject = "seatkeeper [" + c.account + "]: the Zendesk sync failed";
  m.text = "The sync of " + c.url + " failed: " + OneLine(c.error) +
           "\nData synced before the failure is kept; seatkeeper retries on its schedule.";
  const std::string link = Link(s, "/overview");
  if (!link.empty()) m.text += "\n" + link;
  m.data = {{"url", c.url}, {"error", c.error}};
  if (!link.empty()) m.data["link"] = link;
  return m;
}

// ISO 8601 week of `t` (UTC): "2026-W49".
std::string IsoWeek(UnixTime t) {
  const std::chrono::sys_days day{std::chrono::days(t / 86400)};
  const std::chrono::weekday wd{day};
  const int iso_wd = wd.iso_encoding();  // 1 = Monday
  const std::chrono::sys_days thursday = day + std::chrono::days(4 - iso_wd);
  const std::chrono::year_month_day ymd{thursday};
  const std::chrono::sys_days jan1 = std::chrono::sys_days{ymd.year() / std::chrono::January / 1};
  const int week = static_cast<int>((thursday - jan1).count() / 7) + 1;
  char buf[32];  // room for any int year: GCC's -O2 format check
  std::snprintf(buf, sizeof buf, "%d-W%02d", static_cast<int>(ymd.year()), week);
  return buf;
}

Result<Message> DigestMessage(store::Store& store, const store::Connection& c, const Settings& s,
                              UnixTime now) {
  SK_ASSIGN_OR_RETURN(auto seats, reports::RunSeats(store, c.account, c, reports::SeatsQuery{}));
  SK_ASSIGN_OR_RETURN(auto proposals, policy::ListProposals(store, c.account));
  int64_t pending = 0, approved = 0;
  for (const auto& p : proposals) {
    pending += p.state == "pending";
    approved += p.state == "approved";
  }
  Message m;
  m.key = "digest:" + IsoWeek(now);
  m.kind = "digest";
  m.subject = "seatkeeper [" + c.account + "]: weekly seat digest";
  m.text = std::to_string(seats.paid_seats) + " paid seats" +
           (seats.purchased_seats ? " of " + std::to_string(*seats.purchased_seats) + " purchased" : "") +
           "; " + std::to_string(seats.idle.size()) + " idle for " +
           std::to_string(seats.query.inactive_days) + " days; " + std::to_string(seats.integrations.size()) +
           " probable integration accounts.\n" + std::to_string(seats.recommendations) +
           " recommendations would free " + std::to_string(seats.recommended_seats_freed) + " seats" +
           (seats.recommendations_saving
                ? ", saving " + reports::FormatMoney(*seats.recommendations_saving) + " a month"
                : "") +
           ".\nReclaim proposals: " + std::to_string(pending) + " awaiting approval, " +
           std::to_string(approved) + " approved and in their grace period.";
  const std::string link = Link(s, "/recommendations");
  if (!link.empty()) m.text += "\n" + link;
  m.data = {
      {"week", IsoWeek(now)},
      {"paid_seats", seats.paid_seats},
      {"purchased_seats", seats.purchased_seats ? json(*seats.purchased_seats) : json(nullptr)},
      {"idle_paid_seats", seats.idle.size()},
      {"inactive_days", seats.query.inactive_days},
      {"probable_integrations", seats.integrations.size()},
      {"recommendations", seats.recommendations},
      {"recommended_seats_freed", seats.recommended_seats_freed},
      {"monthly_saving", seats.recommendations_saving ? json(*seats.recommendations_saving) : json(nullptr)},
      {"proposals_pending", pending},
      {"proposals_approved", approved}};
  if (!link.empty()) m.data["link"] = link;
  return m;
}

inline constexpr const char* kProposalsMark = "notify:proposals";  // open proposals already announced
inline constexpr size_t kNamesListed = 10;                         // in a message about many proposals

bool Open(const policy::Proposal& p) {
  return p.state == "pending" || p.state == "approved";
}

// What a policy's action does to a seat, in words for its admin and its user.
std::string ActionWords(const std::string& action) {
  if (action == "downgrade-light") return "becomes a light-agent seat (reading and private notes only)";
  if (action == "downgrade-end-user") return "is removed (the account stays, as an end user)";
  if (action == "offboard") return "is removed and your open tickets go to a colleague";
  if (action == "suspend") return "is suspended (no sign-in)";
  return "changes (" + action + ")";
}

// One message for the proposals made since the last flush, however many:
// a policy matching 200 users sends one message, not 200.
Message NewProposalsMessage(const std::vector<const policy::Proposal*>& fresh, const store::Connection& c,
                            const Settings& s) {
  std::string ids, names;
  std::map<std::string, int> by_policy;
  int waiting = 0;
  for (size_t i = 0; i < fresh.size(); ++i) {
    const policy::Proposal& p = *fresh[i];
    ids += p.id + "\n";
    ++by_policy[p.policy];
    waiting += p.state == "pending";
    if (i < kNamesListed)
      names += "\n- " + OneLine(p.user_name) + " (user " + std::to_string(p.user_id) + "): " + p.action +
               " by policy " + p.policy + (p.state == "approved" ? ", automatic" : "");
  }
  if (fresh.size() > kNamesListed)
    names += "\n- and " + std::to_string(fresh.size() - kNamesListed) + " more";
  Message m;
  m.key = "proposals:" + ShortHash(ids);
  m.kind = "proposals.new";
  m.subject = "seatkeeper [" + c.account + "]: " + std::to_string(fresh.size()) + " new reclaim proposal" +
              (fresh.size() == 1 ? "" : "s") +
              (waiting ? ", " + std::to_string(waiting) + " awaiting approval" : "");
  m.text = m.subject.substr(m.subject.find(": ") + 2) + ":" + names;
  const std::string link = Link(s, "/proposals");
  if (!link.empty()) m.text += "\n" + link;
  m.data = {{"proposals", fresh.size()}, {"awaiting_approval", waiting}, {"by_policy", by_policy}};
  if (!link.empty()) m.data["link"] = link;
  return m;
}

// The notice to the user of an approved proposal: what changes and when,
// and that signing in keeps the seat (activity in the grace period cancels
// the proposal). Their address only as the recipient, never in a body.
Message UserNoticeMessage(const policy::Proposal& p, const store::Connection& c) {
  const std::string date = FormatIso(*p.due_at).substr(0, 10);
  Message m;
  m.key = "notice:" + p.id;
  m.kind = "user.notice";
  m.subject = "Your Zendesk seat will change on " + date + " unless you sign in";
  m.text = "Hello " + OneLine(p.user_name) + ",\n\nYour agent seat in Zendesk (" + c.url + ") " +
           ActionWords(p.action) + " on " + date +
           ", because it has not been used recently.\nIf you still need it, sign in to Zendesk before then: "
           "any sign-in or ticket update keeps your seat as it is.";
  m.data = {{"proposal", p.id}, {"due", date}, {"action", p.action}};
  return m;
}

Status CollectProposals(store::Store& store, const store::Connection& c, const Settings& s, UnixTime now,
                        int* n) {
  SK_ASSIGN_OR_RETURN(auto proposals, policy::ListProposals(store, c.account));
  SK_ASSIGN_OR_RETURN(auto mark, store.GetValue(c.account, kProposalsMark));
  std::set<std::string> announced;
  const json was = json::parse(mark.value_or("[]"), nullptr, false);
  if (was.is_array())
    for (const auto& id : was)
      if (id.is_string()) announced.insert(id.get<std::string>());
  std::vector<const policy::Proposal*> fresh;
  json open = json::array();  // the mark keeps open proposals only: it stays small
  for (const auto& p : proposals) {
    if (!Open(p)) continue;
    open.push_back(p.id);
    if (!announced.count(p.id)) fresh.push_back(&p);
    if (s.user_notice && p.state == "approved" && p.due_at && p.user_email) {
      SK_ASSIGN_OR_RETURN(bool added,
                          EnqueueUserNotice(store, c, s, *p.user_email, UserNoticeMessage(p, c), now));
      *n += added;
    }
  }
  if (!fresh.empty()) {
    SK_ASSIGN_OR_RETURN(int added, Enqueue(store, c, s, NewProposalsMessage(fresh, c, s), now));
    *n += added;
  }
  return open != was ? store.PutValue(c.account, kProposalsMark, open.dump()) : Status::Ok();
}

}  // namespace

Result<int> CollectEvents(store::Store& store, const store::Connection& c, const Settings& s, UnixTime now) {
  int n = 0;
  SK_RETURN_IF_ERROR(CollectActions(store, c, s, now, &n));
  SK_RETURN_IF_ERROR(CollectProposals(store, c, s, now, &n));
  if (c.state == "error" && !c.error.empty()) {
    SK_ASSIGN_OR_RETURN(int added, Enqueue(store, c, s, SyncFailedMessage(c, s, now), now));
    n += added;
  }
  if (c.last_sync_at) {
    // The digest runs the seats report: once per week and set of channels,
    // not on every flush (each action, each minute of `serve`).
    const std::string mark = IsoWeek(now) + (s.Webhook() ? ":webhook" : "") + (s.Email() ? ":email" : "");
    SK_ASSIGN_OR_RETURN(auto done, store.GetValue(c.account, kDigestMark));
    if (done != mark) {
      SK_ASSIGN_OR_RETURN(Message digest, DigestMessage(store, c, s, now));
      SK_ASSIGN_OR_RETURN(int added, Enqueue(store, c, s, digest, now));
      n += added;
      SK_RETURN_IF_ERROR(store.PutValue(c.account, kDigestMark, mark));
    }
  }
  return n;
}

int64_t Backoff(int64_t attempts) {
  const int64_t minutes =
      attempts >= 10 ? 360 : std::min<int64_t>(int64_t{1} << std::max<int64_t>(0, attempts - 1), 360);
  return minutes * 60;
}

Result<Delivery> Deliver(store::Store& store, const store::Connection& c, const Settings& s, UnixTime now,
                         Senders& senders) {
  Delivery d;
  SK_ASSIGN_OR_RETURN(auto due, store.ListNotifications(c.account, now, 100));
  for (auto& n : due) {
    // Claimed with a lease: a sender that dies mid-send is retried after it.
    SK_ASSIGN_OR_RETURN(bool mine, store.ClaimNotification(c.account, n.id, n.attempts, now + 300));
    if (!mine) continue;
    ++n.attempts;
    Settings to_user = s;  // a notice to one user: the same server, that user the only recipient
    const bool user = n.channel.rfind(kUserChannel, 0) == 0;
    if (user) to_user.smtp_to = {n.channel.substr(std::string_view(kUserChannel).size())};
    Status sent = (n.channel == "webhook" && s.Webhook()) ? senders.Webhook(s, n.body)
                  : (n.channel == "email" && s.Email())   ? senders.Email(s, n.subject, n.body)
                  : (user && s.Email() && s.user_notice)
                      ? senders.Email(to_user, n.subject, n.body)
                      : Refused("the " + (user ? std::string("user notice") : n.channel) +
                                " channel is no longer set up");
    if (sent.ok()) {
      n.state = "sent";
      n.sent_at = now;
      n.last_error.clear();
      ++d.sent;
    } else {
      n.last_error = sent.message();
      const bool give_up = n.attempts >= kMaxAttempts || sent.code() == Code::kRefused;
      n.state = give_up ? "failed" : "pending";
      n.next_at = now + Backoff(n.attempts);
      ++(give_up ? d.failed : d.retrying);
      d.errors.push_back(n.channel + " " + n.kind + ": " + sent.message());
    }
    SK_RETURN_IF_ERROR(store.FinishNotification(n));
  }
  return d;
}

void Flush(store::Store& store, const std::string& account, Senders& senders, UnixTime now) {
  auto run = [&]() -> Status {
    SK_ASSIGN_OR_RETURN(auto c, store.GetConnection(account));
    if (!c) return Status::Ok();
    SK_ASSIGN_OR_RETURN(Settings s, LoadSettings(*c));
    if (!s.Webhook() && !s.Email()) return Status::Ok();
    SK_RETURN_IF_ERROR(CollectEvents(store, *c, s, now).status());
    SK_ASSIGN_OR_RETURN(Delivery d, Deliver(store, *c, s, now, senders));
    for (const auto& e : d.errors) spdlog::warn("notification not delivered: {}", e);
    return Status::Ok();
  };
  if (Status st = run(); !st.ok()) spdlog::warn("notifications: {}", st.ToString());
}

void Flush(store::Store& store, const std::string& account) {
  auto senders = CurlSenders();
  Flush(store, account, *senders, NowUnix());
}

}  // namespace sk::notify
