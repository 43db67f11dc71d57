// The hash chain on its own, without a database.
#include "store/audit.h"

#include <gtest/gtest.h>

#include "store/crypto.h"

namespace vigil::store {
namespace {

std::vector<AuditEntry> Chain(int n) {
  std::vector<AuditEntry> out;
  std::string prev(kAuditGenesisHash);
  for (int i = 1; i <= n; ++i) {
    AuditEntry e;
    e.seq = i;
    e.at_ms = 1000 + i;
    e.actor = "user:" + std::to_string(i);
    e.action = "test.step";
    e.target = "bank:1";
    e.details = "{\"i\":" + std::to_string(i) + "}";
    e.prev_hash = prev;
    e.hash = AuditEntryHash(e);
    prev = e.hash;
    out.push_back(e);
  }
  return out;
}

TEST(AuditChain, CanonicalFormIsLengthPrefixed) {
  AuditEntry a, b;
  a.actor = "ab";
  a.action = "c";
  b.actor = "a";
  b.action = "bc";
  EXPECT_NE(AuditCanonicalForm(a), AuditCanonicalForm(b));
  EXPECT_NE(AuditEntryHash(a), AuditEntryHash(b));
  // Pinned so the format never changes by accident (stored logs depend on it).
  AuditEntry p;
  p.seq = 1;
  p.at_ms = 2;
  p.actor = "x";
  p.prev_hash = std::string(kAuditGenesisHash);
  EXPECT_EQ(AuditCanonicalForm(p), "vigil-audit-v1\n1:1\n1:2\n1:x\n0:\n0:\n0:\n0:\n0:\n64:" +
                                       std::string(kAuditGenesisHash) + "\n");
  EXPECT_EQ(AuditEntryHash(p), Sha256Hex(AuditCanonicalForm(p)));
}

TEST(AuditChain, AcceptsAnIntactChain) {
  auto c = Chain(6);
  AuditReport r = VerifyAuditChain(c);
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.entries, 6);
  EXPECT_EQ(r.head_hash, c.back().hash);
  EXPECT_TRUE(VerifyAuditChain({}).ok);
}

TEST(AuditChain, NamesTheFirstBadEntry) {
  {
    auto c = Chain(6);
    c[2].details = "{\"i\":99}";  // edited
    AuditReport r = VerifyAuditChain(c);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.first_bad_seq, 3);
  }
  {
    auto c = Chain(6);
    c.erase(c.begin() + 1);  // deleted
    AuditReport r = VerifyAuditChain(c);
    EXPECT_EQ(r.first_bad_seq, 3);
    EXPECT_EQ(r.first_bad_position, 2);
  }
  {
    auto c = Chain(6);
    std::swap(c[3], c[4]);  // reordered
    EXPECT_EQ(VerifyAuditChain(c).first_bad_position, 4);
  }
  {
    auto c = Chain(6);
    c.pop_back();  // a truncated tail is consistent: only an anchored head hash catches it
    EXPECT_TRUE(VerifyAuditChain(c).ok);
  }
}

TEST(Crypto, KnownAnswers) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Base64Url("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64Url("foobar"), "Zm9vYmFy");
  // RFC 4122 appendix example as corrected in RFC 9562: v5 of "www.example.com" in the DNS
  // namespace.
  EXPECT_EQ(UuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com"),
            "2ed6657d-e927-568b-95e1-2665a8aea6a2");
}

}  // namespace
}  // namespace vigil::store
