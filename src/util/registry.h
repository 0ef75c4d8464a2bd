// The machinery of a registry written once (src/actions/registry.cc,
// src/reports/registry.cc): each entry file defines a function returning
// its entries, and one X-macro line per file lists them. With `Entry`
// naming the entry type in the enclosing namespace,
//   #define SK_FILES(X) X(UsersReports) X(SeatsReports)
//   SK_REGISTRY_ENTRIES(SK_FILES)
// declares `std::vector<Entry> UsersReports();` (and each other) and defines
// `const std::vector<Entry>& RegistryEntries()`: every file's entries, in the
// order listed, collected once.
#pragma once

#include <utility>
#include <vector>

#define SK_REGISTRY_DECLARE_(fn) std::vector<Entry> fn();
#define SK_REGISTRY_POINTER_(fn) &fn,
#define SK_REGISTRY_ENTRIES(FILES)                                 \
  FILES(SK_REGISTRY_DECLARE_)                                      \
  static const std::vector<Entry>& RegistryEntries() {             \
    static const std::vector<Entry> all = [] {                     \
      std::vector<Entry> entries;                                  \
      for (auto* declare : {FILES(SK_REGISTRY_POINTER_)})          \
        for (auto& e : declare()) entries.push_back(std::move(e)); \
      return entries;                                              \
    }();                                                           \
    return all;                                                    \
  }
