#include "video/tmk.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

extern "C" {
#include <libavutil/common.h>
#include <libavutil/mathematics.h>
}

#include "signals/pdq.h"

namespace vigil::video {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the .tmk layout is the reference's x86 memory image");

// Sum of squares in index order, float, as the reference's computeNorm.
float Norm(const float* v, size_t n) {
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) sum += v[i] * v[i];
  return std::sqrt(sum);
}

void L2Normalize(float* v, size_t n) {
  const float norm = Norm(v, n);
  if (norm > 0.0f) {
    for (size_t i = 0; i < n; ++i) v[i] /= norm;
  }
}

float Dot(const float* a, const float* b, size_t n) {
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

constexpr char kProjectMagic[4] = {'T', 'M', 'K', '1'};
constexpr char kFvecMagic[4] = {'F', 'V', 'E', 'C'};
constexpr char kPdqfMagic[4] = {'P', 'D', 'Q', 'F'};
constexpr int kMaxParsePeriods = 64;
constexpr int kMaxParseCoefficients = 64;
constexpr int kMaxParseDimension = 4096;
// Level 2 walks every offset of every period: bound the work a hostile file can ask for
// (the standard periods are at most 14653).
constexpr int kMaxParsePeriodLength = 100'000;

}  // namespace

const std::array<float, kTmkFourierCoefficients>& TmkFourierCoefficients() {
  // (I_j(32) / sinh(32)), j = 0..31, with the j = 0 term halved: the reference's table.
  static const std::array<float, kTmkFourierCoefficients> c = {
      0.0708041893112f,   0.13937789309f,     0.132897260304f,    0.122765735552f,
      0.109878684888f,    0.09529606433f,     0.0800986647852f,   0.0652590650356f,
      0.0515478238322f,   0.0394851531195f,   0.0293374252025f,   0.0211492623679f,
      0.0147973073245f,   0.0100512818746f,   0.0066306408014f,   0.00424947117334f,
      0.0026467615764f,   0.00160270959695f,  0.000943882629639f, 0.000540841638603f,
      0.000301633183798f, 0.000163800158855f, 8.66454753015e-05f, 4.46626303151e-05f,
      2.24429442235e-05f, 1.09982139799e-05f, 5.25823487999e-06f, 2.45358229988e-06f,
      1.11781474895e-06f, 4.97406489221e-07f, 2.16265487234e-07f, 9.19087006565e-08f};
  return c;
}

PdqfFeature PdqfFromRgb64(const uint8_t* rgb, int stride) {
  alignas(64) float a[64][64];
  for (int y = 0; y < 64; ++y) {
    const uint8_t* p = rgb + static_cast<ptrdiff_t>(y) * stride;
    for (int x = 0; x < 64; ++x, p += 3) a[y][x] = pdq::Luma(p[0], p[1], p[2]);
  }
  // B = D A D^T. Every output is the reference's sum over k in ascending order; only the
  // loop nest differs, so the floats are the same.
  const auto& d = pdq::internal::Dct64Basis();
  alignas(64) float t[16][64];
  for (int i = 0; i < 16; ++i) {
    float* ti = t[i];
    for (int j = 0; j < 64; ++j) ti[j] = 0.0f;
    for (int k = 0; k < 64; ++k) {
      const float dik = d[i][k];
      const float* ak = a[k];
      for (int j = 0; j < 64; ++j) ti[j] += dik * ak[j];
    }
  }
  PdqfFeature out;
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      float s = 0.0f;
      for (int k = 0; k < 64; ++k) s += t[i][k] * d[j][k];
      out[i * 16 + j] = s;
    }
  }
  return out;
}

// --- Builder ---------------------------------------------------------------------------

TmkBuilder::TmkBuilder() {
  const size_t p = kTmkPeriods.size(), c = kTmkFourierCoefficients, d = kPdqfDimension;
  sig_.frames_per_second = kTmkFramesPerSecond;
  sig_.periods.assign(kTmkPeriods.begin(), kTmkPeriods.end());
  const auto& coeffs = TmkFourierCoefficients();
  sig_.fourier_coefficients.assign(coeffs.begin(), coeffs.end());
  sig_.pure_average.assign(d, 0.0f);
  sig_.cos_features.assign(p * c * d, 0.0f);
  sig_.sin_features.assign(p * c * d, 0.0f);
}

void TmkBuilder::Add(const PdqfFeature& feature) {
  constexpr size_t d = kPdqfDimension;
  constexpr size_t c = kTmkFourierCoefficients;
  for (size_t k = 0; k < d; ++k) sig_.pure_average[k] += feature[k];
  PdqfFeature nf = feature;
  L2Normalize(nf.data(), d);
  const int t = count_;
  for (size_t i = 0; i < sig_.periods.size(); ++i) {
    const int period = sig_.periods[i];
    float* cos0 = sig_.cos_features.data() + (i * c) * d;
    for (size_t k = 0; k < d; ++k) cos0[k] += nf[k];
    for (size_t j = 1; j < c; ++j) {
      // The reference's expression, in double, then float accumulators updated in double.
      const double arg = 2.0 * M_PI * static_cast<double>(j) * static_cast<double>(t) /
                         static_cast<double>(period);
      const double ca = std::cos(arg);
      const double sa = std::sin(arg);
      float* cf = sig_.cos_features.data() + (i * c + j) * d;
      float* sf = sig_.sin_features.data() + (i * c + j) * d;
      for (size_t k = 0; k < d; ++k) {
        cf[k] = static_cast<float>(static_cast<double>(cf[k]) + static_cast<double>(nf[k]) * ca);
        sf[k] = static_cast<float>(static_cast<double>(sf[k]) + static_cast<double>(nf[k]) * sa);
      }
    }
  }
  ++count_;
}

TmkSignature TmkBuilder::Finish() && {
  sig_.frame_feature_count = count_;
  if (count_ > 0) {
    const float n = static_cast<float>(count_);
    for (float& v : sig_.pure_average) v /= n;
    const size_t d = sig_.pure_average.size();
    const size_t c = sig_.fourier_coefficients.size();
    for (size_t i = 0; i < sig_.periods.size(); ++i) {
      for (size_t j = 0; j < c; ++j) {
        float* cf = sig_.cos_features.data() + (i * c + j) * d;
        float* sf = sig_.sin_features.data() + (i * c + j) * d;
        L2Normalize(cf, d);
        L2Normalize(sf, d);
        const float s = std::sqrt(sig_.fourier_coefficients[j]);
        for (size_t k = 0; k < d; ++k) cf[k] *= s;
        for (size_t k = 0; k < d; ++k) sf[k] *= s;
      }
    }
  }
  return std::move(sig_);
}

// --- Frame-rate conversion -----------------------------------------------------------

CfrResampler::CfrResampler(Rational time_base, Rational input_rate, int output_fps,
                           bool single_stream)
    : tb_(time_base), output_fps_(output_fps), vscfr_(single_stream) {
  // duration = 1 / (rate * enc_tb), then at most one output frame (the CLI's -r clip).
  const double enc_tb = 1.0 / output_fps;
  if (input_rate.num > 0 && input_rate.den > 0) {
    input_duration_ = 1 / (input_rate.ToDouble() * enc_tb);
  }
  input_duration_ = std::min(input_duration_, 1 / (static_cast<double>(output_fps) * enc_tb));
}

CfrResampler::Emit CfrResampler::Next(int64_t pts, int64_t pkt_duration) {
  const AVRational enc_tb{1, output_fps_};
  const AVRational filter_tb{tb_.num, tb_.den};
  double duration = input_duration_;
  const long d = std::lrintf(
      static_cast<float>(static_cast<double>(pkt_duration) * av_q2d(filter_tb) / av_q2d(enc_tb)));
  if (d > 0) duration = static_cast<double>(d);

  // adjust_frame_pts_to_encoder_tb: the pts in output ticks with 16 extra bits, nudged off
  // exact midpoints.
  double sync_ipts = static_cast<double>(AV_NOPTS_VALUE);
  if (pts != Frame::kNoTimestamp) {
    AVRational tb = enc_tb;
    const int extra_bits = av_clip(29 - av_log2(static_cast<unsigned>(tb.den)), 0, 16);
    tb.den <<= extra_bits;
    sync_ipts = static_cast<double>(av_rescale_q(pts, filter_tb, tb));
    sync_ipts /= 1 << extra_bits;
    sync_ipts += FFSIGN(sync_ipts) * 1.0 / (1 << 17);
  }

  double delta0 = sync_ipts - static_cast<double>(sync_opts_);
  double delta = delta0 + duration;
  int nb0 = 0;
  int64_t nb = 1;
  if (delta0 < 0 && delta > 0) {
    sync_ipts = static_cast<double>(sync_opts_);
    duration += delta0;
    delta0 = 0;
  }
  if (vscfr_ && frame_number_ == 0 && delta0 >= 0.5) {
    delta = duration;
    delta0 = 0;
    sync_opts_ = std::llrint(sync_ipts);
  }
  if (delta < -1.1) {
    nb = 0;
  } else if (delta > 1.1) {
    nb = std::lrintf(static_cast<float>(delta));
    if (delta0 > 1.1) nb0 = static_cast<int>(std::llrintf(static_cast<float>(delta0 - 0.6)));
  }
  nb0 = static_cast<int>(std::min<int64_t>(nb0, nb));
  last_nb0_[2] = last_nb0_[1];
  last_nb0_[1] = last_nb0_[0];
  last_nb0_[0] = nb0;
  // The CLI refuses absurd duplication (more than an hour of frames) and skips the frame.
  if (nb > int64_t{3600} * 30 * 30) return {};

  Emit e;
  e.repeat_previous = have_last_ ? nb0 : 0;
  e.current = static_cast<int>(nb) - e.repeat_previous;
  sync_opts_ += nb;
  frame_number_ += nb;
  have_last_ = true;
  return e;
}

int CfrResampler::Flush() const {
  if (!have_last_) return 0;
  const int a = last_nb0_[0], b = last_nb0_[1], c = last_nb0_[2];
  return std::max(std::min(a, b), std::min(std::max(a, b), c));  // median
}

// --- Hashing a video ------------------------------------------------------------------

Result<TmkSignature> ComputeTmk(std::span<const uint8_t> video_bytes, const TmkOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<VideoDecoder> decoder,
                         VideoDecoder::Open(video_bytes, options.limits));
  const StreamInfo& info = decoder->info();
  CfrResampler cfr(info.time_base, info.guessed_frame_rate, kTmkFramesPerSecond,
                   info.stream_count == 1);
  TmkBuilder builder;
  RgbImage rgb;
  PdqfFeature previous{};
  bool have_previous = false;
  const int64_t max_output =
      static_cast<int64_t>(options.limits.max_duration_seconds * kTmkFramesPerSecond) + 1;
  Status s = decoder->ForEachFrame([&](const Frame& frame) -> Status {
    const CfrResampler::Emit e = cfr.Next(frame.pts(), frame.duration());
    if (builder.frame_count() + static_cast<int64_t>(e.repeat_previous) + e.current > max_output) {
      return Status::ResourceExhausted("video runs past the duration limit after resampling");
    }
    for (int i = 0; i < e.repeat_previous && have_previous; ++i) builder.Add(previous);
    if (e.current > 0) {
      VIGIL_RETURN_IF_ERROR(
          decoder->ToRgb(frame, kTmkFrameDim, kTmkFrameDim, ScaleFilter::kBicubic, &rgb));
      previous = PdqfFromRgb64(rgb.pixels.data(), rgb.stride);
      have_previous = true;
      for (int i = 0; i < e.current; ++i) builder.Add(previous);
    }
    return Status::OK();
  });
  VIGIL_RETURN_IF_ERROR(s);
  for (int i = cfr.Flush(); i > 0 && have_previous; --i) builder.Add(previous);
  return std::move(builder).Finish();
}

// --- File format --------------------------------------------------------------------

std::vector<uint8_t> SerializeTmk(const TmkSignature& sig) {
  const size_t total =
      32 + 4 * (sig.periods.size() + sig.fourier_coefficients.size() + sig.pure_average.size() +
                sig.cos_features.size() + sig.sin_features.size());
  std::vector<uint8_t> out(total);
  size_t off = 0;
  auto put = [&out, &off](const void* p, size_t n) {
    if (n == 0) return;
    std::memcpy(out.data() + off, p, n);
    off += n;
  };
  put(kProjectMagic, 4);
  put(kFvecMagic, 4);
  put(kPdqfMagic, 4);
  const int32_t header[5] = {sig.frames_per_second, static_cast<int32_t>(sig.periods.size()),
                             static_cast<int32_t>(sig.fourier_coefficients.size()),
                             static_cast<int32_t>(sig.pure_average.size()),
                             sig.frame_feature_count};
  put(header, sizeof(header));
  put(sig.periods.data(), sig.periods.size() * sizeof(int32_t));
  put(sig.fourier_coefficients.data(), sig.fourier_coefficients.size() * sizeof(float));
  put(sig.pure_average.data(), sig.pure_average.size() * sizeof(float));
  put(sig.cos_features.data(), sig.cos_features.size() * sizeof(float));
  put(sig.sin_features.data(), sig.sin_features.size() * sizeof(float));
  return out;
}

Result<TmkSignature> ParseTmk(std::span<const uint8_t> bytes) {
  if (bytes.size() < 32) return Status::Corruption("TMK file shorter than its header");
  if (std::memcmp(bytes.data(), kProjectMagic, 4) != 0 ||
      std::memcmp(bytes.data() + 4, kFvecMagic, 4) != 0) {
    return Status::Corruption("not a TMK feature-vector file (bad magic)");
  }
  if (std::memcmp(bytes.data() + 8, kPdqfMagic, 4) != 0) {
    return Status::Unsupported("TMK frame-feature algorithm is not PDQF");
  }
  int32_t h[5];
  std::memcpy(h, bytes.data() + 12, sizeof(h));
  const int32_t fps = h[0], np = h[1], nc = h[2], dim = h[3], count = h[4];
  if (fps <= 0 || fps > 1000 || np < 0 || np > kMaxParsePeriods || nc < 0 ||
      nc > kMaxParseCoefficients || dim <= 0 || dim > kMaxParseDimension || count < 0) {
    return Status::Corruption("TMK header out of range");
  }
  const size_t feat = static_cast<size_t>(np) * nc * dim;
  const size_t expected = 32 + 4 * (static_cast<size_t>(np) + nc + dim + 2 * feat);
  if (bytes.size() != expected) {
    return Status::Corruption("TMK file is " + std::to_string(bytes.size()) +
                              " bytes; its header implies " + std::to_string(expected));
  }
  TmkSignature sig;
  sig.frames_per_second = fps;
  sig.frame_feature_count = count;
  sig.periods.resize(np);
  sig.fourier_coefficients.resize(nc);
  sig.pure_average.resize(dim);
  sig.cos_features.resize(feat);
  sig.sin_features.resize(feat);
  size_t off = 32;
  auto take = [&](void* dst, size_t n) {
    std::memcpy(dst, bytes.data() + off, n);
    off += n;
  };
  take(sig.periods.data(), 4 * static_cast<size_t>(np));
  take(sig.fourier_coefficients.data(), 4 * static_cast<size_t>(nc));
  take(sig.pure_average.data(), 4 * static_cast<size_t>(dim));
  take(sig.cos_features.data(), 4 * feat);
  take(sig.sin_features.data(), 4 * feat);
  for (int p : sig.periods) {
    if (p <= 0 || p > kMaxParsePeriodLength) return Status::Corruption("TMK period out of range");
  }
  auto finite = [](const std::vector<float>& v) {
    return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
  };
  if (!finite(sig.fourier_coefficients) || !finite(sig.pure_average) || !finite(sig.cos_features) ||
      !finite(sig.sin_features)) {
    return Status::Corruption("TMK file holds a non-finite number");
  }
  for (float c : sig.fourier_coefficients) {
    if (c < 0) return Status::Corruption("TMK Fourier coefficient is negative");
  }
  return sig;
}

// --- Scores -----------------------------------------------------------------------

namespace {

Status CheckCompatible(const TmkSignature& a, const TmkSignature& b) {
  if (a.frames_per_second != b.frames_per_second) {
    return Status::InvalidArgument("TMK signatures differ in frame rate");
  }
  if (a.periods != b.periods) return Status::InvalidArgument("TMK signatures differ in periods");
  if (a.fourier_coefficients.size() != b.fourier_coefficients.size()) {
    return Status::InvalidArgument("TMK signatures differ in Fourier coefficients");
  }
  for (size_t i = 0; i < a.fourier_coefficients.size(); ++i) {
    const float ca = a.fourier_coefficients[i], cb = b.fourier_coefficients[i];
    const float m = std::fmax(std::fabs(ca), std::fabs(cb));
    if (m > 0 && std::fabs((ca - cb) / m) > 1e-6f) {
      return Status::InvalidArgument("TMK signatures differ in Fourier coefficients");
    }
  }
  if (a.pure_average.size() != b.pure_average.size()) {
    return Status::InvalidArgument("TMK signatures differ in feature dimension");
  }
  if (a.cos_features.size() != b.cos_features.size() ||
      a.sin_features.size() != b.sin_features.size()) {
    return Status::InvalidArgument("TMK signature is inconsistent");
  }
  return Status::OK();
}

}  // namespace

Result<float> TmkLevel1Score(const TmkSignature& a, const TmkSignature& b) {
  VIGIL_RETURN_IF_ERROR(CheckCompatible(a, b));
  const size_t n = a.pure_average.size();
  const float na = Norm(a.pure_average.data(), n), nb = Norm(b.pure_average.data(), n);
  if (na == 0.0f && nb == 0.0f) return 0.0f;
  return Dot(a.pure_average.data(), b.pure_average.data(), n) / (na * nb);
}

Result<float> TmkLevel2Score(const TmkSignature& a, const TmkSignature& b) {
  VIGIL_RETURN_IF_ERROR(CheckCompatible(a, b));
  const int np = static_cast<int>(a.periods.size());
  const int nc = static_cast<int>(a.fourier_coefficients.size());
  const size_t d = a.pure_average.size();
  if (np == 0 || nc == 0) return 0.0f;
  float normalizer = a.fourier_coefficients[0];
  for (int j = 1; j < nc; ++j) {
    normalizer = static_cast<float>(normalizer + 2.0 * a.fourier_coefficients[j]);
  }
  std::vector<float> cc(nc), ss(nc), sc(nc), cs(nc);
  float best = 0.0f;
  for (int i = 0; i < np; ++i) {
    for (int j = 0; j < nc; ++j) {
      cc[j] = Dot(a.Cos(i, j), b.Cos(i, j), d);
      ss[j] = Dot(a.Sin(i, j), b.Sin(i, j), d);
      sc[j] = Dot(a.Sin(i, j), b.Cos(i, j), d);
      cs[j] = Dot(a.Cos(i, j), b.Sin(i, j), d);
    }
    const int period = a.periods[i];
    float max_k = 0.0f;
    for (int offset = 0; offset < period; ++offset) {
      // The reference's incremental cos/sin recurrence, in float.
      const float delta =
          static_cast<float>(2.0 * M_PI * static_cast<float>(offset) / static_cast<float>(period));
      float k_delta = cc[0];
      float cos_jd = 1;
      float sin_jd = 0;
      const float beta = static_cast<float>(std::sin(static_cast<double>(delta)));
      float alpha = static_cast<float>(std::sin(static_cast<double>(delta / 2)));
      alpha = 2 * alpha * alpha;
      for (int j = 1; j < nc; ++j) {
        const float n_cos = (alpha * cos_jd) + (beta * sin_jd);
        const float n_sin = (alpha * sin_jd) - (beta * cos_jd);
        cos_jd -= n_cos;
        sin_jd -= n_sin;
        k_delta += cos_jd * (cc[j] + ss[j]);
        k_delta += sin_jd * (sc[j] - cs[j]);
      }
      if (offset == 0 || k_delta > max_k) max_k = k_delta;
    }
    if (i == 0 || best < max_k) best = max_k;
  }
  return best / normalizer;
}

Result<TmkMatch> TmkCompare(const TmkSignature& a, const TmkSignature& b, float level1_threshold,
                            float level2_threshold) {
  TmkMatch m;
  VIGIL_ASSIGN_OR_RETURN(m.level1, TmkLevel1Score(a, b));
  if (m.level1 >= level1_threshold) {
    VIGIL_ASSIGN_OR_RETURN(m.level2, TmkLevel2Score(a, b));
    m.is_match = m.level2 >= level2_threshold;
  }
  return m;
}

}  // namespace vigil::video
