// vPDQ: Meta's video hash, one PDQ per sampled frame, compatible with the reference
// `vpdq-hash-video` (facebook/ThreatExchange vpdq/cpp) and its text format
// `frame_number,quality,pdq_hex,timestamp_seconds`.
//
// Hashing follows the reference step by step: decode every frame, convert the sampled ones
// to RGB24 at full size with swscale's SWS_AREA, luma, PDQ on exactly those pixels (two
// Jarosz passes sized for the frame, 64x64 decimation, DCT, median threshold). A frame is
// sampled when frame_number % max(1, int(seconds_per_hash * frame_rate)) == 0, and its
// timestamp is float(frame_number) / float(frame_rate). With the same FFmpeg the hashes
// are identical to the reference's.
//
// Matching is upstream's rule: both sides deduplicated (unique hashes) and filtered by
// quality (>= F); a frame matches when any frame of the other side is within distance D
// (<= D, as python-threatexchange's vPDQ signal type); Q matches C when the matched share of
// C's frames >= Pc and of Q's frames >= Pq.
//
// Thread safety: free functions are pure; a VpdqBank may be read (Search) from many threads
// at once but written (Add) by one thread with no concurrent reader.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/hash256.h"
#include "core/status.h"
#include "video/decoder.h"

namespace vigil::video {

struct VpdqFrame {
  int frame_number = 0;
  int quality = 0;
  Hash256 hash;
  double timestamp = 0;  // seconds (the reference's float quotient)

  friend bool operator==(const VpdqFrame&, const VpdqFrame&) = default;
};

// Sampling for scanning: one hash per second; 0 hashes every frame (reference `-r 0`).
inline constexpr double kDefaultSecondsPerHash = 1.0;

struct VpdqOptions {
  double seconds_per_hash = kDefaultSecondsPerHash;
  // Stop after this many hashes (0: the whole video); decoding stops there too.
  int64_t max_hashes = 0;
  VideoLimits limits;
};

// vPDQ of a video held in memory. Errors are the decoder's (see decoder.h).
Result<std::vector<VpdqFrame>> HashVpdq(std::span<const uint8_t> video_bytes,
                                        const VpdqOptions& options = {});

// The reference's text: one `frame,quality,hex,timestamp` line per frame, timestamp with
// three decimals, '\n' line ends.
std::string FormatVpdq(std::span<const VpdqFrame> frames);

// Most lines a vPDQ text may hold (the frame limit).
inline constexpr size_t kMaxVpdqLines = static_cast<size_t>(kDefaultMaxVideoFrames);

// Parses the text format (blank lines and a final newline allowed, '\r' tolerated).
// InvalidArgument names the offending line; an empty text is InvalidArgument too.
Result<std::vector<VpdqFrame>> ParseVpdq(std::string_view text, size_t max_lines = kMaxVpdqLines);

// --- Matching --------------------------------------------------------------------------

inline constexpr int kVpdqQualityThreshold = 50;           // F
inline constexpr int kVpdqDistanceThreshold = 31;          // D
inline constexpr double kVpdqComparedMatchPercent = 80.0;  // Pc
inline constexpr double kVpdqQueryMatchPercent = 0.0;      // Pq

struct VpdqMatchOptions {
  int quality_threshold = kVpdqQualityThreshold;
  int distance_threshold = kVpdqDistanceThreshold;
  double compared_match_percent = kVpdqComparedMatchPercent;
  double query_match_percent = kVpdqQueryMatchPercent;
};

struct VpdqMatchResult {
  double query_match_percent = 0;     // share of Q's unique good frames found in C
  double compared_match_percent = 0;  // share of C's unique good frames found in Q
  bool is_match = false;
};

// Unique hashes (first occurrence kept) with quality >= min_quality, in input order.
std::vector<VpdqFrame> UniqueGoodFrames(std::span<const VpdqFrame> frames, int min_quality);

// Brute-force comparison of two videos: the reference oracle for VpdqBank.
VpdqMatchResult MatchVpdq(std::span<const VpdqFrame> query, std::span<const VpdqFrame> compared,
                          const VpdqMatchOptions& options = {});

// Frame-level radius search behind the bank, so a large bank can use src/index later.
class FrameSearcher {
 public:
  virtual ~FrameSearcher() = default;
  virtual void Add(uint64_t id, const Hash256& hash) = 0;
  // Ids of every entry within `radius` (inclusive), any order.
  virtual void Search(const Hash256& query, int radius, std::vector<uint64_t>* ids) const = 0;
};

// A plain scan; exact for every radius.
std::unique_ptr<FrameSearcher> MakeBruteForceFrameSearcher();

struct VpdqBankMatch {
  uint64_t video_id = 0;
  VpdqMatchResult result;
};

// Videos indexed by their unique good frames; Search finds every stored video that matches
// a query under the options, with the same percentages as MatchVpdq.
class VpdqBank {
 public:
  explicit VpdqBank(VpdqMatchOptions options = {},
                    std::unique_ptr<FrameSearcher> searcher = MakeBruteForceFrameSearcher());
  // Stores a video's frames under `video_id` (ids are the caller's; must be new).
  Status Add(uint64_t video_id, std::span<const VpdqFrame> frames);
  // Matches (is_match only), ordered by video id.
  std::vector<VpdqBankMatch> Search(std::span<const VpdqFrame> query) const;
  size_t video_count() const { return videos_.size(); }

 private:
  struct Video {
    uint64_t id;
    size_t good_frames;
  };
  VpdqMatchOptions options_;
  std::unique_ptr<FrameSearcher> searcher_;
  std::vector<Video> videos_;          // by internal index
  std::unordered_set<uint64_t> ids_;   // video ids stored (Add refuses repeats in O(1))
  std::vector<uint32_t> frame_video_;  // frame entry id -> internal video index
};

}  // namespace vigil::video
