#!/usr/bin/env python3
"""Issue #19's targets in one run (`bash bench/run.sh --targets [--baseline REV]`).

Measures every target of issue #19 with the bench's accounts and prints one
table. With --baseline-bin (bench/run.sh --baseline REV builds that revision's
seatkeeper), every measurement runs twice back to back, the baseline's
seatkeeper first, then this build's, each against this build's zdsim (the
same accounts, answer times and rate limits for both):

  1. first and daily sync of each size (--sizes; no latency, no rate limits):
     requests, rate-limit bounds, CPU per ticket update, peak RSS; on the
     largest size also connect's provisional seat verdict and how many of its
     verdicts the first sync's backfill kept;
  2. the first sync of --latency-size on Enterprise under zdsim's latency
     model and rate limits, compressed 60/--latency-window times: wall time
     against the rate-limit bound, and when the last 7 days were complete;
  3. connect's provisional verdict on the largest size under the same
     compressed latency and rate limits (wall time, scaled back);
  4. bench/workers.sh: a fleet of small accounts synced by `seatkeeper worker`
     (first sync, then a daily sync a day later), per engine: accounts per
     hour of wall time and per hour of the worker's CPU ("per core").

Only the standard library is used; bench.py does the measuring.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import types

import bench as B

ENTERPRISE = "Enterprise@100"


def bins_of(d):
    return {b: os.path.join(d, b) for b in ("seatkeeper", "zdsim")}


def worker_has_concurrency(seatkeeper):
    r = subprocess.run([seatkeeper, "worker", "--help"], capture_output=True, text=True)
    return "--concurrency" in r.stdout + r.stderr


def run_fleet(bindir, args):
    """bench/workers.sh with one worker process per engine; --concurrency 4
    where the build has it (issue #19 item 4), else none (one account at a time)."""
    conc = "4" if worker_has_concurrency(os.path.join(bindir, "seatkeeper")) else "-"
    env = dict(os.environ, ENGINES=" ".join(args.fleet_engines.split(",")), WORKERS="1", CONCURRENCY=conc,
               ACCOUNTS=str(args.fleet_accounts), USERS=str(args.fleet_users), AGENTS=str(args.fleet_agents),
               TICKETS=str(args.fleet_tickets), RATE_WINDOW="1")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workers.sh")
    r = subprocess.run(["bash", script, bindir], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("workers.sh failed (%d): %s" % (r.returncode, r.stderr[-2000:]))
    out = {"concurrency": conc, "accounts": args.fleet_accounts, "table": r.stdout, "engines": {}}
    # Rows of workers.sh's table: | engine | 1 | c | first: W/h wall, C/h per core | daily: W/h wall (xR), C/h per core (M ms CPU an account) |
    row = re.compile(r"^\| (\w+) \| 1 \| [\d-]+ \| (\d+)/h wall, (\d+)/h per core \| (\d+)/h wall \(x[\d.]+\), "
                     r"(\d+)/h per core \((\d+) ms CPU an account\) \|$", re.M)
    for m in row.finditer(r.stdout):
        f_wall, f_core, d_wall, d_core, d_ms = map(int, m.groups()[1:])
        out["engines"][m.group(1)] = {"first_per_wall_h": f_wall, "first_per_core_h": f_core, "daily_per_wall_h": d_wall,
                                      "daily_per_core_h": d_core, "daily_cpu_ms": d_ms}
    return out


def steps(args):
    """(step name, function of bins returning its result), in running order."""
    ns = types.SimpleNamespace(fraction=1.0, serve_size="", no_serve=True, workdir=args.workdir, keep=args.keep,
                               latency_fraction=1.0, latency_window=args.latency_window, no_backfill=True)
    out = []
    for size in args.sizes.split(","):
        out.append(("size:" + size, lambda b, size=size: B.run_size(size, ns, b)))
    out.append(("latency", lambda b: B.run_latency(args.latency_size, ns, b, "overlapped")))
    largest = args.sizes.split(",")[-1]
    out.append(("provisional", lambda b: B.run_provisional(largest, ns, b)))
    out.append(("fleet", lambda b: run_fleet(os.path.dirname(b["seatkeeper"]), args)))
    return out


# ---------------------------------------------------------------- table

def pct(a, b):
    return 100.0 * a / b if b else float("nan")


def cell_latency_ratio(r):
    if not r:
        return "-"
    return "%.2f× (%s for a %s bound; %d requests, %d 429s)" % (
        r["wall_min"] / r["bound_min"], B.fmt_min(r["wall_min"]), B.fmt_min(r["bound_min"]), r["requests"],
        r["rate_limited"])


def cell_last7(r):
    if not r:
        return "-"
    return "%s, %.0f %% of the wall time" % (B.fmt_min(r["last7_min"]), pct(r["last7_min"], r["wall_min"]))


def cell_daily_share(r):
    if not r:
        return "-"
    first = r["first"]["bound"][ENTERPRISE]["sync"]
    daily = r["daily"]["bound"][ENTERPRISE]["sync"]
    return "%.1f %% (%s of %s; %d requests)" % (pct(daily, first), B.fmt_min(daily), B.fmt_min(first),
                                                r["daily"]["requests"])


def cell_provisional(r):
    if not r:
        return "-"
    if not r.get("has_verdict"):
        return "none (connect makes no verdict)"
    return "%s (%d paid seats: %d active, %d idle candidates; %d requests)" % (
        B.fmt_min(r["verdict_min"]), r["paid_seats"], r["active"], r["idle_candidates"], r["requests"])


def cell_staff(r):
    if not r or not r.get("staff_pages"):
        return "- (connect reads no staff list)"
    return "%s (%d staff-list pages)" % (B.fmt_min(r["staff_s"] / 60), r["staff_pages"])


def cell_kept(r):
    if not r:
        return "-"
    v = r.get("first_verdict")
    if not v or not v.get("compared"):
        return "none (no provisional verdict)"
    return "%.2f %% (%d of %d)" % (pct(v["unchanged"], v["compared"]), v["unchanged"], v["compared"])


def cell_updates(r):
    if not r:
        return "-"
    f = r["first"]
    return "{:,.0f} ({:,} events, {:.1f} CPU s)".format(f["events"] / max(f["cpu_s"], 1e-9), f["events"], f["cpu_s"])


def cell_rss(r):
    if not r:
        return "-"
    return "%.1f MB first, %.1f MB daily" % (r["first"]["maxrss_mb"], r["daily"]["maxrss_mb"])


def cell_fleet(r, engine):
    if not r:
        return "-"
    e = r["engines"].get(engine)
    if not e:
        return "-"
    return "{:,} ({} ms CPU an account; {:,}/h wall; --concurrency {})".format(
        e["daily_per_core_h"], e["daily_cpu_ms"], e["daily_per_wall_h"], r["concurrency"])


def table(res, args):
    labels = [v for v in ("before", "after") if any(v in x for x in res["steps"].values())]
    sizes = args.sizes.split(",")
    largest = sizes[-1]

    def get(step, label):
        return res["steps"].get(step, {}).get(label)

    rows = [
        ("%s first sync, Enterprise, under latency: wall / rate-limit bound" % args.latency_size, "≤ 1.15×",
         lambda lb: cell_latency_ratio(get("latency", lb))),
        ("… last 7 days complete", "≤ 20 % of it", lambda lb: cell_last7(get("latency", lb))),
        ("%s daily sync: rate-limit time, share of the first sync's (Enterprise)" % largest, "≤ 5 %",
         lambda lb: cell_daily_share(get("size:" + largest, lb))),
        ("%s: staff inventory fresh (last staff-list page answered, from connect's start, under latency)" % largest,
         "≤ 1 min", lambda lb: cell_staff(get("provisional", lb))),
        ("%s: provisional idle-seat verdict after connect, under latency" % largest, "≤ 10 min",
         lambda lb: cell_provisional(get("provisional", lb))),
        ("%s: verdicts the backfill leaves unchanged" % largest, "≥ 99 %",
         lambda lb: cell_kept(get("size:" + largest, lb))),
    ]
    upd = "large" if "large" in sizes else largest
    rows.append(("ticket updates per seatkeeper CPU s, %s first sync" % upd, "≥ 500,000",
                 lambda lb: cell_updates(get("size:" + upd, lb))))
    for s in sizes:
        rows.append(("peak RSS, %s" % s, "≤ 100 MB", lambda lb, s=s: cell_rss(get("size:" + s, lb))))
    for e in args.fleet_engines.split(","):
        rows.append(("small-account daily syncs per hour per core (worker, %s)" % e, "≥ 5,000",
                     lambda lb, e=e: cell_fleet(get("fleet", lb), e)))
    names = {"before": "before (%s)" % args.before_label, "after": "after (%s)" % args.after_label}
    L = ["| target | goal | " + " | ".join(names[lb] for lb in labels) + " |",
         "|---|---|" + "---|" * len(labels)]
    for title, goal, f in rows:
        L.append("| %s | %s | %s |" % (title, goal, " | ".join(f(lb) for lb in labels)))
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="this build's dir (seatkeeper and zdsim)")
    ap.add_argument("--baseline-bin", help="dir holding the baseline's seatkeeper and this build's zdsim")
    ap.add_argument("--before-label", default="baseline")
    ap.add_argument("--after-label", default="this build")
    ap.add_argument("--sizes", default="small,large,huge", help="first/daily sync sizes; the last is the largest")
    ap.add_argument("--latency-size", default="large")
    ap.add_argument("--latency-window", type=int, default=3,
                    help="zdsim's rate-limit window under latency (60 = real time; 3 = twenty times faster)")
    ap.add_argument("--fleet-engines", default="sqlite,postgres")
    ap.add_argument("--fleet-accounts", type=int, default=12)
    ap.add_argument("--fleet-users", type=int, default=2000)
    ap.add_argument("--fleet-agents", type=int, default=50)
    ap.add_argument("--fleet-tickets", type=int, default=87)
    ap.add_argument("--only", help="comma-separated step names to run (size:NAME, latency, provisional, fleet)")
    ap.add_argument("--json", help="also write raw results here (rewritten after every step)")
    ap.add_argument("--from-json", help="only print the table of an earlier --json result")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if args.from_json:
        res = json.load(open(args.from_json))
        for k in ("sizes", "latency_size", "fleet_engines", "before_label", "after_label"):
            setattr(args, k, res["args"].get(k, getattr(args, k)))
        print(table(res, args))
        return
    variants = ([("before", bins_of(args.baseline_bin))] if args.baseline_bin else []) + [("after", bins_of(args.bin))]
    res = {"machine": B.machine(), "args": vars(args), "steps": {}}
    only = set(args.only.split(",")) if args.only else None
    for name, fn in steps(args):
        if only is not None and name not in only:
            continue
        for label, bins in variants:
            t0 = time.monotonic()
            B.log("targets:", name, label)
            try:
                out = fn(bins)
            except RuntimeError as e:  # a baseline without a feature, or a failed run: recorded, the run goes on
                B.log("targets:", name, label, "failed:", str(e)[:500])
                out = None
            res["steps"].setdefault(name, {})[label] = out
            res["steps"][name][label + "_seconds"] = time.monotonic() - t0
            B.log("targets:", name, label, "done in %.0f s" % (time.monotonic() - t0))
            if args.json:
                with open(args.json, "w") as f:
                    json.dump(res, f, indent=1, default=str)
    print("Machine: " + res["machine"])
    print()
    print(table(res, args))
    fleet = res["steps"].get("fleet", {})
    for label in ("before", "after"):
        if fleet.get(label):
            print("\n%s, bench/workers.sh:\n\n%s" % (label, fleet[label]["table"]))


if __name__ == "__main__":
    sys.exit(main())
