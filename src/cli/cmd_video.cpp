// `vigil video`: vPDQ and TMK+PDQF signatures of video files, and matching them.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/file.h"
#include "core/json_escape.h"
#include "signals/digest.h"
#include "video/decoder.h"
#include "video/tmk.h"
#include "video/vpdq.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

struct VideoHashFlags {
  std::vector<std::string> paths;
  std::string out_dir;
  bool vpdq = false;
  bool tmk = false;
  bool every_frame = false;
  double seconds_per_hash = video::kDefaultSecondsPerHash;
  uint64_t max_file_bytes = video::kDefaultMaxVideoFileBytes;
  int64_t max_frames = video::kDefaultMaxVideoFrames;
  double max_duration = video::kDefaultMaxVideoDurationSeconds;
  int64_t max_pixels = video::kDefaultMaxVideoPixelsPerFrame;
};

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

Status WriteText(const std::string& path, const std::string& text) {
  return WriteFileAtomic(path, text.data(), text.size());
}

int RunVideoHash(const VideoHashFlags& f) {
  const bool want_vpdq = f.vpdq || !f.tmk;
  const bool want_tmk = f.tmk || !f.vpdq;
  std::error_code ec;
  fs::create_directories(f.out_dir, ec);
  if (!fs::is_directory(f.out_dir, ec)) {
    PrintError("video hash", Status::IOError("cannot create output directory " + f.out_dir));
    return kExitFailure;
  }
  video::VideoLimits limits;
  limits.max_file_bytes = f.max_file_bytes;
  limits.max_frames = f.max_frames;
  limits.max_duration_seconds = f.max_duration;
  limits.max_pixels_per_frame = f.max_pixels;

  std::set<std::string> stems;
  int failures = 0;
  for (const std::string& path : f.paths) {
    auto fail = [&](const Status& s) {
      PrintError("video hash: " + path, s);
      std::cout << "{\"path\":" << JsonQuote(path) << ",\"error\":" << JsonQuote(s.message())
                << ",\"code\":\"" << StatusCodeName(s.code()) << "\"}\n";
      ++failures;
    };
    const std::string stem = fs::path(path).stem().string();
    if (!stems.insert(stem).second) {
      fail(Status::InvalidArgument("another input has the same name; outputs would collide"));
      continue;
    }
    auto bytes = ReadFileBytes(path, f.max_file_bytes);
    if (!bytes.ok()) {
      fail(bytes.status());
      continue;
    }
    std::string line = "{\"path\":" + JsonQuote(path) + ",\"md5\":\"" + digest::Md5Hex(*bytes) +
                       "\",\"sha256\":\"" + digest::Sha256Hex(*bytes) + "\"";
    if (want_vpdq) {
      video::VpdqOptions o;
      o.seconds_per_hash = f.every_frame ? 0.0 : f.seconds_per_hash;
      o.limits = limits;
      auto frames = video::HashVpdq(*bytes, o);
      if (!frames.ok()) {
        fail(frames.status());
        continue;
      }
      const std::string out = (fs::path(f.out_dir) / (stem + ".txt")).string();
      Status s = WriteText(out, video::FormatVpdq(*frames));
      if (!s.ok()) {
        fail(s);
        continue;
      }
      line +=
          ",\"vpdq_frames\":" + std::to_string(frames->size()) + ",\"vpdq_file\":" + JsonQuote(out);
    }
    if (want_tmk) {
      video::TmkOptions o;
      o.limits = limits;
      auto sig = video::ComputeTmk(*bytes, o);
      if (!sig.ok()) {
        fail(sig.status());
        continue;
      }
      const std::string out = (fs::path(f.out_dir) / (stem + ".tmk")).string();
      const auto data = video::SerializeTmk(*sig);
      Status s = WriteFileAtomic(out, data.data(), data.size());
      if (!s.ok()) {
        fail(s);
        continue;
      }
      line += ",\"tmk_frames\":" + std::to_string(sig->frame_feature_count) +
              ",\"tmk_file\":" + JsonQuote(out);
    }
    std::cout << line << "}\n";
  }
  return failures == 0 ? kExitOk : kExitFailure;
}

Result<std::vector<video::VpdqFrame>> LoadVpdq(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(auto bytes, ReadFileBytes(path, uint64_t{256} << 20));
  return video::ParseVpdq(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

struct VideoMatchFlags {
  std::string query;
  std::vector<std::string> targets;
  video::VpdqMatchOptions options;
};

int RunVideoMatch(const VideoMatchFlags& f) {
  auto q = LoadVpdq(f.query);
  if (!q.ok()) {
    PrintError("video match: " + f.query, q.status());
    return ExitCodeFor(q.status());
  }
  int failures = 0;
  for (const std::string& t : f.targets) {
    auto c = LoadVpdq(t);
    if (!c.ok()) {
      PrintError("video match: " + t, c.status());
      ++failures;
      continue;
    }
    const auto r = video::MatchVpdq(*q, *c, f.options);
    std::cout << Fixed(r.query_match_percent, 3) << ',' << Fixed(r.compared_match_percent, 3) << ','
              << (r.is_match ? "MATCH" : "NO_MATCH") << ',' << t << '\n';
  }
  return failures == 0 ? kExitOk : kExitFailure;
}

struct TmkCompareFlags {
  std::string a, b;
  float level1 = video::kTmkLevel1Threshold;
  float level2 = video::kTmkLevel2Threshold;
};

int RunTmkCompare(const TmkCompareFlags& f) {
  auto load = [](const std::string& path) -> Result<video::TmkSignature> {
    VIGIL_ASSIGN_OR_RETURN(auto bytes, ReadFileBytes(path, uint64_t{64} << 20));
    auto sig = video::ParseTmk(bytes);
    if (!sig.ok()) return sig.status().WithContext(path);
    return sig;
  };
  auto a = load(f.a);
  auto b = load(f.b);
  for (const auto* r : {&a, &b}) {
    if (!r->ok()) {
      PrintError("video tmk-compare", r->status());
      return kExitFailure;
    }
  }
  auto l1 = video::TmkLevel1Score(*a, *b);
  auto l2 = video::TmkLevel2Score(*a, *b);
  if (!l1.ok() || !l2.ok()) {
    PrintError("video tmk-compare", l1.ok() ? l2.status() : l1.status());
    return kExitFailure;
  }
  const bool match = *l1 >= f.level1 && *l2 >= f.level2;
  std::cout << Fixed(*l1, 6) << ',' << Fixed(*l2, 6) << ',' << (match ? "MATCH" : "NO_MATCH")
            << '\n';
  return kExitOk;
}

}  // namespace

void RegisterVideo(CLI::App& app, int* exit_code) {
  auto* video = app.add_subcommand(
      "video",
      "Video signatures: vPDQ (Meta's per-frame PDQ) and TMK+PDQF (GIFCT's video hash),\n"
      "conformant with Meta's vpdq-hash-video and tmk-hash-video on the same FFmpeg.");
  video->require_subcommand(1);

  auto hf = std::make_shared<VideoHashFlags>();
  auto* hash = video->add_subcommand(
      "hash",
      "Hash video files. For each FILE writes DIR/NAME.txt (vPDQ: one\n"
      "`frame,quality,pdq_hex,timestamp` line per sampled frame, the reference's format) and\n"
      "DIR/NAME.tmk (TMK+PDQF in the reference's binary .tmk format), and prints one JSON\n"
      "line with the file's MD5 and SHA-256, frame counts and output paths (or the error).\n"
      "Without --vpdq or --tmk both are computed. Exit status 1 if any file failed.");
  hash->add_option("files", hf->paths, "Video files (MP4, MOV, MKV, WebM, AVI, FLV, TS, ...)")
      ->required();
  hash->add_option("-o,--out-dir", hf->out_dir, "Directory for the .txt and .tmk outputs")
      ->required();
  hash->add_flag("--vpdq", hf->vpdq, "Compute vPDQ");
  hash->add_flag("--tmk", hf->tmk, "Compute TMK+PDQF");
  auto* every = hash->add_flag("--every-frame", hf->every_frame,
                               "vPDQ of every frame (the reference's `-r 0`; conformance mode)");
  hash->add_option("--seconds-per-hash", hf->seconds_per_hash,
                   "vPDQ sampling: one frame every this many seconds (default 1, for scanning)")
      ->excludes(every)
      ->check(CLI::Range(0.0, 1e6));
  hash->add_option("--max-file-bytes", hf->max_file_bytes,
                   "Refuse larger files (default 1073741824)");
  hash->add_option("--max-frames", hf->max_frames,
                   "Refuse videos with more frames (default 324000)");
  hash->add_option("--max-duration", hf->max_duration,
                   "Refuse videos longer than this many seconds (default 14400)");
  hash->add_option("--max-pixels", hf->max_pixels,
                   "Refuse frames with more pixels than this (default 40000000)");
  hash->callback([hf, exit_code] { *exit_code = RunVideoHash(*hf); });

  auto mf = std::make_shared<VideoMatchFlags>();
  auto* match = video->add_subcommand(
      "match",
      "Match a query vPDQ file against target vPDQ files with upstream's rule: unique frames,\n"
      "quality >= F, a frame matches within distance D, a match when the matched share of the\n"
      "target's frames >= Pc and of the query's >= Pq. Prints, per target,\n"
      "`query_pct,target_pct,MATCH|NO_MATCH,path`.");
  match->add_option("query", mf->query, "Query vPDQ file (from `vigil video hash`)")->required();
  match->add_option("targets", mf->targets, "Target vPDQ files")->required();
  match->add_option("--quality", mf->options.quality_threshold, "F: minimum frame quality (50)");
  match->add_option("--distance", mf->options.distance_threshold,
                    "D: largest matching Hamming distance (31)");
  match->add_option("--target-pct", mf->options.compared_match_percent,
                    "Pc: minimum matched share of the target's frames, percent (80)");
  match->add_option("--query-pct", mf->options.query_match_percent,
                    "Pq: minimum matched share of the query's frames, percent (0)");
  match->callback([mf, exit_code] { *exit_code = RunVideoMatch(*mf); });

  auto tf = std::make_shared<TmkCompareFlags>();
  auto* tmk = video->add_subcommand(
      "tmk-compare",
      "Compare two .tmk files: prints `level1,level2,MATCH|NO_MATCH` (level 1: cosine of the\n"
      "average frame features; level 2: best time-aligned kernel score; a match when both\n"
      "reach their thresholds, 0.7 and 0.7 by default as the reference validates for PDQF).");
  tmk->add_option("a", tf->a, "First .tmk file")->required();
  tmk->add_option("b", tf->b, "Second .tmk file")->required();
  tmk->add_option("--level1", tf->level1, "Level-1 threshold (0.7)");
  tmk->add_option("--level2", tf->level2, "Level-2 threshold (0.7)");
  tmk->callback([tf, exit_code] { *exit_code = RunTmkCompare(*tf); });
}

}  // namespace vigil::cli
