#include "workflow/service.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <map>
#include <set>
#include <utility>

namespace vigil::workflow {
namespace json = boost::json;
namespace {

std::string Target(int64_t referral_id) { return "referral:" + std::to_string(referral_id); }

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void AddUnique(std::vector<std::string>& v, const std::string& s) {
  if (!Contains(v, s)) v.push_back(s);
}

Status CheckText(std::string_view what, std::string_view s) {
  if (s.size() > kMaxTextBytes) return Status::InvalidArgument(std::string(what) + " is too long");
  return Status::OK();
}

DeadlinePause* OpenPause(RemovalOrder& o) {
  for (auto& p : o.pauses) {
    if (p.end_ms == 0) return &p;
  }
  return nullptr;
}

void ClosePause(std::optional<RemovalOrder>& o, int64_t now) {
  if (!o) return;
  if (DeadlinePause* p = OpenPause(*o)) p->end_ms = now;
}

void OpenNewPause(std::optional<RemovalOrder>& o, PauseKind kind, std::string_view reason,
                  int64_t now) {
  if (!o || o->received_ms == 0 || o->complied_ms != 0) return;
  if (DeadlinePause* p = OpenPause(*o)) {
    // One pause at a time; the latest reason is what the clock waits on.
    p->kind = kind;
    p->reason = std::string(reason);
    return;
  }
  o->pauses.push_back(DeadlinePause{kind, now, 0, std::string(reason)});
}

ReferralItem ToItem(const ConfirmedItem& c, const std::string& org) {
  ReferralItem it;
  it.item_id = c.item_id;
  it.url = c.url;
  it.account = c.account;
  it.captured_ms = c.captured_ms;
  it.sha256 = c.sha256;
  it.pdq = c.pdq;
  it.labels = c.labels;
  it.tier = c.tier;
  it.reason = c.reason;
  it.evidence_ref = c.evidence_ref;
  it.public_dissemination = c.public_dissemination;
  it.organisations.push_back(org);
  return it;
}

std::string ItemsJson(const Referral& r) {
  json::object o;
  o["platform"] = r.platform_id;
  o["route"] = LegalRouteName(r.route);
  o["items"] = r.items.size();
  json::array orgs;
  for (const auto& s : r.organisations) orgs.emplace_back(s);
  o["organisations"] = std::move(orgs);
  if (r.out_of_tco_scope) o["out_of_tco_scope"] = true;
  return json::serialize(o);
}

}  // namespace

// Holds the service lock for one call and brackets the call's repository writes. A failed
// commit cannot change the call's result any more (it has been computed); the repository
// rolls back and the next call sees the state before it.
class ReferralService::ChangeLock {
 public:
  explicit ChangeLock(ReferralService* s) : lock_(s->mu_), repo_(s->repo_) {
    begun_ = repo_->BeginChange().ok();
  }
  ~ChangeLock() {
    if (begun_) (void)repo_->EndChange();
  }
  ChangeLock(const ChangeLock&) = delete;
  ChangeLock& operator=(const ChangeLock&) = delete;

 private:
  std::lock_guard<std::mutex> lock_;
  ReferralRepository* repo_;
  bool begun_ = false;
};

ReferralService::ReferralService(ReferralRepository* repo, AuditSink* audit, const Clock* clock,
                                 HoldNotifier* notifier, ServiceOptions options)
    : repo_(repo),
      audit_(audit),
      clock_(clock),
      notifier_(notifier),
      options_(std::move(options)) {}

Status ReferralService::Audit(std::string_view actor, std::string_view action,
                              std::string_view target, std::string_view before,
                              std::string_view after, std::string_view details) {
  AuditEvent e;
  e.at_ms = clock_->NowMs();
  e.actor = std::string(actor);
  e.action = std::string(action);
  e.target = std::string(target);
  e.before = std::string(before);
  e.after = std::string(after);
  e.details = details.empty() ? "{}" : std::string(details);
  return audit_->Record(e);
}

Status ReferralService::Save(Referral& r) {
  r.updated_ms = clock_->NowMs();
  return repo_->PutReferral(r);
}

Status ReferralService::Transition(Referral& r, ReferralState to, std::string_view actor,
                                   std::string_view note, std::string_view details_json) {
  if (!IsTransitionAllowed(r.state, to)) {
    return Status::FailedPrecondition("referral " + std::to_string(r.id) + " is " +
                                      std::string(ReferralStateName(r.state)) +
                                      " and cannot become " + std::string(ReferralStateName(to)));
  }
  const ReferralState from = r.state;
  const int64_t now = clock_->NowMs();
  r.history.push_back(StatusChange{now, std::string(actor), from, to, std::string(note)});
  r.state = to;
  VIGIL_RETURN_IF_ERROR(Save(r));
  return Audit(actor, "referral.state", Target(r.id), ReferralStateName(from),
               ReferralStateName(to), details_json);
}

std::vector<const Hold*> ReferralService::MatchingHolds(const std::vector<Hold>& holds,
                                                        const std::string& platform,
                                                        const ReferralItem& item,
                                                        int64_t now) const {
  std::vector<const Hold*> out;
  for (const Hold& h : holds) {
    if (!h.ActiveAt(now)) continue;
    bool hit = false;
    switch (h.kind) {
      case HoldKind::kUrl: hit = !item.url.empty() && h.value == item.url; break;
      case HoldKind::kAccount:
        hit = !item.account.empty() && h.value == item.account &&
              (h.platform_id.empty() || h.platform_id == platform);
        break;
      case HoldKind::kHash:
        hit = (!item.sha256.empty() && h.value == item.sha256) ||
              (!item.pdq.empty() && h.value == item.pdq);
        break;
    }
    if (hit) out.push_back(&h);
  }
  return out;
}

void ReferralService::ScheduleChecks(Referral& r, int64_t now) {
  for (ReferralItem& it : r.items) {
    if (it.url_status != UrlStatus::kGone && it.next_check_ms == 0) {
      it.next_check_ms = now + options_.recheck_first_delay_ms;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Refer

Result<ReferOutcome> ReferralService::Refer(const ReferRequest& req) {
  ChangeLock lock(this);
  if (req.actor.empty() || req.org.empty()) {
    return Status::InvalidArgument("a referral needs an actor and an organisation");
  }
  if (req.items.empty()) return Status::InvalidArgument("a referral needs at least one item");
  if (req.items.size() > kMaxItemsPerReferral * 10) {
    return Status::ResourceExhausted("too many items in one request; split it");
  }
  const bool tco = req.route == LegalRoute::kTcoRemovalOrder;
  if (tco) {
    if (!req.order) return Status::InvalidArgument("a TCO removal order needs the Annex I fields");
    if (req.order->issuing_authority.empty() || req.order->grounds.empty() ||
        req.order->reasons.empty()) {
      return Status::InvalidArgument(
          "a TCO removal order needs the issuing authority, Art. 2(7) grounds and reasons");
    }
    VIGIL_RETURN_IF_ERROR(CheckText("order reasons", req.order->reasons));
    VIGIL_RETURN_IF_ERROR(CheckText("order redress", req.order->redress));
  }
  for (size_t i = 0; i < req.items.size(); ++i) {
    const ConfirmedItem& c = req.items[i];
    const std::string where = "item " + std::to_string(i + 1);
    if (c.url.empty()) return Status::InvalidArgument(where + ": no URL");
    if (c.platform_id.empty()) return Status::InvalidArgument(where + ": no platform");
    if (c.url.size() > kMaxTextBytes || c.account.size() > kMaxTextBytes ||
        c.evidence_ref.size() > kMaxTextBytes || c.reason.size() > kMaxTextBytes ||
        c.sha256.size() > 128 || c.pdq.size() > 128) {
      return Status::InvalidArgument(where + ": a field is too long");
    }
  }
  // Reversed content (reversal.h) is never referred again, however it was found.
  {
    std::vector<ContentSignal> hashes;
    for (const ConfirmedItem& c : req.items) {
      if (!c.sha256.empty()) hashes.push_back({"sha256", c.sha256});
      if (!c.pdq.empty()) hashes.push_back({"pdq", c.pdq});
    }
    VIGIL_ASSIGN_OR_RETURN(std::vector<ContentSignal> reversed, repo_->FindReversed(hashes));
    if (!reversed.empty()) {
      return Status::FailedPrecondition("the " + reversed[0].type + " " + reversed[0].value +
                                        " was reversed (complaint upheld) and is not referred");
    }
  }
  const int64_t now = clock_->NowMs();
  if (!req.operation.empty() && options_.check_operation) {
    VIGIL_RETURN_IF_ERROR(options_.check_operation(req.operation, req.org, now));
  }

  // Group per platform, and for an order, split off what is out of TCO scope.
  struct Bucket {
    std::vector<const ConfirmedItem*> items;
    bool out_of_scope = false;
  };
  std::map<std::string, std::vector<Bucket>> per_platform;
  for (const ConfirmedItem& c : req.items) {
    auto& buckets = per_platform[c.platform_id];
    if (buckets.empty()) buckets.resize(tco ? 2 : 1);
    bool in_scope = true;
    if (tco) {
      const bool hosting =
          !options_.is_tco_hosting_service || options_.is_tco_hosting_service(c.platform_id);
      in_scope = hosting && c.public_dissemination;
    }
    Bucket& b = buckets[in_scope ? 0 : 1];
    b.out_of_scope = !in_scope;
    b.items.push_back(&c);
  }

  // Art. 3(2) check for every platform that would get its first order, before any change.
  std::set<std::string> has_order;
  if (tco) {
    VIGIL_RETURN_IF_ERROR(repo_->ForEachReferral([&](const Referral& r) {
      if (r.order) has_order.insert(r.platform_id);
      return true;
    }));
    for (const auto& [platform, buckets] : per_platform) {
      if (buckets[0].items.empty() || has_order.count(platform)) continue;
      VIGIL_ASSIGN_OR_RETURN(int64_t notice, repo_->GetPlatformNotice(platform));
      Status s = CheckFirstOrderNotice(notice, now, req.order->emergency);
      if (!s.ok()) return s.WithContext("platform " + platform);
    }
  }

  VIGIL_ASSIGN_OR_RETURN(std::vector<Hold> holds, repo_->ListHolds());
  ReferOutcome out;
  std::map<int64_t, Referral> touched;  // existing referrals merged into
  std::vector<HoldHit> hits;

  for (const auto& [platform, buckets] : per_platform) {
    for (const Bucket& b : buckets) {
      if (b.items.empty()) continue;
      const LegalRoute route = b.out_of_scope ? LegalRoute::kVoluntary : req.route;
      // [0] pending, [1] held: the new referrals this bucket may create.
      Referral fresh[2];
      std::set<int64_t> fresh_holds;
      for (const ConfirmedItem* c : b.items) {
        ReferralItem item = ToItem(*c, req.org);
        if (b.out_of_scope) ++out.items_out_of_tco_scope;
        std::vector<const Hold*> hit = MatchingHolds(holds, platform, item, now);
        // Deduplication against open referrals of the same route and scope.
        // A held item only joins a referral that is itself held, so nothing held is sent.
        bool merged = false;
        {
          VIGIL_ASSIGN_OR_RETURN(std::vector<int64_t> ids,
                                 repo_->FindOpenReferrals(platform, item.url, item.sha256));
          for (int64_t id : ids) {
            auto t = touched.find(id);
            if (t == touched.end()) {
              VIGIL_ASSIGN_OR_RETURN(Referral r, repo_->GetReferral(id));
              t = touched.emplace(id, std::move(r)).first;
            }
            Referral& r = t->second;
            if (r.route != route || r.out_of_tco_scope != b.out_of_scope) continue;
            if (!hit.empty() && r.state != ReferralState::kHeld) continue;
            auto same_url = std::find_if(r.items.begin(), r.items.end(),
                                         [&](const ReferralItem& x) { return x.url == item.url; });
            if (same_url != r.items.end()) {
              AddUnique(same_url->organisations, req.org);
            } else if (r.state == ReferralState::kPending || r.state == ReferralState::kHeld) {
              // Same content at another URL, not yet sent: one notice covers both.
              if (r.items.size() >= kMaxItemsPerReferral) continue;
              r.items.push_back(item);
              if (r.order) r.order->urls.push_back(item.url);
            } else {
              continue;
            }
            AddUnique(r.organisations, req.org);
            if (std::find(out.merged.begin(), out.merged.end(), id) == out.merged.end()) {
              out.merged.push_back(id);
            }
            for (const Hold* h : hit) {
              if (std::find(r.hold_ids.begin(), r.hold_ids.end(), h->id) == r.hold_ids.end()) {
                r.hold_ids.push_back(h->id);
              }
              hits.push_back(HoldHit{h->id, h->org, id, req.org, platform, item.url, now});
            }
            merged = true;
            break;
          }
        }
        if (merged) {
          ++(hit.empty() ? out.items_merged : out.items_held);
          continue;
        }
        Referral& target = fresh[hit.empty() ? 0 : 1];
        auto dup = std::find_if(target.items.begin(), target.items.end(),
                                [&](const ReferralItem& x) { return x.url == item.url; });
        if (dup != target.items.end()) continue;  // the same URL twice in one request
        for (const Hold* h : hit) {
          fresh_holds.insert(h->id);
          hits.push_back(HoldHit{h->id, h->org, 0, req.org, platform, item.url, now});
        }
        if (hit.empty()) {
          ++out.items_new;
        } else {
          ++out.items_held;
        }
        target.items.push_back(std::move(item));
      }
      for (int k = 0; k < 2; ++k) {
        Referral& r = fresh[k];
        if (r.items.empty()) continue;
        // Split very large buckets so no notice exceeds the per-referral limit.
        std::vector<ReferralItem> all = std::move(r.items);
        for (size_t begin = 0; begin < all.size(); begin += kMaxItemsPerReferral) {
          Referral n;
          VIGIL_ASSIGN_OR_RETURN(n.id, repo_->NextReferralId());
          n.platform_id = platform;
          n.route = route;
          n.state = k == 0 ? ReferralState::kPending : ReferralState::kHeld;
          n.lead_org = req.org;
          n.operation = req.operation;
          n.organisations = {req.org};
          n.out_of_tco_scope = b.out_of_scope;
          n.created_ms = now;
          n.idempotency_key = "vigil-referral-" + std::to_string(n.id);
          const size_t end = std::min(all.size(), begin + kMaxItemsPerReferral);
          n.items.assign(all.begin() + begin, all.begin() + end);
          if (k == 1) n.hold_ids.assign(fresh_holds.begin(), fresh_holds.end());
          if (route == LegalRoute::kTcoRemovalOrder) {
            const OrderTemplate& t = *req.order;
            RemovalOrder o;
            o.issuing_authority = t.issuing_authority;
            o.issuing_member_state = t.issuing_member_state;
            o.authority_contact = t.authority_contact;
            o.reference = t.reference;
            if (t.addressee)
              std::tie(o.addressee, o.addressee_contact_point) = t.addressee(platform);
            o.issued_ms = now;
            for (const auto& it : n.items) o.urls.push_back(it.url);
            o.grounds = t.grounds;
            o.reasons = t.reasons;
            o.redress = t.redress;
            o.emergency = t.emergency;
            o.confidential = t.confidential;
            o.first_order_to_platform = !has_order.count(platform);
            has_order.insert(platform);
            n.order = std::move(o);
          }
          n.history.push_back(StatusChange{now, req.actor, n.state, n.state, "created"});
          VIGIL_RETURN_IF_ERROR(Save(n));
          VIGIL_RETURN_IF_ERROR(Audit(req.actor, "referral.create", Target(n.id), "",
                                      ReferralStateName(n.state), ItemsJson(n)));
          out.created.push_back(n.id);
          if (k == 1) {
            for (HoldHit& h : hits) {
              if (h.referral_id == 0 && h.platform_id == platform) h.referral_id = n.id;
            }
          }
        }
      }
    }
  }
  for (auto& [id, r] : touched) {
    if (std::find(out.merged.begin(), out.merged.end(), id) == out.merged.end()) continue;
    VIGIL_RETURN_IF_ERROR(Save(r));
    json::object d;
    d["org"] = req.org;
    d["items"] = r.items.size();
    VIGIL_RETURN_IF_ERROR(
        Audit(req.actor, "referral.merge", Target(id), "", "", json::serialize(d)));
  }
  for (const HoldHit& h : hits) {
    json::object d;
    d["referral"] = h.referral_id;
    VIGIL_RETURN_IF_ERROR(Audit(req.actor, "hold.hit", "hold:" + std::to_string(h.hold_id), "", "",
                                json::serialize(d)));
    if (notifier_ != nullptr) notifier_->OnHoldHit(h);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Holds

Result<Hold> ReferralService::PlaceHold(std::string_view actor, const Hold& hold_in) {
  ChangeLock lock(this);
  if (hold_in.org.empty() || hold_in.value.empty()) {
    return Status::InvalidArgument("a hold needs an organisation and a value");
  }
  VIGIL_RETURN_IF_ERROR(CheckText("hold value", hold_in.value));
  VIGIL_RETURN_IF_ERROR(CheckText("hold note", hold_in.note));
  const int64_t now = clock_->NowMs();
  Hold h = hold_in;
  VIGIL_ASSIGN_OR_RETURN(h.id, repo_->NextHoldId());
  h.created_ms = now;
  h.released_ms = 0;
  VIGIL_RETURN_IF_ERROR(repo_->PutHold(h));
  const std::string target = "hold:" + std::to_string(h.id);
  json::object d;
  d["org"] = h.org;
  d["kind"] = HoldKindName(h.kind);
  VIGIL_RETURN_IF_ERROR(Audit(actor, "hold.place", target, "", "active", json::serialize(d)));

  // Pending referrals it touches are stopped before they are sent.
  std::vector<Referral> to_hold;
  const std::vector<Hold> one{h};
  VIGIL_RETURN_IF_ERROR(repo_->ForEachReferral([&](const Referral& r) {
    if (r.state != ReferralState::kPending && r.state != ReferralState::kHeld) return true;
    for (const ReferralItem& it : r.items) {
      if (!MatchingHolds(one, r.platform_id, it, now).empty()) {
        to_hold.push_back(r);
        break;
      }
    }
    return true;
  }));
  for (Referral& r : to_hold) {
    r.hold_ids.push_back(h.id);
    std::string matched;
    for (const ReferralItem& it : r.items) {
      if (!MatchingHolds(one, r.platform_id, it, now).empty()) {
        matched = it.url;
        break;
      }
    }
    if (r.state == ReferralState::kPending) {
      VIGIL_RETURN_IF_ERROR(Transition(r, ReferralState::kHeld, actor, "deconfliction", ""));
    } else {
      VIGIL_RETURN_IF_ERROR(Save(r));
    }
    json::object hd;
    hd["referral"] = r.id;
    VIGIL_RETURN_IF_ERROR(Audit(actor, "hold.hit", target, "", "", json::serialize(hd)));
    if (notifier_ != nullptr) {
      notifier_->OnHoldHit(HoldHit{h.id, h.org, r.id, r.lead_org, r.platform_id, matched, now});
    }
  }
  return h;
}

Status ReferralService::ReleaseHold(std::string_view actor, std::string_view org, int64_t hold_id) {
  ChangeLock lock(this);
  auto got = repo_->GetHold(hold_id);
  // Another organisation's hold is reported as absent: its existence is not theirs to know.
  if (!got.ok() || got->org != org) {
    return Status::NotFound("hold " + std::to_string(hold_id) + " not found");
  }
  Hold h = std::move(got).value();
  if (h.released_ms != 0)
    return Status::FailedPrecondition("hold " + std::to_string(hold_id) + " is already released");
  const int64_t now = clock_->NowMs();
  h.released_ms = now;
  VIGIL_RETURN_IF_ERROR(repo_->PutHold(h));
  VIGIL_RETURN_IF_ERROR(
      Audit(actor, "hold.release", "hold:" + std::to_string(h.id), "active", "released", ""));

  VIGIL_ASSIGN_OR_RETURN(std::vector<Hold> holds, repo_->ListHolds());
  std::map<int64_t, const Hold*> by_id;
  for (const Hold& x : holds) by_id[x.id] = &x;
  std::vector<Referral> affected;
  VIGIL_RETURN_IF_ERROR(repo_->ForEachReferral([&](const Referral& r) {
    if (std::find(r.hold_ids.begin(), r.hold_ids.end(), hold_id) != r.hold_ids.end()) {
      affected.push_back(r);
    }
    return true;
  }));
  for (Referral& r : affected) {
    r.hold_ids.erase(std::remove(r.hold_ids.begin(), r.hold_ids.end(), hold_id), r.hold_ids.end());
    bool still_held = false;
    for (int64_t id : r.hold_ids) {
      auto f = by_id.find(id);
      if (f != by_id.end() && f->second->ActiveAt(now)) still_held = true;
    }
    if (r.state == ReferralState::kHeld && !still_held) {
      r.hold_ids.clear();
      VIGIL_RETURN_IF_ERROR(Transition(r, ReferralState::kPending, actor, "hold released", ""));
    } else {
      VIGIL_RETURN_IF_ERROR(Save(r));
    }
  }
  return Status::OK();
}

Result<std::vector<Hold>> ReferralService::ListHolds(std::string_view org) {
  ChangeLock lock(this);
  VIGIL_ASSIGN_OR_RETURN(std::vector<Hold> all, repo_->ListHolds());
  std::vector<Hold> out;
  for (Hold& h : all) {
    if (h.org == org) out.push_back(std::move(h));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// TCO

Status ReferralService::RecordPriorNotice(std::string_view actor, std::string_view platform_id,
                                          int64_t at_ms) {
  ChangeLock lock(this);
  if (platform_id.empty()) return Status::InvalidArgument("no platform");
  const int64_t at = at_ms == 0 ? clock_->NowMs() : at_ms;
  VIGIL_RETURN_IF_ERROR(repo_->PutPlatformNotice(platform_id, at));
  json::object d;
  d["at"] = FormatRfc3339(at);
  return Audit(actor, "platform.tco_notice", "platform:" + std::string(platform_id), "", "",
               json::serialize(d));
}

Result<TcoClockState> ReferralService::OrderClock(int64_t referral_id) {
  ChangeLock lock(this);
  VIGIL_ASSIGN_OR_RETURN(Referral r, repo_->GetReferral(referral_id));
  if (!r.order) {
    return Status::FailedPrecondition("referral " + std::to_string(referral_id) +
                                      " is not a removal order");
  }
  return ComputeTcoClock(*r.order, clock_->NowMs(), options_.resume_policy);
}

Result<std::vector<int64_t>> ReferralService::FlagOverdue(std::string_view actor) {
  ChangeLock lock(this);
  const int64_t now = clock_->NowMs();
  std::vector<Referral> late;
  VIGIL_RETURN_IF_ERROR(repo_->ForEachReferral([&](const Referral& r) {
    if (!r.order || r.order->overdue_flagged_ms != 0) return true;
    if (!IsWithPlatform(r.state) && r.state != ReferralState::kRemoved) return true;
    if (ComputeTcoClock(*r.order, now, options_.resume_policy).overdue) late.push_back(r);
    return true;
  }));
  std::vector<int64_t> ids;
  for (Referral& r : late) {
    r.order->overdue_flagged_ms = now;
    VIGIL_RETURN_IF_ERROR(Save(r));
    json::object d;
    d["platform"] = r.platform_id;
    d["received_at"] = FormatRfc3339(r.order->received_ms);
    VIGIL_RETURN_IF_ERROR(
        Audit(actor, "order.overdue", Target(r.id), "on_time", "overdue", json::serialize(d)));
    ids.push_back(r.id);
  }
  return ids;
}

Status ReferralService::ProvideClarification(std::string_view actor, std::string_view org,
                                             int64_t referral_id, std::string_view note) {
  ChangeLock lock(this);
  VIGIL_RETURN_IF_ERROR(CheckText("clarification", note));
  auto got = repo_->GetReferral(referral_id);
  if (!got.ok() || !Contains(got->organisations, org)) {
    return Status::NotFound("referral " + std::to_string(referral_id) + " not found");
  }
  Referral r = std::move(got).value();
  const bool asked = r.state == ReferralState::kClarificationRequested ||
                     (r.state == ReferralState::kCannotComply && r.cannot_comply &&
                      (*r.cannot_comply == CannotComplyReason::kManifestError ||
                       *r.cannot_comply == CannotComplyReason::kInsufficientInformation));
  if (!asked) {
    return Status::FailedPrecondition("referral " + std::to_string(referral_id) +
                                      " has no open clarification request");
  }
  ClosePause(r.order, clock_->NowMs());
  r.cannot_comply.reset();
  json::object d;
  d["clarification"] = std::string(note);
  return Transition(r, ReferralState::kAcknowledged, actor, "clarification provided",
                    json::serialize(d));
}

// ---------------------------------------------------------------------------------------
// Delivery

Result<std::vector<Referral>> ReferralService::PendingDeliveries(size_t limit,
                                                                 std::string_view platform_id) {
  ChangeLock lock(this);
  std::vector<Referral> out;
  VIGIL_RETURN_IF_ERROR(repo_->ForEachReferral([&](const Referral& r) {
    if (r.state == ReferralState::kPending &&
        (platform_id.empty() || r.platform_id == platform_id)) {
      out.push_back(r);
    }
    return limit == 0 || out.size() < limit;
  }));
  return out;
}

Status ReferralService::RecordDelivery(std::string_view actor, int64_t referral_id,
                                       DeliveryReceipt receipt) {
  ChangeLock lock(this);
  VIGIL_ASSIGN_OR_RETURN(Referral r, repo_->GetReferral(referral_id));
  const int64_t now = clock_->NowMs();
  if (receipt.delivered_ms == 0) receipt.delivered_ms = now;
  if (receipt.idempotency_key.empty()) receipt.idempotency_key = r.idempotency_key;
  if (r.order && r.order->received_ms == 0) r.order->received_ms = receipt.delivered_ms;
  ScheduleChecks(r, now);
  json::object d;
  d["channel"] = receipt.channel;
  d["endpoint"] = receipt.endpoint;
  d["attempts"] = receipt.attempts;
  d["status_code"] = receipt.status_code;
  d["remote_reference"] = receipt.remote_reference;
  d["delivered_at"] = FormatRfc3339(receipt.delivered_ms);
  r.receipts.push_back(std::move(receipt));
  return Transition(r, ReferralState::kDelivered, actor, "delivered", json::serialize(d));
}

Status ReferralService::RecordDeliveryFailure(std::string_view actor, int64_t referral_id,
                                              std::string_view detail) {
  ChangeLock lock(this);
  VIGIL_ASSIGN_OR_RETURN(Referral r, repo_->GetReferral(referral_id));
  r.last_reason = std::string(detail.substr(0, kMaxTextBytes));
  json::object d;
  d["detail"] = r.last_reason;
  return Transition(r, ReferralState::kDeliveryFailed, actor, "delivery failed",
                    json::serialize(d));
}

Status ReferralService::RetryDelivery(std::string_view actor, int64_t referral_id) {
  ChangeLock lock(this);
  VIGIL_ASSIGN_OR_RETURN(Referral r, repo_->GetReferral(referral_id));
  if (r.state != ReferralState::kDeliveryFailed) {
    return Status::FailedPrecondition("referral " + std::to_string(referral_id) + " is " +
                                      std::string(ReferralStateName(r.state)) +
                                      ", not delivery_failed");
  }
  return Transition(r, ReferralState::kPending, actor, "retry", "");
}

Result<std::vector<Referral>> ReferralService::PullForPlatform(std::string_view platform_id,
                                                               std::string_view account,
                                                               size_t limit) {
  if (platform_id.empty()) return Status::InvalidArgument("no platform");
  VIGIL_ASSIGN_OR_RETURN(std::vector<Referral> pending, PendingDeliveries(limit, platform_id));
  std::vector<Referral> out;
  for (const Referral& p : pending) {
    DeliveryReceipt rc;
    rc.channel = "pull";
    rc.endpoint = std::string(account);
    rc.attempts = 1;
    rc.status_code = 200;
    Status s = RecordDelivery("platform:" + std::string(platform_id), p.id, rc);
    // A concurrent change (withdrawn, held) between listing and recording: skip it.
    if (s.code() == StatusCode::kFailedPrecondition) continue;
    VIGIL_RETURN_IF_ERROR(s);
    VIGIL_ASSIGN_OR_RETURN(Referral r, Get(p.id));
    out.push_back(std::move(r));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Feedback and lifecycle

Status ReferralService::ApplyFeedback(std::string_view actor, std::string_view platform_id,
                                      const Feedback& f) {
  ChangeLock lock(this);
  VIGIL_RETURN_IF_ERROR(CheckText("reason", f.reason));
  auto got = repo_->GetReferral(f.referral_id);
  if (!got.ok() || got->platform_id != platform_id) {
    return Status::NotFound("referral " + std::to_string(f.referral_id) + " not found");
  }
  Referral r = std::move(got).value();
  const int64_t now = clock_->NowMs();
  if (!f.platform_reference.empty()) r.platform_reference = f.platform_reference;
  json::object d;
  d["feedback"] = FeedbackKindName(f.kind);
  if (!f.reason.empty()) d["reason"] = f.reason;
  if (f.reported_ms != 0) d["reported_at"] = FormatRfc3339(f.reported_ms);
  if (!f.platform_reference.empty()) d["platform_reference"] = f.platform_reference;

  ReferralState to = r.state;
  std::string note(FeedbackKindName(f.kind));
  switch (f.kind) {
    case FeedbackKind::kAcknowledged: to = ReferralState::kAcknowledged; break;
    case FeedbackKind::kRemoved: {
      for (const std::string& u : f.urls) {
        auto it = std::find_if(r.items.begin(), r.items.end(),
                               [&](const ReferralItem& x) { return x.url == u; });
        if (it == r.items.end()) {
          return Status::InvalidArgument("feedback names a URL that is not in referral " +
                                         std::to_string(r.id));
        }
      }
      json::array urls;
      for (ReferralItem& it : r.items) {
        if ((f.urls.empty() || Contains(f.urls, it.url)) && it.removed_ms == 0) {
          it.removed_ms = now;
          urls.emplace_back(it.url);
        }
      }
      d["urls"] = std::move(urls);
      const bool all = std::all_of(r.items.begin(), r.items.end(),
                                   [](const ReferralItem& x) { return x.removed_ms != 0; });
      if (all) {
        to = ReferralState::kRemoved;
        if (r.order && r.order->complied_ms == 0) r.order->complied_ms = now;
        ClosePause(r.order, now);
      } else {
        // Some URLs are gone, others not yet: the platform is evidently handling it.
        to = r.state == ReferralState::kDelivered ? ReferralState::kAcknowledged : r.state;
        note = "partially removed";
      }
      break;
    }
    case FeedbackKind::kGeoBlocked: {
      to = ReferralState::kGeoBlocked;
      json::array j;
      for (const auto& s : f.jurisdictions) j.emplace_back(s);
      d["jurisdictions"] = std::move(j);
      // TCO accepts disabling access in all Member States: "EU" or no list given.
      const bool eu_wide = f.jurisdictions.empty() || Contains(f.jurisdictions, "EU");
      if (r.order && r.order->complied_ms == 0 && eu_wide) {
        r.order->complied_ms = now;
        ClosePause(r.order, now);
      }
      break;
    }
    case FeedbackKind::kRejected:
      if (f.reason.empty()) return Status::InvalidArgument("a rejection needs a reason");
      to = ReferralState::kRejected;
      r.last_reason = f.reason;
      ClosePause(r.order, now);
      break;
    case FeedbackKind::kCannotComply: {
      if (!f.cannot_comply_reason) {
        return Status::InvalidArgument("cannot_comply needs an Annex III reason");
      }
      to = ReferralState::kCannotComply;
      r.cannot_comply = f.cannot_comply_reason;
      r.last_reason = f.reason;
      d["cannot_comply_reason"] = CannotComplyReasonName(*f.cannot_comply_reason);
      const bool impossibility =
          *f.cannot_comply_reason == CannotComplyReason::kForceMajeure ||
          *f.cannot_comply_reason == CannotComplyReason::kDeFactoImpossibility;
      OpenNewPause(r.order, impossibility ? PauseKind::kForceMajeure : PauseKind::kClarification,
                   CannotComplyReasonName(*f.cannot_comply_reason), now);
      break;
    }
    case FeedbackKind::kClarificationRequest:
      to = ReferralState::kClarificationRequested;
      r.last_reason = f.reason;
      OpenNewPause(r.order, PauseKind::kClarification, f.reason, now);
      break;
    case FeedbackKind::kResumed:
      if (r.state != ReferralState::kCannotComply) {
        return Status::FailedPrecondition("referral " + std::to_string(r.id) + " is " +
                                          std::string(ReferralStateName(r.state)) +
                                          "; only cannot_comply can resume");
      }
      to = ReferralState::kAcknowledged;
      r.cannot_comply.reset();
      ClosePause(r.order, now);
      break;
  }
  if (to == r.state) {
    // The same status again (a retried callback) or a partial removal: recorded, no move.
    if (r.state == ReferralState::kRemoved && f.kind == FeedbackKind::kRemoved) {
      return Status::OK();
    }
    if (!IsWithPlatform(r.state)) {
      return Status::FailedPrecondition(
          "referral " + std::to_string(r.id) + " is " + std::string(ReferralStateName(r.state)) +
          " and takes no '" + std::string(FeedbackKindName(f.kind)) + "' feedback");
    }
    VIGIL_RETURN_IF_ERROR(Save(r));
    return Audit(actor, "referral.feedback", Target(r.id), ReferralStateName(r.state),
                 ReferralStateName(r.state), json::serialize(d));
  }
  return Transition(r, to, actor, note, json::serialize(d));
}

Status ReferralService::Withdraw(std::string_view actor, std::string_view org, int64_t referral_id,
                                 std::string_view reason) {
  ChangeLock lock(this);
  VIGIL_RETURN_IF_ERROR(CheckText("reason", reason));
  auto got = repo_->GetReferral(referral_id);
  if (!got.ok() || !Contains(got->organisations, org)) {
    return Status::NotFound("referral " + std::to_string(referral_id) + " not found");
  }
  Referral r = std::move(got).value();
  ClosePause(r.order, clock_->NowMs());
  r.last_reason = std::string(reason);
  json::object d;
  d["reason"] = std::string(reason);
  d["org"] = std::string(org);
  return Transition(r, ReferralState::kWithdrawn, actor, "withdrawn", json::serialize(d));
}

Status ReferralService::Reinstate(std::string_view actor, int64_t referral_id,
                                  std::string_view reason) {
  ChangeLock lock(this);
  VIGIL_RETURN_IF_ERROR(CheckText("reason", reason));
  VIGIL_ASSIGN_OR_RETURN(Referral r, repo_->GetReferral(referral_id));
  json::object d;
  d["reason"] = std::string(reason);
  return Transition(r, ReferralState::kReinstated, actor, "removal reversed", json::serialize(d));
}

// ---------------------------------------------------------------------------------------
// Reversal (reversal.h)

namespace {

void AddItemContent(const ReferralItem& it, std::vector<ContentSignal>& out) {
  if (!it.sha256.empty()) out.push_back({"sha256", it.sha256});
  if (!it.pdq.empty()) out.push_back({"pdq", it.pdq});
}

bool ItemHasContent(const ReferralItem& it, const std::set<ContentSignal>& content,
                    const std::set<int64_t>& item_ids) {
  return (!it.sha256.empty() && content.count({"sha256", it.sha256})) ||
         (!it.pdq.empty() && content.count({"pdq", it.pdq})) ||
         (it.item_id > 0 && item_ids.count(it.item_id));
}

json::array ContentJson(const std::vector<ContentSignal>& v) {
  json::array a;
  for (const ContentSignal& c : v) a.push_back(json::object{{"type", c.type}, {"value", c.value}});
  return a;
}

// What the platform did about the referral: its latest action, or where it stands.
ReferralState ActionOf(const Referral& r) {
  for (auto it = r.history.rbegin(); it != r.history.rend(); ++it) {
    if (it->to == ReferralState::kRemoved || it->to == ReferralState::kGeoBlocked ||
        it->to == ReferralState::kAcknowledged) {
      return it->to;
    }
  }
  return r.state;
}

std::string NoticeTarget(int64_t id) { return "reversal_notice:" + std::to_string(id); }

}  // namespace

Result<ReversalOutcome> ReferralService::Reverse(const ReversalRequest& req) {
  ChangeLock lock(this);
  if (req.actor.empty()) return Status::InvalidArgument("a reversal needs an actor");
  if (req.reason.empty()) return Status::InvalidArgument("a reversal needs a reason");
  VIGIL_RETURN_IF_ERROR(CheckText("reason", req.reason));
  const bool by_signal = !req.bank.empty() || !req.signal.type.empty() || !req.signal.value.empty();
  if (by_signal == (req.referral_id > 0)) {
    return Status::InvalidArgument("a reversal names either a referral or a bank signal");
  }
  if (by_signal && (req.bank.empty() || req.signal.type.empty() || req.signal.value.empty())) {
    return Status::InvalidArgument("a signal reversal needs the bank, type and value");
  }
  if (req.bank.size() > kMaxReversalValueBytes ||
      req.signal.value.size() > kMaxReversalValueBytes ||
      req.item_url.size() > kMaxReversalValueBytes) {
    return Status::InvalidArgument("a reversal field is too long");
  }
  const int64_t now = clock_->NowMs();

  // What is reversed: the named items' hashes (and every hash of their stored media), or
  // the one signal.
  std::vector<ContentSignal> content;
  std::optional<Referral> named;
  std::set<size_t> named_items;
  if (!by_signal) {
    VIGIL_ASSIGN_OR_RETURN(Referral r, repo_->GetReferral(req.referral_id));
    for (size_t i = 0; i < r.items.size(); ++i) {
      const ReferralItem& it = r.items[i];
      if (!req.item_url.empty() && it.url != req.item_url) continue;
      if (req.item_id > 0 && it.item_id != req.item_id) continue;
      named_items.insert(i);
      AddItemContent(it, content);
      if (it.item_id > 0) {
        VIGIL_ASSIGN_OR_RETURN(std::vector<ContentSignal> more, repo_->ItemSignals(it.item_id));
        content.insert(content.end(), more.begin(), more.end());
      }
    }
    if (named_items.empty()) {
      return Status::NotFound("referral " + std::to_string(r.id) + " has no such item");
    }
    named = std::move(r);
  } else {
    // Hashes are compared in lowercase hex, as referral items keep them.
    ContentSignal sig = req.signal;
    const bool hex = std::all_of(sig.value.begin(), sig.value.end(),
                                 [](unsigned char ch) { return std::isxdigit(ch) != 0; });
    if (hex) {
      for (char& ch : sig.value)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    content.push_back(std::move(sig));
  }
  std::sort(content.begin(), content.end());
  content.erase(std::unique(content.begin(), content.end()), content.end());
  if (content.size() > kMaxReversalContent) {
    return Status::ResourceExhausted("too many hashes in one reversal; name one item");
  }

  ReversalOutcome out;
  out.content = content;
  VIGIL_ASSIGN_OR_RETURN(out.reversal_id, repo_->NextReversalId());
  VIGIL_ASSIGN_OR_RETURN(
      out.signals,
      repo_->ReverseContent(out.reversal_id, by_signal ? req.bank : "", content, req.reason, now));
  {
    json::object d{{"reason", req.reason}, {"content", ContentJson(content)}};
    if (named) d["referral_id"] = named->id;
    if (by_signal) d["bank"] = req.bank;
    VIGIL_RETURN_IF_ERROR(Audit(req.actor, "reversal.create",
                                "reversal:" + std::to_string(out.reversal_id), "", "reversed",
                                json::serialize(d)));
  }
  for (const ReversedSignal& s : out.signals) {
    json::object d{{"reversal_id", out.reversal_id},
                   {"bank", s.bank},
                   {"type", s.type},
                   {"value", s.value},
                   {"version", s.bank_version},
                   {"reason", req.reason}};
    VIGIL_RETURN_IF_ERROR(Audit(req.actor, "signal.reverse", "bank:" + std::to_string(s.bank_id),
                                "live", "reversed", json::serialize(d)));
  }

  // Every referral carrying the content.
  VIGIL_ASSIGN_OR_RETURN(ContentReferrals hits, repo_->FindReferralsWithContent(content));
  std::set<int64_t> ids(hits.referral_ids.begin(), hits.referral_ids.end());
  if (named) ids.insert(named->id);
  const std::set<ContentSignal> cset(content.begin(), content.end());
  const std::set<int64_t> item_ids(hits.item_ids.begin(), hits.item_ids.end());
  for (int64_t id : ids) {
    Referral r;
    if (named && id == named->id) {
      r = *named;
    } else {
      VIGIL_ASSIGN_OR_RETURN(r, repo_->GetReferral(id));
    }
    const bool is_named = named && id == named->id;
    std::vector<size_t> matched;
    for (size_t i = 0; i < r.items.size(); ++i) {
      if ((is_named && named_items.count(i)) || ItemHasContent(r.items[i], cset, item_ids)) {
        matched.push_back(i);
      }
    }
    const ReferralState before = r.state;
    if (matched.empty() || before == ReferralState::kRejected ||
        before == ReferralState::kWithdrawn || before == ReferralState::kReinstated) {
      continue;  // nothing of it reversed, or nothing to undo (a rejecting platform is not told)
    }
    // Reversed in full when every item is reversed now or was before.
    bool all = matched.size() == r.items.size();
    if (!all) {
      std::vector<ContentSignal> rest;
      for (size_t i = 0; i < r.items.size(); ++i) {
        if (!std::binary_search(matched.begin(), matched.end(), i))
          AddItemContent(r.items[i], rest);
      }
      VIGIL_ASSIGN_OR_RETURN(std::vector<ContentSignal> prev, repo_->FindReversed(rest));
      const std::set<ContentSignal> pset(prev.begin(), prev.end());
      all = true;
      for (size_t i = 0; i < r.items.size() && all; ++i) {
        if (std::binary_search(matched.begin(), matched.end(), i)) continue;
        all = ItemHasContent(r.items[i], pset, {});
      }
    }
    std::vector<ReversedItem> items;
    json::array urls;
    for (size_t i : matched) {
      const ReferralItem& it = r.items[i];
      items.push_back({it.url, it.sha256, it.pdq});
      urls.emplace_back(it.url);
    }
    json::object d{{"reversal_id", out.reversal_id},
                   {"reason", req.reason},
                   {"urls", std::move(urls)},
                   {"whole_referral", all}};
    const std::string details = json::serialize(d);
    const std::string note = "content reversed: " + req.reason;
    const bool sent = before == ReferralState::kRemoved || IsWithPlatform(before);
    if (!sent) {
      // Never reached the platform: the reversed items are dropped before anything is sent.
      if (all) {
        VIGIL_RETURN_IF_ERROR(Transition(r, ReferralState::kWithdrawn, req.actor, note, details));
        out.withdrawn.push_back(r.id);
        continue;
      }
      for (auto i = matched.rbegin(); i != matched.rend(); ++i) {
        const std::string url = r.items[*i].url;
        r.items.erase(r.items.begin() + static_cast<std::ptrdiff_t>(*i));
        if (r.order) std::erase(r.order->urls, url);
      }
      VIGIL_RETURN_IF_ERROR(Save(r));
      VIGIL_RETURN_IF_ERROR(Audit(req.actor, "referral.reverse", Target(r.id),
                                  ReferralStateName(before), ReferralStateName(r.state), details));
      continue;
    }
    const ReferralState action = ActionOf(r);
    if (all) {
      ClosePause(r.order, now);
      const ReferralState to = before == ReferralState::kRemoved ? ReferralState::kReinstated
                                                                 : ReferralState::kWithdrawn;
      VIGIL_RETURN_IF_ERROR(Transition(r, to, req.actor, note, details));
      (to == ReferralState::kReinstated ? out.reinstated : out.withdrawn).push_back(r.id);
    } else {
      VIGIL_RETURN_IF_ERROR(Audit(req.actor, "referral.reverse", Target(r.id),
                                  ReferralStateName(before), ReferralStateName(r.state), details));
    }
    ReversalNotice n;
    VIGIL_ASSIGN_OR_RETURN(n.id, repo_->NextReversalNoticeId());
    n.reversal_id = out.reversal_id;
    n.referral_id = r.id;
    n.platform_id = r.platform_id;
    n.idempotency_key = r.idempotency_key + "-reversal-" + std::to_string(out.reversal_id);
    n.reason = req.reason;
    n.action = action;
    n.referral_state = r.state;
    n.platform_reference = r.platform_reference;
    n.items = std::move(items);
    n.created_ms = n.updated_ms = now;
    VIGIL_RETURN_IF_ERROR(repo_->PutReversalNotice(n));
    json::object nd{{"notice_id", n.id},
                    {"reversal_id", n.reversal_id},
                    {"platform", n.platform_id},
                    {"idempotency_key", n.idempotency_key}};
    VIGIL_RETURN_IF_ERROR(
        Audit(req.actor, "reversal.notice", Target(r.id), "", "pending", json::serialize(nd)));
    out.notices.push_back(n.id);
    out.referrals_notified.push_back(r.id);
  }
  return out;
}

Result<std::vector<ReversalNotice>> ReferralService::PendingReversalNotices(
    size_t limit, std::string_view platform_id) {
  ChangeLock lock(this);
  return repo_->ListReversalNotices(true, platform_id, limit);
}

Status ReferralService::RecordReversalAttempt(std::string_view actor, int64_t notice_id,
                                              DeliveryReceipt attempt, bool delivered) {
  ChangeLock lock(this);
  VIGIL_ASSIGN_OR_RETURN(ReversalNotice n, repo_->GetReversalNotice(notice_id));
  if (n.state == NoticeState::kDelivered) {
    return Status::FailedPrecondition("reversal notice " + std::to_string(notice_id) +
                                      " is already delivered");
  }
  const int64_t now = clock_->NowMs();
  const NoticeState before = n.state;
  if (attempt.idempotency_key.empty()) attempt.idempotency_key = n.idempotency_key;
  if (delivered) {
    if (attempt.delivered_ms <= 0) attempt.delivered_ms = now;
    n.state = NoticeState::kDelivered;
  } else {
    attempt.delivered_ms = 0;
    attempt.detail = attempt.detail.substr(0, 512);
    n.state = NoticeState::kDeliveryFailed;
  }
  n.attempts.push_back(attempt);
  if (n.attempts.size() > kMaxChecksKept) n.attempts.erase(n.attempts.begin());
  n.updated_ms = now;
  VIGIL_RETURN_IF_ERROR(repo_->PutReversalNotice(n));
  json::object d{{"referral_id", n.referral_id},       {"channel", attempt.channel},
                 {"endpoint", attempt.endpoint},       {"attempts", attempt.attempts},
                 {"status_code", attempt.status_code}, {"detail", attempt.detail}};
  return Audit(actor, delivered ? "reversal.deliver" : "reversal.delivery_failed",
               NoticeTarget(n.id), NoticeStateName(before), NoticeStateName(n.state),
               json::serialize(d));
}

Result<std::vector<ReversalNotice>> ReferralService::PullReversalsForPlatform(
    std::string_view platform_id, std::string_view account, size_t limit) {
  ChangeLock lock(this);
  VIGIL_ASSIGN_OR_RETURN(std::vector<ReversalNotice> got,
                         repo_->ListReversalNotices(true, platform_id, limit));
  const int64_t now = clock_->NowMs();
  for (ReversalNotice& n : got) {
    DeliveryReceipt rc;
    rc.channel = "pull";
    rc.endpoint = std::string(account);
    rc.attempts = 1;
    rc.delivered_ms = now;
    rc.idempotency_key = n.idempotency_key;
    const NoticeState before = n.state;
    n.state = NoticeState::kDelivered;
    n.attempts.push_back(rc);
    n.updated_ms = now;
    VIGIL_RETURN_IF_ERROR(repo_->PutReversalNotice(n));
    json::object d{{"referral_id", n.referral_id}, {"channel", "pull"}, {"endpoint", rc.endpoint}};
    VIGIL_RETURN_IF_ERROR(Audit(std::string(account), "reversal.deliver", NoticeTarget(n.id),
                                NoticeStateName(before), "delivered", json::serialize(d)));
  }
  return got;
}

Result<std::vector<ReversalNotice>> ReferralService::ReversalNoticesFor(int64_t referral_id) {
  ChangeLock lock(this);
  return repo_->ListReversalNotices(false, "", 0, referral_id);
}

// ---------------------------------------------------------------------------------------
// Re-checks

Result<RecheckSummary> ReferralService::RunDueRechecks(UrlProber& prober, size_t max_urls) {
  struct Due {
    int64_t referral_id;
    std::string platform;
    std::string url;
  };
  std::vector<Due> due;
  {
    ChangeLock lock(this);
    const int64_t now = clock_->NowMs();
    VIGIL_RETURN_IF_ERROR(repo_->ForEachReferral([&](const Referral& r) {
      if (!IsWithPlatform(r.state) && r.state != ReferralState::kRemoved) return true;
      for (const ReferralItem& it : r.items) {
        if (it.url_status == UrlStatus::kGone || it.next_check_ms == 0) continue;
        if (it.next_check_ms > now) continue;
        due.push_back(Due{r.id, r.platform_id, it.url});
        if (max_urls != 0 && due.size() >= max_urls) return false;
      }
      return true;
    }));
  }
  RecheckSummary sum;
  for (const Due& d : due) {
    // The network is slow: probe without the lock, then record under it.
    Result<ProbeResult> probe = prober.Probe(d.platform, d.url);
    ChangeLock lock(this);
    const int64_t now = clock_->NowMs();
    auto got = repo_->GetReferral(d.referral_id);
    if (!got.ok()) continue;
    Referral r = std::move(got).value();
    auto it = std::find_if(r.items.begin(), r.items.end(),
                           [&](const ReferralItem& x) { return x.url == d.url; });
    if (it == r.items.end()) continue;
    CheckRecord rec;
    rec.at_ms = now;
    if (!probe.ok()) {
      rec.outcome = UrlStatus::kUnknown;
      rec.detail = probe.status().message().substr(0, 512);
      ++sum.errors;
    } else {
      rec.http_status = probe->http_status;
      // 451: unavailable for legal reasons, i.e. blocked where we look from.
      if (probe->http_status == 404 || probe->http_status == 410 || probe->http_status == 451 ||
          probe->removal_page) {
        rec.outcome = UrlStatus::kGone;
        rec.detail =
            probe->removal_page ? "removal page" : "http " + std::to_string(probe->http_status);
        ++sum.gone;
      } else if (probe->http_status >= 200 && probe->http_status < 400) {
        rec.outcome = UrlStatus::kLive;
        ++sum.live;
      } else {
        rec.outcome = UrlStatus::kUnknown;
        rec.detail = "http " + std::to_string(probe->http_status);
        ++sum.errors;
      }
    }
    ++sum.checked;
    const UrlStatus before = it->url_status;
    if (rec.outcome != UrlStatus::kUnknown) it->url_status = rec.outcome;
    it->checks.push_back(rec);
    if (it->checks.size() > kMaxChecksKept) it->checks.erase(it->checks.begin());
    ++it->checks_done;
    if (it->url_status == UrlStatus::kGone || it->checks_done >= options_.recheck_max_checks) {
      it->next_check_ms = 0;
    } else {
      int64_t interval = options_.recheck_first_delay_ms;
      for (int i = 0; i < it->checks_done && interval < options_.recheck_max_interval_ms; ++i) {
        interval *= 2;
      }
      it->next_check_ms = now + std::min(interval, options_.recheck_max_interval_ms);
    }
    if (before != it->url_status) {
      json::object dj;
      dj["url"] = it->url;
      dj["http_status"] = rec.http_status;
      VIGIL_RETURN_IF_ERROR(Audit("system:recheck", "referral.check", Target(r.id),
                                  UrlStatusName(before), UrlStatusName(it->url_status),
                                  json::serialize(dj)));
    }
    const bool all_gone = std::all_of(r.items.begin(), r.items.end(), [](const ReferralItem& x) {
      return x.url_status == UrlStatus::kGone;
    });
    if (all_gone && r.removal_verified_ms == 0) {
      r.removal_verified_ms = now;
      sum.verified_removed.push_back(r.id);
      if (IsWithPlatform(r.state)) {
        if (r.order && r.order->complied_ms == 0) r.order->complied_ms = now;
        ClosePause(r.order, now);
        VIGIL_RETURN_IF_ERROR(Transition(r, ReferralState::kRemoved, "system:recheck",
                                         "verified gone by re-check", ""));
        continue;
      }
    }
    VIGIL_RETURN_IF_ERROR(Save(r));
  }
  return sum;
}

// ---------------------------------------------------------------------------------------
// Views

Result<Referral> ReferralService::Get(int64_t referral_id) {
  ChangeLock lock(this);
  return repo_->GetReferral(referral_id);
}

Result<Referral> ReferralService::ViewFor(std::string_view org, int64_t referral_id) {
  ChangeLock lock(this);
  auto got = repo_->GetReferral(referral_id);
  if (!got.ok() || !Contains(got->organisations, org)) {
    return Status::NotFound("referral " + std::to_string(referral_id) + " not found");
  }
  Referral r = std::move(got).value();
  r.hold_ids.clear();
  for (StatusChange& c : r.history) {
    // Who held it (and why) is the holder's business.
    if (c.to == ReferralState::kHeld || c.from == ReferralState::kHeld) c.actor = "system";
  }
  for (ReferralItem& it : r.items) {
    if (!Contains(it.organisations, org)) {
      it.reason.clear();
      it.evidence_ref.clear();
    }
  }
  return r;
}

Result<std::vector<Referral>> ReferralService::List(const ReferralFilter& filter) {
  ChangeLock lock(this);
  std::vector<Referral> out;
  VIGIL_RETURN_IF_ERROR(repo_->ForEachReferral([&](const Referral& r) {
    if (filter.state && r.state != *filter.state) return true;
    if (!filter.platform_id.empty() && r.platform_id != filter.platform_id) return true;
    if (!filter.operation.empty() && r.operation != filter.operation) return true;
    if (!filter.org.empty() && !Contains(r.organisations, filter.org)) return true;
    out.push_back(r);
    return true;
  }));
  return out;
}

}  // namespace vigil::workflow
