#include "util/process.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sk {
namespace {

// The pid of a child that has exited and been reaped.
pid_t EndedPid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

TEST(ProcessTest, NamesCarryHostAndPid) {
  EXPECT_EQ(ProcessName("cli"), "cli:" + HostName() + ":" + std::to_string(::getpid()));
  EXPECT_EQ(ProcessName(), HostName() + ":" + std::to_string(::getpid()));
}

TEST(ProcessTest, AnEndedLocalProcessIsGone) {
  const pid_t pid = EndedPid();
  EXPECT_TRUE(LocalProcessIsGone("cli:" + HostName() + ":" + std::to_string(pid)));
  EXPECT_TRUE(LocalProcessIsGone(HostName() + ":" + std::to_string(pid)));
}

TEST(ProcessTest, LiveOrForeignOrUnreadableNamesAreNotGone) {
  EXPECT_FALSE(LocalProcessIsGone(ProcessName("cli")));                                  // this process
  EXPECT_FALSE(LocalProcessIsGone("web:" + HostName() + ":" + std::to_string(::getppid())));  // alive
  const pid_t pid = EndedPid();
  EXPECT_FALSE(LocalProcessIsGone("cli:another-host.example:" + std::to_string(pid)));  // not ours to judge
  EXPECT_FALSE(LocalProcessIsGone("cli:" + HostName() + ":x12"));
  EXPECT_FALSE(LocalProcessIsGone("cli:" + HostName() + ":1"));
  EXPECT_FALSE(LocalProcessIsGone(""));
  EXPECT_FALSE(LocalProcessIsGone("nopid"));
}

}  // namespace
}  // namespace sk
