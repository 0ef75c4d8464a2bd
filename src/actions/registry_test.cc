#include "actions/registry.h"

#include <gtest/gtest.h>

#include <set>

namespace sk::actions {
namespace {

using nlohmann::json;

TEST(Registry, EveryOperationIsCompleteAndUnique) {
  std::set<std::string> names, routes, commands;
  ASSERT_FALSE(Operations().empty());
  for (const Operation& op : Operations()) {
    EXPECT_TRUE(names.insert(op.name).second) << op.name;
    EXPECT_TRUE(routes.insert(op.route).second) << op.route;
    std::string cli;
    for (const auto& w : op.cli) cli += w + " ";
    EXPECT_TRUE(commands.insert(cli).second) << cli;
    EXPECT_FALSE(op.cli.empty()) << op.name;
    EXPECT_FALSE(op.summary.empty()) << op.name;
    EXPECT_TRUE(op.parse) << op.name;
    EXPECT_EQ(FindOperation(op.name), &op);
    EXPECT_EQ(FindOperation(op.route), &op);
    std::set<std::string> fields;
    for (const Field& f : op.fields) EXPECT_TRUE(fields.insert(f.name).second) << op.name << " " << f.name;
    for (const Field& f : op.fields) {
      if (!f.cli_excludes.empty()) {
        EXPECT_TRUE(fields.count(f.cli_excludes)) << op.name << " " << f.name;
      }
      if (f.type == FieldType::kConfirm) {
        EXPECT_TRUE(fields.count(op.target)) << op.name;
      }
    }
    if (!op.target.empty()) {
      EXPECT_TRUE(fields.count(op.target)) << op.name;
    }
    if (!op.irreversible_if.empty() && op.irreversible_if != "*") {
      EXPECT_TRUE(fields.count(op.irreversible_if)) << op.name;
    }
    if (!op.irreversible_if.empty()) {
      bool confirms = false;
      for (const Field& f : op.fields) confirms |= f.type == FieldType::kConfirm;
      EXPECT_TRUE(confirms) << op.name << " is irreversible without a confirmation field";
    }
    for (const UiButton& b : op.buttons) {
      EXPECT_FALSE(op.target.empty()) << op.name << ": a user-page button needs a target field";
      if (!b.ask.empty()) {
        EXPECT_TRUE(fields.count(b.ask)) << op.name << " " << b.id;
      }
    }
  }
}

TEST(Registry, OneParserForEverySurface) {
  const Operation* op = FindOperation("user.set-role");
  ASSERT_NE(op, nullptr);
  auto missing = ParseFields(*op, json{{"role", "agent"}});
  EXPECT_EQ(missing.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(missing.status().message(), "user_id is required");
  for (const json& bad : {json(0), json(-3), json("12a"), json(""), json(1.5), json(true)}) {
    auto r = ParseFields(*op, json{{"user_id", bad}, {"role", "agent"}});
    EXPECT_EQ(r.status().message(), "user_id must be a positive integer id") << bad.dump();
  }
  auto ok = ParseFields(
      *op, json{{"user_id", "42"}, {"role", "agent"}, {"let_zendesk_reassign", "yes"}, {"unknown", 1}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->Id("user_id"), 42);
  EXPECT_EQ(ok->Str("role"), "agent");
  EXPECT_FALSE(ok->Bool("let_zendesk_reassign"));  // only true is true
  EXPECT_FALSE(ok->OptionalId("reassign_to"));
  EXPECT_FALSE(ok->json().contains("unknown"));
  // The fingerprint is the operation and its values: a number or a string id alike.
  auto same = ParseFields(*op, json{{"user_id", 42}, {"role", "agent"}});
  EXPECT_EQ(Fingerprint(*op, *ok), Fingerprint(*op, *same));
}

TEST(Registry, DefaultsAndConfirmations) {
  const Operation* create = FindOperation("create-user");
  ASSERT_NE(create, nullptr);
  auto v = ParseFields(*create, json{{"name", "A"}, {"email", "a@b.c"}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->Str("role"), "end-user");  // the REST API's default
  const Operation* del = FindOperation("user.delete");
  ASSERT_NE(del, nullptr);
  auto by_number = ParseFields(*del, json{{"user_id", 7}, {"permanent", true}, {"confirm", 7}});
  ASSERT_TRUE(by_number.ok());
  EXPECT_EQ(by_number->Str("confirm"), "7");
}

TEST(Registry, DescribesEachOperationForOpenApiAndTheUi) {
  for (const Operation& op : Operations()) {
    const json schema = RequestSchema(op);
    EXPECT_TRUE(schema["properties"].contains("dry_run"));
    for (const Field& f : op.fields) EXPECT_TRUE(schema["properties"].contains(f.name)) << op.name;
    const json example = RequestExample(op);
    EXPECT_TRUE(example["dry_run"].get<bool>());
    const json j = OperationJson(op);
    EXPECT_EQ(j["path"], "/api/actions/" + op.route);
    EXPECT_EQ(j["fields"].size(), op.fields.size());
    EXPECT_EQ(j["buttons"].size(), op.buttons.size());
  }
}

}  // namespace
}  // namespace sk::actions
