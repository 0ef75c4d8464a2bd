#include "util/process.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace sk {

std::string HostName() {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0) return "";
  return host;
}

std::string ProcessName(const std::string& prefix) {
  std::string host = HostName();
  std::string name = (host.empty() ? "unknown" : host) + ":" + std::to_string(::getpid());
  return prefix.empty() ? name : prefix + ":" + name;
}

bool LocalProcessIsGone(const std::string& name) {
  const size_t colon = name.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  const std::string pid_text = name.substr(colon + 1);
  long pid = 0;
  auto [end, ec] = std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), pid);
  if (ec != std::errc() || end != pid_text.data() + pid_text.size() || pid <= 1) return false;
  const size_t before_host = name.rfind(':', colon - 1);  // ends the prefix, if any
  const size_t host_begin = before_host == std::string::npos ? 0 : before_host + 1;
  const std::string host = name.substr(host_begin, colon - host_begin);
  const std::string here = HostName();
  if (here.empty() || host != here) return false;
  if (pid == static_cast<long>(::getpid())) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace sk
