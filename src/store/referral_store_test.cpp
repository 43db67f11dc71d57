// SqlReferralRepository: the whole ReferralService suite (workflow/service_test.cpp) on
// SQLite and PostgreSQL, plus what only a database has: persistence across reopening,
// one transaction per change with its audit entries, the hash chain, evidence records.
#include "store/referral_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/crypto.h"
#include "store/evidence.h"
#include "store/sql_store.h"
#include "store/test_db.h"
#include "workflow/service_test_env.h"

namespace vigil::workflow::testing {
namespace {

class SqlEnv final : public ServiceTestEnv {
 public:
  explicit SqlEnv(store::Backend backend) {
    std::string db = store::testing::NewDatabase(backend);
    auto s = store::OpenStore(db);
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
      if (e.action == "store.migrate") return true;
      out.push_back({e.at_ms, e.actor, e.action, e.target, e.before, e.after, e.details});
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

 private:
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::SqlReferralRepository> repo_;
};

}  // namespace

std::vector<ServiceTestBackend> ServiceTestBackends() {
  return {{"sqlite",
           [] { return std::unique_ptr<ServiceTestEnv>(new SqlEnv(store::Backend::kSqlite)); }},
          {"postgres",
           [] { return std::unique_ptr<ServiceTestEnv>(new SqlEnv(store::Backend::kPostgres)); }}};
}

}  // namespace vigil::workflow::testing

namespace vigil::store {
namespace {

namespace wf = workflow;

class ReferralStoreTest : public ::testing::TestWithParam<Backend> {
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
  wf::ReferRequest Request(std::string url, std::string platform = "videohost") {
    wf::ReferRequest req;
    req.actor = "user:alice";
    req.org = "org-a";
    req.operation = "op-1";
    wf::ConfirmedItem c;
    c.url = std::move(url);
    c.platform_id = std::move(platform);
    c.sha256 = std::string(64, 'b');
    c.reason = "synthetic";
    req.items.push_back(c);
    return req;
  }

  std::string db_;
  wf::FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<SqlReferralRepository> repo_;
  std::unique_ptr<wf::ReferralService> service_;
};

TEST_P(ReferralStoreTest, SurvivesReopeningAndKeepsCounting) {
  auto out = service_->Refer(Request("https://v.example/1"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  int64_t id = out->created.at(0);
  wf::DeliveryReceipt rc;
  rc.channel = "webhook";
  rc.status_code = 200;
  ASSERT_TRUE(service_->RecordDelivery("system:dispatcher", id, rc).ok());
  wf::Hold h;
  h.org = "org-inv";
  h.kind = wf::HoldKind::kUrl;
  h.value = "https://v.example/held";
  ASSERT_TRUE(service_->PlaceHold("user:inv", h).ok());
  ASSERT_TRUE(service_->RecordPriorNotice("user:alice", "videohost", 5).ok());
  Open();
  auto r = service_->Get(id);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->state, wf::ReferralState::kDelivered);
  EXPECT_EQ(r->operation, "op-1");
  EXPECT_EQ(r->receipts.size(), 1u);
  EXPECT_EQ(r->history.size(), 2u);
  EXPECT_EQ(repo_->ListHolds()->size(), 1u);
  EXPECT_EQ(*repo_->GetPlatformNotice("videohost"), 5);
  auto next = service_->Refer(Request("https://v.example/2", "filehost"));
  ASSERT_TRUE(next.ok());
  EXPECT_GT(next->created.at(0), id);
  // The same URL again merges into the open referral (found through the item index).
  auto again = service_->Refer(Request("https://v.example/2", "filehost"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->merged, std::vector<int64_t>{next->created.at(0)});
  // Status history and deliveries are rows too (for reports that do not decode records).
  auto* conn = RawConnectionForTesting(*store_);
  std::vector<sql::Param> p{sql::Param{int64_t{id}}};
  auto rows = conn->Query("SELECT COUNT(*) FROM referral_events WHERE referral_id = ?", p);
  ASSERT_TRUE(rows.ok());
  ASSERT_TRUE(*(*rows)->Next());
  EXPECT_EQ((*rows)->Int(0), 2);
  auto found = repo_->Find({.org = "org-a", .operation = "op-1"});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->size(), 2u);
  EXPECT_EQ(repo_->Find({.org = "org-x"})->size(), 0u);
}

TEST_P(ReferralStoreTest, EveryChangeIsInTheVerifiedHashChain) {
  auto out = service_->Refer(Request("https://v.example/1"));
  ASSERT_TRUE(out.ok());
  int64_t id = out->created.at(0);
  ASSERT_TRUE(service_->Withdraw("user:alice", "org-a", id, "mistake").ok());
  std::vector<std::string> actions;
  ASSERT_TRUE(store_
                  ->ForEachAudit(0,
                                 [&](const AuditEntry& e) {
                                   if (e.target == "referral:" + std::to_string(id))
                                     actions.push_back(e.action);
                                   return true;
                                 })
                  .ok());
  EXPECT_EQ(actions, (std::vector<std::string>{"referral.create", "referral.state"}));
  auto v = store_->VerifyAudit();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->problem;
}

TEST_P(ReferralStoreTest, AFailedAuditRollsTheWholeChangeBack) {
  ASSERT_TRUE(repo_->BeginChange().ok());
  wf::Referral r;
  r.id = 41;
  r.platform_id = "videohost";
  ASSERT_TRUE(repo_->PutReferral(r).ok());
  wf::AuditEvent bad;  // no action: the store refuses it
  EXPECT_FALSE(repo_->Record(bad).ok());
  EXPECT_FALSE(repo_->EndChange().ok());
  EXPECT_EQ(repo_->GetReferral(41).status().code(), StatusCode::kNotFound);
  // Outside a change, each write is its own transaction.
  ASSERT_TRUE(repo_->PutReferral(r).ok());
  EXPECT_TRUE(repo_->GetReferral(41).ok());
}

TEST_P(ReferralStoreTest, HoldHitsAndEvidenceRecords) {
  HoldHitRecorder recorder(repo_.get());
  wf::HoldHit hit{3, "org-inv", 9, "org-a", "videohost", "https://v/1", 77};
  recorder.OnHoldHit(hit);
  auto hits = repo_->ListHoldHits("org-inv");
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].referring_org, "org-a");
  EXPECT_TRUE(repo_->ListHoldHits("org-a")->empty());
  EvidenceRecord e;
  e.referral_id = 9;
  e.kind = "media";
  e.name = "media/x.jpg";
  e.sha256 = std::string(64, 'c');
  e.bytes = 10;
  e.sealed_ms = 100;
  e.expires_ms = 200;
  auto added = repo_->AddEvidence("user:alice", e);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_TRUE(repo_->ExpiredEvidence(199)->empty());
  ASSERT_EQ(repo_->ExpiredEvidence(200)->size(), 1u);
  ASSERT_TRUE(repo_->MarkEvidenceDeleted("system:retention", added->id, 200).ok());
  EXPECT_TRUE(repo_->ExpiredEvidence(500)->empty());
  EXPECT_EQ(repo_->ListEvidence(9)->at(0).deleted_ms, 200);
}

TEST_P(ReferralStoreTest, EvidencePackageVerifiesAndDetectsTampering) {
  namespace fs = std::filesystem;
  const fs::path base =
      fs::temp_directory_path() /
      ("vigil-evidence-" + testing::BackendName(GetParam()) + "-" + std::to_string(::getpid()));
  fs::remove_all(base);
  fs::create_directories(base);
  const fs::path medium = base / "synthetic.bin";
  std::ofstream(medium) << "synthetic benign test medium";
  Item item;
  item.url = "https://v.example/1";
  Media m;
  m.kind = "image";
  m.uri = medium.string();
  item.media.push_back(m);
  auto stored = store_->AddItem("user:alice", item);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  auto req = Request("https://v.example/1");
  req.items[0].item_id = stored->id;
  auto out = service_->Refer(req);
  ASSERT_TRUE(out.ok());
  int64_t id = out->created.at(0);
  EvidenceOptions eo;
  eo.dir = (base / "kept").string();
  eo.retention_ms = 1000;
  auto sealed = PreserveEvidence(*repo_, *service_->Get(id), eo, clock_.NowMs());
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  ASSERT_EQ(sealed->size(), 2u);  // the medium and the metadata record
  ASSERT_TRUE(service_->Withdraw("user:alice", "org-a", id, "test").ok());

  const fs::path pkg = base / "pkg";
  ASSERT_TRUE(ExportEvidencePackage(*repo_, id, pkg.string(), clock_.NowMs()).ok());
  auto rep = VerifyEvidencePackage(pkg.string());
  ASSERT_TRUE(rep.ok());
  EXPECT_TRUE(rep->ok) << (rep->problems.empty() ? "" : rep->problems[0]);
  EXPECT_EQ(rep->media, 1);
  EXPECT_GE(rep->audit_entries, 4);  // create, 2 seals, withdraw
  // Any change is found: a medium, the audit slice, an extra file.
  for (int which = 0; which < 3; ++which) {
    const fs::path copy = base / ("tampered" + std::to_string(which));
    fs::copy(pkg, copy, fs::copy_options::recursive);
    if (which == 0) {
      for (const auto& e : fs::directory_iterator(copy / "media")) std::ofstream(e.path()) << "x";
    } else if (which == 1) {
      std::string a;
      {
        std::ifstream in(copy / "audit.jsonl");
        std::stringstream ss;
        ss << in.rdbuf();
        a = ss.str();
      }
      a.replace(a.find("user:alice"), 10, "user:mallo");
      std::ofstream(copy / "audit.jsonl") << a;
    } else {
      std::ofstream(copy / "extra.txt") << "added later";
    }
    auto bad = VerifyEvidencePackage(copy.string());
    ASSERT_TRUE(bad.ok());
    EXPECT_FALSE(bad->ok) << which;
  }
  // Retention: expiry deletes the kept medium and audits it.
  clock_.Advance(2000);
  auto n = ExpireEvidence(*repo_, clock_.NowMs() + 2000, "system:retention");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  EXPECT_TRUE(fs::is_empty(base / "kept"));
  int expired = 0;
  ASSERT_TRUE(store_
                  ->ForEachAudit(0,
                                 [&](const AuditEntry& e) {
                                   expired += e.action == "evidence.expire";
                                   return true;
                                 })
                  .ok());
  EXPECT_EQ(expired, 2);
  fs::remove_all(base);
}

TEST_P(ReferralStoreTest, RemoteMediaAreFetchedAndSealedOrRecordedUnavailable) {
  namespace fs = std::filesystem;
  const fs::path base =
      fs::temp_directory_path() / ("vigil-remote-evidence-" + testing::BackendName(GetParam()) +
                                   "-" + std::to_string(::getpid()));
  fs::remove_all(base);
  Item item;
  item.url = "https://v.example/remote";
  for (const char* uri : {"https://cdn.example/ok.jpg", "https://cdn.example/missing.jpg"}) {
    Media m;
    m.kind = "image";
    m.uri = uri;
    item.media.push_back(m);
  }
  auto stored = store_->AddItem("user:alice", item);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  auto req = Request("https://v.example/remote");
  req.items[0].item_id = stored->id;
  auto out = service_->Refer(req);
  ASSERT_TRUE(out.ok());
  const int64_t id = out->created.at(0);
  auto remote = ListRemoteMedia(*repo_, *service_->Get(id));
  ASSERT_TRUE(remote.ok());
  ASSERT_EQ(remote->size(), 2u);
  // A stand-in for the safe fetcher: one medium answers, the other is gone.
  MediaFetch fetch = [](std::string_view url) -> Result<std::string> {
    if (url.ends_with("ok.jpg")) return std::string("synthetic benign remote medium");
    return Status::Unavailable("http 404");
  };
  auto fetched = FetchRemoteMedia(*remote, fetch);
  EvidenceOptions eo;
  eo.dir = (base / "kept").string();
  auto sealed = PreserveEvidence(*repo_, *service_->Get(id), eo, clock_.NowMs(), fetched);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  ASSERT_EQ(sealed->size(), 3u);  // medium, unavailable, metadata
  EXPECT_EQ((*sealed)[0].kind, "media");
  EXPECT_EQ((*sealed)[0].sha256, Sha256Hex("synthetic benign remote medium"));
  EXPECT_TRUE(fs::exists((*sealed)[0].location));
  EXPECT_EQ((*sealed)[1].kind, "media_unavailable");
  EXPECT_NE((*sealed)[1].name.find("https://cdn.example/missing.jpg"), std::string::npos);
  EXPECT_NE((*sealed)[1].name.find("http 404"), std::string::npos);
  // Both are on record now: nothing left to fetch for this referral.
  auto again = ListRemoteMedia(*repo_, *service_->Get(id));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  // The package carries the fetched medium and lists the failed attempt.
  const fs::path pkg = base / "pkg";
  ASSERT_TRUE(ExportEvidencePackage(*repo_, id, pkg.string(), clock_.NowMs()).ok());
  auto rep = VerifyEvidencePackage(pkg.string());
  ASSERT_TRUE(rep.ok());
  EXPECT_TRUE(rep->ok) << (rep->problems.empty() ? "" : rep->problems[0]);
  EXPECT_EQ(rep->media, 1);
  fs::remove_all(base);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReferralStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace vigil::store
