// Browser test of the web UI: zdsim + `seatkeeper serve` as real processes,
// headless Debian Chromium driven by playwright-core. Walks the admin's path:
// log in, connect with OAuth (read and take action), wait for the green
// tile, see the chart and the users table, filter to idle seats, downgrade
// one user through the confirmation dialog, act on a recommendation (its
// page, one click to its dry run, one confirm), add and test a reclaim policy,
// approve one of its proposals and reject another, find them in the audit log, then
// reconnect read-only and check actions are disabled and refused by the API.
// Then a second account (another zdsim) is added from the UI under its own
// name: two tiles, and selecting a tile shows that account's users.
//
//   SK_BUILD_DIR=build/h-web node --test web/tests/   (from the repo root)
//
// Env: SK_BUILD_DIR (holds seatkeeper and zdsim; default <repo>/build),
// SK_WEB_ARTIFACTS (screenshots; default $SK_BUILD_DIR/web-artifacts),
// CHROMIUM (default /usr/bin/chromium).
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:http";
import { chromium } from "playwright-core";

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(webDir, "..");
const buildDir = resolve(repo, process.env.SK_BUILD_DIR || "build");
const artifacts = resolve(process.env.SK_WEB_ARTIFACTS || join(buildDir, "web-artifacts"));
const seatkeeper = join(buildDir, "seatkeeper");
const zdsim = join(buildDir, "zdsim");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const PASSWORD = "browser-test-password";

const work = mkdtempSync(join(tmpdir(), "sk-ui-"));
const home = join(work, "home");
const children = [];
let context, page, base, simUrl, simUrl2;

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

async function waitFor(fn, what, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function start(cmd, args, env = {}) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.out = "";
  child.err = "";
  child.stdout.on("data", (d) => { child.out += d; });
  child.stderr.on("data", (d) => { child.err += d; });
  children.push(child);
  return child;
}

async function shot(name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

// Follows the Zendesk (zdsim) authorize page: approve, back to seatkeeper.
async function approveOnZendesk(zendesk = simUrl) {
  await page.waitForURL((u) => u.toString().startsWith(zendesk), { timeout: 15000 });
  await shot("zendesk-authorize");
  await page.click("button[name=approve]");
  await page.waitForURL((u) => u.toString().startsWith(base), { timeout: 15000 });
}

async function tileState() {
  return page.getAttribute("#zendesk-tile", "data-state").catch(() => null);
}

async function api(method, path, body) {
  return page.evaluate(async ([method, path, body]) => {
    const s = await (await fetch("/api/session")).json();
    const r = await fetch(path, { method, headers: { "X-CSRF-Token": s.csrf_token, "Content-Type": "application/json" },
      body: method === "GET" ? undefined : JSON.stringify(body) });
    return { status: r.status, body: await r.json() };
  }, [method, path, body]);
}

before(async () => {
  for (const bin of [seatkeeper, zdsim]) assert.ok(existsSync(bin), `${bin} is missing: build it first (SK_BUILD_DIR)`);
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install -y chromium`);
  assert.ok(existsSync(join(webDir, "vendor", "uplot.iife.min.js")), "web/vendor is missing: run npm install in web/");
  mkdirSync(artifacts, { recursive: true });
  mkdirSync(home, { recursive: true });

  const portFile = join(work, "zdsim.port");
  start(zdsim, ["serve", "--port", "0", "--port-file", portFile, "--seed", "11", "--users", "80", "--agents", "12",
    "--days", "20", "--tickets-per-day", "10", "--articles", "3", "--no-rate-limits",
    "--latency-scale", "0.0167"]);
  const simPort = await waitFor(() => existsSync(portFile) && readFileSync(portFile, "utf8").trim(), "zdsim's port file");
  simUrl = `http://127.0.0.1:${simPort}`;
  // The second account's Zendesk: other users, other email domain.
  const portFile2 = join(work, "zdsim2.port");
  start(zdsim, ["serve", "--port", "0", "--port-file", portFile2, "--seed", "29", "--subdomain", "globex", "--users", "40",
    "--agents", "6", "--days", "20", "--tickets-per-day", "5", "--articles", "1", "--no-rate-limits",
    "--latency-scale", "0.0167"]);
  const simPort2 = await waitFor(() => existsSync(portFile2) && readFileSync(portFile2, "utf8").trim(), "the second zdsim's port file");
  simUrl2 = `http://127.0.0.1:${simPort2}`;

  const env = { SEATKEEPER_HOME: home };
  const setpw = spawnSync(seatkeeper, ["admin", "set-password", "--password-file", "-"], { input: PASSWORD + "\n", env: { ...process.env, ...env } });
  assert.equal(setpw.status, 0, String(setpw.stderr));

  const sk = start(seatkeeper, ["serve", "--listen", "127.0.0.1:0", "--allow-local", "--web-root", webDir, "--no-schedule"], env);
  const line = await waitFor(() => /seatkeeper serving on (http:\/\/\S+)/.exec(sk.out), "seatkeeper serve to start");
  base = line[1];

  context = await chromium.launchPersistentContext(join(work, "chromium-profile"), {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  page = context.pages()[0] || (await context.newPage());
  page.on("pageerror", (e) => console.error("page error:", e.message));
  page.on("dialog", (d) => d.dismiss());
});

after(async () => {
  if (context) await context.close().catch(() => {});
  for (const c of children) c.kill("SIGTERM");
  await sleep(300);
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

test("admin connects, sees usage, downgrades an idle seat, then goes read-only", { timeout: 300000 }, async () => {
  // --- log in (a wrong password first)
  await page.goto(base + "/");
  await page.waitForSelector("#login-form");
  await shot("01-login");
  await page.fill("#password", "not the password");
  await page.click("#login-button");
  await page.waitForSelector("#login-form .banner.error");
  await page.fill("#password", PASSWORD);
  await page.click("#login-button");
  await page.waitForSelector("#zendesk-tile");
  assert.equal(await tileState(), "not-connected");
  await shot("02-overview-not-connected");

  // --- connect through OAuth with "read and take action"
  await page.click("#connect-button");
  await page.check("input[name=permission][value=read-write]");
  await page.click("#connect-next");
  await page.fill("#org-url", simUrl);
  await page.fill("#client-id", "seatkeeper");
  await page.fill("#client-secret", "zdsim-client-secret");
  await shot("03-connect");
  await page.click("#connect-submit");
  await approveOnZendesk();
  await page.waitForSelector("#zendesk-tile");
  await waitFor(async () => (await tileState()) === "synced", "the green (synced) tile", 180000);
  await page.waitForSelector("#chart .uplot", { timeout: 20000 });
  await page.waitForSelector("#idle-count");
  // Seat totals (issue #17): assigned and used paid seats, and the recommendations' seats freed.
  await page.waitForSelector("#seat-totals");
  assert.match(await page.textContent("#seat-totals"), /\d+ assigned, \d+ used · \d+ recommendations? free \d+ seats/);
  await shot("04-overview-synced");

  // --- a slowed-down sync shows the blue tile with progress and ETA
  const fault = await fetch(`${simUrl}/_sim/faults`, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ kind: "slow", delay_ms: 1200, count: 3 }) });
  assert.equal(fault.status, 200);
  await page.click("#sync-button");
  await waitFor(async () => (await tileState()) === "syncing", "the blue (syncing) tile", 15000);
  await page.waitForSelector("#sync-progress");
  assert.match(await page.textContent("#sync-progress"), /ETA/);
  await shot("04b-overview-syncing");
  await waitFor(async () => (await tileState()) === "synced", "the green tile after the manual sync", 120000);

  // --- idle paid seats -> users table
  // The overview re-renders once after a sync ends (its data changed); a
  // value typed into the card it replaces is gone, so type until it sticks.
  await waitFor(async () => {
    await page.waitForSelector("#idle-days");
    await page.fill("#idle-days", "7");
    await page.dispatchEvent("#idle-days", "change");
    return page.waitForSelector("#idle-seats-link[href*='inactive_days=7']", { timeout: 3000 }).then(() => true, () => false);
  }, "the idle seats card for 7 days", 60000);
  await page.click("#idle-seats-link");
  await page.waitForSelector("#users-table");
  assert.match(page.url(), /seat=true/);
  await shot("05-users-idle-seats");
  let agentLink = page.locator("#users-table tbody tr", { has: page.locator("td:nth-child(3)", { hasText: /^agent$/ }) }).first().locator("a").first();
  if ((await agentLink.count()) === 0) {
    await page.goto(base + "/#/users?role=agent&seat=true");
    await page.waitForSelector("#users-table tbody tr");
    agentLink = page.locator("#users-table tbody tr a").first();
  }
  // Sorting and the CSV link work on the table.
  await page.click("#users-table th[data-key=active_days]");
  assert.ok(await page.getAttribute("#csv-export", "href").then((h) => h.includes("format=csv")));

  // --- the user page: calendar, evidence, downgrade through the confirmation
  await agentLink.click();
  await page.waitForSelector("#activity-calendar");
  const userId = Number(page.url().split("/user/")[1]);
  const active = page.locator("#activity-calendar .day.active, #activity-calendar .day.login-only").first();
  if (await active.count()) {
    await active.click();
    await page.waitForSelector("#evidence ul");
  }
  await shot("06-user");
  // Permanent delete asks for the email before it can be confirmed.
  await page.click("#action-permanent-delete");
  await page.waitForSelector("#confirm-email");
  assert.equal(await page.isDisabled("#dialog-confirm"), true);
  await page.fill("#confirm-email", "someone-else@example.com");
  assert.equal(await page.isDisabled("#dialog-confirm"), true);
  await shot("07-permanent-delete-confirmation");
  await page.click("#dialog-cancel");

  await page.click("#action-downgrade");
  await page.waitForSelector("dialog[open] #outcome-summary");
  assert.match(await page.textContent("#dialog-body"), /Dry run/);
  await shot("08-downgrade-dry-run");
  // An agent holding non-closed tickets: the dialog names what Zendesk does
  // with them and the admin must choose before confirming.
  if (await page.locator("#ticket-choice").count()) {
    assert.match(await page.textContent("#dialog-body"), /hands them all to the acting admin/);
    assert.equal(await page.isDisabled("#dialog-confirm"), true);
    await page.check("#choice-let-zendesk");
    assert.equal(await page.isDisabled("#dialog-confirm"), false);
  }
  await page.click("#dialog-confirm");
  await page.waitForFunction(() => /: ok$/.test(document.getElementById("dialog-title").textContent));
  await shot("09-downgrade-done");
  await page.click("#dialog-confirm");
  await page.waitForFunction(() => !document.getElementById("dialog").open);
  const downgraded = await api("GET", `/api/users/${userId}`);
  assert.equal(downgraded.body.user.role, "end-user");
  // The user page's role history shows the downgrade: when, and that seatkeeper made it.
  await page.goto(base + `/#/user/${userId}`);
  await page.waitForSelector("#role-history tr[data-field=role]");
  const roleRow = await page.textContent("#role-history tr[data-field=role]");
  assert.match(roleRow, /→ end-user/);
  assert.match(roleRow, /\(seatkeeper\)/);
  await shot("09b-role-history");

  // --- recommendations (issue #17): the page, and a light-agent row's action
  // opened in one click with its dry run (the custom role chosen in the row).
  await page.goto(base + "/#/recommendations?seat_price=55");
  await page.waitForSelector("#recommendations");
  assert.match(await page.textContent("#rec-summary"), /saves \d+\.\d\d per month/);
  const lightRow = page.locator("#recommendations tr[data-kind=light-agent]").first();
  assert.ok(await lightRow.count(), "zdsim's cast has agents who only read or write private notes");
  const lightId = Number(await lightRow.getAttribute("data-user"));
  assert.ok(await lightRow.locator("select").count(), "the light-agent custom role is a choice");
  if (await page.locator("#recommendations tr[data-kind=end-user]").count()) {
    assert.ok(await page.locator("#recommendations tr[data-kind=end-user] button", { hasText: "Offboard" }).count(),
      "a downgrade to end user offers the offboard plan");
  }
  await shot("09c-recommendations");
  await lightRow.locator("button.rec-act").click();
  await page.waitForSelector("dialog[open] #outcome-summary");
  assert.match(await page.textContent("#dialog-body"), /Dry run/);
  assert.match(await page.textContent("#dialog-body"), /custom role \d+/);
  await shot("09d-recommendation-dry-run");
  if (await page.locator("#ticket-choice").count()) await page.check("#choice-let-zendesk");
  await page.click("#dialog-confirm");
  await page.waitForFunction(() => /: ok$/.test(document.getElementById("dialog-title").textContent));
  await page.click("#dialog-confirm");
  await page.waitForFunction(() => !document.getElementById("dialog").open);
  const light = await api("GET", `/api/users/${lightId}`);
  assert.equal(light.body.user.license, "light-agent");
  // The page re-reads the recommendations after the dialog closes: wait for
  // the acted-on row to go rather than reading the table before it is redrawn.
  const actedRow = page.locator(`#recommendations tr[data-user="${lightId}"]`);
  await actedRow.waitFor({ state: "detached", timeout: 30000 }).catch(() => {});
  await page.waitForSelector("#recommendations");
  assert.equal(await actedRow.count(), 0, "acted on: no longer recommended");

  // --- create a user through the same confirmation
  await page.goto(base + "/#/users");
  await page.waitForSelector("#users-table tbody tr");
  await page.click("#create-user");
  await page.fill("#new-name", "Grace Hopper");
  await page.fill("#new-email", "grace.hopper@example.com");
  await page.selectOption("#new-role", "agent");
  await page.click("#dialog-confirm");
  await page.waitForSelector("dialog[open] #outcome-summary");
  assert.match(await page.textContent("#dialog-body"), /Dry run/);
  await page.click("#dialog-confirm");
  await page.waitForFunction(() => /: ok$/.test(document.getElementById("dialog-title").textContent));
  await page.click("#dialog-confirm");
  await page.fill("#user-search", "grace.hopper");
  await page.dispatchEvent("#user-search", "change");
  await page.waitForSelector("#users-table tbody tr:has-text('grace.hopper@example.com')");

  // --- notifications: a webhook set up from the CLI (its URL from the
  // environment) receives a test message and the web actions above; the
  // audit page shows the deliveries, never the webhook's path.
  const received = [];
  const hook = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => { body += d; });
    req.on("end", () => { received.push(JSON.parse(body)); res.end("ok"); });
  });
  await new Promise((r) => hook.listen(0, "127.0.0.1", r));
  const hookUrl = `http://127.0.0.1:${hook.address().port}/hook/T0/B0/browser-secret-path`;
  const cliEnv = { ...process.env, SEATKEEPER_HOME: home, SEATKEEPER_WEBHOOK_URL: hookUrl };
  // Not spawnSync: this process must answer the webhook meanwhile.
  const run = (args) => new Promise((resolve) => {
    const c = spawn(seatkeeper, args, { env: cliEnv, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    c.stderr.on("data", (d) => { err += d; });
    c.on("close", (status) => resolve({ status, err }));
  });
  const set = await run(["notify", "set", "--webhook-env"]);
  assert.equal(set.status, 0, set.err);
  const sent = await run(["notify", "deliver"]);
  assert.equal(sent.status, 0, sent.err);
  assert.ok(received.some((e) => e.event === "action.done" && /set-role/.test(e.text)), JSON.stringify(received));
  hook.close();

  // --- a reclaim policy: added and tested from the proposals page; a sync
  // proposes its matches; one proposal approved, one rejected with a reason
  await page.goto(base + "/#/proposals");
  await page.waitForSelector("#add-policy");
  await page.click("#add-policy");
  await page.fill("#policy-name", "all-agents");
  await page.selectOption("#policy-action", "downgrade-end-user");
  await page.fill("#policy-license", "agent");
  await page.fill("#policy-last_active_before", "2100-01-01");
  await page.check("#policy-let_zendesk_reassign");
  await page.click("#dialog-confirm");
  await page.waitForSelector("dialog[open] #outcome-summary");
  assert.match(await page.textContent("#dialog-body"), /would add policy all-agents/);
  await page.click("#dialog-confirm");
  await page.waitForFunction(() => /: ok$/.test(document.getElementById("dialog-title").textContent));
  await page.click("#dialog-confirm");
  await page.waitForSelector("#policies-table tr[data-policy=all-agents]");
  await page.click("#policies-table tr[data-policy=all-agents] .policy-test");
  await page.waitForSelector("#policy-test-summary");
  assert.match(await page.textContent("#policy-test-summary"), /Nothing was changed/);
  const tested = await api("GET", "/api/policies/test?name=all-agents");
  assert.ok(tested.body.matches.length >= 2, JSON.stringify(tested.body));
  assert.equal(await page.locator("#policy-test-table tbody tr").count(), tested.body.matches.length);
  await shot("10a-policy-test");
  await page.click("#dialog-confirm");
  assert.equal((await api("GET", "/api/proposals")).body.length, 0, "policy test proposed something");
  assert.equal((await api("POST", "/api/sync", {})).status < 300, true);
  await waitFor(async () => (await api("GET", "/api/proposals?state=pending")).body.length >= 2, "the sync's proposals", 120000);
  await page.goto(base + "/#/overview");
  await page.goto(base + "/#/proposals");
  await page.waitForSelector("#proposals-table tr[data-state=pending]");
  const pending = (await api("GET", "/api/proposals?state=pending")).body;
  const [toApprove, toReject] = pending;
  await page.click(`#proposals-table tr[data-proposal="${toApprove.id}"] .proposal-approve`);
  await page.waitForSelector("dialog[open] #outcome-summary");
  assert.match(await page.textContent("#dialog-body"), /Dry run/);
  await page.click("#dialog-confirm");
  await page.waitForFunction(() => /: ok$/.test(document.getElementById("dialog-title").textContent));
  await page.click("#dialog-confirm");
  await page.waitForSelector(`#proposals-table tr[data-proposal="${toApprove.id}"][data-state=approved]`);
  await page.click(`#proposals-table tr[data-proposal="${toReject.id}"] .proposal-reject`);
  await page.fill("#reject-reason", "covers the night shift");
  await page.click("#dialog-confirm");
  await page.waitForSelector("dialog[open] #outcome-summary");
  await page.click("#dialog-confirm");
  await page.waitForFunction(() => /: ok$/.test(document.getElementById("dialog-title").textContent));
  await page.click("#dialog-confirm");
  await page.waitForSelector(`#proposals-table tr[data-proposal="${toReject.id}"][data-state=rejected]`);
  assert.match(await page.textContent(`#proposals-table tr[data-proposal="${toReject.id}"]`), /covers the night shift/);
  await shot("10b-proposals");
  const decided = Object.fromEntries((await api("GET", "/api/proposals")).body.map((p) => [p.id, p]));
  assert.equal(decided[toApprove.id].state, "approved");
  assert.equal(decided[toApprove.id].decided_by, "web:admin");
  assert.equal(decided[toReject.id].reason, "covers the night shift");
  // Approved is not run: it waits out the grace period (7 days).
  assert.equal((await api("GET", `/api/users/${toApprove.user_id}`)).body.user.role, "agent");

  // --- audit log shows it
  await page.goto(base + "/#/audit");
  await page.waitForSelector("#audit-table");
  const auditText = await page.textContent("#audit-table");
  assert.match(auditText, /web:admin/);
  assert.match(auditText, /set-role/);
  assert.match(auditText, /user\.create/);
  await page.waitForSelector("#notifications-table");
  const notesText = await page.textContent("#notifications");
  assert.match(notesText, /action\.done/);
  assert.match(await page.textContent("#notification-counts"), /0 failed/);
  assert.doesNotMatch(notesText, /browser-secret-path/);

  assert.match(auditText, /proposal\.approve/);
  await shot("10-audit");

  await page.goto(base + "/#/capabilities");
  await page.waitForSelector("#capabilities-table tbody tr");
  await shot("11-capabilities");

  // --- reconnect read-only (the stored OAuth client is reused)
  await page.goto(base + "/#/overview");
  await page.waitForSelector("#reconnect-button");
  await page.click("#reconnect-button");
  await page.check("input[name=permission][value=read]");
  await page.click("#connect-next");
  await page.click("#connect-submit");
  await approveOnZendesk();
  await page.waitForSelector("#zendesk-tile");
  await waitFor(async () => (await tileState()) === "synced", "the green tile after reconnecting", 180000);
  const status = await api("GET", "/api/status");
  assert.equal(status.body.permission, "read");
  await shot("12-overview-read-only");

  await page.goto(base + `/#/user/${userId}`);
  await page.waitForSelector("#read-only-note");
  assert.equal(await page.isDisabled("#action-agent"), true);
  const buttons = page.locator("#user-actions button");
  assert.ok((await buttons.count()) >= 3);
  for (let i = 0; i < (await buttons.count()); i++) assert.equal(await buttons.nth(i).isDisabled(), true);
  await shot("13-user-read-only");
  const refused = await api("POST", "/api/actions/set-role", { dry_run: false, user_id: userId, role: "agent" });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.result, "refused");
  assert.match(refused.body.error, /read/);

  // --- logging out ends the session
  await page.click("#logout");
  await page.waitForSelector("#login-form");
  const anon = await page.evaluate(async () => (await fetch("/api/status")).status);
  assert.equal(anon, 401);
});

async function accountTileState(name) {
  return page.getAttribute(`#account-tiles [data-account="${name}"]`, "data-state").catch(() => null);
}

async function usersTableText() {
  await page.waitForSelector("#users-table tbody tr");
  return page.textContent("#users-table");
}

test("a second account is added from the UI; each tile shows its own account", { timeout: 300000 }, async () => {
  // Start signed out whatever the first test left behind (it signs out at its
  // end, but not when it failed half-way).
  await context.clearCookies();
  await page.goto(base + "/#/overview");
  await page.reload();
  await page.waitForSelector("#login-form");
  await page.fill("#password", PASSWORD);
  await page.click("#login-button");
  await page.waitForSelector("#account-tiles");
  assert.equal(await page.locator("#account-tiles [data-account]").count(), 1);

  // --- add "globex" (read only) from the tile list
  await page.click("#add-account");
  await page.check("input[name=permission][value=read]");
  await page.click("#connect-next");
  assert.equal(await page.inputValue("#account-name"), "");
  await page.fill("#account-name", "globex");
  await page.fill("#org-url", simUrl2);
  await page.fill("#client-id", "seatkeeper");
  await page.fill("#client-secret", "zdsim-client-secret");
  await shot("14-add-account");
  await page.click("#connect-submit");
  await approveOnZendesk(simUrl2);
  await page.waitForSelector("#account-tiles [data-account=globex]");
  await waitFor(async () => (await accountTileState("globex")) === "synced", "the second account's green tile", 180000);
  assert.equal(await page.locator("#account-tiles [data-account]").count(), 2);
  // Just connected: the new account is the selected one.
  assert.equal(await page.getAttribute("#account-tiles [data-account=globex]", "aria-pressed"), "true");
  assert.match(await page.textContent("#account-tiles [data-account=globex]"), /agent/);
  await page.waitForSelector("#chart .uplot", { timeout: 20000 });
  await shot("15-two-accounts");

  // --- the first tile: the first account's users
  await page.click("#account-tiles [data-account=default]");
  await page.waitForSelector("#account-tiles [data-account=default][aria-pressed=true]");
  assert.match(await page.textContent("#current-account"), /default/);
  await page.click("[data-nav=users]");
  let text = await usersTableText();
  assert.match(text, /owner@acme\.test/);
  assert.doesNotMatch(text, /@globex\.test/);

  // --- the second tile: the second account's users, chart, capabilities and audit
  await page.click("[data-nav=overview]");
  await page.click("#account-tiles [data-account=globex]");
  await page.waitForSelector("#account-tiles [data-account=globex][aria-pressed=true]");
  await page.waitForSelector("#zendesk-tile[data-state=synced]");
  assert.ok((await page.textContent("#zendesk-tile")).includes(simUrl2));
  await page.click("[data-nav=users]");
  await page.waitForFunction(() => /@globex\.test/.test(document.getElementById("users-table")?.textContent || ""));
  text = await usersTableText();
  assert.match(text, /owner@globex\.test/);
  assert.doesNotMatch(text, /@acme\.test/);
  assert.match(await page.getAttribute("#csv-export", "href"), /account=globex/);
  await shot("16-users-second-account");
  await page.click("[data-nav=audit]");
  await page.waitForSelector("main >> text=No actions recorded yet.");
  // The choice survives a reload.
  await page.reload();
  await page.click("[data-nav=users]");
  await page.waitForFunction(() => /owner@globex\.test/.test(document.getElementById("users-table")?.textContent || ""));
});
