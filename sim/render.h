// JSON shapes of Zendesk resources, built from the dataset's records.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <nlohmann/json.hpp>
#include <string>

#include "dataset.h"

namespace zdsim {

using nlohmann::json;
// Pages of thousands of records are written as JSON text with RapidJSON's
// writer instead of as a json tree (a std::map per object, dumped, then
// destroyed): the audit list and the event export were about 30 % of the
// test suite's CPU in its longest tests (ASan counts every allocation).
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

std::string Iso(int64_t t);
json IsoOrNull(int64_t t);
// The id of a user index, or -1 for the system, or null for nobody.
json UserRef(const Dataset& ds, int32_t idx);

// A user record: as /users serves it, or (kDeleted) as /deleted_users does (its url there, active false).
enum class UserShape { kLive, kDeleted };
void WriteUser(JsonWriter& w, const User& u, const std::string& base, UserShape shape = UserShape::kLive);
json UserJson(const Dataset& ds, const User& u, const std::string& base);  // WriteUser's record as a tree
json AnonymousUserJson();
json DeletedUserJson(const Dataset& ds, const User& u, const std::string& base);
json RoleJson(const Dataset& ds, const Role& r);
// `incremental` (the ticket export) adds generated_timestamp as of `now`.
json TicketJson(const Dataset& ds, const Ticket& t, const std::string& base, bool incremental = false,
                int64_t now = 0);
void WriteTicketEvent(JsonWriter& w, const Dataset& ds, size_t event_idx, bool comment_events);
void WriteAudit(JsonWriter& w, const Dataset& ds, size_t event_idx);
json AuditJson(const Dataset& ds, size_t event_idx);  // WriteAudit's record as a tree
json DeletedTicketJson(const Dataset& ds, const Ticket& t);
json ArticleJson(const Dataset& ds, const Article& a, const std::string& base);
json AuditLogJson(const Dataset& ds, const AuditRecord& r, const std::string& base);

std::string TicketSubject(int64_t ticket_id);

}  // namespace zdsim
