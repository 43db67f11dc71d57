// The shared store suite: every test runs against SQLite and PostgreSQL.
#include "store/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store/sql_store.h"
#include "store/test_db.h"

namespace vigil::store {
namespace {

using sql::Param;

std::string Pdq(int i) {
  // Distinct, valid 64-hex-digit values.
  char buf[65];
  std::snprintf(buf, sizeof buf, "%016x%016x%016x%016x", i, i * 7 + 1, i * 13 + 2, i * 31 + 3);
  return buf;
}

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = testing::NewDatabase(GetParam());
    ASSERT_FALSE(db_.empty());
    options_.now_ms = [this] { return now_.load(); };
    auto s = OpenStore(db_, options_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = *std::move(s);
  }

  std::unique_ptr<Store> Reopen() {
    store_.reset();
    auto s = OpenStore(db_, options_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *std::move(s) : nullptr;
  }

  Status Raw(const std::string& sql) { return RawConnectionForTesting(*store_)->ExecScript(sql); }

  Bank MakeBank(const std::string& name, int64_t owner = 0) {
    Bank b;
    b.name = name;
    b.owner_org_id = owner;
    b.description = "synthetic test bank";
    auto r = store_->CreateBank("test", b);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Bank{};
  }

  std::string db_;
  std::atomic<int64_t> now_{1'700'000'000'000};
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, OpensMigratesAndReopens) {
  EXPECT_EQ(store_->backend(), GetParam());
  EXPECT_EQ(store_->SchemaVersion().value_or(-1), kSchemaVersion);
  store_ = Reopen();
  ASSERT_TRUE(store_);
  EXPECT_EQ(store_->SchemaVersion().value_or(-1), kSchemaVersion);
  // One migration entry, not one per open.
  auto report = store_->VerifyAudit();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->entries, 1);
  auto labels = store_->ListLabels();
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ(labels->size(), DefaultTaxonomy().size());
}

TEST_P(StoreTest, RefusesANewerSchema) {
  ASSERT_TRUE(Raw("UPDATE vigil_meta SET value = '99' WHERE key = 'schema_version'").ok());
  store_.reset();
  auto s = OpenStore(db_, options_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("schema version 99, newer"), std::string::npos)
      << s.status().message();
}

TEST_P(StoreTest, OrganisationsUsersAndTokens) {
  auto org = store_->CreateOrganisation("test", "Example Referral Unit", "synthetic");
  ASSERT_TRUE(org.ok()) << org.status().ToString();
  EXPECT_EQ(store_->CreateOrganisation("test", "Example Referral Unit", "").status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->FindOrganisation("Example Referral Unit")->id, org->id);
  EXPECT_EQ(store_->GetOrganisation(999).status().code(), StatusCode::kNotFound);

  User u;
  u.org_id = org->id;
  u.name = "alice";
  u.role = "analyst";
  auto user = store_->CreateUser("test", u);
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ(store_->FindUser("alice")->org_id, org->id);

  auto tok = store_->CreateApiToken("test", user->id, "ci", now_ + 60'000);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_TRUE(tok->secret.starts_with("vgl_"));
  EXPECT_EQ(tok->secret.size(), 4u + 43u);
  auto who = store_->AuthenticateToken(tok->secret);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->name, "alice");
  EXPECT_EQ(store_->AuthenticateToken("vgl_wrong").status().code(), StatusCode::kUnauthenticated);

  // Only a hash is stored: the secret appears nowhere in the token table.
  auto rows = RawConnectionForTesting(*store_)->Query(
      "SELECT COUNT(*) FROM api_tokens WHERE token_sha256 = ? OR name = ?",
      std::vector<Param>{tok->secret, tok->secret});
  ASSERT_TRUE(rows.ok());
  ASSERT_TRUE((*rows)->Next().value_or(false));
  EXPECT_EQ((*rows)->Int(0), 0);
  rows->reset();

  now_ += 120'000;
  EXPECT_EQ(store_->AuthenticateToken(tok->secret).status().code(), StatusCode::kUnauthenticated);
  auto tok2 = store_->CreateApiToken("test", user->id, "ci2", 0);
  ASSERT_TRUE(tok2.ok());
  EXPECT_TRUE(store_->AuthenticateToken(tok2->secret).ok());
  ASSERT_TRUE(store_->RevokeApiToken("test", tok2->token.id).ok());
  EXPECT_EQ(store_->AuthenticateToken(tok2->secret).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(store_->RevokeApiToken("test", tok2->token.id).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListApiTokens(user->id)->size(), 2u);
}

TEST_P(StoreTest, BanksAndSharing) {
  auto a = store_->CreateOrganisation("test", "org-a", "");
  auto b = store_->CreateOrganisation("test", "org-b", "");
  auto c = store_->CreateOrganisation("test", "org-c", "");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  Bank bank = MakeBank("synthetic-bank", a->id);
  EXPECT_EQ(bank.version, 0);
  EXPECT_EQ(bank.scope, SharingScope::kPrivate);
  EXPECT_EQ(store_->CreateBank("test", bank).status().code(), StatusCode::kAlreadyExists);
  Bank bad;
  bad.name = "no spaces allowed";
  EXPECT_EQ(store_->CreateBank("test", bad).status().code(), StatusCode::kInvalidArgument);

  EXPECT_TRUE(Store::OrgCanRead(bank, a->id));
  EXPECT_FALSE(Store::OrgCanRead(bank, b->id));
  ASSERT_TRUE(
      store_->UpdateBankSharing("test", bank.id, SharingScope::kOrganisations, {b->id}, "shared")
          .ok());
  auto shared = store_->FindBank("synthetic-bank");
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ(shared->scope, SharingScope::kOrganisations);
  EXPECT_EQ(shared->shared_with, std::vector<int64_t>{b->id});
  EXPECT_EQ(shared->description, "shared");
  EXPECT_TRUE(Store::OrgCanRead(*shared, b->id));
  EXPECT_FALSE(Store::OrgCanRead(*shared, c->id));
  ASSERT_TRUE(store_->UpdateBankSharing("test", bank.id, SharingScope::kPublic, {}, "").ok());
  EXPECT_TRUE(Store::OrgCanRead(*store_->GetBank(bank.id), c->id));
  EXPECT_EQ(
      store_->UpdateBankSharing("test", bank.id, SharingScope::kOrganisations, {12345}, "").code(),
      StatusCode::kNotFound);

  MakeBank("another");
  auto list = store_->ListBanks();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "another");
}

TEST_P(StoreTest, AddMergeRemoveAndIncremental) {
  Bank bank = MakeBank("b1");
  std::vector<SignalInput> in = {
      {SignalType::kPdq, Pdq(1), 90, {"behaviour:threat"}, "test"},
      {SignalType::kPdq, Pdq(2), 80, {}, "test"},
      {SignalType::kMd5, "0123456789ABCDEF0123456789abcdef", -1, {"content:image"}, "test"},
      // A duplicate inside the input merges.
      {SignalType::kPdq, Pdq(1), 95, {"severity:crisis"}, "test"},
  };
  auto r = store_->AddSignals("test", bank.id, in, 0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->added, 3);
  EXPECT_EQ(r->version, 1);
  auto s1 = store_->GetSignal(bank.id, SignalType::kPdq, Pdq(1));
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(s1->quality, 95);
  EXPECT_EQ(s1->labels, (std::vector<std::string>{"behaviour:threat", "severity:crisis"}));
  // Hex is stored canonical (lowercase).
  EXPECT_TRUE(
      store_->GetSignal(bank.id, SignalType::kMd5, "0123456789abcdef0123456789abcdef").ok());

  // Same signal again with a new label: merged, not doubled.
  std::vector<SignalInput> again = {{SignalType::kPdq, Pdq(1), 10, {"content:image"}, "x"},
                                    {SignalType::kPdq, Pdq(2), 80, {}, "x"}};
  r = store_->AddSignals("test", bank.id, again, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->added, 0);
  EXPECT_EQ(r->merged, 1);
  EXPECT_EQ(r->unchanged, 1);
  EXPECT_EQ(r->version, 2);
  s1 = store_->GetSignal(bank.id, SignalType::kPdq, Pdq(1));
  EXPECT_EQ(s1->labels.size(), 3u);
  EXPECT_EQ(s1->quality, 95);
  auto stats = store_->GetBankStats(bank.id);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->live, 3);

  // Nothing new: no version bump.
  r = store_->AddSignals("test", bank.id, again, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->version, 2);
  EXPECT_EQ(store_->GetBank(bank.id)->version, 2);

  // A malformed value rejects the whole change.
  std::vector<SignalInput> bad = {{SignalType::kPdq, Pdq(3), -1, {}, ""},
                                  {SignalType::kPdq, "xyz", -1, {}, ""}};
  r = store_->AddSignals("test", bank.id, bad, 0);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("signal 2"), std::string::npos);
  EXPECT_EQ(store_->GetSignal(bank.id, SignalType::kPdq, Pdq(3)).status().code(),
            StatusCode::kNotFound);

  // Remove: a tombstone with a new version.
  std::vector<MediaSignal> gone = {{SignalType::kPdq, Pdq(2), -1}, {SignalType::kPdq, Pdq(77), -1}};
  auto removed = store_->RemoveSignals("test", bank.id, gone);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(store_->GetBank(bank.id)->version, 3);
  auto tomb = store_->GetSignal(bank.id, SignalType::kPdq, Pdq(2));
  ASSERT_TRUE(tomb.ok());
  EXPECT_FALSE(tomb->live());
  EXPECT_EQ(tomb->version, 3);

  // Incremental: since version 1 -> the merged pdq(1) and the tombstone pdq(2).
  SignalQuery since;
  since.since_version = 1;
  auto changed = store_->ListSignals(bank.id, since);
  ASSERT_TRUE(changed.ok());
  ASSERT_EQ(changed->size(), 2u);
  EXPECT_EQ((*changed)[0].value, Pdq(1));
  EXPECT_EQ((*changed)[1].value, Pdq(2));
  EXPECT_FALSE((*changed)[1].live());
  SignalQuery live;
  EXPECT_EQ(store_->ListSignals(bank.id, live)->size(), 2u);
  live.label = "content:image";
  EXPECT_EQ(store_->ListSignals(bank.id, live)->size(), 2u);
  live.type = SignalType::kMd5;
  EXPECT_EQ(store_->ListSignals(bank.id, live)->size(), 1u);

  // Re-adding a removed signal brings it back.
  std::vector<SignalInput> back = {{SignalType::kPdq, Pdq(2), 70, {"behaviour:recruitment"}, "y"}};
  r = store_->AddSignals("test", bank.id, back, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->added, 1);
  auto revived = store_->GetSignal(bank.id, SignalType::kPdq, Pdq(2));
  EXPECT_TRUE(revived->live());
  EXPECT_EQ(revived->labels, std::vector<std::string>{"behaviour:recruitment"});

  stats = store_->GetBankStats(bank.id);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->live, 3);
  EXPECT_EQ(stats->removed, 0);
  EXPECT_EQ(stats->version, 4);
  EXPECT_EQ(store_->AddSignals("test", 999, back, 0).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreTest, LiveHashStreamPagesAcrossBanks) {
  Bank b1 = MakeBank("p1");
  Bank b2 = MakeBank("p2");
  // More than one page (20 000 rows) so the keyset paging is exercised.
  std::vector<SignalInput> in;
  for (int i = 0; i < 20'100; ++i) in.push_back({SignalType::kPdq, Pdq(i), 100, {}, ""});
  ASSERT_TRUE(store_->AddSignals("test", b1.id, in, 0).ok());
  std::vector<SignalInput> more = {{SignalType::kPdq, Pdq(50'000), 100, {}, ""},
                                   {SignalType::kMd5, std::string(32, 'a'), -1, {}, ""}};
  ASSERT_TRUE(store_->AddSignals("test", b2.id, more, 0).ok());
  std::vector<MediaSignal> gone = {{SignalType::kPdq, Pdq(5), -1}};
  ASSERT_TRUE(store_->RemoveSignals("test", b1.id, gone).ok());

  int64_t count = 0, last = 0;
  bool ordered = true, saw_extra = false;
  ASSERT_TRUE(store_
                  ->ForEachLiveHash(SignalType::kPdq, 0,
                                    [&](int64_t id, const Hash256& h) {
                                      ordered &= id > last;
                                      last = id;
                                      ++count;
                                      if (h.ToHex() == Pdq(50'000)) saw_extra = true;
                                      if (h.ToHex() == Pdq(5)) ADD_FAILURE() << "removed hash";
                                    })
                  .ok());
  EXPECT_EQ(count, 20'100);
  EXPECT_TRUE(ordered);
  EXPECT_TRUE(saw_extra);
  int64_t tail = 0;
  ASSERT_TRUE(
      store_->ForEachLiveHash(SignalType::kPdq, last - 1, [&](int64_t, const Hash256&) { ++tail; })
          .ok());
  EXPECT_EQ(tail, 1);
  EXPECT_EQ(store_->ForEachLiveHash(SignalType::kText, 0, [](int64_t, const Hash256&) {}).code(),
            StatusCode::kUnsupported);
}

// The matcher's lean read (issue 10): id, bank and value of live signals of one type, of one
// bank or all, in id order across pages (20 000 rows each); full rows back by id.
TEST_P(StoreTest, LeanSignalKeysAndSignalsById) {
  Bank b1 = MakeBank("lean1");
  Bank b2 = MakeBank("lean2");
  std::vector<SignalInput> in;
  for (int i = 0; i < 20'100; ++i) in.push_back({SignalType::kPdq, Pdq(i), 90, {}, ""});
  in.push_back({SignalType::kMd5, std::string(32, 'b'), -1, {"severity:high"}, "file:x"});
  in.push_back({SignalType::kUrl, "https://example.org/a", -1, {}, ""});
  ASSERT_TRUE(store_->AddSignals("test", b1.id, in, 0).ok());
  std::vector<SignalInput> other = {{SignalType::kPdq, Pdq(70'000), 100, {}, ""}};
  ASSERT_TRUE(store_->AddSignals("test", b2.id, other, 0).ok());
  std::vector<MediaSignal> gone = {{SignalType::kPdq, Pdq(7), -1}};
  ASSERT_TRUE(store_->RemoveSignals("test", b1.id, gone).ok());

  // The reference: the full read of the same bank.
  std::vector<Signal> full;
  ASSERT_TRUE(store_
                  ->ForEachSignal(b1.id, {},
                                  [&](const Signal& s) {
                                    full.push_back(s);
                                    return true;
                                  })
                  .ok());
  ASSERT_EQ(full.size(), 20'101u);
  // Per type, of one bank: the full read's rows of that type, same ids, values, order.
  size_t total = 0;
  for (SignalType type : kAllSignalTypes) {
    std::vector<Signal> expected;
    for (const Signal& s : full) {
      if (s.type == type) expected.push_back(s);
    }
    std::vector<Signal> lean;
    ASSERT_TRUE(store_
                    ->ForEachLiveSignalKey(type, b1.id,
                                           [&](const LiveSignalKey& k) {
                                             Signal s;
                                             s.id = k.id;
                                             s.bank_id = k.bank_id;
                                             s.type = k.type;
                                             s.value = std::string(k.value);
                                             lean.push_back(std::move(s));
                                             return true;
                                           })
                    .ok());
    ASSERT_EQ(lean.size(), expected.size()) << SignalTypeName(type);
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(lean[i].id, expected[i].id);
      EXPECT_EQ(lean[i].bank_id, b1.id);
      EXPECT_EQ(lean[i].type, type);
      EXPECT_EQ(lean[i].value, expected[i].value);
    }
    total += lean.size();
  }
  EXPECT_EQ(total, full.size());
  // Of all banks: b2's hash too, in id order.
  int64_t all = 0, last = 0;
  bool ordered = true, saw_b2 = false;
  ASSERT_TRUE(store_
                  ->ForEachLiveSignalKey(SignalType::kPdq, 0,
                                         [&](const LiveSignalKey& k) {
                                           ordered &= k.id > last;
                                           last = k.id;
                                           saw_b2 |= k.bank_id == b2.id && k.value == Pdq(70'000);
                                           ++all;
                                           return true;
                                         })
                  .ok());
  EXPECT_EQ(all, 20'100);
  EXPECT_TRUE(ordered);
  EXPECT_TRUE(saw_b2);
  int64_t seen = 0;  // stopping early
  ASSERT_TRUE(store_
                  ->ForEachLiveSignalKey(SignalType::kPdq, b1.id,
                                         [&](const LiveSignalKey&) { return ++seen < 3; })
                  .ok());
  EXPECT_EQ(seen, 3);

  // By id: any bank, removed ones too, unknown ids left out, in id order, each once.
  auto removed = store_->GetSignal(b1.id, SignalType::kPdq, Pdq(7));
  ASSERT_TRUE(removed.ok());
  auto md5 = store_->GetSignal(b1.id, SignalType::kMd5, std::string(32, 'b'));
  ASSERT_TRUE(md5.ok());
  std::vector<int64_t> ids = {md5->id, full[0].id, removed->id, 999'999'999, md5->id};
  for (int i = 0; i < 40; ++i) ids.push_back(full[static_cast<size_t>(100 + i)].id);
  auto got = store_->GetSignalsById(ids);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 43u);
  for (size_t i = 1; i < got->size(); ++i) EXPECT_LT((*got)[i - 1].id, (*got)[i].id);
  bool saw_md5 = false, saw_removed = false;
  for (const Signal& s : *got) {
    if (s.id == md5->id) {
      saw_md5 = true;
      EXPECT_EQ(s.labels, std::vector<std::string>{"severity:high"});
      EXPECT_EQ(s.source_exchange, "file:x");
      EXPECT_EQ(s.value, std::string(32, 'b'));
    }
    if (s.id == removed->id) {
      saw_removed = true;
      EXPECT_FALSE(s.live());
    }
  }
  EXPECT_TRUE(saw_md5);
  EXPECT_TRUE(saw_removed);
  auto none = store_->GetSignalsById({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreTest, ItemsMatchesPlatformsLabels) {
  auto p =
      store_->CreatePlatform("test", {0, "example-video", "video.example", "abuse@example", 0});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(store_->CreatePlatform("test", *p).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->FindPlatform("example-video")->id, p->id);
  EXPECT_EQ(store_->ListPlatforms()->size(), 1u);

  Item item;
  item.source = "crawler";
  item.platform_id = p->id;
  item.url = "https://video.example/watch/1";
  item.account = "channel-1";
  item.posted_ms = 1'600'000'000'000;
  item.language = "en";
  Media m;
  m.kind = "image";
  m.sha256 = std::string(64, 'b');
  m.signals = {{SignalType::kPdq, Pdq(9), 100}, {SignalType::kSha256, std::string(64, 'B'), -1}};
  item.media.push_back(m);
  auto added = store_->AddItem("test", item);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  auto got = store_->GetItem(added->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->url, item.url);
  EXPECT_EQ(got->posted_ms, item.posted_ms);
  ASSERT_EQ(got->media.size(), 1u);
  ASSERT_EQ(got->media[0].signals.size(), 2u);
  EXPECT_EQ(got->media[0].signals[1].value, std::string(64, 'b'));

  Bank bank = MakeBank("mb");
  std::vector<SignalInput> in = {{SignalType::kPdq, Pdq(9), 100, {}, ""}};
  ASSERT_TRUE(store_->AddSignals("test", bank.id, in, 0).ok());
  auto sig = store_->GetSignal(bank.id, SignalType::kPdq, Pdq(9));
  auto match = store_->RecordMatch("matcher", {0, added->id, got->media[0].id, sig->id, 3, 0});
  ASSERT_TRUE(match.ok()) << match.status().ToString();
  auto matches = store_->ListMatches(added->id);
  ASSERT_TRUE(matches.ok());
  ASSERT_EQ(matches->size(), 1u);
  EXPECT_EQ((*matches)[0].distance, 3);
  EXPECT_EQ(store_->RecordMatch("m", {0, 999, 0, 1, 0, 0}).status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(store_
                  ->DefineLabel("test", {"entity:example-group", LabelDimension::kEntity,
                                         "synthetic attributed entity"})
                  .ok());
  EXPECT_EQ(store_->ListLabels()->size(), DefaultTaxonomy().size() + 1);
  EXPECT_FALSE(store_->DefineLabel("test", {"Bad Label", LabelDimension::kOther, ""}).ok());
}

TEST_P(StoreTest, CollectedItemsAreStoredOnceByKey) {
  auto platforms = store_->EnsurePlatforms(
      "cli:scan", std::vector<Platform>{{0, "Example Video", "video.example", "", 0},
                                        {0, "Example Paste", "paste.example", "", 0}});
  ASSERT_TRUE(platforms.ok()) << platforms.status().ToString();
  ASSERT_EQ(platforms->size(), 2u);
  EXPECT_GT((*platforms)[0].id, 0);
  // Again: nothing new, same ids.
  auto again = store_->EnsurePlatforms("cli:scan",
                                       std::vector<Platform>{{0, "Example Paste", "other", "", 0}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].id, (*platforms)[1].id);
  EXPECT_EQ((*again)[0].domains, "paste.example");
  EXPECT_EQ(store_->ListPlatforms()->size(), 2u);

  auto make = [&](int n) {
    CollectedItem c;
    c.source_key = "telegram:42:" + std::to_string(n);
    c.item.source = "scan:telegram";
    c.item.account = "synthetic channel";
    Media m;
    m.kind = "image";
    m.uri = "photos/" + std::to_string(n) + ".jpg";
    m.signals = {{SignalType::kPdq, Pdq(n), 90}, {SignalType::kMd5, std::string(32, 'A'), -1}};
    c.item.media.push_back(m);
    c.links = {{0, 0, "https://video.example/v/" + std::to_string(n), "video.example",
                "example-video", (*platforms)[0].id, false},
               {0, 0, "https://unknown.example/x", "unknown.example", "", 0, true},
               {0, 0, "https://unknown.example/x", "unknown.example", "", 0, true}};  // dup
    return c;
  };
  std::vector<CollectedItem> batch = {make(1), make(2), make(1)};  // key 1 twice
  auto first = store_->UpsertItems("cli:scan", batch);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 3u);
  EXPECT_TRUE((*first)[0].created);
  EXPECT_TRUE((*first)[1].created);
  EXPECT_FALSE((*first)[2].created);
  EXPECT_EQ((*first)[2].item.id, (*first)[0].item.id);
  ASSERT_EQ((*first)[2].item.media.size(), 1u);
  EXPECT_EQ((*first)[2].item.media[0].id, (*first)[0].item.media[0].id);
  EXPECT_EQ((*first)[0].item.media[0].signals[1].value, std::string(32, 'a'));  // canonical

  auto second = store_->UpsertItems("cli:scan", std::vector<CollectedItem>{make(2), make(3)});
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE((*second)[0].created);
  EXPECT_TRUE((*second)[1].created);

  auto links = store_->ListLinks((*first)[0].item.id);
  ASSERT_TRUE(links.ok());
  ASSERT_EQ(links->size(), 2u);
  EXPECT_EQ((*links)[0].platform, "example-video");
  EXPECT_EQ((*links)[0].platform_id, (*platforms)[0].id);
  EXPECT_FALSE((*links)[0].unknown);
  EXPECT_TRUE((*links)[1].unknown);
  EXPECT_EQ((*links)[1].domain, "unknown.example");
  EXPECT_EQ(store_->FindItemBySourceKey("telegram:42:3")->id, (*second)[1].item.id);
  EXPECT_EQ(store_->FindItemBySourceKey("telegram:42:9").status().code(), StatusCode::kNotFound);

  // Matches: recorded once, however often a scan finds them.
  Bank bank = MakeBank("collect-bank");
  ASSERT_TRUE(store_
                  ->AddSignals("test", bank.id,
                               std::vector<SignalInput>{{SignalType::kPdq, Pdq(1), 100, {}, ""}}, 0)
                  .ok());
  auto sig = store_->GetSignal(bank.id, SignalType::kPdq, Pdq(1));
  ASSERT_TRUE(sig.ok());
  const Item& it = (*first)[0].item;
  std::vector<Match> ms = {{0, it.id, it.media[0].id, sig->id, 4, 0},
                           {0, it.id, it.media[0].id, sig->id, 4, 0}};
  EXPECT_EQ(store_->RecordMatches("cli:scan", ms).value_or(-1), 1);
  EXPECT_EQ(store_->RecordMatches("cli:scan", ms).value_or(-1), 0);
  auto single = store_->RecordMatch("cli:scan", ms[0]);
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->distance, 4);
  EXPECT_EQ(store_->ListMatches(it.id)->size(), 1u);
  std::vector<Match> bad = {{0, 999'999, 0, sig->id, 0, 0}};
  EXPECT_EQ(store_->RecordMatches("cli:scan", bad).status().code(), StatusCode::kNotFound);

  auto st = store_->GetCollectionStats(10);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->items, 3);
  EXPECT_EQ(st->links, 6);
  EXPECT_EQ(st->links_unknown, 3);
  EXPECT_EQ(st->media, 3);
  EXPECT_EQ(st->matches, 1);
  ASSERT_EQ(st->links_by_platform.size(), 1u);
  EXPECT_EQ(st->links_by_platform[0], std::make_pair(std::string("example-video"), int64_t{3}));
  ASSERT_EQ(st->unknown_domains.size(), 1u);
  EXPECT_EQ(st->unknown_domains[0].second, 3);

  // A bad value stores nothing of the batch; an empty key is refused.
  CollectedItem broken = make(7);
  broken.item.media[0].signals[0].value = "not hex";
  EXPECT_EQ(
      store_->UpsertItems("cli:scan", std::vector<CollectedItem>{make(8), broken}).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->FindItemBySourceKey("telegram:42:8").status().code(), StatusCode::kNotFound);
  CollectedItem nokey = make(9);
  nokey.source_key.clear();
  EXPECT_FALSE(store_->UpsertItems("cli:scan", std::vector<CollectedItem>{nokey}).ok());

  // Every write attributed, chain intact.
  int collected = 0;
  ASSERT_TRUE(store_
                  ->ForEachAudit(0,
                                 [&](const AuditEntry& e) {
                                   if (e.action == "item.collect") {
                                     ++collected;
                                     EXPECT_EQ(e.actor, "cli:scan");
                                   }
                                   return true;
                                 })
                  .ok());
  EXPECT_EQ(collected, 3);
  EXPECT_TRUE(store_->VerifyAudit()->ok);
}

// --- audit log ------------------------------------------------------------------------

class AuditTamperTest : public StoreTest {
 protected:
  void Populate() {
    MakeBank("audit-a");  // seq 2
    MakeBank("audit-b");  // seq 3
    ASSERT_TRUE(store_->AppendAudit("user:alice", "referral.send", "item:1", "", "", "x").ok());
    ASSERT_TRUE(store_->AppendAudit("user:bob", "review.decide", "item:1", "", "", "y").ok());
    auto r = store_->VerifyAudit();
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->ok) << r->problem;
    ASSERT_EQ(r->entries, 5);
    ASSERT_EQ(r->head_hash.size(), 64u);
  }
  AuditReport Verify() {
    auto r = store_->VerifyAudit();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : AuditReport{};
  }
};

TEST_P(AuditTamperTest, EveryChangeIsChainedAndAttributed) {
  Populate();
  std::vector<AuditEntry> all;
  ASSERT_TRUE(store_
                  ->ForEachAudit(0,
                                 [&](const AuditEntry& e) {
                                   all.push_back(e);
                                   return true;
                                 })
                  .ok());
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].action, "store.migrate");
  EXPECT_EQ(all[1].action, "bank.create");
  EXPECT_EQ(all[1].actor, "test");
  EXPECT_EQ(all[3].actor, "user:alice");
  EXPECT_EQ(all[0].prev_hash, kAuditGenesisHash);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_EQ(all[i].prev_hash, all[i - 1].hash);
}

TEST_P(AuditTamperTest, DetectsAnEditedEntry) {
  Populate();
  ASSERT_TRUE(Raw("UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 4").ok());
  AuditReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 4);
  EXPECT_NE(r.problem.find("edited"), std::string::npos) << r.problem;
}

TEST_P(AuditTamperTest, DetectsADeletedEntry) {
  Populate();
  ASSERT_TRUE(Raw("DELETE FROM audit_log WHERE seq = 3").ok());
  AuditReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 4);
  EXPECT_EQ(r.first_bad_position, 3);
}

TEST_P(AuditTamperTest, DetectsAnInsertedEntry) {
  Populate();
  // A forger renumbers the tail and inserts a correctly hashed entry at seq 3: the entry
  // after it no longer links (and its own hash covers its old seq).
  ASSERT_TRUE(Raw("UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3").ok());
  ASSERT_TRUE(Raw("UPDATE audit_log SET seq = seq - 99 WHERE seq >= 103").ok());
  std::vector<AuditEntry> all;
  ASSERT_TRUE(store_
                  ->ForEachAudit(0,
                                 [&](const AuditEntry& e) {
                                   all.push_back(e);
                                   return true;
                                 })
                  .ok());
  AuditEntry forged;
  forged.seq = 3;
  forged.at_ms = 1;
  forged.actor = "user:mallory";
  forged.action = "bank.create";
  forged.prev_hash = all[1].hash;
  forged.hash = AuditEntryHash(forged);
  ASSERT_TRUE(Raw("INSERT INTO audit_log (seq, at_ms, actor, action, target, before_state, "
                  "after_state, details, prev_hash, hash) VALUES (3, 1, 'user:mallory', "
                  "'bank.create', '', '', '', '', '" +
                  forged.prev_hash + "', '" + forged.hash + "')")
                  .ok());
  AuditReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 4);
}

TEST_P(AuditTamperTest, DetectsReorderedEntries) {
  Populate();
  ASSERT_TRUE(Raw("UPDATE audit_log SET seq = 100 WHERE seq = 3").ok());
  ASSERT_TRUE(Raw("UPDATE audit_log SET seq = 3 WHERE seq = 4").ok());
  ASSERT_TRUE(Raw("UPDATE audit_log SET seq = 4 WHERE seq = 100").ok());
  AuditReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 3);
}

TEST_P(AuditTamperTest, ConcurrentWritersKeepOneChain) {
  Populate();
  constexpr int kThreads = 3, kEach = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto s = OpenStore(db_, options_);
      if (!s.ok()) {
        ++failures;
        return;
      }
      for (int i = 0; i < kEach; ++i) {
        if (!(*s)->AppendAudit("worker:" + std::to_string(t), "test.tick", "", "", "", "").ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  AuditReport r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.entries, 5 + kThreads * kEach);
}

std::string Name(const ::testing::TestParamInfo<Backend>& info) {
  return testing::BackendName(info.param);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), Name);
INSTANTIATE_TEST_SUITE_P(Backends, AuditTamperTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), Name);

TEST(BackendFor, PicksByConnectionString) {
  EXPECT_EQ(BackendFor("vigil.db"), Backend::kSqlite);
  EXPECT_EQ(BackendFor("/var/lib/vigil/store.db"), Backend::kSqlite);
  EXPECT_EQ(BackendFor("postgres://u@h/db"), Backend::kPostgres);
  EXPECT_EQ(BackendFor("postgresql://u@h/db"), Backend::kPostgres);
  EXPECT_EQ(BackendFor("host=/tmp dbname=x"), Backend::kPostgres);
}

TEST(OpenStore, FailsClearlyOnUnreachablePostgres) {
  StoreOptions o;
  o.connect_timeout_s = 2;
  auto s = OpenStore("host=/nonexistent-vigil-socket-dir dbname=x", o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
}

TEST(OpenStore, FailsClearlyOnAMissingDirectory) {
  auto s = OpenStore("/nonexistent-vigil-dir/x.db");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kIOError);
}

}  // namespace
}  // namespace vigil::store
