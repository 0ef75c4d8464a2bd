// A hook run after every successful sync (RunSync), whoever started it (the
// CLI's `sync`, a worker, the web server's scheduler): the reclaim policies
// (src/policy) turn their matches into proposals and run approved ones.
// Set once at start-up; the sync does not depend on what it does.
#pragma once

#include <functional>
#include <string>

#include "store/store.h"
#include "zendesk/client.h"

namespace sk::sync {

using AfterSyncHook = std::function<void(zendesk::Client&, store::Store&, const std::string& account)>;

// Replaces the hook (an empty one: none).
void SetAfterSyncHook(AfterSyncHook hook);
// Runs the hook, if any; called by RunSync once the sync is recorded as finished.
void RunAfterSyncHook(zendesk::Client& client, store::Store& store, const std::string& account);

}  // namespace sk::sync
