// Every registered operation (action or report) appears on every surface,
// derived from its one declaration: the CLI's subcommand with an option for
// each field, the REST route, its OpenAPI entry (with each field in the body
// schema or as a query parameter) and GET /api/operations. A future
// operation cannot be half-wired.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "actions/registry.h"
#include "cli/context.h"
#include "reports/registry.h"
#include "server/http_util.h"
#include "server/web_server.h"
#include "store/store_testing.h"

namespace sk::cli {
namespace {

using nlohmann::json;

// A store in a fresh home folder and a server on it (not started; Get
// answers through its routes in-process).
struct Surfaces {
  std::optional<store::testing::ScratchHome> home;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<server::WebServer> web;
  bool Open() {
    auto st = home.emplace("sk-surfaces").OpenStore();
    EXPECT_TRUE(st.ok()) << st.status().ToString();
    if (!st.ok()) return false;
    store = std::move(*st);
    server::ServerOptions o;
    o.port = 0;
    o.sync_at.reset();
    web = std::make_unique<server::WebServer>(store.get(), o);
    return true;
  }
  // GET `path` over HTTP with an admin session; null on failure.
  json Get(const std::string& path) {
    auto port = web->Start();
    auto session = web->sessions().Create();
    EXPECT_TRUE(port.ok() && session.ok());
    if (!port.ok() || !session.ok()) return nullptr;
    httplib::Client c("127.0.0.1", *port);
    auto r = c.Get(path.c_str(), {{"Cookie", std::string(server::kSessionCookie) + "=" + session->id}});
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    return r && r->status == 200 ? json::parse(r->body, nullptr, false) : json(nullptr);
  }
  ~Surfaces() {
    web.reset();
    store.reset();
  }
};

TEST(OperationSurfaces, EveryOperationIsOnTheCliTheRoutesAndOpenApi) {
  CLI::App app;
  Context ctx;
  RegisterActionCommands(app, ctx);

  Surfaces surfaces;
  ASSERT_TRUE(surfaces.Open());
  server::WebServer& web = *surfaces.web;
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
}

// The command `words` names under `app`, or null.
CLI::App* Command(CLI::App& app, const std::vector<std::string>& words) {
  CLI::App* c = &app;
  for (const auto& word : words) {
    CLI::App* sub = nullptr;
    try {
      sub = c->get_subcommand(word);
    } catch (const std::exception&) {
      return nullptr;
    }
    c = sub;
  }
  return c;
}

TEST(OperationSurfaces, EveryReportIsOnTheCliTheRoutesOpenApiAndOperations) {
  CLI::App app;
  Context ctx;
  RegisterReportCommands(app, ctx);
  Surfaces surfaces;
  ASSERT_TRUE(surfaces.Open());
  const json openapi = surfaces.web->OpenApi();
  std::set<std::string> listed;
  for (const auto& j : reports::Reports()) listed.insert(j.name);
  ASSERT_FALSE(reports::Reports().empty());

  for (const reports::Report& r : reports::Reports()) {
    SCOPED_TRACE(r.name);
    EXPECT_TRUE(r.parse) << "no parse";
    // The CLI: `seatkeeper <r.cli...>` with --json/--csv and every CLI field's option.
    if (!r.cli.empty()) {
      CLI::App* c = Command(app, r.cli);
      ASSERT_NE(c, nullptr) << "no command";
      EXPECT_EQ(c->get_description(), r.summary);
      for (const auto& f : r.fields) {
        if (f.cli) {
          EXPECT_NO_THROW(c->get_option(reports::CliName(f))) << f.name;
        }
      }
      for (reports::Format f : r.cli_formats)
        EXPECT_NO_THROW(c->get_option(std::string("--") + reports::FormatName(f)));
    }
    // The REST route, GET, behind a session.
    bool routed = false;
    for (const server::Route& route : surfaces.web->routes())
      routed |=
          route.method == "GET" && route.path == r.path && route.access == server::Route::Access::kSession;
    EXPECT_TRUE(routed) << r.path;
    // The OpenAPI entry with each API field as a typed parameter.
    ASSERT_TRUE(openapi["paths"].contains(r.path)) << r.path;
    const json& get = openapi["paths"][r.path]["get"];
    EXPECT_EQ(get["summary"], r.summary);
    std::map<std::string, json> params;
    for (const auto& p : get["parameters"]) params[p["name"].get<std::string>()] = p;
    for (const auto& f : r.fields) {
      if (!f.api) continue;
      ASSERT_TRUE(params.count(f.name)) << f.name;
      EXPECT_EQ(params[f.name]["in"], f.in_path ? "path" : "query") << f.name;
      if (!f.in_path) {
        EXPECT_EQ(params[f.name]["schema"], reports::FieldSchema(f)) << f.name;
      }
    }
  }
  // GET /api/operations lists each report (kind "report") beside the actions.
  const json ops = surfaces.Get("/api/operations");
  std::set<std::string> reports_listed;
  for (const auto& op : ops)
    if (op["kind"] == "report") reports_listed.insert(op["name"].get<std::string>());
  EXPECT_EQ(reports_listed, listed) << ops.dump();
}

// A report under another report's command (`audit verify`, `users history`)
// is one more declaration: it becomes a subcommand of the first, and the
// first still runs alone.
TEST(OperationSurfaces, AReportUnderAnotherReportsCommandIsItsSubcommand) {
  std::vector<std::string> ran;
  auto declare = [&ran](std::vector<std::string> cli) {
    reports::Report r = reports::DeclareReport(cli.back(), cli, "/api/x", "x");
    r.needs_connection = false;
    r.fields = {{"days", "integer", false, "days", "1"}};
    r.parse = [&ran, cli](const reports::Reader& in, reports::Format) -> Result<reports::ReportRun> {
      ran.push_back(cli.back() + ":" + in.String("days").value_or(""));
      return reports::ReportRun([](const reports::Source&) { return reports::TextOutput("ok\n"); });
    };
    return r;
  };
  const std::vector<reports::Report> declared = {declare({"ledger"}), declare({"ledger", "verify"})};
  for (const auto& args : {std::vector<std::string>{"ledger", "--days", "3"},
                           std::vector<std::string>{"ledger", "verify", "--days", "4"}}) {
    CLI::App app;
    Context ctx;
    Surfaces home;
    ASSERT_TRUE(home.Open());
    ctx.home = home.home->path();
    std::ostringstream out;
    ctx.out = &out;
    AddReportCommands(app, ctx, declared);
    std::vector<std::string> argv(args.rbegin(), args.rend());
    ASSERT_NO_THROW(app.parse(argv));
    EXPECT_EQ(ctx.exit_code, 0);
    EXPECT_EQ(out.str(), "ok\n");
  }
  EXPECT_EQ(ran, (std::vector<std::string>{"ledger:3", "verify:4"}));
}

}  // namespace
}  // namespace sk::cli
