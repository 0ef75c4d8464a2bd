#include "actions/idempotency.h"

#include <unistd.h>

namespace sk::actions {

using nlohmann::json;

Status ValidateIdempotencyKey(const std::string& key) {
  if (key.empty() || key.size() > 200)
    return InvalidArgument("the idempotency key must be 1 to 200 characters long");
  for (unsigned char c : key) {
    if (c < 0x21 || c > 0x7e)
      return InvalidArgument("the idempotency key must be printable ASCII without spaces");
  }
  return Status::Ok();
}

json ErrorJson(const Status& s) {
  const bool refused = s.code() == Code::kRefused || s.code() == Code::kInvalidArgument;
  return {{"result", refused ? "refused" : "failed"}, {"code", CodeName(s.code())}, {"error", s.message()}};
}

std::string ClaimOwner(const std::string& prefix) {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = 0;
  return prefix + ":" + host + ":" + std::to_string(::getpid());
}

namespace {

ActionAnswer Answer(const Result<ActionOutcome>& r) {
  ActionAnswer a;
  if (r.ok()) {
    a.outcome = *r;
    a.body = r->ToJson();
    a.status = r->status;
  } else {
    a.body = ErrorJson(r.status());
    a.status = r.status();
  }
  return a;
}

}  // namespace

Result<ActionAnswer> RunOnce(store::Store& store, const std::string& account, const std::string& key,
                             const json& request, const std::string& owner,
                             const std::function<Result<ActionOutcome>()>& run) {
  if (key.empty()) return Answer(run());
  SK_RETURN_IF_ERROR(ValidateIdempotencyKey(key));
  store::ActionClaim claim;
  claim.key = key;
  claim.request = request.dump();
  claim.owner = owner;
  claim.claimed_at = NowUnix();
  auto existing = store.ClaimAction(account, claim);
  if (!existing.ok()) return existing.status().With("claiming idempotency key " + key);
  if (!existing->has_value()) {
    ActionAnswer a = Answer(run());
    const Status& s = a.status;
    if (Status f =
            store.FinishActionClaim(account, key, a.body.dump(), static_cast<int>(s.code()), NowUnix());
        !f.ok()) {
      // The action ran; only its answer could not be kept for repeats.
      a.body["warnings"].push_back("could not record the answer for idempotency key " + key + ": " +
                                   f.ToString());
    }
    return a;
  }
  const store::ActionClaim& c = **existing;
  if (c.request != claim.request) {
    return InvalidArgument("idempotency key " + key + " was already used for another request (" + c.request +
                           "): use a new key for a new request");
  }
  ActionAnswer a;
  if (c.state != "done") {
    a.kind = "in-progress";
    a.status =
        Status(Code::kConflict, "the same request (idempotency key " + key + ") is in progress since " +
                                    FormatIso(c.claimed_at) + " (" + c.owner +
                                    "): nothing was sent again; see `seatkeeper audit` for its result");
    a.body = {{"result", "in-progress"}, {"code", CodeName(Code::kConflict)}, {"error", a.status.message()}};
    return a;
  }
  a.kind = "replayed";
  a.body = json::parse(c.outcome, nullptr, false);
  if (a.body.is_discarded() || !a.body.is_object()) a.body = json::object();
  const Code code = static_cast<Code>(c.code);
  a.status = code == Code::kOk ? Status::Ok() : Status(code, a.body.value("error", std::string("failed")));
  a.body["replayed"] = true;
  return a;
}

}  // namespace sk::actions
