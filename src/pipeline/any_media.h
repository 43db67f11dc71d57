// Any media file to all of its signals: sniffs what the bytes are (image, video, audio,
// text, or other) and computes every signal vigil has for that kind, each as the canonical
// bank value (store::CanonicalSignalValue accepts it unchanged for store::ParseSignalType
// of `type`), so a caller can match it (match::Matcher) or store it in a bank as is.
//
//   kind    signals (in this order)
//   image   pdq (quality = PDQ quality), md5, sha256, [text: OCR, with options.ocr]
//   video   vpdq, [tmk: with options.video_tmk], [audio: the soundtrack, when it has one],
//           md5, sha256
//   audio   audio, md5, sha256
//   text    text, md5, sha256
//   other   md5, sha256
//
// Kinds are decided from the bytes, never a file name: a known image magic (media::
// SniffFormat; animated GIFs are images, hashed by their first frame as `vigil hash`
// always did), then a video stream FFmpeg can decode (cover art alone is not a video),
// then an audio stream, then valid UTF-8 text without NULs and control characters other
// than whitespace, else other.
//
// Value forms (docs/video.md, docs/audio.md, docs/text.md):
//   pdq, md5, sha256: lower-case hex.
//   vpdq:  the reference's `frame,quality,hex,timestamp` lines joined by ';' (one line per
//          sampled frame, timestamp with three decimals).
//   tmk:   standard base64 (with padding) of the reference's binary .tmk file.
//   audio: Chromaprint's compressed URL-safe base64 fingerprint (what AcoustID stores).
//   text:  the normalised text (text::NormalizeText: NFKC case folded, diacritics and
//          punctuation removed), cut at kMaxTextValueBytes on a character boundary.
//
// Failures never throw and never lose the digests: when the kind is known but a signal
// cannot be computed (a limit, a damaged stream), the others are still returned and
// `error` says what failed ("vpdq: resource_exhausted: ..."; several joined by "; ").
// Bytes over max_bytes get no signal at all, only the error.
//
// Thread safety: HashAnyMedia is reentrant and may be called from any number of threads
// at once (OCR makes a Tesseract engine per call; leave options.ocr off on hot paths).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/limits.h"

namespace vigil::pipeline {

// Largest file handled at all (held in memory by the caller already; decoders see it all).
inline constexpr uint64_t kDefaultAnyMediaMaxBytes = limits::kDefaultMaxFileBytes;
// Longest video or audio accepted, by declared and by decoded duration: 4 hours.
inline constexpr double kDefaultAnyMediaMaxDurationSeconds = 4 * 3600.0;
// Most video frames decoded (3 hours at 30 fps).
inline constexpr int64_t kDefaultAnyMediaMaxFrames = 324'000;
// Largest video frame and largest still image (pixels).
inline constexpr int64_t kDefaultAnyMediaMaxVideoPixels = 40'000'000;
inline constexpr uint64_t kDefaultAnyMediaMaxImagePixels = limits::kDefaultMaxImagePixels;
// Largest text file treated as text (bytes); bigger UTF-8 files are kind "text" with only
// digests and an error.
inline constexpr uint64_t kDefaultAnyMediaMaxTextBytes = uint64_t{1} << 20;  // 1 MiB
// Longest text value emitted (bytes of normalised UTF-8): the bank's value limit for text.
inline constexpr size_t kMaxTextValueBytes = 64 * 1024;

struct SignalValue {
  std::string type;  // "pdq","vpdq","tmk","md5","sha256","audio","text" (store names)
  std::string value;
  int quality = -1;  // PDQ quality 0..100; -1 where the signal has none
};

struct AnyMediaOptions {
  bool video_tmk = true;                // TMK+PDQF of videos (costs about as much as vPDQ)
  double vpdq_seconds_per_frame = 1.0;  // vPDQ sampling; 0 = every frame
  bool ocr = false;                     // OCR text of images (Tesseract; slow)
  bool video_audio = true;              // Chromaprint of a video's soundtrack
  // Limits (safe defaults; see above).
  uint64_t max_bytes = kDefaultAnyMediaMaxBytes;
  double max_duration_seconds = kDefaultAnyMediaMaxDurationSeconds;
  int64_t max_frames = kDefaultAnyMediaMaxFrames;
  int64_t max_video_pixels = kDefaultAnyMediaMaxVideoPixels;
  uint64_t max_image_pixels = kDefaultAnyMediaMaxImagePixels;
  uint64_t max_text_bytes = kDefaultAnyMediaMaxTextBytes;
};

struct MediaSignals {
  std::string kind;  // image|video|audio|text|other
  std::vector<SignalValue> signals;
  std::string error;  // empty when every signal of the kind was computed
};

MediaSignals HashAnyMedia(std::span<const uint8_t> bytes, const AnyMediaOptions& options);

// The kind alone (same rules, no hashing); cheap except for an FFmpeg probe of non-images.
std::string SniffMediaKind(std::span<const uint8_t> bytes, const AnyMediaOptions& options);

}  // namespace vigil::pipeline
