#include "store/referral_store.h"

#include <boost/json.hpp>

#include "store/sql.h"
#include "store/sql_store.h"
#include "store/store_sql.h"
#include "workflow/codec.h"

namespace vigil::store {
namespace {

using namespace store_sql;  // I, S, Conn, Q, X
namespace wf = workflow;

constexpr size_t kItemRowsPerStatement = 100;  // rows per multi-row INSERT of items

wf::Hold ReadHold(sql::Rows& r) {
  wf::Hold h;
  h.id = r.Int(0);
  h.org = r.Text(1);
  h.kind = wf::ParseHoldKind(r.Text(2)).value_or(wf::HoldKind::kUrl);
  h.value = r.Text(3);
  h.platform_id = r.Text(4);
  h.note = r.Text(5);
  h.created_ms = r.Int(6);
  h.expires_ms = r.Int(7);
  h.released_ms = r.Int(8);
  return h;
}
constexpr const char* kHoldCols =
    "id, org, kind, value, platform_id, note, created_ms, expires_ms, released_ms";

EvidenceRecord ReadEvidence(sql::Rows& r) {
  EvidenceRecord e;
  e.id = r.Int(0);
  e.referral_id = r.Int(1);
  e.item_id = r.Int(2);
  e.kind = r.Text(3);
  e.name = r.Text(4);
  e.sha256 = r.Text(5);
  e.bytes = r.Int(6);
  e.location = r.Text(7);
  e.sealed_ms = r.Int(8);
  e.expires_ms = r.Int(9);
  e.deleted_ms = r.Int(10);
  return e;
}
constexpr const char* kEvidenceCols =
    "id, referral_id, item_id, kind, name, sha256, bytes, location, sealed_ms, expires_ms, "
    "deleted_ms";

}  // namespace

Result<std::unique_ptr<SqlReferralRepository>> SqlReferralRepository::Create(Store* store) {
  if (!store || !RawConnectionForTesting(*store)) {
    return Status::InvalidArgument("the referral repository needs a SQL store");
  }
  return std::unique_ptr<SqlReferralRepository>(new SqlReferralRepository(store));
}

SqlReferralRepository::SqlReferralRepository(Store* store) : store_(store) {}

SqlReferralRepository::~SqlReferralRepository() {
  if (txn_open_) (void)Conn(store_).ExecScript("ROLLBACK");
}

Status SqlReferralRepository::Open() {
  if (txn_open_) return Status::OK();
  VIGIL_RETURN_IF_ERROR(BeginWriteTransaction(*store_));
  txn_open_ = true;
  return Status::OK();
}

Status SqlReferralRepository::Finish(bool commit) {
  if (!txn_open_) return Status::OK();
  txn_open_ = false;
  if (commit) {
    Status s = Conn(store_).ExecScript("COMMIT");
    if (s.ok()) return s;
    (void)Conn(store_).ExecScript("ROLLBACK");
    return s;
  }
  return Conn(store_).ExecScript("ROLLBACK");
}

Status SqlReferralRepository::BeginChange() {
  if (change_mu_) change_mu_->lock();
  in_change_ = true;
  failed_ = false;
  return Status::OK();  // the transaction opens on the first write (reads need none)
}

Status SqlReferralRepository::EndChange() {
  in_change_ = false;
  const bool commit = !failed_;
  failed_ = false;
  Status s = Finish(commit);
  if (change_mu_) change_mu_->unlock();
  if (!commit && s.ok()) return Status::Internal("referral change rolled back after a failure");
  return s;
}

Status SqlReferralRepository::Write(const std::function<Status()>& fn) {
  if (in_change_) {
    Status s = Open();
    if (s.ok()) s = fn();
    if (!s.ok()) failed_ = true;
    return s;
  }
  VIGIL_RETURN_IF_ERROR(Open());
  Status s = fn();
  Status f = Finish(s.ok());
  return s.ok() ? f : s;
}

Result<int64_t> SqlReferralRepository::NextCounter(std::string_view name) {
  int64_t value = 0;
  VIGIL_RETURN_IF_ERROR(Write([&]() -> Status {
    VIGIL_ASSIGN_OR_RETURN(
        auto rows,
        Q(store_, "UPDATE referral_counters SET value = value + 1 WHERE name = ? RETURNING value",
          {S(name)}));
    VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
    if (!found) return Status::Internal("referral counter '" + std::string(name) + "' missing");
    value = rows->Int(0);
    return rows->Next().status();
  }));
  return value;
}

Status SqlReferralRepository::BumpCounter(std::string_view name, int64_t at_least) {
  return X(store_, "UPDATE referral_counters SET value = ? WHERE name = ? AND value < ?",
           {I(at_least), S(name), I(at_least)})
      .status();
}

Result<int64_t> SqlReferralRepository::NextReferralId() { return NextCounter("referral"); }
Result<int64_t> SqlReferralRepository::NextHoldId() { return NextCounter("hold"); }

Status SqlReferralRepository::PutReferral(const wf::Referral& r) {
  if (r.id <= 0) return Status::InvalidArgument("referral without an id");
  const std::string record = wf::ReferralToJson(r);
  return Write([&]() -> Status {
    VIGIL_RETURN_IF_ERROR(BumpCounter("referral", r.id));
    VIGIL_RETURN_IF_ERROR(
        X(store_,
          "INSERT INTO referrals (id, platform_id, route, state, operation, lead_org, created_ms, "
          "updated_ms, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
          "platform_id = excluded.platform_id, route = excluded.route, state = excluded.state, "
          "operation = excluded.operation, lead_org = excluded.lead_org, "
          "updated_ms = excluded.updated_ms, record = excluded.record",
          {I(r.id), S(r.platform_id), S(wf::LegalRouteName(r.route)),
           S(wf::ReferralStateName(r.state)), S(r.operation), S(r.lead_org), I(r.created_ms),
           I(r.updated_ms), S(record)})
            .status());
    // Organisations and items are rewritten (they change on merges and feedback).
    VIGIL_RETURN_IF_ERROR(
        X(store_, "DELETE FROM referral_orgs WHERE referral_id = ?", {I(r.id)}).status());
    for (const std::string& org : r.organisations) {
      VIGIL_RETURN_IF_ERROR(X(store_,
                              "INSERT INTO referral_orgs (referral_id, org) VALUES (?, ?) "
                              "ON CONFLICT DO NOTHING",
                              {I(r.id), S(org)})
                                .status());
    }
    VIGIL_RETURN_IF_ERROR(
        X(store_, "DELETE FROM referral_items WHERE referral_id = ?", {I(r.id)}).status());
    const int64_t open = wf::IsTerminal(r.state) ? 0 : 1;
    for (size_t begin = 0; begin < r.items.size(); begin += kItemRowsPerStatement) {
      const size_t end = std::min(r.items.size(), begin + kItemRowsPerStatement);
      std::string q =
          "INSERT INTO referral_items (referral_id, pos, platform_id, url, sha256, item_id, "
          "is_open, removed_ms) VALUES ";
      std::vector<Param> p;
      for (size_t i = begin; i < end; ++i) {
        const wf::ReferralItem& it = r.items[i];
        q += i == begin ? "(?, ?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?, ?)";
        p.insert(p.end(), {I(r.id), I(static_cast<int64_t>(i)), S(r.platform_id), S(it.url),
                           S(it.sha256), I(it.item_id), I(open), I(it.removed_ms)});
      }
      VIGIL_RETURN_IF_ERROR(Conn(store_).Execute(q, p).status());
    }
    // History and receipts only ever grow: append what is new.
    VIGIL_ASSIGN_OR_RETURN(auto rows,
                           Q(store_,
                             "SELECT (SELECT COUNT(*) FROM referral_events WHERE referral_id = ?), "
                             "(SELECT COUNT(*) FROM referral_deliveries WHERE referral_id = ?)",
                             {I(r.id), I(r.id)}));
    VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
    const int64_t have_events = found ? rows->Int(0) : 0;
    const int64_t have_receipts = found ? rows->Int(1) : 0;
    rows.reset();
    for (size_t i = static_cast<size_t>(have_events); i < r.history.size(); ++i) {
      const wf::StatusChange& c = r.history[i];
      VIGIL_RETURN_IF_ERROR(
          X(store_,
            "INSERT INTO referral_events (referral_id, seq, at_ms, actor, from_state, to_state, "
            "note) VALUES (?, ?, ?, ?, ?, ?, ?)",
            {I(r.id), I(static_cast<int64_t>(i)), I(c.at_ms), S(c.actor),
             S(wf::ReferralStateName(c.from)), S(wf::ReferralStateName(c.to)), S(c.note)})
              .status());
    }
    for (size_t i = static_cast<size_t>(have_receipts); i < r.receipts.size(); ++i) {
      const wf::DeliveryReceipt& d = r.receipts[i];
      VIGIL_RETURN_IF_ERROR(
          X(store_,
            "INSERT INTO referral_deliveries (referral_id, seq, channel, endpoint, attempts, "
            "delivered_ms, status_code, remote_reference, idempotency_key, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {I(r.id), I(static_cast<int64_t>(i)), S(d.channel), S(d.endpoint), I(d.attempts),
             I(d.delivered_ms), I(d.status_code), S(d.remote_reference), S(d.idempotency_key),
             S(d.detail)})
              .status());
    }
    return Status::OK();
  });
}

Result<wf::Referral> SqlReferralRepository::GetReferral(int64_t id) {
  VIGIL_ASSIGN_OR_RETURN(auto rows,
                         Q(store_, "SELECT record FROM referrals WHERE id = ?", {I(id)}));
  VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
  if (!found) return Status::NotFound("referral " + std::to_string(id) + " not found");
  return wf::ReferralFromJson(rows->Text(0));
}

Status SqlReferralRepository::PageReferrals(const std::string& where,
                                            const std::vector<std::string>& args,
                                            const std::function<bool(const wf::Referral&)>& fn) {
  int64_t after = 0;
  while (true) {
    std::vector<Param> p;
    p.push_back(I(after));
    for (const auto& a : args) p.push_back(S(a));
    p.push_back(I(kReferralPageRows));
    std::vector<wf::Referral> page;
    {
      VIGIL_ASSIGN_OR_RETURN(
          auto rows,
          Conn(store_).Query(
              "SELECT id, record FROM referrals WHERE id > ?" + where + " ORDER BY id LIMIT ?", p));
      while (true) {
        VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
        if (!more) break;
        after = rows->Int(0);
        VIGIL_ASSIGN_OR_RETURN(wf::Referral r, wf::ReferralFromJson(rows->Text(1)));
        page.push_back(std::move(r));
      }
    }
    // The cursor is closed before the callback runs: it may use the repository.
    for (const wf::Referral& r : page) {
      if (!fn(r)) return Status::OK();
    }
    if (static_cast<int64_t>(page.size()) < kReferralPageRows) return Status::OK();
  }
}

Status SqlReferralRepository::ForEachReferral(const std::function<bool(const wf::Referral&)>& fn) {
  return PageReferrals("", {}, fn);
}

Result<std::vector<wf::Referral>> SqlReferralRepository::Find(const ReferralQuery& q) {
  std::string where;
  std::vector<std::string> args;
  if (!q.org.empty()) {
    where += " AND id IN (SELECT referral_id FROM referral_orgs WHERE org = ?)";
    args.push_back(q.org);
  }
  if (!q.platform_id.empty()) {
    where += " AND platform_id = ?";
    args.push_back(q.platform_id);
  }
  if (!q.state.empty()) {
    where += " AND state = ?";
    args.push_back(q.state);
  }
  if (!q.operation.empty()) {
    where += " AND operation = ?";
    args.push_back(q.operation);
  }
  std::vector<wf::Referral> out;
  VIGIL_RETURN_IF_ERROR(PageReferrals(where, args, [&](const wf::Referral& r) {
    out.push_back(r);
    return true;
  }));
  if (q.newest_first) std::reverse(out.begin(), out.end());
  if (q.limit > 0 && static_cast<int64_t>(out.size()) > q.limit) out.resize(q.limit);
  return out;
}

Result<std::vector<int64_t>> SqlReferralRepository::FindOpenReferrals(std::string_view platform_id,
                                                                      std::string_view url,
                                                                      std::string_view sha256) {
  std::vector<int64_t> out;
  if (url.empty() && sha256.empty()) return out;
  // Empty values never match (an item without a hash is not "the same content").
  VIGIL_ASSIGN_OR_RETURN(
      auto rows,
      Q(store_,
        "SELECT DISTINCT referral_id FROM referral_items WHERE is_open = 1 AND platform_id = ? "
        "AND ((url = ? AND url <> '') OR (sha256 = ? AND sha256 <> '')) ORDER BY referral_id",
        {S(platform_id), S(url), S(sha256)}));
  while (true) {
    VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
    if (!more) break;
    out.push_back(rows->Int(0));
  }
  return out;
}

Status SqlReferralRepository::PutHold(const wf::Hold& h) {
  if (h.id <= 0) return Status::InvalidArgument("hold without an id");
  return Write([&]() -> Status {
    VIGIL_RETURN_IF_ERROR(BumpCounter("hold", h.id));
    return X(store_,
             std::string("INSERT INTO referral_holds (") + kHoldCols +
                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                 "org = excluded.org, kind = excluded.kind, value = excluded.value, "
                 "platform_id = excluded.platform_id, note = excluded.note, "
                 "expires_ms = excluded.expires_ms, released_ms = excluded.released_ms",
             {I(h.id), S(h.org), S(wf::HoldKindName(h.kind)), S(h.value), S(h.platform_id),
              S(h.note), I(h.created_ms), I(h.expires_ms), I(h.released_ms)})
        .status();
  });
}

Result<wf::Hold> SqlReferralRepository::GetHold(int64_t id) {
  VIGIL_ASSIGN_OR_RETURN(
      auto rows,
      Q(store_, std::string("SELECT ") + kHoldCols + " FROM referral_holds WHERE id = ?", {I(id)}));
  VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
  if (!found) return Status::NotFound("hold " + std::to_string(id) + " not found");
  return ReadHold(*rows);
}

Result<std::vector<wf::Hold>> SqlReferralRepository::ListHolds() {
  VIGIL_ASSIGN_OR_RETURN(
      auto rows,
      Q(store_, std::string("SELECT ") + kHoldCols + " FROM referral_holds ORDER BY id", {}));
  std::vector<wf::Hold> out;
  while (true) {
    VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
    if (!more) break;
    out.push_back(ReadHold(*rows));
  }
  return out;
}

Status SqlReferralRepository::PutPlatformNotice(std::string_view platform_id, int64_t at_ms) {
  return Write([&]() -> Status {
    return X(store_,
             "INSERT INTO platform_notices (platform_id, at_ms) VALUES (?, ?) "
             "ON CONFLICT (platform_id) DO UPDATE SET at_ms = excluded.at_ms",
             {S(platform_id), I(at_ms)})
        .status();
  });
}

Result<int64_t> SqlReferralRepository::GetPlatformNotice(std::string_view platform_id) {
  VIGIL_ASSIGN_OR_RETURN(
      auto rows,
      Q(store_, "SELECT at_ms FROM platform_notices WHERE platform_id = ?", {S(platform_id)}));
  VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
  return found ? rows->Int(0) : int64_t{0};
}

Status SqlReferralRepository::Record(const wf::AuditEvent& e) {
  return Write([&]() -> Status {
    return AppendAuditInTransaction(*store_, e.actor, e.action, e.target, e.before, e.after,
                                    e.details)
        .status();
  });
}

Status SqlReferralRepository::RecordHoldHit(const wf::HoldHit& h) {
  return Write([&]() -> Status {
    return X(store_,
             "INSERT INTO referral_hold_hits (hold_id, holder_org, referral_id, referring_org, "
             "platform_id, matched, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
             {I(h.hold_id), S(h.holder_org), I(h.referral_id), S(h.referring_org), S(h.platform_id),
              S(h.matched), I(h.at_ms)})
        .status();
  });
}

Result<std::vector<wf::HoldHit>> SqlReferralRepository::ListHoldHits(std::string_view holder_org) {
  VIGIL_ASSIGN_OR_RETURN(auto rows,
                         Q(store_,
                           "SELECT hold_id, holder_org, referral_id, referring_org, platform_id, "
                           "matched, at_ms FROM referral_hold_hits WHERE holder_org = ? "
                           "ORDER BY id",
                           {S(holder_org)}));
  std::vector<wf::HoldHit> out;
  while (true) {
    VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
    if (!more) break;
    wf::HoldHit h;
    h.hold_id = rows->Int(0);
    h.holder_org = rows->Text(1);
    h.referral_id = rows->Int(2);
    h.referring_org = rows->Text(3);
    h.platform_id = rows->Text(4);
    h.matched = rows->Text(5);
    h.at_ms = rows->Int(6);
    out.push_back(std::move(h));
  }
  return out;
}

Result<EvidenceRecord> SqlReferralRepository::AddEvidence(std::string_view actor,
                                                          EvidenceRecord rec) {
  VIGIL_RETURN_IF_ERROR(Write([&]() -> Status {
    VIGIL_ASSIGN_OR_RETURN(
        auto rows,
        Q(store_,
          "INSERT INTO evidence (referral_id, item_id, kind, name, sha256, bytes, location, "
          "sealed_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
          {I(rec.referral_id), I(rec.item_id), S(rec.kind), S(rec.name), S(rec.sha256),
           I(rec.bytes), S(rec.location), I(rec.sealed_ms), I(rec.expires_ms)}));
    VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
    if (!found) return Status::Internal("evidence insert returned no id");
    rec.id = rows->Int(0);
    VIGIL_RETURN_IF_ERROR(rows->Next().status());
    rows.reset();
    boost::json::object d{{"referral_id", rec.referral_id},
                          {"item_id", rec.item_id},
                          {"kind", rec.kind},
                          {"name", rec.name},
                          {"bytes", rec.bytes},
                          {"sealed_ms", rec.sealed_ms},
                          {"expires_ms", rec.expires_ms}};
    return AppendAuditInTransaction(*store_, actor, "evidence.seal",
                                    "evidence:" + std::to_string(rec.id), "", rec.sha256,
                                    boost::json::serialize(d))
        .status();
  }));
  return rec;
}

Result<std::vector<EvidenceRecord>> SqlReferralRepository::ListEvidence(int64_t referral_id) {
  VIGIL_ASSIGN_OR_RETURN(auto rows, Q(store_,
                                      std::string("SELECT ") + kEvidenceCols +
                                          " FROM evidence WHERE referral_id = ? ORDER BY id",
                                      {I(referral_id)}));
  std::vector<EvidenceRecord> out;
  while (true) {
    VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
    if (!more) break;
    out.push_back(ReadEvidence(*rows));
  }
  return out;
}

Result<std::vector<EvidenceRecord>> SqlReferralRepository::ExpiredEvidence(int64_t now_ms) {
  VIGIL_ASSIGN_OR_RETURN(
      auto rows, Q(store_,
                   std::string("SELECT ") + kEvidenceCols +
                       " FROM evidence WHERE deleted_ms = 0 AND expires_ms <= ? ORDER BY id",
                   {I(now_ms)}));
  std::vector<EvidenceRecord> out;
  while (true) {
    VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
    if (!more) break;
    out.push_back(ReadEvidence(*rows));
  }
  return out;
}

Status SqlReferralRepository::MarkEvidenceDeleted(std::string_view actor, int64_t evidence_id,
                                                  int64_t at_ms) {
  return Write([&]() -> Status {
    VIGIL_ASSIGN_OR_RETURN(int64_t n, X(store_,
                                        "UPDATE evidence SET deleted_ms = ? WHERE id = ? AND "
                                        "deleted_ms = 0",
                                        {I(at_ms), I(evidence_id)}));
    if (n == 0) return Status::NotFound("evidence " + std::to_string(evidence_id) + " not live");
    return AppendAuditInTransaction(*store_, actor, "evidence.expire",
                                    "evidence:" + std::to_string(evidence_id), "kept", "deleted",
                                    "{}")
        .status();
  });
}

Result<bool> SqlReferralRepository::EvidenceLocationLive(std::string_view location) {
  VIGIL_ASSIGN_OR_RETURN(
      auto rows, Q(store_, "SELECT COUNT(*) FROM evidence WHERE location = ? AND deleted_ms = 0",
                   {S(location)}));
  VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
  return found && rows->Int(0) > 0;
}

void HoldHitRecorder::OnHoldHit(const wf::HoldHit& hit) {
  // A failure marks the open change failed (it rolls back): a holder is never left untold.
  (void)repo_->RecordHoldHit(hit);
  if (next_) next_->OnHoldHit(hit);
}

}  // namespace vigil::store
