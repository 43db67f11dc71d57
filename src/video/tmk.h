// TMK+PDQF: the temporal-match-kernel video signature GIFCT shares, compatible with
// Meta's reference `tmk-hash-video` (facebook/ThreatExchange tmk/cpp) and its binary
// `.tmk` files.
//
// The reference pipes frames out of the ffmpeg CLI (`-s 64:64 -pix_fmt rgb24 -r 15`);
// vigil does the same with libav*: every frame decoded, resampled to 15 fps with the CLI's
// constant-frame-rate rule (CfrResampler), converted to 64x64 RGB24 with swscale's bicubic
// filter (the CLI's default). Each output frame gives a PDQF feature (the 16x16 float DCT
// of PDQ, taken straight from the 64x64 luma as the reference does, without the blur).
// Features are folded into cos/sin moments over four periods with 32 Fourier coefficients,
// in the reference's float/double operation order, so with the same FFmpeg the .tmk bytes
// are identical.
//
// Thread safety: free functions are pure; a TmkBuilder or CfrResampler is used by one
// thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "video/decoder.h"

namespace vigil::video {

inline constexpr int kTmkFramesPerSecond = 15;
inline constexpr int kTmkFrameDim = 64;  // frames are resampled to 64x64
inline constexpr int kPdqfDimension = 256;
inline constexpr std::array<int, 4> kTmkPeriods = {2731, 4391, 9767, 14653};
inline constexpr int kTmkFourierCoefficients = 32;
// Match thresholds validated by the reference for TMK+PDQF.
inline constexpr float kTmkLevel1Threshold = 0.7f;
inline constexpr float kTmkLevel2Threshold = 0.7f;
// Header (32) + periods + coefficients + average + cos/sin features.
inline constexpr size_t kTmkFileBytes = 32 + 4 * 4 + 4 * 32 + 4 * 256 + 2 * 4 * (4 * 32 * 256);

using PdqfFeature = std::array<float, kPdqfDimension>;

// The Poullot Fourier coefficients (float), as the reference tabulates them.
const std::array<float, kTmkFourierCoefficients>& TmkFourierCoefficients();

// PDQF of a 64x64 RGB24 frame (row stride in bytes): luma, 16x16 DCT, no blur, no threshold.
PdqfFeature PdqfFromRgb64(const uint8_t* rgb, int stride);

struct TmkSignature {
  int frames_per_second = kTmkFramesPerSecond;
  int frame_feature_count = 0;  // frames after resampling
  std::vector<int> periods;
  std::vector<float> fourier_coefficients;
  std::vector<float> pure_average;  // D floats
  std::vector<float> cos_features;  // P x C x D, row-major
  std::vector<float> sin_features;  // P x C x D

  int dimension() const { return static_cast<int>(pure_average.size()); }
  const float* Cos(int p, int c) const {
    return cos_features.data() +
           (static_cast<size_t>(p) * fourier_coefficients.size() + c) * pure_average.size();
  }
  const float* Sin(int p, int c) const {
    return sin_features.data() +
           (static_cast<size_t>(p) * fourier_coefficients.size() + c) * pure_average.size();
  }
};

// Streams frame features into a signature (the reference's TMKFeatureVectors).
class TmkBuilder {
 public:
  TmkBuilder();
  void Add(const PdqfFeature& feature);
  TmkSignature Finish() &&;
  int frame_count() const { return count_; }

 private:
  TmkSignature sig_;
  int count_ = 0;
};

// The ffmpeg CLI's (5.1) constant-frame-rate conversion of decoded frames to an output rate:
// for each input frame, how many output frames repeat the previous input frame and how many
// show this one. Mirrors fftools' do_video_out for `-r N` into a rawvideo muxer.
class CfrResampler {
 public:
  // time_base: input timestamps; input_rate: the filter graph's frame rate (the CLI's
  // av_guess_frame_rate); single_stream: the input file has one stream (the CLI then uses
  // its "VSCFR" variant).
  CfrResampler(Rational time_base, Rational input_rate, int output_fps, bool single_stream);
  struct Emit {
    int repeat_previous = 0;
    int current = 0;
  };
  // pts in time_base (Frame::kNoTimestamp allowed); duration: the frame's packet duration.
  Emit Next(int64_t pts, int64_t duration);
  // At end of stream: how many more times the last frame is shown.
  int Flush() const;

 private:
  Rational tb_;
  double input_duration_ = 0;  // one input frame in output ticks, clipped to one output frame
  int output_fps_;
  bool vscfr_;
  int64_t sync_opts_ = 0;
  int64_t frame_number_ = 0;
  std::array<int, 3> last_nb0_{};
  bool have_last_ = false;
};

struct TmkOptions {
  VideoLimits limits;
};

// TMK+PDQF of a video held in memory. Errors are the decoder's (see decoder.h).
Result<TmkSignature> ComputeTmk(std::span<const uint8_t> video_bytes,
                                const TmkOptions& options = {});

// The reference's binary .tmk layout (little-endian, as written on x86).
std::vector<uint8_t> SerializeTmk(const TmkSignature& sig);
// Parses a .tmk file; Corruption for anything malformed (wrong magic, inconsistent sizes).
// Only PDQF signatures with at most 64 periods (each <= 100000 frames), 64 coefficients and
// 4096 dimensions load.
Result<TmkSignature> ParseTmk(std::span<const uint8_t> bytes);

// Level 1: cosine similarity of the pure-average features. Level 2: the best time-offset
// kernel score, normalised (the reference's computeLevel2Score). InvalidArgument when the
// signatures are incompatible (periods, coefficients, rate, dimension).
Result<float> TmkLevel1Score(const TmkSignature& a, const TmkSignature& b);
Result<float> TmkLevel2Score(const TmkSignature& a, const TmkSignature& b);

struct TmkMatch {
  float level1 = 0;
  float level2 = 0;  // only computed when level 1 passes, else 0
  bool is_match = false;
};
// Two-level match: level 1 >= t1, then level 2 >= t2.
Result<TmkMatch> TmkCompare(const TmkSignature& a, const TmkSignature& b,
                            float level1_threshold = kTmkLevel1Threshold,
                            float level2_threshold = kTmkLevel2Threshold);

}  // namespace vigil::video
