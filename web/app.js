// seatkeeper web UI: a small single-page app over the REST API (/api/).
// No framework: hash routes (#/overview, #/users, #/user/ID, #/recommendations,
// #/proposals, #/connect, #/capabilities, #/audit), DOM built with h() (never innerHTML with data).
// Many accounts: the overview shows one tile per account (GET /api/accounts);
// the selected one (state.account, kept in localStorage, or picked by an
// `account=` parameter of the hash route) is sent as ?account= on every
// account-scoped API call, in api() only.
"use strict";

const LICENSES = ["admin", "agent", "light-agent", "contributor", "billing-admin", "chat-agent", "end-user"];
const LICENSE_COLORS = {
  admin: "#7a5af8", agent: "#2f6fed", "light-agent": "#12b76a", contributor: "#f79009",
  "billing-admin": "#ee46bc", "chat-agent": "#0ba5ec", "end-user": "#98a2b3",
};

const state = { csrf: null, status: null, pollTimer: null, chart: null, gen: 0, account: null, accounts: null, polls: 0 };
const ACCOUNT_KEY = "seatkeeper.account";
// Routes about the deployment, not one account: no ?account= for them.
const UNSCOPED = ["/api/login", "/api/logout", "/api/session", "/api/accounts", "/api/openapi.json", "/api/operations"];
const app = () => document.getElementById("app");

// --- helpers ---------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// `path` with the selected account as ?account=, unless it names one already.
function forAccount(path) {
  const bare = path.split("?")[0];
  if (!state.account || UNSCOPED.includes(bare) || /[?&]account=/.test(path)) return path;
  return `${path}${path.includes("?") ? "&" : "?"}account=${encodeURIComponent(state.account)}`;
}

async function api(method, path, body, headers = {}) {
  path = forAccount(path);
  const opts = { method, headers: { ...headers }, credentials: "same-origin" };
  if (method !== "GET") {
    opts.headers["X-CSRF-Token"] = state.csrf || "";
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body || {});
  }
  const res = await fetch(path, opts);
  let data = null;
  const text = await res.text();
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text }; }
  if (res.status === 401 && path !== "/api/login") {
    state.csrf = null;
    showLogin();
    throw new ApiError(401, data);
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

function hashRoute() {
  const raw = location.hash.replace(/^#/, "") || "/overview";
  const [path, query] = raw.split("?");
  return { path, params: new URLSearchParams(query || "") };
}

function fmtDuration(s) {
  if (s === null || s === undefined || s < 0) return "unknown";
  s = Math.round(s);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

function fmtTime(iso) { return iso ? iso.replace("T", " ").replace("Z", " UTC") : "never"; }

function errorBanner(err) { return h("div", { class: "banner error", role: "alert" }, err.message || String(err)); }

function setNav(name) {
  document.querySelectorAll("[data-nav]").forEach((a) => a.classList.toggle("active", a.dataset.nav === name));
}

function stopPolling() {
  if (state.pollTimer) clearTimeout(state.pollTimer);
  state.pollTimer = null;
}

function canAct() { return state.status && state.status.permission === "read-write" && state.status.state !== "not-connected"; }

// --- accounts -------------------------------------------------------------------

function selectAccount(name) {
  if (name === state.account) return false;
  state.account = name;
  state.status = null;
  try { localStorage.setItem(ACCOUNT_KEY, name); } catch { /* private mode */ }
  showAccountName();
  return true;
}

function showAccountName() {
  const el = document.getElementById("current-account");
  const many = state.accounts && state.accounts.length > 1;
  el.hidden = !state.account || !many;
  el.textContent = state.account ? `Account: ${state.account}` : "";
}

// Loads the account list; keeps the selection when it still exists, else
// picks the remembered one, the server's default, or the first.
async function loadAccounts() {
  const list = await api("GET", "/api/accounts");
  state.accounts = list;
  const names = list.map((a) => a.name);
  if (!state.account || !names.includes(state.account)) {
    let remembered = null;
    try { remembered = localStorage.getItem(ACCOUNT_KEY); } catch { /* private mode */ }
    const def = list.find((a) => a.default);
    const pick = names.includes(remembered) ? remembered : def ? def.name : names[0];
    if (pick) selectAccount(pick);
  }
  showAccountName();
  return list;
}

const STATE_LABELS = { "not-connected": "Not connected", connected: "Connected", syncing: "Syncing", synced: "Synced", error: "Error" };

function seatsLine(seats) {
  if (!seats) return "No seats synced yet";
  const parts = [`${seats.agents} agent${seats.agents === 1 ? "" : "s"}`, `${seats.admins} admin${seats.admins === 1 ? "" : "s"}`,
    `${seats.light_agents} light agent${seats.light_agents === 1 ? "" : "s"}`];
  const apart = seats.probable_integrations ? ` · ${seats.probable_integrations} probable integration account${seats.probable_integrations === 1 ? "" : "s"} (API use only)` : "";
  const provisional = seats.verdict === 'provisional' ? ' (provisional: the first sync confirms it)' : '';
  return `${parts.join(' · ')} · ${seats.idle} of ${seats.paid} paid seats idle ${seats.idle_days}+ days${
      apart}${provisional}`;
}

// One small tile per account; clicking one selects it.
function accountTiles(list) {
  const tiles = list.map((a) => {
    const sync = a.sync || {};
    const shown = a.syncing && a.state !== "error" ? "syncing" : a.state;
    const pct = Math.round((sync.fraction || 0) * 100);
    const selected = a.name === state.account;
    return h("button", { type: "button", class: `card tile account-tile${selected ? " selected" : ""}`, "data-account": a.name,
      "data-state": shown, "aria-pressed": selected ? "true" : "false", onclick: () => {
        // The plain overview: an account= left in the hash would select it again.
        const changed = selectAccount(a.name);
        if (location.hash !== "#/overview") location.hash = "#/overview";
        else if (changed) route();
      } },
      h("div", { class: "account-name" }, h("span", { class: "dot" }), a.name, " · ", h("span", { class: "account-state" }, STATE_LABELS[shown] || shown)),
      h("div", { class: "muted account-url" }, a.url || "Zendesk not connected"),
      a.state === "not-connected" ? "" : h("div", { class: "muted" },
        `Last sync: ${fmtTime(a.last_sync_at)}`, a.last_result ? ` (${a.last_result})` : "",
        a.lease_owner && !sync.running ? ` · syncing in ${a.lease_owner}` : ""),
      sync.running ? h("div", { class: "progress" }, h("div", { style: `width:${pct}%` })) : "",
      sync.running ? h("div", { class: "muted" }, `${sync.phase || "starting"} · ${pct}%`) : "",
      a.state === "not-connected" ? "" : h("div", { class: "account-seats" }, seatsLine(a.seats)));
  });
  // Nothing connected yet: the integration tile's Connect button is the way in.
  if (list.some((a) => a.state !== "not-connected"))
    tiles.push(h("a", { class: "card tile account-tile add-account", href: "#/connect?new=1", id: "add-account" },
      h("div", { class: "account-name" }, "+ Add a Zendesk account"),
      h("div", { class: "muted" }, "Connect another Zendesk under its own name.")));
  return h("section", { class: "account-tiles", id: "account-tiles", "aria-label": "Zendesk accounts" }, tiles);
}

// --- login ------------------------------------------------------------------

function showLogin(message) {
  stopPolling();
  document.getElementById("top").hidden = true;
  const err = h("div");
  if (message) err.append(h("div", { class: "banner error" }, message));
  const pw = h("input", { type: "password", id: "password", name: "password", autocomplete: "current-password", required: true });
  const form = h("form", { class: "card", id: "login-form", onsubmit: async (e) => {
    e.preventDefault();
    err.replaceChildren();
    try {
      const r = await api("POST", "/api/login", { password: pw.value });
      state.csrf = r.csrf_token;
      document.getElementById("top").hidden = false;
      await loadAccounts().catch(() => { /* the overview shows the error */ });
      if (!location.hash || location.hash === "#/login") location.hash = "#/overview";
      else route();
    } catch (ex) {
      err.append(errorBanner(ex.status === 401 ? new Error("Wrong password.") : ex));
    }
  } },
  h("h1", {}, "Log in to seatkeeper"),
  err,
  h("label", {}, h("span", {}, "Admin password"), pw),
  h("button", { type: "submit", class: "primary", id: "login-button" }, "Log in"));
  app().replaceChildren(h("div", { style: "max-width:420px;margin:4rem auto" }, form));
  pw.focus();
}

// --- the Zendesk integration tile --------------------------------------------

function fixFor(error) {
  const e = (error || "").toLowerCase();
  if (e.includes("unauthenticated") || e.includes("invalid_grant") || e.includes("401") || e.includes("token"))
    return "The authorization is no longer valid: reconnect the account.";
  if (e.includes("ip restriction") || e.includes("forbidden") || e.includes("403"))
    return "Zendesk refused access: allow this server's IP address in Zendesk's IP restrictions, or connect as an admin, then sync again.";
  if (e.includes("rate") || e.includes("429")) return "Zendesk's rate limit was exhausted: lower other integrations' load or wait, then sync again.";
  if (e.includes("unavailable") || e.includes("network") || e.includes("timeout"))
    return "Zendesk could not be reached: check the network, then sync again.";
  return "Fix the cause above, then press Sync now (the sync resumes where it stopped) or reconnect.";
}

function tile(st) {
  const s = st.state;
  const sync = st.sync || {};
  const label = { "not-connected": "Not connected", connected: "Connected", syncing: "Syncing", synced: "Synced", error: "Error" }[s] || s;
  const body = [];
  if (s === "not-connected") {
    body.push(h("p", { class: "muted" }, "Connect your Zendesk account to see who uses their seats."));
  } else {
    body.push(h("p", {}, h("strong", {}, st.url), " · ", st.permission === "read-write" ? "read and take action" : "read only",
      st.plan ? ` · plan ${st.plan}` : "", st.connecting_user_email ? ` · as ${st.connecting_user_email}` : ""));
    body.push(h("p", { class: "muted" }, `Last sync: ${fmtTime(st.last_sync_at)}`,
      sync.next_scheduled_at ? ` · next daily sync ${fmtTime(sync.next_scheduled_at)}` : ""));
  }
  if (sync.running || s === "syncing") {
    const pct = Math.round((sync.fraction || 0) * 100);
    body.push(h("div", { class: "progress", role: "progressbar", "aria-valuenow": pct, "aria-valuemin": 0, "aria-valuemax": 100 },
      h("div", { style: `width:${pct}%` })));
    body.push(h("p", { class: "muted", id: "sync-progress" }, `${sync.phase || "starting"}: ${sync.records || 0} records, ${pct}% · ETA ${fmtDuration(sync.eta_seconds)}`));
  }
  // Credentials about to lapse (API token retirement or idleness, refresh token expiry).
  for (const w of st.warnings || []) {
    body.push(h("div", { class: `banner ${w.severity === "error" ? "error" : "warning"} credential-warning`, "data-kind": w.kind },
      h("strong", {}, w.severity === "error" ? "Credentials: " : "Warning: "), w.message,
      " Reconnect with the ", h("a", { href: "#/connect", class: "reconnect-link" }, "Reconnect / change permission"),
      " button, or run ", h("code", {}, w.reconnect && w.reconnect.cli)));
  }
  if (s === "error") {
    body.push(h("div", { class: "banner error", id: "tile-error" }, h("strong", {}, "Reason: "), st.error || "unknown"));
    body.push(h("p", {}, h("strong", {}, "Fix: "), fixFor(st.error)));
  }
  const buttons = h("div", { class: "actions" });
  if (s === "not-connected") {
    buttons.append(h("a", { class: "button primary", href: "#/connect", id: "connect-button" }, "Connect Zendesk"));
  } else {
    buttons.append(h("button", { type: "button", id: "sync-button", disabled: sync.running || s === "syncing", onclick: async () => {
      try { await api("POST", "/api/sync", {}); } catch (ex) { alert(ex.message); }
      refreshOverview();
    } }, "Sync now"));
    buttons.append(h("a", { class: "button", href: "#/connect", id: "reconnect-button" }, "Reconnect / change permission"));
  }
  return h("section", { class: "card tile", id: "zendesk-tile", "data-state": sync.running && s !== "error" ? "syncing" : s },
    h("h2", {}, h("span", { class: "dot" }), "Zendesk integration · ",
      state.accounts && state.accounts.length > 1 ? h("span", { id: "tile-account" }, `${state.account} · `) : "",
      h("span", { id: "tile-state" }, label)),
    body, buttons);
}

// --- overview -----------------------------------------------------------------

async function refreshOverview() {
  stopPolling();
  if (hashRoute().path !== "/overview") return;
  const gen = state.gen;
  try {
    const st = await api("GET", "/api/status");
    if (gen !== state.gen) return;  // navigated away meanwhile
    state.status = st;
    const old = document.getElementById("zendesk-tile");
    if (old) old.replaceWith(tile(st));
    const busy = st.state === "syncing" || (st.sync && st.sync.running);
    const wasBusy = old && old.dataset.state === "syncing";
    // The tile list: every poll while some account syncs, else every fifth.
    const anyBusy = busy || wasBusy || (state.accounts || []).some((a) => a.syncing);
    if (anyBusy || ++state.polls % 5 === 0) {
      const list = await loadAccounts();
      if (gen !== state.gen) return;
      const oldTiles = document.getElementById("account-tiles");
      if (oldTiles) oldTiles.replaceWith(accountTiles(list));
    }
    if (wasBusy && !busy) return renderOverview(hashRoute().params);  // the data changed
  } catch (ex) { /* shown on the next render */ }
  state.pollTimer = setTimeout(refreshOverview, 1500);
}

async function renderOverview(params) {
  setNav("overview");
  const gen = state.gen;
  const list = await loadAccounts();
  const st = await api("GET", "/api/status");
  if (gen !== state.gen) return;
  state.status = st;
  const parts = [h("h1", {}, "Overview"), accountTiles(list)];
  if (params.get("connect_error")) parts.push(h("div", { class: "banner error", id: "connect-error" }, "Connecting failed: ", params.get("connect_error")));
  if (params.get("connected")) parts.push(h("div", { class: "banner ok", id: "connected-banner" }, `Connected to ${st.url || "Zendesk"} (${st.permission === "read-write" ? "read and take action" : "read only"}).`));
  parts.push(tile(st));
  const body = h("div");
  parts.push(body);
  app().replaceChildren(...parts);
  state.pollTimer = setTimeout(refreshOverview, 1500);
  if (st.state === "not-connected" || !st.last_sync_at) {
    if (st.state !== "not-connected") body.append(h("p", { class: "muted" }, "Reports appear when the first sync has finished."));
    return;
  }
  const chartCard = h("section", { class: "card" }, h("h2", {}, "Daily active users by license type"), h("div", { id: "chart" }));
  const seatsCard = h("section", { class: "card", id: "idle-seats" }, h("h2", {}, "Idle paid seats"));
  body.append(chartCard, seatsCard);
  const [summary] = await Promise.all([api("GET", "/api/usage/summary"), renderSeats(seatsCard)]);
  if (gen !== state.gen) return;
  drawChart(document.getElementById("chart"), summary);
}

function drawChart(el, summary) {
  el.replaceChildren();
  if (!summary.length) { el.append(h("p", { class: "muted" }, "No usage in the window yet.")); return; }
  const present = LICENSES.filter((l) => summary.some((d) => (d.by_license || {})[l]));
  const xs = summary.map((d) => Date.parse(d.date + "T00:00:00Z") / 1000);
  const data = [xs, ...present.map((l) => summary.map((d) => (d.by_license || {})[l] || 0)), summary.map((d) => d.idle_paid_seats)];
  el.dataset.days = String(summary.length);
  if (typeof uPlot === "undefined") {
    el.append(h("p", { class: "muted" }, "Chart library missing: run `npm install` in web/."));
    return;
  }
  const width = Math.max(320, el.clientWidth || 800);
  const opts = {
    width, height: 300,
    scales: { x: { time: true } },
    series: [{}, ...present.map((l) => ({ label: l, stroke: LICENSE_COLORS[l], width: 2 })),
      { label: "idle paid seats", stroke: "#d92d20", dash: [6, 4], width: 1 }],
    axes: [{}, { label: "users" }],
  };
  state.chart = new uPlot(opts, data, el);
}

async function renderSeats(card, days = 30, price = "") {
  const q = new URLSearchParams({ inactive_days: days });
  if (price !== "") q.set("seat_price", price);
  const r = await api("GET", `/api/seats?${q}`);
  const daysIn = h("input", { type: "number", min: 1, max: 3650, value: days, id: "idle-days", style: "width:6rem" });
  const priceIn = h("input", { type: "number", min: 0, step: "0.01", value: price, id: "seat-price", placeholder: "e.g. 55", style: "width:7rem" });
  const apply = () => renderSeats(card, Number(daysIn.value) || 30, priceIn.value);
  daysIn.addEventListener("change", apply);
  priceIn.addEventListener("change", apply);
  const rows = r.users.slice(0, 10).map((u) => h("tr", {},
    h("td", {}, h("a", { href: `#/user/${u.id}` }, u.name)), h("td", {}, u.email || ""), h("td", {}, u.license),
    h("td", {}, u.last_active_date || "none in window")));
  card.replaceChildren(
    h("h2", {}, "Idle paid seats"),
    h("div", { class: "filters" },
      h("label", {}, h("span", {}, "No activity for (days)"), daysIn),
      h("label", {}, h("span", {}, "Monthly price per seat"), priceIn)),
    r.verdict === "provisional" ? h("p", { id: "seat-verdict", class: "muted" },
      `Provisional verdict (${r.provisional.at}): idle candidates from sign-ins, articles and recent tickets; the first sync's backfill confirms or corrects it.`) : "",
    r.verdict_confirmation && r.verdict_confirmation.changed ? h("p", { id: "seat-verdict-changes", class: "muted" },
      `The first sync changed ${r.verdict_confirmation.changed} of ${r.verdict_confirmation.compared} provisional verdicts: `,
      r.verdict_confirmation.changes.map((c) => `${c.name}: ${c.summary}`).join("; ")) : "",
    h("p", {}, h("span", { class: "stat", id: "idle-count" }, r.idle_paid_seats), ` of ${r.paid_seats} paid seats ${r.verdict === "provisional" ? "idle candidates" : "idle"} for ${r.inactive_days}+ days`,
      r.monthly_savings !== undefined ? h("span", { id: "savings" }, ` · reclaiming them saves ${r.monthly_savings.toFixed(2)} per month`) : ""),
    r.totals ? h("p", { id: "seat-totals" }, `Paid seats: ${r.totals.purchased === null ? "? purchased (seatkeeper config seats --purchased-seats N)" : `${r.totals.purchased} purchased`}, ${r.totals.assigned} assigned, ${r.totals.used} used · `,
      h("a", { href: `#/recommendations?min_idle_days=${r.inactive_days}${price !== "" ? `&seat_price=${encodeURIComponent(price)}` : ""}`, id: "recommendations-link" },
        `${r.totals.recommendations} recommendation${r.totals.recommendations === 1 ? "" : "s"} free ${r.totals.recommended_seats_freed} seats`),
      r.totals.recommendations_saving !== null ? h("span", { id: "recommendations-saving" }, ` and save ${r.totals.recommendations_saving.toFixed(2)} per month`) : "") : "",
    rows.length ? h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Email"), h("th", {}, "License"), h("th", {}, "Last active"))), h("tbody", {}, rows)) : "",
    (r.probable_integrations || []).length ? h("p", { id: "integration-seats" }, `Listed apart — probable integration accounts on paid seats (only API use in the window): `,
      ...r.probable_integrations.map((u, i) => [i ? ", " : "", h("a", { href: `#/user/${u.id}` }, u.name)]).flat()) : "",
    h("p", {}, h("a", { href: `#/users?seat=true&inactive_days=${r.inactive_days}`, id: "idle-seats-link" }, "Show all idle paid seats in the users table →")));
}

// --- connect --------------------------------------------------------------------

// `params.new`: add an account under a new name; otherwise (re)connect the
// selected one (its name can still be changed while it is not connected).
async function renderConnect(params) {
  setNav("overview");
  const isNew = params.get("new") === "1";
  const st = isNew ? {} : state.status || (await api("GET", "/api/status"));
  const title = isNew ? "Add a Zendesk account" : "Connect Zendesk";
  let permission = st.permission || "read-write";
  const root = h("div");
  const step1 = () => {
    const choice = (value, title, text) => h("label", { class: "choice" },
      h("input", { type: "radio", name: "permission", value, checked: permission === value, onchange: () => { permission = value; } }),
      h("strong", {}, title), h("div", { class: "muted" }, text));
    root.replaceChildren(
      h("h1", {}, title),
      h("div", { class: "steps" }, h("span", { class: "current" }, "1. Permission level"), h("span", {}, "2. Organisation")),
      h("section", { class: "card" },
        h("h2", {}, "What may seatkeeper do?"),
        choice("read", "Read", "Sync users and usage only. Actions are refused."),
        choice("read-write", "Read and take action", "Also create, delete, downgrade/upgrade users and reassign tickets (each with a confirmation)."),
        h("div", { class: "actions" },
          h("a", { class: "button", href: "#/overview" }, "Cancel"),
          h("button", { type: "button", class: "primary", id: "connect-next", onclick: step2 }, "Next"))));
  };
  const step2 = () => {
    const err = h("div");
    const fixedName = !isNew && st.state && st.state !== "not-connected";
    const name = h("input", { type: "text", id: "account-name", required: true, maxlength: 64, autocomplete: "off",
      pattern: "[A-Za-z0-9][A-Za-z0-9._@\\-]{0,63}", placeholder: "e.g. acme", value: isNew ? "" : state.account || "",
      readonly: fixedName, title: "Letters, digits, '.', '_', '-' or '@', starting with a letter or digit", style: "width:100%" });
    const url = h("input", { type: "url", id: "org-url", required: true, placeholder: "https://yourcompany.zendesk.com", value: st.url || "", style: "width:100%" });
    const cid = h("input", { type: "text", id: "client-id", placeholder: st.url ? "(leave empty to reuse the stored client)" : "OAuth client unique identifier", style: "width:100%" });
    const secret = h("input", { type: "password", id: "client-secret", autocomplete: "off", style: "width:100%" });
    const tz = h("input", { type: "text", id: "timezone", placeholder: "UTC", value: st.timezone || "", style: "width:100%" });
    root.replaceChildren(
      h("h1", {}, "Connect Zendesk"),
      h("div", { class: "steps" }, h("span", {}, "1. Permission level"), h("span", { class: "current" }, "2. Organisation")),
      h("form", { class: "card", id: "connect-form", onsubmit: async (e) => {
        e.preventDefault();
        err.replaceChildren();
        const account = name.value.trim();
        if (isNew && (state.accounts || []).some((a) => a.name === account && a.state !== "not-connected")) {
          err.append(errorBanner(new Error(`An account named ${account} exists already: select its tile and use Reconnect, or pick another name.`)));
          return;
        }
        try {
          const r = await api("POST", `/api/connect/start?account=${encodeURIComponent(account)}`, { url: url.value.trim(), permission, client_id: cid.value.trim(), client_secret: secret.value, timezone: tz.value.trim() || undefined });
          location.assign(r.authorize_url);
        } catch (ex) { err.append(errorBanner(ex)); }
      } },
      h("h2", {}, permission === "read-write" ? "Read and take action" : "Read only"),
      err,
      h("label", {}, h("span", {}, "Account name in seatkeeper (as in --account NAME)"), name),
      h("label", {}, h("span", {}, "Organisation URL"), url),
      h("label", {}, h("span", {}, "OAuth client id (Admin Center → Apps and integrations → APIs → OAuth clients)"), cid),
      h("label", {}, h("span", {}, "OAuth client secret"), secret),
      h("label", {}, h("span", {}, "Time zone of calendar days (IANA, e.g. Europe/Berlin)"), tz),
      h("p", { class: "muted" }, "You will be sent to Zendesk to approve access, then brought back here."),
      h("div", { class: "actions" },
        h("button", { type: "button", onclick: step1 }, "Back"),
        h("button", { type: "submit", class: "primary", id: "connect-submit" }, "Continue to Zendesk"))));
    (isNew ? name : url).focus();
  };
  step1();
  app().replaceChildren(root);
}

// --- users ------------------------------------------------------------------------

const USER_COLUMNS = [
  ["name", "Name"], ["email", "Email"], ["role", "Role"], ["license", "License"], ["seat", "Seat"],
  ["last_login_at", "Last login (sign-in or API use)"], ["active_days", "Active days"], ["last_active_date", "Last active"],
];

// The actions the server declares (GET /api/operations, read once): their
// fields (labels, help), which requests are irreversible, and the user
// page's buttons. The forms and dialogs below are built from them.
async function operations() {
  if (!state.operations) state.operations = await api("GET", "/api/operations");
  return state.operations;
}

function isIrreversible(op, body) {
  return op.irreversible_if === "*" || (op.irreversible_if !== "" && body[op.irreversible_if] === true);
}

async function createUserDialog() {
  const op = (await operations()).find((o) => o.name === "user.create");
  const inputs = op.fields.filter((f) => f.label).map((f) => [f, f.type === "enum"
    ? h("select", { id: `new-${f.name}`, title: f.help }, f.choices.map((c) => h("option", { value: c }, c)))
    : h("input", { type: f.name === "email" ? "email" : "text", id: `new-${f.name}`, required: f.required, title: f.help, style: "width:100%" })]);
  openDialog("Create user", inputs.map(([f, input]) => h("label", {}, h("span", {}, f.label), input)), "Next", () => {
    const body = {};
    for (const [f, input] of inputs) {
      body[f.name] = input.value.trim();
      if (f.required && !body[f.name]) return false;
    }
    setTimeout(() => confirmAction("Create user", op, body, { email: body.email }), 0);
    return true;
  });
}

// The user page's action buttons, as the operations declare them (a button
// is hidden when the user has any of its hide_when values).
function actionButtons(ops, u, btn) {
  const all = ops.flatMap((op) => op.buttons.map((b) => ({ op, b })));
  all.sort((x, y) => x.b.rank - y.b.rank);
  return all.filter(({ b }) => !Object.entries(b.hide_when).some(([k, v]) => (u[k] ?? null) === v)).map(({ op, b }) => {
    const run = (extra = {}) => confirmAction(b.title, op, { ...b.preset, [op.target]: u.id, ...extra }, u);
    const asked = op.fields.find((f) => f.name === b.ask);
    const onclick = b.ask ? () => askId(b.ask_title, asked ? asked.help : "", (v) => run({ [b.ask]: v })) : () => run();
    return btn(b.label, b.id, onclick, b.danger ? "danger" : "");
  });
}

async function renderUsers(params) {
  setNav("users");
  if (!state.status) state.status = await api("GET", "/api/status");
  const filters = {
    search: params.get("search") || "", role: params.get("role") || "", license: params.get("license") || "",
    seat: params.get("seat") || "", inactive_days: params.get("inactive_days") || "",
  };
  const query = () => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v !== "") q.set(k, v);
    return q;
  };
  const apply = () => { location.hash = `#/users?${query()}`; };
  const sel = (id, key, options) => {
    const s = h("select", { id, onchange: () => { filters[key] = s.value; apply(); } },
      options.map(([v, t]) => h("option", { value: v, selected: filters[key] === v }, t)));
    return s;
  };
  const search = h("input", { type: "search", id: "user-search", placeholder: "name or email", value: filters.search });
  search.addEventListener("change", () => { filters.search = search.value.trim(); apply(); });
  const inactive = h("input", { type: "number", min: 1, max: 3650, id: "filter-inactive", value: filters.inactive_days, style: "width:6rem" });
  inactive.addEventListener("change", () => { filters.inactive_days = inactive.value; apply(); });
  const csvHref = forAccount(`/api/users?${(() => { const q = query(); q.set("format", "csv"); return q; })()}`);
  let rows = [];
  let sortKey = null, sortDir = 1, nextAfter = null;
  const tbody = h("tbody");
  const count = h("span", { id: "user-count" });
  const more = h("button", { type: "button", id: "load-more", onclick: () => load() }, "Load more");
  const headers = USER_COLUMNS.map(([key, title]) => h("th", { class: "sortable", "data-key": key, onclick: (e) => {
    if (sortKey === key) sortDir = -sortDir; else { sortKey = key; sortDir = 1; }
    table.querySelectorAll("th").forEach((th) => th.classList.remove("sorted-asc", "sorted-desc"));
    e.currentTarget.classList.add(sortDir > 0 ? "sorted-asc" : "sorted-desc");
    draw();
  } }, title));
  const table = h("table", { id: "users-table" }, h("thead", {}, h("tr", {}, headers)), tbody);
  const draw = () => {
    const sorted = [...rows];
    if (sortKey) sorted.sort((a, b) => {
      const x = a[sortKey] ?? "", y = b[sortKey] ?? "";
      return (x < y ? -1 : x > y ? 1 : 0) * sortDir;
    });
    tbody.replaceChildren(...sorted.map((u) => h("tr", { "data-user-id": u.id },
      h("td", {}, h("a", { href: `#/user/${u.id}` }, u.name), u.deleted ? h("span", { class: "pill no" }, " deleted") : "", u.suspended ? h("span", { class: "pill" }, " suspended") : "",
        u.probable_integration ? h("span", { class: "pill integration", title: "only API use in the window: not a person's idle or active seat" }, " probable integration") : ""),
      h("td", {}, u.email || ""), h("td", {}, u.role), h("td", {}, u.license, u.custom_role ? ` (${u.custom_role})` : ""),
      h("td", {}, h("span", { class: `pill ${u.seat ? "yes" : ""}` }, u.seat ? "paid" : "no")),
      h("td", {}, fmtTime(u.last_login_at)), h("td", {}, u.active_days), h("td", {}, u.last_active_date || "—"))));
    count.textContent = `${rows.length}${nextAfter !== null ? "+" : ""} user${rows.length === 1 && nextAfter === null ? "" : "s"}`;
    more.hidden = nextAfter === null;
  };
  const load = async () => {
    const q = query();
    q.set("limit", "200");
    if (nextAfter !== null) q.set("after", nextAfter);
    const gen = state.gen;
    const r = await api("GET", `/api/users?${q}`);
    if (gen !== state.gen) return;
    rows = rows.concat(r.users);
    nextAfter = r.next_after;
    draw();
  };
  const create = h("button", { type: "button", id: "create-user", disabled: !canAct(),
    title: canAct() ? null : "The connection is read-only: reconnect with “read and take action” to act.",
    onclick: () => createUserDialog() }, "Create user…");
  app().replaceChildren(
    h("h1", {}, "Users ", create),
    h("div", { class: "filters card" },
      h("label", {}, h("span", {}, "Search"), search),
      h("label", {}, h("span", {}, "Role"), sel("filter-role", "role", [["", "any"], ["admin", "admin"], ["agent", "agent"], ["end-user", "end user"]])),
      h("label", {}, h("span", {}, "License"), sel("filter-license", "license", [["", "any"], ...LICENSES.map((l) => [l, l])])),
      h("label", {}, h("span", {}, "Seat"), sel("filter-seat", "seat", [["", "any"], ["true", "paid seat"], ["false", "no seat"]])),
      h("label", {}, h("span", {}, "Inactive for (days)"), inactive),
      h("a", { class: "button", href: csvHref, id: "csv-export", download: "seatkeeper-users.csv" }, "Export CSV")),
    h("p", { class: "muted" }, count),
    table, h("p", {}, more));
  await load();
}

// --- one user -----------------------------------------------------------------------

function calendar(win, usage, onPick) {
  const byDay = new Map(usage.map((r) => [r.date, r]));
  const from = Date.parse(win.from + "T00:00:00Z"), to = Date.parse(win.to + "T00:00:00Z");
  const cal = h("div", { class: "calendar", id: "activity-calendar" });
  const lead = (new Date(from).getUTCDay() + 6) % 7;  // Monday first
  for (let i = 0; i < lead; i++) cal.append(h("span"));
  for (let t = from; t <= to; t += 86400000) {
    const day = new Date(t).toISOString().slice(0, 10);
    const r = byDay.get(day);
    const cls = r ? (r.sources.length === 1 && r.sources[0] === "login" ? "day login-only" : "day active") : "day";
    const title = r ? `${day}: ${r.sources.join(", ")}` : `${day}: no activity`;
    cal.append(h("button", { type: "button", class: cls, title, "data-date": day, "aria-label": title, onclick: (e) => {
      cal.querySelectorAll(".selected").forEach((x) => x.classList.remove("selected"));
      e.currentTarget.classList.add("selected");
      onPick(day, r);
    } }, day.slice(8)));
  }
  return cal;
}

function evidenceOf(day, r) {
  if (!r) return h("p", {}, `${day}: no activity recorded.`);
  const items = [];
  for (const s of r.sources) {
    const count = (r.counts || {})[s];
    items.push(h("li", {}, h("strong", {}, s), count !== undefined ? ` × ${count}` : ""));
  }
  for (const [kind, ids] of Object.entries(r.evidence || {})) items.push(h("li", {}, `${kind}: ${ids.join(", ")}`));
  if (r.login_evidence) items.push(h("li", {}, `login evidence: ${r.login_evidence.join(" + ")} (${r.login_label || "sign-in or API use"})`));
  return h("div", {}, h("p", {}, h("strong", {}, day), ` — active (${r.sources.join(", ")})`), h("ul", {}, items));
}

async function renderUser(id) {
  setNav("users");
  const gen = state.gen;
  const [d, st, ops, hist] = await Promise.all([api("GET", `/api/users/${id}`), api("GET", "/api/status"), operations(),
    api("GET", `/api/users/${id}/history`)]);
  if (gen !== state.gen) return;
  state.status = st;
  const u = d.user;
  const evidence = h("div", { id: "evidence" }, h("p", { class: "muted" }, "Pick a day to see its evidence."));
  const readOnly = !canAct();
  const why = readOnly ? "The connection is read-only: reconnect with “read and take action” to act." : null;
  const btn = (label, id, onclick, cls = "") => h("button", { type: "button", id, class: cls, disabled: readOnly, title: why, onclick }, label);
  const actions = h("div", { class: "actions", id: "user-actions" });
  actions.append(...actionButtons(ops, u, btn));
  const profile = h("table", { id: "profile" }, h("tbody", {},
    [["Email", u.email || "—"], ["Role", u.role], ["License", u.license + (u.custom_role ? ` (${u.custom_role})` : "")],
      ["Paid seat", u.seat ? "yes" : "no"], ["Suspended", u.suspended ? "yes" : "no"], ["Deleted", u.deleted ? (u.deleted_kind || "yes") : "no"],
      ["Last login (sign-in or API use)", fmtTime(u.last_login_at)], ["Active days in window", String(u.active_days)], ["Last active", u.last_active_date || "—"],
      ["Probable integration", u.probable_integration ? `yes: only API use in the window (${u.api_use_days} day${u.api_use_days === 1 ? "" : "s"})` : "no"],
      ["Created", fmtTime(u.created_at)]].map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v)))));
  app().replaceChildren(
    h("p", {}, h("a", { href: "#/users" }, "← Users")),
    h("h1", { id: "user-name" }, u.name, d.is_connecting_user ? h("span", { class: "pill" }, " connecting admin") : ""),
    h("div", { class: "grid" },
      h("section", { class: "card" }, h("h2", {}, "Profile and license"), profile),
      h("section", { class: "card" }, h("h2", {}, `Activity ${d.window.from} to ${d.window.to} (${d.window.timezone})`),
        calendar(d.window, d.usage, (day, r) => evidence.replaceChildren(evidenceOf(day, r))),
        h("p", { class: "muted" }, "green: ticket or article activity · light green: sign-in only · grey: none"), evidence)),
    h("section", { class: "card" }, h("h2", {}, "Role history"), roleHistory(hist)),
    h("section", { class: "card" }, h("h2", {}, "Actions"), readOnly ? h("p", { class: "muted", id: "read-only-note" }, why) : "", actions));
}

// GET /api/users/{id}/history as a table: when (or between which syncs), what, who.
function roleHistory(hist) {
  if (!hist.history.length) return h("p", { class: "muted", id: "role-history-empty" }, "No role, custom role, suspension or deletion change seen yet.");
  const when = (e) => e.at ? fmtTime(e.at) : `between ${e.between.from ? fmtTime(e.between.from) : "the first sync"} and ${fmtTime(e.between.to)}`;
  const who = (e) => e.actor ? `${e.actor.name} (${e.actor.via === "audit_log" ? "audit log" : "seatkeeper"})`
    : e.possible_actors.length ? `one of ${e.possible_actors.map((a) => a.name).join(", ")} (audit log)` : "unknown";
  return h("table", { id: "role-history" },
    h("thead", {}, h("tr", {}, h("th", {}, "When"), h("th", {}, "Change"), h("th", {}, "By"))),
    h("tbody", {}, hist.history.map((e) => h("tr", { "data-field": e.field },
      h("td", {}, when(e)), h("td", {}, `${e.field}: ${e.from || "(none)"} → ${e.to || "(none)"}`), h("td", {}, who(e))))));
}

function askId(title, help, then) {
  const input = h("input", { type: "number", min: 1, id: "target-user-id", required: true });
  openDialog(title, [h("label", {}, h("span", {}, `Zendesk user id: ${help}`), input)], "Next", () => {
    const v = Number(input.value);
    if (!v) return false;
    setTimeout(() => then(v), 0);
    return true;
  });
}

// The dialog: `onConfirm` returns false to keep it open.
function openDialog(title, bodyNodes, confirmLabel, onConfirm, { danger = false, enabled = true } = {}) {
  const dlg = document.getElementById("dialog");
  document.getElementById("dialog-title").textContent = title;
  document.getElementById("dialog-body").replaceChildren(...bodyNodes);
  const confirm = document.getElementById("dialog-confirm");
  confirm.textContent = confirmLabel;
  confirm.className = danger ? "danger" : "primary";
  confirm.disabled = !enabled;
  confirm.onclick = async (e) => {
    e.preventDefault();
    confirm.disabled = true;
    const keep = (await onConfirm()) === false;
    if (!keep) dlg.close(); else confirm.disabled = false;
  };
  document.getElementById("dialog-cancel").onclick = () => dlg.close();
  if (!dlg.open) dlg.showModal();
  return confirm;
}

function outcomeNodes(o) {
  const nodes = [h("p", { id: "outcome-summary" }, o.summary || o.error || "")];
  if (o.changes && o.changes.length) nodes.push(h("ul", { class: "changes" }, o.changes.map((c) => h("li", {}, `[${c.state}] ${c.step}: ${c.description}`))));
  for (const w of o.warnings || []) nodes.push(h("div", { class: "banner error" }, "Warning: ", w));
  return nodes;
}

// One Idempotency-Key per confirmed dialog: a repeated confirm (double click,
// a retry after a lost answer, another server behind the load balancer)
// acts at most once and gets the first answer.
function newIdempotencyKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// The dry run of `op` with `body`, then the real run once confirmed. An
// irreversible request (op.irreversible_if) asks for the user's email typed
// as its confirmation.
async function confirmAction(title, op, body, user) {
  const action = op.path.replace(/^\/api\/actions\//, "");
  const permanent = isIrreversible(op, body);
  const idempotencyKey = newIdempotencyKey();
  let dry;
  try {
    dry = await api("POST", `/api/actions/${action}`, { ...body, dry_run: true });
  } catch (ex) {
    openDialog(title, [errorBanner(ex)], "Close", () => true);
    return;
  }
  const nodes = [h("p", { class: "muted" }, "Dry run — nothing has changed yet. This is what will happen:"), ...outcomeNodes(dry)];
  // Deleting or downgrading an agent who holds non-closed tickets: Zendesk moves
  // them (to the acting admin, or unassigned) unless they are reassigned first.
  // The admin chooses; the action is refused without a choice.
  const effect = dry.details && dry.details.ticket_side_effect;
  let choice = null;
  if (effect && effect.choice_required) {
    const reassignTo = h("input", { type: "number", min: 1, id: "choice-reassign-to", placeholder: "agent's user id" });
    const radio = (id, value) => h("input", { type: "radio", name: "ticket-choice", id, value });
    const byReassign = radio("choice-reassign", "reassign");
    const byZendesk = radio("choice-let-zendesk", "let-zendesk");
    const zendeskDoes = effect.zendesk_does === "unassigned"
      ? "Zendesk unassigns the non-solved ones (solved ones go to you, the acting admin, by default)"
      : "Zendesk hands them to you, the acting admin";
    choice = { reassignTo, byReassign, byZendesk };
    nodes.push(h("fieldset", { id: "ticket-choice" },
      h("legend", {}, `${user.name || "The user"} holds ${effect.held} non-closed ticket${effect.held === 1 ? "" : "s"}: choose what happens to them`),
      h("label", {}, byReassign, " Reassign them first to user id ", reassignTo),
      h("label", {}, byZendesk, ` Let Zendesk move them: ${zendeskDoes}`)));
  }
  let typed = null;
  if (permanent) {
    typed = h("input", { type: "text", id: "confirm-email", autocomplete: "off", style: "width:100%" });
    nodes.push(h("label", {}, h("span", {}, `This cannot be undone. Type the user's email (${user.email || "no email"}) to confirm:`), typed));
  }
  const choiceBody = () => {
    if (!choice) return {};
    if (choice.byZendesk.checked) return { let_zendesk_reassign: true };
    if (choice.byReassign.checked && Number(choice.reassignTo.value) > 0) return { reassign_to: Number(choice.reassignTo.value) };
    return null;
  };
  const ready = () => (!typed || typed.value.trim() === (user.email || "\u0000")) && choiceBody() !== null;
  const nothingToDo = dry.result === "no-op";
  const confirm = openDialog(title, nodes, nothingToDo ? "Close" : "Confirm", async () => {
    if (nothingToDo) return true;
    try {
      const done = await api("POST", `/api/actions/${action}`, { ...body, ...choiceBody(), dry_run: false, confirm: typed ? typed.value.trim() : undefined },
        { "Idempotency-Key": idempotencyKey });
      openDialog(`${title}: ${done.result}`, outcomeNodes(done), "Close", () => { route(); return true; });
      return false;
    } catch (ex) {
      document.getElementById("dialog-body").append(errorBanner(ex));
      return false;
    }
  }, { danger: permanent, enabled: nothingToDo || ready() });
  for (const el of [typed, choice && choice.reassignTo, choice && choice.byReassign, choice && choice.byZendesk]) {
    if (el) el.addEventListener(el.type === "radio" ? "change" : "input", () => { confirm.disabled = !ready(); });
  }
}

// --- reclaim policies and proposals ----------------------------------------------------

const PROPOSAL_STATES = ["pending", "approved", "rejected", "cancelled", "done", "failed"];

function policyCondition(p) {
  const c = p.condition, parts = [];
  if (c.licenses.length) parts.push(`license ${c.licenses.join(",")}`);
  if (c.roles.length) parts.push(`role ${c.roles.join(",")}`);
  if (c.custom_role_id) parts.push(`custom role ${c.custom_role_id}`);
  if (c.idle_days) parts.push(`idle ${c.idle_days}+ days`);
  if (c.last_active_before) parts.push(`last active before ${c.last_active_before}`);
  if (c.not_in_directory) parts.push('not in directory');
  if (c.recommendation_kind) parts.push(`recommended ${c.recommendation_kind}`);
  const x = p.exempt || {};
  if ((x.tags || []).length) parts.push(`exempt tags ${x.tags.join(",")}`);
  if ((x.groups || []).length) parts.push(`exempt groups ${x.groups.join(",")}`);
  return parts.join("; ") || "—";
}

// The policy.add declaration as a form: every field with a CLI spelling, typed.
async function addPolicyDialog() {
  const op = (await operations()).find((o) => o.name === "policy.add");
  const inputs = op.fields.map((f) => [f, f.type === "enum"
    ? h("select", { id: `policy-${f.name}`, title: f.help }, f.choices.map((c) => h("option", { value: c }, c)))
    : f.type === "bool" ? h("input", { type: "checkbox", id: `policy-${f.name}`, title: f.help })
      : h("input", { type: f.type === "id" ? "number" : "text", id: `policy-${f.name}`, title: f.help, style: "width:100%" })]);
  openDialog("Add a reclaim policy", inputs.map(([f, input]) => h("label", {}, h("span", {}, f.help), input)), "Next", () => {
    const body = {};
    for (const [f, input] of inputs) {
      if (f.type === "bool") body[f.name] = input.checked;
      else if (input.value.trim() !== "") body[f.name] = f.type === "id" ? Number(input.value) : input.value.trim();
    }
    if (!body.name) return false;
    setTimeout(() => confirmAction("Add policy", op, body, {}), 0);
    return true;
  });
}

async function testPolicy(name) {
  const r = await api("GET", `/api/policies/test?name=${encodeURIComponent(name)}`);
  const rows = r.matches.map((m) => h("tr", { "data-user-id": m.user_id }, h("td", {}, h("a", { href: `#/user/${m.user_id}` }, m.name)),
    h("td", {}, m.email || ""), h("td", {}, String(m.evidence.idle_days)), h("td", {}, m.evidence.last_active || "none in window"),
    h("td", {}, m.evidence.recommendation ? m.evidence.recommendation.reason : "")));
  openDialog(`Policy ${name}: who matches today`, [
    h("p", { id: "policy-test-summary" }, `${r.matches.length} user${r.matches.length === 1 ? "" : "s"} match; ${r.exempted.length} exempted. Nothing was changed.`),
    h("table", { id: "policy-test-table" }, h("thead", {}, h("tr", {}, ["User", "Email", "Idle days", "Last active", "Recommendation"].map((t) => h("th", {}, t)))), h("tbody", {}, rows)),
    ...r.exempted.map((e) => h("p", { class: "muted" }, `exempt: ${e.name} (${e.why})`))], "Close", () => true);
}

function proposalNote(p) {
  if (p.state === "pending") return `idle ${p.evidence ? p.evidence.idle_days : "?"} days`;
  if (p.state === "approved") return `runs after ${fmtTime(p.due_at)} unless ${p.user_name} is active`;
  if (p.state === "done") return `${p.outcome ? p.outcome.summary : "done"} (audit entry ${p.audit_id})`;
  return p.reason || "";
}

async function renderProposals(params) {
  setNav("proposals");
  const gen = state.gen;
  const filter = params.get("state") || "";
  const [st, policies, proposals, ops] = await Promise.all([api("GET", "/api/status"), api("GET", "/api/policies"),
    api("GET", `/api/proposals${filter ? `?state=${filter}` : ""}`), operations()]);
  if (gen !== state.gen) return;
  state.status = st;
  const readOnly = !canAct();
  const why = readOnly ? "The connection is read-only: reconnect with “read and take action” to approve proposals." : null;
  const op = (name) => ops.find((o) => o.name === name);
  const decide = (verb, p, extra = {}) => confirmAction(`${verb[0].toUpperCase()}${verb.slice(1)} proposal`, op(`proposal.${verb}`), { proposal_id: p.id, ...extra }, {});
  const reject = (p) => {
    const reason = h("input", { type: "text", id: "reject-reason", style: "width:100%", required: true });
    openDialog(`Reject proposal for ${p.user_name}`, [h("label", {}, h("span", {}, "Why (kept with the proposal)"), reason)], "Next", () => {
      if (!reason.value.trim()) return false;
      setTimeout(() => decide("reject", p, { reason: reason.value.trim() }), 0);
      return true;
    });
  };
  const button = (label, cls, onclick, disabled = false) => h("button", { type: "button", class: cls, disabled, title: disabled ? why : null, onclick }, label);
  const stateSel = h("select", { id: "proposal-state", onchange: () => { location.hash = `#/proposals${stateSel.value ? `?state=${stateSel.value}` : ""}`; } },
    [["", "any"], ...PROPOSAL_STATES.map((s) => [s, s])].map(([v, t]) => h("option", { value: v, selected: filter === v }, t)));
  app().replaceChildren(
    h("h1", {}, "Reclaim proposals"),
    h("section", { class: "card" }, h("h2", {}, "Policies ", h("button", { type: "button", id: "add-policy", onclick: () => addPolicyDialog() }, "Add policy…")),
      policies.length === 0 ? h("p", { class: "muted" }, "No policies yet: a policy's matches become proposals after each sync.") :
        h("table", { id: "policies-table" }, h("thead", {}, h("tr", {}, ["Name", "Action", "Condition", "Grace", "Approval", ""].map((t) => h("th", {}, t)))),
          h("tbody", {}, policies.map((p) => h("tr", { "data-policy": p.name }, h("td", {}, p.name), h("td", {}, p.action), h("td", {}, policyCondition(p)),
            h("td", {}, `${p.grace_days} days`), h("td", {}, p.automatic ? "automatic" : "an admin approves"),
            h("td", {}, button("Test", "policy-test", () => testPolicy(p.name)), " ",
              button("Remove", "danger policy-remove", () => confirmAction(`Remove policy ${p.name}`, op("policy.remove"), { name: p.name }, {})))))))),
    h("section", { class: "card" }, h("h2", {}, "Queue"), h("label", {}, h("span", {}, "State "), stateSel),
      readOnly ? h("p", { class: "muted", id: "proposals-read-only" }, why) : "",
      proposals.length === 0 ? h("p", { class: "muted", id: "no-proposals" }, "No proposals.") :
        h("table", { id: "proposals-table" }, h("thead", {}, h("tr", {}, ["User", "Policy", "Action", "State", "Proposed", "Note", ""].map((t) => h("th", {}, t)))),
          h("tbody", {}, proposals.map((p) => h("tr", { "data-proposal": p.id, "data-state": p.state },
            h("td", {}, h("a", { href: `#/user/${p.user_id}` }, p.user_name)), h("td", {}, p.policy), h("td", {}, p.action),
            h("td", {}, h("span", { class: `pill ${p.state === "done" ? "yes" : p.state === "failed" || p.state === "rejected" ? "no" : ""}` }, p.state)),
            h("td", {}, fmtTime(p.created_at)), h("td", {}, proposalNote(p)),
            h("td", {}, p.state === "pending" ? button("Approve", "primary proposal-approve", () => decide("approve", p), readOnly) : "", " ",
              p.state === "pending" || p.state === "approved" ? button("Reject", "proposal-reject", () => reject(p)) : "")))))));
}

// --- recommendations -------------------------------------------------------------------

const KIND_LABELS = { "light-agent": "Light agent", "end-user": "End user", integration: "Integration", suspended: "Suspended" };

// GET /api/recommendations: one row per paid seat worth changing, each with
// its action (an operation of /api/operations with preset fields): one click
// opens that action's dry run, one confirm applies it.
async function renderRecommendations(params) {
  setNav("recommendations");
  const gen = state.gen;
  const days = params.get("min_idle_days") || "30";
  const price = params.get("seat_price") || "";
  const q = new URLSearchParams({ min_idle_days: days });
  if (price !== "") q.set("seat_price", price);
  const [recs, st, ops] = await Promise.all([api("GET", `/api/recommendations?${q}`), api("GET", "/api/status"), operations()]);
  if (gen !== state.gen) return;
  state.status = st;
  const readOnly = !canAct();
  const why = readOnly ? "The connection is read-only: reconnect with “read and take action” to act." : null;
  const daysIn = h("input", { type: "number", min: 1, max: 3650, value: days, id: "rec-idle-days", style: "width:6rem" });
  const priceIn = h("input", { type: "number", min: 0, step: "0.01", value: price, id: "rec-seat-price", placeholder: "e.g. 55", style: "width:7rem" });
  const apply = () => {
    const p = new URLSearchParams({ min_idle_days: daysIn.value || "30" });
    if (priceIn.value !== "") p.set("seat_price", priceIn.value);
    location.hash = `#/recommendations?${p}`;
  };
  daysIn.addEventListener("change", apply);
  priceIn.addEventListener("change", apply);
  const freed = recs.filter((r) => r.kind !== "integration").length;
  const saving = recs.reduce((s, r) => s + (r.kind !== "integration" && r.monthly_saving ? r.monthly_saving : 0), 0);
  const rows = recs.map((r, i) => h("tr", { "data-kind": r.kind, "data-user": r.user_id },
    h("td", {}, h("a", { href: `#/user/${r.user_id}` }, r.name)), h("td", {}, r.license), h("td", {}, KIND_LABELS[r.kind] || r.kind),
    h("td", {}, r.reason, h("div", { class: "muted" }, `evidence: ${r.evidence.active_days} active days, last ${r.evidence.last_active_date || "none"}`,
      r.evidence.sources.length ? ` · ${r.evidence.sources.join(", ")}` : "", r.evidence.examples.length ? ` · ${r.evidence.examples.join(" ")}` : "")),
    h("td", {}, r.monthly_saving === null ? "—" : r.monthly_saving.toFixed(2)),
    h("td", {}, recommendationActions(r, i, ops, readOnly, why))));
  app().replaceChildren(
    h("h1", {}, "Recommendations"),
    h("section", { class: "card" },
      h("div", { class: "filters" },
        h("label", {}, h("span", {}, "End user after no activity for (days)"), daysIn),
        h("label", {}, h("span", {}, "Monthly price per seat"), priceIn)),
      h("p", { id: "rec-summary" }, `${recs.length} recommendation${recs.length === 1 ? "" : "s"}; applying them frees ${freed} paid seat${freed === 1 ? "" : "s"}`,
        price !== "" ? h("span", { id: "rec-saving" }, ` and saves ${saving.toFixed(2)} per month`) : ""),
      readOnly ? h("p", { class: "muted", id: "read-only-note" }, why) : "",
      recs.length ? h("table", { id: "recommendations" },
        h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "License"), h("th", {}, "Recommendation"), h("th", {}, "Why"), h("th", {}, "Saving / month"), h("th", {}, "Act"))),
        h("tbody", {}, rows)) : h("p", { class: "muted", id: "no-recommendations" }, "No paid seat worth changing.")));
}

// The buttons of a recommendation row: its action's dry run in the
// confirmation dialog (confirmAction); a light agent's custom role can be
// chosen first; a downgrade to end user offers the offboard plan beside it.
function recommendationActions(r, i, ops, readOnly, why) {
  const a = r.action;
  if (!a) return h("span", { class: "muted" }, "review: move the integration first");
  const op = ops.find((o) => o.name === a.operation);
  if (!op) return "";
  const user = { id: r.user_id, name: r.name, email: r.email };
  const nodes = [];
  let roleSel = null;
  if (a.choices && a.choices.length) {
    roleSel = h("select", { id: `rec-role-${i}`, title: "Light-agent custom role" },
      a.choices.map((c) => h("option", { value: c.custom_role_id }, c.name || `custom role ${c.custom_role_id}`)));
    nodes.push(roleSel);
  }
  const run = () => {
    const body = { ...a.preset, [op.target]: r.user_id };
    if (roleSel) body.custom_role_id = Number(roleSel.value);
    confirmAction(`${a.title}: ${r.name}`, op, body, user);
  };
  nodes.push(h("button", { type: "button", id: `rec-act-${i}`, class: "rec-act", disabled: readOnly, title: why, onclick: run }, `${a.title}…`));
  if (a.alternative === "offboard") {
    const off = ops.find((o) => o.name === "offboard");
    const b = off && off.buttons[0];
    if (b) {
      nodes.push(h("button", { type: "button", id: `rec-offboard-${i}`, disabled: readOnly, title: why,
        onclick: () => askId(b.ask_title, (off.fields.find((f) => f.name === b.ask) || {}).help || "",
          (v) => confirmAction(`${b.title}: ${r.name}`, off, { ...b.preset, [off.target]: r.user_id, [b.ask]: v }, user)) }, "Offboard…"));
    }
  }
  return h("div", { class: "actions" }, nodes);
}

// --- capabilities and audit -----------------------------------------------------------

async function renderCapabilities() {
  setNav("capabilities");
  const gen = state.gen;
  const rows = await api("GET", "/api/capabilities");
  if (gen !== state.gen) return;
  app().replaceChildren(h("h1", {}, "Integration capabilities"),
    h("table", { id: "capabilities-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Area"), h("th", {}, "Capability"), h("th", {}, "Available"), h("th", {}, "Why not"))),
      h("tbody", {}, rows.map((r) => h("tr", {}, h("td", {}, r.area), h("td", {}, r.capability),
        h("td", {}, h("span", { class: `pill ${r.available ? "yes" : "no"}` }, r.available ? "available" : "unavailable")),
        h("td", {}, r.reason || ""))))));
}

function brief(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "object" && v.user) return brief(v.user);
  if (typeof v === "object" && v.role) return `role=${v.role}${v.custom_role_id ? ` custom_role=${v.custom_role_id}` : ""}${v.active === false ? " deleted" : ""}`;
  const s = JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 77) + "…" : s;
}

async function renderAudit() {
  setNav("audit");
  const gen = state.gen;
  const [rows, notes] = await Promise.all([api("GET", "/api/audit"), api("GET", "/api/notifications?limit=20")]);
  if (gen !== state.gen) return;
  rows.sort((a, b) => b.id - a.id);
  app().replaceChildren(h("h1", {}, "Audit log"), notificationsCard(notes),
    rows.length === 0 ? h("p", { class: "muted" }, "No actions recorded yet.") :
      h("table", { id: "audit-table" },
        h("thead", {}, h("tr", {}, ["Time", "Actor", "Action", "Target", "Result", "Before", "After", "Detail"].map((t) => h("th", {}, t)))),
        h("tbody", {}, rows.map((e) => h("tr", { "data-audit-id": e.id, "data-result": e.result },
          h("td", {}, fmtTime(e.at)), h("td", {}, e.actor), h("td", {}, e.action), h("td", {}, e.target),
          h("td", {}, h("span", { class: `pill ${e.result === "ok" ? "yes" : e.result === "failed" || e.result === "refused" ? "no" : ""}` }, e.result)),
          h("td", { title: JSON.stringify(e.before) }, brief(e.before)), h("td", { title: JSON.stringify(e.after) }, brief(e.after)),
          h("td", {}, e.detail || ""))))));
}

// The last notifications sent to the webhook and e-mail (`seatkeeper notify set`),
// failed deliveries first in view: what was sent, what is retried, what was given up.
function notificationsCard(r) {
  const list = r.notifications || [];
  return h("section", { class: "card", id: "notifications" }, h("h2", {}, "Notifications"),
    list.length === 0 ? h("p", { class: "muted" }, "None sent yet (set up a webhook or e-mail with `seatkeeper notify set`).") :
      [h("p", { id: "notification-counts" }, `${r.sent} sent · ${r.pending} pending · ${r.failed} failed (last ${list.length})`),
        h("table", { id: "notifications-table" },
          h("thead", {}, h("tr", {}, ["Created", "Channel", "Kind", "Subject", "State", "Attempts", "Last error"].map((t) => h("th", {}, t)))),
          h("tbody", {}, list.map((n) => h("tr", { "data-state": n.state },
            h("td", {}, n.created_at), h("td", {}, n.channel), h("td", {}, n.kind), h("td", {}, n.subject),
            h("td", {}, h("span", { class: `pill ${n.state === "sent" ? "yes" : n.state === "failed" ? "no" : ""}` },
              n.state === "pending" && n.attempts > 0 ? `retry ${n.next_attempt_at}` : n.state)),
            h("td", {}, String(n.attempts)), h("td", {}, n.last_error || "")))))]);
}

// --- routing ------------------------------------------------------------------------------

async function route() {
  stopPolling();
  state.gen++;  // renders still awaiting data for an older route drop their result
  if (!state.csrf) return showLogin();
  document.getElementById("top").hidden = false;
  const { path, params } = hashRoute();
  if (params.get("account")) selectAccount(params.get("account"));
  try {
    if (path === "/overview") await renderOverview(params);
    else if (path === "/connect") await renderConnect(params);
    else if (path === "/users") await renderUsers(params);
    else if (path.startsWith("/user/")) await renderUser(encodeURIComponent(path.slice(6)));
    else if (path === "/recommendations") await renderRecommendations(params);
    else if (path === "/proposals") await renderProposals(params);
    else if (path === "/capabilities") await renderCapabilities();
    else if (path === "/audit") await renderAudit();
    else location.hash = "#/overview";
  } catch (ex) {
    if (ex.status !== 401) app().replaceChildren(errorBanner(ex));
  }
}

async function boot() {
  document.getElementById("logout").addEventListener("click", async () => {
    try { await api("POST", "/api/logout", {}); } catch { /* already gone */ }
    state.csrf = null;
    showLogin();
  });
  window.addEventListener("hashchange", route);
  try {
    const s = await api("GET", "/api/session");
    state.csrf = s.csrf_token;
    await loadAccounts().catch(() => { /* the overview shows the error */ });
    route();
  } catch (ex) {
    if (ex.status !== 401) app().replaceChildren(errorBanner(ex));
  }
}

document.addEventListener("DOMContentLoaded", boot);
