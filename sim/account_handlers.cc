// Account-level endpoints: /custom_roles, /account/settings, /audit_logs,
// /oauth/tokens/current (token introspection).
#include <algorithm>

#include "handlers.h"
#include "render.h"
#include "util/time.h"

namespace zdsim {

namespace {

std::vector<std::string> Values(const httplib::Request& req, std::initializer_list<const char*> keys) {
  std::vector<std::string> out;
  for (const char* k : keys) {
    const size_t n = req.get_param_value_count(k);
    for (size_t i = 0; i < n; ++i) out.push_back(req.get_param_value(k, i));
  }
  return out;
}

void CustomRoles(Ctx& c) {
  if (!c.ds.enterprise()) return SendForbidden(c);
  json arr = json::array();
  for (const Role& r : c.ds.roles) arr.push_back(RoleJson(c.ds, r));
  SendJson(c, 200, {{"custom_roles", arr}});
}

void CustomRole(Ctx& c) {
  if (!c.ds.enterprise()) return SendForbidden(c);
  const Role* r = c.ds.FindRole(c.ArgId(0));
  if (!r) return SendNotFound(c);
  SendJson(c, 200, {{"custom_role", RoleJson(c.ds, *r)}});
}

void Settings(Ctx& c) {
  const Options& o = c.ds.options();
  const bool ent = c.ds.enterprise();
  SendJson(c, 200,
           {{"settings",
             {{"active_features",
               {{"on_hold_status", false},
                {"user_tagging", true},
                {"ticket_tagging", true},
                {"topic_suggestion", false},
                {"voice", false},
                {"facebook_login", false},
                {"google_login", true},
                {"twitter_login", false},
                {"forum_analytics", true},
                {"agent_forwarding", false},
                {"chat", true},
                {"chat_about_my_ticket", false},
                {"customer_satisfaction", true},
                {"satisfaction_prediction", false},
                {"csat_reason_code", false},
                {"markdown", false},
                {"bcc_archiving", false},
                {"allow_ccs", true},
                {"advanced_analytics", ent},
                {"sandbox", false},
                {"suspended_ticket_notification", false},
                {"twitter", false},
                {"facebook", false},
                {"dynamic_contents", true},
                {"light_agents", true},
                {"ticket_forms", true},
                {"user_org_fields", true},
                {"is_abusive", false},
                {"rich_content_in_emails", true},
                {"fallback_composer", false},
                {"explore", true},
                {"help_center", o.help_center},
                {"organization_access_enabled", true}}},
              {"api",
               {{"accepted_api_agreement", true},
                {"api_password_access", false},
                {"api_token_access", true}}},
              {"billing", {{"backend", "zuora"}}},
              {"metrics",
               {{"account_size", o.agents < 10 ? "1-9" : o.agents < 100 ? "10-99" : o.agents < 400 ? "100-399" : "400+"}}},
              {"localization", {{"locale_ids", {1}}}},
              {"routing", {{"enabled", false}}},
              {"ticket_form", {{"ticket_forms_instructions", "Please choose your issue below"}}},
              {"brands", {{"default_brand_id", 360000400000}, {"require_brand_on_new_tickets", false}}},
              {"statistics", {{"forum", true}, {"search", true}}},
              {"tickets", {{"comments_public_by_default", true}, {"private_attachments", false}}}}}});
}

void AuditLogs(Ctx& c) {
  if (!c.ds.enterprise()) return SendForbidden(c);
  const auto& all = c.ds.SortedAudit();
  const auto actions = Values(c.req, {"filter[action]", "filter[action][]"});
  const auto source_types = Values(c.req, {"filter[source_type]", "filter[source_type][]"});
  const auto actor = ParamInt(c, "filter[actor_id]");
  const auto source_id = ParamInt(c, "filter[source_id]");
  const auto created = Values(c.req, {"filter[created_at][]", "filter[created_at]"});
  int64_t from = INT64_MIN, to = INT64_MAX;
  if (!created.empty()) {
    if (created.size() != 2) return SendError(c, 400, "InvalidValue", "filter[created_at] requires a start and an end");
    auto a = sk::ParseIso(created[0]), b = sk::ParseIso(created[1]);
    if (!a || !b) return SendError(c, 400, "InvalidValue", "filter[created_at] must be ISO 8601 times");
    from = *a;
    to = *b;
  }
  bool desc = true;
  const std::string sort = c.req.get_param_value("sort");
  if (sort == "created_at") desc = false;
  if (c.req.get_param_value("sort_by") == "created_at") desc = c.req.get_param_value("sort_order") != "asc";
  std::vector<size_t> idx;
  for (size_t i = 0; i < all.size(); ++i) {
    const AuditRecord& r = all[i];
    if (!actions.empty() && std::find(actions.begin(), actions.end(), AuditActionName(r.action)) == actions.end())
      continue;
    if (!source_types.empty() && std::find(source_types.begin(), source_types.end(), "user") == source_types.end())
      continue;
    if (actor && (r.actor < 0 ? -1 : c.ds.users[r.actor].id) != *actor) continue;
    if (source_id && (r.source < 0 || c.ds.users[r.source].id != *source_id)) continue;
    if (r.at < from || r.at > to) continue;
    idx.push_back(i);
  }
  if (desc) std::reverse(idx.begin(), idx.end());
  auto keyfn = [&](size_t k) {
    const AuditRecord& r = all[idx[k]];
    return desc ? Key{-r.at, -r.id} : Key{r.at, r.id};
  };
  json out;
  size_t b = 0, e = 0;
  if (c.req.has_param("page") || c.req.has_param("per_page")) {
    ObpRequest r;
    if (auto err = ParseObp(c.req, 100, 100, &r)) return SendHttpError(c, *err);
    b = std::min(idx.size(), static_cast<size_t>(r.page - 1) * r.per_page);
    e = std::min(idx.size(), b + r.per_page);
    AddObpMeta(out, c.req, c.base, c.path, r, idx.size());
  } else {
    CbpRequest r;
    if (auto err = ParseCbp(c.req, 100, 100, &r)) return SendHttpError(c, *err);
    const Slice s = CbpSlice(idx.size(), keyfn, r, c.repeat_page);
    b = s.begin;
    e = s.end;
    std::optional<Key> first, last;
    if (e > b) {
      first = keyfn(b);
      last = keyfn(e - 1);
    }
    AddCbpMeta(out, c.req, c.base, c.path, r.size, s.has_more, first, last);
  }
  json arr = json::array();
  for (size_t k = b; k < e; ++k) arr.push_back(AuditLogJson(c.ds, all[idx[k]], c.base));
  out["audit_logs"] = std::move(arr);
  SendJson(c, 200, out);
}

json TokenJson(Ctx& c, const OauthToken& t) {
  return {{"id", t.id},
          {"url", c.base + "/api/v2/oauth/tokens/" + std::to_string(t.id) + ".json"},
          {"client_id", 360000800001},
          {"user_id", c.ds.users[t.user].id},
          {"token", t.access.substr(0, 10)},
          {"refresh_token", t.refresh.empty() ? json(nullptr) : json(t.refresh.substr(0, 10))},
          {"scopes", [&] {
             json s = json::array();
             std::string cur;
             for (char ch : t.scopes + " ") {
               if (ch == ' ') {
                 if (!cur.empty()) s.push_back(cur);
                 cur.clear();
               } else {
                 cur.push_back(ch);
               }
             }
             return s;
           }()},
          {"created_at", Iso(t.created_at)},
          {"expires_at", IsoOrNull(t.expires_at)},
          {"refresh_token_expires_at", IsoOrNull(t.refresh_expires_at)},
          {"used_at", IsoOrNull(t.used_at)}};
}

void TokenCurrent(Ctx& c) {
  const std::string h = c.req.get_header_value("Authorization");
  OauthToken* t = c.bearer ? c.s.tokens.FindAccess(h.substr(7)) : nullptr;
  if (!t) return SendNotFound(c);
  SendJson(c, 200, {{"token", TokenJson(c, *t)}});
}

void TokenRevoke(Ctx& c) {
  OauthToken* t = c.s.tokens.FindId(c.ArgId(0));
  if (!t || t->revoked) return SendNotFound(c);
  if (!c.is_admin() && t->user != c.user) return SendForbidden(c);
  t->revoked = true;
  c.res.status = 204;
}

}  // namespace

void RegisterAccountRoutes(Router& r) {
  r.Add("GET", R"(/api/v2/custom_roles)", Access::kAgent, CustomRoles);
  r.Add("GET", R"(/api/v2/custom_roles/(\d+))", Access::kAgent, CustomRole);
  r.Add("GET", R"(/api/v2/account/settings)", Access::kAgent, Settings);
  r.Add("GET", R"(/api/v2/audit_logs)", Access::kAdmin, AuditLogs);
  r.Add("GET", R"(/api/v2/oauth/tokens/current)", Access::kAgent, TokenCurrent);
  r.Add("DELETE", R"(/api/v2/oauth/tokens/(\d+))", Access::kAgent, TokenRevoke);
}

}  // namespace zdsim
