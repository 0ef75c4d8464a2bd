#include "util/id_set.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace sk {
namespace {

// Against std::set over enough ids to merge many times, with repeats (the
// user export returns a user again when they change during the pass).
TEST(CompactIdSet, AgreesWithStdSetAcrossMerges) {
  CompactIdSet compact;
  std::set<int64_t> reference;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 30000; ++i) {
    // Zendesk-like ids (large, sparse), a third of them repeats of earlier ones.
    const int64_t id = 360000000000 + static_cast<int64_t>(rng() % 40000) * 17;
    EXPECT_EQ(compact.Insert(id), reference.insert(id).second) << i;
    ASSERT_EQ(compact.size(), reference.size());
  }
  for (int64_t probe = 360000000000 - 5; probe < 360000000000 + 40000 * 17 + 5; probe += 7)
    ASSERT_EQ(compact.Contains(probe), reference.count(probe) != 0) << probe;
  EXPECT_FALSE(compact.Contains(-1));
}

}  // namespace
}  // namespace sk
