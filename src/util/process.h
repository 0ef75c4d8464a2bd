// Names of processes in the shared store (lease owners, action claims):
// "[prefix:]<host>:<pid>". A holder on this machine whose process has ended
// is known to be gone, so what it held can be taken over at once instead of
// waiting for a lease to expire (a killed `seatkeeper sync`, a web server
// that crashed mid-action). Holders on other machines are never judged gone
// here: their leases expire, their claims wait.
#pragma once

#include <string>

namespace sk {

// This machine's host name ("" when it cannot be read).
std::string HostName();

// "<prefix>:<host>:<pid>" for this process; no prefix gives "<host>:<pid>".
std::string ProcessName(const std::string& prefix = "");

// True when `name` (as ProcessName writes it) names a process on this host
// other than this one that no longer exists.
bool LocalProcessIsGone(const std::string& name);

}  // namespace sk
