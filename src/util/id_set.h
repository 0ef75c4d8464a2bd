// A set of 64-bit ids at about 8 bytes an id (a std::set node takes about
// 48): a sorted vector, with the latest inserts in a small hash set merged
// into it every few thousand. The user pass keeps every user it read in one:
// 500,000 users in about 4 MB instead of 24 (issue #19, peak RSS).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <unordered_set>
#include <vector>

namespace sk {

class CompactIdSet {
 public:
  // True when `id` was not in the set yet.
  bool Insert(int64_t id) {
    if (Contains(id)) return false;
    fresh_.insert(id);
    if (fresh_.size() >= kMergeEvery) Merge();
    return true;
  }
  bool Contains(int64_t id) const {
    return fresh_.count(id) != 0 || std::binary_search(sorted_.begin(), sorted_.end(), id);
  }
  size_t size() const { return sorted_.size() + fresh_.size(); }

 private:
  static constexpr size_t kMergeEvery = 4096;
  void Merge() {
    const auto mid = static_cast<std::ptrdiff_t>(sorted_.size());
    sorted_.insert(sorted_.end(), fresh_.begin(), fresh_.end());
    std::sort(sorted_.begin() + mid, sorted_.end());
    std::inplace_merge(sorted_.begin(), sorted_.begin() + mid, sorted_.end());
    fresh_.clear();
  }

  std::vector<int64_t> sorted_;
  std::unordered_set<int64_t> fresh_;
};

}  // namespace sk
