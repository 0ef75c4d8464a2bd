// /api/v2/groups and /api/v2/group_memberships (reference §4; shapes as the
// zenpy recordings TestGroupCreateUpdateDelete / TestGroupMemberships show),
// both CBP (page[size] <= 100) or OBP, on the account's rate limit. Deleted
// groups are listed with "deleted": true unless exclude_deleted=true; a
// membership is listed while its user is an active agent or admin (Zendesk
// drops the memberships of a deleted agent or one demoted to end user).
#include <algorithm>

#include "handlers.h"
#include "render.h"

namespace zdsim {

namespace {

// Serves positions 0..n-1 of a list (ascending `id(i)`) under `key` with CBP or OBP.
template <typename IdFn, typename RenderFn>
void ServeList(Ctx& c, size_t n, const char* key, IdFn id, RenderFn render) {
  json out;
  size_t b = 0, e = 0;
  if (WantsCbp(c.req)) {
    CbpRequest r;
    if (auto err = ParseCbp(c.req, 100, 100, &r)) return SendHttpError(c, *err);
    const Slice s = CbpSlice(
        n,
        [&](size_t i) {
          return Key{id(i), 0};
        },
        r, c.repeat_page);
    b = s.begin;
    e = s.end;
    std::optional<Key> first, last;
    if (e > b) {
      first = Key{id(b), 0};
      last = Key{id(e - 1), 0};
    }
    AddCbpMeta(out, c.req, c.base, c.path, r.size, s.has_more, first, last);
  } else {
    ObpRequest r;
    if (auto err = ParseObp(c.req, 100, 100, &r)) return SendHttpError(c, *err);
    b = std::min(n, static_cast<size_t>(r.page - 1) * r.per_page);
    e = std::min(n, b + r.per_page);
    AddObpMeta(out, c.req, c.base, c.path, r, n);
  }
  json arr = json::array();
  for (size_t i = b; i < e; ++i) arr.push_back(render(i));
  out[key] = std::move(arr);
  SendJson(c, 200, out);
}

void Groups(Ctx& c) {
  const bool exclude_deleted = c.req.get_param_value("exclude_deleted") == "true";
  std::vector<const Group*> list;
  for (const Group& g : c.ds.groups)
    if (!(exclude_deleted && g.deleted)) list.push_back(&g);
  ServeList(
      c, list.size(), "groups", [&](size_t i) { return list[i]->id; },
      [&](size_t i) {
        const Group& g = *list[i];
        return json{{"url", c.base + "/api/v2/groups/" + std::to_string(g.id) + ".json"},
                    {"id", g.id},
                    {"is_public", true},
                    {"name", g.name},
                    {"description", ""},
                    {"default", g.is_default},
                    {"deleted", g.deleted},
                    {"created_at", Iso(g.created_at)},
                    {"updated_at", Iso(g.created_at)}};
      });
}

void Memberships(Ctx& c) {
  std::vector<const GroupMembership*> list;
  for (const GroupMembership& m : c.ds.memberships) {
    const User& u = c.ds.users[m.user];
    if (u.active && u.role != "end-user") list.push_back(&m);
  }
  ServeList(
      c, list.size(), "group_memberships", [&](size_t i) { return list[i]->id; },
      [&](size_t i) {
        const GroupMembership& m = *list[i];
        return json{{"url", c.base + "/api/v2/group_memberships/" + std::to_string(m.id) + ".json"},
                    {"id", m.id},
                    {"user_id", c.ds.users[m.user].id},
                    {"group_id", m.group_id},
                    {"default", m.is_default},
                    {"created_at", Iso(m.created_at)},
                    {"updated_at", Iso(m.created_at)}};
      });
}

}  // namespace

void RegisterGroupRoutes(Router& r) {
  r.Add("GET", R"(/api/v2/groups)", Access::kAgent, Groups);
  r.Add("GET", R"(/api/v2/group_memberships)", Access::kAgent, Memberships);
}

}  // namespace zdsim
