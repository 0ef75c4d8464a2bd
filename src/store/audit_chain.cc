#include "store/audit_chain.h"

#include <sodium.h>

#include <algorithm>
#include <map>

namespace sk::store {
namespace {

void Field(std::string* out, const std::string& value) {
  *out += std::to_string(value.size());
  out->push_back(':');
  *out += value;
  out->push_back('\n');
}

std::string Short(const std::string& hash) {
  return hash.substr(0, 12);
}

// The break at `link` (position `seq`).
ChainBreak Break(const char* problem, int64_t seq, const AuditLink& link, std::string detail) {
  return ChainBreak{problem, seq, link.entry.id, link.revision_of ? link.revision_of : link.entry.id,
                    std::move(detail)};
}

// An edited row whose content matches its hash under another row's id: the two ids were swapped.
std::optional<int64_t> SwappedId(const AuditLink& link, const std::vector<const AuditLink*>& chained) {
  if (chained.size() > 20000) return std::nullopt;  // bounded work on a failure path
  for (const AuditLink* other : chained) {
    if (other->entry.id == link.entry.id) continue;
    AuditLink moved = link;
    moved.entry.id = other->entry.id;
    if (LinkHash(moved) == link.hash) return other->entry.id;
  }
  return std::nullopt;
}

// The first break along the chained rows (sorted by position), if any.
std::optional<ChainBreak> WalkChain(const std::vector<const AuditLink*>& chained, int64_t legacy_max_id,
                                    const std::map<int64_t, bool>& earlier_first_rows_init) {
  std::map<std::string, int64_t> position_of_hash;
  for (const AuditLink* l : chained) position_of_hash.emplace(l->hash, *l->seq);
  std::map<int64_t, bool> first_rows = earlier_first_rows_init;  // ids of rows seen so far -> is a first row
  std::string prev_hash = kGenesisHash;
  int64_t prev_id = legacy_max_id, expected = 1;
  for (const AuditLink* lp : chained) {
    const AuditLink& l = *lp;
    const int64_t seq = *l.seq;
    if (LinkHash(l) != l.hash) {
      if (auto other = SwappedId(l, chained))
        return Break("reordered", seq, l,
                     "row " + std::to_string(l.entry.id) + " holds the content hashed as row " +
                         std::to_string(*other) + ": their ids were swapped");
      return Break("edited", seq, l,
                   "row " + std::to_string(l.entry.id) + " at position " + std::to_string(seq) +
                       " no longer matches its hash " + Short(l.hash) +
                       "…: it was changed after it was written");
    }
    if (l.prev_hash != prev_hash) {
      auto it = position_of_hash.find(l.prev_hash);
      if (it != position_of_hash.end() && it->second != seq)
        return Break("reordered", expected, l,
                     "row " + std::to_string(l.entry.id) + " was written after the row now at position " +
                         std::to_string(it->second) + ", but stands at position " + std::to_string(seq));
      return Break("removed", expected, l,
                   "the row written before row " + std::to_string(l.entry.id) + " (hash " +
                       Short(l.prev_hash) + "…) is missing: position " + std::to_string(expected) +
                       " was removed");
    }
    if (seq < expected)
      return Break("reordered", seq, l, "position " + std::to_string(seq) + " is held by two rows");
    if (seq > expected)
      return Break("edited", expected, l,
                   "row " + std::to_string(l.entry.id) + " follows position " + std::to_string(expected - 1) +
                       " but its position was changed to " + std::to_string(seq));
    if (l.entry.id <= prev_id)
      return Break("reordered", seq, l,
                   "row " + std::to_string(l.entry.id) + " comes after row " + std::to_string(prev_id) +
                       " in the chain: ids only grow along it");
    if (l.revision_of != 0) {
      auto first = first_rows.find(l.revision_of);
      if (first == first_rows.end() || !first->second)
        return Break("removed", seq, l,
                     "row " + std::to_string(l.entry.id) + " revises audit entry " +
                         std::to_string(l.revision_of) + ", whose first row is missing");
    }
    first_rows[l.entry.id] = l.revision_of == 0;
    prev_hash = l.hash;
    prev_id = l.entry.id;
    ++expected;
  }
  return std::nullopt;
}

// The head against the last chained row.
std::optional<ChainBreak> CheckHead(const AuditHead& head, const std::vector<const AuditLink*>& chained) {
  const int64_t last_seq = chained.empty() ? 0 : *chained.back()->seq;
  const std::string last_hash = chained.empty() ? "" : chained.back()->hash;
  if (head.seq == last_seq && (head.seq == 0 || head.hash == last_hash)) return std::nullopt;
  if (head.seq > last_seq)
    return ChainBreak{"removed", last_seq + 1, 0, 0,
                      "the chain head says the chain ends at position " + std::to_string(head.seq) +
                          " (hash " + Short(head.hash) + "…), but the last row is at position " +
                          std::to_string(last_seq) + ": the rows after it were removed"};
  const AuditLink& last = *chained.back();
  if (head.seq < last_seq)
    return Break("edited", head.seq + 1, *chained[static_cast<size_t>(std::max<int64_t>(head.seq, 0))],
                 "the chain head says the chain ends at position " + std::to_string(head.seq) +
                     ", but rows follow it: they were added outside seatkeeper");
  return Break("edited", last_seq, last,
               "the last row's hash " + Short(last_hash) + "… is not the chain head's " + Short(head.hash) +
                   "…: the last row was replaced");
}

}  // namespace

std::string CanonicalForm(const AuditLink& l) {
  std::string out = "seatkeeper.audit.v1\n";
  const AuditEntry& e = l.entry;
  Field(&out, std::to_string(e.id));
  Field(&out, std::to_string(l.revision_of));
  Field(&out, e.account);
  Field(&out, std::to_string(e.at));
  Field(&out, e.actor);
  Field(&out, e.action);
  Field(&out, e.target);
  Field(&out, e.before_json);
  Field(&out, e.after_json);
  Field(&out, e.result);
  Field(&out, e.detail);
  Field(&out, l.prev_hash);
  return out;
}

std::string LinkHash(const AuditLink& link) {
  const std::string form = CanonicalForm(link);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(form.data()), form.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

ChainReport VerifyChain(const AuditChain& chain) {
  ChainReport r;
  const int64_t legacy_max_id = chain.head ? chain.head->legacy_max_id : 0;
  std::vector<const AuditLink*> chained;
  std::map<int64_t, bool> legacy_rows;  // id -> is a first row
  std::optional<ChainBreak> unchained_late;
  for (const auto& l : chain.links) {
    if (l.revision_of == 0) ++r.entries;
    if (l.seq && !l.hash.empty()) {
      chained.push_back(&l);
      continue;
    }
    if (chain.head && l.entry.id <= legacy_max_id) {
      ++r.unchained;
      legacy_rows[l.entry.id] = l.revision_of == 0;
    } else if (!unchained_late) {
      unchained_late =
          Break("edited", l.seq.value_or(0), l,
                "row " + std::to_string(l.entry.id) + " has no hash, yet rows before the chain end at id " +
                    std::to_string(legacy_max_id) + ": its chain fields were removed");
    }
  }
  std::sort(chained.begin(), chained.end(), [](const AuditLink* a, const AuditLink* b) {
    return *a->seq != *b->seq ? *a->seq < *b->seq : a->entry.id < b->entry.id;
  });
  r.links = static_cast<int64_t>(chained.size());
  if (!chained.empty()) {
    r.first_chained_id = chained.front()->entry.id;
    r.head_hash = chained.back()->hash;
  }
  if (!chain.head && !chain.links.empty()) {
    r.first_break = ChainBreak{"removed", 0, 0, 0,
                               "the chain head (audit_head) of the account is missing: it is written with "
                               "every audit entry"};
  } else if (auto b = WalkChain(chained, legacy_max_id, legacy_rows)) {
    // A row whose chain fields were removed breaks the link of the row after it: name it instead.
    r.first_break = unchained_late && unchained_late->id < b->id ? unchained_late : b;
  } else if (unchained_late) {
    r.first_break = unchained_late;
  } else if (chain.head) {
    r.first_break = CheckHead(*chain.head, chained);
  }
  r.intact = !r.first_break.has_value();
  return r;
}

}  // namespace sk::store
