// Work item encoding and the store's work ledger (idempotent RecordWork) on both backends.
#include "worker/work_item.h"

#include <gtest/gtest.h>

#include "store/store.h"
#include "store/test_db.h"

namespace vigil::worker {
namespace {

TEST(Base64, RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    auto back = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(back.ok()) << n;
    EXPECT_EQ(*back, bytes);
    bytes.push_back(static_cast<char>(n * 37 + 1));
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_FALSE(Base64Decode("Zm9").ok());
  EXPECT_FALSE(Base64Decode("Zm=v").ok());
  EXPECT_FALSE(Base64Decode("Zm9*").ok());
}

TEST(WorkItem, RoundTrips) {
  WorkItem w;
  w.key = "file:/data/a.png";
  w.source = "test";
  w.url = "https://example.org/p/1";
  w.account = "someone";
  w.posted_ms = 1234;
  w.media.push_back({"image", "file:///data/a.png", "", std::string("\x89PNG\0\x01", 6)});
  w.media.push_back({"image", "", "/shared/b.jpg", ""});
  auto back = ParseWorkItem(EncodeWorkItem(w));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->key, w.key);
  EXPECT_EQ(back->source, w.source);
  EXPECT_EQ(back->url, w.url);
  EXPECT_EQ(back->account, w.account);
  EXPECT_EQ(back->posted_ms, 1234);
  ASSERT_EQ(back->media.size(), 2u);
  EXPECT_EQ(back->media[0].data, w.media[0].data);
  EXPECT_EQ(back->media[1].path, "/shared/b.jpg");
}

TEST(WorkItem, RejectsMalformed) {
  for (const char* bad :
       {"", "[]", "{", "{\"media\":[{\"data\":\"AA==\"}]}", "{\"key\":\"k\"}",
        "{\"key\":\"k\",\"media\":[]}", "{\"key\":\"k\",\"media\":[{}]}",
        "{\"key\":\"k\",\"media\":[{\"data\":\"AA==\",\"path\":\"/x\"}]}",
        "{\"key\":\"k\",\"media\":[{\"data\":\"A\"}]}", "{\"key\":\"k\",\"media\":[1]}"}) {
    auto r = ParseWorkItem(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
  EXPECT_FALSE(ParseWorkItem(std::string(kMaxWorkMessageBytes + 1, ' ')).ok());
}

TEST(WorkItem, CarriesFetchUrlsAndItemKeys) {
  WorkItem w;
  w.key = "scan:telegram:chan:1";
  w.item_key = "telegram:chan:1";
  w.media.push_back({});
  w.media[0].fetch = "https://example.org/a.jpg";
  auto back = ParseWorkItem(EncodeWorkItem(w));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->item_key, "telegram:chan:1");
  ASSERT_EQ(back->media.size(), 1u);
  EXPECT_EQ(back->media[0].fetch, "https://example.org/a.jpg");
  for (const char* bad : {R"({"key":"k","media":[{"fetch":"file:///etc/passwd"}]})",
                          R"({"key":"k","media":[{"fetch":"https://a/b","path":"/x"}]})",
                          R"({"key":"k","media":[{"fetch":"https://a/b","data":"AA=="}]})"}) {
    EXPECT_FALSE(ParseWorkItem(bad).ok()) << bad;
  }
}

TEST(BankNotice, Parses) {
  auto n = ParseBankNotice(BankSubject("VIGIL_BANKS", 7), "42");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->first, 7);
  EXPECT_EQ(n->second, 42);
  EXPECT_FALSE(ParseBankNotice("VIGIL_BANKS.bank.x", "1").ok());
  EXPECT_FALSE(ParseBankNotice("VIGIL_BANKS.bank.7", "-1").ok());
  EXPECT_FALSE(ParseBankNotice("VIGIL_BANKS.other.7", "1").ok());
  EXPECT_FALSE(ParseBankNotice("VIGIL_BANKS.bank.7", "").ok());
}

class WorkLedger : public ::testing::TestWithParam<store::Backend> {};

TEST_P(WorkLedger, RecordsEachKeyOnce) {
  std::string db = store::testing::NewDatabase(GetParam());
  ASSERT_FALSE(db.empty());
  auto st = store::OpenStore(db);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  store::Store& s = **st;
  store::Bank b;
  b.name = "ledger";
  auto bank = s.CreateBank("test", b);
  ASSERT_TRUE(bank.ok());
  const std::string pdq(64, 'a');
  std::vector<store::SignalInput> in{{store::SignalType::kPdq, pdq, 90, {}, ""}};
  auto added = s.AddSignals("test", bank->id, in, 0);
  ASSERT_TRUE(added.ok());
  auto sig = s.GetSignal(bank->id, store::SignalType::kPdq, pdq);
  ASSERT_TRUE(sig.ok());

  store::WorkResult r;
  r.work_key = "k1";
  r.worker = "w1";
  r.item.source = "test";
  store::Media m;
  m.kind = "image";
  m.signals.push_back({store::SignalType::kPdq, pdq, 90});
  r.item.media.push_back(m);
  r.matches.push_back({0, sig->id, 0, added->version});
  store::WorkResult r2 = r;
  r2.work_key = "k2";
  r2.matches.clear();

  std::vector<store::WorkResult> batch{r, r2};
  auto first = s.RecordWork("worker:w1", batch);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_FALSE((*first)[0].duplicate);
  EXPECT_EQ((*first)[0].matches, 1);
  const int64_t item1 = (*first)[0].item_id;

  // A redelivery (by another worker) changes nothing and returns the stored row.
  r.worker = "w2";
  auto again = s.RecordWork("worker:w2", std::span(&r, 1));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE((*again)[0].duplicate);
  EXPECT_EQ((*again)[0].item_id, item1);
  EXPECT_EQ((*again)[0].worker, "w1");

  auto matches = s.ListMatches(item1);
  ASSERT_TRUE(matches.ok());
  ASSERT_EQ(matches->size(), 1u);
  EXPECT_EQ((*matches)[0].bank_version, added->version);
  auto rec = s.GetWork("k2");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->matches, 0);
  EXPECT_EQ(s.GetWork("nope").status().code(), StatusCode::kNotFound);

  // All or nothing: a bad result rolls the whole batch back.
  store::WorkResult bad = r2;
  bad.work_key = "k3";
  bad.matches.push_back({5, sig->id, 0, 1});  // no media 5
  store::WorkResult ok = r2;
  ok.work_key = "k4";
  std::vector<store::WorkResult> mixed{ok, bad};
  EXPECT_EQ(s.RecordWork("worker:w1", mixed).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.GetWork("k4").status().code(), StatusCode::kNotFound);
  auto audit = s.VerifyAudit();
  ASSERT_TRUE(audit.ok());
  EXPECT_TRUE(audit->ok);
}

// scan --nats: the item is stored first (with its stable key); the worker's result joins it.
// Worker reports (migration 7) are one row per worker, overwritten.
TEST_P(WorkLedger, AttachesMediaToCollectedItemsAndKeepsWorkerReports) {
  std::string db = store::testing::NewDatabase(GetParam());
  ASSERT_FALSE(db.empty());
  auto st = store::OpenStore(db);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  store::Store& s = **st;
  store::CollectedItem c;
  c.source_key = "feed:x:1";
  c.item.source = "scan:rss";
  c.item.url = "https://example.org/p/1";
  auto stored = s.UpsertItems("test", std::span(&c, 1));
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  const int64_t id = (*stored)[0].item.id;

  store::WorkResult r;
  r.work_key = "scan:feed:x:1";
  r.item_key = "feed:x:1";
  r.worker = "w1";
  store::Media m;
  m.kind = "image";
  m.signals.push_back({store::SignalType::kSha256, std::string(64, 'b'), -1});
  r.item.media.push_back(m);
  store::WorkResult fresh = r;  // a key no collector stored: the item is created with it
  fresh.work_key = "scan:feed:x:2";
  fresh.item_key = "feed:x:2";
  std::vector<store::WorkResult> batch{r, fresh};
  auto done = s.RecordWork("worker:w1", batch);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)[0].item_id, id);
  auto item = s.GetItem(id);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->url, "https://example.org/p/1");
  EXPECT_EQ(item->media.size(), 1u);
  auto created = s.FindItemBySourceKey("feed:x:2");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->id, (*done)[1].item_id);
  EXPECT_TRUE((*s.RecordWork("worker:w2", std::span(&r, 1)))[0].duplicate);
  EXPECT_EQ(s.GetItem(id)->media.size(), 1u);

  store::WorkerReport rep{"w1", 10, 1, 2, 0, 2500, "1:3", 1000, 2000};
  ASSERT_TRUE(s.ReportWorker(rep).ok());
  rep.processed = 20;
  rep.last_seen_ms = 3000;
  ASSERT_TRUE(s.ReportWorker(rep).ok());
  ASSERT_TRUE(s.ReportWorker({"w0", 1, 0, 0, 0, 0, "", 1, 1}).ok());
  auto reports = s.ListWorkerReports();
  ASSERT_TRUE(reports.ok()) << reports.status().ToString();
  ASSERT_EQ(reports->size(), 2u);
  EXPECT_EQ((*reports)[0].name, "w0");
  EXPECT_EQ((*reports)[1].processed, 20);
  EXPECT_EQ((*reports)[1].rate_milli, 2500);
  EXPECT_EQ((*reports)[1].bank_versions, "1:3");
  EXPECT_EQ((*reports)[1].last_seen_ms, 3000);
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkLedger,
                         ::testing::Values(store::Backend::kSqlite, store::Backend::kPostgres),
                         [](const auto& info) { return store::testing::BackendName(info.param); });

}  // namespace
}  // namespace vigil::worker
