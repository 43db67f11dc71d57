// Audio fingerprints: Chromaprint (the AcoustID algorithm, Debian's libchromaprint) over
// audio decoded with FFmpeg (libavformat/libavcodec/libswresample), from audio files and
// from the soundtracks of video files; and matching by bit error rate with alignment.
//
// Decoding reads only the caller's bytes (custom AVIOContext, no protocols, a whitelist of
// container formats), takes the container's best audio stream, and resamples it to what
// Chromaprint computes on (mono 16-bit at 11025 Hz), so Chromaprint's own resampler is
// never involved. Limits are checked before decoding (bytes, declared duration) and while
// decoding (decoded duration).
//
// A raw fingerprint is one 32-bit value per item of about 0.124 s (kItemSeconds). Two
// fingerprints match when, at some alignment, the share of differing bits over their
// overlap (the bit error rate, BER) is at most max_bit_error_rate. Unrelated audio sits
// near 0.5; the same recording re-encoded (MP3, AAC, Opus) or cut stays far below the
// default threshold (measurements in docs/audio.md).
//
// Thread safety: free functions without shared mutable state; call from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::audio {

// Largest audio or video file fingerprinted (bytes): it is held in memory while decoding.
inline constexpr uint64_t kDefaultMaxAudioFileBytes = uint64_t{1} << 30;  // 1 GiB
// Longest audio fingerprinted, by declared and by decoded duration: 4 hours.
inline constexpr double kDefaultMaxAudioDurationSeconds = 4 * 3600.0;
// Fingerprint only the first this-many seconds (0: all). AcoustID uses 120 s; vigil
// defaults to all of it so that a cut from the middle can be found.
inline constexpr double kDefaultFingerprintSeconds = 0;
// Container formats probed (FFmpeg demuxer names): audio files and video containers.
inline constexpr const char* kAudioFormatWhitelist =
    "wav,mp3,flac,ogg,aac,m4a,mov,mp4,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg,asf,aiff,"
    "caf,w64,amr";

// Sample rate Chromaprint's algorithm works at, and the duration of one fingerprint item.
inline constexpr int kChromaprintSampleRate = 11025;
inline constexpr double kItemSeconds = 4096.0 / 3.0 / kChromaprintSampleRate;  // ~0.1238 s

// Default match threshold on the bit error rate. Unrelated recordings measure 0.40-0.50,
// re-encodings and cuts of one recording 0.02-0.20 (docs/audio.md).
inline constexpr double kDefaultMaxBitErrorRate = 0.30;
// Smallest overlap that can decide a match (items): about 5 seconds. Shorter fingerprints
// are compared over all of the shorter one.
inline constexpr int kDefaultMinOverlapItems = 40;
// Noise, hum and silence give nearly constant fingerprints, which agree with each other at
// every alignment (two different brown-noise recordings measure a BER of 0.23). A match
// must therefore also stand out: the BER at nearby wrong alignments (kContrastShifts items
// away) must exceed the best BER by at least this much. A true match measures 0.4.
inline constexpr double kDefaultMinContrast = 0.10;
inline constexpr int kContrastShifts[] = {-24, -16, -8, 8, 16, 24};

struct AudioOptions {
  uint64_t max_file_bytes = kDefaultMaxAudioFileBytes;
  double max_duration_seconds = kDefaultMaxAudioDurationSeconds;
  double fingerprint_seconds = kDefaultFingerprintSeconds;
};

struct AudioFingerprint {
  std::vector<uint32_t> raw;    // Chromaprint's raw fingerprint (algorithm 2, "TEST2")
  double duration_seconds = 0;  // decoded audio duration
  int algorithm = 1;            // Chromaprint's algorithm number (CHROMAPRINT_ALGORITHM_TEST2)
};

// Decodes the best audio stream of `bytes` (an audio file or a video with sound) and
// fingerprints it. Errors: Unsupported (not a known container, no audio stream, no
// decoder), Corruption (undecodable), ResourceExhausted (over a limit), InvalidArgument
// (audio too short to fingerprint: under about 3 seconds).
Result<AudioFingerprint> FingerprintAudio(std::span<const uint8_t> bytes,
                                          const AudioOptions& options = {});

// Fingerprints already decoded mono 16-bit PCM at `sample_rate` (resampled by Chromaprint).
Result<AudioFingerprint> FingerprintPcm(std::span<const int16_t> samples, int sample_rate);

// Chromaprint's compressed, URL-safe base64 form (what AcoustID stores), and back.
Result<std::string> EncodeFingerprint(const AudioFingerprint& fp);
Result<AudioFingerprint> DecodeFingerprint(std::string_view encoded);

struct AudioMatchOptions {
  double max_bit_error_rate = kDefaultMaxBitErrorRate;
  int min_overlap_items = kDefaultMinOverlapItems;
  double min_contrast = kDefaultMinContrast;
};

struct AudioMatch {
  bool match = false;
  double bit_error_rate = 1.0;  // at the best alignment (1.0 when nothing overlapped)
  // Position of b's first item relative to a's: b[i] lines up with a[i + offset].
  int offset_items = 0;
  int overlap_items = 0;
  // Mean BER at the kContrastShifts alignments around the best one, minus the best BER.
  double contrast = 0;
  double offset_seconds() const { return offset_items * kItemSeconds; }
  double overlap_seconds() const { return overlap_items * kItemSeconds; }
};

// Slides b over a through every alignment with at least the minimum overlap and keeps the
// lowest BER; a match needs that BER at most max_bit_error_rate and a contrast of at
// least min_contrast. O(|a|*|b|) popcounts: about 10^9 for two one-hour fingerprints.
AudioMatch CompareFingerprints(std::span<const uint32_t> a, std::span<const uint32_t> b,
                               const AudioMatchOptions& options = {});
// The same by counting bits one at a time: the reference for tests.
AudioMatch CompareFingerprintsReference(std::span<const uint32_t> a, std::span<const uint32_t> b,
                                        const AudioMatchOptions& options = {});

}  // namespace vigil::audio
