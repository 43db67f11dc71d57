// `vigil bank`: create, inspect, fill and export banks (hash lists) in the store.
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/file.h"
#include "formats/formats.h"
#include "store/store.h"
#include "worker/publisher.h"

namespace vigil::cli {
namespace {

constexpr const char* kDefaultDb = "vigil.db";
constexpr size_t kIssuesPrinted = 20;

struct BankFlags {
  std::string db = kDefaultDb;
  std::string actor;
  std::string name;
  // create
  std::string description;
  std::string scope = "private";
  std::string owner;
  std::vector<std::string> share_with;
  // add / remove
  std::vector<std::string> values;
  std::string type = "pdq";
  std::vector<std::string> labels;
  int quality = -1;
  // import / export
  std::string file;
  std::string format = "plain";
  bool skip_invalid = false;
  bool create = false;
  std::string source;
  int64_t since = 0;
  std::string output;
  std::string tlp = "amber";
  std::string only_type;
  std::string producer;
  bool json = false;
  // add / remove / import with --nats: tell the workers (docs/operations.md)
  std::string nats;
  std::string bank_stream = "VIGIL_BANKS";
};

// With --nats: publishes the bank's new version on the bank stream, so every `vigil worker`
// refreshes its index (what `vigil queue publish-banks` does for all banks).
int Announce(const BankFlags& f, const std::string& ctx, int64_t bank_id, int64_t version) {
  if (f.nats.empty()) return kExitOk;
  worker::QueueNames names;
  names.bank_stream = f.bank_stream;
  auto pub = worker::WorkPublisher::Connect(f.nats, "vigil bank", names, {});
  Status s = pub.ok() ? (*pub)->PublishBankVersion(bank_id, version) : pub.status();
  if (!s.ok()) {
    PrintError(ctx, s.WithContext("the change is stored, but the workers were not told "
                                  "(run `vigil queue publish-banks`)"));
    return ExitCodeFor(s);
  }
  pub->reset();  // closes the connection before the library shuts down
  worker::ShutdownNats();
  std::cout << "published bank version " << version << " to the workers\n";
  return kExitOk;
}

void AddNats(CLI::App* cmd, BankFlags* f) {
  cmd->add_option("--nats", f->nats,
                  "Tell `vigil worker`s about the change: NATS JetStream URL(s) (publishes the "
                  "bank's new version on the bank stream)");
  cmd->add_option("--banks-stream", f->bank_stream, "With --nats: bank notice stream")
      ->capture_default_str();
}

std::string DefaultActor() {
  const char* user = std::getenv("USER");
  std::string name = user && *user ? user : "";
  if (name.empty()) {
    if (const passwd* pw = getpwuid(getuid())) name = pw->pw_name;
  }
  return "cli:" + (name.empty() ? std::to_string(getuid()) : name);
}

std::string Actor(const BankFlags& f) { return f.actor.empty() ? DefaultActor() : f.actor; }

int Fail(const std::string& ctx, const Status& s) {
  PrintError(ctx, s);
  return ExitCodeFor(s);
}

Result<std::unique_ptr<store::Store>> Open(const BankFlags& f) {
  auto s = store::OpenStore(f.db);
  if (!s.ok()) return s.status().WithContext(f.db);
  return s;
}

// Finds an organisation by name, creating it (audited) if it does not exist yet.
Result<int64_t> OrgId(store::Store& st, const std::string& actor, const std::string& name) {
  auto org = st.FindOrganisation(name);
  if (org.ok()) return org->id;
  if (org.status().code() != StatusCode::kNotFound) return org.status();
  VIGIL_ASSIGN_OR_RETURN(store::Organisation created, st.CreateOrganisation(actor, name, ""));
  return created.id;
}

std::string Time(int64_t ms) { return ms ? formats::Rfc3339Ms(ms) : "-"; }

int RunCreate(const BankFlags& f) {
  const std::string ctx = "bank create";
  auto scope = store::ParseSharingScope(f.scope);
  if (!scope.ok()) return Fail(ctx, scope.status());
  auto st = Open(f);
  if (!st.ok()) return Fail(ctx, st.status());
  const std::string actor = Actor(f);
  store::Bank b;
  b.name = f.name;
  b.scope = *scope;
  b.description = f.description;
  if (!f.owner.empty()) {
    auto id = OrgId(**st, actor, f.owner);
    if (!id.ok()) return Fail(ctx, id.status());
    b.owner_org_id = *id;
  }
  for (const std::string& org : f.share_with) {
    auto id = OrgId(**st, actor, org);
    if (!id.ok()) return Fail(ctx, id.status());
    b.shared_with.push_back(*id);
  }
  if (!b.shared_with.empty() && b.scope == store::SharingScope::kPrivate) {
    b.scope = store::SharingScope::kOrganisations;
  }
  auto bank = (*st)->CreateBank(actor, b);
  if (!bank.ok()) return Fail(ctx, bank.status());
  std::cout << "created bank " << bank->name << " (id " << bank->id << ", "
            << store::SharingScopeName(bank->scope) << ")\n";
  return kExitOk;
}

int RunList(const BankFlags& f) {
  auto st = Open(f);
  if (!st.ok()) return Fail("bank list", st.status());
  auto banks = (*st)->ListBanks();
  if (!banks.ok()) return Fail("bank list", banks.status());
  if (!f.json) std::printf("%-32s %8s %-13s %s\n", "NAME", "VERSION", "SCOPE", "DESCRIPTION");
  for (const store::Bank& b : *banks) {
    if (f.json) {
      std::printf("{\"id\":%lld,\"name\":\"%s\",\"version\":%lld,\"scope\":\"%s\"}\n",
                  static_cast<long long>(b.id), b.name.c_str(), static_cast<long long>(b.version),
                  std::string(store::SharingScopeName(b.scope)).c_str());
    } else {
      std::printf("%-32s %8lld %-13s %s\n", b.name.c_str(), static_cast<long long>(b.version),
                  std::string(store::SharingScopeName(b.scope)).c_str(), b.description.c_str());
    }
  }
  return kExitOk;
}

Result<store::Bank> FindBank(store::Store& st, const std::string& name) {
  auto b = st.FindBank(name);
  if (!b.ok() && b.status().code() == StatusCode::kNotFound) {
    return Status::NotFound("no bank named '" + name + "' (see `vigil bank list`)");
  }
  return b;
}

std::string OrgName(store::Store& st, int64_t id) {
  if (id == 0) return "-";
  auto o = st.GetOrganisation(id);
  return o.ok() ? o->name : "org " + std::to_string(id);
}

void PrintStats(const store::BankStats& s) {
  std::cout << "live signals:    " << s.live << "\n"
            << "removed:         " << s.removed << " (tombstones kept for incremental export)\n"
            << "version:         " << s.version << "\n";
  for (const auto& [type, n] : s.live_by_type) {
    std::cout << "  type " << store::SignalTypeName(type) << ": " << n << "\n";
  }
  for (const auto& [label, n] : s.live_by_label) {
    std::cout << "  label " << label << ": " << n << "\n";
  }
}

int RunShow(const BankFlags& f, bool stats_only) {
  const std::string ctx = stats_only ? "bank stats" : "bank show";
  auto st = Open(f);
  if (!st.ok()) return Fail(ctx, st.status());
  auto b = FindBank(**st, f.name);
  if (!b.ok()) return Fail(ctx, b.status());
  if (!stats_only) {
    std::cout << "bank:            " << b->name << " (id " << b->id << ")\n"
              << "description:     " << b->description << "\n"
              << "owner:           " << OrgName(**st, b->owner_org_id) << "\n"
              << "sharing:         " << store::SharingScopeName(b->scope);
    for (size_t i = 0; i < b->shared_with.size(); ++i) {
      std::cout << (i ? ", " : ": ") << OrgName(**st, b->shared_with[i]);
    }
    std::cout << "\ncreated:         " << Time(b->created_ms) << "\n"
              << "updated:         " << Time(b->updated_ms) << "\n";
  }
  auto s = (*st)->GetBankStats(b->id);
  if (!s.ok()) return Fail(ctx, s.status());
  PrintStats(*s);
  return kExitOk;
}

int RunAddRemove(const BankFlags& f, bool remove) {
  const std::string ctx = remove ? "bank remove" : "bank add";
  auto type = store::ParseSignalType(f.type);
  if (!type.ok()) return Fail(ctx, type.status());
  auto st = Open(f);
  if (!st.ok()) return Fail(ctx, st.status());
  auto b = FindBank(**st, f.name);
  if (!b.ok()) return Fail(ctx, b.status());
  std::vector<store::SignalInput> add;
  std::vector<store::MediaSignal> del;
  for (const std::string& v : f.values) {
    if (remove) {
      del.push_back({*type, v, -1});
    } else {
      add.push_back({*type, v, f.quality, f.labels, f.source.empty() ? "cli" : f.source});
    }
  }
  auto r = (*st)->ApplySignalChanges(Actor(f), b->id, add, del, 0);
  if (!r.ok()) return Fail(ctx, r.status());
  if (remove) {
    std::cout << "removed " << r->removed << " of " << f.values.size() << " from " << b->name
              << " (version " << r->version << ")\n";
  } else {
    std::cout << "added " << r->added << ", merged " << r->merged << ", unchanged " << r->unchanged
              << " in " << b->name << " (version " << r->version << ")\n";
  }
  return Announce(f, ctx, b->id, r->version);
}

int RunImport(const BankFlags& f) {
  const std::string ctx = "bank import";
  auto format = formats::ParseFormat(f.format);
  if (!format.ok()) return Fail(ctx, format.status());
  auto type = store::ParseSignalType(f.type);
  if (!type.ok()) return Fail(ctx, type.status());
  std::string data;
  if (f.file == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    data = ss.str();
  } else {
    auto bytes = ReadFileBytes(f.file, formats::kMaxImportBytes);
    if (!bytes.ok()) return Fail(ctx, bytes.status());
    data.assign(bytes->begin(), bytes->end());
  }
  formats::ParseOptions po;
  po.default_type = *type;
  po.source_exchange = f.source;
  if (po.source_exchange.empty() && *format == formats::Format::kPlain) {
    po.source_exchange = "file:" + f.file;
  }
  auto parsed = formats::ParseSignals(*format, data, po);
  if (!parsed.ok()) return Fail(ctx, parsed.status().WithContext(f.file));
  data.clear();
  data.shrink_to_fit();
  const char* unit = *format == formats::Format::kStix ? "object" : "line";
  for (size_t i = 0; i < parsed->issues.size() && i < kIssuesPrinted; ++i) {
    const auto& is = parsed->issues[i];
    std::fprintf(stderr, "vigil: %s: %s: %s %lld: %s\n", ctx.c_str(), f.file.c_str(), unit,
                 static_cast<long long>(is.line), is.message.c_str());
  }
  if (parsed->issue_count > static_cast<int64_t>(kIssuesPrinted)) {
    std::fprintf(stderr, "vigil: %s: ... and %lld more\n", ctx.c_str(),
                 static_cast<long long>(parsed->issue_count - kIssuesPrinted));
  }
  if (parsed->issue_count > 0 && !f.skip_invalid) {
    std::fprintf(stderr,
                 "vigil: %s: %lld malformed %s%s in %s; nothing imported (use --skip-invalid to "
                 "import the rest)\n",
                 ctx.c_str(), static_cast<long long>(parsed->issue_count), unit,
                 parsed->issue_count == 1 ? "" : "s", f.file.c_str());
    return kExitFailure;
  }
  auto st = Open(f);
  if (!st.ok()) return Fail(ctx, st.status());
  const std::string actor = Actor(f);
  auto b = FindBank(**st, f.name);
  if (!b.ok() && b.status().code() == StatusCode::kNotFound && f.create) {
    store::Bank spec;
    spec.name = f.name;
    spec.description = "imported from " + f.file;
    b = (*st)->CreateBank(actor, spec);
  }
  if (!b.ok()) return Fail(ctx, b.status());
  std::vector<store::SignalInput> add;
  std::vector<store::MediaSignal> del;
  add.reserve(parsed->records.size());
  for (formats::Record& r : parsed->records) {
    if (r.removed) {
      del.push_back({r.signal.type, std::move(r.signal.value), -1});
    } else {
      add.push_back(std::move(r.signal));
    }
  }
  parsed->records.clear();
  parsed->records.shrink_to_fit();
  auto res = (*st)->ApplySignalChanges(actor, b->id, add, del, 0);
  if (!res.ok()) return Fail(ctx, res.status());
  std::cout << "imported " << f.file << " into " << b->name << ": " << res->added << " added, "
            << res->merged << " merged, " << res->unchanged << " unchanged, " << res->removed
            << " removed";
  if (parsed->issue_count) std::cout << ", " << parsed->issue_count << " invalid skipped";
  if (parsed->skipped) std::cout << ", " << parsed->skipped << " false positives skipped";
  std::cout << " (bank version " << res->version << ")\n";
  return Announce(f, ctx, b->id, res->version);
}

int RunExport(const BankFlags& f) {
  const std::string ctx = "bank export";
  auto format = formats::ParseFormat(f.format);
  if (!format.ok()) return Fail(ctx, format.status());
  auto st = Open(f);
  if (!st.ok()) return Fail(ctx, st.status());
  auto b = FindBank(**st, f.name);
  if (!b.ok()) return Fail(ctx, b.status());
  store::SignalQuery q;
  q.since_version = f.since;
  if (!f.only_type.empty()) {
    auto t = store::ParseSignalType(f.only_type);
    if (!t.ok()) return Fail(ctx, t.status());
    q.type = *t;
  }
  formats::ExportInfo info;
  info.bank_name = b->name;
  info.producer = f.producer.empty() ? (b->owner_org_id ? OrgName(**st, b->owner_org_id) : "vigil")
                                     : f.producer;
  info.since_version = f.since;
  info.bank_version = b->version;
  info.tlp = f.tlp;
  info.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::ostringstream buffer;
  std::ostream& out = f.output.empty() ? std::cout : buffer;
  auto w = formats::MakeWriter(*format, info, out);
  if (!w.ok()) return Fail(ctx, w.status());
  Status s = (*st)->ForEachSignal(b->id, q, [&](const store::Signal& sig) {
    (*w)->Write(sig);
    return true;
  });
  if (!s.ok()) return Fail(ctx, s);
  s = (*w)->Finish();
  if (!s.ok()) return Fail(ctx, s);
  if (!f.output.empty()) {
    std::string text = buffer.str();
    s = WriteFileAtomic(f.output, text.data(), text.size());
    if (!s.ok()) return Fail(ctx, s);
  }
  std::fprintf(stderr, "exported %lld signals from %s (version %lld, since %lld) as %s\n",
               static_cast<long long>((*w)->written()), b->name.c_str(),
               static_cast<long long>(b->version), static_cast<long long>(f.since),
               std::string(formats::FormatName(*format)).c_str());
  if ((*w)->omitted() > 0) {
    std::fprintf(stderr,
                 "vigil: %s: %lld deletions left out: %s cannot express them (use stix or "
                 "jsonl for incremental sync)\n",
                 ctx.c_str(), static_cast<long long>((*w)->omitted()),
                 std::string(formats::FormatName(*format)).c_str());
  }
  return kExitOk;
}

void AddDb(CLI::App* c, BankFlags* f) {
  c->add_option("--db", f->db,
                "Store: a SQLite file path (default ./vigil.db, created if missing) or a "
                "PostgreSQL connection string (postgres://..., postgresql://... or "
                "'host=... dbname=...')");
  c->add_option("--actor", f->actor, "Who to record in the audit log (default cli:$USER)");
}

}  // namespace

void RegisterBank(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<BankFlags>();  // shared with the callbacks CLI11 keeps
  auto* bank = app.add_subcommand(
      "bank",
      "Manage banks: named hash lists with labels, provenance and sharing scope.\n"
      "Every change is one transaction, bumps the bank's version and is recorded in the\n"
      "tamper-evident audit log (see `vigil audit verify`).");
  bank->require_subcommand(1);

  auto* create = bank->add_subcommand("create", "Create an empty bank");
  create->add_option("name", f->name, "Bank name: 1-64 of A-Z a-z 0-9 . _ -")->required();
  create->add_option("--description", f->description, "What the bank holds");
  create
      ->add_option("--scope", f->scope,
                   "Who may read it: private (owner only, default), organisations (owner "
                   "and --share-with), public")
      ->check(CLI::IsMember({"private", "organisations", "organizations", "public"}));
  create->add_option("--owner", f->owner, "Owning organisation (created if new)");
  create->add_option("--share-with", f->share_with,
                     "Organisations that may read it (implies --scope organisations)");
  AddDb(create, f.get());
  create->callback([f, exit_code] { *exit_code = RunCreate(*f); });

  auto* list = bank->add_subcommand("list", "List banks with their version and sharing scope");
  list->add_flag("--json", f->json, "One JSON object per bank");
  AddDb(list, f.get());
  list->callback([f, exit_code] { *exit_code = RunList(*f); });

  auto* show = bank->add_subcommand("show", "Show a bank's details and statistics");
  show->add_option("name", f->name, "Bank name")->required();
  AddDb(show, f.get());
  show->callback([f, exit_code] { *exit_code = RunShow(*f, false); });

  auto* stats = bank->add_subcommand(
      "stats", "Count a bank's live and removed signals, by type and by label");
  stats->add_option("name", f->name, "Bank name")->required();
  AddDb(stats, f.get());
  stats->callback([f, exit_code] { *exit_code = RunShow(*f, true); });

  auto* add = bank->add_subcommand(
      "add",
      "Add signals given on the command line (one transaction). A signal already in the\n"
      "bank is merged (labels united), never doubled.");
  add->add_option("name", f->name, "Bank name")->required();
  add->add_option("values", f->values, "Signal values (e.g. 64-hex-digit PDQ hashes)")->required();
  add->add_option("--type", f->type,
                  "Signal type: pdq (default), vpdq, tmk, md5, sha256, audio, text, url");
  add->add_option("--label", f->labels,
                  "Label for every value (repeatable), e.g. behaviour:recruitment");
  add->add_option("--quality", f->quality, "PDQ quality 0..100 (default unknown)");
  add->add_option("--source", f->source, "Provenance: where these came from (default cli)");
  AddDb(add, f.get());
  AddNats(add, f.get());
  add->callback([f, exit_code] { *exit_code = RunAddRemove(*f, false); });

  auto* remove = bank->add_subcommand(
      "remove", "Remove signals (kept as tombstones, so incremental exports tell partners)");
  remove->add_option("name", f->name, "Bank name")->required();
  remove->add_option("values", f->values, "Signal values")->required();
  remove->add_option("--type", f->type, "Signal type (default pdq)");
  AddDb(remove, f.get());
  AddNats(remove, f.get());
  remove->callback([f, exit_code] { *exit_code = RunAddRemove(*f, true); });

  auto* imp = bank->add_subcommand(
      "import",
      "Import a file into a bank as ONE transaction. Malformed lines are reported with\n"
      "their line numbers (STIX: object positions) and nothing is imported unless\n"
      "--skip-invalid is given. Duplicates are merged, not doubled. Formats:\n"
      "  plain   VALUE[,LABEL...] per line (type from --type; a vpdq line is all value,\n"
      "          labels after a TAB); # comments\n"
      "  te-csv  python-threatexchange `dataset -P --csv` (collab,signal_type,signal_str,...)\n"
      "  hma     HMA bank signal JSON per line ({\"pdq\": \"...\"})\n"
      "  stix    STIX 2.1 bundle of indicators (revoked ones are removals)\n"
      "  jsonl   vigil's own export (removed ones are removals)");
  imp->add_option("name", f->name, "Bank name")->required();
  imp->add_option("file", f->file, "File to import, or - for stdin")->required();
  imp->add_option("--format", f->format, "plain (default), te-csv, hma, stix, jsonl")
      ->check(CLI::IsMember({"plain", "te-csv", "hma", "stix", "jsonl"}));
  imp->add_option("--type", f->type, "Signal type of a plain file (default pdq)");
  imp->add_flag("--skip-invalid", f->skip_invalid, "Import the valid lines, skip the bad ones");
  imp->add_flag("--create", f->create, "Create the bank if it does not exist");
  imp->add_option("--source", f->source,
                  "Provenance recorded on each signal (default: from the file)");
  AddDb(imp, f.get());
  AddNats(imp, f.get());
  imp->callback([f, exit_code] { *exit_code = RunImport(*f); });

  auto* exp = bank->add_subcommand(
      "export",
      "Export a bank (to stdout or --output). --since N exports only what changed after\n"
      "bank version N, deletions included (stix: revoked indicators; jsonl: \"removed\"),\n"
      "so partners can sync incrementally; plain, te-csv and hma hold live signals only.");
  exp->add_option("name", f->name, "Bank name")->required();
  exp->add_option("--format", f->format, "plain (default), te-csv, hma, stix, jsonl")
      ->check(CLI::IsMember({"plain", "te-csv", "hma", "stix", "jsonl"}));
  exp->add_option("--since", f->since, "Only changes after this bank version (default: all)");
  exp->add_option("--type", f->only_type, "Only this signal type");
  exp->add_option("-o,--output", f->output, "Write here (atomically) instead of stdout");
  exp->add_option("--tlp", f->tlp, "STIX TLP marking: white, green, amber (default), red")
      ->check(CLI::IsMember({"white", "green", "amber", "red"}));
  exp->add_option("--producer", f->producer,
                  "STIX producer identity name (default: the owning organisation)");
  AddDb(exp, f.get());
  exp->callback([f, exit_code] { *exit_code = RunExport(*f); });
}

}  // namespace vigil::cli
