// One run per action request (issue #8: "actions run once even when two
// workers or two web servers see the request"). A request carries an
// idempotency key (the web UI's Idempotency-Key header, one per confirmed
// dialog; the CLI's --idempotency-key). The first process to claim the key
// in the shared store runs the action and stores its answer; any other
// request with the key sends nothing to Zendesk and gets that answer, or
// "in progress" while the first still runs.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "actions/action.h"
#include "actions/render.h"
#include "store/store.h"
#include "util/status.h"

namespace sk::actions {

// kInvalidArgument unless `key` is 1..200 printable ASCII characters.
Status ValidateIdempotencyKey(const std::string& key);

// The answer to an action request.
struct ActionAnswer {
  // "ran" (this call ran the action), "replayed" (an earlier request with
  // the key finished: its answer), "in-progress" (another request holds it).
  std::string kind = "ran";
  nlohmann::json body;                   // outcome JSON (ActionOutcome::ToJson) or {"result","code","error"}
  Status status;                         // the answer's status: exit code / HTTP status follow it
  std::optional<ActionOutcome> outcome;  // set when this call ran it and it returned an outcome
};

// Runs `run` unless `key` was claimed before for this account. An empty key
// runs it directly. `owner` names this process in the claim (ProcessName in
// util/process.h). A claim still running whose holder died on this machine
// is taken over and run here. The same key with another `request` is
// kInvalidArgument (nothing runs). Claim store failures are returned
// (nothing runs).
Result<ActionAnswer> RunOnce(store::Store& store, const std::string& account, const std::string& key,
                             const nlohmann::json& request, const std::string& owner,
                             const std::function<Result<ActionOutcome>()>& run);

}  // namespace sk::actions
