// `vigil referral`, `vigil hold`, `vigil report transparency`, `vigil evidence`: the
// referral workflow on the host, over the same store tables and rules as the REST API
// (docs/referrals.md). The acting organisation is --org; the audit actor is "cli:<$USER>"
// unless --actor says otherwise.
#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "collect/platforms.h"
#include "delivery/directory.h"
#include "delivery/dispatcher.h"
#include "server/review_queue.h"
#include "store/evidence.h"
#include "store/operation_store.h"
#include "store/referral_store.h"
#include "workflow/adapters.h"
#include "workflow/codec.h"
#include "workflow/feedback.h"
#include "workflow/maintenance.h"
#include "workflow/stats.h"
#include "workflow/tco.h"

namespace vigil::cli {
namespace {

namespace json = boost::json;
namespace wf = workflow;

constexpr int64_t kMsPerDay = 24 * 60 * 60 * 1000;

struct Flags {
  std::string db = "vigil.db";
  std::string org;
  std::string actor;
  // create
  std::string operation, route = "voluntary", platform, reason, order_file;
  std::vector<int64_t> item_ids;
  std::vector<std::string> urls;
  bool private_content = false;
  // list / show / send / feedback
  std::string state;
  int64_t id = 0;
  std::string directory, smtp;
  std::string status, cc_reason, feedback_file;
  std::vector<std::string> feedback_urls;
  // hold
  std::string kind, value, note;
  double expires_days = 0;
  // report
  std::string format = "json";
  int64_t from_ms = 0, to_ms = 0;
  // evidence
  std::string evidence_dir = "vigil-evidence", out, dir;
  double retention_days = static_cast<double>(store::kDefaultEvidenceRetentionMs) / kMsPerDay;
  // recheck (and remote evidence at create)
  size_t max = wf::kDefaultMaintenanceMaxRechecks;
  bool allow_loopback = false;
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

// Everything a command needs, opened in order.
struct Env {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::SqlReferralRepository> repo;
  std::unique_ptr<store::HoldHitRecorder> notifier;
  collect::PlatformRegistry registry;
  wf::SystemClock clock;
  std::unique_ptr<wf::ReferralService> service;
};

Result<std::unique_ptr<Env>> Open(const Flags& f) {
  auto env = std::make_unique<Env>();
  VIGIL_ASSIGN_OR_RETURN(env->store, store::OpenStore(f.db));
  VIGIL_ASSIGN_OR_RETURN(env->repo, store::SqlReferralRepository::Create(env->store.get()));
  env->notifier = std::make_unique<store::HoldHitRecorder>(env->repo.get());
  if (auto reg = collect::PlatformRegistry::LoadDefault(); reg.ok()) {
    env->registry = std::move(reg).value();
  }
  wf::ServiceOptions so;
  so.is_tco_hosting_service = wf::RegistryTcoScope(&env->registry);
  // A referral under an existing operation must fit it (store/operation_store.h).
  so.check_operation = store::OperationGate(env->store.get());
  env->service = std::make_unique<wf::ReferralService>(env->repo.get(), env->repo.get(),
                                                       &env->clock, env->notifier.get(), so);
  return env;
}

Status NeedOrg(const Flags& f) {
  return f.org.empty() ? Status::InvalidArgument("--org is required") : Status::OK();
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<wf::ConfirmedItem> StoredItem(Env& env, const server::ReviewQueue& queue, int64_t id,
                                     const std::string& platform) {
  auto entry = queue.Get(id);
  if (!entry || entry->state != server::ReviewState::kConfirmed) {
    return Status::FailedPrecondition("item " + std::to_string(id) + " is not confirmed in review");
  }
  VIGIL_ASSIGN_OR_RETURN(store::Item item, env.store->GetItem(id));
  wf::ConfirmedItem c;
  auto attributed = wf::ConfirmedItemFromUrl(env.registry, item.url);
  if (attributed.ok()) c = *attributed;
  if (!platform.empty()) c.platform_id = platform;
  if (c.url.empty()) c.url = item.url;
  c.item_id = item.id;
  c.account = item.account;
  c.captured_ms = item.collected_ms ? item.collected_ms : item.posted_ms;
  for (const auto& m : item.media) {
    if (c.sha256.empty()) c.sha256 = m.sha256;
    for (const auto& s : m.signals) {
      if (c.pdq.empty() && s.type == store::SignalType::kPdq) c.pdq = s.value;
    }
  }
  c.labels = entry->labels;
  c.tier = entry->tier;
  c.reason = entry->note;
  c.evidence_ref = "item:" + std::to_string(id);
  return c;
}

int RunCreate(const Flags& f) {
  const std::string ctx = "referral create";
  if (Status s = NeedOrg(f); !s.ok()) return Fail(ctx, s);
  auto env = Open(f);
  if (!env.ok()) return Fail(ctx, env.status());
  Env& e = **env;
  wf::ReferRequest req;
  req.actor = Actor(f);
  req.org = f.org;
  req.operation = f.operation;
  auto route = wf::ParseLegalRoute(f.route);
  if (!route.ok()) return Fail(ctx, route.status());
  req.route = *route;
  server::ReviewQueue queue;
  if (!f.item_ids.empty()) {
    if (Status s = queue.Replay(*e.store); !s.ok()) return Fail(ctx, s);
  }
  for (int64_t id : f.item_ids) {
    auto c = StoredItem(e, queue, id, f.platform);
    if (!c.ok()) return Fail(ctx, c.status());
    if (!f.reason.empty()) c->reason = f.reason;
    c->public_dissemination = !f.private_content;
    req.items.push_back(std::move(*c));
  }
  for (const auto& url : f.urls) {
    auto c = wf::ConfirmedItemFromUrl(e.registry, url);
    if (!c.ok()) return Fail(ctx, c.status().WithContext(url));
    if (!f.platform.empty()) c->platform_id = f.platform;
    c->reason = f.reason;
    c->public_dissemination = !f.private_content;
    req.items.push_back(std::move(*c));
  }
  if (!f.order_file.empty()) {
    auto text = ReadFile(f.order_file);
    if (!text.ok()) return Fail(ctx, text.status());
    boost::system::error_code ec;
    json::value v = json::parse(*text, ec);
    if (ec || !v.is_object())
      return Fail(ctx, Status::InvalidArgument("--order: not a JSON object"));
    const json::object& o = v.as_object();
    auto str = [&](const char* k) {
      auto* x = o.if_contains(k);
      return x && x->is_string() ? std::string(x->as_string()) : std::string();
    };
    wf::OrderTemplate t;
    t.issuing_authority = str("issuing_authority");
    t.issuing_member_state = str("issuing_member_state");
    t.authority_contact = str("authority_contact");
    t.reference = str("reference");
    t.reasons = str("reasons");
    t.redress = str("redress");
    if (auto* g = o.if_contains("grounds"); g && g->is_array()) {
      for (const auto& x : g->as_array()) {
        if (!x.is_string()) continue;
        auto ground = wf::ParseTcoGround(x.as_string());
        if (!ground.ok()) return Fail(ctx, ground.status());
        t.grounds.push_back(*ground);
      }
    }
    if (auto* em = o.if_contains("emergency"); em && em->is_bool()) t.emergency = em->as_bool();
    req.order = std::move(t);
  }
  auto out = e.service->Refer(req);
  if (!out.ok()) return Fail(ctx, out.status());
  store::EvidenceOptions eo;
  eo.dir = f.evidence_dir;
  eo.retention_ms = static_cast<int64_t>(f.retention_days * kMsPerDay);
  eo.actor = req.actor;
  collect::FetchOptions fo;
  fo.allow_loopback = f.allow_loopback;
  fo.max_bytes = store::kMaxRemoteEvidenceBytes;
  const collect::SafeFetcher fetcher(fo);
  for (int64_t id : out->created) {
    auto r = e.service->Get(id);
    if (!r.ok()) return Fail(ctx, r.status());
    // Media known only by URL: fetched through the safe fetcher; a failure is recorded.
    auto remote = store::ListRemoteMedia(*e.repo, *r);
    if (!remote.ok()) return Fail(ctx, remote.status());
    auto fetched = store::FetchRemoteMedia(*remote, wf::FetchBody(&fetcher));
    auto sealed = store::PreserveEvidence(*e.repo, *r, eo, e.clock.NowMs(), fetched);
    if (!sealed.ok()) return Fail(ctx, sealed.status());
  }
  json::array created, merged;
  for (int64_t id : out->created) created.emplace_back(id);
  for (int64_t id : out->merged) merged.emplace_back(id);
  std::printf("%s\n", json::serialize(json::object{{"created", created},
                                                   {"merged", merged},
                                                   {"items_new", out->items_new},
                                                   {"items_merged", out->items_merged},
                                                   {"items_held", out->items_held}})
                          .c_str());
  return kExitOk;
}

int RunList(const Flags& f) {
  auto env = Open(f);
  if (!env.ok()) return Fail("referral list", env.status());
  store::ReferralQuery q;
  q.org = f.org;
  q.platform_id = f.platform;
  q.state = f.state;
  q.operation = f.operation;
  auto found = (*env)->repo->Find(q);
  if (!found.ok()) return Fail("referral list", found.status());
  for (const auto& r : *found) {
    json::object o{{"id", r.id},
                   {"platform", r.platform_id},
                   {"route", wf::LegalRouteName(r.route)},
                   {"state", wf::ReferralStateName(r.state)},
                   {"operation", r.operation},
                   {"organisations", json::value_from(r.organisations)},
                   {"items", r.items.size()},
                   {"created", wf::FormatRfc3339(r.created_ms)}};
    std::printf("%s\n", json::serialize(o).c_str());
  }
  return kExitOk;
}

int RunShow(const Flags& f) {
  auto env = Open(f);
  if (!env.ok()) return Fail("referral show", env.status());
  auto r = f.org.empty() ? (*env)->service->Get(f.id) : (*env)->service->ViewFor(f.org, f.id);
  if (!r.ok()) return Fail("referral show", r.status());
  std::printf("%s\n", wf::ReferralToJson(*r).c_str());
  return kExitOk;
}

int RunSend(const Flags& f) {
  const std::string ctx = "referral send";
  auto env = Open(f);
  if (!env.ok()) return Fail(ctx, env.status());
  delivery::DeliveryDirectory dir;
  if (!f.directory.empty()) {
    auto d = delivery::DeliveryDirectory::LoadFile(f.directory);
    if (!d.ok()) return Fail(ctx, d.status());
    dir = std::move(*d);
  }
  std::unique_ptr<delivery::SmtpClient> smtp;
  if (!f.smtp.empty()) {
    delivery::SmtpOptions so;
    auto colon = f.smtp.rfind(':');
    so.host = f.smtp.substr(0, colon);
    if (colon != std::string::npos)
      so.port = static_cast<uint16_t>(std::atoi(f.smtp.c_str() + colon + 1));
    smtp = std::make_unique<delivery::SmtpClient>(so);
  }
  delivery::WebhookClient webhook;
  delivery::DispatchOptions dopts;
  dopts.actor = Actor(f);
  delivery::Dispatcher dispatcher((*env)->service.get(), &dir, &webhook, smtp.get(), dopts);
  delivery::DispatchSummary total;
  // One batch at a time until nothing is left that this run can push.
  while (true) {
    auto pending = (*env)->service->PendingDeliveries(dopts.batch, f.platform);
    if (!pending.ok()) return Fail(ctx, pending.status());
    delivery::DispatchSummary round;
    for (const auto& r : *pending) {
      if (Status s = dispatcher.DeliverOne(r, &round); !s.ok()) return Fail(ctx, s);
    }
    total.delivered += round.delivered;
    total.failed += round.failed;
    total.waiting_pull += round.waiting_pull;
    total.waiting_manual += round.waiting_manual;
    if (round.delivered + round.failed == 0 || pending->size() < dopts.batch) break;
  }
  // Reversal notices (workflow/reversal.h) go out by the same channels.
  auto rev = dispatcher.DeliverPendingReversals();
  if (!rev.ok()) return Fail(ctx, rev.status());
  std::printf(
      "{\"delivered\":%d,\"failed\":%d,\"waiting_pull\":%d,\"waiting_manual\":%d,"
      "\"reversal_notices\":{\"delivered\":%d,\"failed\":%d,\"waiting_pull\":%d,"
      "\"waiting_manual\":%d}}\n",
      total.delivered, total.failed, total.waiting_pull, total.waiting_manual, rev->delivered,
      rev->failed, rev->waiting_pull, rev->waiting_manual);
  return total.failed || rev->failed ? kExitFailure : kExitOk;
}

int RunFeedback(const Flags& f) {
  const std::string ctx = "referral feedback";
  if (f.platform.empty()) return Fail(ctx, Status::InvalidArgument("--platform is required"));
  std::string doc;
  if (!f.feedback_file.empty()) {
    auto t = ReadFile(f.feedback_file);
    if (!t.ok()) return Fail(ctx, t.status());
    doc = *t;
  } else {
    json::object o{{"referral_id", f.id}, {"status", f.status}};
    if (!f.reason.empty()) o["reason"] = f.reason;
    if (!f.cc_reason.empty()) o["cannot_comply_reason"] = f.cc_reason;
    if (!f.feedback_urls.empty()) o["urls"] = json::value_from(f.feedback_urls);
    doc = json::serialize(o);
  }
  auto fb = wf::ParseFeedbackJson(doc);
  if (!fb.ok()) return Fail(ctx, fb.status());
  auto env = Open(f);
  if (!env.ok()) return Fail(ctx, env.status());
  // Recorded by the operator on the platform's behalf (a phone call, an e-mail answer).
  Status s = (*env)->service->ApplyFeedback(Actor(f) + "/platform:" + f.platform, f.platform, *fb);
  if (!s.ok()) return Fail(ctx, s);
  auto r = (*env)->service->Get(fb->referral_id);
  if (!r.ok()) return Fail(ctx, r.status());
  std::printf("referral %lld is %s\n", static_cast<long long>(r->id),
              std::string(wf::ReferralStateName(r->state)).c_str());
  return kExitOk;
}

int RunRecheck(const Flags& f) {
  const std::string ctx = "referral recheck";
  auto env = Open(f);
  if (!env.ok()) return Fail(ctx, env.status());
  std::map<std::string, std::vector<std::string>> markers;
  if (!f.directory.empty()) {
    auto d = delivery::DeliveryDirectory::LoadFile(f.directory);
    if (!d.ok()) return Fail(ctx, d.status());
    markers = d->RemovalMarkers();
  }
  collect::FetchOptions fo;
  fo.allow_loopback = f.allow_loopback;
  wf::FetcherProber prober(fo, wf::RemovalMarkers((*env)->registry, markers));
  wf::MaintenanceLoop loop((*env)->service.get(), &prober, wf::MaintenanceOptions{0});
  auto sum = loop.RunRechecks(f.max);
  if (!sum.ok()) return Fail(ctx, sum.status());
  std::printf(
      "%s\n",
      json::serialize(json::object{{"checked", sum->checked},
                                   {"gone", sum->gone},
                                   {"live", sum->live},
                                   {"errors", sum->errors},
                                   {"verified_removed", json::value_from(sum->verified_removed)}})
          .c_str());
  return kExitOk;
}

int RunOverdue(const Flags& f) {
  const std::string ctx = "referral overdue";
  auto env = Open(f);
  if (!env.ok()) return Fail(ctx, env.status());
  auto flagged = (*env)->service->FlagOverdue(Actor(f));
  if (!flagged.ok()) return Fail(ctx, flagged.status());
  store::ReferralQuery q;
  q.org = f.org;
  auto all = (*env)->repo->Find(q);
  if (!all.ok()) return Fail(ctx, all.status());
  const int64_t now = (*env)->clock.NowMs();
  // Every order late now (the newly flagged ones say so), oldest first.
  for (const auto& r : *all) {
    if (!r.order || wf::IsTerminal(r.state)) continue;
    wf::TcoClockState c = wf::ComputeTcoClock(*r.order, now);
    if (!c.overdue || c.complied) continue;
    const bool fresh = std::find(flagged->begin(), flagged->end(), r.id) != flagged->end();
    json::object o{{"id", r.id},
                   {"platform", r.platform_id},
                   {"state", wf::ReferralStateName(r.state)},
                   {"reference", r.order->reference},
                   {"received", wf::FormatRfc3339(r.order->received_ms)},
                   {"overdue_flagged", wf::FormatRfc3339(r.order->overdue_flagged_ms)},
                   {"newly_flagged", fresh}};
    std::printf("%s\n", json::serialize(o).c_str());
  }
  std::fprintf(stderr, "vigil: referral overdue: %zu order(s) newly flagged\n", flagged->size());
  return kExitOk;
}

int RunHoldAdd(const Flags& f) {
  const std::string ctx = "hold add";
  if (Status s = NeedOrg(f); !s.ok()) return Fail(ctx, s);
  auto env = Open(f);
  if (!env.ok()) return Fail(ctx, env.status());
  wf::Hold h;
  h.org = f.org;
  auto kind = wf::ParseHoldKind(f.kind);
  if (!kind.ok()) return Fail(ctx, kind.status());
  h.kind = *kind;
  h.value = f.value;
  if (h.kind == wf::HoldKind::kUrl) {
    if (auto c = wf::ConfirmedItemFromUrl((*env)->registry, f.value); c.ok()) h.value = c->url;
  }
  h.platform_id = f.platform;
  h.note = f.note;
  if (f.expires_days > 0) {
    h.expires_ms = (*env)->clock.NowMs() + static_cast<int64_t>(f.expires_days * kMsPerDay);
  }
  auto placed = (*env)->service->PlaceHold(Actor(f), h);
  if (!placed.ok()) return Fail(ctx, placed.status());
  std::printf("%s\n", json::serialize(wf::HoldToJsonObject(*placed)).c_str());
  return kExitOk;
}

int RunHoldList(const Flags& f) {
  const std::string ctx = "hold list";
  if (Status s = NeedOrg(f); !s.ok()) return Fail(ctx, s);
  auto env = Open(f);
  if (!env.ok()) return Fail(ctx, env.status());
  auto holds = (*env)->service->ListHolds(f.org);
  if (!holds.ok()) return Fail(ctx, holds.status());
  for (const auto& h : *holds)
    std::printf("%s\n", json::serialize(wf::HoldToJsonObject(h)).c_str());
  auto hits = (*env)->repo->ListHoldHits(f.org);
  if (!hits.ok()) return Fail(ctx, hits.status());
  for (const auto& x : *hits) {
    json::object o = wf::HoldHitToJsonObject(x);
    o["type"] = "hit";
    std::printf("%s\n", json::serialize(o).c_str());
  }
  return kExitOk;
}

int RunReport(const Flags& f) {
  const std::string ctx = "report transparency";
  if (f.format != "json" && f.format != "csv") {
    return Fail(ctx, Status::InvalidArgument("--format must be json or csv"));
  }
  auto env = Open(f);
  if (!env.ok()) return Fail(ctx, env.status());
  store::ReferralQuery q;
  q.org = f.org;
  auto all = (*env)->repo->Find(q);
  if (!all.ok()) return Fail(ctx, all.status());
  wf::ReportScope scope{f.org.empty() ? std::string("all") : f.org, f.from_ms, f.to_ms,
                        (*env)->clock.NowMs()};
  if (f.format == "csv") {
    std::fputs(wf::TransparencyReportCsv(*all, scope).c_str(), stdout);
  } else {
    std::printf("%s\n", json::serialize(wf::TransparencyReportJson(*all, scope)).c_str());
  }
  return kExitOk;
}

int RunEvidenceExport(const Flags& f) {
  const std::string ctx = "evidence export";
  if (f.out.empty()) return Fail(ctx, Status::InvalidArgument("--out is required"));
  auto env = Open(f);
  if (!env.ok()) return Fail(ctx, env.status());
  Status s = store::ExportEvidencePackage(*(*env)->repo, f.id, f.out, (*env)->clock.NowMs());
  if (!s.ok()) return Fail(ctx, s);
  std::printf("evidence package for referral %lld written to %s\n", static_cast<long long>(f.id),
              f.out.c_str());
  return kExitOk;
}

int RunEvidenceVerify(const Flags& f) {
  const std::string ctx = "evidence verify";
  auto rep = store::VerifyEvidencePackage(f.dir);
  if (!rep.ok()) return Fail(ctx, rep.status());
  if (!rep->ok) {
    for (const auto& p : rep->problems)
      std::fprintf(stderr, "vigil: %s: %s\n", ctx.c_str(), p.c_str());
    std::fprintf(stderr, "vigil: %s: NOT VERIFIED (%zu problem(s))\n", ctx.c_str(),
                 rep->problems.size());
    return kExitFailure;
  }
  std::printf(
      "verified: referral %lld, %d files (%d media), %d audit entries + %d chain links, sealed "
      "%s, audit head %s\n",
      static_cast<long long>(rep->referral_id), rep->files, rep->media, rep->audit_entries,
      rep->audit_links, rep->sealed_at.c_str(), rep->head_hash.c_str());
  return kExitOk;
}

int RunEvidenceExpire(const Flags& f) {
  auto env = Open(f);
  if (!env.ok()) return Fail("evidence expire", env.status());
  auto n = store::ExpireEvidence(*(*env)->repo, (*env)->clock.NowMs(), Actor(f));
  if (!n.ok()) return Fail("evidence expire", n.status());
  std::printf("expired %d evidence record(s)\n", *n);
  return kExitOk;
}

void AddDb(CLI::App* c, Flags* f) {
  c->add_option("--db", f->db, "Store: SQLite file (default ./vigil.db) or PostgreSQL URI");
  c->add_option("--actor", f->actor, "Audit actor (default cli:$USER)");
}

}  // namespace

void RegisterReferral(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<Flags>();
  auto* ref = app.add_subcommand(
      "referral",
      "Referrals to hosting platforms: confirmed items grouped per platform, sent by webhook,\n"
      "e-mail or pull, with platform feedback and the TCO one-hour clock (docs/referrals.md).");
  ref->require_subcommand(1);

  auto* create = ref->add_subcommand("create", "Refer confirmed items (--item) or URLs (--url)");
  create->add_option("--org", f->org, "The referring organisation")->required();
  create->add_option("--item", f->item_ids, "A stored item id confirmed in review (repeatable)");
  create->add_option("--url", f->urls, "A URL to refer (repeatable)");
  create->add_option("--platform", f->platform, "Platform id (default: from the registry)");
  create->add_option("--operation", f->operation, "Operation (action day) to count it towards");
  create->add_option("--route", f->route, "voluntary | tco_removal_order | dsa_art9_order");
  create->add_option("--order", f->order_file, "Annex I fields as JSON (removal orders)");
  create->add_option("--reason", f->reason, "Reason stated in the notice");
  create->add_flag("--private", f->private_content, "Not disseminated to the public (no TCO)");
  create->add_option("--evidence-dir", f->evidence_dir, "Where preserved media are kept");
  create->add_option("--retention-days", f->retention_days, "Evidence retention (default 183)");
  create->add_flag("--allow-loopback", f->allow_loopback,
                   "Let remote media be fetched from loopback for evidence (tests, demos)");
  AddDb(create, f.get());
  create->callback([f, exit_code] { *exit_code = RunCreate(*f); });

  auto* list = ref->add_subcommand("list", "Referrals as JSON lines, oldest first");
  list->add_option("--org", f->org, "Only referrals naming this organisation");
  list->add_option("--platform", f->platform, "Only this platform");
  list->add_option("--state", f->state, "Only this state");
  list->add_option("--operation", f->operation, "Only this operation");
  AddDb(list, f.get());
  list->callback([f, exit_code] { *exit_code = RunList(*f); });

  auto* show = ref->add_subcommand("show", "One referral's full record as JSON");
  show->add_option("id", f->id, "Referral id")->required();
  show->add_option("--org", f->org, "Show it as this organisation sees it");
  AddDb(show, f.get());
  show->callback([f, exit_code] { *exit_code = RunShow(*f); });

  auto* send = ref->add_subcommand("send", "Deliver pending referrals by each platform's channel");
  send->add_option("--directory", f->directory, "Delivery directory JSON (endpoints, secrets)");
  send->add_option("--smtp", f->smtp, "SMTP relay HOST:PORT for e-mail platforms");
  send->add_option("--platform", f->platform, "Only this platform");
  AddDb(send, f.get());
  send->callback([f, exit_code] { *exit_code = RunSend(*f); });

  auto* fb = ref->add_subcommand("feedback", "Record a platform's answer");
  fb->add_option("id", f->id, "Referral id");
  fb->add_option("--platform", f->platform, "The platform answering")->required();
  fb->add_option("--status", f->status,
                 "acknowledged | removed | geo_blocked | rejected | cannot_comply | "
                 "clarification_request | resumed");
  fb->add_option("--reason", f->reason, "Reason (rejected, clarification_request)");
  fb->add_option("--cannot-comply-reason", f->cc_reason, "Annex III reason");
  fb->add_option("--url", f->feedback_urls, "Only these URLs (removed)");
  fb->add_option("--json", f->feedback_file, "The feedback document as a file instead");
  AddDb(fb, f.get());
  fb->callback([f, exit_code] { *exit_code = RunFeedback(*f); });

  auto* rc = ref->add_subcommand(
      "recheck",
      "Re-fetch due referred URLs once through the safe fetcher; URLs gone (404/410/451 or the "
      "platform's removal page) mark their referral removed (verified)");
  rc->add_option("--max", f->max, "Most URLs to probe (0: every due one)")->capture_default_str();
  rc->add_option("--directory", f->directory, "Delivery directory (more removal-page markers)");
  rc->add_flag("--allow-loopback", f->allow_loopback, "Allow loopback addresses (tests, demos)");
  AddDb(rc, f.get());
  rc->callback([f, exit_code] { *exit_code = RunRecheck(*f); });

  auto* od = ref->add_subcommand(
      "overdue", "Flag TCO removal orders past their one-hour deadline (audited) and list them");
  od->add_option("--org", f->org, "Only orders naming this organisation");
  AddDb(od, f.get());
  od->callback([f, exit_code] { *exit_code = RunOverdue(*f); });

  auto* hold = app.add_subcommand("hold", "Deconfliction holds: do not refer, under investigation");
  hold->require_subcommand(1);
  auto* add = hold->add_subcommand("add", "Place a hold on a URL, account or hash");
  add->add_option("--org", f->org, "The holding organisation")->required();
  add->add_option("--kind", f->kind, "url | account | hash")->required();
  add->add_option("--value", f->value, "The URL, account or hash")->required();
  add->add_option("--platform", f->platform, "For an account: the platform");
  add->add_option("--note", f->note, "Your own note (never shown to others)");
  add->add_option("--expires-days", f->expires_days, "Expire after this many days");
  AddDb(add, f.get());
  add->callback([f, exit_code] { *exit_code = RunHoldAdd(*f); });
  auto* hl = hold->add_subcommand("list", "Your holds and the referrals that touched them");
  hl->add_option("--org", f->org, "The holding organisation")->required();
  AddDb(hl, f.get());
  hl->callback([f, exit_code] { *exit_code = RunHoldList(*f); });

  auto* report = app.add_subcommand("report", "Reports");
  report->require_subcommand(1);
  auto* tr = report->add_subcommand("transparency", "TCO Art. 7-style transparency report");
  tr->add_option("--org", f->org, "Only this organisation's referrals (default all)");
  tr->add_option("--format", f->format, "json | csv");
  tr->add_option("--from-ms", f->from_ms, "Period start (ms since epoch)");
  tr->add_option("--to-ms", f->to_ms, "Period end (ms since epoch; default now)");
  AddDb(tr, f.get());
  tr->callback([f, exit_code] { *exit_code = RunReport(*f); });

  auto* ev = app.add_subcommand("evidence", "Preserved evidence of referrals");
  ev->require_subcommand(1);
  auto* ex = ev->add_subcommand("export", "Write a self-contained, verifiable evidence package");
  ex->add_option("referral", f->id, "Referral id")->required();
  ex->add_option("--out", f->out, "Output directory (new or empty)")->required();
  AddDb(ex, f.get());
  ex->callback([f, exit_code] { *exit_code = RunEvidenceExport(*f); });
  auto* vf = ev->add_subcommand("verify", "Verify a package (needs no database)");
  vf->add_option("dir", f->dir, "Package directory")->required();
  vf->callback([f, exit_code] { *exit_code = RunEvidenceVerify(*f); });
  auto* xp = ev->add_subcommand("expire", "Delete evidence past its retention (audited)");
  AddDb(xp, f.get());
  xp->callback([f, exit_code] { *exit_code = RunEvidenceExpire(*f); });
}

}  // namespace vigil::cli
