// The tamper-evident audit trail end to end (issue #17 item 4): the real
// binary acts on zdsim over HTTP, `audit verify` finds the chain intact (exit
// 0) and, once a row is edited directly in the SQLite file, broken (exit 4)
// naming that row, as GET /api/audit/verify does; `audit export` writes every
// row with its chain fields as JSON Lines.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <sstream>

#include "support/account.h"
#include "support/serve_process.h"

namespace sk::testing {
namespace {

using nlohmann::json;

void Tamper(const std::string& home, const std::string& sql) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open((home + "/seatkeeper.db").c_str(), &h), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(h);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

TEST(AuditChain, VerifyAndExportWithTheRealBinary) {
  Account acct(SmallAccount(23), "audit-chain");
  ASSERT_EQ(acct.Connect({"--permission", "read-write"}).exit_code, 0);
  acct.Json({"sync"});
  const std::vector<int64_t> spare = acct.SpareAgents();
  ASSERT_FALSE(spare.empty());
  const int64_t agent = spare.back();
  const std::string id = std::to_string(agent);
  ASSERT_EQ(acct.Json({"user", "suspend", id})["result"], "ok");
  ASSERT_EQ(acct.Json({"user", "unsuspend", id})["result"], "ok");
  ASSERT_EQ(acct.Json({"user", "suspend", id, "--dry-run"})["result"], "dry-run");
  const json audit = acct.Json({"audit"});
  ASSERT_EQ(audit.size(), 3u) << audit.dump();

  // Intact: exit 0, every row chained.
  CliResult ok = acct.cli().Run({"audit", "verify", "--json"});
  ASSERT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  json v = json::parse(ok.out);
  EXPECT_TRUE(v["intact"].get<bool>()) << v.dump();
  EXPECT_EQ(v["entries"], 3);
  EXPECT_EQ(v["links"], 6) << "each entry's first row and its outcome's revision";
  EXPECT_TRUE(v["first_bad"].is_null());
  CliResult text = acct.cli().Run({"audit", "verify"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("audit trail intact"), std::string::npos) << text.out;

  // Export: JSON Lines, every row with its chain fields, each linked to the one before, then the head.
  const std::string file = acct.cli().home() + "/audit.jsonl";
  CliResult exp = acct.cli().Run({"audit", "export", "--output", file});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  std::ifstream in(file);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 7u);
  std::string prev(64, '0');
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(lines[i]["kind"], "row");
    EXPECT_EQ(lines[i]["seq"], static_cast<int>(i + 1));
    EXPECT_EQ(lines[i]["prev_hash"], prev);
    EXPECT_EQ(lines[i]["hash"].get<std::string>().size(), 64u);
    for (const char* k : {"id", "entry_id", "at", "actor", "action", "target", "before_json", "after_json",
                          "result", "detail"})
      EXPECT_TRUE(lines[i].contains(k)) << k;
    prev = lines[i]["hash"];
  }
  EXPECT_EQ(lines[6]["kind"], "head");
  EXPECT_EQ(lines[6]["hash"], prev);
  // Without --output it goes to standard output, the same lines.
  CliResult out = acct.cli().Run({"audit", "export"});
  ASSERT_EQ(out.exit_code, 0);
  std::ifstream again(file);
  std::stringstream whole;
  whole << again.rdbuf();
  EXPECT_EQ(out.out, whole.str());

  // The suspend's outcome row edited in the database file: exit 4, naming it.
  const int64_t edited = lines[1]["id"];
  ASSERT_EQ(lines[1]["result"], "ok");
  Tamper(acct.cli().home(), "UPDATE audit SET result='failed' WHERE id=" + std::to_string(edited));
  CliResult bad = acct.cli().Run({"audit", "verify", "--json"});
  EXPECT_EQ(bad.exit_code, 4) << bad.out << bad.err;
  json b = json::parse(bad.out);
  EXPECT_FALSE(b["intact"].get<bool>());
  EXPECT_EQ(b["first_bad"]["problem"], "edited") << b.dump();
  EXPECT_EQ(b["first_bad"]["seq"], 2);
  EXPECT_EQ(b["first_bad"]["id"], edited);
  EXPECT_EQ(b["first_bad"]["entry_id"], audit[0]["id"]);
  CliResult words = acct.cli().Run({"audit", "verify"});
  EXPECT_EQ(words.exit_code, 4);
  EXPECT_NE(words.out.find("edited"), std::string::npos) << words.out;
  EXPECT_NE(words.out.find("row " + std::to_string(edited)), std::string::npos) << words.out;

  // The REST API answers the same JSON.
  const std::string password = "correct horse battery staple 23";
  ASSERT_EQ(acct.cli().Run({"admin", "set-password", "--password-file", "-"}, password + "\n").exit_code, 0);
  ServeProcess web(acct.cli().home(), FreePort());
  ASSERT_TRUE(web.Login(password));
  ServeProcess::Answer rest = web.Get("/api/audit/verify");
  EXPECT_EQ(rest.status, 200);
  EXPECT_EQ(rest.body, b);

  // A removed row: the one after it is named, at the missing position.
  Tamper(acct.cli().home(), "UPDATE audit SET result='ok' WHERE id=" + std::to_string(edited));
  EXPECT_EQ(acct.cli().Run({"audit", "verify"}).exit_code, 0) << "the edit undone, the chain is whole again";
  Tamper(acct.cli().home(), "DELETE FROM audit WHERE seq=3");
  json removed = json::parse(acct.cli().Run({"audit", "verify", "--json"}).out);
  EXPECT_EQ(removed["first_bad"]["problem"], "removed") << removed.dump();
  EXPECT_EQ(removed["first_bad"]["seq"], 3);
  EXPECT_EQ(removed["first_bad"]["id"], lines[3]["id"]);
}

}  // namespace
}  // namespace sk::testing
