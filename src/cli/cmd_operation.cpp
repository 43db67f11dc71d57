// `vigil operation create|list|show|close` and `vigil report statements-of-reasons`:
// operations ("action days", workflow/operation.h) and the DSA statement-of-reasons export
// on the host, over the same store tables and rules as the REST API (docs/referrals.md).
// --org acts as that organisation (it must take part in the operation); the audit actor is
// "cli:<$USER>" unless --actor says otherwise.
#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "store/operation_store.h"
#include "workflow/clock.h"
#include "workflow/operation.h"
#include "workflow/sor.h"

namespace vigil::cli {
namespace {

namespace json = boost::json;
namespace wf = workflow;

struct Flags {
  std::string db = "vigil.db";
  std::string org, actor, name, title, state = "active";
  std::vector<std::string> with, sources;
  int64_t start_ms = 0, end_ms = 0;
  double hours = 0;
  // report
  std::string operation, platform, since, format = "json";
  bool trusted_flagger = false;
};

std::string Actor(const Flags& f) {
  if (!f.actor.empty()) return f.actor;
  const char* user = std::getenv("USER");
  return std::string("cli:") + (user ? user : "operator");
}

int Fail(const std::string& ctx, const Status& s) {
  PrintError(ctx, s);
  return ExitCodeFor(s);
}

struct Env {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::SqlOperationStore> ops;
  wf::SystemClock clock;
};

Result<std::unique_ptr<Env>> Open(const Flags& f) {
  auto env = std::make_unique<Env>();
  VIGIL_ASSIGN_OR_RETURN(env->store, store::OpenStore(f.db));
  VIGIL_ASSIGN_OR_RETURN(env->ops, store::SqlOperationStore::Create(env->store.get()));
  return env;
}

// "1767225600000" (ms since the epoch), "2026-01-01" or "2026-01-01T12:00:00Z" (UTC).
Result<int64_t> ParseTime(const std::string& s) {
  if (s.empty()) return int64_t{0};
  if (s.find_first_not_of("0123456789") == std::string::npos) {
    if (s.size() > 15) return Status::InvalidArgument("time '" + s + "' out of range");
    return static_cast<int64_t>(std::stoll(s));
  }
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char tail = 0;
  const int n =
      std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &tail);
  if (!(n == 3 || (n == 7 && tail == 'Z')) || mo < 1 || mo > 12 || d < 1 || d > 31) {
    return Status::InvalidArgument("time '" + s +
                                   "' is not ms since the epoch, YYYY-MM-DD or "
                                   "YYYY-MM-DDTHH:MM:SSZ");
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// The operation as --org sees it: NotFound unless it takes part (no --org: the operator).
Result<wf::Operation> Visible(Env& e, const Flags& f) {
  VIGIL_ASSIGN_OR_RETURN(wf::Operation op, e.ops->Get(f.name));
  if (!f.org.empty() && !op.HasOrganisation(f.org)) {
    return Status::NotFound("operation '" + f.name + "' not found");
  }
  return op;
}

int RunCreate(const Flags& f) {
  const std::string ctx = "operation create";
  auto env = Open(f);
  if (!env.ok()) return Fail(ctx, env.status());
  Env& e = **env;
  wf::Operation op;
  op.name = f.name;
  op.title = f.title;
  op.organisations = f.with;
  op.organisations.push_back(f.org);
  op.sources = f.sources;
  auto state = wf::ParseOperationState(f.state);
  if (!state.ok()) return Fail(ctx, state.status());
  op.state = *state;
  op.start_ms = f.start_ms ? f.start_ms : e.clock.NowMs();
  op.end_ms = f.end_ms;
  if (f.hours > 0) op.end_ms = op.start_ms + static_cast<int64_t>(f.hours * wf::kMsPerHour);
  auto made = e.ops->CreateOperation(Actor(f), op, e.clock.NowMs());
  if (!made.ok()) return Fail(ctx, made.status());
  std::printf("%s\n", json::serialize(wf::OperationToJson(*made)).c_str());
  return kExitOk;
}

int RunList(const Flags& f) {
  auto env = Open(f);
  if (!env.ok()) return Fail("operation list", env.status());
  auto all = (*env)->ops->List(f.org);
  if (!all.ok()) return Fail("operation list", all.status());
  for (const auto& op : *all) std::printf("%s\n", json::serialize(wf::OperationToJson(op)).c_str());
  return kExitOk;
}

int RunShow(const Flags& f) {
  const std::string ctx = "operation show";
  auto env = Open(f);
  if (!env.ok()) return Fail(ctx, env.status());
  auto op = Visible(**env, f);
  if (!op.ok()) return Fail(ctx, op.status());
  auto c = (*env)->ops->Counters(*op, (*env)->clock.NowMs());
  if (!c.ok()) return Fail(ctx, c.status());
  json::object o = wf::OperationToJson(*op);
  o["counters"] = c->ToJson();
  std::printf("%s\n", json::serialize(o).c_str());
  return kExitOk;
}

int RunClose(const Flags& f) {
  const std::string ctx = "operation close";
  auto env = Open(f);
  if (!env.ok()) return Fail(ctx, env.status());
  auto op = Visible(**env, f);
  if (!op.ok()) return Fail(ctx, op.status());
  auto after = (*env)->ops->Update(
      Actor(f), f.name,
      [](wf::Operation& o) {
        o.state = wf::OperationState::kClosed;
        return Status::OK();
      },
      (*env)->clock.NowMs());
  if (!after.ok()) return Fail(ctx, after.status());
  std::printf("%s\n", json::serialize(wf::OperationToJson(*after)).c_str());
  return kExitOk;
}

int RunStatements(const Flags& f) {
  const std::string ctx = "report statements-of-reasons";
  if (f.format != "json" && f.format != "csv") {
    return Fail(ctx, Status::InvalidArgument("--format must be json or csv"));
  }
  auto since = ParseTime(f.since);
  if (!since.ok()) return Fail(ctx, since.status());
  auto env = Open(f);
  if (!env.ok()) return Fail(ctx, env.status());
  wf::SorOptions so;
  so.operation = f.operation;
  so.platform = f.platform;
  so.since_ms = *since;
  so.trusted_flagger = f.trusted_flagger;
  auto decided = (*env)->ops->DecidedReferrals(f.org, so.operation, so.platform, so.since_ms);
  if (!decided.ok()) return Fail(ctx, decided.status());
  auto records = wf::StatementsOfReasons(*decided, so);
  if (f.format == "csv") {
    std::fputs(wf::StatementsOfReasonsCsv(records).c_str(), stdout);
  } else {
    std::printf("%s\n", json::serialize(wf::StatementsOfReasonsJson(records)).c_str());
  }
  return kExitOk;
}

void AddDb(CLI::App* c, Flags* f) {
  c->add_option("--db", f->db, "Store: SQLite file (default ./vigil.db) or PostgreSQL URI");
  c->add_option("--actor", f->actor, "Audit actor (default cli:$USER)");
}

}  // namespace

void RegisterOperation(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<Flags>();
  auto* op = app.add_subcommand(
      "operation",
      "Operations (action days): organisations, a time window and sources, with live\n"
      "counters of what was referred and removed (docs/referrals.md).");
  op->require_subcommand(1);

  auto* create = op->add_subcommand("create", "Create an operation (audited)");
  create->add_option("name", f->name, "Name (letters, digits, - _ . :)")->required();
  create->add_option("--org", f->org, "The creating organisation (takes part)")->required();
  create->add_option("--with", f->with, "Another participating organisation (repeatable)");
  create->add_option("--title", f->title, "Title");
  create->add_option("--source", f->sources,
                     "A collection source, e.g. scan:telegram (repeatable)");
  create->add_option("--start-ms", f->start_ms, "Window start, ms since the epoch (default now)");
  create->add_option("--end-ms", f->end_ms, "Window end, ms since the epoch (default open)");
  create->add_option("--hours", f->hours, "Window length in hours (instead of --end-ms)");
  create->add_option("--state", f->state, "planned | active | closed (default active)");
  AddDb(create, f.get());
  create->callback([f, exit_code] { *exit_code = RunCreate(*f); });

  auto* list = op->add_subcommand("list", "Operations as JSON lines, by name");
  list->add_option("--org", f->org, "Only operations this organisation takes part in");
  AddDb(list, f.get());
  list->callback([f, exit_code] { *exit_code = RunList(*f); });

  auto* show = op->add_subcommand("show", "One operation with its live counters as JSON");
  show->add_option("name", f->name, "Operation name")->required();
  show->add_option("--org", f->org, "As this organisation (must take part)");
  AddDb(show, f.get());
  show->callback([f, exit_code] { *exit_code = RunShow(*f); });

  auto* close = op->add_subcommand("close", "Close an operation: no more referrals under it");
  close->add_option("name", f->name, "Operation name")->required();
  close->add_option("--org", f->org, "As this organisation (must take part)");
  AddDb(close, f.get());
  close->callback([f, exit_code] { *exit_code = RunClose(*f); });

  // Under `vigil report` (cmd_referral.cpp registers it first).
  CLI::App* report = nullptr;
  try {
    report = app.get_subcommand("report");
  } catch (const CLI::OptionNotFound&) {
    report = app.add_subcommand("report", "Reports");
    report->require_subcommand(1);
  }
  auto* sor = report->add_subcommand(
      "statements-of-reasons",
      "DSA statement-of-reasons records: one per referred item a platform removed or "
      "geo-blocked");
  sor->add_option("--org", f->org, "Only referrals naming this organisation (default all)");
  sor->add_option("--operation", f->operation, "Only this operation");
  sor->add_option("--platform", f->platform, "Only this platform");
  sor->add_option("--since", f->since, "Decisions from (ms, YYYY-MM-DD or RFC 3339 UTC)");
  sor->add_option("--format", f->format, "json | csv");
  sor->add_flag("--trusted-flagger", f->trusted_flagger,
                "source_type SOURCE_TRUSTED_FLAGGER for voluntary referrals (Art. 22 status)");
  AddDb(sor, f.get());
  sor->callback([f, exit_code] { *exit_code = RunStatements(*f); });
}

}  // namespace vigil::cli
