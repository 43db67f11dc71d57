// `vigil hash`: PDQ (and digests) of image files, compatible with pdq-photo-hasher, and the
// signals of every other media kind (video, audio, text: pipeline/any_media.h).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "core/file.h"
#include "core/json_escape.h"
#include "media/image.h"
#include "pipeline/any_media.h"
#include "pipeline/media_hasher.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

struct HashFlags {
  std::vector<std::string> paths;
  std::string format = "csv";
  bool dihedral = false;
  unsigned jobs = 0;
  uint64_t max_pixels = limits::kDefaultMaxImagePixels;
  uint64_t max_file_bytes = limits::kDefaultMaxFileBytes;
  bool quiet = false;
  // Other media kinds (pipeline::HashAnyMedia).
  bool no_tmk = false;
  bool ocr = false;
  double seconds_per_frame = 1.0;
  double max_duration = pipeline::kDefaultAnyMediaMaxDurationSeconds;
  int64_t max_frames = pipeline::kDefaultAnyMediaMaxFrames;
};

// Output modes: csv is pdq-photo-hasher's `hash,quality,path` (images only, unchanged);
// the others list every signal of every kind.
enum class OutputMode { kCsv, kJsonl, kSignals, kTypedCsv };

struct Task {
  std::string path;
  bool explicit_file = true;  // named on the command line (vs found in a directory)
};

struct Outcome {
  bool done = false;
  bool skipped = false;
  std::string line;   // stdout line (with newline) or empty
  std::string error;  // stderr line or empty
};

std::string LowerExtension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext;
}

bool LooksLikeImageName(const fs::path& p) {
  const std::string ext = LowerExtension(p);
  static const char* kExts[] = {".jpg",  ".jpeg", ".jpe", ".jfif", ".png", ".gif",
                                ".webp", ".bmp",  ".dib", ".tif",  ".tiff"};
  return std::any_of(std::begin(kExts), std::end(kExts), [&](const char* e) { return ext == e; });
}

// Directory walks in the all-kinds modes also pick these up (explicit files are hashed
// whatever their name; the kind always comes from the bytes).
bool LooksLikeMediaName(const fs::path& p) {
  if (LooksLikeImageName(p)) return true;
  const std::string ext = LowerExtension(p);
  static const char* kExts[] = {".mp4", ".m4v", ".mov",  ".mkv",  ".webm", ".avi",  ".flv",
                                ".ts",  ".mpg", ".mpeg", ".3gp",  ".wmv",  ".asf",  ".ogv",
                                ".mp3", ".wav", ".flac", ".ogg",  ".oga",  ".opus", ".m4a",
                                ".aac", ".amr", ".aif",  ".aiff", ".txt"};
  return std::any_of(std::begin(kExts), std::end(kExts), [&](const char* e) { return ext == e; });
}

// Expands the arguments into files: directories recursively (sorted, so output order is
// stable; hidden entries skipped; only image extensions), `-` reads paths from stdin.
Status CollectTasks(const std::vector<std::string>& args, bool all_kinds,
                    std::vector<Task>& tasks) {
  for (const std::string& arg : args) {
    if (arg == "-") {
      std::string line;
      while (std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) tasks.push_back({line, true});
      }
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(arg, fs::directory_options::skip_permission_denied, ec);
      if (ec) return Status::IOError(arg + ": " + ec.message());
      for (auto end = fs::recursive_directory_iterator(); it != end; it.increment(ec)) {
        if (ec) return Status::IOError(arg + ": " + ec.message());
        const fs::path& p = it->path();
        if (p.filename().string().starts_with(".")) {
          if (it->is_directory(ec)) it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file(ec) && (all_kinds ? LooksLikeMediaName(p) : LooksLikeImageName(p)))
          found.push_back(p.string());
      }
      std::sort(found.begin(), found.end());
      for (auto& f : found) tasks.push_back({std::move(f), false});
    } else {
      tasks.push_back({arg, true});
    }
  }
  return Status::OK();
}

std::string FormatCsv(const pipeline::ImageHashes& h, const std::string& path, bool dihedral) {
  std::string s;
  if (dihedral && h.dihedral) {
    for (const auto& d : h.dihedral->hashes) {
      s += d.ToHex();
      s += ',';
    }
  } else {
    s += h.pdq.hash.ToHex();
    s += ',';
  }
  s += std::to_string(h.pdq.quality);
  s += ',';
  s += path;
  s += '\n';
  return s;
}

std::string FormatJson(const pipeline::ImageHashes& h, const std::string& path, bool dihedral) {
  std::string s = "{\"path\":" + JsonQuote(path) + ",\"pdq\":\"" + h.pdq.hash.ToHex() +
                  "\",\"quality\":" + std::to_string(h.pdq.quality);
  if (dihedral && h.dihedral) {
    s += ",\"dihedral\":[";
    for (size_t i = 0; i < h.dihedral->hashes.size(); ++i) {
      if (i) s += ',';
      s += '"' + h.dihedral->hashes[i].ToHex() + '"';
    }
    s += ']';
  }
  s += ",\"md5\":\"" + h.md5 + "\",\"sha256\":\"" + h.sha256 +
       "\",\"width\":" + std::to_string(h.width) + ",\"height\":" + std::to_string(h.height) +
       ",\"format\":\"" + std::string(media::FormatName(h.format)) + "\"}\n";
  return s;
}

// The signals of an image, in HashAnyMedia's order and form.
std::vector<pipeline::SignalValue> ImageSignals(const pipeline::ImageHashes& h) {
  return {{"pdq", h.pdq.hash.ToHex(), h.pdq.quality}, {"md5", h.md5, -1}, {"sha256", h.sha256, -1}};
}

std::string SignalsJsonArray(const std::vector<pipeline::SignalValue>& signals) {
  std::string s = "[";
  for (size_t i = 0; i < signals.size(); ++i) {
    if (i) s += ',';
    s += "{\"type\":\"" + signals[i].type + "\",\"value\":" + JsonQuote(signals[i].value);
    if (signals[i].quality >= 0) s += ",\"quality\":" + std::to_string(signals[i].quality);
    s += '}';
  }
  return s + "]";
}

// jsonl line of a non-image: path, kind, signals, the digests at top level as for images,
// and the error of any signal that could not be computed.
std::string FormatAnyJson(const pipeline::MediaSignals& m, const std::string& path) {
  std::string s = "{\"path\":" + JsonQuote(path) + ",\"kind\":\"" + m.kind + "\"";
  for (const auto& sig : m.signals) {
    if (sig.type == "md5" || sig.type == "sha256")
      s += ",\"" + sig.type + "\":\"" + sig.value + "\"";
  }
  s += ",\"signals\":" + SignalsJsonArray(m.signals);
  if (!m.error.empty()) s += ",\"error\":" + JsonQuote(m.error);
  return s + "}\n";
}

// --format signals: one JSON object per signal, which `vigil bank import --format jsonl`
// reads as it is (the path and kind are ignored there).
std::string FormatSignalLines(const std::vector<pipeline::SignalValue>& signals,
                              const std::string& kind, const std::string& path) {
  std::string s;
  for (const auto& sig : signals) {
    s += "{\"type\":\"" + sig.type + "\",\"value\":" + JsonQuote(sig.value);
    if (sig.quality >= 0) s += ",\"quality\":" + std::to_string(sig.quality);
    s += ",\"kind\":\"" + kind + "\",\"path\":" + JsonQuote(path) + "}\n";
  }
  return s;
}

// RFC 4180 quoting where needed (vPDQ values hold commas, paths may).
std::string CsvField(const std::string& f) {
  if (f.find_first_of(",\"\n\r") == std::string::npos) return f;
  std::string q = "\"";
  for (char c : f) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + '"';
}

// --format typed-csv: the csv columns (value,quality,path) after a type column, one row
// per signal; quality is empty where the signal has none.
std::string FormatTypedCsv(const std::vector<pipeline::SignalValue>& signals,
                           const std::string& path) {
  std::string s;
  for (const auto& sig : signals) {
    s += sig.type + "," + CsvField(sig.value) + "," +
         (sig.quality >= 0 ? std::to_string(sig.quality) : std::string()) + "," + CsvField(path) +
         "\n";
  }
  return s;
}

int RunHash(const HashFlags& flags) {
  OutputMode mode;
  if (flags.format == "csv") {
    mode = OutputMode::kCsv;
  } else if (flags.format == "jsonl") {
    mode = OutputMode::kJsonl;
  } else if (flags.format == "signals") {
    mode = OutputMode::kSignals;
  } else if (flags.format == "typed-csv") {
    mode = OutputMode::kTypedCsv;
  } else {
    PrintError("hash",
               Status::InvalidArgument("--format must be csv, jsonl, signals or typed-csv"));
    return kExitUsage;
  }
  const bool all_kinds = mode != OutputMode::kCsv;
  std::vector<Task> tasks;
  if (Status s = CollectTasks(flags.paths, all_kinds, tasks); !s.ok()) {
    PrintError("hash", s);
    return kExitFailure;
  }
  const bool json = mode == OutputMode::kJsonl;
  pipeline::ImageHashOptions options;
  options.dihedral = flags.dihedral;
  options.digests = all_kinds;
  options.decode.max_pixels = flags.max_pixels;
  pipeline::AnyMediaOptions any;
  any.video_tmk = !flags.no_tmk;
  any.vpdq_seconds_per_frame = flags.seconds_per_frame;
  any.ocr = flags.ocr;
  any.max_bytes = flags.max_file_bytes;
  any.max_duration_seconds = flags.max_duration;
  any.max_frames = flags.max_frames;
  any.max_image_pixels = flags.max_pixels;

  unsigned jobs = flags.jobs ? flags.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, std::max<size_t>(1, tasks.size()));

  std::vector<Outcome> outcomes(tasks.size());
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= tasks.size()) return;
      const Task& t = tasks[i];
      Outcome o;
      auto bytes = ReadFileBytes(t.path, flags.max_file_bytes);
      // Images take the original path (pdq-photo-hasher's output, byte for byte); other
      // kinds go through HashAnyMedia in the all-kinds modes.
      const bool image = bytes.ok() && media::SniffFormat(*bytes) != media::ImageFormat::kUnknown;
      if (bytes.ok() && !image && all_kinds) {
        pipeline::MediaSignals m = pipeline::HashAnyMedia(*bytes, any);
        if (!m.error.empty()) o.error = "vigil: hash: " + t.path + ": " + m.error + "\n";
        if (json) {
          o.line = FormatAnyJson(m, t.path);
        } else if (mode == OutputMode::kSignals) {
          o.line = FormatSignalLines(m.signals, m.kind, t.path);
        } else {
          o.line = FormatTypedCsv(m.signals, t.path);
        }
        o.done = true;
        {
          std::lock_guard lock(mu);
          outcomes[i] = std::move(o);
        }
        cv.notify_one();
        continue;
      }
      Result<pipeline::ImageHashes> r = bytes.ok() ? pipeline::HashImageBytes(*bytes, options)
                                                   : Result<pipeline::ImageHashes>(bytes.status());
      if (r.ok()) {
        std::vector<pipeline::SignalValue> signals = ImageSignals(*r);
        if (flags.ocr && all_kinds) {
          // OCR text of the image as a text signal (HashAnyMedia computes it with the rest).
          pipeline::MediaSignals m = pipeline::HashAnyMedia(*bytes, any);
          for (auto& sig : m.signals) {
            if (sig.type == "text") signals.push_back(std::move(sig));
          }
          if (!m.error.empty()) o.error = "vigil: hash: " + t.path + ": " + m.error + "\n";
        }
        if (json) {
          o.line = FormatJson(*r, t.path, flags.dihedral);
          o.line.resize(o.line.size() - 2);  // "}\n": the image fields stay as they were
          o.line += ",\"kind\":\"image\",\"signals\":" + SignalsJsonArray(signals) + "}\n";
        } else if (mode == OutputMode::kSignals) {
          o.line = FormatSignalLines(signals, "image", t.path);
        } else if (mode == OutputMode::kTypedCsv) {
          o.line = FormatTypedCsv(signals, t.path);
        } else {
          o.line = FormatCsv(*r, t.path, flags.dihedral);
        }
      } else {
        o.error = "vigil: hash: " + t.path + ": " + r.status().message() + "\n";
        if (json) {
          o.line = "{\"path\":" + JsonQuote(t.path) +
                   ",\"error\":" + JsonQuote(r.status().message()) + ",\"code\":\"" +
                   std::string(StatusCodeName(r.status().code())) + "\"}\n";
        }
      }
      o.done = true;
      {
        std::lock_guard lock(mu);
        outcomes[i] = std::move(o);
      }
      cv.notify_one();
    }
  };

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (unsigned k = 0; k < jobs; ++k) threads.emplace_back(worker);

  // Print in input order as results arrive, with a progress line on a terminal.
  const bool progress = !flags.quiet && ::isatty(STDERR_FILENO) && tasks.size() > 1;
  size_t printed = 0, failures = 0;
  auto last_progress = start;
  while (printed < tasks.size()) {
    Outcome o;
    {
      std::unique_lock lock(mu);
      cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return outcomes[printed].done; });
      if (!outcomes[printed].done) {
        lock.unlock();
      } else {
        o = std::move(outcomes[printed]);
        outcomes[printed] = Outcome{};
      }
    }
    if (o.done) {
      if (!o.error.empty()) {
        ++failures;
        if (progress) std::fputs("\r\033[K", stderr);
        std::fputs(o.error.c_str(), stderr);
      }
      std::fputs(o.line.c_str(), stdout);
      ++printed;
    }
    auto now = std::chrono::steady_clock::now();
    if (progress && now - last_progress > std::chrono::milliseconds(250)) {
      double secs = std::chrono::duration<double>(now - start).count();
      std::fprintf(stderr, "\r\033[K%zu/%zu files, %zu failed, %.0f images/s", printed,
                   tasks.size(), failures, printed / std::max(secs, 1e-9));
      last_progress = now;
    }
  }
  for (auto& t : threads) t.join();
  std::fflush(stdout);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (progress) std::fputs("\r\033[K", stderr);
  if (!flags.quiet) {
    std::fprintf(stderr, "vigil: hash: %zu files, %zu failed, %.2f s, %.1f images/s (%u threads)\n",
                 tasks.size(), failures, secs, (tasks.size() - failures) / std::max(secs, 1e-9),
                 jobs);
  }
  return failures ? kExitFailure : kExitOk;
}

}  // namespace

void RegisterHash(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<HashFlags>();  // shared with the callback CLI11 keeps
  auto* cmd = app.add_subcommand(
      "hash",
      "Compute PDQ hashes of images (JPEG, PNG, GIF, WebP, BMP, TIFF), and with --format\n"
      "jsonl, signals or typed-csv the signals of every media kind: vPDQ, TMK+PDQF and the\n"
      "soundtrack's audio fingerprint of videos, audio fingerprints of audio files, the\n"
      "normalised text of text files, MD5 and SHA-256 of everything (docs/video.md).\n"
      "csv output is `hash,quality,path` per image, exactly like Meta's pdq-photo-hasher, in\n"
      "the order the files were given (directories are walked recursively in sorted order).\n"
      "Images are hashed as displayed (EXIF orientation applied). A file that fails gets one\n"
      "line on stderr and the run goes on; the exit status is 1 if any file failed.");
  cmd->add_option("paths", flags->paths, "Image files, directories, or - to read paths from stdin")
      ->required();
  cmd->add_option("--format", flags->format,
                  "csv: hash,quality,path of images (default); jsonl: one JSON object per file "
                  "with path, kind, signals (type, value, quality), md5, sha256 and for images "
                  "pdq, quality, width, height, format (or error); signals: one JSON object "
                  "per signal (type, value, quality, kind, path), importable with `vigil bank "
                  "import --format jsonl`; typed-csv: type,value,quality,path per signal")
      ->check(CLI::IsMember({"csv", "jsonl", "signals", "typed-csv"}));
  cmd->add_flag("--dihedral", flags->dihedral,
                "Print the 8 dihedral hashes (original, rot90, rot180, rot270, flipx, flipy, "
                "flip+1, flip-1) as the reference's --pdqdih-across does");
  cmd->add_option("-j,--jobs", flags->jobs, "Worker threads (default: all cores)");
  cmd->add_option("--max-pixels", flags->max_pixels,
                  "Refuse images with more pixels than this, read from the header before "
                  "decoding (default 150000000)");
  cmd->add_option("--max-file-bytes", flags->max_file_bytes,
                  "Refuse files larger than this (default 536870912)");
  cmd->add_flag("-q,--quiet", flags->quiet, "No progress line and no summary on stderr");
  cmd->add_flag("--no-tmk", flags->no_tmk, "Videos: skip TMK+PDQF (about halves the time)");
  cmd->add_option("--seconds-per-frame", flags->seconds_per_frame,
                  "Videos: vPDQ hashes one frame per this many seconds (default 1; 0: every "
                  "frame)")
      ->check(CLI::Range(0.0, 3600.0));
  cmd->add_flag("--ocr", flags->ocr,
                "Images: also read their text with Tesseract and add it as a text signal "
                "(slow; not in csv)");
  cmd->add_option("--max-duration", flags->max_duration,
                  "Refuse video and audio longer than this many seconds (default 14400)");
  cmd->add_option("--max-frames", flags->max_frames,
                  "Refuse videos with more frames than this (default 324000)");
  cmd->callback([flags, exit_code] { *exit_code = RunHash(*flags); });
}

}  // namespace vigil::cli
