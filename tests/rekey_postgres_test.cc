// `seatkeeper rekey` with SEATKEEPER_DB=postgresql://... (issue #8): the
// secrets in PostgreSQL are re-sealed with a new key in one transaction;
// everything keeps working with the new key and the old one opens nothing.
// Needs SEATKEEPER_TEST_PG (scripts/pg-test-cluster.sh start); skipped without.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>

#include "store/pg_test_schema.h"
#include "store/secret_box.h"
#include "support/account.h"
#include "util/text.h"

namespace sk::testing {
namespace {

using nlohmann::json;

using store::testing::TestPg;

std::string KeyBytes(const std::string& hex) {
  std::string bin;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bin.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bin;
}

class RekeyPostgres : public ::testing::Test {
 protected:
  void SetUp() override {
    if (TestPg().empty()) GTEST_SKIP() << "SEATKEEPER_TEST_PG is not set (scripts/pg-test-cluster.sh start)";
    schema_ = "rekey_" + std::to_string(getpid()) + "_" + std::to_string(counter_++);
    db_ = store::testing::CreateTestSchema(schema_);
  }
  void TearDown() override {
    if (!schema_.empty()) store::testing::DropTestSchema(schema_);
  }
  // The sealed columns of the account's row, as PostgreSQL holds them.
  std::vector<std::string> Sealed(const std::string& account = "default") {
    pqxx::connection c(db_);
    pqxx::work w(c);
    auto r = w.exec_params("SELECT secret, refresh_token, client_secret FROM connections WHERE account=$1",
                           account);
    EXPECT_EQ(r.size(), 1u);
    std::vector<std::string> out;
    if (r.size() == 1)
      for (int i = 0; i < 3; ++i) out.push_back(r[0][i].is_null() ? "" : r[0][i].c_str());
    return out;
  }
  // How many of `sealed` open with `key_hex` (the column's associated data).
  static int Opens(const std::vector<std::string>& sealed, const std::string& key_hex) {
    auto box = store::SecretBox::FromKey(KeyBytes(key_hex));
    const char* cols[] = {"default/secret", "default/refresh_token", "default/client_secret"};
    int n = 0;
    for (int i = 0; i < 3; ++i) {
      auto plain = box.Open(sealed[static_cast<size_t>(i)], cols[i]);
      n += plain.ok() && !plain->empty();
    }
    return n;
  }

  static inline int counter_ = 0;
  std::string schema_, db_;
};

TEST_F(RekeyPostgres, KeyFileModeReSealsTheRowsInPostgres) {
  Account acct(SmallAccount(41), "rekey-pg-file");
  acct.cli().SetEnv("SEATKEEPER_DB", db_);
  ASSERT_EQ(acct.Connect().exit_code, 0);
  acct.Json({"sync"});
  const std::string home = acct.cli().home();
  const std::string old_key = sk::Trim(ReadWholeFile(home + "/key"));
  ASSERT_EQ(old_key.size(), 64u);
  auto before = Sealed();
  ASSERT_EQ(Opens(before, old_key), 1) << "the API token is sealed with the key file's key";

  CliResult r = acct.cli().Run({"rekey", "--json", "--log-level", "debug"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["rekeyed"], true);
  EXPECT_EQ(j["accounts"], 1);
  EXPECT_EQ(j["secrets"], 1);
  const std::string new_key = sk::Trim(ReadWholeFile(home + "/key"));
  ASSERT_EQ(new_key.size(), 64u);
  EXPECT_NE(new_key, old_key);
  EXPECT_EQ((r.out + r.err).find(new_key), std::string::npos) << "the new key reached the output";
  auto after = Sealed();
  EXPECT_NE(after, before);
  EXPECT_EQ(Opens(after, new_key), 1);
  EXPECT_EQ(Opens(after, old_key), 0) << "the old key still opens a stored secret";

  // Everything still works with the new key; the old one is refused.
  acct.Json({"sync"});
  acct.cli().SetEnv("SEATKEEPER_KEY", old_key);
  CliResult stale = acct.cli().Run({"sync"});
  EXPECT_NE(stale.exit_code, 0);
  EXPECT_NE(stale.err.find("decrypt"), std::string::npos) << stale.err;
}

TEST_F(RekeyPostgres, EnvironmentKeyModePrintsTheKeyForEveryMachine) {
  Account acct(SmallAccount(42), "rekey-pg-env");
  acct.cli().SetEnv("SEATKEEPER_DB", db_);
  const std::string k1(64, 'c');
  acct.cli().SetEnv("SEATKEEPER_KEY", k1);
  ASSERT_EQ(acct.Connect().exit_code, 0);
  acct.Json({"sync"});
  CliResult r = acct.cli().Run({"rekey"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("every machine"), std::string::npos) << r.out;
  std::string k2 = sk::Trim(r.out.substr(r.out.rfind(":\n") + 2));
  ASSERT_EQ(k2.size(), 64u) << r.out;
  EXPECT_EQ(Opens(Sealed(), k2), 1);
  EXPECT_EQ(Opens(Sealed(), k1), 0);
  EXPECT_NE(acct.cli().Run({"sync"}).exit_code, 0) << "the old SEATKEEPER_KEY still opens the secrets";
  acct.cli().SetEnv("SEATKEEPER_KEY", k2);
  acct.Json({"sync"});
  acct.Json({"users"});
}

}  // namespace
}  // namespace sk::testing
