// A thin RAII layer over the SQLite C API: a connection and prepared
// statements with typed binds and column reads. Errors become Status.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/status.h"

namespace sk::store {

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  const Status& status() const { return status_; }
  Statement& Bind(int i, int64_t v);
  Statement& Bind(int i, int v) { return Bind(i, static_cast<int64_t>(v)); }
  Statement& Bind(int i, bool v) { return Bind(i, static_cast<int64_t>(v ? 1 : 0)); }
  Statement& Bind(int i, double v);
  Statement& Bind(int i, std::string_view v);
  Statement& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Statement& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Statement& BindNull(int i);
  template <typename T>
  Statement& Bind(int i, const std::optional<T>& v) {
    return v ? Bind(i, *v) : BindNull(i);
  }

  // Steps once: true when a row is available, false when done; errors set status().
  bool Step();
  // Runs to completion (for writes).
  Status Run();
  // Ends the current execution, clears the bindings and a step error (not a
  // prepare error), so the statement can run again.
  void Reset();

  bool IsNull(int col) const;
  int64_t Int(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;
  std::optional<int64_t> OptInt(int col) const;
  std::optional<std::string> OptText(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  Status status_;
};

class Database {
 public:
  // The read-write connection (creates the file; WAL journal).
  static Result<std::unique_ptr<Database>> Open(const std::string& path);
  // A read-only connection to an existing WAL database: it reads while the
  // read-write connection commits. Opened without SQLite's own mutex: one
  // thread at a time must use it (see the store's reader pool).
  static Result<std::unique_ptr<Database>> OpenReadOnly(const std::string& path);
  ~Database();
  sqlite3* handle() { return db_; }
  Status Exec(std::string_view sql);
  int64_t Changes() const;

  // The statement for `sql`, prepared on first use and kept for the life of
  // this connection; reset and unbound, ready to bind. Callers using the
  // connection one at a time share it; call ResetAll() when done so no
  // statement keeps a read transaction open.
  Statement& Prepared(const std::string& sql);
  // The same for a string literal, found by its address: the per-row
  // statements of a sync (activity upserts, probes) no longer copy, hash and
  // compare their few hundred characters of SQL on every call. Only arrays
  // bind here (never a c_str() whose address could later hold other SQL).
  template <size_t N>
  Statement& Prepared(const char (&sql)[N]) {
    if (auto it = by_literal_.find(sql); it != by_literal_.end()) {
      it->second->Reset();
      return *it->second;
    }
    Statement& s = Prepared(std::string(sql, N - 1));
    by_literal_.emplace(sql, &s);
    return s;
  }
  // Resets every statement of this connection still in progress.
  void ResetAll();

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Statement>> prepared_;
  std::unordered_map<const char*, Statement*> by_literal_;  // into prepared_
};

// Begins IMMEDIATE on construction; rolls back unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database* db);
  ~Transaction();
  const Status& status() const { return status_; }
  Status Commit();

 private:
  Database* db_;
  bool done_ = false;
  Status status_;
};

}  // namespace sk::store
