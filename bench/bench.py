#!/usr/bin/env python3
"""seatkeeper benchmark driver (issue #6). Run through bench/run.sh.

For each account size: generate the account with zdsim (rate limits off, fixed
clock), connect seatkeeper, run a 90-day first sync and one daily sync
(/_sim/advance 86400), and report

  1. requests per endpoint vs the minimum for the endpoints used
     (records / largest page size; record counts from zdsim's /_sim/stats);
  2. the wall time Zendesk's rate limits impose on those requests per plan, at
     100 % and 50 % API budget (buckets drain in parallel: max over buckets of
     requests / limit), beside two baselines on the same account (per-ticket
     audits; ticket event export alone), and the time until the last 7 days
     are complete;
  3. local cost of the seatkeeper process (its own rusage, via measure_child.py): CPU and
     wall seconds per million ticket events, peak RSS; zdsim's serving rate;
  4. optionally `seatkeeper serve` under wrk on the large store.

With --provisional, instead (issue #19 item 5): the provisional seat verdict
`connect` makes, its wall time under the same compressed latency model and
rate limits (scaled back to real minutes), and, on a second copy of the account
without latency, how many of its verdicts the first sync's backfill leaves
unchanged.

With --latency, instead: the first sync's wall time as a customer would feel it
(issue #19): zdsim with rate limits on and its latency model (Zendesk's recorded
answer times) both compressed by the same factor (a short rate-limit window),
the wall time scaled back to real minutes and set beside the rate-limit bound
of the same requests (buckets in parallel) and their answer times end to end.

Only the standard library is used.
"""
import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
import urllib.parse
import urllib.request

DAY = 86400
# Pinned clock of every run: figures do not depend on the day the bench runs.
NOW = 1764064800  # 2025-11-25T10:00:00Z
# zdsim generates ~6.4 ticket events per ticket on average over the 90-day
# window (measured: bench/RESULTS.md shows the events actually served).
EVENTS_PER_TICKET = 6.4

SIZES = {
    #         agents   users     events in 90 days
    "tiny": (5, 200, 3_000),
    "small": (50, 2_000, 50_000),
    "medium": (200, 10_000, 300_000),  # between small and large (--provisional figures)
    "large": (500, 50_000, 2_000_000),
    "huge": (5_000, 500_000, 10_000_000),
}

# Page sizes (reference §3.3) and buckets (§11) of the endpoints a sync uses.
ENDPOINTS = [
    # key (seatkeeper's endpoint label regex), stats field, page size, bucket
    ("incremental/users/cursor", "users", 1000, "incremental-exports-cursor"),
    ("deleted_users", "deleted_users", 100, "account"),
    ("incremental/ticket_events", "export_events", 1000, "incremental-exports"),
    # Deleted tickets: the 30 days the list keeps on a first sync, the
    # deletions since the previous sync on a daily one (set in run_size).
    ("deleted_tickets", "deleted_tickets_needed", 100, "deleted-tickets-index"),
    ("audit_logs", "audit_logins", 100, "account"),
    ("help_center/incremental/articles", "articles", 100, "help-center"),
    # The audit walk reads every non-archived audit before the point where it
    # met the export (stats "audits" is asked for up to that point).
    ("ticket_audits", "audits", 100, "account"),
    # After the walk, the ticket export from the walk's start finds the tickets
    # the audit list left out (archived, soft-deleted): every ticket touched
    # since then, once. Their activity is read from the event export, whose
    # minimum then includes the events in the stretches where they were alive.
    ("incremental/tickets/cursor", "tickets_touched", 1000, "incremental-exports"),
]
# Days of history zdsim generates: more than Zendesk's 120-day archive horizon,
# so the audit list holds what a real account's would (non-archived audits
# from before the window too) and archived tickets exist.
HISTORY_DAYS = 150

PLANS = [
    # name, account/min, incremental/min, audit log available
    ("Professional", 400, 10, False),
    ("Enterprise", 700, 10, True),
    ("Enterprise Plus", 2500, 30, True),
]
USERS_CURSOR_PER_MIN = 20
DELETED_TICKETS_PER_MIN = 10


def log(*a):
    print("[bench]", *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes

class Sim:
    def __init__(self, zdsim, workdir, agents, users, tickets_per_day, seed=1, window=None):
        self.port_file = os.path.join(workdir, "zdsim.port")
        self.log = open(os.path.join(workdir, "zdsim.log"), "w")
        cmd = [zdsim, "serve", "--port", "0", "--port-file", self.port_file, "--seed", str(seed),
               "--users", str(users), "--agents", str(agents), "--tickets-per-day", str(tickets_per_day),
               "--days", str(HISTORY_DAYS), "--plan", "enterprise", "--now", str(NOW)]
        if window is None:
            # CPU and request counts are measured here; answer times are not
            # part of these rows (zdsim's latency model, issue #19).
            cmd += ["--no-rate-limits", "--no-latency"]
        else:
            # Rate limits and answer times both compressed 60/window times.
            cmd += ["--rate-window-seconds", str(window)]
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        while not (os.path.exists(self.port_file) and open(self.port_file).read().strip()):
            if self.proc.poll() is not None:
                raise RuntimeError("zdsim exited: see " + self.log.name)
            time.sleep(0.05)
        self.port = int(open(self.port_file).read().strip())
        self.base = "http://127.0.0.1:%d" % self.port
        self.generate_seconds = time.monotonic() - t0

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / tick  # utime + stime

    def rss_mb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=600) as r:
            return json.loads(r.read() or b"null")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def run_child(cmd, env, stdin_text=None):
    """Runs cmd; returns (stdout, wall seconds, rusage of that child alone).

    The child runs under measure_child.py, which reports the child's own
    rusage: measured from here, ru_maxrss would include this script's RSS
    (Linux keeps the peak across exec)."""
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    fd, ru_path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    launcher = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "measure_child.py"), ru_path]
    try:
        p = subprocess.Popen(launcher + list(cmd), env=env,
                             stdin=subprocess.PIPE if stdin_text else subprocess.DEVNULL, stdout=out, stderr=err)
        if stdin_text:
            p.stdin.write(stdin_text.encode())
            p.stdin.close()
        p.wait()
        with open(ru_path) as f:
            m = json.load(f)
    finally:
        os.unlink(ru_path)
    ru = types.SimpleNamespace(ru_utime=m["utime"], ru_stime=m["stime"], ru_maxrss=m["maxrss_kb"])
    out.seek(0)
    err.seek(0)
    text = out.read().decode()
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s %s" % (" ".join(cmd[:2]), p.returncode, text, err.read().decode()[-2000:]))
    return text, m["wall"], ru


# ---------------------------------------------------------------- arithmetic

def endpoint_of(path):
    path = path.split("?", 1)[0]
    path = re.sub(r"^/api/v2/", "", path)
    path = re.sub(r"\.json$", "", path)
    path = re.sub(r"/\d+", "/{id}", path)
    return path


def classify(requests):
    """Per endpoint and per bucket counts from zdsim's request log."""
    by_ep, by_bucket = {}, {}
    for r in requests:
        if r["path"].startswith("/_sim/"):
            continue
        ep = endpoint_of(r["path"])
        by_ep[ep] = by_ep.get(ep, 0) + 1
        b = r.get("bucket") or "none"
        by_bucket[b] = by_bucket.get(b, 0) + 1
    return by_ep, by_bucket


def minimum(stats, used_endpoints):
    """Minimum requests per endpoint used: ceil(records / page size), at least 1."""
    out = {}
    for key, field, size, _ in ENDPOINTS:
        if key in used_endpoints:
            n = stats.get(field, stats["events"] if field == "export_events" else 0)
            out[key] = max(1, math.ceil(n / size))
    return out


def bound_minutes(counts, plan, budget, include_audit=True):
    """Rate-limit-bound minutes of a request mix: max over buckets of requests / limit.

    counts: endpoint -> requests. Every Support API request also counts against
    the account limit; Help Center has its own limit (not modelled: 1 request).
    """
    load, rate = {}, {}
    for ep, n in counts.items():
        for b, per_min in buckets_of(ep, plan, budget, include_audit):
            load[b] = load.get(b, 0) + n
            rate[b] = per_min
    return max((load[b] / rate[b] for b in load), default=0.0)


def buckets_of(ep, plan, budget, include_audit=True):
    """(bucket, requests per minute at this budget) pairs a request draws on."""
    name, account, incremental, _ = plan
    f = budget / 100.0
    if ep.startswith("help_center") or (ep == "audit_logs" and not include_audit):
        return []
    out = [("account", account * f)]
    if ep == "incremental/users/cursor":
        out.append(("cursor", USERS_CURSOR_PER_MIN * f))
    elif ep.startswith("incremental/"):
        out.append(("incremental", incremental * f))
    elif ep == "deleted_tickets":
        out.append(("deleted", DELETED_TICKETS_PER_MIN * f))
    return out


def older_flags(requests, split):
    """Per request: is it for the part of the window before the last 7 days?
    Export pages starting before the split, every audit-list page (the walk
    never reads the last 7 days), and the deleted-tickets pages after the
    first run of them (newest first: the first run reaches back 7 days, the
    run after the backfill reads the rest)."""
    flags = []
    deleted_runs, prev_deleted = 0, False
    for r in requests:
        ep = endpoint_of(r["path"]) if not r["path"].startswith("/_sim/") else None
        older = False
        if split is not None and ep is not None:
            if ep == "ticket_audits":
                older = True
            elif ep == "incremental/ticket_events":
                q = urllib.parse.parse_qs(urllib.parse.urlsplit(r["path"]).query)
                older = int(q.get("start_time", ["0"])[0]) < split
            elif ep == "deleted_tickets":
                if not prev_deleted:
                    deleted_runs += 1
                older = deleted_runs > 1
        prev_deleted = ep == "deleted_tickets"
        flags.append(older)
    return flags


def sequential_minutes(requests, plan, budget, include_audit, split=None):
    """(total, last-7-days-complete) minutes when the requests are sent one
    after another in seatkeeper's order, each as soon as every bucket it draws
    on has room in its current one-minute window (Zendesk's fixed windows;
    response time not counted). A request whose bucket is spent waits for the
    window to roll over, and everything after it waits too."""
    t = 0.0
    windows = {}  # bucket -> [window start, used]
    last7 = 0.0
    for r, older in zip(requests, older_flags(requests, split)):
        if r["path"].startswith("/_sim/"):
            continue
        ep = endpoint_of(r["path"])
        bs = buckets_of(ep, plan, budget, include_audit)
        while True:
            wait_until = t
            for b, per_min in bs:
                w = windows.setdefault(b, [t, 0])
                if t >= w[0] + 1.0:
                    w[0], w[1] = t, 0
                if w[1] + 1 > max(1.0, per_min):
                    wait_until = max(wait_until, w[0] + 1.0)
            if wait_until <= t:
                break
            t = wait_until
        for b, _ in bs:
            windows[b][1] += 1
        if not older:
            last7 = t
    return t, last7


def seven_day_counts(requests, split):
    """Requests needed before the last 7 days are complete: everything but the
    ticket-event pages of the older chunk (start_time < split)."""
    counts = {}
    for r, older in zip(requests, older_flags(requests, split)):
        if r["path"].startswith("/_sim/") or older:
            continue
        ep = endpoint_of(r["path"])
        counts[ep] = counts.get(ep, 0) + 1
    return counts


def iso_to_unix(text):
    return int(dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp())


def fmt_min(m):
    if m < 1:
        return "%.1f s" % (m * 60)
    if m < 120:
        return "%.1f min" % m
    return "%.1f h" % (m / 60)


# ---------------------------------------------------------------- one size

def run_size(name, args, bins):
    agents, users, target_events = SIZES[name]
    if args.fraction < 1.0 and name == "huge":
        scale = args.fraction
    else:
        scale = 1.0
    tpd = max(1, round(target_events * scale / 90 / EVENTS_PER_TICKET))
    res = {"machine": machine(), "size": name, "agents": agents, "users": int(users * scale), "tickets_per_day": tpd, "scale": scale}
    work = tempfile.mkdtemp(prefix="skbench-%s-" % name, dir=args.workdir)
    home = os.path.join(work, "home")
    os.makedirs(home)
    log(name, ": generating", res["users"], "users,", agents, "agents,", tpd, "tickets/day in", work)
    sim = Sim(bins["zdsim"], work, agents, res["users"], tpd)
    try:
        res["sim_generate_s"] = sim.generate_seconds
        env = dict(os.environ, SEATKEEPER_HOME=home, SEATKEEPER_NOW=str(NOW), SEATKEEPER_LOG_LEVEL="warn")
        sk = bins["seatkeeper"]
        out, _, _ = run_child([sk, "connect", "--url", sim.base, "--allow-local", "--oauth-token-file", "-", "--json"],
                              env, "zdsim-admin-oauth-token\n")
        # connect's provisional seat verdict (issue #19 item 5; absent before it).
        res["connect_verdict"] = verdict_summary(json.loads(out))
        today0 = NOW - NOW % DAY
        window_start = today0 - 89 * DAY
        split = today0 - 6 * DAY
        stats = sim.call("GET", "/_sim/stats?since=%d&since_7d=%d" % (window_start, split))
        stats["deleted_tickets_needed"] = stats["deleted_tickets_30d"]
        res["stats_first"] = stats

        # ---- first sync
        sim.call("DELETE", "/_sim/requests")
        cpu0 = sim.cpu_seconds()
        out, wall, ru = run_child([sk, "sync", "--json"], env)
        sim_cpu = sim.cpu_seconds() - cpu0
        reqs = sim.call("GET", "/_sim/requests")
        report = json.loads(out)
        walk = report.get("ticket_audits") or {}
        if walk.get("until"):
            until = iso_to_unix(walk["until"])
            walk_stats = sim.call("GET", "/_sim/stats?since=%d&audits_until=%d" % (until, until))
            # The walk read the audits before `until`, the export the events after it.
            export_events = walk_stats["events"]
            for sp in (walk.get("hidden_tickets") or {}).get("read") or []:
                a = sim.call("GET", "/_sim/stats?since=%d" % iso_to_unix(sp["from"]))["events"]
                b = sim.call("GET", "/_sim/stats?since=%d" % iso_to_unix(sp["until"]))["events"]
                export_events += a - b
            stats = dict(stats, audits=walk_stats["audits"], export_events=export_events)
            res["walk_until"] = walk["until"]
        res["first"] = summarize(report, wall, ru, reqs, stats, sim_cpu, split)
        # What the backfill made of connect's verdict (compared, unchanged, changed).
        res["first_verdict"] = verdict_summary(report)
        res["sim_rss_mb"] = sim.rss_mb()

        # ---- daily sync
        before = NOW
        adv = sim.call("POST", "/_sim/advance", {"seconds": DAY, "activity": True})
        now2 = adv["now"]
        stats2 = sim.call("GET", "/_sim/stats?since=%d&since_7d=%d" % (before - 60, before - 60))
        # Users are read in full every sync; deleted tickets back to the previous sync.
        stats2["deleted_tickets_needed"] = stats2["deleted_tickets_since"]
        res["stats_daily"] = stats2
        env2 = dict(env, SEATKEEPER_NOW=str(now2))
        sim.call("DELETE", "/_sim/requests")
        cpu0 = sim.cpu_seconds()
        out, wall, ru = run_child([sk, "sync", "--json"], env2)
        sim_cpu = sim.cpu_seconds() - cpu0
        reqs = sim.call("GET", "/_sim/requests")
        res["daily"] = summarize(json.loads(out), wall, ru, reqs, stats2, sim_cpu, None)

        if name == args.serve_size and not args.no_serve:
            res["serve"] = bench_serve(sk, env2, work, args)
    finally:
        sim.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return res


def verdict_summary(answer):
    """The seat_verdict object of a parsed `connect --json` or `sync --json`
    answer, without its per-seat lists (at most 20 change summaries kept);
    None when the answer has none (a build before issue #19 item 5)."""
    v = answer.get("seat_verdict") if isinstance(answer, dict) else None
    if not isinstance(v, dict):
        return None
    keep = {k: x for k, x in v.items() if not isinstance(x, (list, dict))}
    keep["changes"] = [c.get("summary") for c in v.get("changes") or [] if isinstance(c, dict)][:20]
    return keep


def seven_day_end_ms(reqs, split):
    """When the last 7 days were complete, in zdsim's elapsed ms: the end of the
    last request they needed. Every request but the older ticket-event pages
    and audit-list pages (older_flags), and of the deleted-ticket pages only
    the first run of them in the ticket activity lane (the list is newest
    first; the recent part is read after the export's last 7 days, the rest
    after the backfill; other lanes' requests interleave, so the run is taken
    among the lane's own endpoints). The audit log's user changes (who
    changed a user: role history, not usage) are left out too."""
    lane = [r for r in reqs if endpoint_of(r["path"]) in ("deleted_tickets", "incremental/ticket_events",
                                                           "ticket_audits")]
    recent_deleted = set()
    for i, r in enumerate(lane):
        if endpoint_of(r["path"]) != "deleted_tickets":
            continue
        if recent_deleted and endpoint_of(lane[i - 1]["path"]) != "deleted_tickets":
            break
        recent_deleted.add(id(r))
    end = 0
    for r in reqs:
        ep = endpoint_of(r["path"])
        if ep == "ticket_audits" or "filter%5Bsource_type%5D=user" in r["path"]:
            continue
        if ep == "incremental/ticket_events":
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(r["path"]).query)
            if int(q.get("start_time", ["0"])[0]) < split:
                continue
        if ep == "deleted_tickets" and id(r) not in recent_deleted:
            continue
        end = max(end, r["elapsed_ms"] + r.get("latency_ms", 0))
    return end


def run_latency(name, args, bins, mode="overlapped"):
    """First sync on the Enterprise plan under rate limits and latency; mode
    "sequential" runs `sync --sequential` (one source after another)."""
    agents, users, target_events = SIZES[name]
    f = args.latency_fraction
    users = max(agents + 10, int(users * f))
    tpd = max(1, round(target_events * f / 90 / EVENTS_PER_TICKET))
    w = args.latency_window
    work = tempfile.mkdtemp(prefix="sklat-%s-" % name, dir=args.workdir)
    home = os.path.join(work, "home")
    os.makedirs(home)
    log(name, ": latency run (%s), window" % mode, w, "s (x%.0f compression) in" % (60.0 / w), work)
    sim = Sim(bins["zdsim"], work, agents, users, tpd, window=w)
    res = {"size": name if f == 1.0 else "%s x%.2g" % (name, f), "agents": agents, "users": users, "window_s": w,
           "mode": mode}
    try:
        env = dict(os.environ, SEATKEEPER_HOME=home, SEATKEEPER_NOW=str(NOW), SEATKEEPER_LOG_LEVEL="warn")
        sk = bins["seatkeeper"]
        run_child([sk, "connect", "--url", sim.base, "--allow-local", "--oauth-token-file", "-", "--json"],
                  env, "zdsim-admin-oauth-token\n")
        sim.call("DELETE", "/_sim/requests")
        cmd = [sk, "sync", "--json"] + (["--sequential"] if mode == "sequential" else [])
        out, wall, ru = run_child(cmd, env)
        reqs = [r for r in sim.call("GET", "/_sim/requests") if not r["path"].startswith("/_sim/")]
        if args.keep:
            with open(os.path.join(work, "requests.json"), "w") as f:
                json.dump(reqs, f)
        by_ep, _ = classify(reqs)
        k = 60.0 / w  # real seconds per compressed second
        enterprise = [p for p in PLANS if p[0] == "Enterprise"][0]
        split = NOW - (NOW % DAY) - 6 * DAY  # 00:00 UTC six days before today
        t0 = min((r["elapsed_ms"] for r in reqs), default=0)
        res.update({
            "requests": len(reqs),
            "rate_limited": sum(1 for r in reqs if r["status"] == 429),
            "wall_min": wall * k / 60,
            "bound_min": bound_minutes(by_ep, enterprise, 100, True),
            "bound7_min": bound_minutes(seven_day_counts(reqs, split), enterprise, 100, True),
            "last7_min": (seven_day_end_ms(reqs, split) - t0) / 1000.0 * k / 60,
            "answers_min": sum(r.get("latency_ms", 0) for r in reqs) / 1000.0 * k / 60,
            "cpu_s": ru.ru_utime + ru.ru_stime,
            "cpu_user_s": ru.ru_utime,
            "cpu_sys_s": ru.ru_stime,
            "sim_cpu_s": sim.cpu_seconds(),
        })
        res["by_endpoint"] = by_ep
    finally:
        sim.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return res


def run_provisional(name, args, bins):
    """connect's provisional seat verdict: wall time under latency; verdicts the backfill keeps."""
    agents, users, target_events = SIZES[name]
    tpd = max(1, round(target_events / 90 / EVENTS_PER_TICKET))
    w = args.latency_window
    res = {"size": name, "agents": agents, "users": users, "window_s": w}
    for phase in ("latency",) if args.no_backfill else ("latency", "backfill"):
        work = tempfile.mkdtemp(prefix="skprov-%s-" % name, dir=args.workdir)
        home = os.path.join(work, "home")
        os.makedirs(home)
        log(name, ": provisional verdict,", phase, "in", work)
        sim = Sim(bins["zdsim"], work, agents, users, tpd, window=w if phase == "latency" else None)
        try:
            env = dict(os.environ, SEATKEEPER_HOME=home, SEATKEEPER_NOW=str(NOW), SEATKEEPER_LOG_LEVEL="warn")
            sk = bins["seatkeeper"]
            out, wall, _ = run_child([sk, "connect", "--url", sim.base, "--allow-local", "--oauth-token-file", "-",
                                      "--json"], env, "zdsim-admin-oauth-token\n")
            verdict = json.loads(out).get("seat_verdict") or {}
            if phase == "latency":
                k = 60.0 / w  # real seconds per compressed second
                # When the staff inventory was complete: the end of the last
                # staff-list page (GET /api/v2/users?role[]=...), from connect's start.
                reqs = [r for r in sim.call("GET", "/_sim/requests") if not r["path"].startswith("/_sim/")]
                t0 = min((r["elapsed_ms"] for r in reqs), default=0)
                staff = [r for r in reqs if endpoint_of(r["path"]) == "users" and "role" in r["path"]]
                if staff:
                    end = max(r["elapsed_ms"] + r.get("latency_ms", 0) for r in staff)
                    res.update({"staff_pages": len(staff), "staff_s": (end - t0) / 1000.0 * k})
                res.update({"has_verdict": bool(verdict), "connect_min": wall * k / 60,
                            "verdict_min": verdict.get("seconds", 0) * k / 60,
                            "requests": verdict.get("requests", 0), "paid_seats": verdict.get("paid_seats", 0),
                            "active": verdict.get("active", 0), "idle_candidates": verdict.get("idle_candidates", 0),
                            "integrations": verdict.get("probable_integrations", 0)})
                continue
            out, wall, _ = run_child([sk, "sync", "--json"], env)
            sv = json.loads(out).get("seat_verdict") or {}
            res.update({"compared": sv.get("compared", 0), "unchanged": sv.get("unchanged", 0),
                        "changed": sv.get("changed", 0), "first_sync_s": wall,
                        "changes": [c.get("summary") for c in sv.get("changes", [])][:20]})
        finally:
            sim.stop()
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    return res


def provisional_table(results):
    rows = ["| account | paid seats: active / idle candidates / probable integrations | requests "
            "| verdict wall time, real-time equivalent (connect in all) | verdicts unchanged by the backfill |",
            "|---|---|---|---|---|"]
    for r in results:
        kept = "%d of %d (%.2f %%)" % (r["unchanged"], r["compared"], 100.0 * r["unchanged"] / r["compared"]) \
            if r.get("compared") else "-"
        rows.append("| %s (%d agents, %d users) | %d: %d / %d / %d | %d | %s (%s) | %s |" % (
            r["size"], r["agents"], r["users"], r["paid_seats"], r["active"], r["idle_candidates"],
            r["integrations"], r["requests"], fmt_min(r["verdict_min"]), fmt_min(r["connect_min"]), kept))
    return "\n".join(rows)


def latency_table(results):
    rows = ["| account | sync | requests (429s) | wall, real-time equivalent | rate-limit bound (buckets in parallel) "
            "| wall / bound | last 7 days complete (share of wall; bound) | answer times end to end "
            "| seatkeeper CPU s (user+sys); zdsim CPU s |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        rows.append("| %s (%d agents, %d users) | %s | %d (%d) | %s | %s | %.2fx | %s | %s | %.2f (%.2f+%.2f); %.1f |" % (
            r["size"], r["agents"], r["users"], r.get("mode", "sequential"), r["requests"], r["rate_limited"],
            fmt_min(r["wall_min"]), fmt_min(r["bound_min"]),
            r["wall_min"] / r["bound_min"] if r["bound_min"] else float("nan"),
            "%s (%.0f %%; %s)" % (fmt_min(r.get("last7_min", 0)), 100.0 * r.get("last7_min", 0) / max(r["wall_min"], 1e-9),
                                  fmt_min(r.get("bound7_min", 0))),
            fmt_min(r["answers_min"]), r["cpu_s"], r.get("cpu_user_s", 0), r.get("cpu_sys_s", 0),
            r.get("sim_cpu_s", 0)))
    return "\n".join(rows)


def summarize(report, wall, ru, reqs, stats, sim_cpu, split):
    by_ep, by_bucket = classify(reqs)
    used = set(by_ep)
    mins = minimum(stats, used)
    usage_eps = {k for k, _, _, _ in ENDPOINTS}
    # Requests outside the usage endpoints (preflight-like reads: custom roles, me...).
    other = {k: v for k, v in by_ep.items() if k not in usage_eps}
    total_min = sum(mins.values()) + sum(other.values())
    s = {
        "requests": sum(by_ep.values()),
        "by_endpoint": by_ep,
        "by_bucket": by_bucket,
        "minimum": mins,
        "other": other,
        "minimum_total": total_min,
        "events": stats["events"],
        "tickets_touched": stats["tickets_touched"],
        "wall_s": wall,
        "cpu_s": ru.ru_utime + ru.ru_stime,
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
        "maxrss_mb": ru.ru_maxrss / 1024.0,
        "sim_cpu_s": sim_cpu,
        "seatkeeper_report": {k: report.get(k) for k in ("requests", "rate_limited", "seconds", "users")},
        "bound": {},
    }
    for plan in PLANS:
        for budget in (100, 50):
            key = "%s@%d" % (plan[0], budget)
            audit = plan[3]
            b = {"sync": bound_minutes(by_ep, plan, budget, audit)}
            # Baselines on the same account: per-ticket audits (one request per
            # ticket touched, account limit) and the event export alone.
            b["audits_baseline"] = stats["tickets_touched"] / (plan[1] * budget / 100.0)
            b["events_baseline"] = math.ceil(stats["events"] / 1000) / (plan[2] * budget / 100.0)
            if split is not None:
                b["last7"] = bound_minutes(seven_day_counts(reqs, split), plan, budget, audit)
            b["seq"], seq7 = sequential_minutes(reqs, plan, budget, audit, split)
            if split is not None:
                b["seq_last7"] = seq7
            s["bound"][key] = b
    return s


# ---------------------------------------------------------------- server

def bench_serve(sk, env, work, args):
    wrk = shutil.which("wrk")
    if not wrk:
        return {"skipped": "wrk not installed (apt-get install -y wrk)"}
    try:
        run_child([sk, "admin", "set-password", "--password-file", "-"], env, "bench-password-123456\n")
    except RuntimeError as e:
        return {"skipped": "admin set-password failed: %s" % str(e)[:200]}
    port_file = os.path.join(work, "serve.out")
    logf = open(port_file, "w")
    p = subprocess.Popen([sk, "serve", "--listen", "127.0.0.1:0", "--no-schedule", "--threads", "34"],
                         env=env, stdout=logf, stderr=subprocess.STDOUT)
    try:
        url = None
        for _ in range(200):
            time.sleep(0.05)
            m = re.search(r"http://127\.0\.0\.1:\d+", open(port_file).read())
            if m:
                url = m.group(0)
                break
            if p.poll() is not None:
                break
        if not url:
            return {"skipped": "seatkeeper serve did not start: " + open(port_file).read()[-500:]}
        out = {}
        try:
            login = urllib.request.Request(url + "/api/login", data=b'{"password": "bench-password-123456"}',
                                           method="POST", headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(login, timeout=30) as r:
                cookie = r.headers.get("Set-Cookie", "").split(";", 1)[0]
        except Exception as e:  # noqa: BLE001
            return {"skipped": "POST /api/login: %s" % e}
        for label, path in args.serve_paths:
            try:
                urllib.request.urlopen(urllib.request.Request(url + path, headers={"Cookie": cookie}),
                                       timeout=30).read()
            except Exception as e:  # noqa: BLE001
                out[label] = {"skipped": "GET %s: %s" % (path, e)}
                continue
            r = subprocess.run([wrk, "-t2", "-c32", "-d%ds" % args.wrk_seconds, "--latency", "-H", "Cookie: " + cookie,
                                url + path],
                               capture_output=True, text=True)
            out[label] = parse_wrk(r.stdout) | {"path": path}
        return out
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def parse_wrk(text):
    def ms(v):
        m = re.match(r"([\d.]+)(us|ms|s)", v)
        x = float(m.group(1))
        return x / 1000 if m.group(2) == "us" else (x * 1000 if m.group(2) == "s" else x)
    res = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    res["rps"] = float(m.group(1)) if m else 0
    for q in ("50", "99"):
        m = re.search(r"\s%s%%\s+(\S+)" % q, text)
        res["p" + q + "_ms"] = ms(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    res["non2xx"] = int(m.group(1)) if m else 0
    return res


# ---------------------------------------------------------------- output

def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1024 / 1024
    return "%d cores (nproc), %s, %.1f GiB RAM, %s, %s" % (
        os.cpu_count(), cpu, mem, platform.platform(), dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


def table(results):
    L = []
    L.append("Machine: " + results[0].get("machine", machine()) + " (shared with other builds: timings are indicative)")
    L.append("")
    L.append("Rate-limit time: 'par' = buckets drain in parallel (max over buckets of requests/limit), with the "
             "time until the last 7 days are complete and its share; 'seq' = in the order seatkeeper sends them, each "
             "request paced by its tightest bucket (its sync is sequential), with the 7-day point; baselines on the same "
             "account: 'audits' = one /tickets/{id}/audits request per ticket touched (account limit), 'events' = the "
             "ticket event export alone (incremental limit). Professional excludes the audit-log source (Enterprise only).")
    L.append("")
    hdr = ["", *[r["size"] + (" (×%.2f)" % r["scale"] if r["scale"] != 1 else "") for r in results]]
    rows = []

    def row(label, f):
        rows.append([label, *[f(r) for r in results]])

    row("account", lambda r: "%d agents, %d users, %d tickets/day" % (r["agents"], r["users"], r["tickets_per_day"]))
    row("ticket events in 90 days (served)", lambda r: "{:,}".format(r["first"]["events"]))
    row("tickets touched in 90 days", lambda r: "{:,}".format(r["first"]["tickets_touched"]))
    for phase in ("first", "daily"):
        title = "90-day first sync" if phase == "first" else "daily sync"
        eps = sorted({ep for r in results for ep in r[phase]["by_endpoint"]})
        for ep in eps:
            def cell(r, ep=ep, phase=phase):
                s = r[phase]
                n = s["by_endpoint"].get(ep, 0)
                mn = s["minimum"].get(ep)
                if mn is None:
                    return "%d" % n
                return "%d / min %d (%.2f×)" % (n, mn, n / mn)
            row("%s: %s" % (title, ep), cell)
        row("%s: TOTAL requests / minimum" % title,
            lambda r, phase=phase: "%d / %d (%.3f×)" % (r[phase]["requests"], r[phase]["minimum_total"],
                                                       r[phase]["requests"] / r[phase]["minimum_total"]))
    for phase in ("first", "daily"):
        title = "90-day first sync" if phase == "first" else "daily sync"
        for plan in PLANS:
            for budget in (100, 50):
                key = "%s@%d" % (plan[0], budget)

                def cell(r, key=key, phase=phase):
                    b = r[phase]["bound"][key]
                    s = "par " + fmt_min(b["sync"])
                    if "last7" in b:
                        s += " (7 d: %s, %.0f%%)" % (fmt_min(b["last7"]), 100 * b["last7"] / b["sync"])
                    s += " · seq %s" % fmt_min(b["seq"])
                    if "seq_last7" in b:
                        s += " (7 d: %s)" % fmt_min(b["seq_last7"])
                    s += " · audits %s · events %s" % (fmt_min(b["audits_baseline"]), fmt_min(b["events_baseline"]))
                    return s
                row("%s: rate-limit time, %s %d %%" % (title, plan[0], budget), cell)
    for phase in ("first", "daily"):
        title = "90-day first sync" if phase == "first" else "daily sync"
        row("%s: seatkeeper CPU s (user+sys) / wall s" % title,
            lambda r, phase=phase: "%.2f (%.2f+%.2f) / %.2f" % (r[phase]["cpu_s"], r[phase]["user_s"],
                                                                 r[phase]["sys_s"], r[phase]["wall_s"]))
        row("%s: ticket events per seatkeeper CPU s" % title,
            lambda r, phase=phase: "{:,.0f}".format(r[phase]["events"] / max(r[phase]["cpu_s"], 1e-9)))
        row("%s: CPU s / wall s per million events" % title,
            lambda r, phase=phase: "%.2f / %.2f" % (1e6 * r[phase]["cpu_s"] / max(r[phase]["events"], 1),
                                                     1e6 * r[phase]["wall_s"] / max(r[phase]["events"], 1)))
        row("%s: seatkeeper peak RSS (ru_maxrss)" % title, lambda r, phase=phase: "%.1f MB" % r[phase]["maxrss_mb"])
        row("%s: zdsim CPU s; events served per zdsim CPU s" % title,
            lambda r, phase=phase: "%.2f; %s" % (r[phase]["sim_cpu_s"], "{:,.0f}".format(
                r[phase]["events"] / max(r[phase]["sim_cpu_s"], 0.01))))
    row("zdsim generation s / peak RSS", lambda r: "%.1f s / %.0f MB" % (r["sim_generate_s"], r["sim_rss_mb"]))
    for label, _ in DEFAULT_SERVE_PATHS:
        def cell(r, label=label):
            s = r.get("serve")
            if s is None:
                return "-"
            if "skipped" in s:
                return "skipped: " + s["skipped"]
            x = s.get(label, {})
            if "skipped" in x:
                return "skipped: " + x["skipped"]
            return "%.0f req/s, p50 %.2f ms, p99 %.2f ms%s" % (x["rps"], x["p50_ms"] or -1, x["p99_ms"] or -1,
                                                               ", %d non-2xx" % x["non2xx"] if x["non2xx"] else "")
        row("server (wrk, 32 conn): " + label, cell)
    widths = [max(len(str(x[i])) for x in [hdr] + rows) for i in range(len(hdr))]
    fmt = "| " + " | ".join("%%-%ds" % w for w in widths) + " |"
    L.append(fmt % tuple(hdr))
    L.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        L.append(fmt % tuple(r))
    return "\n".join(L)


DEFAULT_SERVE_PATHS = [("GET /api/users (100-user page)", "/api/users?limit=100"),
                       ("usage summary", "/api/usage/summary")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="build dir holding seatkeeper and zdsim")
    ap.add_argument("--sizes", default="small,large,huge")
    ap.add_argument("--fraction", type=float, default=1.0,
                    help="scale the huge account's users and ticket volume (extrapolate the rest)")
    ap.add_argument("--serve-size", default="large")
    ap.add_argument("--no-serve", action="store_true")
    ap.add_argument("--wrk-seconds", type=int, default=10)
    ap.add_argument("--json", help="also write raw results here")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the stores and logs")
    ap.add_argument("--from-json", help="only print the table of earlier --json results (comma-separated files)")
    ap.add_argument("--latency", action="store_true",
                    help="measure the first sync's wall time under rate limits and zdsim's latency model instead")
    ap.add_argument("--latency-window", type=int, default=6,
                    help="zdsim's rate-limit window in --latency runs (60 = real time; 6 = ten times faster)")
    ap.add_argument("--latency-modes", default="sequential,overlapped",
                    help="--latency: which syncs to run back to back, each on a fresh account "
                         "(sequential = `sync --sequential`, the order before issue #19 item 2)")
    ap.add_argument("--latency-fraction", type=float, default=1.0,
                    help="--latency: scale each account's users and ticket volume (agents kept)")
    ap.add_argument("--provisional", action="store_true",
                    help="measure connect's provisional seat verdict (time under latency, verdicts kept by the backfill)")
    ap.add_argument("--no-backfill", action="store_true", help="--provisional: the wall time only, no first sync")
    args = ap.parse_args()
    if args.provisional:
        bins = {b: os.path.join(args.bin, b) for b in ("seatkeeper", "zdsim")}
        results = [run_provisional(name, args, bins) for name in args.sizes.split(",")]
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1, default=str)
        print(provisional_table(results))
        for r in results:
            for c in r.get("changes") or []:
                print("- %s: %s" % (r["size"], c))
        return
    if args.latency:
        bins = {b: os.path.join(args.bin, b) for b in ("seatkeeper", "zdsim")}
        results = [run_latency(name, args, bins, mode) for name in args.sizes.split(",")
                   for mode in args.latency_modes.split(",")]
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1, default=str)
        print(latency_table(results))
        return
    if args.from_json:
        results = []
        for f in args.from_json.split(","):
            results += json.load(open(f))
        print(table(results))
        return
    args.serve_paths = DEFAULT_SERVE_PATHS
    bins = {b: os.path.join(args.bin, b) for b in ("seatkeeper", "zdsim")}
    results = []
    for name in args.sizes.split(","):
        t0 = time.monotonic()
        results.append(run_size(name, args, bins))
        log(name, "done in %.0f s" % (time.monotonic() - t0))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1, default=str)
    print(table(results))


if __name__ == "__main__":
    main()
