#include "audio/audio.h"

#include <chromaprint.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <mutex>

#include "media/av_io.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

namespace vigil::audio {
namespace {

using namespace media::av;  // memory I/O, closers, AvError, QuietFfmpegLogs

struct SwrCloser {
  void operator()(SwrContext* p) const { swr_free(&p); }
};
struct ChromaprintCloser {
  void operator()(ChromaprintContext* p) const { chromaprint_free(p); }
};

// Feeds mono 16-bit samples at kChromaprintSampleRate to Chromaprint, stopping at a
// sample budget (the fingerprint_seconds option) and refusing beyond the duration limit.
class Fingerprinter {
 public:
  Status Start(int sample_rate) {
    ctx_.reset(chromaprint_new(CHROMAPRINT_ALGORITHM_DEFAULT));
    if (ctx_ == nullptr) return Status::ResourceExhausted("out of memory (Chromaprint)");
    if (!chromaprint_start(ctx_.get(), sample_rate, 1)) {
      return Status::Internal("chromaprint_start failed");
    }
    sample_rate_ = sample_rate;
    return Status::OK();
  }

  void set_limits(int64_t max_samples, int64_t feed_samples) {
    max_samples_ = max_samples;
    feed_samples_ = feed_samples;
  }

  Status Feed(const int16_t* samples, int64_t n) {
    total_ += n;
    if (max_samples_ > 0 && total_ > max_samples_) {
      return Status::ResourceExhausted("decoded audio exceeds the duration limit of " +
                                       std::to_string(max_samples_ / sample_rate_) + " s");
    }
    const int64_t room = feed_samples_ > 0 ? feed_samples_ - fed_ : n;
    const int64_t take = std::min(n, room);
    if (take > 0) {
      if (!chromaprint_feed(ctx_.get(), samples, static_cast<int>(take))) {
        return Status::Internal("chromaprint_feed failed");
      }
      fed_ += take;
    }
    return Status::OK();
  }

  bool full() const { return feed_samples_ > 0 && fed_ >= feed_samples_; }

  Result<AudioFingerprint> Finish() {
    if (!chromaprint_finish(ctx_.get())) return Status::Internal("chromaprint_finish failed");
    uint32_t* raw = nullptr;
    int size = 0;
    if (!chromaprint_get_raw_fingerprint(ctx_.get(), &raw, &size) || size <= 0) {
      if (raw != nullptr) chromaprint_dealloc(raw);
      return Status::InvalidArgument("audio too short to fingerprint (" +
                                     std::to_string(static_cast<double>(total_) / sample_rate_) +
                                     " s)");
    }
    AudioFingerprint fp;
    fp.raw.assign(raw, raw + size);
    chromaprint_dealloc(raw);
    fp.duration_seconds = static_cast<double>(total_) / sample_rate_;
    fp.algorithm = CHROMAPRINT_ALGORITHM_DEFAULT;  // the library does not export a getter
    return fp;
  }

 private:
  std::unique_ptr<ChromaprintContext, ChromaprintCloser> ctx_;
  int sample_rate_ = kChromaprintSampleRate;
  int64_t max_samples_ = 0;
  int64_t feed_samples_ = 0;
  int64_t total_ = 0;
  int64_t fed_ = 0;
};

// Converts decoded frames to mono s16 at kChromaprintSampleRate. The resampler is set up
// from the first frame and again whenever a frame's format changes (streams may switch).
class Converter {
 public:
  Status Convert(const AVFrame* frame, Fingerprinter& out) {
    if (frame->sample_rate <= 0 || frame->ch_layout.nb_channels <= 0) {
      return Status::Corruption("audio frame without sample rate or channels");
    }
    if (swr_ == nullptr || frame->sample_rate != in_rate_ || frame->format != in_format_ ||
        av_channel_layout_compare(&frame->ch_layout, &in_layout_) != 0) {
      VIGIL_RETURN_IF_ERROR(Flush(out));
      VIGIL_RETURN_IF_ERROR(Setup(frame));
    }
    return Run(frame->extended_data, frame->nb_samples, out);
  }

  Status Flush(Fingerprinter& out) {
    if (swr_ == nullptr) return Status::OK();
    return Run(nullptr, 0, out);
  }

  ~Converter() { av_channel_layout_uninit(&in_layout_); }

 private:
  Status Setup(const AVFrame* frame) {
    av_channel_layout_uninit(&in_layout_);
    if (frame->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
      av_channel_layout_default(&in_layout_, frame->ch_layout.nb_channels);
    } else if (av_channel_layout_copy(&in_layout_, &frame->ch_layout) < 0) {
      return Status::ResourceExhausted("out of memory (channel layout)");
    }
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    SwrContext* swr = nullptr;
    int err = swr_alloc_set_opts2(&swr, &mono, AV_SAMPLE_FMT_S16, kChromaprintSampleRate,
                                  &in_layout_, static_cast<AVSampleFormat>(frame->format),
                                  frame->sample_rate, 0, nullptr);
    swr_.reset(swr);
    if (err < 0 || swr == nullptr) {
      return Status::Unsupported("cannot resample this audio (" + AvError(err) + ")");
    }
    if ((err = swr_init(swr)) < 0) {
      return Status::Unsupported("cannot resample this audio (" + AvError(err) + ")");
    }
    // Compare against the frame's own layout next time, not the defaulted one.
    av_channel_layout_uninit(&in_layout_);
    if (av_channel_layout_copy(&in_layout_, &frame->ch_layout) < 0) {
      return Status::ResourceExhausted("out of memory (channel layout)");
    }
    in_rate_ = frame->sample_rate;
    in_format_ = frame->format;
    return Status::OK();
  }

  Status Run(uint8_t* const* in, int in_samples, Fingerprinter& out) {
    const int room = swr_get_out_samples(swr_.get(), in_samples);
    if (room < 0) return Status::Corruption("resampler error");
    buffer_.resize(static_cast<size_t>(room) + 16);
    uint8_t* dst = reinterpret_cast<uint8_t*>(buffer_.data());
    const int n = swr_convert(swr_.get(), &dst, static_cast<int>(buffer_.size()),
                              const_cast<const uint8_t**>(in), in_samples);
    if (n < 0) return Status::Corruption("resampler error (" + AvError(n) + ")");
    return out.Feed(buffer_.data(), n);
  }

  std::unique_ptr<SwrContext, SwrCloser> swr_;
  AVChannelLayout in_layout_{};
  int in_rate_ = 0;
  int in_format_ = -1;
  std::vector<int16_t> buffer_;
};

}  // namespace

Result<AudioFingerprint> FingerprintAudio(std::span<const uint8_t> bytes,
                                          const AudioOptions& options) {
  QuietFfmpegLogs();
  if (bytes.size() > options.max_file_bytes) {
    return Status::ResourceExhausted("file of " + std::to_string(bytes.size()) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(options.max_file_bytes));
  }
  if (bytes.empty()) return Status::Corruption("empty file");

  MemoryReader reader{bytes.data(), static_cast<int64_t>(bytes.size()), 0};
  auto* io_buffer = static_cast<uint8_t*>(av_malloc(kIoBufferSize));
  if (io_buffer == nullptr) return Status::ResourceExhausted("out of memory (AVIO buffer)");
  AVIOContext* io_raw =
      avio_alloc_context(io_buffer, kIoBufferSize, 0, &reader, &ReadPacket, nullptr, &Seek);
  if (io_raw == nullptr) {
    av_free(io_buffer);
    return Status::ResourceExhausted("out of memory (AVIO context)");
  }
  std::unique_ptr<AVIOContext, IoCloser> io(io_raw);

  AVFormatContext* fmt_raw = avformat_alloc_context();
  if (fmt_raw == nullptr) return Status::ResourceExhausted("out of memory (format context)");
  fmt_raw->pb = io.get();
  fmt_raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "format_whitelist", kAudioFormatWhitelist, 0);
  // No protocol at all: the only input is the AVIOContext above.
  av_dict_set(&opts, "protocol_whitelist", "none", 0);
  int err = avformat_open_input(&fmt_raw, nullptr, nullptr, &opts);
  av_dict_free(&opts);
  if (err < 0) {
    return Status::Unsupported("not a recognised audio or video container (" + AvError(err) + ")");
  }
  std::unique_ptr<AVFormatContext, FormatCloser> fmt(fmt_raw);
  if ((err = avformat_find_stream_info(fmt.get(), nullptr)) < 0) {
    return Status::Corruption("cannot read stream information (" + AvError(err) + ")");
  }
  if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0) {
    const double seconds = static_cast<double>(fmt->duration) / AV_TIME_BASE;
    if (seconds > options.max_duration_seconds) {
      return Status::ResourceExhausted("media of " + std::to_string(seconds) +
                                       " s exceeds the limit of " +
                                       std::to_string(options.max_duration_seconds) + " s");
    }
  }
  const AVCodec* codec = nullptr;
  const int stream = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
  if (stream == AVERROR_STREAM_NOT_FOUND) return Status::Unsupported("no audio stream");
  if (stream < 0 || codec == nullptr) return Status::Unsupported("no decoder for the audio codec");
  std::unique_ptr<AVCodecContext, CodecCloser> cc(avcodec_alloc_context3(codec));
  if (cc == nullptr) return Status::ResourceExhausted("out of memory (codec context)");
  if (avcodec_parameters_to_context(cc.get(), fmt->streams[stream]->codecpar) < 0) {
    return Status::Corruption("bad audio codec parameters");
  }
  cc->thread_count = 1;
  if ((err = avcodec_open2(cc.get(), codec, nullptr)) < 0) {
    return Status::Unsupported("cannot open the audio decoder (" + AvError(err) + ")");
  }
  // Only the chosen stream's packets are wanted; the demuxer may skip the rest.
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    if (static_cast<int>(i) != stream) fmt->streams[i]->discard = AVDISCARD_ALL;
  }

  Fingerprinter fp;
  VIGIL_RETURN_IF_ERROR(fp.Start(kChromaprintSampleRate));
  fp.set_limits(static_cast<int64_t>(options.max_duration_seconds * kChromaprintSampleRate),
                static_cast<int64_t>(options.fingerprint_seconds * kChromaprintSampleRate));
  Converter converter;
  std::unique_ptr<AVPacket, PacketCloser> packet(av_packet_alloc());
  std::unique_ptr<AVFrame, FrameCloser> frame(av_frame_alloc());
  if (packet == nullptr || frame == nullptr) return Status::ResourceExhausted("out of memory");

  int64_t frames = 0;
  auto drain = [&]() -> Status {
    while (true) {
      const int r = avcodec_receive_frame(cc.get(), frame.get());
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return Status::OK();
      // A damaged frame is skipped, as players do; a stream of nothing but damage ends
      // up with no frames and is reported below.
      if (r < 0) return Status::OK();
      ++frames;
      Status s = converter.Convert(frame.get(), fp);
      av_frame_unref(frame.get());
      if (!s.ok()) return s;
    }
  };
  while (!fp.full()) {
    err = av_read_frame(fmt.get(), packet.get());
    if (err == AVERROR_EOF) break;
    if (err < 0) {
      if (frames == 0) return Status::Corruption("cannot read audio (" + AvError(err) + ")");
      break;  // a truncated file: fingerprint what was there
    }
    if (packet->stream_index == stream) {
      avcodec_send_packet(cc.get(), packet.get());  // bad packets show up as no frames
      av_packet_unref(packet.get());
      VIGIL_RETURN_IF_ERROR(drain());
    } else {
      av_packet_unref(packet.get());
    }
  }
  avcodec_send_packet(cc.get(), nullptr);
  VIGIL_RETURN_IF_ERROR(drain());
  if (frames == 0) return Status::Corruption("no decodable audio");
  VIGIL_RETURN_IF_ERROR(converter.Flush(fp));
  return fp.Finish();
}

Result<AudioFingerprint> FingerprintPcm(std::span<const int16_t> samples, int sample_rate) {
  if (sample_rate < 1000 || sample_rate > 384000) {
    return Status::InvalidArgument("sample rate " + std::to_string(sample_rate) + " out of range");
  }
  Fingerprinter fp;
  VIGIL_RETURN_IF_ERROR(fp.Start(sample_rate));
  constexpr size_t kChunk = 1 << 16;
  for (size_t i = 0; i < samples.size(); i += kChunk) {
    const size_t n = std::min(kChunk, samples.size() - i);
    VIGIL_RETURN_IF_ERROR(fp.Feed(samples.data() + i, static_cast<int64_t>(n)));
  }
  return fp.Finish();
}

Result<std::string> EncodeFingerprint(const AudioFingerprint& fp) {
  if (fp.raw.empty()) return Status::InvalidArgument("empty fingerprint");
  char* encoded = nullptr;
  int size = 0;
  if (!chromaprint_encode_fingerprint(fp.raw.data(), static_cast<int>(fp.raw.size()), fp.algorithm,
                                      &encoded, &size, 1) ||
      encoded == nullptr) {
    return Status::Internal("chromaprint_encode_fingerprint failed");
  }
  std::string out(encoded, static_cast<size_t>(size));
  chromaprint_dealloc(encoded);
  return out;
}

Result<AudioFingerprint> DecodeFingerprint(std::string_view encoded) {
  // Chromaprint's decoder trusts its input's declared length; check the alphabet and a
  // sane size here so a malformed string is an error, not an over-read.
  if (encoded.empty() || encoded.size() > (size_t{16} << 20)) {
    return Status::InvalidArgument("audio fingerprint must be 1 to 16 MiB of base64");
  }
  for (char c : encoded) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return Status::InvalidArgument("audio fingerprint is not URL-safe base64");
  }
  uint32_t* raw = nullptr;
  int size = 0;
  int algorithm = 0;
  const int ok = chromaprint_decode_fingerprint(encoded.data(), static_cast<int>(encoded.size()),
                                                &raw, &size, &algorithm, 1);
  if (!ok || raw == nullptr || size <= 0) {
    if (raw != nullptr) chromaprint_dealloc(raw);
    return Status::InvalidArgument("malformed audio fingerprint");
  }
  AudioFingerprint fp;
  fp.raw.assign(raw, raw + size);
  chromaprint_dealloc(raw);
  fp.algorithm = algorithm;
  fp.duration_seconds = size * kItemSeconds;
  return fp;
}

namespace {

template <typename CountBits>
AudioMatch Slide(std::span<const uint32_t> a, std::span<const uint32_t> b,
                 const AudioMatchOptions& options, CountBits count_bits) {
  AudioMatch best;
  const int na = static_cast<int>(a.size());
  const int nb = static_cast<int>(b.size());
  if (na == 0 || nb == 0) return best;
  const int need = std::max(1, std::min({options.min_overlap_items, na, nb}));
  // b[i] lines up with a[i + o]; the overlap is i in [max(0,-o), min(nb, na-o)).
  for (int o = need - nb; o <= na - need; ++o) {
    const int lo = std::max(0, -o);
    const int hi = std::min(nb, na - o);
    const int len = hi - lo;
    if (len < need) continue;
    const uint64_t errors = count_bits(a.data() + lo + o, b.data() + lo, len);
    const double ber = static_cast<double>(errors) / (32.0 * len);
    if (ber < best.bit_error_rate) {
      best.bit_error_rate = ber;
      best.offset_items = o;
      best.overlap_items = len;
    }
  }
  if (best.overlap_items == 0) return best;
  double sum = 0;
  int count = 0;
  for (int d : kContrastShifts) {
    const int o = best.offset_items + d;
    const int lo = std::max(0, -o);
    const int hi = std::min(nb, na - o);
    if (hi - lo < (need + 1) / 2) continue;
    sum += static_cast<double>(count_bits(a.data() + lo + o, b.data() + lo, hi - lo)) /
           (32.0 * (hi - lo));
    ++count;
  }
  // With no room to shift (both barely the minimum overlap), assume unrelated items (0.5).
  best.contrast = (count > 0 ? sum / count : 0.5) - best.bit_error_rate;
  best.match =
      best.bit_error_rate <= options.max_bit_error_rate && best.contrast >= options.min_contrast;
  return best;
}

}  // namespace

AudioMatch CompareFingerprints(std::span<const uint32_t> a, std::span<const uint32_t> b,
                               const AudioMatchOptions& options) {
  return Slide(a, b, options, [](const uint32_t* x, const uint32_t* y, int n) {
    uint64_t errors = 0;
    for (int i = 0; i < n; ++i) errors += static_cast<uint64_t>(std::popcount(x[i] ^ y[i]));
    return errors;
  });
}

AudioMatch CompareFingerprintsReference(std::span<const uint32_t> a, std::span<const uint32_t> b,
                                        const AudioMatchOptions& options) {
  return Slide(a, b, options, [](const uint32_t* x, const uint32_t* y, int n) {
    uint64_t errors = 0;
    for (int i = 0; i < n; ++i) {
      for (int bit = 0; bit < 32; ++bit) errors += ((x[i] >> bit) & 1u) != ((y[i] >> bit) & 1u);
    }
    return errors;
  });
}

}  // namespace vigil::audio
