// /api/v2/users, /users/me, /users/show_many, /deleted_users.
#include <algorithm>

#include "handlers.h"
#include "render.h"

namespace zdsim {

namespace {

std::vector<std::string> ParamValues(const httplib::Request& req, const std::string& name) {
  std::vector<std::string> out;
  for (const std::string& key : {name, name + "[]"}) {
    const size_t n = req.get_param_value_count(key);
    for (size_t i = 0; i < n; ++i) out.push_back(req.get_param_value(key.c_str(), i));
  }
  return out;
}

// Serves a list of user indexes (ascending id) with CBP or OBP.
void ServeUserList(Ctx& c, const std::vector<int32_t>& idx, const char* key, bool deleted_shape) {
  json out;
  std::vector<int32_t> page;
  if (WantsCbp(c.req)) {
    CbpRequest r;
    if (auto e = ParseCbp(c.req, 100, 100, &r)) return SendHttpError(c, *e);
    auto keyfn = [&](size_t i) { return Key{c.ds.users[idx[i]].id, 0}; };
    const Slice s = CbpSlice(idx.size(), keyfn, r, c.repeat_page);
    page.assign(idx.begin() + static_cast<std::ptrdiff_t>(s.begin), idx.begin() + static_cast<std::ptrdiff_t>(s.end));
    std::optional<Key> first, last;
    if (!page.empty()) {
      first = Key{c.ds.users[page.front()].id, 0};
      last = Key{c.ds.users[page.back()].id, 0};
    }
    AddCbpMeta(out, c.req, c.base, c.path, r.size, s.has_more, first, last);
  } else {
    ObpRequest r;
    if (auto e = ParseObp(c.req, 100, 100, &r)) return SendHttpError(c, *e);
    const size_t b = std::min(idx.size(), static_cast<size_t>(r.page - 1) * r.per_page);
    const size_t e = std::min(idx.size(), b + r.per_page);
    page.assign(idx.begin() + static_cast<std::ptrdiff_t>(b), idx.begin() + static_cast<std::ptrdiff_t>(e));
    AddObpMeta(out, c.req, c.base, c.path, r, idx.size());
  }
  SendPage(c, key, out, [&](JsonWriter& w) {
    for (int32_t i : page) {
      if (!deleted_shape) {
        c.s.ServeUser(w, i, c.base);
        continue;
      }
      c.s.NoteServed(i);  // served all the same (its last_login_at)
      WriteUser(w, c.ds.users[i], c.base, UserShape::kDeleted);
    }
  });
}

void Me(Ctx& c) {
  if (c.user < 0) return SendJson(c, 200, {{"user", AnonymousUserJson()}});
  SendJson(c, 200, {{"user", c.s.ServeUser(c.user, c.base)}});
}

void List(Ctx& c) {
  const auto roles = ParamValues(c.req, "role");
  int64_t permission_set = 0;
  if (auto p = ParamInt(c, "permission_set")) permission_set = *p;
  std::vector<int32_t> idx;
  for (int32_t i = 0; i < static_cast<int32_t>(c.ds.users.size()); ++i) {
    const User& u = c.ds.users[i];
    if (!u.active) continue;
    if (!roles.empty() && std::find(roles.begin(), roles.end(), u.role) == roles.end()) continue;
    if (permission_set && u.custom_role_id != permission_set) continue;
    idx.push_back(i);
  }
  ServeUserList(c, idx, "users", false);
}

void Show(Ctx& c) {
  const int32_t i = c.ds.UserIndex(c.ArgId(0));
  if (i < 0) return SendNotFound(c);
  SendJson(c, 200, {{"user", c.s.ServeUser(i, c.base)}});
}

void ShowMany(Ctx& c) {
  bool ok = true;
  const auto ids = ParseIdList(c.req.get_param_value("ids"), &ok);
  if (ids.size() > 100) {
    return SendJson(c, 400, {{"error", "TooManyValues"},
                             {"description", "Parameter ids cannot specify more than 100 values"},
                             {"max_count", 100}});
  }
  const bool include_deleted = c.req.get_param_value("include_deleted") == "true";
  json arr = json::array();
  std::vector<int32_t> found;
  for (int64_t id : ids) {
    const int32_t i = c.ds.UserIndex(id);
    if (i < 0 || (!c.ds.users[i].active && !include_deleted)) continue;
    if (std::find(found.begin(), found.end(), i) != found.end()) continue;
    found.push_back(i);
  }
  std::sort(found.begin(), found.end());
  for (int32_t i : found) arr.push_back(c.s.ServeUser(i, c.base));
  SendJson(c, 200, {{"users", arr}, {"next_page", nullptr}, {"previous_page", nullptr}, {"count", arr.size()}});
}

// The request's {"user": {...}} body; nullopt, answered, when it is missing or malformed.
std::optional<json> UserBody(Ctx& c) {
  auto body = ParseBody(c);
  if (!body) return std::nullopt;
  if (!body->contains("user") || !(*body)["user"].is_object()) {
    SendError(c, 400, "InvalidParameter", "The user parameter is missing");
    return std::nullopt;
  }
  return body;
}

// Creates the user `body` describes and answers 201 with it.
void CreateFrom(Ctx& c, const json& body) {
  const json& ju = body["user"];
  const std::string name = ju.value("name", std::string());
  if (name.empty()) return SendRecordInvalid(c, "name", "BlankValue", "Name: cannot be blank");
  std::string email = ju.contains("email") && ju["email"].is_string() ? ju["email"].get<std::string>() : "";
  if (!email.empty() && email.find('@') == std::string::npos)
    return SendRecordInvalid(c, "email", "InvalidFormat", "Email: " + email + " is not properly formatted");
  if (!email.empty() && c.ds.UserByEmail(email) >= 0)
    return SendRecordInvalid(c, "email", "DuplicateValue",
                             "Email: " + email + " is already being used by another user");
  const std::string role = ju.contains("role") && ju["role"].is_string() ? ju["role"].get<std::string>() : "end-user";
  if (role != "end-user" && role != "agent" && role != "admin")
    return SendRecordInvalid(c, "role", "InvalidValue", "Role: " + role + " is not a valid role");
  if (!c.is_admin() && (role != "end-user" || ju.contains("custom_role_id"))) return SendForbidden(c);
  User u;
  u.name = name;
  u.email = email;
  u.role = role;
  u.created_at = c.now;
  u.updated_at = c.now;
  u.activity = 0;
  if (ju.contains("custom_role_id") && !ju["custom_role_id"].is_null()) {
    const Role* r = ju["custom_role_id"].is_number_integer() ? c.ds.FindRole(ju["custom_role_id"].get<int64_t>()) : nullptr;
    if (!r) return SendRecordInvalid(c, "custom_role_id", "InvalidValue", "Custom role: is invalid");
    u.custom_role_id = r->id;
    if (u.role == "end-user") u.role = "agent";
  }
  if (u.role != "end-user") {
    u.default_group_id = 360001234567;
    u.organization_id = 360000200000;
  }
  c.ds.Relicense(u);
  const bool staff = u.role != "end-user";
  const int32_t idx = c.ds.AddUser(std::move(u));
  if (staff) c.ds.AddMembership(idx, 360001234567, c.now);  // the default group
  c.res.set_header("Location", c.base + "/api/v2/users/" + std::to_string(c.ds.users[idx].id) + ".json");
  SendJson(c, 201, {{"user", c.s.ServeUser(idx, c.base)}});
}

void Create(Ctx& c) {
  if (auto body = UserBody(c)) CreateFrom(c, *body);
}

// Applies the body's user fields to user index `i` and answers 200 with it.
void UpdateAt(Ctx& c, int32_t i, const json& body) {
  const User& target = c.ds.users[i];
  if (!c.is_admin() && target.role != "end-user") return SendForbidden(c);
  if (!target.active) return SendNotFound(c);
  json patch = json::object();
  for (const char* k : {"name", "email", "role", "custom_role_id", "suspended", "tags"})
    if (body["user"].contains(k)) patch[k] = body["user"][k];
  if (!c.is_admin() && (patch.contains("role") || patch.contains("custom_role_id"))) return SendForbidden(c);
  auto err = c.s.PatchUser(i, patch, c.user);
  if (err) {
    if (*err == "owner")
      return SendRecordInvalid(c, "role", "InvalidValue", "Role: the account owner must be an admin");
    const std::string field = err->rfind("Email", 0) == 0  ? "email"
                              : err->rfind("Name", 0) == 0 ? "name"
                              : err->rfind("Custom", 0) == 0 ? "custom_role_id"
                                                             : "role";
    return SendRecordInvalid(c, field, field == "email" ? "DuplicateValue" : "InvalidValue", *err);
  }
  SendJson(c, 200, {{"user", c.s.ServeUser(i, c.base)}});
}

void Update(Ctx& c) {
  const int32_t i = c.ds.UserIndex(c.ArgId(0));
  if (i < 0) return SendNotFound(c);
  if (auto body = UserBody(c)) UpdateAt(c, i, *body);
}

// POST /users/create_or_update (reference §4): the active user whose email
// is the body's is updated with the body's fields (200); else it is created (201).
void CreateOrUpdate(Ctx& c) {
  auto body = UserBody(c);
  if (!body) return;
  const json& ju = (*body)["user"];
  const std::string email =
      ju.contains("email") && ju["email"].is_string() ? ju["email"].get<std::string>() : "";
  const int32_t i = email.empty() ? -1 : c.ds.UserByEmail(email);
  if (i < 0 || !c.ds.users[i].active) return CreateFrom(c, *body);
  UpdateAt(c, i, *body);
}

void Destroy(Ctx& c) {
  const int32_t i = c.ds.UserIndex(c.ArgId(0));
  if (i < 0 || !c.ds.users[i].active) return SendNotFound(c);
  if (!c.is_admin()) return SendForbidden(c);
  if (c.ds.users[i].owner) return SendError(c, 403, "Forbidden", "The account owner cannot be deleted");
  if (i == c.user) return SendError(c, 403, "Forbidden", "You cannot delete yourself");
  c.s.SoftDelete(i, c.user);
  SendJson(c, 200, {{"user", c.s.ServeUser(i, c.base)}});
}

void DeletedList(Ctx& c) {
  std::vector<int32_t> idx;
  for (int32_t i = 0; i < static_cast<int32_t>(c.ds.users.size()); ++i)
    if (!c.ds.users[i].active && !c.ds.users[i].scrubbed) idx.push_back(i);
  ServeUserList(c, idx, "deleted_users", true);
}

void DeletedShow(Ctx& c) {
  const int32_t i = c.ds.UserIndex(c.ArgId(0));
  if (i < 0 || c.ds.users[i].active || c.ds.users[i].scrubbed) return SendNotFound(c);
  c.s.NoteServed(i);
  SendJson(c, 200, {{"deleted_user", DeletedUserJson(c.ds, c.ds.users[i], c.base)}});
}

void DeletedDestroy(Ctx& c) {
  const int32_t i = c.ds.UserIndex(c.ArgId(0));
  if (i < 0 || c.ds.users[i].active || c.ds.users[i].scrubbed) return SendNotFound(c);
  c.s.PermanentDelete(i, c.user);
  SendJson(c, 200, {{"deleted_user", DeletedUserJson(c.ds, c.ds.users[i], c.base)}});
}

void UsersCount(Ctx& c) {
  int64_t n = 0;
  for (const auto& u : c.ds.users) n += u.active ? 1 : 0;
  SendJson(c, 200, {{"count", {{"value", n}, {"refreshed_at", Iso(c.now)}}}});
}

}  // namespace

void RegisterUserRoutes(Router& r) {
  r.Add("GET", R"(/api/v2/users/me)", Access::kAnyone, Me);
  r.Add("GET", R"(/api/v2/users)", Access::kAgent, List);
  r.Add("GET", R"(/api/v2/users/count)", Access::kAgent, UsersCount);
  r.Add("GET", R"(/api/v2/users/show_many)", Access::kAgent, ShowMany);
  r.Add("GET", R"(/api/v2/users/(\d+))", Access::kAgent, Show);
  r.Add("POST", R"(/api/v2/users)", Access::kAgent, Create);
  r.Add("POST", R"(/api/v2/users/create_or_update)", Access::kAgent, CreateOrUpdate, "create-update-user");
  r.Add("PUT", R"(/api/v2/users/(\d+))", Access::kAgent, Update, "create-update-user", true);
  r.Add("DELETE", R"(/api/v2/users/(\d+))", Access::kAgent, Destroy);
  r.Add("GET", R"(/api/v2/deleted_users)", Access::kAdmin, DeletedList);
  r.Add("GET", R"(/api/v2/deleted_users/(\d+))", Access::kAdmin, DeletedShow);
  r.Add("DELETE", R"(/api/v2/deleted_users/(\d+))", Access::kAdmin, DeletedDestroy, "permanent-delete-users");
}

}  // namespace zdsim
