// `vigil audio`: Chromaprint fingerprints of audio files and video soundtracks, and
// comparing them by bit error rate with alignment.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "audio/audio.h"
#include "cli/commands.h"
#include "core/file.h"
#include "core/json_escape.h"

namespace vigil::cli {
namespace {

struct AudioFlags {
  std::vector<std::string> paths;
  audio::AudioOptions options;
  audio::AudioMatchOptions match;
};

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

// A media file, or an encoded fingerprint written as `fp:BASE64`.
Result<audio::AudioFingerprint> Load(const std::string& arg, const audio::AudioOptions& o) {
  if (arg.rfind("fp:", 0) == 0) return audio::DecodeFingerprint(arg.substr(3));
  VIGIL_ASSIGN_OR_RETURN(auto bytes, ReadFileBytes(arg, o.max_file_bytes));
  return audio::FingerprintAudio(bytes, o);
}

int RunFingerprint(const AudioFlags& f) {
  int rc = kExitOk;
  for (const std::string& path : f.paths) {
    auto fp = Load(path, f.options);
    Result<std::string> enc = fp.ok() ? audio::EncodeFingerprint(*fp) : fp.status();
    if (!enc.ok()) {
      PrintError("audio fingerprint: " + path, enc.status());
      std::cout << "{\"path\":" << JsonQuote(path)
                << ",\"error\":" << JsonQuote(enc.status().message()) << ",\"code\":\""
                << StatusCodeName(enc.status().code()) << "\"}\n";
      rc = kExitFailure;
      continue;
    }
    std::cout << "{\"path\":" << JsonQuote(path)
              << ",\"duration\":" << Fixed(fp->duration_seconds, 3)
              << ",\"items\":" << fp->raw.size() << ",\"fingerprint\":" << JsonQuote(*enc) << "}\n";
  }
  return rc;
}

int RunCompare(const AudioFlags& f) {
  auto a = Load(f.paths[0], f.options);
  if (!a.ok()) {
    PrintError("audio compare: " + f.paths[0], a.status());
    return kExitFailure;
  }
  auto b = Load(f.paths[1], f.options);
  if (!b.ok()) {
    PrintError("audio compare: " + f.paths[1], b.status());
    return kExitFailure;
  }
  const audio::AudioMatch m = audio::CompareFingerprints(a->raw, b->raw, f.match);
  std::cout << "{\"match\":" << (m.match ? "true" : "false")
            << ",\"bit_error_rate\":" << Fixed(m.bit_error_rate, 4)
            << ",\"contrast\":" << Fixed(m.contrast, 4)
            << ",\"offset_seconds\":" << Fixed(m.offset_seconds(), 3)
            << ",\"overlap_seconds\":" << Fixed(m.overlap_seconds(), 3) << "}\n";
  return kExitOk;
}

void AddLimitFlags(CLI::App* cmd, AudioFlags& f) {
  cmd->add_option("--max-file-bytes", f.options.max_file_bytes,
                  "Refuse larger files (default 1073741824)");
  cmd->add_option("--max-duration", f.options.max_duration_seconds,
                  "Refuse audio longer than this many seconds (default 14400)")
      ->check(CLI::Range(1.0, 1e7));
  cmd->add_option("--seconds", f.options.fingerprint_seconds,
                  "Fingerprint only the first this-many seconds (default 0: all)")
      ->check(CLI::Range(0.0, 1e7));
}

}  // namespace

void RegisterAudio(CLI::App& app, int* exit_code) {
  auto* audio = app.add_subcommand(
      "audio",
      "Audio fingerprints (Chromaprint, as AcoustID) of audio files and of the soundtracks\n"
      "of video files, decoded with FFmpeg; matching by bit error rate at the best\n"
      "alignment, so re-encodings and cuts of one recording match. See docs/audio.md.");
  audio->require_subcommand(1);

  auto ff = std::make_shared<AudioFlags>();
  auto* fp = audio->add_subcommand(
      "fingerprint",
      "Fingerprint audio or video files: one JSON line per file with the decoded duration,\n"
      "the number of fingerprint items (~0.124 s each) and Chromaprint's compressed base64\n"
      "fingerprint (or the error). Exit status 1 if any file failed.");
  fp->add_option("files", ff->paths,
                 "Audio or video files (WAV, MP3, AAC/M4A, Opus, FLAC, MP4, ...)")
      ->required();
  AddLimitFlags(fp, *ff);
  fp->callback([ff, exit_code] { *exit_code = RunFingerprint(*ff); });

  auto cf = std::make_shared<AudioFlags>();
  auto* compare = audio->add_subcommand(
      "compare",
      "Compare two recordings (files, or `fp:BASE64` fingerprints from `audio fingerprint`):\n"
      "slides one over the other, prints the lowest bit error rate, its contrast against\n"
      "nearby alignments, the offset of B in A and the overlap; match when the BER is at\n"
      "most --max-ber and the contrast at least --min-contrast.");
  compare->add_option("files", cf->paths, "Two files or fingerprints")->required()->expected(2);
  compare->add_option("--max-ber", cf->match.max_bit_error_rate, "Largest matching BER (0.30)")
      ->check(CLI::Range(0.0, 1.0));
  compare->add_option("--min-contrast", cf->match.min_contrast, "Smallest contrast (0.10)")
      ->check(CLI::Range(0.0, 1.0));
  compare
      ->add_option("--min-overlap", cf->match.min_overlap_items,
                   "Smallest overlap in items of ~0.124 s (40)")
      ->check(CLI::Range(1, 1 << 24));
  AddLimitFlags(compare, *cf);
  compare->callback([cf, exit_code] { *exit_code = RunCompare(*cf); });
}

}  // namespace vigil::cli
