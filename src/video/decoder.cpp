#include "video/decoder.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "media/av_io.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>
}

namespace vigil::video {
namespace {

// swscale's SIMD writers may store a few bytes past the last pixel of a row.
constexpr int kRowSlackBytes = 64;

using namespace media::av;  // memory I/O, closers, AvError, QuietFfmpegLogs

struct SwsCloser {
  void operator()(SwsContext* p) const { sws_freeContext(p); }
};

}  // namespace

struct VideoDecoder::Impl {
  MemoryReader reader;
  // Declared before the format context so it is destroyed after it.
  std::unique_ptr<AVIOContext, IoCloser> io;
  std::unique_ptr<AVFormatContext, FormatCloser> format;
  std::unique_ptr<AVCodecContext, CodecCloser> codec;
  std::unique_ptr<AVFrame, FrameCloser> frame;
  std::unique_ptr<AVPacket, PacketCloser> packet;
  std::unique_ptr<SwsContext, SwsCloser> sws;
  int stream_index = -1;
  bool consumed = false;
};

int Frame::width() const { return frame_->width; }
int Frame::height() const { return frame_->height; }

VideoDecoder::VideoDecoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VideoDecoder::~VideoDecoder() = default;

Result<std::unique_ptr<VideoDecoder>> VideoDecoder::Open(std::span<const uint8_t> bytes,
                                                         const VideoLimits& limits) {
  QuietFfmpegLogs();
  if (bytes.size() > limits.max_file_bytes) {
    return Status::ResourceExhausted("video of " + std::to_string(bytes.size()) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(limits.max_file_bytes));
  }
  if (bytes.empty()) return Status::Corruption("empty video file");

  auto impl = std::make_unique<Impl>();
  impl->reader = {bytes.data(), static_cast<int64_t>(bytes.size()), 0};

  auto* io_buffer = static_cast<uint8_t*>(av_malloc(kIoBufferSize));
  if (io_buffer == nullptr) return Status::ResourceExhausted("out of memory (AVIO buffer)");
  AVIOContext* io =
      avio_alloc_context(io_buffer, kIoBufferSize, 0, &impl->reader, &ReadPacket, nullptr, &Seek);
  if (io == nullptr) {
    av_free(io_buffer);
    return Status::ResourceExhausted("out of memory (AVIO context)");
  }
  impl->io.reset(io);

  AVFormatContext* fmt = avformat_alloc_context();
  if (fmt == nullptr) return Status::ResourceExhausted("out of memory (format context)");
  fmt->pb = io;
  fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "format_whitelist", kFormatWhitelist, 0);
  // No protocol at all: the only input is the AVIOContext above.
  av_dict_set(&opts, "protocol_whitelist", "none", 0);
  int err = avformat_open_input(&fmt, nullptr, nullptr, &opts);
  av_dict_free(&opts);
  if (err < 0) {
    // avformat_open_input frees the context on failure.
    return Status::Unsupported("not a recognised video container (" + AvError(err) + ")");
  }
  impl->format.reset(fmt);

  // Probing decodes a few frames with internal decoders; they get the pixel limit too.
  std::vector<AVDictionary*> probe_opts(fmt->nb_streams, nullptr);
  for (AVDictionary*& d : probe_opts) {
    av_dict_set_int(&d, "max_pixels", limits.max_pixels_per_frame, 0);
  }
  err = avformat_find_stream_info(fmt, probe_opts.empty() ? nullptr : probe_opts.data());
  for (AVDictionary*& d : probe_opts) av_dict_free(&d);
  if (err < 0) return Status::Corruption("cannot read stream information (" + AvError(err) + ")");

  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
      impl->stream_index = static_cast<int>(i);
      break;
    }
  }
  if (impl->stream_index < 0) return Status::Unsupported("no video stream");
  AVStream* st = fmt->streams[impl->stream_index];
  const AVCodecParameters* par = st->codecpar;

  if (par->width <= 0 || par->height <= 0) {
    return Status::Corruption("video stream has no frame size");
  }
  const int64_t pixels = static_cast<int64_t>(par->width) * par->height;
  if (pixels > limits.max_pixels_per_frame) {
    return Status::ResourceExhausted("video frame " + std::to_string(par->width) + "x" +
                                     std::to_string(par->height) + " exceeds the limit of " +
                                     std::to_string(limits.max_pixels_per_frame) + " pixels");
  }
  if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0) {
    const double seconds = static_cast<double>(fmt->duration) / AV_TIME_BASE;
    if (seconds > limits.max_duration_seconds) {
      return Status::ResourceExhausted("video of " + std::to_string(seconds) +
                                       " s exceeds the limit of " +
                                       std::to_string(limits.max_duration_seconds) + " s");
    }
  }

  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  if (codec == nullptr) return Status::Unsupported("no decoder for the video codec");
  AVCodecContext* cc = avcodec_alloc_context3(codec);
  if (cc == nullptr) return Status::ResourceExhausted("out of memory (codec context)");
  impl->codec.reset(cc);
  if (avcodec_parameters_to_context(cc, par) < 0) {
    return Status::Corruption("bad codec parameters");
  }
  cc->max_pixels = limits.max_pixels_per_frame;
  // Slice threads as vpdq-hash-video uses them; the output is the same as single-threaded.
  cc->thread_count = 0;
  if (codec->capabilities & AV_CODEC_CAP_SLICE_THREADS) {
    cc->thread_type = FF_THREAD_SLICE;
  } else {
    cc->thread_count = 1;
  }
  err = avcodec_open2(cc, codec, nullptr);
  if (err < 0) return Status::Unsupported("cannot open the video decoder (" + AvError(err) + ")");

  impl->frame.reset(av_frame_alloc());
  impl->packet.reset(av_packet_alloc());
  if (!impl->frame || !impl->packet) return Status::ResourceExhausted("out of memory (frame)");

  StreamInfo info;
  info.width = par->width;
  info.height = par->height;
  info.time_base = {st->time_base.num, st->time_base.den};
  AVRational rate = st->avg_frame_rate;
  if (rate.num == 0 || rate.den == 0) rate = st->r_frame_rate;
  info.avg_frame_rate = {rate.num, rate.den};
  const AVRational guessed = av_guess_frame_rate(fmt, st, nullptr);
  info.guessed_frame_rate = {guessed.num, guessed.den};
  if (fmt->start_time != AV_NOPTS_VALUE) {
    info.start_offset = av_rescale_q(fmt->start_time, AV_TIME_BASE_Q, st->time_base);
  }
  info.duration_seconds = (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
                              ? static_cast<double>(fmt->duration) / AV_TIME_BASE
                              : 0.0;
  info.stream_count = static_cast<int>(fmt->nb_streams);
  info.codec_name = codec->name;
  info.format_name = fmt->iformat != nullptr ? fmt->iformat->name : "";
  if (info.time_base.num <= 0 || info.time_base.den <= 0) {
    return Status::Corruption("video stream has no time base");
  }

  std::unique_ptr<VideoDecoder> d(new VideoDecoder(std::move(impl)));
  d->info_ = info;
  d->limits_ = limits;
  return d;
}

Status VideoDecoder::ForEachFrame(const std::function<Status(const Frame&)>& visit) {
  Impl& im = *impl_;
  if (im.consumed) return Status::FailedPrecondition("video frames were already decoded");
  im.consumed = true;
  AVCodecContext* cc = im.codec.get();
  AVFrame* f = im.frame.get();
  AVPacket* pkt = im.packet.get();
  const double tb = info_.time_base.ToDouble();

  // Drains every frame the decoder has ready.
  auto drain = [&]() -> Status {
    while (true) {
      int err = avcodec_receive_frame(cc, f);
      if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return Status::OK();
      if (err < 0) {
        // A damaged frame: skip it, as the ffmpeg CLI does, and go on with the next packet
        // (looping here could spin on an error that persists).
        ++packets_rejected_;
        return Status::OK();
      }
      if (frames_decoded_ >= limits_.max_frames) {
        av_frame_unref(f);
        return Status::ResourceExhausted("video has more than " +
                                         std::to_string(limits_.max_frames) + " frames");
      }
      if (static_cast<int64_t>(f->width) * f->height > limits_.max_pixels_per_frame ||
          f->width <= 0 || f->height <= 0) {
        av_frame_unref(f);
        return Status::ResourceExhausted("decoded frame size exceeds the pixel limit");
      }
      Frame frame;
      frame.frame_ = f;
      frame.index_ = frames_decoded_;
      frame.pts_ = f->best_effort_timestamp == AV_NOPTS_VALUE
                       ? Frame::kNoTimestamp
                       : f->best_effort_timestamp - info_.start_offset;
#if LIBAVUTIL_VERSION_MAJOR < 58
      frame.duration_ = f->pkt_duration;
#else
      frame.duration_ = f->duration;
#endif
      if (frame.pts_ != Frame::kNoTimestamp &&
          static_cast<double>(frame.pts_) * tb > limits_.max_duration_seconds) {
        av_frame_unref(f);
        return Status::ResourceExhausted("video runs past the limit of " +
                                         std::to_string(limits_.max_duration_seconds) + " s");
      }
      ++frames_decoded_;
      Status s = visit(frame);
      av_frame_unref(f);
      VIGIL_RETURN_IF_ERROR(s);
      if (stop_requested_) return Status::OK();
    }
  };

  while (true) {
    int err = av_read_frame(im.format.get(), pkt);
    if (err == AVERROR_EOF) break;
    if (err < 0) {
      // A truncated or damaged container: decode what was read so far.
      if (err == AVERROR(EAGAIN)) continue;
      break;
    }
    if (pkt->stream_index != im.stream_index) {
      av_packet_unref(pkt);
      continue;
    }
    err = avcodec_send_packet(cc, pkt);
    av_packet_unref(pkt);
    if (err < 0 && err != AVERROR(EAGAIN)) ++packets_rejected_;
    VIGIL_RETURN_IF_ERROR(drain());
    if (stop_requested_) return Status::OK();
  }
  // Flush the frames the decoder still holds.
  if (avcodec_send_packet(cc, nullptr) >= 0) VIGIL_RETURN_IF_ERROR(drain());
  if (frames_decoded_ == 0) return Status::Corruption("no decodable video frame");
  return Status::OK();
}

Status VideoDecoder::ToRgb(const Frame& frame, int out_width, int out_height, ScaleFilter filter,
                           RgbImage* out) {
  const AVFrame* f = frame.frame_;
  if (f == nullptr) return Status::InvalidArgument("no frame");
  if (out_width == 0 && out_height == 0) {
    out_width = f->width;
    out_height = f->height;
  }
  if (out_width <= 0 || out_height <= 0 ||
      static_cast<int64_t>(out_width) * out_height > limits_.max_pixels_per_frame) {
    return Status::InvalidArgument("bad RGB output size");
  }
  const int flags = filter == ScaleFilter::kArea ? SWS_AREA : SWS_BICUBIC;
  SwsContext* ctx = sws_getCachedContext(
      impl_->sws.release(), f->width, f->height, static_cast<AVPixelFormat>(f->format), out_width,
      out_height, AV_PIX_FMT_RGB24, flags, nullptr, nullptr, nullptr);
  impl_->sws.reset(ctx);
  if (ctx == nullptr) return Status::Unsupported("cannot convert this pixel format to RGB");

  out->width = out_width;
  out->height = out_height;
  out->stride = (out_width * 3 + 63) / 64 * 64;
  const size_t need = static_cast<size_t>(out->stride) * out_height + kRowSlackBytes;
  if (out->pixels.size() < need) out->pixels.resize(need);
  uint8_t* dst[4] = {out->pixels.data(), nullptr, nullptr, nullptr};
  int dst_stride[4] = {out->stride, 0, 0, 0};
  const int rows = sws_scale(ctx, f->data, f->linesize, 0, f->height, dst, dst_stride);
  if (rows != out_height) return Status::Corruption("frame conversion failed");
  return Status::OK();
}

}  // namespace vigil::video
