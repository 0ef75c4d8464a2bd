#include "sync/after_sync.h"

#include <mutex>

namespace sk::sync {
namespace {

std::mutex& HookMutex() {
  static std::mutex m;
  return m;
}
AfterSyncHook& Hook() {
  static AfterSyncHook hook;
  return hook;
}

}  // namespace

void SetAfterSyncHook(AfterSyncHook hook) {
  std::lock_guard<std::mutex> lock(HookMutex());
  Hook() = std::move(hook);
}

void RunAfterSyncHook(zendesk::Client& client, store::Store& store, const std::string& account) {
  AfterSyncHook hook;
  {
    std::lock_guard<std::mutex> lock(HookMutex());
    hook = Hook();
  }
  if (hook) hook(client, store, account);
}

}  // namespace sk::sync
