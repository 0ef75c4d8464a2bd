#include "search.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "render.h"
#include "util/time.h"

namespace zdsim {

namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool Wildcard(const std::string& pattern, const std::string& s) {
  const auto star = pattern.find('*');
  if (star == std::string::npos) return pattern == s;
  const std::string pre = pattern.substr(0, star), post = pattern.substr(star + 1);
  return s.size() >= pre.size() + post.size() && s.compare(0, pre.size(), pre) == 0 &&
         s.compare(s.size() - post.size(), post.size(), post) == 0;
}

bool MatchUserRef(const Dataset& ds, int32_t who, const SearchTerm& term, int32_t me) {
  if (term.lower == "none") return who < 0;
  if (term.lower == "me") return who == me;
  if (who < 0) return false;
  if (term.user) return who == *term.user;  // an id, looked up once
  const User& u = ds.users[who];
  return Lower(u.email) == term.lower;
}

int StatusRank(const std::string& s) { return StatusFromName(Lower(s)); }

bool Compare(int a, const std::string& op, int b) {
  if (op == "<") return a < b;
  if (op == "<=") return a <= b;
  if (op == ">") return a > b;
  if (op == ">=") return a >= b;
  return a == b;
}

// A date term (`updated>2026-11-01`, `created<=2026-11-20T10:00:00Z`) on a
// time: a bare date is the whole UTC day (`>` after it, `>=` from its start,
// `<` before it, `<=` until its end, `:` within it), an ISO time is exact.
bool MatchTime(int64_t t, const SearchTerm& term) {
  const std::string& op = term.op;
  if (term.day_start) {
    const int64_t start = *term.day_start, end = start + 86400;
    if (op == ">") return t >= end;
    if (op == ">=") return t >= start;
    if (op == "<") return t < start;
    if (op == "<=") return t < end;
    return t >= start && t < end;
  }
  if (term.at) return Compare(t < *term.at ? -1 : t > *term.at ? 1 : 0, op, 0);
  return false;  // relative units (24hours) are not simulated
}

// Zendesk's `commenter:`: someone who wrote a comment (public or private) on the ticket.
bool Commented(const Dataset& ds, const Ticket& t, const SearchTerm& v, int32_t me) {
  const auto idx = static_cast<size_t>(t.id - 1);
  if (idx >= ds.ticket_events.size()) return false;
  for (int32_t e : ds.ticket_events[idx]) {
    const Event& ev = ds.events[static_cast<size_t>(e)];
    if ((ev.flags & kComment) && ev.actor >= 0 && MatchUserRef(ds, ev.actor, v, me)) return true;
  }
  return false;
}

}  // namespace

SearchQuery ParseSearch(const std::string& q, const Dataset& ds) {
  SearchQuery out;
  std::istringstream in(q);
  std::string tok;
  while (in >> tok) {
    SearchTerm t;
    if (tok[0] == '-' && tok.size() > 1) {
      t.negate = true;
      tok = tok.substr(1);
    }
    const auto pos = tok.find_first_of(":<>");
    if (pos == std::string::npos || pos == 0) {
      t.value = tok;
      out.terms.push_back(t);
      continue;
    }
    t.field = Lower(tok.substr(0, pos));
    size_t vstart = pos + 1;
    std::string op(1, tok[pos]);
    if (tok[pos] != ':' && vstart < tok.size() && tok[vstart] == '=') {
      op.push_back('=');
      ++vstart;
    }
    t.op = std::move(op);
    t.value = tok.substr(vstart);
    if (t.field == "type" && t.op == ":") out.type = Lower(t.value);
    else out.terms.push_back(t);
  }
  for (auto& t : out.terms) {
    t.lower = Lower(t.value);
    if (!t.value.empty() && t.value.size() < 19 && std::all_of(t.value.begin(), t.value.end(), ::isdigit))
      t.user = ds.UserIndex(std::stoll(t.value));
    if (auto day = sk::ParseDay(t.value))
      t.day_start = *day * 86400;
    else if (auto at = sk::ParseIso(t.value))
      t.at = *at;
  }
  // Terms are and-ed: the costly one (commenter reads the ticket's events) goes last.
  std::stable_partition(out.terms.begin(), out.terms.end(),
                        [](const SearchTerm& t) { return t.field != "commenter"; });
  return out;
}

std::optional<std::vector<int32_t>> CandidateTickets(const Dataset& ds, const SearchQuery& q, int32_t me) {
  for (const auto& term : q.terms) {
    if (term.field != "commenter" || term.negate) continue;
    const int32_t who = term.lower == "me" ? me : term.user ? *term.user : -2;
    if (who == -2) continue;  // an email: matched ticket by ticket
    std::vector<int32_t> out;
    if (who >= 0 && static_cast<size_t>(who) < ds.commented.size())
      out = ds.commented[static_cast<size_t>(who)];
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
  return std::nullopt;
}

bool MatchTicket(const Dataset& ds, const Ticket& t, const SearchQuery& q, int32_t me) {
  for (const auto& term : q.terms) {
    bool m = true;
    if (term.field == "assignee")
      m = MatchUserRef(ds, t.assignee, term, me);
    else if (term.field == "requester")
      m = MatchUserRef(ds, t.requester, term, me);
    else if (term.field == "submitter")
      m = MatchUserRef(ds, t.submitter, term, me);
    else if (term.field == "commenter")
      m = Commented(ds, t, term, me);
    else if (term.field == "updated")
      m = MatchTime(t.updated_at, term);
    else if (term.field == "created")
      m = MatchTime(t.created_at, term);
    else if (term.field == "status") {
      const int want = StatusRank(term.value);
      m = want >= 0 && Compare(t.status, term.op, want);
    } else if (term.field.empty()) {
      m = Lower(TicketSubject(t.id)).find(term.lower) != std::string::npos;
    }
    if (m == term.negate) return false;
  }
  return true;
}

bool MatchUser(const Dataset&, const User& u, const SearchQuery& q) {
  for (const auto& term : q.terms) {
    bool m = true;
    if (term.field == "role")
      m = u.role == term.lower;
    else if (term.field == "email")
      m = Wildcard(term.lower, Lower(u.email));
    else if (term.field == "name" || term.field.empty())
      m = Lower(u.name).find(term.lower) != std::string::npos ||
          (term.field.empty() && Lower(u.email).find(term.lower) != std::string::npos);
    if (m == term.negate) return false;
  }
  return true;
}

}  // namespace zdsim
