// The one renderer of action answers, for the CLI and the REST API alike:
// the JSON of a failed request and the human text of an outcome.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "actions/action.h"
#include "util/status.h"

namespace sk::actions {

// The JSON of a failed action request: {"result": "refused"|"failed", "code", "error"}
// ("refused" for kRefused and kInvalidArgument).
nlohmann::json ErrorJson(const Status& s);

// "refused" or "failed": how an action that did not run is recorded and counted.
const char* FailureResult(const Status& s);

// The human text of an outcome (standard output; warnings are the caller's):
// "dry run: nothing was changed", the summary, the change lines when they
// say more than the summary, and "audit entry N".
std::string OutcomeText(const ActionOutcome& o);

}  // namespace sk::actions
