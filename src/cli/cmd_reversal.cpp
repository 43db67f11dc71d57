// `vigil referral reverse` and `vigil bank reverse`: a removal reversed (complaint upheld),
// over the same store tables and rules as the REST API (workflow/reversal.h,
// docs/referrals.md). The notices it queues go out with `vigil referral send` (or the
// server's send route, or the platform's pull). Registered after `referral` and `bank`
// (main.cpp) because it adds to their groups.
#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "store/referral_store.h"
#include "workflow/clock.h"
#include "workflow/reversal.h"
#include "workflow/service.h"

namespace vigil::cli {
namespace {

namespace json = boost::json;
namespace wf = workflow;

struct Flags {
  std::string db = "vigil.db";
  std::string actor;
  std::string reason;
  int64_t id = 0;
  std::string item;  // URL, or a stored item id
  std::string bank, type, value;
};

std::string Actor(const Flags& f) {
  if (!f.actor.empty()) return f.actor;
  const char* user = std::getenv("USER");
  return std::string("cli:") + (user ? user : "operator");
}

int Run(const std::string& ctx, const Flags& f, wf::ReversalRequest req) {
  auto fail = [&](const Status& s) {
    PrintError(ctx, s);
    return ExitCodeFor(s);
  };
  auto store = store::OpenStore(f.db);
  if (!store.ok()) return fail(store.status());
  auto repo = store::SqlReferralRepository::Create(store->get());
  if (!repo.ok()) return fail(repo.status());
  wf::SystemClock clock;
  wf::ReferralService service(repo->get(), repo->get(), &clock, nullptr);
  req.actor = Actor(f);
  req.reason = f.reason;
  auto out = service.Reverse(req);
  if (!out.ok()) return fail(out.status());
  json::array signals, content;
  for (const auto& s : out->signals) {
    signals.push_back(json::object{
        {"bank", s.bank}, {"type", s.type}, {"value", s.value}, {"version", s.bank_version}});
  }
  for (const auto& c : out->content) {
    content.push_back(json::object{{"type", c.type}, {"value", c.value}});
  }
  json::object o{{"reversal_id", out->reversal_id},
                 {"content", std::move(content)},
                 {"signals", std::move(signals)},
                 {"reinstated", json::value_from(out->reinstated)},
                 {"withdrawn", json::value_from(out->withdrawn)},
                 {"referrals_notified", json::value_from(out->referrals_notified)},
                 {"notices", json::value_from(out->notices)}};
  std::printf("%s\n", json::serialize(o).c_str());
  return kExitOk;
}

void AddCommon(CLI::App* c, Flags* f) {
  c->add_option("--reason", f->reason, "Why (the complaint or ruling upheld)")->required();
  c->add_option("--db", f->db, "Store: SQLite file (default ./vigil.db) or PostgreSQL URI");
  c->add_option("--actor", f->actor, "Audit actor (default cli:$USER)");
}

}  // namespace

void RegisterReversal(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<Flags>();
  if (auto* ref = app.get_subcommand("referral")) {
    auto* rev = ref->add_subcommand(
        "reverse",
        "A removal reversed (complaint upheld): mark the referral's hashes reversed in every\n"
        "bank, reinstate or withdraw every referral of them and queue a notice to each\n"
        "platform that acted (sent by `vigil referral send`)");
    rev->add_option("id", f->id, "Referral id")->required();
    rev->add_option("--item", f->item, "Only this item of it: its URL or stored item id");
    AddCommon(rev, f.get());
    rev->callback([f, exit_code] {
      wf::ReversalRequest req;
      req.referral_id = f->id;
      if (!f->item.empty()) {
        char* end = nullptr;
        const long long id = std::strtoll(f->item.c_str(), &end, 10);
        if (end && *end == '\0' && id > 0) {
          req.item_id = id;
        } else {
          req.item_url = f->item;
        }
      }
      *exit_code = Run("referral reverse", *f, std::move(req));
    });
  }
  if (auto* bank = app.get_subcommand("bank")) {
    auto* rev = bank->add_subcommand(
        "reverse",
        "Mark one signal of a bank reversed (complaint upheld); referrals of it are reinstated\n"
        "or withdrawn and the platforms that acted are notified (`vigil referral send`)");
    rev->add_option("bank", f->bank, "Bank name")->required();
    rev->add_option("--type", f->type, "Signal type (pdq, sha256, md5, ...)")->required();
    rev->add_option("--value", f->value, "Signal value")->required();
    AddCommon(rev, f.get());
    rev->callback([f, exit_code] {
      wf::ReversalRequest req;
      req.bank = f->bank;
      req.signal = {f->type, f->value};
      *exit_code = Run("bank reverse", *f, std::move(req));
    });
  }
}

}  // namespace vigil::cli
