#include "cli/context.h"

#include <sys/stat.h>

#include <cstdlib>

#include "store/postgres_store.h"
#include "sync/connection_client.h"
#include "util/log.h"

namespace sk::cli {

Result<store::Store*> Context::Store() {
  if (!store_) {
    ::mkdir(home.c_str(), 0700);
    // SEATKEEPER_DB=postgresql://... selects PostgreSQL; else SEATKEEPER_HOME/seatkeeper.db.
    SK_ASSIGN_OR_RETURN(store_, store::OpenStore(home));
  }
  return store_.get();
}

Result<store::Connection> Context::RequireConnection() {
  SK_ASSIGN_OR_RETURN(auto* st, Store());
  SK_ASSIGN_OR_RETURN(auto conn, st->GetConnection(account));
  if (!conn || conn->state == "not-connected")
    return Refused("no Zendesk account is connected (account '" + account +
                   "'): run `seatkeeper connect --url https://<subdomain>.zendesk.com ...` first");
  return *conn;
}

Result<std::unique_ptr<zendesk::Client>> Context::MakeClient(const store::Connection& c) {
  SK_ASSIGN_OR_RETURN(auto* st, Store());
  sync::ConnectionClientOptions o;
  std::ostream* e = err;
  o.on_warning = [e](const std::string& w) { *e << "warning: " << w << "\n"; };
  return sync::MakeConnectionClient(c, st, std::move(o));
}

void Context::Finish(const Status& s) {
  if (!s.ok()) {
    *err << "error: " << s.message() << "\n";
    exit_code = ExitCodeFor(s);
  }
}

}  // namespace sk::cli
