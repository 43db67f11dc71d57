// Collection benchmark (issue 5): parse throughput of a large generated Telegram export,
// link analysis, and the whole scan (read + links + hashing) against hashing the same
// images alone, which is the baseline (goal: the pipeline adds <= 25%).
//
// usage: collect_bench [--messages N] [--images M] [--repeat R]
// Everything is generated: invented channel, benign text, gradient JPEGs.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "collect/platforms.h"
#include "collect/scan.h"
#include "collect/source.h"
#include "core/file.h"
#include "media/encode.h"
#include "pipeline/media_hasher.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// CPU time of this (single-threaded) process: robust when other jobs share the machine.
double CpuNow() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Link templates across many registry platforms plus unknown sites; %d is replaced.
const char* kLinks[] = {
    "https://t.me/example_channel_%d/%d",
    "https://www.youtube.com/watch?v=vid%d&utm_source=tg%d",
    "https://youtu.be/clip%d?si=x%d",
    "https://mega.nz/file/f%d#k%d",
    "https://www.mediafire.com/file/m%d/%d",
    "https://archive.org/details/item%d_%d",
    "https://web.archive.org/web/2026/%d/%d",
    "https://archive.ph/a%d%d",
    "https://pastebin.com/raw/p%d%d",
    "https://justpaste.it/j%d_%d",
    "https://bit.ly/b%d%d",
    "https://www.dropbox.com/s/d%d/file%d.pdf?dl=0",
    "https://drive.google.com/file/d/g%d/view?usp=%d",
    "https://docs.google.com/document/d/doc%d/edit#h%d",
    "https://vk.com/wall-%d_%d",
    "https://ok.ru/video/%d%d",
    "https://rumble.com/v%d-%d.html",
    "https://odysee.com/@chan%d/v%d",
    "https://www.bitchute.com/video/bc%d%d/",
    "https://x.com/user%d/status/%d",
    "https://www.facebook.com/p%d/posts/%d?fbclid=zz",
    "https://www.instagram.com/p/i%d%d/",
    "https://www.tiktok.com/@u%d/video/%d",
    "https://files.unlisted-host-%d.example/%d",
    "https://gofile.io/d/g%d%d",
    "https://pixeldrain.com/u/px%d%d",
    "https://1drv.ms/u/s%d%d",
    "https://disk.yandex.ru/d/y%d%d",
    "https://www.reddit.com/r/sub%d/comments/%d",
    "https://rentry.co/r%d%d",
    "https://www.dailymotion.com/video/x%d%d",
    "https://vimeo.com/%d%d",
    "https://discord.gg/inv%d%d",
    "https://chat.whatsapp.com/w%d%d",
    "https://ibb.co/i%d%d",
    "https://imgur.com/a/im%d%d",
    "https://Caf\xC3\xA9-%d.example/%d",
    "https://bsky.app/profile/u%d/post/%d",
};
constexpr int kNumLinks = sizeof(kLinks) / sizeof(kLinks[0]);

std::string Link(int a, int b) {
  char buf[256];
  std::snprintf(buf, sizeof buf, kLinks[(a * 7 + b) % kNumLinks], a % 97, b);
  return buf;
}

std::string JsonEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

void GenerateExport(const std::string& dir, int messages, int images) {
  fs::create_directories(dir + "/photos");
  for (int i = 0; i < images; ++i) {
    const int w = 640, h = 480;
    std::vector<uint8_t> px(static_cast<size_t>(w) * h * 3);
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        size_t at = (static_cast<size_t>(y) * w + x) * 3;
        px[at] = static_cast<uint8_t>((x * (i % 5 + 1) + y) & 0xFF);
        px[at + 1] = static_cast<uint8_t>((y * (i % 3 + 1) + i * 13) & 0xFF);
        px[at + 2] = static_cast<uint8_t>(((x ^ y) + i) & 0xFF);
      }
    }
    auto jpeg = vigil::media::EncodeJpeg(px, w, h, 3);
    if (!jpeg.ok()) std::abort();
    std::ofstream(dir + "/photos/photo_" + std::to_string(i) + ".jpg", std::ios::binary)
        .write(reinterpret_cast<const char*>(jpeg->data()),
               static_cast<std::streamsize>(jpeg->size()));
  }
  std::ofstream out(dir + "/result.json");
  out << "{\n \"name\": \"Example Benchmark Channel\",\n \"type\": \"public_channel\",\n"
         " \"id\": 4200000001,\n \"messages\": [\n";
  int photo_every = images > 0 ? std::max(1, messages / images) : 0;
  int photo = 0;
  for (int m = 1; m <= messages; ++m) {
    int nlinks = 1 + m % 4;
    std::string text_parts = "[\"Post " + std::to_string(m) + " about gardening, see \"";
    std::string entities = "[{\"type\": \"plain\", \"text\": \"Post " + std::to_string(m) +
                           " about gardening, see \"}";
    for (int k = 0; k < nlinks; ++k) {
      std::string l = JsonEscape(Link(m, k));
      text_parts += ", {\"type\": \"link\", \"text\": \"" + l + "\"}, \" \"";
      entities +=
          ", {\"type\": \"link\", \"text\": \"" + l + "\"}, {\"type\": \"plain\", \"text\": \" \"}";
    }
    text_parts += "]";
    entities += "]";
    out << "  {\n   \"id\": " << m << ",\n   \"type\": \"message\",\n   \"date\": \"2026-05-0"
        << (1 + m % 9) << "T10:00:00\",\n   \"date_unixtime\": \"" << 1777000000 + m
        << "\",\n   \"from\": \"Example Benchmark Channel\",\n   \"from_id\": "
           "\"channel4200000001\",\n";
    if (photo_every > 0 && m % photo_every == 0 && photo < images) {
      out << "   \"photo\": \"photos/photo_" << photo++
          << ".jpg\",\n   \"width\": 640,\n   \"height\": 480,\n";
    }
    out << "   \"text\": " << text_parts << ",\n   \"text_entities\": " << entities << "\n  }"
        << (m < messages ? ",\n" : "\n");
  }
  out << " ]\n}\n";
}

}  // namespace

int main(int argc, char** argv) {
  int messages = 5000, images = 500, repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--messages") messages = std::atoi(argv[i + 1]);
    if (a == "--images") images = std::atoi(argv[i + 1]);
    if (a == "--repeat") repeat = std::max(1, std::atoi(argv[i + 1]));
  }
  std::string tmpl = (fs::temp_directory_path() / "vigil-collect-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return 1;
  const std::string dir = tmpl;
  auto t = Clock::now();
  GenerateExport(dir, messages, images);
  uint64_t json_bytes = fs::file_size(dir + "/result.json");
  std::printf("generated %d messages (%.1f MiB result.json), %d JPEG 640x480 photos in %.1f s\n",
              messages, json_bytes / 1048576.0, images, Since(t));

  auto reg = vigil::collect::PlatformRegistry::LoadDefault();
  if (!reg.ok()) {
    std::fprintf(stderr, "%s\n", reg.status().ToString().c_str());
    return 1;
  }

  // 1. Read only (parse result.json, build items).
  std::vector<double> read_s, read_s_cpu;
  size_t items = 0, raw_links = 0;
  for (int r = 0; r < repeat; ++r) {
    t = Clock::now();
    double c = CpuNow();
    auto all = vigil::collect::ReadAllItems(dir, {});
    read_s.push_back(Since(t));
    read_s_cpu.push_back(CpuNow() - c);
    if (!all.ok()) return 1;
    items = all->size();
    raw_links = 0;
    for (const auto& it : *all) raw_links += it.links.size();
  }
  // 2. Read + link analysis, no hashing.
  std::vector<double> links_s, links_s_cpu;
  vigil::collect::ScanStats link_stats;
  for (int r = 0; r < repeat; ++r) {
    vigil::collect::ScanOptions o;
    o.registry = &*reg;
    o.hash_media = false;
    vigil::collect::Scanner s(o);
    t = Clock::now();
    double c = CpuNow();
    if (!s.ScanSource(dir, [](vigil::collect::ScannedItem&&) {
            return vigil::Status::OK();
          }).ok()) {
      return 1;
    }
    links_s.push_back(Since(t));
    links_s_cpu.push_back(CpuNow() - c);
    link_stats = s.stats();
  }
  // 3. Baseline: hash the same photos alone (read file + decode + PDQ + digests).
  std::vector<std::string> photos;
  for (const auto& e : fs::directory_iterator(dir + "/photos")) photos.push_back(e.path().string());
  std::sort(photos.begin(), photos.end());
  std::vector<double> hash_s, hash_s_cpu;
  for (int r = 0; r < repeat; ++r) {
    t = Clock::now();
    double c = CpuNow();
    for (const auto& p : photos) {
      auto bytes = vigil::ReadFileBytes(p, vigil::limits::kDefaultMaxFileBytes);
      if (!bytes.ok() || !vigil::pipeline::HashImageBytes(*bytes, {}).ok()) return 1;
    }
    hash_s.push_back(Since(t));
    hash_s_cpu.push_back(CpuNow() - c);
  }
  // 4. Full scan: read + links + hashing.
  std::vector<double> scan_s, scan_s_cpu;
  vigil::collect::ScanStats scan_stats;
  for (int r = 0; r < repeat; ++r) {
    vigil::collect::ScanOptions o;
    o.registry = &*reg;
    vigil::collect::Scanner s(o);
    t = Clock::now();
    double c = CpuNow();
    if (!s.ScanSource(dir, [](vigil::collect::ScannedItem&&) {
            return vigil::Status::OK();
          }).ok()) {
      return 1;
    }
    scan_s.push_back(Since(t));
    scan_s_cpu.push_back(CpuNow() - c);
    scan_stats = s.stats();
  }
  // Rates use CPU seconds (one thread), so a busy machine does not skew them; wall
  // seconds are printed beside them.
  double rd = Median(read_s_cpu), lk = Median(links_s_cpu), hs = Median(hash_s_cpu),
         sc = Median(scan_s_cpu);
  double rdw = Median(read_s), lkw = Median(links_s), hsw = Median(hash_s), scw = Median(scan_s);
  std::printf("\nmedian of %d runs, one thread\n", repeat);
  std::printf("%-40s %9s %9s %12s %16s\n", "stage", "cpu s", "wall s", "items/s", "other");
  std::printf("%-40s %9.3f %9.3f %12.0f %10.1f MiB/s\n", "read export (parse + items)", rd, rdw,
              items / rd, json_bytes / 1048576.0 / rd);
  std::printf("%-40s %9.3f %9.3f %12.0f %10.0f links/s\n", "read + link analysis (no hashing)", lk,
              lkw, items / lk, link_stats.links / (lk - rd > 0 ? lk - rd : lk));
  std::printf("%-40s %9.3f %9.3f %12s %10.1f img/s\n", "baseline: hash the photos alone", hs, hsw,
              "-", hs > 0 ? photos.size() / hs : 0.0);
  std::printf("%-40s %9.3f %9.3f %12.0f %10.1f img/s\n", "full scan (read + links + hash)", sc, scw,
              items / sc, scan_stats.media_hashed / sc);
  std::printf(
      "\nitems %zu, links %zu raw / %llu unique per item, platforms %zu known + %zu unknown "
      "domains, media hashed %llu\n",
      items, raw_links, static_cast<unsigned long long>(link_stats.links),
      link_stats.by_platform.size(), link_stats.unknown_domains.size(),
      static_cast<unsigned long long>(scan_stats.media_hashed));
  std::printf("scan stage shares: read %.0f%%, links %.0f%%, hash %.0f%%\n",
              100 *
                  (scan_stats.seconds_total - scan_stats.seconds_links - scan_stats.seconds_hash) /
                  scan_stats.seconds_total,
              100 * scan_stats.seconds_links / scan_stats.seconds_total,
              100 * scan_stats.seconds_hash / scan_stats.seconds_total);
  if (!photos.empty()) {
    std::printf(
        "scan / hash-alone (cpu) = %.2fx (pipeline adds %.0f%% over hashing the same media)\n",
        hs > 0 ? sc / hs : 0.0, hs > 0 ? 100 * (sc / hs - 1) : 0.0);
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
