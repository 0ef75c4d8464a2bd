// What the server's tests (web_server_test.cc, hostile_http_test.cc) share:
// the admin password they set, and a scratch PostgreSQL database.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <pqxx/pqxx>
#include <string>

namespace sk::server::testing {

inline constexpr const char* kPassword = "correct horse battery";

// The cluster the PostgreSQL tests use (scripts/pg-test-cluster.sh start),
// or nullptr: those tests skip without one.
inline const char* TestPostgres() {
  const char* pg = std::getenv("SEATKEEPER_TEST_PG");
  return pg && *pg ? pg : nullptr;
}

// A database of its own on TestPostgres(), named `prefix` + this process's
// id, with a home folder for the store's key; both removed when it goes.
class ScratchPostgres {
 public:
  explicit ScratchPostgres(const std::string& prefix)
      : admin_url_(TestPostgres()), name_(prefix + std::to_string(::getpid())) {
    Admin("DROP DATABASE IF EXISTS " + name_);
    Admin("CREATE DATABASE " + name_);
    url_ = admin_url_.substr(0, admin_url_.rfind('/') + 1) + name_ + "?connect_timeout=5";
    home_ = (std::filesystem::temp_directory_path() / name_).string();
    std::filesystem::create_directories(home_);
  }
  ~ScratchPostgres() {
    try {
      Admin("DROP DATABASE IF EXISTS " + name_);
    } catch (...) {
    }
    std::error_code ec;
    std::filesystem::remove_all(home_, ec);
  }
  ScratchPostgres(const ScratchPostgres&) = delete;
  ScratchPostgres& operator=(const ScratchPostgres&) = delete;

  // Runs `sql` on the cluster's administrative database.
  void Admin(const std::string& sql) const {
    pqxx::connection c(admin_url_);
    pqxx::nontransaction w(c);
    w.exec(sql);
  }
  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }
  const std::string& home() const { return home_; }

 private:
  std::string admin_url_, name_, url_, home_;
};

}  // namespace sk::server::testing
