#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sync/source.h"

namespace sk::sync {
namespace {

// The overlapped sync runs the lanes, the sequential sync the plain list: a
// source added to one and not the other would be skipped by one of them.
TEST(UsageSourceLanes, HoldEverySequentialSourceOnceInTheSameRelativeOrder) {
  std::vector<std::string> sequential;
  for (const auto& s : UsageSources()) sequential.push_back(s->name());
  std::vector<std::string> laned;
  for (const auto& lane : UsageSourceLanes()) {
    EXPECT_FALSE(lane.name.empty());
    EXPECT_FALSE(lane.sources.empty()) << lane.name;
    std::vector<std::string> names;
    for (const auto& s : lane.sources) names.push_back(s->name());
    // Within a lane, sources keep the sequential sync's order (checkpoints
    // and once-only keys are written in that order).
    std::vector<size_t> at;
    for (const auto& n : names)
      at.push_back(std::find(sequential.begin(), sequential.end(), n) - sequential.begin());
    EXPECT_TRUE(std::is_sorted(at.begin(), at.end())) << lane.name;
    laned.insert(laned.end(), names.begin(), names.end());
  }
  std::sort(sequential.begin(), sequential.end());
  std::sort(laned.begin(), laned.end());
  EXPECT_EQ(laned, sequential);
}

}  // namespace
}  // namespace sk::sync
