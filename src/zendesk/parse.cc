#include "zendesk/parse.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace sk::zendesk {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------- nlohmann

std::optional<int64_t> IntFromText(std::string_view s) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<int64_t> OptInt(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const json& v = *it;
  if (v.is_number_unsigned()) {  // before is_number_integer, which includes unsigned values
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    // Out of int64's range (e.g. 8e39) the conversion would be undefined: treat as absent.
    double d = v.get<double>();
    if (!std::isfinite(d) || d < -9.2e18 || d > 9.2e18) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  if (v.is_string()) return IntFromText(v.get_ref<const std::string&>());
  return std::nullopt;
}

int64_t Int(const json& o, const char* key, int64_t def = 0) {
  return OptInt(o, key).value_or(def);
}

std::string Text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

std::string Str(const json& o, const char* key) {
  auto it = o.find(key);
  return it == o.end() ? std::string() : Text(*it);
}

std::optional<std::string> OptStr(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  return Text(*it);
}

bool Bool(const json& o, const char* key, bool def) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_boolean()) return def;
  return it->get<bool>();
}

std::optional<UnixTime> OptTime(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (it->is_string()) return ParseIso(it->get_ref<const std::string&>());
  if (it->is_number()) return OptInt(o, key);
  return std::nullopt;
}

// Parses `body` and calls fn(json) -> Result<T>, converting exceptions.
template <typename Fn>
auto WithJson(std::string_view body, const char* what, Fn fn) -> decltype(fn(json())) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded())
    return BadResponse(std::string("Zendesk sent a body that is not JSON (") + what + ")");
  if (!doc.is_object())
    return BadResponse(std::string("Zendesk sent an unexpected JSON shape (") + what + ")");
  try {
    return fn(doc);
  } catch (const std::exception& e) {
    return BadResponse(std::string("Zendesk sent an unexpected JSON shape (") + what + "): " + e.what());
  }
}

const json* Array(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_array()) return nullptr;
  return &*it;
}

template <typename T>
Status ReadMeta(const json& doc, CursorPage<T>& page) {
  auto meta = doc.find("meta");
  if (meta != doc.end() && meta->is_object()) {
    page.has_more = Bool(*meta, "has_more", false);
    page.after_cursor = Str(*meta, "after_cursor");
    if (page.after_cursor.empty()) page.has_more = false;
    return Status::Ok();
  }
  // Legacy cursor form (top-level after_cursor/after_url).
  if (doc.contains("after_cursor")) {
    page.after_cursor = Str(doc, "after_cursor");
    page.has_more = !page.after_cursor.empty() && !Str(doc, "after_url").empty();
    return Status::Ok();
  }
  // An offset page (next_page, count: what Zendesk answers when the cursor
  // parameters are missing or ignored; recorded in zenpy's users cassette)
  // has no cursor to continue with: reading it as the last page would drop
  // every later page without a word.
  if (!Str(doc, "next_page").empty())
    return BadResponse(
        "Zendesk answered with offset pagination (next_page) where cursor pagination was asked for");
  return Status::Ok();
}

User UserFrom(const json& u) {
  User user;
  user.id = OptInt(u, "id");
  user.name = Str(u, "name");
  user.email = OptStr(u, "email");
  user.role = Str(u, "role");
  if (auto rt = OptInt(u, "role_type")) user.role_type = static_cast<int>(*rt);
  user.custom_role_id = OptInt(u, "custom_role_id");
  user.active = Bool(u, "active", true);
  user.suspended = Bool(u, "suspended", false);
  user.chat_only = Bool(u, "chat_only", false);
  user.shared_agent = Bool(u, "shared_agent", false);
  user.last_login_at = OptTime(u, "last_login_at");
  user.created_at = OptTime(u, "created_at").value_or(0);
  user.updated_at = OptTime(u, "updated_at").value_or(0);
  return user;
}

Ticket TicketFrom(const json& t) {
  Ticket ticket;
  ticket.id = Int(t, "id");
  ticket.status = Str(t, "status");
  ticket.assignee_id = OptInt(t, "assignee_id");
  ticket.requester_id = OptInt(t, "requester_id");
  ticket.submitter_id = OptInt(t, "submitter_id");
  ticket.created_at = OptTime(t, "created_at").value_or(0);
  ticket.updated_at = OptTime(t, "updated_at").value_or(0);
  ticket.generated_timestamp = OptTime(t, "generated_timestamp");
  return ticket;
}

// ---------------------------------------------------------------- simdjson

namespace od = simdjson::ondemand;

std::string_view TrimWs(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::optional<int64_t> SjInt(od::value v) {
  switch (v.type().value()) {
    case od::json_type::number: {
      od::number_type nt = v.get_number_type().value();
      if (nt == od::number_type::signed_integer) return v.get_int64().value();
      if (nt == od::number_type::unsigned_integer) {
        uint64_t u = v.get_uint64().value();
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
        return static_cast<int64_t>(u);
      }
      // Out of int64's range the conversion would be undefined: treat as absent.
      double d = v.get_double().value();
      if (!std::isfinite(d) || d < -9.2e18 || d > 9.2e18) return std::nullopt;
      return static_cast<int64_t>(d);
    }
    case od::json_type::string:
      return IntFromText(v.get_string().value());
    default:
      return std::nullopt;
  }
}

std::string SjText(od::value v) {
  switch (v.type().value()) {
    case od::json_type::string:
      return std::string(v.get_string().value());
    case od::json_type::null:
      return "";
    case od::json_type::array:
      return std::string(TrimWs(v.get_array().value().raw_json().value()));
    case od::json_type::object:
      return std::string(TrimWs(v.get_object().value().raw_json().value()));
    default:
      return std::string(TrimWs(v.raw_json_token()));
  }
}

bool SjBool(od::value v, bool def) {
  if (v.type().value() != od::json_type::boolean) return def;
  return v.get_bool().value();
}

std::optional<UnixTime> SjTime(od::value v) {
  switch (v.type().value()) {
    case od::json_type::string:
      return ParseIso(v.get_string().value());
    case od::json_type::number:
      return SjInt(v);
    default:
      return std::nullopt;
  }
}

std::optional<std::string> SjOptStr(od::value v) {
  if (v.type().value() == od::json_type::null) return std::nullopt;
  return SjText(v);
}

// Parses with On-Demand; fn(od::object top) -> Result<T>.
template <typename T, typename Fn>
Result<T> WithSimdjson(std::string_view body, const char* what, Fn fn) {
  try {
    // Both reused: documents do not outlive this call, and a copy into a buffer
    // that keeps its capacity costs no allocation per page.
    thread_local od::parser parser;
    thread_local std::string padded;
    padded.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    padded.assign(body);
    od::document doc =
        parser.iterate(simdjson::padded_string_view(padded.data(), padded.size(), padded.capacity()));
    od::object top = doc.get_object();
    Result<T> r = fn(top);
    // An unusually large body does not stay allocated after its parse.
    if (padded.capacity() > (size_t{16} << 20)) std::string().swap(padded);
    return r;
  } catch (const simdjson::simdjson_error& e) {
    return BadResponse(std::string("Zendesk sent a body that is not valid JSON of the expected shape (") +
                       what + "): " + e.what());
  } catch (const std::exception& e) {
    return BadResponse(std::string("could not parse Zendesk's answer (") + what + "): " + e.what());
  }
}

User SjUser(od::object o) {
  User user;
  for (auto field : o) {
    std::string_view key = field.unescaped_key().value();
    od::value v = field.value();
    if (key == "id")
      user.id = SjInt(v);
    else if (key == "name")
      user.name = SjText(v);
    else if (key == "email")
      user.email = SjOptStr(v);
    else if (key == "role")
      user.role = SjText(v);
    else if (key == "role_type") {
      if (auto rt = SjInt(v)) user.role_type = static_cast<int>(*rt);
    } else if (key == "custom_role_id")
      user.custom_role_id = SjInt(v);
    else if (key == "active")
      user.active = SjBool(v, true);
    else if (key == "suspended")
      user.suspended = SjBool(v, false);
    else if (key == "chat_only")
      user.chat_only = SjBool(v, false);
    else if (key == "shared_agent")
      user.shared_agent = SjBool(v, false);
    else if (key == "last_login_at")
      user.last_login_at = SjTime(v);
    else if (key == "created_at")
      user.created_at = SjTime(v).value_or(0);
    else if (key == "updated_at")
      user.updated_at = SjTime(v).value_or(0);
  }
  return user;
}

bool SkipCapture(std::string_view key) {
  return key == "body" || key == "html_body" || key == "plain_body" || key == "attachments" || key == "via" ||
         key == "system" || key == "recipients" || key == "metadata" || key == "subject" ||
         key == "via_reference_id" || key == "created_at" || key == "public" || key == "audit_id";
}

// A child event (ticket_events) or an audit event (ticket_audits).
ChildEvent SjChild(od::object o) {
  ChildEvent c;
  bool has_value = false;
  std::vector<std::pair<std::string, std::string>> other;  // candidates for "value under field_name"
  for (auto field : o) {
    std::string_view key = field.unescaped_key().value();
    od::value v = field.value();
    if (key == "id")
      c.id = SjInt(v).value_or(0);
    else if (key == "event_type")
      c.event_type = SjText(v);
    else if (key == "type") {
      std::string t = SjText(v);
      if (c.event_type.empty()) c.event_type = std::move(t);
    } else if (key == "field_name")
      c.field_name = SjText(v);
    else if (key == "value") {
      c.value = SjText(v);
      has_value = true;
    } else if (key == "previous_value")
      c.previous_value = SjText(v);
    else if (key == "author_id")
      c.author_id = SjInt(v);
    else if (!SkipCapture(key))
      other.emplace_back(std::string(key), SjText(v));
  }
  if (!has_value && !c.field_name.empty()) {
    for (auto& [k, val] : other) {
      if (k == c.field_name) {
        c.value = std::move(val);
        break;
      }
    }
  }
  return c;
}

TicketEvent SjTicketEvent(od::object o) {
  TicketEvent e;
  std::optional<UnixTime> created_at;
  bool has_timestamp = false;
  for (auto field : o) {
    std::string_view key = field.unescaped_key().value();
    od::value v = field.value();
    if (key == "id")
      e.id = SjInt(v).value_or(0);
    else if (key == "ticket_id")
      e.ticket_id = SjInt(v).value_or(0);
    else if (key == "timestamp") {
      if (auto t = SjTime(v)) {
        e.timestamp = *t;
        has_timestamp = true;
      }
    } else if (key == "created_at")
      created_at = SjTime(v);
    else if (key == "updater_id")
      e.updater_id = SjInt(v).value_or(0);
    else if (key == "via") {
      if (v.type().value() == od::json_type::object) {
        od::object obj_ = v.get_object();
        for (auto vf : obj_) {
          if (vf.unescaped_key().value() == "channel") e.via = SjText(vf.value());
        }
      } else {
        e.via = SjText(v);
      }
    } else if (key == "child_events") {
      if (v.type().value() != od::json_type::array) continue;
      for (auto child : v.get_array()) {
        od::value cv = child.value();
        if (cv.type().value() != od::json_type::object) continue;
        e.children.push_back(SjChild(cv.get_object()));
      }
    }
  }
  if (!has_timestamp && created_at) e.timestamp = *created_at;
  return e;
}

TicketAudit SjAudit(od::object o) {
  TicketAudit a;
  for (auto field : o) {
    std::string_view key = field.unescaped_key().value();
    od::value v = field.value();
    if (key == "id")
      a.id = SjInt(v).value_or(0);
    else if (key == "ticket_id")
      a.ticket_id = SjInt(v).value_or(0);
    else if (key == "created_at")
      a.created_at = SjTime(v).value_or(0);
    else if (key == "author_id")
      a.author_id = SjInt(v).value_or(0);
    else if (key == "via") {
      if (v.type().value() == od::json_type::object) {
        od::object obj_ = v.get_object();
        for (auto vf : obj_) {
          if (vf.unescaped_key().value() == "channel") a.via_channel = SjText(vf.value());
        }
      } else {
        a.via_channel = SjText(v);
      }
    } else if (key == "events") {
      if (v.type().value() != od::json_type::array) continue;
      for (auto ev : v.get_array()) {
        od::value evv = ev.value();
        if (evv.type().value() != od::json_type::object) continue;
        a.events.push_back(SjChild(evv.get_object()));
      }
    }
  }
  return a;
}

}  // namespace

// ------------------------------------------------------------------ users

Result<User> ParseUserResponse(std::string_view body) {
  return WithJson(body, "user", [](const json& doc) -> Result<User> {
    for (const char* key : {"user", "deleted_user"}) {
      auto it = doc.find(key);
      if (it != doc.end() && it->is_object()) return UserFrom(*it);
    }
    return BadResponse("Zendesk's answer has no \"user\" object");
  });
}

Result<CursorPage<User>> ParseUsersPage(std::string_view body) {
  return WithJson(body, "users page", [](const json& doc) -> Result<CursorPage<User>> {
    const json* arr = Array(doc, "users");
    if (!arr) arr = Array(doc, "deleted_users");
    if (!arr) return BadResponse("Zendesk's answer has no \"users\" list");
    CursorPage<User> page;
    for (const auto& u : *arr)
      if (u.is_object()) page.items.push_back(UserFrom(u));
    SK_RETURN_IF_ERROR(ReadMeta(doc, page));
    return page;
  });
}

Result<std::vector<User>> ParseUsersList(std::string_view body) {
  return WithJson(body, "users", [](const json& doc) -> Result<std::vector<User>> {
    const json* arr = Array(doc, "users");
    if (!arr) arr = Array(doc, "deleted_users");
    if (!arr) return BadResponse("Zendesk's answer has no \"users\" list");
    std::vector<User> users;
    for (const auto& u : *arr)
      if (u.is_object()) users.push_back(UserFrom(u));
    return users;
  });
}

Result<IncrementalPage<User>> ParseIncrementalUsersPage(std::string_view body) {
  return WithSimdjson<IncrementalPage<User>>(body, "incremental users",
                                             [](od::object top) -> Result<IncrementalPage<User>> {
                                               IncrementalPage<User> page;
                                               bool seen = false, seen_eos = false;
                                               for (auto field : top) {
                                                 std::string_view key = field.unescaped_key().value();
                                                 od::value v = field.value();
                                                 if (key == "users") {
                                                   if (v.type().value() != od::json_type::array) continue;
                                                   seen = true;
                                                   for (auto item : v.get_array()) {
                                                     od::value iv = item.value();
                                                     if (iv.type().value() == od::json_type::object)
                                                       page.items.push_back(SjUser(iv.get_object()));
                                                   }
                                                 } else if (key == "end_time")
                                                   page.end_time = SjInt(v).value_or(0);
                                                 else if (key == "end_of_stream") {
                                                   page.end_of_stream = SjBool(v, true);
                                                   seen_eos = true;
                                                 } else if (key == "next_page")
                                                   page.next_page = SjText(v);
                                                 else if (key == "after_cursor")
                                                   page.after_cursor = SjText(v);
                                               }
                                               if (!seen)
                                                 return BadResponse("Zendesk's answer has no \"users\" list");
                                               if (!seen_eos) page.end_of_stream = page.items.empty();
                                               return page;
                                             });
}

Result<std::vector<CustomRole>> ParseCustomRoles(std::string_view body) {
  return WithJson(body, "custom roles", [](const json& doc) -> Result<std::vector<CustomRole>> {
    const json* arr = Array(doc, "custom_roles");
    if (!arr) return BadResponse("Zendesk's answer has no \"custom_roles\" list");
    std::vector<CustomRole> roles;
    for (const auto& r : *arr) {
      if (!r.is_object()) continue;
      CustomRole role;
      role.id = Int(r, "id");
      role.name = Str(r, "name");
      if (auto rt = OptInt(r, "role_type")) role.role_type = static_cast<int>(*rt);
      auto cfg = r.find("configuration");
      if (cfg != r.end() && cfg->is_object()) role.light_agent = Bool(*cfg, "light_agent", false);
      roles.push_back(std::move(role));
    }
    return roles;
  });
}

// --------------------------------------------------------------- activity

Result<IncrementalPage<TicketEvent>> ParseTicketEventsPage(std::string_view body) {
  return WithSimdjson<IncrementalPage<TicketEvent>>(
      body, "ticket events", [](od::object top) -> Result<IncrementalPage<TicketEvent>> {
        IncrementalPage<TicketEvent> page;
        bool seen = false, seen_eos = false;
        for (auto field : top) {
          std::string_view key = field.unescaped_key().value();
          od::value v = field.value();
          if (key == "ticket_events") {
            if (v.type().value() != od::json_type::array) continue;
            seen = true;
            for (auto item : v.get_array()) {
              od::value iv = item.value();
              if (iv.type().value() == od::json_type::object)
                page.items.push_back(SjTicketEvent(iv.get_object()));
            }
          } else if (key == "end_time")
            page.end_time = SjInt(v).value_or(0);
          else if (key == "end_of_stream") {
            page.end_of_stream = SjBool(v, true);
            seen_eos = true;
          } else if (key == "next_page")
            page.next_page = SjText(v);
          else if (key == "after_cursor")
            page.after_cursor = SjText(v);
        }
        if (!seen) return BadResponse("Zendesk's answer has no \"ticket_events\" list");
        if (!seen_eos) page.end_of_stream = page.items.empty();
        return page;
      });
}

Result<CursorPage<TicketAudit>> ParseTicketAuditsPage(std::string_view body) {
  return WithSimdjson<CursorPage<TicketAudit>>(
      body, "ticket audits", [](od::object top) -> Result<CursorPage<TicketAudit>> {
        CursorPage<TicketAudit> page;
        bool seen = false, seen_meta = false;
        std::string legacy_after, legacy_after_url;
        for (auto field : top) {
          std::string_view key = field.unescaped_key().value();
          od::value v = field.value();
          if (key == "audits") {
            if (v.type().value() != od::json_type::array) continue;
            seen = true;
            for (auto item : v.get_array()) {
              od::value iv = item.value();
              if (iv.type().value() == od::json_type::object) page.items.push_back(SjAudit(iv.get_object()));
            }
          } else if (key == "meta") {
            if (v.type().value() != od::json_type::object) continue;
            seen_meta = true;
            od::object obj_ = v.get_object();
            for (auto mf : obj_) {
              std::string_view mk = mf.unescaped_key().value();
              if (mk == "has_more")
                page.has_more = SjBool(mf.value(), false);
              else if (mk == "after_cursor")
                page.after_cursor = SjText(mf.value());
            }
          } else if (key == "after_cursor")
            legacy_after = SjText(v);
          else if (key == "after_url")
            legacy_after_url = SjText(v);
        }
        if (!seen) return BadResponse("Zendesk's answer has no \"audits\" list");
        if (!seen_meta) {
          page.after_cursor = legacy_after;
          page.has_more = !legacy_after.empty() && !legacy_after_url.empty();
        }
        if (page.after_cursor.empty()) page.has_more = false;
        return page;
      });
}

Result<CursorPage<DeletedTicket>> ParseDeletedTicketsPage(std::string_view body) {
  return WithJson(body, "deleted tickets", [](const json& doc) -> Result<CursorPage<DeletedTicket>> {
    const json* arr = Array(doc, "deleted_tickets");
    if (!arr) return BadResponse("Zendesk's answer has no \"deleted_tickets\" list");
    CursorPage<DeletedTicket> page;
    for (const auto& t : *arr) {
      if (!t.is_object()) continue;
      DeletedTicket d;
      d.id = Int(t, "id");
      auto actor = t.find("actor");
      if (actor != t.end() && actor->is_object()) d.actor_id = OptInt(*actor, "id");
      if (!d.actor_id) d.actor_id = OptInt(t, "actor_id");
      d.deleted_at = OptTime(t, "deleted_at").value_or(0);
      d.previous_state = Str(t, "previous_state");
      page.items.push_back(std::move(d));
    }
    SK_RETURN_IF_ERROR(ReadMeta(doc, page));
    return page;
  });
}

Result<IncrementalPage<Ticket>> ParseIncrementalTicketsPage(std::string_view body) {
  return WithJson(body, "incremental tickets", [](const json& doc) -> Result<IncrementalPage<Ticket>> {
    const json* arr = Array(doc, "tickets");
    if (!arr) return BadResponse("Zendesk's answer has no \"tickets\" list");
    IncrementalPage<Ticket> page;
    for (const auto& t : *arr)
      if (t.is_object()) page.items.push_back(TicketFrom(t));
    page.end_time = Int(doc, "end_time");
    page.next_page = Str(doc, "next_page");
    page.after_cursor = Str(doc, "after_cursor");
    page.end_of_stream = Bool(doc, "end_of_stream", page.items.empty());
    return page;
  });
}

Result<CursorPage<Ticket>> ParseSearchTicketsPage(std::string_view body) {
  return WithJson(body, "ticket search", [](const json& doc) -> Result<CursorPage<Ticket>> {
    const json* arr = Array(doc, "results");
    if (!arr) return BadResponse("Zendesk's answer has no \"results\" list");
    CursorPage<Ticket> page;
    for (const auto& t : *arr) {
      if (!t.is_object()) continue;
      std::string type = Str(t, "result_type");
      if (!type.empty() && type != "ticket") continue;
      page.items.push_back(TicketFrom(t));
    }
    SK_RETURN_IF_ERROR(ReadMeta(doc, page));
    return page;
  });
}

Result<IncrementalPage<Article>> ParseArticlesPage(std::string_view body) {
  return WithJson(body, "help center articles", [](const json& doc) -> Result<IncrementalPage<Article>> {
    const json* arr = Array(doc, "articles");
    if (!arr) return BadResponse("Zendesk's answer has no \"articles\" list");
    IncrementalPage<Article> page;
    for (const auto& a : *arr) {
      if (!a.is_object()) continue;
      Article art;
      art.id = Int(a, "id");
      art.author_id = OptInt(a, "author_id");
      art.created_at = OptTime(a, "created_at").value_or(0);
      art.updated_at = OptTime(a, "updated_at").value_or(0);
      art.draft = Bool(a, "draft", false);
      art.title = Str(a, "title");
      if (art.title.empty()) art.title = Str(a, "name");
      page.items.push_back(std::move(art));
    }
    page.end_time = Int(doc, "end_time");
    page.next_page = Str(doc, "next_page");
    page.end_of_stream = page.next_page.empty() || page.items.empty();
    if (doc.contains("end_of_stream")) page.end_of_stream = Bool(doc, "end_of_stream", page.end_of_stream);
    return page;
  });
}

Result<CursorPage<AuditLog>> ParseAuditLogsPage(std::string_view body) {
  return WithJson(body, "audit logs", [](const json& doc) -> Result<CursorPage<AuditLog>> {
    const json* arr = Array(doc, "audit_logs");
    if (!arr) return BadResponse("Zendesk's answer has no \"audit_logs\" list");
    CursorPage<AuditLog> page;
    for (const auto& l : *arr) {
      if (!l.is_object()) continue;
      AuditLog log;
      log.id = Int(l, "id");
      log.action = Str(l, "action");
      log.actor_id = Int(l, "actor_id");
      log.source_type = Str(l, "source_type");
      log.source_id = OptInt(l, "source_id");
      log.created_at = OptTime(l, "created_at").value_or(0);
      page.items.push_back(std::move(log));
    }
    SK_RETURN_IF_ERROR(ReadMeta(doc, page));
    return page;
  });
}

// -------------------------------------------------------------- jobs, auth

Result<JobStatus> ParseJobStatusResponse(std::string_view body) {
  return WithJson(body, "job status", [](const json& doc) -> Result<JobStatus> {
    auto it = doc.find("job_status");
    if (it == doc.end() || !it->is_object())
      return BadResponse("Zendesk's answer has no \"job_status\" object");
    const json& j = *it;
    JobStatus js;
    js.id = Str(j, "id");
    js.status = Str(j, "status");
    if (auto t = OptInt(j, "total")) js.total = static_cast<int>(*t);
    if (auto p = OptInt(j, "progress")) js.progress = static_cast<int>(*p);
    auto one = [](const json& r) {
      JobResult jr;
      jr.id = OptInt(r, "id");
      jr.status = Str(r, "status");
      jr.error = Str(r, "error");
      jr.details = Str(r, "details");
      bool failed_hint = !jr.error.empty() || jr.status == "Failed";
      jr.success = Bool(r, "success", !failed_hint);
      return jr;
    };
    auto res = j.find("results");
    if (res != j.end()) {
      if (res->is_array()) {
        for (const auto& r : *res)
          if (r.is_object()) js.results.push_back(one(r));
      } else if (res->is_object()) {
        js.results.push_back(one(*res));
      }
    }
    return js;
  });
}

Result<TokenSet> ParseTokenResponse(std::string_view body, UnixTime now) {
  return WithJson(body, "OAuth token", [now](const json& doc) -> Result<TokenSet> {
    TokenSet t;
    t.access_token = Str(doc, "access_token");
    if (t.access_token.empty()) return BadResponse("Zendesk's token answer has no access_token");
    t.refresh_token = Str(doc, "refresh_token");
    if (auto e = OptInt(doc, "expires_in"); e && *e > 0) t.expires_at = now + *e;
    if (auto e = OptInt(doc, "refresh_token_expires_in"); e && *e > 0) t.refresh_expires_at = now + *e;
    t.scope = Str(doc, "scope");
    return t;
  });
}

}  // namespace sk::zendesk
