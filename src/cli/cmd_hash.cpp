// `vigil hash`: PDQ (and digests) of image files, compatible with pdq-photo-hasher.
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
};

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

bool LooksLikeImageName(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  static const char* kExts[] = {".jpg",  ".jpeg", ".jpe", ".jfif", ".png", ".gif",
                                ".webp", ".bmp",  ".dib", ".tif",  ".tiff"};
  return std::any_of(std::begin(kExts), std::end(kExts), [&](const char* e) { return ext == e; });
}

// Expands the arguments into files: directories recursively (sorted, so output order is
// stable; hidden entries skipped; only image extensions), `-` reads paths from stdin.
Status CollectTasks(const std::vector<std::string>& args, std::vector<Task>& tasks) {
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
        if (it->is_regular_file(ec) && LooksLikeImageName(p)) found.push_back(p.string());
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

int RunHash(const HashFlags& flags) {
  if (flags.format != "csv" && flags.format != "jsonl") {
    PrintError("hash", Status::InvalidArgument("--format must be csv or jsonl"));
    return kExitUsage;
  }
  std::vector<Task> tasks;
  if (Status s = CollectTasks(flags.paths, tasks); !s.ok()) {
    PrintError("hash", s);
    return kExitFailure;
  }
  const bool json = flags.format == "jsonl";
  pipeline::ImageHashOptions options;
  options.dihedral = flags.dihedral;
  options.digests = json;
  options.decode.max_pixels = flags.max_pixels;

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
      Result<pipeline::ImageHashes> r = bytes.ok() ? pipeline::HashImageBytes(*bytes, options)
                                                   : Result<pipeline::ImageHashes>(bytes.status());
      if (r.ok()) {
        o.line =
            json ? FormatJson(*r, t.path, flags.dihedral) : FormatCsv(*r, t.path, flags.dihedral);
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
      "Compute PDQ hashes of images (JPEG, PNG, GIF, WebP, BMP, TIFF).\n"
      "Output is `hash,quality,path` per file, exactly like Meta's pdq-photo-hasher, in the\n"
      "order the files were given (directories are walked recursively in sorted order).\n"
      "Images are hashed as displayed (EXIF orientation applied). A file that fails gets one\n"
      "line on stderr and the run goes on; the exit status is 1 if any file failed.");
  cmd->add_option("paths", flags->paths, "Image files, directories, or - to read paths from stdin")
      ->required();
  cmd->add_option("--format", flags->format,
                  "csv: hash,quality,path (default); jsonl: one JSON object per file with path, "
                  "pdq, quality, md5, sha256, width, height, format (or error)")
      ->check(CLI::IsMember({"csv", "jsonl"}));
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
  cmd->callback([flags, exit_code] { *exit_code = RunHash(*flags); });
}

}  // namespace vigil::cli
