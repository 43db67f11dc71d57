// End-to-end tests of `vigil scan` through the real binary into a SQLite store: items,
// links and matches stored; a second scan adds nothing; edited copies of a banked image
// match; unknown domains reported; --bank filters; malformed input names file and
// position; --dry-run stores nothing. All data is generated here (gradients, invented
// posts).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "media/encode.h"
#include "pipeline/media_hasher.h"
#include "store/store.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
const std::string kVigil = std::string(VIGIL_BINARY_DIR) + "/vigil";

struct ShellRun {
  int status = -1;
  std::string out;
};

ShellRun Sh(const std::string& cmd) {
  ShellRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

struct Picture {
  int w, h;
  std::vector<uint8_t> px;
};

Picture Gradient(int seed, int w, int h) {
  Picture p{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3)};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double X = double(x) / w, Y = double(y) / h;
      double v = 128 + 90 * std::sin(6.28 * ((1 + seed % 3) * X + (0.5 + seed % 2) * Y) + seed);
      double disc = std::hypot(X - 0.3 - 0.1 * (seed % 4), Y - 0.6) < 0.2 ? 60 : 0;
      for (int c = 0; c < 3; ++c)
        p.px[(size_t(y) * w + x) * 3 + c] =
            static_cast<uint8_t>(std::clamp(v + (c == seed % 3 ? disc : -disc / 2), 0.0, 255.0));
    }
  return p;
}

Picture Half(const Picture& s) {
  Picture o{s.w / 2, s.h / 2, {}};
  o.px.resize(size_t(o.w) * o.h * 3);
  for (int y = 0; y < o.h; ++y)
    for (int x = 0; x < o.w; ++x)
      for (int c = 0; c < 3; ++c) {
        int sum = 0;
        for (int d = 0; d < 4; ++d)
          sum += s.px[(size_t(y * 2 + d / 2) * s.w + x * 2 + d % 2) * 3 + c];
        o.px[(size_t(y) * o.w + x) * 3 + c] = static_cast<uint8_t>(sum / 4);
      }
  return o;
}

std::vector<uint8_t> Jpeg(const Picture& p, int quality) {
  media::JpegEncodeOptions o;
  o.quality = quality;
  auto r = media::EncodeJpeg(p.px, p.w, p.h, 3, o);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : std::vector<uint8_t>{};
}

void WriteFile(const fs::path& p, std::string_view bytes) {
  std::ofstream(p, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}
void WriteFile(const fs::path& p, const std::vector<uint8_t>& bytes) {
  WriteFile(p, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

class ScanCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vigil-scan-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "export" / "photos");
    db_ = (dir_ / "store.db").string();
    // The banked original and two posts: an edited (resized, recompressed) copy of it and
    // an unrelated picture.
    Picture original = Gradient(1, 480, 360);
    auto banked = pipeline::HashImageBytes(Jpeg(original, 92), {});
    ASSERT_TRUE(banked.ok());
    WriteFile(dir_ / "export" / "photos" / "copy.jpg", Jpeg(Half(original), 60));
    WriteFile(dir_ / "export" / "photos" / "other.jpg", Jpeg(Gradient(2, 320, 240), 85));
    WriteFile(dir_ / "export" / "result.json", R"({
 "name": "Synthetic Test Channel", "type": "public_channel", "id": 77,
 "messages": [
  {"id": 1, "type": "message", "date": "2026-11-28T10:00:00", "photo": "photos/copy.jpg",
   "text": "synthetic post one https://t.me/example_one/5 https://www.youtube.com/watch?v=x1&utm_source=a"},
  {"id": 2, "type": "message", "date": "2026-11-28T10:05:00", "photo": "photos/other.jpg",
   "text": "synthetic post two https://unknown-site.example/page https://mega.nz/file/abc"},
  {"id": 3, "type": "service", "date": "2026-11-28T10:06:00", "action": "pin_message"}
 ]})");
    WriteFile(dir_ / "feed.rss", R"(<?xml version="1.0"?>
<rss version="2.0"><channel><title>Synthetic feed</title><link>https://feed.example/</link>
<item><title>a</title><guid>https://feed.example/a</guid><link>https://feed.example/a</link>
<description>see https://pastebin.com/raw/zz and https://another-unknown.example/x</description></item>
</channel></rss>)");
    auto st = store::OpenStore(db_);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    store::Bank b;
    b.name = "test-bank";
    auto bank = (*st)->CreateBank("test", b);
    ASSERT_TRUE(bank.ok());
    std::vector<store::SignalInput> in = {
        {store::SignalType::kPdq, banked->pdq.hash.ToHex(), 100, {"severity:promotional"}, ""}};
    ASSERT_TRUE((*st)->AddSignals("test", bank->id, in, 0).ok());
    b.name = "empty-bank";
    ASSERT_TRUE((*st)->CreateBank("test", b).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs a scan with --format jsonl; returns the summary object (empty on failure).
  boost::json::object Scan(const std::string& extra, int* status = nullptr) {
    ShellRun r = Sh(
        "'" + kVigil + "' scan --db '" + db_ + "' --actor cli:scan-test --format jsonl " + extra +
        " '" + (dir_ / "export").string() + "' '" + (dir_ / "feed.rss").string() + "' 2>/dev/null");
    if (status != nullptr) *status = r.status;
    std::istringstream lines(r.out);
    std::string line, last;
    while (std::getline(lines, line)) last = line;
    boost::system::error_code ec;
    auto v = boost::json::parse(last, ec);
    if (ec || !v.is_object() || !v.as_object().contains("summary")) {
      ADD_FAILURE() << "no summary in: " << r.out;
      return {};
    }
    return v.as_object().at("summary").as_object();
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(ScanCli, ScanTwiceStoresOnceAndMatchesTheEditedCopy) {
  int status = -1;
  auto first = Scan("", &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(first["items"].as_int64(), 3);
  EXPECT_EQ(first["items_new"].as_int64(), 3);
  EXPECT_EQ(first["media_hashed"].as_int64(), 2);
  EXPECT_EQ(first["matches"].as_int64(), 1);  // the resized copy, not the unrelated picture
  EXPECT_EQ(first["matches_new"].as_int64(), 1);
  EXPECT_EQ(first["matches_by_bank"].as_object().at("test-bank").as_int64(), 1);
  EXPECT_EQ(first["matches_by_label"].as_object().at("severity:promotional").as_int64(), 1);
  EXPECT_EQ(first["matches_by_platform"].as_object().at("telegram").as_int64(), 1);
  EXPECT_TRUE(first["unknown_domains"].as_object().contains("unknown-site.example"));
  EXPECT_TRUE(first["unknown_domains"].as_object().contains("another-unknown.example"));
  EXPECT_TRUE(first["platforms"].as_object().contains("mega"));

  auto second = Scan("", &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(second["items_new"].as_int64(), 0);
  EXPECT_EQ(second["items_known"].as_int64(), 3);
  EXPECT_EQ(second["matches"].as_int64(), 1);
  EXPECT_EQ(second["matches_new"].as_int64(), 0);

  auto st = store::OpenStore(db_);
  ASSERT_TRUE(st.ok());
  auto stats = (*st)->GetCollectionStats(100);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->items, 3);
  EXPECT_EQ(stats->media, 2);
  EXPECT_EQ(stats->matches, 1);
  // 2 + 2 in the export, 3 in the feed (its own post link on feed.example counts too).
  EXPECT_EQ(stats->links, 7);
  EXPECT_EQ(stats->links_unknown, 3);
  auto item = (*st)->FindItemBySourceKey("telegram:77:1");
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  EXPECT_GT(item->platform_id, 0);  // the Telegram platform, imported from the registry
  EXPECT_EQ(item->posted_ms, 1'795'860'000'000);
  auto links = (*st)->ListLinks(item->id);
  ASSERT_TRUE(links.ok());
  ASSERT_EQ(links->size(), 2u);
  EXPECT_EQ((*links)[1].url, "https://www.youtube.com/watch?v=x1");
  EXPECT_EQ((*links)[1].platform, "youtube");
  // Every write attributed to the actor given.
  bool saw = false;
  ASSERT_TRUE((*st)
                  ->ForEachAudit(0,
                                 [&](const store::AuditEntry& e) {
                                   if (e.action == "item.collect" || e.action == "match.record") {
                                     saw = true;
                                     EXPECT_EQ(e.actor, "cli:scan-test");
                                   }
                                   return true;
                                 })
                  .ok());
  EXPECT_TRUE(saw);
  EXPECT_TRUE((*st)->VerifyAudit()->ok);
}

TEST_F(ScanCli, BankFilterAndUnknownBank) {
  auto only_empty = Scan("--bank empty-bank");
  EXPECT_EQ(only_empty["matches"].as_int64(), 0);
  auto tight = Scan("--bank test-bank --radius 0");  // the copy is a few bits away
  EXPECT_EQ(tight["items_known"].as_int64(), 3);
  ShellRun r = Sh("'" + kVigil + "' scan --db '" + db_ + "' --bank no-such-bank '" +
                  (dir_ / "feed.rss").string() + "' 2>&1");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("bank 'no-such-bank' not found"), std::string::npos) << r.out;
}

TEST_F(ScanCli, MalformedInputNamesFileAndPositionAndKeepsGoodItems) {
  WriteFile(dir_ / "export" / "result.json",
            "{\"name\": \"x\", \"id\": 5, \"messages\": [\n {\"id\": 1, \"type\": "
            "\"message\", \"text\": \"ok\"},\n {\"id\": 2, \"type\": }\n]}");
  WriteFile(dir_ / "bad.rss", "<?xml version=\"1.0\"?>\n<rss><channel><item></channel></rss>");
  ShellRun r =
      Sh("'" + kVigil + "' scan -q --db '" + db_ + "' '" + (dir_ / "export").string() + "' '" +
         (dir_ / "bad.rss").string() + "' '" + (dir_ / "feed.rss").string() + "' 2>&1");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("result.json: line 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bad.rss: line 2"), std::string::npos) << r.out;
  auto st = store::OpenStore(db_);
  ASSERT_TRUE(st.ok());
  // The good feed after the bad ones was still stored; the store is intact.
  EXPECT_TRUE((*st)->FindItemBySourceKey("rss:https://feed.example/:https://feed.example/a").ok());
  EXPECT_TRUE((*st)->VerifyAudit()->ok);
}

TEST_F(ScanCli, DryRunStoresNothing) {
  const std::string other_db = (dir_ / "never.db").string();
  ShellRun r = Sh("'" + kVigil + "' scan --dry-run --db '" + other_db + "' '" +
                  (dir_ / "export").string() + "' 2>&1");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("items            2"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(other_db));
}

}  // namespace
}  // namespace vigil
