#include "pipeline/any_media.h"

#include <algorithm>
#include <memory>
#include <string_view>

#include "audio/audio.h"
#include "core/status.h"
#include "media/image.h"
#include "ocr/ocr.h"
#include "pipeline/media_hasher.h"
#include "signals/digest.h"
#include "text/normalize.h"
#include "video/decoder.h"
#include "video/tmk.h"
#include "video/vpdq.h"

namespace vigil::pipeline {
namespace {

std::string Base64(std::span<const uint8_t> bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    if (i + 1 < bytes.size()) v |= uint32_t{bytes[i + 1]} << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

void AddError(MediaSignals& out, std::string_view what, const Status& st) {
  if (!out.error.empty()) out.error += "; ";
  out.error.append(what).append(": ").append(st.ToString());
}

void AddDigests(std::span<const uint8_t> bytes, MediaSignals& out) {
  out.signals.push_back({"md5", digest::Md5Hex(bytes), -1});
  out.signals.push_back({"sha256", digest::Sha256Hex(bytes), -1});
}

video::VideoLimits VideoLimitsOf(const AnyMediaOptions& o) {
  video::VideoLimits l;
  l.max_file_bytes = o.max_bytes;
  l.max_frames = o.max_frames;
  l.max_duration_seconds = o.max_duration_seconds;
  l.max_pixels_per_frame = o.max_video_pixels;
  return l;
}

audio::AudioOptions AudioOptionsOf(const AnyMediaOptions& o) {
  audio::AudioOptions a;
  a.max_file_bytes = o.max_bytes;
  a.max_duration_seconds = o.max_duration_seconds;
  return a;
}

// Codecs of still pictures: a "video" stream of one of these with a single frame is cover
// art (MP3, FLAC, M4A), not a video.
bool IsStillImageCodec(std::string_view codec) {
  static constexpr std::string_view kStill[] = {"mjpeg", "png",      "bmp", "tiff",
                                                "webp",  "jpeg2000", "gif"};
  return std::find(std::begin(kStill), std::end(kStill), codec) != std::end(kStill);
}

// True when the bytes hold a video stream with more than a cover picture. The decoder's
// limits apply, so a hostile header costs no more than hashing would.
bool HasVideo(std::span<const uint8_t> bytes, const AnyMediaOptions& options) {
  auto dec = video::VideoDecoder::Open(bytes, VideoLimitsOf(options));
  if (!dec.ok()) return false;
  video::VideoDecoder& d = **dec;
  if (!IsStillImageCodec(d.info().codec_name)) return true;
  int frames = 0;
  Status st = d.ForEachFrame([&](const video::Frame&) {
    if (++frames >= 2) d.StopAfterThisFrame();
    return Status::OK();
  });
  return st.ok() && frames >= 2;
}

bool HasAudio(std::span<const uint8_t> bytes) {
  // The audio decoder is the only place that knows its whitelist; a tiny fingerprint-less
  // probe would duplicate it. FingerprintAudio's "too short" (InvalidArgument) still means
  // an audio stream was found.
  auto fp = audio::FingerprintAudio(bytes, [] {
    audio::AudioOptions a;
    a.fingerprint_seconds = 1;  // decode at most a second: this is only a probe
    return a;
  }());
  return fp.ok() || fp.status().code() == StatusCode::kInvalidArgument;
}

// Valid UTF-8, no NUL, no control characters but whitespace, and something besides
// whitespace: what a person would call a text file.
bool LooksLikeText(std::span<const uint8_t> b) {
  bool visible = false;
  size_t i = 0;
  if (b.size() >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) i = 3;  // BOM
  while (i < b.size()) {
    uint8_t c = b[i];
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') return false;
      if (c == 0x7f) return false;
      if (c > 0x20) visible = true;
      ++i;
      continue;
    }
    int extra = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
    if (extra < 0 || c == 0xc0 || c == 0xc1 || c > 0xf4) return false;
    if (i + static_cast<size_t>(extra) >= b.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      if ((b[i + k] & 0xc0) != 0x80) return false;
    }
    visible = true;
    i += 1 + extra;
  }
  return visible;
}

// Cuts UTF-8 at most `max` bytes long on a character boundary.
std::string CutUtf8(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<uint8_t>(s[n]) & 0xc0) == 0x80) --n;
  s.resize(n);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

void AddTextSignal(std::string_view utf8, const AnyMediaOptions& options, MediaSignals& out) {
  auto norm = text::NormalizeText(utf8, options.max_text_bytes);
  if (!norm.ok()) {
    AddError(out, "text", norm.status());
  } else if (!norm->empty()) {
    out.signals.push_back({"text", CutUtf8(std::move(*norm), kMaxTextValueBytes), -1});
  }
}

void HashImage(std::span<const uint8_t> bytes, const AnyMediaOptions& options, MediaSignals& out) {
  ImageHashOptions io;
  io.decode.max_pixels = options.max_image_pixels;
  io.digests = false;
  auto h = HashImageBytes(bytes, io);
  if (h.ok()) {
    out.signals.push_back({"pdq", h->pdq.hash.ToHex(), h->pdq.quality});
  } else {
    AddError(out, "pdq", h.status());
  }
  AddDigests(bytes, out);
  if (!options.ocr) return;
  ocr::OcrOptions oo;
  oo.max_pixels = options.max_image_pixels;
  auto engine = ocr::OcrEngine::Create(oo);
  if (!engine.ok()) {
    AddError(out, "ocr", engine.status());
    return;
  }
  auto r = (*engine)->RecognizeFile(bytes);
  if (!r.ok()) {
    AddError(out, "ocr", r.status());
    return;
  }
  AddTextSignal(r->text, options, out);
}

void HashVideo(std::span<const uint8_t> bytes, const AnyMediaOptions& options, MediaSignals& out) {
  video::VpdqOptions vo;
  vo.seconds_per_hash = options.vpdq_seconds_per_frame;
  vo.limits = VideoLimitsOf(options);
  auto frames = video::HashVpdq(bytes, vo);
  if (frames.ok()) {
    std::string v = video::FormatVpdq(*frames);
    while (!v.empty() && v.back() == '\n') v.pop_back();
    std::replace(v.begin(), v.end(), '\n', ';');
    if (!v.empty()) out.signals.push_back({"vpdq", std::move(v), -1});
  } else {
    AddError(out, "vpdq", frames.status());
  }
  if (options.video_tmk) {
    video::TmkOptions to;
    to.limits = vo.limits;
    auto sig = video::ComputeTmk(bytes, to);
    if (sig.ok()) {
      out.signals.push_back({"tmk", Base64(video::SerializeTmk(*sig)), -1});
    } else {
      AddError(out, "tmk", sig.status());
    }
  }
  if (options.video_audio) {
    auto fp = audio::FingerprintAudio(bytes, AudioOptionsOf(options));
    if (fp.ok()) {
      auto enc = audio::EncodeFingerprint(*fp);
      if (enc.ok()) {
        out.signals.push_back({"audio", std::move(*enc), -1});
      } else {
        AddError(out, "audio", enc.status());
      }
    } else if (fp.status().code() != StatusCode::kUnsupported &&
               fp.status().code() != StatusCode::kInvalidArgument) {
      // No soundtrack (Unsupported) or one too short to fingerprint (InvalidArgument) is
      // normal for a video; anything else is worth reporting.
      AddError(out, "audio", fp.status());
    }
  }
  AddDigests(bytes, out);
}

void HashAudio(std::span<const uint8_t> bytes, const AnyMediaOptions& options, MediaSignals& out) {
  auto fp = audio::FingerprintAudio(bytes, AudioOptionsOf(options));
  if (fp.ok()) {
    auto enc = audio::EncodeFingerprint(*fp);
    if (enc.ok()) {
      out.signals.push_back({"audio", std::move(*enc), -1});
    } else {
      AddError(out, "audio", enc.status());
    }
  } else {
    AddError(out, "audio", fp.status());
  }
  AddDigests(bytes, out);
}

}  // namespace

std::string SniffMediaKind(std::span<const uint8_t> bytes, const AnyMediaOptions& options) {
  if (media::SniffFormat(bytes) != media::ImageFormat::kUnknown) return "image";
  if (bytes.size() <= options.max_bytes) {
    if (HasVideo(bytes, options)) return "video";
    if (HasAudio(bytes)) return "audio";
  }
  if (LooksLikeText(bytes)) return "text";
  return "other";
}

MediaSignals HashAnyMedia(std::span<const uint8_t> bytes, const AnyMediaOptions& options) {
  MediaSignals out;
  if (bytes.size() > options.max_bytes) {
    out.kind = "other";
    AddError(out, "file",
             Status::ResourceExhausted("file of " + std::to_string(bytes.size()) +
                                       " bytes exceeds the limit of " +
                                       std::to_string(options.max_bytes)));
    return out;
  }
  out.kind = SniffMediaKind(bytes, options);
  if (out.kind == "image") {
    HashImage(bytes, options, out);
  } else if (out.kind == "video") {
    HashVideo(bytes, options, out);
  } else if (out.kind == "audio") {
    HashAudio(bytes, options, out);
  } else if (out.kind == "text") {
    std::string_view t(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (t.starts_with("\xef\xbb\xbf")) t.remove_prefix(3);
    AddTextSignal(t, options, out);
    AddDigests(bytes, out);
  } else {
    AddDigests(bytes, out);
  }
  return out;
}

}  // namespace vigil::pipeline
