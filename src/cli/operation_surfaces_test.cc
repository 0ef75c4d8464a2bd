// Every registered operation appears on every surface, derived from its one
// declaration: the CLI's subcommand with an option for each field, the REST
// route, its OpenAPI entry (with each field in the body schema) and GET
// /api/operations. A future operation cannot be half-wired.
#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>

#include "actions/registry.h"
#include "cli/context.h"
#include "server/web_server.h"

namespace sk::cli {
namespace {

using nlohmann::json;

TEST(OperationSurfaces, EveryOperationIsOnTheCliTheRoutesAndOpenApi) {
  CLI::App app;
  Context ctx;
  RegisterActionCommands(app, ctx);

  const std::string home =
      (std::filesystem::temp_directory_path() / ("sk-surfaces-" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(home);
  std::filesystem::create_directories(home);
  auto st = store::OpenSqlite(home + "/seatkeeper.db", home);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  server::ServerOptions o;
  o.port = 0;
  o.sync_at.reset();
  server::WebServer web(st->get(), o);
  const json openapi = web.OpenApi();

  for (const actions::Operation& op : actions::Operations()) {
    SCOPED_TRACE(op.name);
    // The CLI: `seatkeeper <op.cli...>` with every field's option.
    CLI::App* c = &app;
    for (const auto& word : op.cli) {
      CLI::App* sub = nullptr;
      EXPECT_NO_THROW(sub = c->get_subcommand(word)) << word;
      ASSERT_NE(sub, nullptr);
      c = sub;
    }
    for (const auto& f : op.fields) {
      if (f.cli.empty()) continue;
      EXPECT_NO_THROW(c->get_option(f.cli)) << f.cli;
    }
    for (const char* common : {"--dry-run", "--json", "--idempotency-key"})
      EXPECT_NO_THROW(c->get_option(common));
    // The REST route.
    const std::string path = actions::RestPath(op);
    bool routed = false;
    for (const server::Route& r : web.routes()) routed |= r.method == "POST" && r.path == path;
    EXPECT_TRUE(routed) << path;
    // The OpenAPI entry and its body schema.
    ASSERT_TRUE(openapi["paths"].contains(path)) << path;
    const json& post = openapi["paths"][path]["post"];
    EXPECT_EQ(post["summary"], op.summary);
    const json& props = post["requestBody"]["content"]["application/json"]["schema"]["properties"];
    for (const auto& f : op.fields) EXPECT_TRUE(props.contains(f.name)) << f.name;
  }
  bool listed = false;
  for (const server::Route& r : web.routes()) listed |= r.method == "GET" && r.path == "/api/operations";
  EXPECT_TRUE(listed);
  std::filesystem::remove_all(home);
}

}  // namespace
}  // namespace sk::cli
