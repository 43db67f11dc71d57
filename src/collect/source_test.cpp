#include "collect/source.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "collect/jsonl.h"
#include "collect/test_util.h"
#include "collect/url.h"

namespace vigil::collect {
namespace {

using testing::GradientBmp;
using testing::ScratchDir;

Result<std::vector<Item>> ReadAll(const std::string& spec) { return ReadAllItems(spec, {}); }

const char kTelegramExport[] = R"J({
 "name": "Example Garden Club",
 "type": "public_channel",
 "id": 1000000001,
 "messages": [
  {"id": 1, "type": "service", "date": "2026-01-01T10:00:00", "actor": "Example Garden Club",
   "action": "create_channel", "text": "", "text_entities": []},
  {"id": 2, "type": "message", "date": "2026-01-02T03:04:05", "date_unixtime": "1767322945",
   "from": "Example Garden Club", "from_id": "channel1000000001",
   "photo": "photos/photo_1@02-01-2026_03-04-05.jpg", "width": 64, "height": 48,
   "text": ["Spring bulbs are in! See ",
            {"type": "link", "text": "https://www.youtube.com/watch?v=abc&utm_source=tg"},
            " and ", {"type": "text_link", "text": "our mirror", "href": "https://mega.nz/file/xyz"}],
   "text_entities": [
     {"type": "plain", "text": "Spring bulbs are in! See "},
     {"type": "link", "text": "https://www.youtube.com/watch?v=abc&utm_source=tg"},
     {"type": "plain", "text": " and "},
     {"type": "text_link", "text": "our mirror", "href": "https://mega.nz/file/xyz"},
     {"type": "mention", "text": "@tulip_friends"}]},
  {"id": 3, "type": "message", "date": "2026-01-03T08:00:00", "forwarded_from": "Tulip Friends",
   "text": "Plain text export: https://pastebin.com/raw/abc123.",
   "file": "(File not included. Change data exporting settings to download.)",
   "media_type": "video_file", "mime_type": "video/mp4"},
  {"id": 4, "type": "message", "date": "2026-01-04T09:00:00", "text": "",
   "photo": "../../outside/secret.jpg"}
 ]
})J";

TEST(TelegramSource, ReadsMessagesLinksMentionsAndMedia) {
  ScratchDir dir;
  dir.Write("export/result.json", kTelegramExport);
  dir.Write("export/photos/photo_1@02-01-2026_03-04-05.jpg", GradientBmp(64, 48, 1));
  auto items = ReadAll(dir.path() + "/export");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 3u);  // the service message is not a post
  const Item& a = (*items)[0];
  EXPECT_EQ(a.kind, "telegram");
  EXPECT_EQ(a.id, "telegram:1000000001:2");
  EXPECT_EQ(a.channel, "Example Garden Club");
  EXPECT_EQ(a.published, "2026-01-02T03:04:05");
  EXPECT_EQ(a.text,
            "Spring bulbs are in! See https://www.youtube.com/watch?v=abc&utm_source=tg "
            "and our mirror");
  ASSERT_EQ(a.links.size(), 3u);
  EXPECT_EQ(a.links[1], "https://mega.nz/file/xyz");
  EXPECT_EQ(a.links[2], "https://t.me/tulip_friends");
  ASSERT_EQ(a.media.size(), 1u);
  EXPECT_FALSE(a.media[0].missing);
  EXPECT_EQ(a.media[0].role, "photo");

  const Item& b = (*items)[1];
  EXPECT_EQ(b.forwarded_from, "Tulip Friends");
  ASSERT_EQ(b.links.size(), 1u);
  EXPECT_EQ(b.links[0], "https://pastebin.com/raw/abc123");
  ASSERT_EQ(b.media.size(), 1u);
  EXPECT_TRUE(b.media[0].missing);
  EXPECT_EQ(b.media[0].role, "video_file");

  // A path that leaves the export folder is reported, never opened.
  const Item& c = (*items)[2];
  ASSERT_EQ(c.media.size(), 1u);
  EXPECT_TRUE(c.media[0].missing);
}

TEST(TelegramSource, SameExportTwiceGivesSameIds) {
  ScratchDir dir;
  std::string p = dir.Write("result.json", kTelegramExport);
  auto first = ReadAll(p);
  auto second = ReadAll("telegram:" + p);
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_EQ(first->size(), second->size());
  for (size_t i = 0; i < first->size(); ++i) EXPECT_EQ((*first)[i].id, (*second)[i].id);
}

TEST(TelegramSource, MalformedExportNamesFileAndPosition) {
  ScratchDir dir;
  std::string text = kTelegramExport;
  std::string p = dir.Write("broken/result.json", text.substr(0, text.size() / 2));
  auto items = ReadAll(dir.path() + "/broken");
  ASSERT_FALSE(items.ok());
  EXPECT_EQ(items.status().code(), StatusCode::kCorruption);
  EXPECT_NE(items.status().message().find(p + ": line "), std::string::npos)
      << items.status().message();
  // Trailing junk after the document.
  dir.Write("junk/result.json", std::string(kTelegramExport) + "\n}");
  items = ReadAll(dir.path() + "/junk");
  ASSERT_FALSE(items.ok());
  EXPECT_NE(items.status().message().find("unexpected data"), std::string::npos);
  // Oversize: refused before reading.
  SourceOptions small;
  small.max_source_bytes = 100;
  EXPECT_EQ(ReadAllItems(p, small).status().code(), StatusCode::kResourceExhausted);
}

TEST(ActivityPubSource, ReadsMastodonArchive) {
  ScratchDir dir;
  dir.Write("archive/outbox.json", R"({
    "@context": "https://www.w3.org/ns/activitystreams",
    "id": "outbox.json", "type": "OrderedCollection", "totalItems": 3,
    "orderedItems": [
      {"id": "https://social.example/users/gardener/statuses/1/activity", "type": "Create",
       "actor": "https://social.example/users/gardener", "published": "2026-02-01T12:00:00Z",
       "object": {"id": "https://social.example/users/gardener/statuses/1", "type": "Note",
         "url": "https://social.example/@gardener/1",
         "attributedTo": "https://social.example/users/gardener",
         "content": "<p>New seeds: <a href=\"https://bit.ly/seeds1\">link</a> and https://vimeo.com/123</p>",
         "attachment": [{"type": "Document", "mediaType": "image/bmp",
                         "url": "/media_attachments/files/000/000/001/original/a.bmp"},
                        {"type": "Document", "mediaType": "image/png",
                         "url": "/media_attachments/files/000/000/002/original/gone.png"}],
         "tag": [{"type": "Mention", "href": "https://other.example/users/bob", "name": "@bob"}]}},
      {"id": "https://social.example/users/gardener/statuses/2/activity", "type": "Announce",
       "actor": "https://social.example/users/gardener", "published": "2026-02-02T12:00:00Z",
       "object": "https://another.example/users/alice/statuses/9"},
      {"id": "x", "type": "Like", "object": "https://another.example/statuses/10"}]})");
  dir.Write("archive/media_attachments/files/000/000/001/original/a.bmp", GradientBmp(32, 32, 2));
  auto items = ReadAll(dir.path() + "/archive");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 2u);
  const Item& a = (*items)[0];
  EXPECT_EQ(a.kind, "activitypub");
  EXPECT_EQ(a.id, "activitypub:https://social.example/users/gardener/statuses/1");
  EXPECT_EQ(a.url, "https://social.example/@gardener/1");
  EXPECT_EQ(a.text, "New seeds: link and https://vimeo.com/123");
  ASSERT_EQ(a.links.size(), 3u);
  EXPECT_EQ(a.links[0], "https://bit.ly/seeds1");
  EXPECT_EQ(a.links[1], "https://vimeo.com/123");
  EXPECT_EQ(a.links[2], "https://other.example/users/bob");
  ASSERT_EQ(a.media.size(), 2u);
  EXPECT_FALSE(a.media[0].missing);
  EXPECT_TRUE(a.media[1].missing);
  const Item& b = (*items)[1];
  EXPECT_EQ(b.forwarded_from, "https://another.example/users/alice/statuses/9");
}

TEST(FeedSource, ReadsRss) {
  ScratchDir dir;
  std::string p = dir.Write("feed.xml", R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Example Allotment News</title><link>https://news.example/</link>
<item><title>Compost tips</title><link>https://news.example/compost</link>
  <guid>news-1</guid><pubDate>Mon, 05 Jan 2026 10:00:00 GMT</pubDate><dc:creator>Ann</dc:creator>
  <description><![CDATA[<p>Read <a href="/guides/compost.html">our guide</a> or
  <a href="https://www.dropbox.com/s/abc/guide.pdf?dl=0">the PDF</a>.
  <img src="https://news.example/img/heap.jpg"></p>]]></description>
  <enclosure url="https://news.example/audio/ep1.mp3" type="audio/mpeg" length="1"/>
  <media:content url="https://news.example/v/clip.mp4" type="video/mp4"/></item>
<item><title>No guid</title><description>Visit https://www.reddit.com/r/gardening today</description></item>
</channel></rss>)");
  auto items = ReadAll(p);
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 2u);
  const Item& a = (*items)[0];
  EXPECT_EQ(a.kind, "rss");
  EXPECT_EQ(a.id, "rss:https://news.example/:news-1");
  EXPECT_EQ(a.author, "Ann");
  ASSERT_GE(a.links.size(), 3u);
  EXPECT_EQ(a.links[0], "https://news.example/compost");
  EXPECT_EQ(a.links[1], "https://news.example/guides/compost.html");  // resolved
  EXPECT_EQ(a.links[2], "https://www.dropbox.com/s/abc/guide.pdf?dl=0");
  ASSERT_EQ(a.media.size(), 3u);
  EXPECT_EQ(a.media[0].url, "https://news.example/img/heap.jpg");
  EXPECT_EQ(a.media[1].role, "enclosure");
  EXPECT_EQ(a.media[2].role, "video");
  const Item& b = (*items)[1];
  EXPECT_EQ(b.id.rfind("rss:https://news.example/:sha256-", 0), 0u) << b.id;
  ASSERT_EQ(b.links.size(), 1u);
  EXPECT_EQ(b.links[0], "https://www.reddit.com/r/gardening");
}

TEST(FeedSource, ReadsAtom) {
  ScratchDir dir;
  std::string p = dir.Write("atom.xml", R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Bird Notes</title><id>urn:example:birds</id>
<entry><title>Robins</title><id>urn:example:birds:1</id>
  <link rel="alternate" href="https://birds.example/robins"/>
  <link rel="enclosure" type="image/png" href="https://birds.example/robin.png"/>
  <link rel="related" href="https://archive.org/details/robins"/>
  <published>2026-03-01T00:00:00Z</published><author><name>Bo</name></author>
  <content type="html">&lt;p&gt;Watch &lt;a href="https://rumble.com/v1"&gt;this&lt;/a&gt;&lt;/p&gt;</content></entry>
<entry><title>Wrens</title><id>urn:example:birds:2</id>
  <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">See <a href="https://odysee.com/@birds">odysee</a></div></content></entry>
</feed>)");
  auto items = ReadAll(p);
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 2u);
  const Item& a = (*items)[0];
  EXPECT_EQ(a.kind, "atom");
  EXPECT_EQ(a.id, "atom:urn:example:birds:urn:example:birds:1");
  EXPECT_EQ(a.author, "Bo");
  ASSERT_EQ(a.links.size(), 3u);
  EXPECT_EQ(a.links[0], "https://birds.example/robins");
  EXPECT_EQ(a.links[1], "https://rumble.com/v1");
  EXPECT_EQ(a.links[2], "https://archive.org/details/robins");
  ASSERT_EQ(a.media.size(), 1u);
  EXPECT_EQ(a.media[0].role, "enclosure");
  const Item& b = (*items)[1];
  ASSERT_EQ(b.links.size(), 1u);
  EXPECT_EQ(b.links[0], "https://odysee.com/@birds");
}

TEST(FeedSource, MalformedFeedNamesPositionAndEntitiesStayUnexpanded) {
  ScratchDir dir;
  std::string p = dir.Write("bad.xml",
                            "<?xml version=\"1.0\"?>\n<rss><channel>\n<item><title>x</tit"
                            "le></item>\n<item><title>y</item></channel></rss>");
  auto items = ReadAll(p);
  ASSERT_FALSE(items.ok());
  EXPECT_EQ(items.status().code(), StatusCode::kCorruption);
  EXPECT_NE(items.status().message().find(p + ": line 4"), std::string::npos)
      << items.status().message();

  std::string secret = dir.Write("secret.txt", "TOP-SECRET-LOCAL-FILE");
  std::string xxe = dir.Write(
      "xxe.xml", "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM \"file://" + secret +
                     "\">]>\n<rss><channel><item><title>t</title><description>&x;</description>"
                     "</item></channel></rss>");
  items = ReadAll(xxe);
  if (items.ok()) {
    for (const auto& it : *items) {
      EXPECT_EQ(it.text.find("TOP-SECRET"), std::string::npos);
      EXPECT_EQ(it.title.find("TOP-SECRET"), std::string::npos);
    }
  }
}

TEST(HtmlSource, ReadsLinksAndImagesFromAPage) {
  ScratchDir dir;
  std::string p = dir.Write("page.html", R"J(<!doctype html><html><head><title>Plant swap</title>
<meta property="og:image" content="https://img.example/og.png"></head>
<body><p>Swap list at <a href="https://justpaste.it/abc">justpaste</a>, video on
<a href="https://www.bitchute.com/video/xyz/">bitchute</a>, <a href="#top">top</a>
<a href="javascript:void(0)">js</a> <a href="local/page.html">rel</a>
<img src="https://i.imgur.com/abc.png"><script>var u = "https://ignored.example/";</script>
<iframe src="https://www.youtube-nocookie.com/embed/1"></iframe><p>unclosed <b>tags)J");
  auto items = ReadAll(p);
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 1u);
  const Item& a = (*items)[0];
  EXPECT_EQ(a.kind, "html");
  EXPECT_EQ(a.title, "Plant swap");
  ASSERT_EQ(a.links.size(), 4u);
  EXPECT_EQ(a.links[0], "https://justpaste.it/abc");
  EXPECT_EQ(a.links[2], "local/page.html");  // no base: kept as written
  EXPECT_EQ(a.links[3], "https://www.youtube-nocookie.com/embed/1");
  ASSERT_EQ(a.media.size(), 2u);
  EXPECT_EQ(a.text.find("ignored"), std::string::npos);
}

TEST(JsonlSource, ReadsIngestFormatAndStopsAtABadLineNamingIt) {
  ScratchDir dir;
  dir.Write("media/one.bmp", GradientBmp(16, 16, 3));
  std::string p = dir.Write(
      "items.jsonl",
      R"({"id": "partner:42", "channel": "Example Board", "text": "see https://x.com/a/status/1", "links": ["https://t.co/abc"], "media": [{"path": "media/one.bmp", "role": "image"}, {"url": "https://img.example/b.jpg"}]})"
      "\n\n"
      R"({"url": "https://forum.example/t/7", "text": "no id, url instead"})"
      "\n"
      R"({"id": "partner:44", "links": [1, 2]})"
      "\n");
  std::vector<Item> got;
  auto source = OpenSource(p, {});
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  EXPECT_EQ(source->kind(), "jsonl");
  Status s = source->Read([&](Item&& it) {
    got.push_back(std::move(it));
    return Status::OK();
  });
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(p + ": line 4"), std::string::npos) << s.message();
  ASSERT_EQ(got.size(), 2u);  // lines before the bad one were delivered
  EXPECT_EQ(got[0].id, "partner:42");
  EXPECT_EQ(got[0].links.size(), 1u);
  ASSERT_EQ(got[0].media.size(), 2u);
  EXPECT_FALSE(got[0].media[0].missing);
  EXPECT_EQ(got[1].id, "jsonl:https://forum.example/t/7");
}

TEST(JsonlSource, RoundTripsItsOwnOutput) {
  Item item;
  item.id = "telegram:1:2";
  item.kind = "telegram";
  item.text = "caf\xC3\xA9 \"quoted\"";
  item.links = {"https://t.me/x"};
  item.media.push_back({"", "https://img.example/a.png", "image/png", "image", false});
  std::string line = boost::json::serialize(ItemToJson(item));
  auto back = ParseIngestLine(line, "");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->id, item.id);
  EXPECT_EQ(back->text, item.text);
  EXPECT_EQ(back->links, item.links);
  EXPECT_EQ(back->media.at(0).url, "https://img.example/a.png");
}

TEST(FolderSource, ListsMediaFilesInOrderWithoutFollowingLinks) {
  ScratchDir dir;
  dir.Write("pics/b.bmp", GradientBmp(8, 8, 4));
  dir.Write("pics/sub/a.bmp", GradientBmp(8, 8, 5));
  dir.Write("pics/notes.txt", "not media");
  dir.Write("pics/clip.mp4", std::string("\0\0\0\x18"
                                         "ftypmp42",
                                         12) +
                                 std::string(20, '\0'));
  dir.Write("outside/c.bmp", GradientBmp(8, 8, 6));
  std::filesystem::create_directory_symlink(dir.path() + "/outside", dir.path() + "/pics/link");
  auto items = ReadAll(dir.path() + "/pics");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ((*items)[0].id, "folder:pics:b.bmp");
  EXPECT_EQ((*items)[1].id, "folder:pics:clip.mp4");
  EXPECT_EQ((*items)[1].media[0].role, "video");
  EXPECT_EQ((*items)[2].id, "folder:pics:sub/a.bmp");
}

TEST(OpenSource, ExplainsWhatItCannotRead) {
  ScratchDir dir;
  std::string p = dir.Write("blob.bin", std::string("\x01\x02\x03\x00", 4));
  auto s = OpenSource(p, {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(OpenSource(dir.path() + "/nope", {}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(OpenSource("https://feeds.example/rss", {}).status().code(),
            StatusCode::kFailedPrecondition);  // no fetcher configured
}

}  // namespace
}  // namespace vigil::collect
