#include "reports/report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "reports/audit_report.h"
#include "reports/registry.h"
#include "reports/seats_report.h"
#include "reports/usage_report.h"
#include "reports/users_report.h"
#include "store/store_testing.h"

namespace sk::reports {
namespace {

// A command line and a query string go through one parser: the same values
// are accepted and refused, the error names the field as each surface does.
TEST(ReportReaderTest, OneParserForFlagsAndQueryParametersNamedPerSurface) {
  Inputs bad = {{"inactive_days", "0"}};
  auto cli = ReadSeats(Reader(bad, Surface::kCli));
  auto api = ReadSeats(Reader(bad, Surface::kApi));
  ASSERT_FALSE(cli.ok());
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(cli.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(cli.status().message(), "--inactive-days must be an integer from 1 to 3650");
  EXPECT_EQ(api.status().message(), "inactive_days must be an integer from 1 to 3650");
  for (const char* price : {"nan", "inf", "-1", "free", "1e10", "5x"}) {
    Inputs in = {{"seat_price", price}};
    EXPECT_FALSE(ReadSeats(Reader(in, Surface::kCli)).ok()) << price;
    EXPECT_FALSE(ReadSeats(Reader(in, Surface::kApi)).ok()) << price;
  }
  Inputs fine = {{"seat_price", "55.5"}, {"inactive_days", "7"}};
  auto q = ReadSeats(Reader(fine, Surface::kCli));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->inactive_days, 7);
  EXPECT_EQ(q->seat_price, 55.5);
  // An empty value is no value.
  Inputs empty = {{"inactive_days", ""}};
  EXPECT_EQ(ReadSeats(Reader(empty, Surface::kApi))->inactive_days, 30);
  Inputs role = {{"role", "owner"}};
  EXPECT_EQ(ReadUsers(Reader(role, Surface::kCli)).status().message(),
            "--role must be end-user, agent or admin");
}

TEST(ReportReaderTest, RangesDefaultToTheWindowAndAreBounded) {
  Window w;
  w.first = *ParseDay("2026-10-01");
  w.today = *ParseDay("2026-10-30");
  auto resolve = [&](Inputs in, Surface s) -> Result<DayRange> {
    SK_ASSIGN_OR_RETURN(auto r, ReadRange(Reader(in, s)));
    return Resolve(r, w);
  };
  auto all = resolve({}, Surface::kApi);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->from, w.first);
  EXPECT_EQ(all->to, w.today);
  EXPECT_EQ(resolve({{"from", "2026-13-01"}}, Surface::kCli).status().message(),
            "--from must be a date YYYY-MM-DD");
  EXPECT_EQ(resolve({{"from", "2026-10-20"}, {"to", "2026-10-10"}}, Surface::kApi).status().message(),
            "from is after to");
  auto wide = resolve({{"from", "0001-01-01"}, {"to", "9999-12-31"}}, Surface::kApi);
  EXPECT_EQ(wide.status().code(), Code::kInvalidArgument);
  EXPECT_NE(wide.status().message().find("3660"), std::string::npos);
  EXPECT_TRUE(resolve({{"from", "2016-10-01"}, {"to", "2026-09-29"}}, Surface::kApi).ok());
}

TEST(ReportFieldsTest, EveryFieldIsDeclaredWithTypeHelpAndExample) {
  for (const Report& r : Reports()) {
    SCOPED_TRACE(r.name);
    EXPECT_FALSE(r.summary.empty());
    EXPECT_EQ(r.path.rfind("/api/", 0), 0u) << r.path;
    EXPECT_EQ(
        std::count_if(Reports().begin(), Reports().end(), [&r](const Report& x) { return x.name == r.name; }),
        1)
        << "two reports named " << r.name;
    for (const auto& f : r.fields) {
      EXPECT_FALSE(f.name.empty());
      EXPECT_FALSE(f.type.empty()) << f.name;
      EXPECT_FALSE(f.help.empty()) << f.name;
      EXPECT_FALSE(f.example.empty()) << f.name;
      EXPECT_TRUE(f.cli || f.api) << f.name;
      if (f.type == "enum") {
        EXPECT_FALSE(f.choices.empty()) << f.name;
      }
    }
  }
}

// Issue 21: `audit --json` built its own JSON, which printed a damaged
// before/after value (not JSON) as `<discarded>`; the report shows it as
// the string it is, as GET /api/audit always did.
TEST(AuditReportTest, ADamagedRowIsShownAsTheStringItIs) {
  store::testing::ScratchHome home("sk-audit-report");
  {
    auto st = home.OpenStore();
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    ASSERT_TRUE((*st)
                    ->AppendAudit(store::testing::TestAudit("default", "set-role", R"({"role":"agent"})",
                                                            "{truncated", "ok"))
                    .ok());
    auto entries = RunAudit(**st, "default");
    ASSERT_TRUE(entries.ok());
    const nlohmann::json j = AuditJson(*entries);
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["before"]["role"], "agent");
    EXPECT_EQ(j[0]["after"], "{truncated");
    // The whole answer is valid JSON.
    EXPECT_FALSE(nlohmann::json::parse(j.dump(2), nullptr, false).is_discarded());
  }
}

}  // namespace
}  // namespace sk::reports
