// `vigil audit`: check and read the tamper-evident audit log.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/json_escape.h"
#include "formats/formats.h"
#include "store/store.h"

namespace vigil::cli {
namespace {

struct AuditFlags {
  std::string db = "vigil.db";
  std::string expect_head;
  int64_t after = 0;
  int64_t limit = 0;
};

int RunVerify(const AuditFlags& f) {
  const std::string ctx = "audit verify";
  auto st = store::OpenStore(f.db);
  if (!st.ok()) {
    PrintError(ctx, st.status().WithContext(f.db));
    return ExitCodeFor(st.status());
  }
  auto r = (*st)->VerifyAudit();
  if (!r.ok()) {
    PrintError(ctx, r.status());
    return ExitCodeFor(r.status());
  }
  if (!r->ok) {
    std::fprintf(stderr, "vigil: %s: TAMPERED: first bad entry is seq %lld: %s\n", ctx.c_str(),
                 static_cast<long long>(r->first_bad_seq), r->problem.c_str());
    return kExitFailure;
  }
  if (!f.expect_head.empty()) {
    // An anchor taken earlier must still be in the chain; otherwise the log was truncated
    // or rewritten from before that point.
    bool found = false;
    int64_t at = 0;
    Status s = (*st)->ForEachAudit(0, [&](const store::AuditEntry& e) {
      if (e.hash == f.expect_head) {
        found = true;
        at = e.seq;
        return false;
      }
      return true;
    });
    if (!s.ok()) {
      PrintError(ctx, s);
      return kExitFailure;
    }
    if (!found) {
      std::fprintf(stderr,
                   "vigil: %s: TAMPERED: the anchored hash %s is not in the log (truncated or "
                   "rewritten)\n",
                   ctx.c_str(), f.expect_head.c_str());
      return kExitFailure;
    }
    std::printf("anchor %s found at entry %lld\n", f.expect_head.c_str(),
                static_cast<long long>(at));
  }
  std::printf("audit log intact: %lld entries, head %s\n", static_cast<long long>(r->entries),
              r->head_hash.c_str());
  return kExitOk;
}

int RunList(const AuditFlags& f) {
  auto st = store::OpenStore(f.db);
  if (!st.ok()) {
    PrintError("audit list", st.status().WithContext(f.db));
    return ExitCodeFor(st.status());
  }
  int64_t n = 0;
  Status s = (*st)->ForEachAudit(f.after, [&](const store::AuditEntry& e) {
    std::printf(
        "{\"seq\":%lld,\"at\":\"%s\",\"actor\":%s,\"action\":%s,\"target\":%s,\"before\":%s,"
        "\"after\":%s,\"details\":%s,\"hash\":\"%s\"}\n",
        static_cast<long long>(e.seq), formats::Rfc3339Ms(e.at_ms).c_str(),
        JsonQuote(e.actor).c_str(), JsonQuote(e.action).c_str(), JsonQuote(e.target).c_str(),
        JsonQuote(e.before).c_str(), JsonQuote(e.after).c_str(), JsonQuote(e.details).c_str(),
        e.hash.c_str());
    return f.limit == 0 || ++n < f.limit;
  });
  if (!s.ok()) {
    PrintError("audit list", s);
    return ExitCodeFor(s);
  }
  return kExitOk;
}

void AddDb(CLI::App* c, AuditFlags* f) {
  c->add_option("--db", f->db,
                "Store: a SQLite file path (default ./vigil.db) or a PostgreSQL connection "
                "string (postgres://..., 'host=... dbname=...')");
}

}  // namespace

void RegisterAudit(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<AuditFlags>();  // shared with the callbacks CLI11 keeps
  auto* audit = app.add_subcommand(
      "audit",
      "The tamper-evident audit log: every change to the store appends an entry that\n"
      "commits to the previous entry's SHA-256, so edits, deletions, insertions and\n"
      "reordering are detectable.");
  audit->require_subcommand(1);

  auto* verify = audit->add_subcommand(
      "verify",
      "Check the whole hash chain. Exit 0 and print the head hash if intact; exit 1 naming\n"
      "the first bad entry if any entry was edited, deleted, inserted or reordered. Keep\n"
      "the printed head somewhere else and pass it to --expect-head later to also detect\n"
      "truncation or a rewrite of the whole log.");
  verify->add_option("--expect-head", f->expect_head,
                     "A head hash printed by an earlier verify that must still be in the log");
  AddDb(verify, f.get());
  verify->callback([f, exit_code] { *exit_code = RunVerify(*f); });

  auto* list = audit->add_subcommand("list", "Print entries as JSON lines, oldest first");
  list->add_option("--after", f->after, "Start after this sequence number (default 0)");
  list->add_option("--limit", f->limit, "At most this many entries (default all)");
  AddDb(list, f.get());
  list->callback([f, exit_code] { *exit_code = RunList(*f); });
}

}  // namespace vigil::cli
