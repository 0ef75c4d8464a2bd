#include "render.h"

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

json SystemJson(const Event& e, uint64_t h) {
  if (e.actor == kSystem || e.via == Via::kEmail) return json::object();
  return {{"client", kClients[h % 3]},
          {"ip_address", "192.0.2." + std::to_string(h % 250 + 1)},
          {"location", "Berlin, BE, Germany"},
          {"latitude", 52.5167},
          {"longitude", 13.4}};
}

std::string Body(int64_t id) { return kBodies[Mix(static_cast<uint64_t>(id)) % std::size(kBodies)]; }

json ViaSource(const Event& e) {
  if (e.via == Via::kRule) {
    const bool closes = e.status_to == static_cast<uint8_t>(Status::kClosed);
    return {{"from", {{"id", closes ? 360000900002 : 360000900001},
                      {"title", closes ? "Close ticket 4 days after status is set to solved" : "Auto-assign new tickets"}}},
            {"to", json::object()},
            {"rel", closes ? "automation" : "trigger"}};
  }
  return {{"from", json::object()}, {"to", json::object()}, {"rel", nullptr}};
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

json UserJson(const Dataset& ds, const User& u, const std::string& base) {
  const bool end_user = u.role == "end-user";
  json j = {{"id", u.id},
            {"url", base + "/api/v2/users/" + std::to_string(u.id) + ".json"},
            {"name", u.name},
            {"email", u.email.empty() ? json(nullptr) : json(u.email)},
            {"created_at", Iso(u.created_at)},
            {"updated_at", Iso(u.updated_at)},
            {"time_zone", u.time_zone},
            {"iana_time_zone", u.iana_time_zone},
            {"phone", nullptr},
            {"shared_phone_number", nullptr},
            {"photo", nullptr},
            {"locale_id", 1},
            {"locale", "en-US"},
            {"organization_id", u.organization_id ? json(u.organization_id) : json(nullptr)},
            {"role", u.role},
            {"verified", !end_user || u.last_login_at != kNull},
            {"external_id", nullptr},
            {"tags", u.tags},
            {"alias", end_user ? json(nullptr) : json("")},
            {"active", u.active},
            {"shared", false},
            {"shared_agent", false},
            {"last_login_at", IsoOrNull(u.last_login_at)},
            {"two_factor_auth_enabled", end_user ? json(false) : json(nullptr)},
            {"signature", end_user ? json(nullptr) : json("")},
            {"details", nullptr},
            {"notes", nullptr},
            {"role_type", u.role_type < 0 ? json(nullptr) : json(u.role_type)},
            {"custom_role_id", u.custom_role_id ? json(u.custom_role_id) : json(nullptr)},
            {"moderator", u.role == "admin"},
            {"ticket_restriction", end_user ? json("requested") : json(nullptr)},
            {"only_private_comments", u.license == License::kLightAgent},
            {"restricted_agent", end_user},
            {"suspended", u.suspended},
            {"chat_only", u.chat_only},
            {"default_group_id", u.default_group_id ? json(u.default_group_id) : json(nullptr)},
            {"report_csv", u.role == "admin"},
            {"user_fields", json::object()}};
  (void)ds;
  return j;
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

json DeletedUserJson(const Dataset& ds, const User& u, const std::string& base) {
  json j = UserJson(ds, u, base);
  j["url"] = base + "/api/v2/deleted_users/" + std::to_string(u.id) + ".json";
  j["active"] = false;
  return j;
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

json TicketJson(const Dataset& ds, const Ticket& t, const std::string& base, bool incremental) {
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
  if (incremental) j["generated_timestamp"] = t.updated_at;
  return j;
}

json TicketEventJson(const Dataset& ds, size_t idx, bool comment_events) {
  const Event& e = ds.events[idx];
  const Ticket& t = ds.tickets[e.ticket];
  const int64_t id = ds.EventId(idx);
  const char* via = ViaName(e.via);
  json children = json::array();
  const int64_t comment_id = id + 1;  // same child ids as the audit's events
  int64_t cid = (e.flags & kComment) ? id + 2 : id + 1;
  auto change = [&](const char* field, json value, json prev) {
    json c = {{"id", cid++}, {"via", via}, {"via_reference_id", nullptr}, {"event_type", "Change"},
              {"field_name", field}, {"previous_value", std::move(prev)}};
    c[field] = std::move(value);
    children.push_back(std::move(c));
  };
  if (e.kind == EventKind::kCreate) {
    auto create = [&](const char* field, json value) {
      json c = {{"id", cid++}, {"via", via}, {"via_reference_id", nullptr}, {"event_type", "Create"}, {"field_name", field}};
      c[field] = std::move(value);
      children.push_back(std::move(c));
    };
    create("subject", TicketSubject(t.id));
    create("status", StatusName(e.status_to));
    create("requester_id", std::to_string(ds.users[t.requester].id));
    if (e.assignee_to >= 0) create("assignee_id", std::to_string(ds.users[e.assignee_to].id));
  } else {
    if (e.status_to != kNoChange) change("status", StatusName(e.status_to), StatusName(e.status_from));
    if (e.assignee_to != kNoChange32) {
      auto ref = [&](int32_t u) { return u >= 0 ? json(std::to_string(ds.users[u].id)) : json(nullptr); };
      change("assignee_id", ref(e.assignee_to), ref(e.assignee_from));
    }
  }
  if (e.flags & kComment) {
    const bool pub = (e.flags & kPublic) != 0;
    if (comment_events) {
      const std::string body = Body(comment_id);
      children.push_back({{"id", comment_id},
                          {"event_type", "Comment"},
                          {"type", "Comment"},
                          {"author_id", UserRef(ds, e.actor)},
                          {"body", body},
                          {"html_body", "<div class=\"zd-comment\"><p>" + body + "</p></div>"},
                          {"public", pub},
                          {"attachments", json::array()},
                          {"audit_id", id},
                          {"created_at", Iso(e.at)},
                          {"via", via}});
    } else {
      children.push_back(
          {{"id", comment_id}, {"event_type", "Comment"}, {"comment_present", true}, {"comment_public", pub}});
    }
  }
  const uint64_t h = Mix(static_cast<uint64_t>(id));
  return {{"id", id},
          {"ticket_id", t.id},
          {"timestamp", e.at},
          {"created_at", Iso(e.at)},
          {"updater_id", UserRef(ds, e.actor)},
          {"via", via},
          {"via_reference_id", nullptr},
          {"system", SystemJson(e, h)},
          {"event_type", "Audit"},
          {"merged_ticket_ids", json::array()},
          {"child_events", std::move(children)}};
}

json AuditJson(const Dataset& ds, size_t idx) {
  const Event& e = ds.events[idx];
  const Ticket& t = ds.tickets[e.ticket];
  const int64_t id = ds.EventId(idx);
  json events = json::array();
  int64_t cid = id + 1;
  int64_t comment_id = cid;
  if (e.flags & kComment) ++cid;  // keep ids aligned with ticket events: comment last there
  auto change = [&](const char* field, json value, json prev) {
    events.push_back({{"id", cid++}, {"type", "Change"}, {"field_name", field}, {"value", std::move(value)},
                      {"previous_value", std::move(prev)}});
  };
  if (e.kind == EventKind::kCreate) {
    auto create = [&](const char* field, json value) {
      events.push_back({{"id", cid++}, {"type", "Create"}, {"value", std::move(value)}, {"field_name", field}});
    };
    create("subject", TicketSubject(t.id));
    create("status", StatusName(e.status_to));
    create("requester_id", std::to_string(ds.users[t.requester].id));
    if (e.assignee_to >= 0) create("assignee_id", std::to_string(ds.users[e.assignee_to].id));
  } else {
    if (e.status_to != kNoChange) change("status", StatusName(e.status_to), StatusName(e.status_from));
    if (e.assignee_to != kNoChange32) {
      auto ref = [&](int32_t u) { return u >= 0 ? json(std::to_string(ds.users[u].id)) : json(nullptr); };
      change("assignee_id", ref(e.assignee_to), ref(e.assignee_from));
    }
  }
  if (e.flags & kComment) {
    const std::string body = Body(comment_id);
    events.insert(events.begin(), json{{"id", comment_id},
                                       {"type", "Comment"},
                                       {"author_id", UserRef(ds, e.actor)},
                                       {"body", body},
                                       {"html_body", "<div class=\"zd-comment\"><p>" + body + "</p></div>"},
                                       {"plain_body", body},
                                       {"public", (e.flags & kPublic) != 0},
                                       {"attachments", json::array()},
                                       {"audit_id", id}});
  }
  const uint64_t h = Mix(static_cast<uint64_t>(id));
  return {{"id", id},
          {"ticket_id", t.id},
          {"created_at", Iso(e.at)},
          {"author_id", UserRef(ds, e.actor)},
          {"metadata", {{"system", SystemJson(e, h)}, {"custom", json::object()}}},
          {"events", std::move(events)},
          {"via", {{"channel", ViaChannel(e.via)}, {"source", ViaSource(e)}}}};
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
