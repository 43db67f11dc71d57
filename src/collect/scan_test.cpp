#include "collect/scan.h"

#include <gtest/gtest.h>

#include "collect/jsonl.h"
#include "collect/test_util.h"

namespace vigil::collect {
namespace {

using testing::GradientBmp;
using testing::ScratchDir;

TEST(Scanner, AnalysesLinksAndHashesMedia) {
  auto reg = PlatformRegistry::LoadFile(std::string(VIGIL_SOURCE_DIR) + "/data/platforms.json");
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  ScratchDir dir;
  dir.Write("export/photos/p1.jpg", GradientBmp(96, 64, 9));  // named .jpg, is a BMP
  dir.Write("export/result.json", R"({"name": "Example Bakery", "id": 77, "messages": [
    {"id": 1, "type": "message", "date": "2026-04-01T08:00:00", "photo": "photos/p1.jpg",
     "text": "Bread https://youtu.be/x?utm_source=a and https://youtu.be/x and mailto:a@b.example and https://unlisted.example.net/p",
     "file": "files/gone.mp4"}]})");
  ScanOptions options;
  options.registry = &*reg;
  Scanner scanner(options);
  std::vector<ScannedItem> out;
  Status s = scanner.ScanSource(dir.path() + "/export", [&](ScannedItem&& it) {
    out.push_back(std::move(it));
    return Status::OK();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(out.size(), 1u);
  const ScannedItem& it = out[0];
  ASSERT_EQ(it.links.size(), 2u);  // the two youtu.be spellings are one link
  EXPECT_EQ(it.links[0].platform, "youtube");
  EXPECT_EQ(it.links[0].canonical, "https://youtu.be/x");
  EXPECT_EQ(it.links[1].platform, "unknown");
  EXPECT_EQ(it.links[1].registrable_domain, "example.net");
  ASSERT_EQ(it.media.size(), 2u);
  EXPECT_TRUE(it.media[0].hashed) << it.media[0].error;
  EXPECT_EQ(it.media[0].sniffed_type, "image/bmp");
  EXPECT_EQ(it.media[0].pdq.size(), 64u);
  EXPECT_EQ(it.media[0].width, 96);
  EXPECT_FALSE(it.media[1].hashed);
  const ScanStats& st = scanner.stats();
  EXPECT_EQ(st.items, 1u);
  EXPECT_EQ(st.links, 2u);
  EXPECT_EQ(st.by_platform.at("youtube"), 1u);
  EXPECT_EQ(st.unknown_domains.at("example.net"), 1u);
  EXPECT_EQ(st.media_hashed, 1u);
  EXPECT_EQ(st.media_missing, 1u);

  // The JSON line reads back as ingest input with the same identity and links.
  std::string line = ScannedItemToJsonLine(it);
  auto back = ParseIngestLine(line, "");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->id, "telegram:77:1");
  EXPECT_EQ(back->links, it.item.links);
  EXPECT_NE(line.find("\"pdq\":\"" + it.media[0].pdq + "\""), std::string::npos);
}

}  // namespace
}  // namespace vigil::collect
