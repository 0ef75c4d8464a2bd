// Zendesk pagination: cursor-based (page[size]/page[after]/page[before] with
// meta+links), offset-based (page/per_page, capped at 10,000 records) and the
// cursors of incremental exports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace zdsim {

using Key = std::pair<int64_t, int64_t>;

std::string UrlEncode(const std::string& s);

// CBP cursor: base64 of {"o":"...","v":"a,b"} like Zendesk's.
std::string EncodeCursor(const Key& k);
std::optional<Key> DecodeCursor(const std::string& c);
// Incremental export cursor: base64 of "TS.0||ID|".
std::string EncodeIncrementalCursor(const Key& k);
std::optional<Key> DecodeIncrementalCursor(const std::string& c);

struct HttpError {
  int status;
  nlohmann::json body;
};

bool WantsCbp(const httplib::Request& req);

struct CbpRequest {
  int size = 100;
  std::optional<Key> after, before;
};
std::optional<HttpError> ParseCbp(const httplib::Request& req, int default_size, int max_size, CbpRequest* out);

struct Slice {
  size_t begin = 0, end = 0;
  bool has_more = false;
};
// Positions 0..n-1 whose keys key(i) ascend; `repeat` re-serves a couple of
// records of the previous page (fault injection).
template <class KeyFn>
Slice CbpSlice(size_t n, KeyFn key, const CbpRequest& r, bool repeat = false) {
  auto lower = [&](const Key& k, bool strictly_after) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (strictly_after ? !(k < key(mid)) : key(mid) < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  Slice s;
  const auto size = static_cast<size_t>(r.size);
  if (r.before) {
    s.end = lower(*r.before, false);
    s.begin = s.end > size ? s.end - size : 0;
    s.has_more = s.begin > 0;
    return s;
  }
  s.begin = r.after ? lower(*r.after, true) : 0;
  if (repeat) s.begin = s.begin >= 2 ? s.begin - 2 : 0;
  s.end = std::min(n, s.begin + size);
  s.has_more = s.end < n;
  return s;
}

// Adds "meta" and "links" for a CBP page whose first/last keys are given.
void AddCbpMeta(nlohmann::json& out, const httplib::Request& req, const std::string& base, const std::string& path,
                int size, bool has_more, std::optional<Key> first, std::optional<Key> last);

struct ObpRequest {
  int page = 1;
  int per_page = 100;
};
std::optional<HttpError> ParseObp(const httplib::Request& req, int default_per_page, int max_per_page,
                                  ObpRequest* out, bool capped = true);
void AddObpMeta(nlohmann::json& out, const httplib::Request& req, const std::string& base, const std::string& path,
                const ObpRequest& r, size_t total);

// The query string of req without the given parameters (prefix match), '&'-terminated when non-empty.
std::string QueryWithout(const httplib::Request& req, std::initializer_list<const char*> prefixes);

}  // namespace zdsim
