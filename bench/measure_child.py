"""Runs a command and writes its own rusage as JSON to the file named first.

    python3 measure_child.py OUT.json CMD [ARG...]

bench.py runs seatkeeper through this small launcher because Linux carries a
process's peak RSS across exec: a child forked (or vforked) from bench.py and
exec'd into seatkeeper reports in ru_maxrss at least the RSS bench.py had at
that moment, which after parsing a huge account's request log is over 100 MB.
This launcher is small and freshly exec'd, so the RSS its child inherits is
this script's (about 10 MB), not bench.py's. Standard streams pass through.
"""
import json
import os
import sys
import time


def main():
    out_path, cmd = sys.argv[1], sys.argv[2:]
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    with open(out_path, "w") as f:
        json.dump({"utime": ru.ru_utime, "stime": ru.ru_stime, "maxrss_kb": ru.ru_maxrss, "wall": wall}, f)
    sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)


if __name__ == "__main__":
    main()
