#include "pagination.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/encoding.h"

namespace zdsim {

namespace {

std::optional<int64_t> ToInt(const std::string& s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return v;
}

nlohmann::json PageErr(const std::string& d) {
  return {{"error", "InvalidPaginationParameter"}, {"description", d}};
}
}  // namespace

std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
    else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string EncodeCursor(const Key& k) {
  return sk::Base64Encode("{\"o\":\"k\",\"v\":\"" + std::to_string(k.first) + "," + std::to_string(k.second) +
                          "\"}");
}

std::optional<Key> DecodeCursor(const std::string& c) {
  auto raw = sk::Base64Decode(c);
  if (!raw) return std::nullopt;
  auto j = nlohmann::json::parse(*raw, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("v") || !j["v"].is_string()) return std::nullopt;
  const std::string v = j["v"].get<std::string>();
  const auto comma = v.find(',');
  if (comma == std::string::npos) return std::nullopt;
  auto a = ToInt(v.substr(0, comma)), b = ToInt(v.substr(comma + 1));
  if (!a || !b) return std::nullopt;
  return Key{*a, *b};
}

std::string EncodeIncrementalCursor(const Key& k) {
  return sk::Base64Encode(std::to_string(k.first) + ".0||" + std::to_string(k.second) + "|");
}

std::optional<Key> DecodeIncrementalCursor(const std::string& c) {
  auto raw = sk::Base64Decode(c);
  if (!raw) return std::nullopt;
  const auto dot = raw->find(".0||");
  if (dot == std::string::npos || raw->empty() || raw->back() != '|') return std::nullopt;
  auto a = ToInt(raw->substr(0, dot));
  auto b = ToInt(raw->substr(dot + 4, raw->size() - dot - 5));
  if (!a || !b) return std::nullopt;
  return Key{*a, *b};
}

bool WantsCbp(const httplib::Request& req) {
  return req.has_param("page[size]") || req.has_param("page[after]") || req.has_param("page[before]");
}

std::optional<HttpError> ParseCbp(const httplib::Request& req, int default_size, int max_size, CbpRequest* out) {
  out->size = default_size;
  if (req.has_param("page[size]")) {
    auto v = ToInt(req.get_param_value("page[size]"));
    if (!v || *v < 1) return HttpError{400, PageErr("page[size] is not valid")};
    if (*v > max_size)
      return HttpError{400, PageErr("page[size] cannot be greater than " + std::to_string(max_size))};
    out->size = static_cast<int>(*v);
  }
  for (const char* name : {"page[after]", "page[before]"}) {
    if (!req.has_param(name)) continue;
    const std::string v = req.get_param_value(name);
    if (v.empty()) continue;
    auto k = DecodeCursor(v);
    if (!k) return HttpError{400, PageErr(std::string(name) + " is not valid")};
    (std::string(name) == "page[after]" ? out->after : out->before) = *k;
  }
  return std::nullopt;
}

std::string QueryWithout(const httplib::Request& req, std::initializer_list<const char*> prefixes) {
  std::string q;
  for (const auto& [k, v] : req.params) {
    bool skip = false;
    for (const char* p : prefixes)
      if (k.rfind(p, 0) == 0) skip = true;
    if (skip) continue;
    q += UrlEncode(k) + "=" + UrlEncode(v) + "&";
  }
  return q;
}

void AddCbpMeta(nlohmann::json& out, const httplib::Request& req, const std::string& base, const std::string& path,
                int size, bool has_more, std::optional<Key> first, std::optional<Key> last) {
  const std::string prefix = base + path + ".json?" + QueryWithout(req, {"page["});
  nlohmann::json meta = {{"has_more", has_more}, {"after_cursor", nullptr}, {"before_cursor", nullptr}};
  nlohmann::json links = {{"prev", nullptr}, {"next", nullptr}};
  const std::string sz = "page%5Bsize%5D=" + std::to_string(size);
  if (last) {
    const std::string a = EncodeCursor(*last);
    meta["after_cursor"] = a;
    links["next"] = prefix + "page%5Bafter%5D=" + UrlEncode(a) + "&" + sz;
  }
  if (first) {
    const std::string b = EncodeCursor(*first);
    meta["before_cursor"] = b;
    links["prev"] = prefix + "page%5Bbefore%5D=" + UrlEncode(b) + "&" + sz;
  }
  out["meta"] = std::move(meta);
  out["links"] = std::move(links);
}

std::optional<HttpError> ParseObp(const httplib::Request& req, int default_per_page, int max_per_page,
                                  ObpRequest* out, bool capped) {
  out->per_page = default_per_page;
  if (req.has_param("per_page")) {
    auto v = ToInt(req.get_param_value("per_page"));
    if (v && *v > 0) out->per_page = static_cast<int>(std::min<int64_t>(*v, max_per_page));
  }
  if (req.has_param("page")) {
    auto v = ToInt(req.get_param_value("page"));
    if (!v || *v < 1) return HttpError{400, PageErr("page is not valid")};
    if (*v > 1000000) *v = 1000000;
    out->page = static_cast<int>(*v);
  }
  if (capped && static_cast<int64_t>(out->page - 1) * out->per_page >= 10000) {
    return HttpError{400, PageErr("Offset pagination is limited to the first 10000 records. "
                                  "Use cursor-based pagination (page[size]) instead.")};
  }
  return std::nullopt;
}

void AddObpMeta(nlohmann::json& out, const httplib::Request& req, const std::string& base, const std::string& path,
                const ObpRequest& r, size_t total) {
  const std::string prefix = base + path + ".json?" + QueryWithout(req, {"page", "per_page"});
  const std::string pp = "&per_page=" + std::to_string(r.per_page);
  const bool more = static_cast<size_t>(r.page) * static_cast<size_t>(r.per_page) < total;
  out["next_page"] = more ? nlohmann::json(prefix + "page=" + std::to_string(r.page + 1) + pp) : nlohmann::json(nullptr);
  out["previous_page"] =
      r.page > 1 ? nlohmann::json(prefix + "page=" + std::to_string(r.page - 1) + pp) : nlohmann::json(nullptr);
  out["count"] = total;
}

}  // namespace zdsim
