// make_demo_images [--small] OUTDIR: writes a small, benign, synthetic demo corpus for
// `make run` (--small: the same corpus with pictures a quarter of the width and height, for
// tests that run the whole chain under sanitizers):
// demo originals and variants for `vigil hash`, and an "action day" for `vigil scan`.
// Every picture is generated here (gradients, circles, stripes; no real content), with
// near-duplicate variants of each (re-encoded, resized, EXIF-rotated, converted to PNG or
// WebP) so that hashing and matching have something to find.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "collect/platforms.h"
#include "media/encode.h"
#include "media/image.h"

namespace {

// Picture sizes are divided by this (--small: 4).
int g_size_divisor = 1;

struct Scene {
  int w, h;
  std::vector<uint8_t> px;
};

Scene Generate(int seed, int w, int h) {
  Scene s{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3)};
  const double a = 0.5 + (seed % 7) * 0.37, b = 0.3 + (seed % 5) * 0.41;
  const double cx = 0.2 + 0.6 * ((seed * 37) % 100) / 100.0;
  const double cy = 0.2 + 0.6 * ((seed * 59) % 100) / 100.0;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double X = static_cast<double>(x) / w, Y = static_cast<double>(y) / h;
      double d = std::hypot(X - cx, Y - cy);
      double base = 120 + 70 * std::sin(6.28 * (a * X + b * Y) + seed);
      // Waves of falling amplitude across PDQ's 16x16 band, like a photo's 1/f spectrum:
      // without them most hash bits sit near the median and any edit flips them.
      for (int k = 1; k <= 14; ++k) {
        const double fx = ((seed * 13 + k * 7) % 15) - 7, fy = ((seed * 29 + k * 11) % 15) - 7;
        const double f = std::max(1.0, std::hypot(fx, fy));
        base += (60.0 / f) * std::sin(6.28 * (fx * X + fy * Y) + k * 1.7 + seed);
      }
      double disc = d < 0.18 ? 90 : 0;
      // A second, darker block gives the picture coarse structure that survives edits.
      const double bx = 1.0 - cx, by = 1.0 - cy;
      if (std::abs(X - bx) < 0.14 && std::abs(Y - by) < 0.10) disc -= 110;
      double stripes = ((static_cast<int>((X + Y) * (48 + seed % 6)) & 1) ? 25 : -25);
      for (int c = 0; c < 3; ++c) {
        double v = base + disc * (c == seed % 3 ? 1 : -0.5) + stripes * (c == 1 ? 1 : 0.3);
        s.px[(static_cast<size_t>(y) * w + x) * 3 + c] =
            static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
      }
    }
  }
  return s;
}

// Box-filter downscale by an integer factor (what an image host's thumbnailer does).
Scene Shrink(const Scene& s, int f) {
  Scene o{s.w / f, s.h / f, {}};
  o.px.resize(static_cast<size_t>(o.w) * o.h * 3);
  for (int y = 0; y < o.h; ++y)
    for (int x = 0; x < o.w; ++x)
      for (int c = 0; c < 3; ++c) {
        int sum = 0;
        for (int dy = 0; dy < f; ++dy)
          for (int dx = 0; dx < f; ++dx)
            sum += s.px[(static_cast<size_t>(y * f + dy) * s.w + x * f + dx) * 3 + c];
        o.px[(static_cast<size_t>(y) * o.w + x) * 3 + c] = static_cast<uint8_t>(sum / (f * f));
      }
  return o;
}

bool Write(const std::string& path, const vigil::Result<std::vector<uint8_t>>& bytes) {
  if (!bytes.ok()) {
    std::fprintf(stderr, "make_demo_images: %s: %s\n", path.c_str(),
                 bytes.status().ToString().c_str());
    return false;
  }
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes->data()),
            static_cast<std::streamsize>(bytes->size()));
  return static_cast<bool>(out);
}

// --- the synthetic "action day" (issue 5) ------------------------------------------------
// A Telegram Desktop channel export (result.json + photos/), an RSS 2.0 feed and an Atom
// feed, as an operation might collect them on one day: invented, benign posts in several
// languages linking to every platform in the registry plus a few unknown sites, with
// photos of which some are edited copies of the bank's originals (demo-00..07).

constexpr int kBankOriginals = 8;  // run-demo.sh puts demo-00..07 into demo-bank
constexpr int kTelegramPosts = 320;
constexpr int kFeedItems = 48;
constexpr int kUnrelatedPhotos = 56;

const char* const kPostTexts[] = {
    "[SYNTHETIC DEMO] Community garden day %d: bring gloves and seeds.",
    "[SYNTHETISCHE DEMO] Gemeinschaftsgarten-Tag %d: Handschuhe und Samen mitbringen.",
    "[D\xC3\x89MO SYNTH\xC3\x89TIQUE] Journ\xC3\xA9"
    "e du jardin partag\xC3\xA9 %d : apportez "
    "gants et graines.",
    "[DEMO SINT\xC3\x89TICA] D\xC3\xAD"
    "a del huerto comunitario %d: trae guantes y semillas.",
    "[DEMO SINTETICA] Giornata dell'orto condiviso %d: portate guanti e semi.",
    "[SENTET\xC4\xB0K DEMO] Topluluk bah\xC3\xA7"
    "esi g\xC3\xBCn\xC3\xBC %d: eldiven ve tohum "
    "getirin.",
    "[\xD0\xA1\xD0\x98\xD0\x9D\xD0\xA2\xD0\x95\xD0\xA2\xD0\x98\xD0\xA7\xD0\x95\xD0\xA1\xD0\x9A"
    "\xD0\x9E\xD0\x95 \xD0\x94\xD0\x95\xD0\x9C\xD0\x9E] \xD0\x94\xD0\xB5\xD0\xBD\xD1\x8C "
    "\xD1\x81\xD0\xB0\xD0\xB4\xD0\xB0 %d: \xD0\xB2\xD0\xBE\xD0\xB7\xD1\x8C\xD0\xBC\xD0\xB8"
    "\xD1\x82\xD0\xB5 \xD0\xBF\xD0\xB5\xD1\x80\xD1\x87\xD0\xB0\xD1\x82\xD0\xBA\xD0\xB8.",
    "[\xD8\xB9\xD8\xB1\xD8\xB6 \xD8\xAA\xD8\xAC\xD8\xB1\xD9\x8A\xD8\xA8\xD9\x8A] \xD9\x8A\xD9\x88"
    "\xD9\x85 \xD8\xA7\xD9\x84\xD8\xAD\xD8\xAF\xD9\x8A\xD9\x82\xD8\xA9 %d: \xD8\xA3\xD8\xAD\xD8"
    "\xB6\xD8\xB1\xD9\x88\xD8\xA7 \xD8\xA7\xD9\x84\xD8\xA8\xD8\xB0\xD9\x88\xD8\xB1.",
};
constexpr int kNumTexts = sizeof(kPostTexts) / sizeof(kPostTexts[0]);

// Links that no registry entry knows: reported by the scan as unknown domains.
const char* const kUnknownLinks[] = {
    "https://mirror-one.example/d/%d",
    "https://files.backup-host.example/get?id=%d&utm_source=demo",
    "http://newsletter-archive.example/issue/%d#top",
    "https://xn--caf-dma.example/p/%d",
};

// One URL per registry platform, on its first URL pattern or domain.
std::vector<std::string> PlatformUrls() {
  std::vector<std::string> out;
  auto reg = vigil::collect::PlatformRegistry::LoadDefault();
  if (!reg.ok()) {
    std::fprintf(stderr, "make_demo_images: %s\n", reg.status().ToString().c_str());
    return out;
  }
  for (const auto& p : reg->platforms()) {
    std::string base = !p.url_patterns.empty() ? p.url_patterns.front()
                       : !p.domains.empty()    ? p.domains.front()
                                               : "";
    if (base.empty()) continue;
    if (base.back() != '/') base += '/';
    out.push_back("https://" + base + "demo-" + p.id);
  }
  return out;
}

std::string JsonString(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

std::string XmlEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '&')
      o += "&amp;";
    else if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
}

// Crops `frac` of each side (what a re-poster's screenshot or a reframing does).
Scene Crop(const Scene& s, double frac) {
  int dx = static_cast<int>(s.w * frac), dy = static_cast<int>(s.h * frac);
  Scene o{s.w - 2 * dx, s.h - 2 * dy, {}};
  o.px.resize(static_cast<size_t>(o.w) * o.h * 3);
  for (int y = 0; y < o.h; ++y)
    for (int x = 0; x < o.w; ++x)
      for (int c = 0; c < 3; ++c)
        o.px[(static_cast<size_t>(y) * o.w + x) * 3 + c] =
            s.px[(static_cast<size_t>(y + dy) * s.w + x + dx) * 3 + c];
  return o;
}

// A translucent banner with blocky "text" in the lower right corner (a channel's mark).
Scene Watermark(Scene s) {
  const int x0 = s.w * 74 / 100, y0 = s.h * 88 / 100, x1 = s.w * 97 / 100, y1 = s.h * 95 / 100;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      bool glyph = ((x - x0) / 9 % 3 != 2) && ((y - y0) > 6) && ((y1 - y) > 6) &&
                   (((x - x0) / 3 + (y - y0) / 3) % 4 != 0);
      for (int c = 0; c < 3; ++c) {
        uint8_t& v = s.px[(static_cast<size_t>(y) * s.w + x) * 3 + c];
        v = static_cast<uint8_t>(glyph ? (v + 3 * 255) / 4 : (3 * v + 255) / 4);
      }
    }
  return s;
}

// Rotates by `degrees` about the centre (bilinear, edges clamped), same size.
Scene Rotate(const Scene& s, double degrees) {
  Scene o{s.w, s.h, std::vector<uint8_t>(s.px.size())};
  const double a = degrees * 3.14159265358979 / 180, ca = std::cos(a), sa = std::sin(a);
  const double cx = s.w / 2.0, cy = s.h / 2.0;
  for (int y = 0; y < s.h; ++y)
    for (int x = 0; x < s.w; ++x) {
      double sx = ca * (x - cx) + sa * (y - cy) + cx, sy = -sa * (x - cx) + ca * (y - cy) + cy;
      sx = std::clamp(sx, 0.0, s.w - 1.001);
      sy = std::clamp(sy, 0.0, s.h - 1.001);
      int ix = static_cast<int>(sx), iy = static_cast<int>(sy);
      double fx = sx - ix, fy = sy - iy;
      for (int c = 0; c < 3; ++c) {
        auto at = [&](int xx, int yy) {
          return static_cast<double>(s.px[(static_cast<size_t>(yy) * s.w + xx) * 3 + c]);
        };
        double v = at(ix, iy) * (1 - fx) * (1 - fy) + at(ix + 1, iy) * fx * (1 - fy) +
                   at(ix, iy + 1) * (1 - fx) * fy + at(ix + 1, iy + 1) * fx * fy;
        o.px[(static_cast<size_t>(y) * s.w + x) * 3 + c] = static_cast<uint8_t>(v + 0.5);
      }
    }
  return o;
}

bool WriteJpeg(const std::filesystem::path& path, const Scene& s, int quality) {
  vigil::media::JpegEncodeOptions q;
  q.quality = quality;
  return Write(path.string(), vigil::media::EncodeJpeg(s.px, s.w, s.h, 3, q));
}

// Writes DIR/action-day/{telegram/result.json, telegram/photos/, feed.rss, feed.atom,
// README.txt}; false if a file could not be written.
bool WriteActionDay(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  const fs::path day = dir / "action-day";
  const fs::path tg = day / "telegram";
  fs::create_directories(tg / "photos");
  std::ofstream(day / "README.txt")
      << "SYNTHETIC DEMO DATA generated by vigil's tools/make_demo_images: an invented,\n"
         "benign \"action day\" (community-garden posts in several languages). Every link\n"
         "points at a made-up path; every picture is generated. Photos named edit-* are\n"
         "edited copies of demo originals 00-07 (the demo bank); other-* are unrelated.\n";
  bool ok = true;
  // Photos: edited copies of the bank's originals, copies of originals outside the bank,
  // unrelated pictures.
  std::vector<std::string> photos;
  for (int i = 0; i < 12; ++i) {
    const Scene s = Generate(i, (1200 + 40 * i) / g_size_divisor, (800 + 25 * i) / g_size_divisor);
    char base[64];
    std::snprintf(base, sizeof base, "photos/edit-%02d", i);
    const std::string b = base;
    if (i < kBankOriginals) {
      ok &= WriteJpeg(tg / (b + "-resized.jpg"), Shrink(s, 2), 85);
      ok &= WriteJpeg(tg / (b + "-recompressed.jpg"), s, 35);
      ok &= WriteJpeg(tg / (b + "-cropped.jpg"), Crop(s, 0.02), 88);
      ok &= WriteJpeg(tg / (b + "-watermarked.jpg"), Watermark(s), 88);
      ok &= WriteJpeg(tg / (b + "-rotated.jpg"), Rotate(s, 1.5), 88);
      for (const char* e : {"resized", "recompressed", "cropped", "watermarked", "rotated"}) {
        photos.push_back(b + "-" + e + ".jpg");
      }
    } else {  // not in the bank: must not match
      ok &= WriteJpeg(tg / (b + "-resized.jpg"), Shrink(s, 2), 85);
      photos.push_back(b + "-resized.jpg");
    }
  }
  for (int i = 0; i < kUnrelatedPhotos; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "photos/other-%02d.jpg", i);
    ok &= WriteJpeg(tg / name, Generate(100 + i, 640 / g_size_divisor, 480 / g_size_divisor), 85);
    photos.push_back(name);
  }

  const std::vector<std::string> platform_urls = PlatformUrls();
  if (platform_urls.empty()) return false;
  const int n_unknown = static_cast<int>(sizeof(kUnknownLinks) / sizeof(kUnknownLinks[0]));
  // Links of post `m`: two or three registry platforms in turn (every platform is used)
  // and, every fifth post, an unknown site.
  auto links_of = [&](int m) {
    std::vector<std::string> out;
    for (int k = 0; k < 2 + m % 2; ++k) {
      size_t p = (static_cast<size_t>(m) * 3 + k) % platform_urls.size();
      out.push_back(platform_urls[p] + "/" + std::to_string(m) + (k == 1 ? "?utm_source=tg" : ""));
    }
    if (m % 5 == 0) {
      char buf[160];
      std::snprintf(buf, sizeof buf, kUnknownLinks[(m / 5) % n_unknown], m);
      out.push_back(buf);
    }
    return out;
  };
  auto text_of = [&](int m) {
    char buf[512];
    std::snprintf(buf, sizeof buf, kPostTexts[m % kNumTexts], m);
    return std::string(buf);
  };

  {
    std::ofstream out(tg / "result.json");
    out << "{\n \"name\": \"Synthetic Demo Garden Channel\",\n \"type\": \"public_channel\",\n"
           " \"id\": 1000000042,\n \"messages\": [\n";
    const size_t photo_every = kTelegramPosts / photos.size();
    size_t photo = 0;
    for (int m = 1; m <= kTelegramPosts; ++m) {
      const std::string text = text_of(m) + " ";
      std::string parts = "[" + JsonString(text),
                  entities = "[{\"type\": \"plain\", \"text\": " + JsonString(text) + "}";
      for (const auto& l : links_of(m)) {
        parts += ", {\"type\": \"link\", \"text\": " + JsonString(l) + "}, \" \"";
        entities += ", {\"type\": \"link\", \"text\": " + JsonString(l) +
                    "}, {\"type\": \"plain\", \"text\": \" \"}";
      }
      parts += "]";
      entities += "]";
      char date[32];
      std::snprintf(date, sizeof date, "2026-11-28T%02d:%02d:%02d", 6 + m * 14 / kTelegramPosts,
                    (m * 7) % 60, (m * 13) % 60);
      out << "  {\n   \"id\": " << m << ",\n   \"type\": \"message\",\n   \"date\": \"" << date
          << "\",\n   \"from\": \"Synthetic Demo Garden Channel\",\n   \"from_id\": "
             "\"channel1000000042\",\n";
      if (m % 40 == 0) out << "   \"forwarded_from\": \"Synthetic Demo Neighbours\",\n";
      if (photo < photos.size() && static_cast<size_t>(m) % photo_every == 0) {
        out << "   \"photo\": " << JsonString(photos[photo++]) << ",\n";
      }
      out << "   \"text\": " << parts << ",\n   \"text_entities\": " << entities << "\n  }"
          << (m < kTelegramPosts ? ",\n" : "\n");
    }
    out << " ]\n}\n";
  }

  // The two feeds carry the same kind of posts; links in their HTML content.
  auto html_of = [&](int m) {
    std::string h = "<p>" + XmlEscape(text_of(m)) + "</p><ul>";
    for (const auto& l : links_of(m)) {
      h += "<li><a href=\"" + XmlEscape(l) + "\">" + XmlEscape(l) + "</a></li>";
    }
    return h + "</ul>";
  };
  {
    std::ofstream rss(day / "feed.rss");
    rss << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\">\n<channel>\n"
           "<title>Synthetic Demo Garden Blog (RSS)</title>\n"
           "<link>https://garden-blog.example/</link>\n"
           "<description>SYNTHETIC DEMO DATA: invented, benign posts</description>\n";
    for (int m = 1; m <= kFeedItems; ++m) {
      const int post = 1000 + m;
      rss << "<item><title>Synthetic post " << post << "</title>"
          << "<link>https://garden-blog.example/posts/" << post << "</link>"
          << "<guid>https://garden-blog.example/posts/" << post << "</guid>"
          << "<pubDate>Sat, 28 Nov 2026 " << (8 + m % 10) << ":15:00 +0000</pubDate>"
          << "<description>" << XmlEscape(html_of(post)) << "</description></item>\n";
    }
    rss << "</channel>\n</rss>\n";
  }
  {
    std::ofstream atom(day / "feed.atom");
    atom << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
            "<title>Synthetic Demo Garden Notes (Atom)</title>\n"
            "<id>urn:uuid:00000000-0000-4000-8000-000000000042</id>\n"
            "<updated>2026-11-28T20:00:00Z</updated>\n"
            "<link href=\"https://notes.garden-blog.example/\"/>\n";
    for (int m = 1; m <= kFeedItems; ++m) {
      const int post = 2000 + m;
      atom << "<entry><title>Synthetic note " << post << "</title>"
           << "<id>urn:uuid:00000000-0000-4000-8000-00000000" << post << "</id>"
           << "<link href=\"https://notes.garden-blog.example/n/" << post << "\"/>"
           << "<updated>2026-11-28T" << (10 + m % 10) << ":30:00Z</updated>"
           << "<content type=\"html\">" << XmlEscape(html_of(post)) << "</content></entry>\n";
    }
    atom << "</feed>\n";
  }
  return ok;
}
}  // namespace

int main(int argc, char** argv) {
  const bool small = argc == 3 && std::string(argv[1]) == "--small";
  if (argc != 2 && !small) {
    std::fprintf(stderr, "usage: make_demo_images [--small] OUTDIR\n");
    return 2;
  }
  if (small) g_size_divisor = 4;
  namespace fs = std::filesystem;
  const fs::path dir = argv[argc - 1];
  fs::create_directories(dir / "originals");
  fs::create_directories(dir / "variants");
  std::ofstream readme(dir / "README.txt");
  readme << "SYNTHETIC DEMO DATA generated by vigil's tools/make_demo_images.\n"
            "Benign generated pictures (gradients, discs, stripes) and near-duplicate variants.\n";
  bool ok = true;
  for (int i = 0; i < 12; ++i) {
    Scene s = Generate(i, (1200 + 40 * i) / g_size_divisor, (800 + 25 * i) / g_size_divisor);
    char name[64];
    std::snprintf(name, sizeof name, "demo-%02d", i);
    const std::string base = std::string(name);
    vigil::media::JpegEncodeOptions q90;
    q90.quality = 90;
    ok &= Write((dir / "originals" / (base + ".jpg")).string(),
                vigil::media::EncodeJpeg(s.px, s.w, s.h, 3, q90));
    if (i % 3 == 0) {  // smaller, re-encoded at low quality
      Scene small = Shrink(s, 3);
      vigil::media::JpegEncodeOptions q60;
      q60.quality = 60;
      ok &= Write((dir / "variants" / (base + "-small.jpg")).string(),
                  vigil::media::EncodeJpeg(small.px, small.w, small.h, 3, q60));
    }
    if (i % 3 == 1) {  // PNG copy
      ok &= Write((dir / "variants" / (base + ".png")).string(),
                  vigil::media::EncodePng(s.px, s.w, s.h, 3));
    }
    if (i % 4 == 2) {  // stored sideways with an EXIF orientation tag: displays upright
      vigil::media::Image img;
      img.width = s.w, img.height = s.h, img.channels = 3, img.pixels = s.px;
      vigil::media::ApplyOrientation(img, 8);
      vigil::media::JpegEncodeOptions exif = q90;
      exif.exif_orientation = 6;
      ok &= Write((dir / "variants" / (base + "-exif6.jpg")).string(),
                  vigil::media::EncodeJpeg(img.pixels, img.width, img.height, 3, exif));
    }
    if (i % 4 == 3) {  // lossy WebP
      ok &= Write((dir / "variants" / (base + ".webp")).string(),
                  vigil::media::EncodeWebp(s.px, s.w, s.h, 80));
    }
  }
  // One corrupt file, to show how failures are reported.
  {
    std::ofstream bad(dir / "variants" / "corrupt.jpg", std::ios::binary);
    bad << "\xFF\xD8\xFF\xE0 this is not really a JPEG";
  }
  ok &= WriteActionDay(dir);
  return ok ? 0 : 1;
}
