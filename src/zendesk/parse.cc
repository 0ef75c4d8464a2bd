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

bool Bool(const json& o, const char* key, bool def) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_boolean()) return def;
  return it->get<bool>();
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
      od::number_type nt{};
      if (v.get_number_type().get(nt) != simdjson::SUCCESS) return std::nullopt;
      // An integer beyond 64 bits claims unsigned_integer, then does not read as one: absent.
      int64_t i = 0;
      if (nt == od::number_type::signed_integer)
        return v.get_int64().get(i) == simdjson::SUCCESS ? std::optional(i) : std::nullopt;
      if (nt == od::number_type::unsigned_integer) {
        uint64_t u = 0;
        if (v.get_uint64().get(u) != simdjson::SUCCESS) return std::nullopt;
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
        return static_cast<int64_t>(u);
      }
      // Out of int64's range the conversion would be undefined: treat as absent.
      double d = 0;
      if (v.get_double().get(d) != simdjson::SUCCESS) return std::nullopt;
      if (!std::isfinite(d) || d < -9.2e18 || d > 9.2e18) return std::nullopt;
      return static_cast<int64_t>(d);
    }
    case od::json_type::string:
      return IntFromText(v.get_string().value());
    default:
      return std::nullopt;
  }
}

// A value as text, viewed in the parser's buffers (valid as long as the
// document): a string's contents, a number's token, an array's or object's
// JSON, "" for null.
std::string_view SjTextView(od::value v) {
  switch (v.type().value()) {
    case od::json_type::string:
      return v.get_string().value();
    case od::json_type::null:
      return {};
    case od::json_type::array:
      return TrimWs(v.get_array().value().raw_json().value());
    case od::json_type::object:
      return TrimWs(v.get_object().value().raw_json().value());
    default:
      return TrimWs(v.raw_json_token());
  }
}

std::string SjText(od::value v) {
  return std::string(SjTextView(v));
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

// Calls fn(object) for each object in the array `v` (anything else is skipped).
template <typename Fn>
void ForEachObject(od::value v, Fn&& fn) {
  if (v.type().value() != od::json_type::array) return;
  for (auto item : v.get_array()) {
    od::value iv = item.value();
    if (iv.type().value() == od::json_type::object) fn(iv.get_object());
  }
}

// "via": {"channel": "web", ...} or a bare channel name.
std::string SjViaChannel(od::value v) {
  if (v.type().value() != od::json_type::object) return SjText(v);
  std::string channel;
  od::object via = v.get_object();
  for (auto field : via)
    if (field.unescaped_key().value() == "channel") channel = SjText(field.value());
  return channel;
}

// The strings of an array (anything else in it, or a non-array, is skipped).
std::vector<std::string> SjStrings(od::value v) {
  std::vector<std::string> out;
  if (v.type().value() != od::json_type::array) return out;
  for (auto item : v.get_array()) {
    od::value iv = item.value();
    if (iv.type().value() == od::json_type::string) out.push_back(SjText(iv));
  }
  return out;
}

// The one user parser: a user object of any answer (users/me, show_many,
// cursor pages, incremental exports).
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
    else if (key == "tags")
      user.tags = SjStrings(v);
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
  // Candidates for "value under field_name", viewed in the parser's buffers (no copy).
  std::vector<std::pair<std::string_view, std::string_view>> other;
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
    else if (key == "public" || key == "comment_public") {
      if (v.type().value() == od::json_type::boolean) c.is_public = v.get_bool().value();
    } else if (key == "via") {
      const std::string channel = SjViaChannel(v);
      c.by_rule = channel == "rule" || channel == "Rule";
    } else if (!SkipCapture(key))
      other.emplace_back(key, SjTextView(v));
  }
  if (!has_value && !c.field_name.empty()) {
    for (const auto& [k, val] : other) {
      if (k == c.field_name) {
        c.value = std::string(val);
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
    else if (key == "via")
      e.via = SjViaChannel(v);
    else if (key == "child_events")
      ForEachObject(v, [&](od::object child) { e.children.push_back(SjChild(child)); });
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
    else if (key == "via")
      a.via_channel = SjViaChannel(v);
    else if (key == "events")
      ForEachObject(v, [&](od::object ev) { a.events.push_back(SjChild(ev)); });
  }
  return a;
}

// A ticket; `*result_type` gets the search result's type when asked for.
Ticket SjTicket(od::object o, std::string* result_type = nullptr) {
  Ticket t;
  for (auto field : o) {
    std::string_view key = field.unescaped_key().value();
    od::value v = field.value();
    if (key == "id")
      t.id = SjInt(v).value_or(0);
    else if (key == "status")
      t.status = SjText(v);
    else if (key == "assignee_id")
      t.assignee_id = SjInt(v);
    else if (key == "requester_id")
      t.requester_id = SjInt(v);
    else if (key == "submitter_id")
      t.submitter_id = SjInt(v);
    else if (key == "created_at")
      t.created_at = SjTime(v).value_or(0);
    else if (key == "updated_at")
      t.updated_at = SjTime(v).value_or(0);
    else if (key == "generated_timestamp")
      t.generated_timestamp = SjTime(v);
    else if (key == "result_type" && result_type)
      *result_type = SjText(v);
  }
  return t;
}

// A deleted ticket: the actor is {"actor": {"id": ...}}, else a top-level actor_id.
DeletedTicket SjDeletedTicket(od::object o) {
  DeletedTicket d;
  std::optional<int64_t> actor_object_id, actor_id;
  for (auto field : o) {
    std::string_view key = field.unescaped_key().value();
    od::value v = field.value();
    if (key == "id") {
      d.id = SjInt(v).value_or(0);
    } else if (key == "actor") {
      if (v.type().value() != od::json_type::object) continue;
      od::object actor = v.get_object();
      for (auto af : actor)
        if (af.unescaped_key().value() == "id") actor_object_id = SjInt(af.value());
    } else if (key == "actor_id") {
      actor_id = SjInt(v);
    } else if (key == "deleted_at") {
      d.deleted_at = SjTime(v).value_or(0);
    } else if (key == "previous_state") {
      d.previous_state = SjText(v);
    }
  }
  d.actor_id = actor_object_id ? actor_object_id : actor_id;
  return d;
}

// A Help Center article; an untitled one goes by its "name".
Article SjArticle(od::object o) {
  Article art;
  std::string name;
  for (auto field : o) {
    std::string_view key = field.unescaped_key().value();
    od::value v = field.value();
    if (key == "id")
      art.id = SjInt(v).value_or(0);
    else if (key == "author_id")
      art.author_id = SjInt(v);
    else if (key == "created_at")
      art.created_at = SjTime(v).value_or(0);
    else if (key == "updated_at")
      art.updated_at = SjTime(v).value_or(0);
    else if (key == "draft")
      art.draft = SjBool(v, false);
    else if (key == "title")
      art.title = SjText(v);
    else if (key == "name")
      name = SjText(v);
  }
  if (art.title.empty()) art.title = std::move(name);
  return art;
}

AuditLog SjAuditLog(od::object o) {
  AuditLog log;
  for (auto field : o) {
    std::string_view key = field.unescaped_key().value();
    od::value v = field.value();
    if (key == "id")
      log.id = SjInt(v).value_or(0);
    else if (key == "action")
      log.action = SjText(v);
    else if (key == "actor_id")
      log.actor_id = SjInt(v).value_or(0);
    else if (key == "actor_name")
      log.actor_name = SjText(v);
    else if (key == "source_type")
      log.source_type = SjText(v);
    else if (key == "source_id")
      log.source_id = SjInt(v);
    else if (key == "created_at")
      log.created_at = SjTime(v).value_or(0);
  }
  return log;
}

// ---------------------------------------------------------------- the page walker

// How a list page goes on, in every shape Zendesk answers with:
//   cursor pages      meta {has_more, after_cursor}; the legacy form has a
//                     top-level after_cursor + after_url (ticket audits);
//   offset pages      next_page (+ count), what Zendesk answers when cursor
//                     parameters are missing or ignored;
//   incremental       end_time, next_page, after_cursor, end_of_stream
//   exports           (time- and cursor-based).
struct Envelope {
  bool listed = false;      // the list key held an array
  bool alt_listed = false;  // the alternative list key held one
  bool meta = false;        // a "meta" object was present
  bool meta_has_more = false;
  std::string meta_after_cursor;
  bool top_after_cursor = false;  // a top-level "after_cursor" key was present
  std::string after_cursor;
  std::string after_url;
  std::string next_page;
  int64_t end_time = 0;
  enum class Eos { kAbsent, kTrue, kFalse, kNotBoolean } end_of_stream = Eos::kAbsent;
};

// Walks the top level of a list page once: each object of the array under
// `list` (or under `alt`, e.g. "deleted_users") goes to item(object, from_alt);
// the envelope fields are returned.
template <typename ItemFn>
Envelope WalkPage(od::object top, std::string_view list, std::string_view alt, ItemFn&& item) {
  Envelope env;
  for (auto field : top) {
    std::string_view key = field.unescaped_key().value();
    od::value v = field.value();
    if (key == list || (!alt.empty() && key == alt)) {
      if (v.type().value() != od::json_type::array) continue;
      const bool from_alt = key != list;
      (from_alt ? env.alt_listed : env.listed) = true;
      ForEachObject(v, [&](od::object o) { item(o, from_alt); });
    } else if (key == "meta") {
      if (v.type().value() != od::json_type::object) continue;
      env.meta = true;
      od::object meta = v.get_object();
      for (auto mf : meta) {
        std::string_view mk = mf.unescaped_key().value();
        if (mk == "has_more")
          env.meta_has_more = SjBool(mf.value(), false);
        else if (mk == "after_cursor")
          env.meta_after_cursor = SjText(mf.value());
      }
    } else if (key == "after_cursor") {
      env.top_after_cursor = true;
      env.after_cursor = SjText(v);
    } else if (key == "after_url") {
      env.after_url = SjText(v);
    } else if (key == "next_page") {
      env.next_page = SjText(v);
    } else if (key == "end_time") {
      env.end_time = SjInt(v).value_or(0);
    } else if (key == "end_of_stream") {
      if (v.type().value() != od::json_type::boolean)
        env.end_of_stream = Envelope::Eos::kNotBoolean;
      else
        env.end_of_stream = v.get_bool().value() ? Envelope::Eos::kTrue : Envelope::Eos::kFalse;
    }
  }
  return env;
}

// Where a cursor page asked for with page[size] continues. An offset page
// (next_page, no cursor) has no cursor to continue with: reading it as the
// last page would drop every later page without a word, so it is an error
// unless `offset_ends` (an endpoint that may answer one page without cursor
// parameters, e.g. a ticket's audits).
template <typename T>
Status FinishCursorPage(const Envelope& env, bool offset_ends, CursorPage<T>* page) {
  if (env.meta) {
    page->has_more = env.meta_has_more;
    page->after_cursor = env.meta_after_cursor;
  } else if (env.top_after_cursor) {
    page->after_cursor = env.after_cursor;
    page->has_more = !env.after_cursor.empty() && !env.after_url.empty();
  } else if (!env.next_page.empty() && !offset_ends) {
    return BadResponse(
        "Zendesk answered with offset pagination (next_page) where cursor pagination was asked for");
  }
  if (page->after_cursor.empty()) page->has_more = false;
  return Status::Ok();
}

// An incremental export page's position. end_of_stream missing gives
// `if_absent`; present but not a boolean gives `if_not_boolean`.
template <typename T>
void FinishIncrementalPage(const Envelope& env, bool if_absent, bool if_not_boolean,
                           IncrementalPage<T>* page) {
  page->end_time = env.end_time;
  page->next_page = env.next_page;
  page->after_cursor = env.after_cursor;
  switch (env.end_of_stream) {
    case Envelope::Eos::kTrue:
      page->end_of_stream = true;
      break;
    case Envelope::Eos::kFalse:
      page->end_of_stream = false;
      break;
    case Envelope::Eos::kAbsent:
      page->end_of_stream = if_absent;
      break;
    case Envelope::Eos::kNotBoolean:
      page->end_of_stream = if_not_boolean;
      break;
  }
}

Status NoList(std::string_view key) {
  return BadResponse("Zendesk's answer has no \"" + std::string(key) + "\" list");
}

// A cursor-paginated list under `list`; item(object, &items) adds what it reads.
template <typename T, typename ItemFn>
Result<CursorPage<T>> CursorList(std::string_view body, const char* what, std::string_view list,
                                 bool offset_ends, ItemFn&& item) {
  return WithSimdjson<CursorPage<T>>(body, what, [&](od::object top) -> Result<CursorPage<T>> {
    CursorPage<T> page;
    const Envelope env = WalkPage(top, list, {}, [&](od::object o, bool) { item(o, &page.items); });
    if (!env.listed) return NoList(list);
    SK_RETURN_IF_ERROR(FinishCursorPage(env, offset_ends, &page));
    return page;
  });
}

// An incremental export page under `list` (see FinishIncrementalPage for the end rules).
template <typename T, typename ItemFn>
Result<IncrementalPage<T>> IncrementalList(std::string_view body, const char* what, std::string_view list,
                                           ItemFn&& item, bool eos_if_not_boolean) {
  return WithSimdjson<IncrementalPage<T>>(body, what, [&](od::object top) -> Result<IncrementalPage<T>> {
    IncrementalPage<T> page;
    const Envelope env = WalkPage(top, list, {}, [&](od::object o, bool) { page.items.push_back(item(o)); });
    if (!env.listed) return NoList(list);
    const bool empty = page.items.empty();
    FinishIncrementalPage(env, empty, eos_if_not_boolean || empty, &page);
    return page;
  });
}

// A users list ({"users": [...]} or {"deleted_users": [...]}) and its envelope.
Result<std::pair<std::vector<User>, Envelope>> UsersAndEnvelope(od::object top) {
  std::vector<User> users, deleted;
  const Envelope env = WalkPage(top, "users", "deleted_users", [&](od::object o, bool alt) {
    (alt ? deleted : users).push_back(SjUser(o));
  });
  if (!env.listed && !env.alt_listed) return NoList("users");
  return std::make_pair(env.listed ? std::move(users) : std::move(deleted), env);
}

}  // namespace

// ------------------------------------------------------------------ users

Result<User> ParseUserResponse(std::string_view body) {
  return WithSimdjson<User>(body, "user", [](od::object top) -> Result<User> {
    std::optional<User> user, deleted;
    for (auto field : top) {
      std::string_view key = field.unescaped_key().value();
      od::value v = field.value();
      if ((key == "user" || key == "deleted_user") && v.type().value() == od::json_type::object)
        (key == "user" ? user : deleted) = SjUser(v.get_object());
    }
    if (user) return *std::move(user);
    if (deleted) return *std::move(deleted);
    return BadResponse("Zendesk's answer has no \"user\" object");
  });
}

Result<CursorPage<User>> ParseUsersPage(std::string_view body) {
  return WithSimdjson<CursorPage<User>>(body, "users page", [](od::object top) -> Result<CursorPage<User>> {
    SK_ASSIGN_OR_RETURN(auto listed, UsersAndEnvelope(top));
    CursorPage<User> page;
    page.items = std::move(listed.first);
    SK_RETURN_IF_ERROR(FinishCursorPage(listed.second, /*offset_ends=*/false, &page));
    return page;
  });
}

Result<std::vector<User>> ParseUsersList(std::string_view body) {
  return WithSimdjson<std::vector<User>>(body, "users", [](od::object top) -> Result<std::vector<User>> {
    SK_ASSIGN_OR_RETURN(auto listed, UsersAndEnvelope(top));
    return std::move(listed.first);
  });
}

Result<IncrementalPage<User>> ParseIncrementalUsersPage(std::string_view body) {
  return IncrementalList<User>(body, "incremental users", "users", SjUser, /*eos_if_not_boolean=*/true);
}

Result<std::vector<CustomRole>> ParseCustomRoles(std::string_view body) {
  return WithJson(body, "custom roles", [](const json& doc) -> Result<std::vector<CustomRole>> {
    auto arr = doc.find("custom_roles");
    if (arr == doc.end() || !arr->is_array()) return NoList("custom_roles");
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

Result<CursorPage<Group>> ParseGroupsPage(std::string_view body) {
  return CursorList<Group>(body, "groups", "groups", /*offset_ends=*/false,
                           [](od::object o, std::vector<Group>* out) {
                             Group g;
                             for (auto field : o) {
                               std::string_view key = field.unescaped_key().value();
                               od::value v = field.value();
                               if (key == "id")
                                 g.id = SjInt(v).value_or(0);
                               else if (key == "name")
                                 g.name = SjText(v);
                               else if (key == "deleted")
                                 g.deleted = SjBool(v, false);
                             }
                             if (g.id > 0) out->push_back(std::move(g));
                           });
}

Result<CursorPage<GroupMembership>> ParseGroupMembershipsPage(std::string_view body) {
  return CursorList<GroupMembership>(body, "group memberships", "group_memberships", /*offset_ends=*/false,
                                     [](od::object o, std::vector<GroupMembership>* out) {
                                       GroupMembership m;
                                       for (auto field : o) {
                                         std::string_view key = field.unescaped_key().value();
                                         od::value v = field.value();
                                         if (key == "id")
                                           m.id = SjInt(v).value_or(0);
                                         else if (key == "user_id")
                                           m.user_id = SjInt(v).value_or(0);
                                         else if (key == "group_id")
                                           m.group_id = SjInt(v).value_or(0);
                                         else if (key == "default")
                                           m.is_default = SjBool(v, false);
                                       }
                                       if (m.user_id > 0 && m.group_id > 0) out->push_back(m);
                                     });
}

// --------------------------------------------------------------- activity

Result<IncrementalPage<TicketEvent>> ParseTicketEventsPage(std::string_view body) {
  return IncrementalList<TicketEvent>(body, "ticket events", "ticket_events", SjTicketEvent,
                                      /*eos_if_not_boolean=*/true);
}

Result<CursorPage<TicketAudit>> ParseTicketAuditsPage(std::string_view body) {
  return CursorList<TicketAudit>(
      body, "ticket audits", "audits", /*offset_ends=*/true,
      [](od::object o, std::vector<TicketAudit>* out) { out->push_back(SjAudit(o)); });
}

Result<CursorPage<DeletedTicket>> ParseDeletedTicketsPage(std::string_view body) {
  return CursorList<DeletedTicket>(
      body, "deleted tickets", "deleted_tickets", /*offset_ends=*/false,
      [](od::object o, std::vector<DeletedTicket>* out) { out->push_back(SjDeletedTicket(o)); });
}

Result<IncrementalPage<Ticket>> ParseIncrementalTicketsPage(std::string_view body) {
  return IncrementalList<Ticket>(
      body, "incremental tickets", "tickets", [](od::object o) { return SjTicket(o); },
      /*eos_if_not_boolean=*/false);
}

Result<CursorPage<Ticket>> ParseSearchTicketsPage(std::string_view body) {
  return CursorList<Ticket>(body, "ticket search", "results", /*offset_ends=*/false,
                            [](od::object o, std::vector<Ticket>* out) {
                              std::string type;
                              Ticket t = SjTicket(o, &type);
                              if (type.empty() || type == "ticket") out->push_back(std::move(t));
                            });
}

Result<CursorPage<Ticket>> ParseTicketsPage(std::string_view body) {
  return CursorList<Ticket>(
      body, "tickets", "tickets", /*offset_ends=*/false,
      [](od::object o, std::vector<Ticket>* out) { out->push_back(SjTicket(o, nullptr)); });
}

Result<CursorPage<Ticket>> ParseSearchResultsPage(std::string_view body) {
  return CursorList<Ticket>(body, "ticket search", "results", /*offset_ends=*/true,
                            [](od::object o, std::vector<Ticket>* out) {
                              std::string type;
                              Ticket t = SjTicket(o, &type);
                              if (type.empty() || type == "ticket") out->push_back(std::move(t));
                            });
}

Result<IncrementalPage<Article>> ParseArticlesPage(std::string_view body) {
  return WithSimdjson<IncrementalPage<Article>>(
      body, "help center articles", [](od::object top) -> Result<IncrementalPage<Article>> {
        IncrementalPage<Article> page;
        const Envelope env =
            WalkPage(top, "articles", {}, [&](od::object o, bool) { page.items.push_back(SjArticle(o)); });
        if (!env.listed) return NoList("articles");
        // No end_of_stream from Help Center: the stream ends with next_page or the items.
        const bool ends = env.next_page.empty() || page.items.empty();
        FinishIncrementalPage(env, ends, ends, &page);
        return page;
      });
}

Result<CursorPage<AuditLog>> ParseAuditLogsPage(std::string_view body) {
  return CursorList<AuditLog>(
      body, "audit logs", "audit_logs", /*offset_ends=*/false,
      [](od::object o, std::vector<AuditLog>* out) { out->push_back(SjAuditLog(o)); });
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
