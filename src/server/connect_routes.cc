// The web UI's connect flow: POST /api/connect/start?account=NAME returns the
// Zendesk authorize URL (state + PKCE bound to the session, the account name
// kept with them; a new name adds an account); GET /oauth/callback checks the
// state, exchanges the code, runs the preflight, stores the connection under
// that name and starts its first sync.
#include <httplib.h>

#include "server/http_util.h"
#include "server/oauth_flow.h"
#include "server/web_server.h"
#include "zendesk/url.h"

namespace sk::server {
namespace {

using nlohmann::json;

bool ValidHost(const std::string& h) {
  if (h.empty() || h.size() > 255) return false;
  for (char c : h)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' ||
          c == ']'))
      return false;
  return true;
}

void HtmlPage(httplib::Response& res, int status, const std::string& title, const std::string& body_html) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + HtmlEscape(title) +
          "</title><link rel=\"stylesheet\" href=\"/app.css\"></head><body class=\"plain\"><main><h1>" +
          HtmlEscape(title) + "</h1>" + body_html +
          "<p><a href=\"/\">Back to seatkeeper</a></p></main></body></html>",
      "text/html; charset=utf-8");
}

void RedirectToUi(httplib::Response& res, const std::string& fragment) {
  res.status = 303;
  res.set_header("Cache-Control", "no-store");
  res.set_header("Location", "/#" + fragment);
}

}  // namespace

void WebServer::RegisterConnectRoutes() {
  AddForAccount(
      {"POST",
       "/api/connect/start",
       Route::Access::kSession,
       "Start connecting a Zendesk account with OAuth: returns the authorize_url to send the browser to",
       {},
       {{"url", "https://acme.zendesk.com"},
        {"permission", "read-write"},
        {"client_id", "seatkeeper"},
        {"client_secret", "..."},
        {"timezone", "UTC"}}},
      [this](const httplib::Request& req, httplib::Response& res, const Session* s,
             const std::string& account) { ConnectStart(req, res, *s, account); },
      /*allow_new=*/true);
  Add({"GET",
       "/oauth/callback",
       Route::Access::kPublic,
       "OAuth redirect target: checks state against the session, exchanges the code, stores the connection",
       {{"code", "authorization code"},
        {"state", "the state sent to Zendesk"},
        {"error", "access_denied, ..."}},
       nullptr},
      [this](const httplib::Request& req, httplib::Response& res, const Session*) {
        OAuthCallback(req, res);
      });
}

void WebServer::ConnectStart(const httplib::Request& req, httplib::Response& res, const Session& s,
                             const std::string& account) {
  auto body = JsonBody(req);
  if (!body.ok()) return SendStatus(res, body.status());
  const json& b = *body;
  auto str = [&](const char* k) {
    return b.contains(k) && b[k].is_string() ? b[k].get<std::string>() : std::string();
  };
  auto url = zendesk::ValidateAccountUrl(str("url"), opt_.allow_local);
  if (!url.ok()) return SendStatus(res, url.status());
  PendingConnect p;
  p.account = account;
  p.url = *url;
  p.permission = str("permission");
  if (p.permission != "read" && p.permission != "read-write")
    return SendError(res, 400, "permission must be read or read-write", "invalid_argument");
  p.timezone = str("timezone").empty() ? "UTC" : str("timezone");
  if (auto z = Zone::Named(p.timezone); !z.ok()) return SendStatus(res, z.status());
  p.client_id = str("client_id");
  p.client_secret = str("client_secret");
  if (p.client_id.empty()) {
    // Reconnecting (e.g. to change the permission level) may reuse the stored OAuth client.
    auto old = store_->GetConnection(account);
    if (old.ok() && *old && (*old)->url == p.url && !(*old)->client_id.empty()) {
      p.client_id = (*old)->client_id;
      if (p.client_secret.empty()) p.client_secret = (*old)->client_secret;
      if (str("timezone").empty()) p.timezone = (*old)->timezone;
    }
  }
  if (p.client_id.empty() || p.client_id.size() > 256)
    return SendError(res, 400,
                     "client_id is required: the OAuth client's unique identifier from Zendesk Admin Center",
                     "invalid_argument");
  if (p.client_secret.size() > 1024)
    return SendError(res, 400, "client_secret is too long", "invalid_argument");
  std::string base = opt_.public_url;
  if (base.empty()) {
    const std::string host = req.get_header_value("Host");
    if (!ValidHost(host)) return SendError(res, 400, "missing or invalid Host header", "invalid_argument");
    base = "http://" + host;
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  p.redirect_uri = base + "/oauth/callback";
  p.code_verifier = RandomUrlToken(48);
  const std::string state = RandomUrlToken(32);
  const std::string authorize = AuthorizeUrl(p, state);
  const std::string redirect_uri = p.redirect_uri;
  if (Status st = sessions_.AddPending(s.id, state, std::move(p)); !st.ok()) return SendStatus(res, st);
  SendJson(res, 200, {{"authorize_url", authorize}, {"redirect_uri", redirect_uri}});
}

void WebServer::OAuthCallback(const httplib::Request& req, httplib::Response& res) {
  std::optional<Session> s = sessions_.Find(CookieValue(req, kSessionCookie));
  if (!s) {
    // A SameSite=Strict cookie is not sent on the cross-site redirect from
    // Zendesk: load the same URL once more from our own origin, which sends it.
    if (!req.has_param("_r")) {
      std::string target = req.path + "?";
      for (const auto& [k, v] : req.params)
        target += zendesk::UrlEncode(k) + "=" + zendesk::UrlEncode(v) + "&";
      target += "_r=1";
      res.status = 200;
      res.set_header("Cache-Control", "no-store");
      res.set_content(
          "<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url=" +
              HtmlEscape(target) + "\"><title>Connecting…</title></head><body><p>Connecting… <a href=\"" +
              HtmlEscape(target) + "\">continue</a></p></body></html>",
          "text/html; charset=utf-8");
      return;
    }
    return HtmlPage(res, 401, "Log in first",
                    "<p>Your seatkeeper session has expired. Log in and start connecting again.</p>");
  }
  const std::string state = req.get_param_value("state");
  auto pending = sessions_.TakePending(s->id, state);
  if (!pending) {
    Log("oauth callback refused: state does not match a connect attempt of this session");
    return HtmlPage(
        res, 400, "Connect refused",
        "<p>This authorization response does not belong to a connect attempt from your session (unknown, "
        "expired or already used <code>state</code>). Nothing was changed. Start connecting again.</p>");
  }
  if (req.has_param("error")) {
    std::string reason = req.get_param_value("error");
    if (req.has_param("error_description")) reason += ": " + req.get_param_value("error_description");
    if (req.get_param_value("error") == "access_denied")
      reason =
          "Zendesk access was denied (" + reason + "). Approve the request on Zendesk's page to connect.";
    Log("oauth connect denied: " + reason);
    return RedirectToUi(res, "/overview?connect_error=" + zendesk::UrlEncode(reason));
  }
  const std::string code = req.get_param_value("code");
  if (code.empty())
    return RedirectToUi(res, "/overview?connect_error=" + zendesk::UrlEncode("Zendesk sent no code"));
  auto conn = CompleteConnect(*store_, pending->account, *pending, code, opt_.ca_file);
  if (!conn.ok()) {
    Log("oauth connect failed: " + conn.status().ToString());
    return RedirectToUi(res, "/overview?connect_error=" + zendesk::UrlEncode(conn.status().message()));
  }
  Log("connected " + conn->url + " as account " + pending->account + " (" + conn->permission + ", plan " +
      conn->plan + ")");
  sync_runner(pending->account).Start("connect");
  RedirectToUi(res, "/overview?connected=1&account=" + zendesk::UrlEncode(pending->account));
}

}  // namespace sk::server
