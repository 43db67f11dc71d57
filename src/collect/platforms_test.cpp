#include "collect/platforms.h"

#include <gtest/gtest.h>

#include <set>

#include "collect/links.h"

namespace vigil::collect {
namespace {

const PlatformRegistry& Shipped() {
  static const PlatformRegistry* reg = [] {
    auto r = PlatformRegistry::LoadFile(std::string(VIGIL_SOURCE_DIR) + "/data/platforms.json");
    if (!r.ok()) {
      ADD_FAILURE() << r.status().ToString();
      return new PlatformRegistry();
    }
    return new PlatformRegistry(std::move(r).value());
  }();
  return *reg;
}

std::string PlatformOf(std::string_view url) { return AnalyzeLink(url, Shipped()).platform; }

TEST(Platforms, ShippedRegistryIsLargeAndCoversEveryCategory) {
  const auto& reg = Shipped();
  EXPECT_GE(reg.platforms().size(), 60u);
  std::set<std::string> categories;
  for (const auto& p : reg.platforms()) {
    categories.insert(p.category);
    EXPECT_FALSE(p.operator_name.empty()) << p.id;
    EXPECT_FALSE(p.referral.empty()) << p.id;
  }
  for (const char* c : {"social_network", "video", "file_sharing", "archive", "paste", "messenger",
                        "link_shortener", "cloud_storage"}) {
    EXPECT_TRUE(categories.count(c)) << c;
  }
}

TEST(Platforms, AttributesByDomainSubdomainAndPath) {
  EXPECT_EQ(PlatformOf("https://t.me/some_channel/12"), "telegram");
  EXPECT_EQ(PlatformOf("https://WWW.YouTube.com/watch?v=abc&utm_source=x"), "youtube");
  EXPECT_EQ(PlatformOf("https://youtu.be/abc"), "youtube");
  EXPECT_EQ(PlatformOf("https://m.facebook.com/story.php"), "facebook");
  EXPECT_EQ(PlatformOf("https://docs.google.com/document/d/xyz/edit"), "google-docs");
  EXPECT_EQ(PlatformOf("https://docs.google.com/forms/d/e/x"), "google-docs");
  EXPECT_EQ(PlatformOf("https://docs.google.com/file/d/x"), "google-drive");
  EXPECT_EQ(PlatformOf("https://drive.google.com/file/d/x"), "google-drive");
  EXPECT_EQ(PlatformOf("https://docs.google.com/documentary"), "unknown");  // segment boundary
  EXPECT_EQ(PlatformOf("https://web.archive.org/web/2020/https://example.org/"),
            "internet-archive");
  EXPECT_EQ(PlatformOf("https://archive.ph/AbCd"), "archive-today");
  EXPECT_EQ(PlatformOf("https://mega.nz/file/x#key"), "mega");
  EXPECT_EQ(PlatformOf("https://bit.ly/3xyz"), "bitly");
  EXPECT_EQ(PlatformOf("https://someone.blogspot.com/2020/01/p.html"), "blogger");
  EXPECT_EQ(PlatformOf("https://chat.whatsapp.com/Invite"), "whatsapp");
  EXPECT_EQ(PlatformOf("tg://resolve?domain=another_channel"), "telegram");
}

TEST(Platforms, UnknownIsReportedWithItsDomain) {
  AnalyzedLink l =
      AnalyzeLink("https://files.unlisted-host.example.co.uk/a?utm_source=t", Shipped());
  EXPECT_EQ(l.platform, "unknown");
  EXPECT_EQ(l.canonical, "https://files.unlisted-host.example.co.uk/a");
  EXPECT_EQ(l.registrable_domain, "example.co.uk");
  AnalyzedLink bad = AnalyzeLink("mailto:x@example.org", Shipped());
  EXPECT_EQ(bad.platform, "unknown");
  EXPECT_TRUE(bad.canonical.empty());
  EXPECT_FALSE(bad.error.empty());
  // Lookalike hosts are not the platform.
  EXPECT_EQ(PlatformOf("https://nott.me/x"), "unknown");
  EXPECT_EQ(PlatformOf("https://youtube.com.evil.example/x"), "unknown");
  EXPECT_EQ(PlatformOf("http://192.0.2.1/x"), "unknown");
}

TEST(Platforms, UserFileExtendsAndOverrides) {
  const char* user = R"J({"platforms": [
    {"id": "exampletube", "name": "ExampleTube", "operator": "Example Ltd", "category": "video",
     "domains": ["ExampleTube.example", "b\u00fccher.example"], "url_patterns": ["share.example/v"],
     "referral": ["api"], "tco_hosting_service": true},
    {"id": "telegram", "name": "Telegram (our contact)", "operator": "Telegram Messenger Inc.",
     "category": "messenger", "domains": ["t.me"], "referral": ["email"],
     "tco_hosting_service": true}]})J";
  auto extra = PlatformRegistry::Parse(user, "user.json");
  ASSERT_TRUE(extra.ok()) << extra.status().ToString();
  auto base = PlatformRegistry::LoadFile(std::string(VIGIL_SOURCE_DIR) + "/data/platforms.json");
  ASSERT_TRUE(base.ok());
  size_t before = base->platforms().size();
  base->Merge(std::move(extra).value());
  EXPECT_EQ(base->platforms().size(), before + 1);
  EXPECT_EQ(AnalyzeLink("https://www.exampletube.example/v/1", *base).platform, "exampletube");
  EXPECT_EQ(AnalyzeLink("https://xn--bcher-kva.example/", *base).platform, "exampletube");
  EXPECT_EQ(AnalyzeLink("https://share.example/v/9", *base).platform, "exampletube");
  EXPECT_EQ(AnalyzeLink("https://share.example/other", *base).platform, "unknown");
  EXPECT_EQ(base->Find("telegram")->name, "Telegram (our contact)");
  // telegram.me was only in the shipped entry, which the user's replaced.
  EXPECT_EQ(AnalyzeLink("https://telegram.me/x", *base).platform, "unknown");
}

TEST(Platforms, BadRegistryFilesNameTheProblem) {
  auto r = PlatformRegistry::Parse(R"({"platforms": [{"id": "x"}]})", "mine.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("mine.json: platforms[0] (x)"), std::string::npos);
  r = PlatformRegistry::Parse("{\"platforms\": [\n  {\"id\": ", "broken.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("broken.json: line 2"), std::string::npos)
      << r.status().message();
  r = PlatformRegistry::Parse(
      R"({"platforms": [{"id": "a", "name": "A", "category": "video", "domains": ["a.example"],
          "referral": ["fax"], "tco_hosting_service": true}]})",
      "f.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("fax"), std::string::npos);
  r = PlatformRegistry::Parse(
      R"({"platforms": [{"id": "a", "name": "A", "category": "video", "domains": ["a.example"],
          "referral": [], "tco_hosting_service": true},
          {"id": "a", "name": "A", "category": "video", "domains": ["a.example"],
          "referral": [], "tco_hosting_service": true}]})",
      "f.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("duplicate"), std::string::npos);
}

}  // namespace
}  // namespace vigil::collect
