#include "actions/idempotency.h"

#include "util/process.h"

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
  bool mine = !existing->has_value();
  if (!mine && (**existing).state != "done" && (**existing).request == claim.request &&
      LocalProcessIsGone((**existing).owner)) {
    // Its holder died on this machine before finishing (killed CLI, crashed
    // server): run it here. Actions resume safely (journal, verification).
    auto taken = store.TakeOverActionClaim(account, key, (**existing).owner, owner, NowUnix());
    if (!taken.ok()) return taken.status().With("taking over idempotency key " + key);
    mine = *taken;
    if (!mine) {  // someone else took it over first: report what it is now
      existing = store.ClaimAction(account, claim);
      if (!existing.ok()) return existing.status().With("claiming idempotency key " + key);
      mine = !existing->has_value();
    }
  }
  if (mine) {
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
