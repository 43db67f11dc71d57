// SqlReferralRepository: the referral workflow's storage (workflow/repository.h) in the
// store's database, on SQLite and PostgreSQL alike (migration 3 of sql_store.cpp).
//
// It is also the workflow's AuditSink: each ReferralService call (bracketed by
// BeginChange/EndChange) writes its rows and its audit entries in one transaction, so a
// change and the hash-chained entry that records it commit together or not at all (a
// failed write or audit append rolls the whole call back). Used outside a bracket, each
// write is its own transaction.
//
// Besides the interface it keeps what the REST API and the CLI read: hold hits (what a
// holder is told: HoldHitRecorder), referral ids per organisation / state / platform /
// operation without decoding every record, and evidence records (evidence.h).
//
// Layout: `referrals` (one JSON record per referral, workflow/codec.h, plus columns for
// filtering), `referral_items` (URL and SHA-256 per item with an open flag: duplicate
// detection), `referral_orgs`, `referral_events` (status history, append-only),
// `referral_deliveries` (delivery receipts, append-only), `referral_holds`,
// `referral_hold_hits`, `platform_notices`, `evidence`, `referral_counters` (ids).
//
// Thread safety: like the Store it wraps (one connection): one thread at a time.
// ReferralService serialises its calls; other users (the server) take the same lock as the
// store's other users. The Store must outlive the repository, and while a change is open
// nothing else may write through the same Store.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"
#include "workflow/audit_sink.h"
#include "workflow/repository.h"
#include "workflow/service.h"

namespace vigil::store {

// Referrals decoded per page while streaming (memory stays flat for any number).
inline constexpr int64_t kReferralPageRows = 500;

// One preserved piece of evidence: a referred medium or a metadata document, sealed with
// its SHA-256 and the time it was sealed, kept until expires_ms.
struct EvidenceRecord {
  int64_t id = 0;
  int64_t referral_id = 0;
  int64_t item_id = 0;
  std::string kind;    // media | metadata
  std::string name;    // file name in an evidence package
  std::string sha256;  // lowercase hex of the bytes
  int64_t bytes = 0;
  std::string location;  // where the bytes are kept (a file path in the evidence directory)
  int64_t sealed_ms = 0;
  int64_t expires_ms = 0;
  int64_t deleted_ms = 0;  // 0: still kept
};

struct ReferralQuery {
  std::string org;  // empty: any; else referrals naming this organisation
  std::string platform_id;
  std::string state;  // a ReferralStateName, or empty
  std::string operation;
  int64_t limit = 0;  // 0: all
  bool newest_first = false;
};

class SqlReferralRepository final : public workflow::ReferralRepository,
                                    public workflow::AuditSink {
 public:
  // InvalidArgument if `store` is not a SQL store (OpenStore makes only those).
  static Result<std::unique_ptr<SqlReferralRepository>> Create(Store* store);
  ~SqlReferralRepository() override;

  // --- workflow::ReferralRepository -----------------------------------------------------
  Status BeginChange() override;
  Status EndChange() override;
  Result<int64_t> NextReferralId() override;
  Status PutReferral(const workflow::Referral& r) override;
  Result<workflow::Referral> GetReferral(int64_t id) override;
  Status ForEachReferral(const std::function<bool(const workflow::Referral&)>& fn) override;
  Result<std::vector<int64_t>> FindOpenReferrals(std::string_view platform_id, std::string_view url,
                                                 std::string_view sha256) override;
  Result<int64_t> NextHoldId() override;
  Status PutHold(const workflow::Hold& h) override;
  Result<workflow::Hold> GetHold(int64_t id) override;
  Result<std::vector<workflow::Hold>> ListHolds() override;
  Status PutPlatformNotice(std::string_view platform_id, int64_t at_ms) override;
  Result<int64_t> GetPlatformNotice(std::string_view platform_id) override;

  // --- reversal (workflow/reversal.h; migration 6; reversal_store.cpp) --------------------
  Result<int64_t> NextReversalId() override;
  Result<int64_t> NextReversalNoticeId() override;
  Result<std::vector<workflow::ReversedSignal>> ReverseContent(
      int64_t reversal_id, std::string_view bank,
      const std::vector<workflow::ContentSignal>& content, std::string_view reason,
      int64_t at_ms) override;
  Result<std::vector<workflow::ContentSignal>> FindReversed(
      const std::vector<workflow::ContentSignal>& content) override;
  Result<std::vector<workflow::ContentSignal>> ItemSignals(int64_t item_id) override;
  Result<workflow::ContentReferrals> FindReferralsWithContent(
      const std::vector<workflow::ContentSignal>& content) override;
  Status PutReversalNotice(const workflow::ReversalNotice& n) override;
  Result<workflow::ReversalNotice> GetReversalNotice(int64_t id) override;
  Result<std::vector<workflow::ReversalNotice>> ListReversalNotices(
      bool undelivered, std::string_view platform_id, size_t limit,
      int64_t referral_id = 0) override;

  // --- workflow::AuditSink: the store's hash chain, inside the open change --------------
  Status Record(const workflow::AuditEvent& e) override;

  // --- beyond the interface -------------------------------------------------------------
  // Referrals matching `q`, in id order (or newest first).
  Result<std::vector<workflow::Referral>> Find(const ReferralQuery& q);
  // What a holder is told (one row per hit), oldest first.
  Status RecordHoldHit(const workflow::HoldHit& hit);
  Result<std::vector<workflow::HoldHit>> ListHoldHits(std::string_view holder_org);

  // Evidence: records are written with an audit entry ("evidence.seal" / "evidence.expire").
  Result<EvidenceRecord> AddEvidence(std::string_view actor, EvidenceRecord rec);
  Result<std::vector<EvidenceRecord>> ListEvidence(int64_t referral_id);
  // Live evidence whose expiry is at or before `now_ms`.
  Result<std::vector<EvidenceRecord>> ExpiredEvidence(int64_t now_ms);
  Status MarkEvidenceDeleted(std::string_view actor, int64_t evidence_id, int64_t at_ms);
  // Whether live evidence (of any referral) is kept at `location` (media are shared by
  // content hash).
  Result<bool> EvidenceLocationLive(std::string_view location);

  Store& store() { return *store_; }
  // A mutex held from BeginChange to EndChange: the lock other users of the same Store take
  // (the server's store mutex), so a workflow call and its transaction own the connection.
  // Null (the default): none.
  void set_change_mutex(std::mutex* m) { change_mu_ = m; }

 private:
  explicit SqlReferralRepository(Store* store);
  // Runs `fn` inside the open change's transaction (opening it on first use), or in a
  // transaction of its own outside a change.
  Status Write(const std::function<Status()>& fn);
  Status Open();
  Status Finish(bool commit);
  Result<int64_t> NextCounter(std::string_view name);
  Status BumpCounter(std::string_view name, int64_t at_least);
  Status PageReferrals(const std::string& where, const std::vector<std::string>& args,
                       const std::function<bool(const workflow::Referral&)>& fn);

  Store* store_;
  std::mutex* change_mu_ = nullptr;
  bool in_change_ = false;
  bool txn_open_ = false;
  bool failed_ = false;
};

// A workflow::HoldNotifier that records every hit through the repository (what
// GET /api/v1/holds shows the holder) and then tells `next` (may be null).
class HoldHitRecorder final : public workflow::HoldNotifier {
 public:
  HoldHitRecorder(SqlReferralRepository* repo, workflow::HoldNotifier* next = nullptr)
      : repo_(repo), next_(next) {}
  void OnHoldHit(const workflow::HoldHit& hit) override;

 private:
  SqlReferralRepository* repo_;
  workflow::HoldNotifier* next_;
};

}  // namespace vigil::store
