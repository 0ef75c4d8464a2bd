#include "render.h"

#include <optional>
#include <string_view>
#include <vector>

#include "util/time.h"

namespace zdsim {

namespace {

const char* kSubjects[] = {"Printer on fire",         "Cannot log in",          "Invoice question",
                           "Refund request",          "Shipping delay",         "Feature request: dark mode",
                           "Password reset not received", "Billing address change", "App crashes on start",
                           "Où est ma commande ?",    "Lieferung beschädigt",   "注文について"};
const char* kBodies[] = {"Thanks for reaching out, we're looking into it.",
                         "Could you send a screenshot?",
                         "It works again, thank you!",
                         "Internal note: escalate to tier 2.",
                         "Still broken on my side.",
                         "Vielen Dank für Ihre Geduld.",
                         "Merci, c'est réglé."};
const char* kClients[] = {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0",
                          "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) Safari/605.1.15", "Zendesk Mobile/5.2"};

void Member(JsonWriter& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
void WriteText(JsonWriter& w, std::string_view v) {
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
// A text value, or null.
void WriteTextOrNull(JsonWriter& w, const std::optional<std::string>& v) {
  if (v)
    WriteText(w, *v);
  else
    w.Null();
}
void WriteUserRef(JsonWriter& w, const Dataset& ds, int32_t idx) {
  if (idx == kSystem)
    w.Int64(-1);
  else if (idx < 0)
    w.Null();
  else
    w.Int64(ds.users[idx].id);
}

void WriteSystem(JsonWriter& w, const Event& e, uint64_t h) {
  w.StartObject();
  if (e.actor != kSystem && e.via != Via::kEmail) {
    Member(w, "client");
    WriteText(w, kClients[h % 3]);
    Member(w, "ip_address");
    WriteText(w, "192.0.2." + std::to_string(h % 250 + 1));
    Member(w, "location");
    WriteText(w, "Berlin, BE, Germany");
    Member(w, "latitude");
    w.Double(52.5167);
    Member(w, "longitude");
    w.Double(13.4);
  }
  w.EndObject();
}

std::string Body(int64_t id) {
  return kBodies[Mix(static_cast<uint64_t>(id)) % std::size(kBodies)];
}

void WriteViaSource(JsonWriter& w, const Event& e) {
  const bool rule = e.via == Via::kRule;
  const bool closes = rule && e.status_to == static_cast<uint8_t>(Status::kClosed);
  w.StartObject();
  Member(w, "from");
  w.StartObject();
  if (rule) {
    Member(w, "id");
    w.Int64(closes ? 360000900002 : 360000900001);
    Member(w, "title");
    WriteText(w, closes ? "Close ticket 4 days after status is set to solved" : "Auto-assign new tickets");
  }
  w.EndObject();
  Member(w, "to");
  w.StartObject();
  w.EndObject();
  Member(w, "rel");
  if (rule)
    WriteText(w, closes ? "automation" : "trigger");
  else
    w.Null();
  w.EndObject();
}

// A comment's fields in an audit's events (with plain_body) and in an export
// event's comment child (include=comment_events).
void WriteCommentFields(JsonWriter& w, const Dataset& ds, const Event& e, int64_t audit_id,
                        int64_t comment_id, bool plain_body) {
  const std::string body = Body(comment_id);
  Member(w, "type");
  WriteText(w, "Comment");
  Member(w, "author_id");
  WriteUserRef(w, ds, e.actor);
  Member(w, "body");
  WriteText(w, body);
  Member(w, "html_body");
  WriteText(w, "<div class=\"zd-comment\"><p>" + body + "</p></div>");
  if (plain_body) {
    Member(w, "plain_body");
    WriteText(w, body);
  }
  Member(w, "public");
  w.Bool((e.flags & kPublic) != 0);
  Member(w, "attachments");
  w.StartArray();
  w.EndArray();
  Member(w, "audit_id");
  w.Int64(audit_id);
}

// A ticket update's field changes (and, on its creation, its first values),
// the same in an audit's events and an export event's child events.
struct FieldChange {
  const char* field;
  std::optional<std::string> value, previous;
  bool create;
};
std::vector<FieldChange> FieldChanges(const Dataset& ds, const Event& e, const Ticket& t) {
  auto ref = [&](int32_t u) { return u >= 0 ? std::optional(std::to_string(ds.users[u].id)) : std::nullopt; };
  std::vector<FieldChange> out;
  if (e.kind == EventKind::kCreate) {
    out.push_back({"subject", TicketSubject(t.id), std::nullopt, true});
    out.push_back({"status", StatusName(e.status_to), std::nullopt, true});
    out.push_back({"requester_id", ref(t.requester), std::nullopt, true});
    if (e.assignee_to >= 0) out.push_back({"assignee_id", ref(e.assignee_to), std::nullopt, true});
  } else {
    if (e.status_to != kNoChange)
      out.push_back({"status", StatusName(e.status_to), StatusName(e.status_from), false});
    if (e.assignee_to != kNoChange32)
      out.push_back({"assignee_id", ref(e.assignee_to), ref(e.assignee_from), false});
  }
  return out;
}

}  // namespace

std::string Iso(int64_t t) { return sk::FormatIso(t); }
json IsoOrNull(int64_t t) { return t == kNull ? json(nullptr) : json(Iso(t)); }

json UserRef(const Dataset& ds, int32_t idx) {
  if (idx == kSystem) return -1;
  if (idx < 0) return nullptr;
  return ds.users[idx].id;
}

std::string TicketSubject(int64_t ticket_id) { return kSubjects[Mix(static_cast<uint64_t>(ticket_id) * 31) % std::size(kSubjects)]; }

void WriteUser(JsonWriter& w, const User& u, const std::string& base, UserShape shape) {
  const bool deleted = shape == UserShape::kDeleted;
  const bool end_user = u.role == "end-user";
  auto id_or_null = [&](const char* key, int64_t v) {
    Member(w, key);
    if (v)
      w.Int64(v);
    else
      w.Null();
  };
  auto member_null = [&](const char* key) {
    Member(w, key);
    w.Null();
  };
  auto member_bool = [&](const char* key, bool v) {
    Member(w, key);
    w.Bool(v);
  };
  auto member_text = [&](const char* key, std::string_view v) {
    Member(w, key);
    WriteText(w, v);
  };
  auto text_or_null = [&](const char* key, bool null, std::string_view v) {
    Member(w, key);
    if (null)
      w.Null();
    else
      WriteText(w, v);
  };
  w.StartObject();
  Member(w, "id");
  w.Int64(u.id);
  member_text(
      "url", base + (deleted ? "/api/v2/deleted_users/" : "/api/v2/users/") + std::to_string(u.id) + ".json");
  member_text("name", u.name);
  text_or_null("email", u.email.empty(), u.email);
  member_text("created_at", Iso(u.created_at));
  member_text("updated_at", Iso(u.updated_at));
  member_text("time_zone", u.time_zone);
  member_text("iana_time_zone", u.iana_time_zone);
  member_null("phone");
  member_null("shared_phone_number");
  member_null("photo");
  Member(w, "locale_id");
  w.Int(1);
  member_text("locale", "en-US");
  id_or_null("organization_id", u.organization_id);
  member_text("role", u.role);
  member_bool("verified", !end_user || u.last_login_at != kNull);
  member_null("external_id");
  Member(w, "tags");
  w.StartArray();
  for (const auto& t : u.tags) WriteText(w, t);
  w.EndArray();
  text_or_null("alias", end_user, "");  // staff: "", end users: null
  member_bool("active", u.active && !deleted);
  member_bool("shared", false);
  member_bool("shared_agent", false);
  Member(w, "last_login_at");
  if (u.last_login_at == kNull)
    w.Null();
  else
    WriteText(w, Iso(u.last_login_at));
  Member(w, "two_factor_auth_enabled");  // end users: false, staff: null
  if (end_user)
    w.Bool(false);
  else
    w.Null();
  text_or_null("signature", end_user, "");  // staff: "", end users: null
  member_null("details");
  member_null("notes");
  Member(w, "role_type");
  if (u.role_type < 0)
    w.Null();
  else
    w.Int(u.role_type);
  id_or_null("custom_role_id", u.custom_role_id);
  member_bool("moderator", u.role == "admin");
  Member(w, "ticket_restriction");
  if (end_user)
    WriteText(w, "requested");
  else
    w.Null();
  member_bool("only_private_comments", u.license == License::kLightAgent);
  member_bool("restricted_agent", end_user);
  member_bool("suspended", u.suspended);
  member_bool("chat_only", u.chat_only);
  id_or_null("default_group_id", u.default_group_id);
  member_bool("report_csv", u.role == "admin");
  Member(w, "user_fields");
  w.StartObject();
  w.EndObject();
  w.EndObject();
}

json UserJson(const Dataset&, const User& u, const std::string& base) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteUser(w, u, base);
  return json::parse(std::string_view(buf.GetString(), buf.GetSize()));
}

json AnonymousUserJson() {
  return {{"id", nullptr},          {"url", nullptr},         {"name", "Anonymous user"},
          {"email", "invalid@example.com"}, {"created_at", nullptr}, {"updated_at", nullptr},
          {"time_zone", "UTC"},     {"iana_time_zone", "Etc/UTC"}, {"phone", nullptr},
          {"shared_phone_number", nullptr}, {"photo", nullptr}, {"locale_id", 1},
          {"locale", "en-US"},      {"organization_id", nullptr}, {"role", "end-user"},
          {"verified", false},      {"external_id", nullptr}, {"tags", json::array()},
          {"alias", nullptr},       {"active", true},         {"shared", false},
          {"shared_agent", false},  {"last_login_at", nullptr}, {"two_factor_auth_enabled", nullptr},
          {"signature", nullptr},   {"details", nullptr},     {"notes", nullptr},
          {"role_type", nullptr},   {"custom_role_id", nullptr}, {"moderator", false},
          {"ticket_restriction", "requested"}, {"only_private_comments", false},
          {"restricted_agent", true}, {"suspended", false},   {"default_group_id", nullptr},
          {"report_csv", false},    {"user_fields", json::object()}};
}

json DeletedUserJson(const Dataset&, const User& u, const std::string& base) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteUser(w, u, base, UserShape::kDeleted);
  return json::parse(std::string_view(buf.GetString(), buf.GetSize()));
}

json RoleJson(const Dataset& ds, const Role& r) {
  int count = 0;
  for (const auto& u : ds.users)
    if (u.active && u.custom_role_id == r.id) ++count;
  return {{"id", r.id},
          {"name", r.name},
          {"description", r.description},
          {"role_type", r.role_type},
          {"team_member_count", count},
          {"created_at", Iso(r.created_at)},
          {"updated_at", Iso(r.created_at)},
          {"configuration",
           {{"light_agent", r.light_agent},
            {"chat_access", r.role_type != 1},
            {"ticket_access", r.role_type == 0 ? "within-groups" : "all"},
            {"ticket_editing", !r.light_agent && r.role_type != 3},
            {"ticket_deletion", r.role_type == 4},
            {"view_deleted_tickets", r.role_type == 4},
            {"manage_team_members", r.role_type == 4 ? "all" : "readonly"},
            {"end_user_profile_access", "full"},
            {"moderate_forums", r.role_type == 4},
            {"forum_access", "full"},
            {"group_access", r.role_type == 4},
            {"explore_access", "readonly"},
            {"report_access", "readonly"}}}};
}

json TicketJson(const Dataset& ds, const Ticket& t, const std::string& base, bool incremental, int64_t now) {
  const std::string subject = TicketSubject(t.id);
  json j = {{"url", base + "/api/v2/tickets/" + std::to_string(t.id) + ".json"},
            {"id", t.id},
            {"external_id", nullptr},
            {"via", {{"channel", ViaChannel(t.via)}, {"source", {{"from", json::object()}, {"to", json::object()}, {"rel", nullptr}}}}},
            {"created_at", Iso(t.created_at)},
            {"updated_at", Iso(t.updated_at)},
            {"type", nullptr},
            {"subject", subject},
            {"raw_subject", subject},
            {"description", Body(t.id)},
            {"priority", nullptr},
            {"status", StatusName(t.status)},
            {"custom_status_id", 360000300000 + t.status},
            {"recipient", nullptr},
            {"requester_id", UserRef(ds, t.requester)},
            {"submitter_id", UserRef(ds, t.submitter)},
            {"assignee_id", UserRef(ds, t.assignee)},
            {"organization_id", nullptr},
            {"group_id", t.assignee >= 0 ? json(360001234567) : json(nullptr)},
            {"collaborator_ids", json::array()},
            {"follower_ids", json::array()},
            {"email_cc_ids", json::array()},
            {"forum_topic_id", nullptr},
            {"problem_id", nullptr},
            {"has_incidents", false},
            {"is_public", true},
            {"due_at", nullptr},
            {"tags", json::array()},
            {"custom_fields", json::array()},
            {"satisfaction_rating", nullptr},
            {"sharing_agreement_ids", json::array()},
            {"brand_id", 360000400000},
            {"allow_channelback", false},
            {"allow_attachments", true},
            {"from_messaging_channel", false}};
  if (incremental) j["generated_timestamp"] = GeneratedAt(t, now);
  return j;
}

void WriteTicketEvent(JsonWriter& w, const Dataset& ds, size_t idx, bool comment_events) {
  const Event& e = ds.events[idx];
  const Ticket& t = ds.tickets[e.ticket];
  const int64_t id = ds.EventId(idx);
  const char* via = ViaName(e.via);
  const int64_t comment_id = id + 1;  // same child ids as the audit's events
  int64_t cid = (e.flags & kComment) ? id + 2 : id + 1;
  w.StartObject();
  Member(w, "id");
  w.Int64(id);
  Member(w, "ticket_id");
  w.Int64(t.id);
  Member(w, "timestamp");
  w.Int64(e.at);
  Member(w, "created_at");
  WriteText(w, Iso(e.at));
  Member(w, "updater_id");
  WriteUserRef(w, ds, e.actor);
  Member(w, "via");
  WriteText(w, via);
  Member(w, "via_reference_id");
  w.Null();
  Member(w, "system");
  WriteSystem(w, e, Mix(static_cast<uint64_t>(id)));
  Member(w, "event_type");
  WriteText(w, "Audit");
  Member(w, "merged_ticket_ids");
  w.StartArray();
  w.EndArray();
  Member(w, "child_events");
  w.StartArray();
  for (const FieldChange& f : FieldChanges(ds, e, t)) {
    w.StartObject();
    Member(w, "id");
    w.Int64(cid++);
    Member(w, "via");
    WriteText(w, via);
    Member(w, "via_reference_id");
    w.Null();
    Member(w, "event_type");
    WriteText(w, f.create ? "Create" : "Change");
    Member(w, "field_name");
    WriteText(w, f.field);
    Member(w, f.field);
    WriteTextOrNull(w, f.value);
    if (!f.create) {
      Member(w, "previous_value");
      WriteTextOrNull(w, f.previous);
    }
    w.EndObject();
  }
  if (e.flags & kComment) {
    const bool pub = (e.flags & kPublic) != 0;
    w.StartObject();
    Member(w, "id");
    w.Int64(comment_id);
    Member(w, "event_type");
    WriteText(w, "Comment");
    if (comment_events) {
      WriteCommentFields(w, ds, e, id, comment_id, false);
      Member(w, "created_at");
      WriteText(w, Iso(e.at));
      Member(w, "via");
      WriteText(w, via);
    } else {
      Member(w, "comment_present");
      w.Bool(true);
      Member(w, "comment_public");
      w.Bool(pub);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void WriteAudit(JsonWriter& w, const Dataset& ds, size_t idx) {
  const Event& e = ds.events[idx];
  const Ticket& t = ds.tickets[e.ticket];
  const int64_t id = ds.EventId(idx);
  int64_t cid = id + 1;
  w.StartObject();
  Member(w, "id");
  w.Int64(id);
  Member(w, "ticket_id");
  w.Int64(t.id);
  Member(w, "created_at");
  WriteText(w, Iso(e.at));
  Member(w, "author_id");
  WriteUserRef(w, ds, e.actor);
  Member(w, "metadata");
  w.StartObject();
  Member(w, "system");
  WriteSystem(w, e, Mix(static_cast<uint64_t>(id)));
  Member(w, "custom");
  w.StartObject();
  w.EndObject();
  w.EndObject();
  Member(w, "events");
  w.StartArray();
  if (e.flags & kComment) {  // first here, its id before the changes' (comment last in ticket events)
    const int64_t comment_id = cid++;
    w.StartObject();
    Member(w, "id");
    w.Int64(comment_id);
    WriteCommentFields(w, ds, e, id, comment_id, true);
    w.EndObject();
  }
  for (const FieldChange& f : FieldChanges(ds, e, t)) {
    w.StartObject();
    Member(w, "id");
    w.Int64(cid++);
    Member(w, "type");
    WriteText(w, f.create ? "Create" : "Change");
    Member(w, "field_name");
    WriteText(w, f.field);
    Member(w, "value");
    WriteTextOrNull(w, f.value);
    if (!f.create) {
      Member(w, "previous_value");
      WriteTextOrNull(w, f.previous);
    }
    w.EndObject();
  }
  w.EndArray();
  Member(w, "via");
  w.StartObject();
  Member(w, "channel");
  WriteText(w, ViaChannel(e.via));
  Member(w, "source");
  WriteViaSource(w, e);
  w.EndObject();
  w.EndObject();
}

json AuditJson(const Dataset& ds, size_t idx) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteAudit(w, ds, idx);
  return json::parse(std::string_view(buf.GetString(), buf.GetSize()));
}

json DeletedTicketJson(const Dataset& ds, const Ticket& t) {
  json actor = nullptr;
  if (t.deleter >= 0) actor = {{"id", ds.users[t.deleter].id}, {"name", ds.users[t.deleter].name}};
  return {{"id", t.id},
          {"subject", TicketSubject(t.id)},
          {"description", Body(t.id)},
          {"actor", actor},
          {"deleted_at", Iso(t.deleted_at)},
          {"previous_state", StatusName(t.previous_state)}};
}

json ArticleJson(const Dataset& ds, const Article& a, const std::string& base) {
  static const char* kTitles[] = {"How to reset your password", "Shipping times", "Refund policy",
                                  "Getting started", "Über uns", "Troubleshooting the app"};
  const std::string title = std::string(kTitles[a.title_seed % std::size(kTitles)]) + " #" + std::to_string(a.title_seed);
  const std::string sid = std::to_string(a.id);
  return {{"id", a.id},
          {"url", base + "/api/v2/help_center/en-us/articles/" + sid + ".json"},
          {"html_url", base + "/hc/en-us/articles/" + sid},
          {"author_id", ds.users[a.author].id},
          {"comments_disabled", false},
          {"draft", a.draft},
          {"promoted", false},
          {"position", 0},
          {"vote_sum", 0},
          {"vote_count", 0},
          {"section_id", 7253394933775},
          {"created_at", Iso(a.created_at)},
          {"updated_at", Iso(a.updated_at)},
          {"edited_at", Iso(a.updated_at)},
          {"name", title},
          {"title", title},
          {"source_locale", "en-us"},
          {"locale", "en-us"},
          {"outdated", false},
          {"outdated_locales", json::array()},
          {"user_segment_id", nullptr},
          {"user_segment_ids", json::array()},
          {"permission_group_id", 7253379449487},
          {"content_tag_ids", json::array()},
          {"label_names", json::array()},
          {"body", "<p>" + title + "</p>"}};
}

json AuditLogJson(const Dataset& ds, const AuditRecord& r, const std::string& base) {
  static const char* kLoginHow[] = {"Successful sign-in using Zendesk password", "Successful sign-in using Google",
                                    "Successful sign-in using SAML"};
  const std::string actor_name = r.actor >= 0 ? ds.users[r.actor].name : "Zendesk";
  const std::string source_name = r.source >= 0 ? ds.users[r.source].name : "";
  const char* label = r.action == AuditAction::kLogin    ? "Signed in"
                      : r.action == AuditAction::kUpdate ? "Updated"
                      : r.action == AuditAction::kDestroy ? "Deleted"
                                                          : "Created";
  std::string change = r.action == AuditAction::kLogin ? kLoginHow[r.detail % 3]
                       : r.action == AuditAction::kDestroy ? "User deleted"
                                                           : "Role changed";
  return {{"id", r.id},
          {"url", base + "/api/v2/audit_logs/" + std::to_string(r.id) + ".json"},
          {"action", AuditActionName(r.action)},
          {"action_label", label},
          {"actor_id", r.actor >= 0 ? json(ds.users[r.actor].id) : json(-1)},
          {"actor_name", actor_name},
          {"source_id", r.source >= 0 ? json(ds.users[r.source].id) : json(nullptr)},
          {"source_type", "user"},
          {"source_label", source_name},
          {"change_description", change},
          {"ip_address", "192.0.2." + std::to_string(Mix(static_cast<uint64_t>(r.id)) % 250 + 1)},
          {"created_at", Iso(r.at)}};
}

}  // namespace zdsim
