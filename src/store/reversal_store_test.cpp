// Reversal over the SQL repository: the workflow's reversal suite (workflow/reversal_test.cpp)
// on SQLite and PostgreSQL, plus what only the store shows: the bank's live view, exports
// and matcher deltas drop a reversed signal, an import does not bring it back, a stored
// item's other hashes reverse its referrals, notices survive reopening.
#include <gtest/gtest.h>

#include "store/referral_store.h"
#include "store/sql_store.h"
#include "store/test_db.h"
#include "workflow/reversal_test_env.h"

namespace vigil::workflow::testing {
namespace {

class SqlReversalEnv final : public ReversalTestEnv {
 public:
  explicit SqlReversalEnv(store::Backend backend) {
    auto s = store::OpenStore(store::testing::NewDatabase(backend));
    if (!s.ok()) {
      ADD_FAILURE() << s.status().ToString();
      return;
    }
    store_ = *std::move(s);
    auto r = store::SqlReferralRepository::Create(store_.get());
    if (!r.ok()) {
      ADD_FAILURE() << r.status().ToString();
      return;
    }
    repo_ = *std::move(r);
  }
  ReferralRepository* repo() override { return repo_.get(); }
  AuditSink* audit() override { return repo_.get(); }
  std::vector<AuditEvent> Events() override {
    std::vector<AuditEvent> out;
    Status s = store_->ForEachAudit(0, [&](const store::AuditEntry& e) {
      if (e.action == "store.migrate" || e.action.starts_with("bank.") ||
          e.action.starts_with("signals.")) {
        return true;
      }
      out.push_back({e.at_ms, e.actor, e.action, e.target, e.before, e.after, e.details});
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  void AddBankSignal(const std::string& bank, const ContentSignal& signal) override {
    auto b = store_->FindBank(bank);
    if (!b.ok()) {
      store::Bank nb;
      nb.name = bank;
      b = store_->CreateBank("user:maintainer", nb);
      ASSERT_TRUE(b.ok()) << b.status().ToString();
    }
    store::SignalInput in;
    in.type = store::ParseSignalType(signal.type).value();
    in.value = signal.value;
    ASSERT_TRUE(store_->AddSignals("user:maintainer", b->id, {&in, 1}, 0).ok());
  }
  int64_t ReversedMs(const std::string& bank, const ContentSignal& signal) override {
    auto b = store_->FindBank(bank);
    if (!b.ok()) return -1;
    auto s = store_->GetSignal(b->id, store::ParseSignalType(signal.type).value(), signal.value);
    if (!s.ok()) return -1;
    std::vector<store::sql::Param> p{b->id, signal.value};
    auto rows = store::RawConnectionForTesting(*store_)->Query(
        "SELECT reversed_ms FROM signals WHERE bank_id = ? AND value = ?", p);
    if (!rows.ok() || !(*rows)->Next().value_or(false)) return -1;
    const int64_t reversed = (*rows)->Int(0);
    // A reversed signal is also a tombstone; a live one is not.
    EXPECT_EQ(reversed != 0, s->removed_ms != 0);
    return reversed;
  }
  int64_t BankVersion(const std::string& bank) override {
    auto b = store_->FindBank(bank);
    return b.ok() ? b->version : 0;
  }

 private:
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::SqlReferralRepository> repo_;
};

}  // namespace

std::vector<ReversalTestBackend> ReversalTestBackends() {
  return {{"sqlite",
           [] {
             return std::unique_ptr<ReversalTestEnv>(new SqlReversalEnv(store::Backend::kSqlite));
           }},
          {"postgres", [] {
             return std::unique_ptr<ReversalTestEnv>(new SqlReversalEnv(store::Backend::kPostgres));
           }}};
}

}  // namespace vigil::workflow::testing

namespace vigil::store {
namespace {

namespace wf = workflow;

const std::string kSha(64, 'a');
const std::string kMd5(32, 'd');

class ReversalStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = testing::NewDatabase(GetParam());
    ASSERT_FALSE(db_.empty());
    Open();
  }
  void Open() {
    service_.reset();
    repo_.reset();
    store_.reset();
    auto s = OpenStore(db_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = *std::move(s);
    auto r = SqlReferralRepository::Create(store_.get());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    repo_ = *std::move(r);
    service_ = std::make_unique<wf::ReferralService>(repo_.get(), repo_.get(), &clock_, nullptr);
  }
  Bank NewBank(const std::string& name, std::vector<SignalInput> signals) {
    Bank b;
    b.name = name;
    auto made = store_->CreateBank("user:maintainer", b);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    EXPECT_TRUE(store_->AddSignals("user:maintainer", made->id, signals, 0).ok());
    return *store_->GetBank(made->id);
  }
  int64_t RemovedReferral(wf::ConfirmedItem c) {
    wf::ReferRequest req;
    req.actor = "user:alice";
    req.org = "org-a";
    req.items = {std::move(c)};
    auto out = service_->Refer(req);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    const int64_t id = out->created.at(0);
    wf::DeliveryReceipt rc;
    rc.channel = "webhook";
    EXPECT_TRUE(service_->RecordDelivery("system:dispatcher", id, rc).ok());
    wf::Feedback f;
    f.referral_id = id;
    f.kind = wf::FeedbackKind::kRemoved;
    EXPECT_TRUE(service_->ApplyFeedback("platform:alpha", "alpha", f).ok());
    return id;
  }

  std::string db_;
  wf::FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<SqlReferralRepository> repo_;
  std::unique_ptr<wf::ReferralService> service_;
};

TEST_P(ReversalStoreTest, ReversedSignalLeavesTheLiveBankAndStaysOut) {
  Bank bank = NewBank("reversal-bank", {{SignalType::kSha256, kSha, -1, {}, ""},
                                        {SignalType::kMd5, kMd5, -1, {}, ""}});
  wf::ConfirmedItem c;
  c.url = "https://alpha.example/v/1";
  c.platform_id = "alpha";
  c.sha256 = kSha;
  const int64_t id = RemovedReferral(c);

  wf::ReversalRequest q;
  q.actor = "user:maintainer";
  q.reason = "complaint upheld";
  q.bank = "reversal-bank";
  q.signal = {"sha256", std::string(64, 'A')};  // canonicalised like any bank value
  auto out = service_->Reverse(q);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->signals.size(), 1u);
  EXPECT_EQ(out->signals[0].bank_version, bank.version + 1);
  EXPECT_EQ(service_->Get(id)->state, wf::ReferralState::kReinstated);

  // Live view (what exports and Load read): only the md5 is left.
  auto live = store_->ListSignals(bank.id, {});
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].type, SignalType::kMd5);
  // The delta a matcher applies (RefreshBank) carries it as removed.
  SignalQuery delta;
  delta.since_version = bank.version;
  auto changed = store_->ListSignals(bank.id, delta);
  ASSERT_TRUE(changed.ok());
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_NE((*changed)[0].removed_ms, 0);
  // An import does not bring it back.
  SignalInput again{SignalType::kSha256, kSha, -1, {}, ""};
  auto imported = store_->AddSignals("user:importer", bank.id, {&again, 1}, 0);
  ASSERT_TRUE(imported.ok());
  EXPECT_EQ(imported->added, 0);
  EXPECT_EQ(imported->unchanged, 1);
  EXPECT_EQ(store_->ListSignals(bank.id, {})->size(), 1u);
  // Audited in the hash chain, which still verifies.
  auto report = store_->VerifyAudit();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok);

  // Notices survive reopening.
  Open();
  auto notices = service_->ReversalNoticesFor(id);
  ASSERT_TRUE(notices.ok()) << notices.status().ToString();
  ASSERT_EQ(notices->size(), 1u);
  EXPECT_EQ((*notices)[0].state, wf::NoticeState::kPending);
  EXPECT_EQ(service_->PendingReversalNotices(0, "alpha")->size(), 1u);
  EXPECT_TRUE(service_->PendingReversalNotices(0, "beta")->empty());
}

TEST_P(ReversalStoreTest, StoredItemHashesReachItsReferrals) {
  // The referral item names only the URL; the stored item's media carry an md5.
  Item item;
  item.url = "https://alpha.example/v/2";
  item.source = "test";
  Media m;
  m.kind = "image";
  m.signals = {{SignalType::kMd5, kMd5, -1}};
  item.media = {m};
  auto stored = store_->AddItem("user:alice", item);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  NewBank("md5-bank", {{SignalType::kMd5, kMd5, -1, {}, ""}});
  wf::ConfirmedItem c;
  c.item_id = stored->id;
  c.url = item.url;
  c.platform_id = "alpha";
  const int64_t id = RemovedReferral(c);

  wf::ReversalRequest q;
  q.actor = "user:maintainer";
  q.reason = "complaint upheld";
  q.bank = "md5-bank";
  q.signal = {"md5", kMd5};
  auto out = service_->Reverse(q);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->reinstated, std::vector<int64_t>{id});

  // And the other way: reversing the referral reaches every hash of the stored item.
  NewBank("md5-bank-2", {{SignalType::kMd5, kMd5, -1, {}, ""}});
  wf::ConfirmedItem c2 = c;
  c2.url = "https://alpha.example/v/3";
  c2.item_id = 0;
  c2.sha256 = std::string(64, 'f');
  const int64_t id2 = RemovedReferral(c2);
  wf::ReversalRequest byref;
  byref.actor = "user:supervisor";
  byref.reason = "complaint upheld";
  byref.referral_id = id;
  auto out2 = service_->Reverse(byref);
  ASSERT_TRUE(out2.ok()) << out2.status().ToString();
  ASSERT_EQ(out2->signals.size(), 1u);
  EXPECT_EQ(out2->signals[0].bank, "md5-bank-2");
  EXPECT_EQ(service_->Get(id2)->state, wf::ReferralState::kRemoved);  // other content
}

INSTANTIATE_TEST_SUITE_P(Backends, ReversalStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace vigil::store
