// The audit trail as a hash chain (tamper evidence, issue #17 item 4).
//
// The audit table is append-only: an action's entry is one row when it
// starts, and each later outcome (Store::UpdateAudit) is a new row, a
// revision, carrying the whole entry again with `revision_of` naming the
// first row. Every row of an account has a position `seq` (1, 2, 3, ...), the
// hash of the row before it (`prev_hash`; 64 '0's for the first) and its own
// `hash`: lowercase hex SHA-256 (libsodium) of CanonicalForm(). The account's
// audit_head row holds the last seq and hash, so a removed tail shows too.
//
// Canonical form, version 1 (what is hashed; no two different rows give the
// same bytes): the line "seatkeeper.audit.v1\n", then these fields in this
// order, each written as <decimal byte length> ":" <bytes> "\n":
//   id, revision_of (0 for a first row), account, at (Unix seconds), actor,
//   action, target, before_json, after_json, result, detail, prev_hash.
// Integers are decimal ASCII ("-" for a negative one). The position (seq) is
// not hashed: the links (prev_hash) and the ids, which only grow along the
// chain, say where a row belongs.
//
// Rows from before the chain existed (stores upgraded to schema 6) have no
// hash: audit_head.legacy_max_id is the last such id. The chain starts at the
// first hashed row; VerifyChain reports the older rows as unchained.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace sk::store {

// The previous hash of the first row of a chain.
inline constexpr const char* kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// The bytes hashed for `link` (see the file comment).
std::string CanonicalForm(const AuditLink& link);
// Lowercase hex SHA-256 of CanonicalForm(link).
std::string LinkHash(const AuditLink& link);

// The first bad row of a chain.
struct ChainBreak {
  std::string problem;   // "edited" | "removed" | "reordered"
  int64_t seq = 0;       // its position (0: before the chain, or the head)
  int64_t id = 0;        // its row id (0: the head)
  int64_t entry_id = 0;  // the audit entry it belongs to (as `audit` lists it)
  std::string detail;    // why, in words
};

struct ChainReport {
  bool intact = true;
  int64_t links = 0;      // hashed rows
  int64_t entries = 0;    // audit entries (rows that are not revisions), chained or not
  int64_t unchained = 0;  // rows from before the chain
  std::optional<int64_t> first_chained_id;
  std::string head_hash;
  std::optional<ChainBreak> first_break;
};

// Checks `chain`: every row's hash, each link to the row before it, positions
// 1..n without gap, ids growing along the chain, revisions following the row
// they revise, and the head naming the last row.
ChainReport VerifyChain(const AuditChain& chain);

}  // namespace sk::store
