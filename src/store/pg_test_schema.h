// Throwaway PostgreSQL schemas for tests. SEATKEEPER_TEST_PG comes from
// scripts/pg-test-cluster.sh; each test works in a schema of its own so tests
// can share one cluster, and drops it at the end.
#pragma once

#include <cstdlib>
#include <pqxx/pqxx>
#include <string>

namespace sk::store::testing {

// The test cluster's URL, or "" when none is configured (tests then skip).
inline std::string TestPg() {
  const char* v = std::getenv("SEATKEEPER_TEST_PG");
  return v && *v ? v : "";
}

inline void DropTestSchema(const std::string& schema) {
  pqxx::connection c(TestPg());
  pqxx::work w(c);
  w.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  w.commit();
}

// Creates `schema` afresh; returns a database URL whose search_path is it.
inline std::string CreateTestSchema(const std::string& schema) {
  pqxx::connection c(TestPg());
  pqxx::work w(c);
  w.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  w.exec("CREATE SCHEMA " + schema);
  w.commit();
  const std::string pg = TestPg();
  return pg + (pg.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
}

}  // namespace sk::store::testing
