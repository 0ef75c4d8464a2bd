#include "util/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "util/log.h"

namespace sk {
namespace {

TEST(Config, FlagsBeatEnvironmentBeatFileBeatDefaults) {
  auto home = std::filesystem::temp_directory_path() / ("sk-config-" + std::to_string(getpid()));
  std::filesystem::create_directories(home);
  std::ofstream(home / "config") << "# settings\nlog_format = json\nlog_level = debug\nlisten = 0.0.0.0:9000\n"
                                    "key = 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";
  setenv("SEATKEEPER_LOG_LEVEL", "warn", 1);
  auto c = Config::Load(home.string());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  c->SetFlag("listen", "127.0.0.1:1234");
  EXPECT_EQ(c->Get("log_format"), "json");       // file
  EXPECT_EQ(c->Get("log_level"), "warn");        // env beats file
  EXPECT_EQ(c->Get("listen"), "127.0.0.1:1234"); // flag beats file
  EXPECT_EQ(c->Get("sync_at"), "03:00");         // default
  for (const auto& s : c->All())
    if (s.key == "key") {
      EXPECT_EQ(s.value, "***");
      EXPECT_NE(s.source.find("config:5"), std::string::npos);
    }
  unsetenv("SEATKEEPER_LOG_LEVEL");
  std::filesystem::remove_all(home);
}

TEST(Config, UnknownKeyNamesTheLine) {
  auto home = std::filesystem::temp_directory_path() / ("sk-config-bad-" + std::to_string(getpid()));
  std::filesystem::create_directories(home);
  std::ofstream(home / "config") << "log_format = text\nlog_levle = debug\n";
  auto c = Config::Load(home.string());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(ExitCodeFor(c.status()), 2);
  EXPECT_NE(c.status().message().find("config:2"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("log_levle"), std::string::npos);
  std::filesystem::remove_all(home);
}

TEST(Log, RegisteredSecretsAreMasked) {
  log::RegisterSecret("tok-ABCDEF-123456");
  EXPECT_EQ(log::Redact("Authorization: Bearer tok-ABCDEF-123456 done"), "Authorization: Bearer *** done");
  EXPECT_EQ(log::Redact("nothing here"), "nothing here");
}

}  // namespace
}  // namespace sk
