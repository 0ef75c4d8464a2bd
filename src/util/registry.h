// The machinery of a registry written once (src/actions/registry.cc,
// src/reports/registry.cc): each entry file defines a function returning
// its entries, and one X-macro line per file lists them.
//   #define SK_FILES(X) X(UsersReports) X(SeatsReports)
//   SK_REGISTRY_ENTRIES(SK_FILES, Report, Reports)
// declares `std::vector<Report> UsersReports();` (and each other) and defines
// `const std::vector<Report>& Reports()`: every file's entries, in the order
// listed, collected once.
#pragma once

#include <utility>
#include <vector>

#define SK_REGISTRY_DECLARE_(fn) std::vector<SkRegistryEntry_> fn();
#define SK_REGISTRY_POINTER_(fn) &fn,
#define SK_REGISTRY_ENTRIES(FILES, Entry, accessor)                \
  using SkRegistryEntry_ = Entry;                                  \
  FILES(SK_REGISTRY_DECLARE_)                                      \
  const std::vector<Entry>& accessor() {                           \
    static const std::vector<Entry> all = [] {                     \
      std::vector<Entry> entries;                                  \
      for (auto* declare : {FILES(SK_REGISTRY_POINTER_)})          \
        for (auto& e : declare()) entries.push_back(std::move(e)); \
      return entries;                                              \
    }();                                                           \
    return all;                                                    \
  }
