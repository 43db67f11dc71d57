// Video decoding through FFmpeg (Debian's libavformat/libavcodec/libswscale): container
// bytes in, decoded frames out, in presentation order, one at a time.
//
// The decoder reads from caller-owned memory through a custom AVIOContext, so nothing but
// those bytes is ever opened: nested URLs (playlists, concat lists, references) are refused
// by an empty protocol whitelist, and only the container formats in kFormatWhitelist are
// probed. Every limit in VideoLimits is checked before the buffer it guards is allocated
// where FFmpeg allows it (pixels per frame via AVCodecContext::max_pixels), otherwise as
// soon as it is known (frames, duration). A corrupt stream is a Status, never a crash.
//
// Thread safety: a VideoDecoder is used by one thread at a time; separate decoders are
// independent. FFmpeg's own decoder threads (thread_count) are internal.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "core/status.h"

struct AVFrame;

namespace vigil::video {

// Largest video file hashed (bytes): it is held in memory while decoding.
inline constexpr uint64_t kDefaultMaxVideoFileBytes = uint64_t{1} << 30;  // 1 GiB
// Most frames decoded from one video: 3 hours at 30 fps.
inline constexpr int64_t kDefaultMaxVideoFrames = 324'000;
// Longest video accepted, by the container's declared duration and by frame timestamps.
inline constexpr double kDefaultMaxVideoDurationSeconds = 4 * 3600.0;
// Largest decoded frame: 8K UHD (7680x4320) plus room for odd aspect ratios.
inline constexpr int64_t kDefaultMaxVideoPixelsPerFrame = 40'000'000;
// The container formats probed (FFmpeg demuxer names).
inline constexpr const char* kFormatWhitelist =
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg,ogg,gif,asf,h264,hevc";

struct VideoLimits {
  uint64_t max_file_bytes = kDefaultMaxVideoFileBytes;
  int64_t max_frames = kDefaultMaxVideoFrames;
  double max_duration_seconds = kDefaultMaxVideoDurationSeconds;
  int64_t max_pixels_per_frame = kDefaultMaxVideoPixelsPerFrame;
};

struct Rational {
  int num = 0;
  int den = 1;
  double ToDouble() const { return den == 0 ? 0.0 : static_cast<double>(num) / den; }
};

// Facts about the first video stream, from the container and codec parameters.
struct StreamInfo {
  int width = 0;  // codec parameters (what the reference tools size their buffers by)
  int height = 0;
  Rational time_base;           // of the stream's timestamps
  Rational avg_frame_rate;      // avg_frame_rate, or r_frame_rate when that is 0 (vpdq's rule)
  Rational guessed_frame_rate;  // av_guess_frame_rate (the ffmpeg CLI's rule)
  int64_t start_offset = 0;     // container start time in stream time base (the CLI subtracts it)
  double duration_seconds = 0;  // container's declared duration; 0 when unknown
  int stream_count = 0;         // streams in the container (all kinds)
  const char* codec_name = "";
  const char* format_name = "";
};

// One decoded frame, valid only during the visitor call that receives it.
class Frame {
 public:
  int64_t index() const { return index_; }  // 0-based, in output order
  // best_effort_timestamp minus the container start, in StreamInfo::time_base;
  // kNoTimestamp when the stream has none.
  int64_t pts() const { return pts_; }
  int64_t duration() const { return duration_; }  // packet duration, stream time base
  int width() const;
  int height() const;

  static constexpr int64_t kNoTimestamp = INT64_MIN;

 private:
  friend class VideoDecoder;
  const AVFrame* frame_ = nullptr;
  int64_t index_ = 0;
  int64_t pts_ = kNoTimestamp;
  int64_t duration_ = 0;
};

// swscale interpolation used by a conversion.
enum class ScaleFilter {
  kArea,     // SWS_AREA: vpdq-hash-video's choice
  kBicubic,  // SWS_BICUBIC: the ffmpeg CLI's default (`-s`), hence tmk-hash-video's
};

// Packed RGB24 pixels, `stride` bytes per row (>= 3 * width).
struct RgbImage {
  int width = 0;
  int height = 0;
  int stride = 0;
  std::vector<uint8_t> pixels;
  const uint8_t* Row(int y) const { return pixels.data() + static_cast<size_t>(y) * stride; }
};

class VideoDecoder {
 public:
  ~VideoDecoder();
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  // Opens the first video stream in `bytes`, which must outlive the decoder.
  // Errors: ResourceExhausted (a limit), Unsupported (no video stream, unknown codec or
  // format), Corruption (unreadable container).
  static Result<std::unique_ptr<VideoDecoder>> Open(std::span<const uint8_t> bytes,
                                                    const VideoLimits& limits = {});

  const StreamInfo& info() const { return info_; }

  // Decodes every frame in order and calls `visit` on each; a non-OK Status from `visit`
  // stops decoding and is returned. Damaged packets are skipped as the ffmpeg CLI skips
  // them; a stream yielding no frame at all is Corruption. Call once.
  Status ForEachFrame(const std::function<Status(const Frame&)>& visit);
  // Called from inside `visit`: ForEachFrame returns OK after this frame without decoding
  // the rest (callers that need only the start of a video).
  void StopAfterThisFrame() { stop_requested_ = true; }

  // Converts `frame` to RGB24 at out_width x out_height (the frame's own size when both
  // are 0) with the given filter, into `out` (reused across calls without reallocation).
  Status ToRgb(const Frame& frame, int out_width, int out_height, ScaleFilter filter,
               RgbImage* out);

  // Frames decoded so far and packets the decoder rejected.
  int64_t frames_decoded() const { return frames_decoded_; }
  int64_t packets_rejected() const { return packets_rejected_; }

 private:
  struct Impl;
  explicit VideoDecoder(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  StreamInfo info_;
  VideoLimits limits_;
  int64_t frames_decoded_ = 0;
  int64_t packets_rejected_ = 0;
  bool stop_requested_ = false;
};

}  // namespace vigil::video
