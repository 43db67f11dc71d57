// Tests with generated audio only: synthetic melodies and noise written as WAV here, then
// re-encoded and cut with the ffmpeg command-line tool (Debian's `ffmpeg` package).
#include "audio/audio.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/file.h"

namespace vigil::audio {
namespace {

namespace fs = std::filesystem;

constexpr int kRate = 44100;

// A melody: notes of 0.2-0.5 s drawn from a pentatonic scale, with harmonics and an
// envelope, plus a little noise; stereo with a slight difference between channels.
std::vector<int16_t> Melody(uint32_t seed, double seconds) {
  std::mt19937 rng(seed);
  const double scale[] = {0, 2, 4, 7, 9, 12, 14, 16, 19, 21};
  std::uniform_int_distribution<int> note(0, 9);
  std::uniform_real_distribution<double> len(0.2, 0.5);
  std::normal_distribution<double> noise(0, 0.01);
  const size_t n = static_cast<size_t>(seconds * kRate);
  std::vector<int16_t> out(2 * n);
  double t0 = 0, dur = 0, freq = 0;
  const double base = 220.0 * std::pow(2.0, (seed % 5) / 12.0);
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / kRate;
    if (t >= t0 + dur) {
      t0 = t;
      dur = len(rng);
      freq = base * std::pow(2.0, scale[note(rng)] / 12.0);
    }
    const double u = t - t0;
    const double env = std::min(1.0, u / 0.02) * std::exp(-2.0 * u);
    const double x = 0.5 * std::sin(2 * M_PI * freq * u) + 0.25 * std::sin(4 * M_PI * freq * u) +
                     0.12 * std::sin(6 * M_PI * freq * u);
    const double v = 0.6 * env * x + noise(rng);
    out[2 * i] = static_cast<int16_t>(std::clamp(v, -1.0, 1.0) * 32000);
    out[2 * i + 1] = static_cast<int16_t>(std::clamp(0.9 * v, -1.0, 1.0) * 32000);
  }
  return out;
}

std::vector<int16_t> Noise(uint32_t seed, double seconds) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0, 0.2);
  std::vector<int16_t> out(2 * static_cast<size_t>(seconds * kRate));
  double brown = 0;
  for (auto& s : out) {
    brown = 0.98 * brown + g(rng);  // reddened, so it is not flat white noise
    s = static_cast<int16_t>(std::clamp(brown * 0.2, -1.0, 1.0) * 32000);
  }
  return out;
}

std::vector<uint8_t> Wav(const std::vector<int16_t>& stereo) {
  const uint32_t data_bytes = static_cast<uint32_t>(stereo.size() * 2);
  std::vector<uint8_t> w;
  auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) w.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  auto u16 = [&](uint16_t v) {
    w.push_back(static_cast<uint8_t>(v));
    w.push_back(static_cast<uint8_t>(v >> 8));
  };
  auto tag = [&](const char* t) { w.insert(w.end(), t, t + 4); };
  tag("RIFF");
  u32(36 + data_bytes);
  tag("WAVE");
  tag("fmt ");
  u32(16);
  u16(1);
  u16(2);
  u32(kRate);
  u32(kRate * 4);
  u16(4);
  u16(16);
  tag("data");
  u32(data_bytes);
  for (int16_t s : stereo) u16(static_cast<uint16_t>(s));
  return w;
}

class AudioTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::path(VIGIL_BINARY_DIR) / "testtmp" /
                        ("audio-" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    auto write = [](const std::string& name, const std::vector<int16_t>& pcm) {
      const auto bytes = Wav(pcm);
      ASSERT_TRUE(WriteFileAtomic((*dir_ / name).string(), bytes.data(), bytes.size()).ok());
    };
    write("melody1.wav", Melody(1, 20));
    write("melody2.wav", Melody(2, 20));
    write("melody3.wav", Melody(3, 20));
    write("noise1.wav", Noise(4, 20));
    write("noise2.wav", Noise(5, 20));
    have_ffmpeg_ = std::system("ffmpeg -version >/dev/null 2>&1") == 0;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
  }

  static std::string Path(const std::string& name) { return (*dir_ / name).string(); }

  // Runs ffmpeg: input options, the input, output options, the output.
  static bool Ffmpeg(const std::string& in_args, const std::string& in, const std::string& out_args,
                     const std::string& out) {
    const std::string cmd = "ffmpeg -nostdin -hide_banner -loglevel error -y " + in_args + " -i '" +
                            Path(in) + "' " + out_args + " -map_metadata -1 '" + Path(out) + "'";
    return std::system(cmd.c_str()) == 0;
  }

  static AudioFingerprint Fp(const std::string& name) {
    auto bytes = ReadFileBytes(Path(name), kDefaultMaxAudioFileBytes);
    EXPECT_TRUE(bytes.ok()) << name;
    auto fp = FingerprintAudio(*bytes);
    EXPECT_TRUE(fp.ok()) << name << ": " << fp.status().ToString();
    return fp.ok() ? *fp : AudioFingerprint{};
  }

  static AudioMatch Compare(const std::string& x, const std::string& y) {
    const auto a = Fp(x), b = Fp(y);
    const auto m = CompareFingerprints(a.raw, b.raw);
    std::printf("  %-14s vs %-18s BER %.3f contrast %.3f offset %+.2f s overlap %.1f s\n",
                x.c_str(), y.c_str(), m.bit_error_rate, m.contrast, m.offset_seconds(),
                m.overlap_seconds());
    return m;
  }

  static fs::path* dir_;
  static bool have_ffmpeg_;
};
fs::path* AudioTest::dir_ = nullptr;
bool AudioTest::have_ffmpeg_ = false;

TEST_F(AudioTest, FingerprintsWav) {
  const auto fp = Fp("melody1.wav");
  EXPECT_NEAR(fp.duration_seconds, 20.0, 0.01);
  // One item per ~0.124 s, less Chromaprint's start-up window.
  EXPECT_GT(fp.raw.size(), 130u);
  EXPECT_LT(fp.raw.size(), 165u);
  EXPECT_EQ(fp.algorithm, 1);
  // Deterministic.
  EXPECT_EQ(Fp("melody1.wav").raw, fp.raw);
  // Identical audio matches itself perfectly at offset 0.
  const auto m = CompareFingerprints(fp.raw, fp.raw);
  EXPECT_TRUE(m.match);
  EXPECT_EQ(m.bit_error_rate, 0.0);
  EXPECT_EQ(m.offset_items, 0);
}

TEST_F(AudioTest, ReencodingsAndCutsMatchDifferentRecordingsDoNot) {
  if (!have_ffmpeg_) GTEST_SKIP() << "ffmpeg command-line tool not installed";
  ASSERT_TRUE(Ffmpeg("", "melody1.wav", "-b:a 128k", "melody1.mp3"));
  ASSERT_TRUE(Ffmpeg("", "melody1.wav", "-b:a 96k", "melody1.m4a"));   // AAC
  ASSERT_TRUE(Ffmpeg("", "melody1.wav", "-b:a 48k", "melody1.opus"));  // Opus at 48 kHz
  ASSERT_TRUE(Ffmpeg("", "melody1.wav", "-ac 1 -ar 22050 -b:a 32k", "melody1-mono.mp3"));
  // A segment from the middle, cut out of the MP3 and re-encoded again.
  ASSERT_TRUE(Ffmpeg("-ss 6.3 -t 9", "melody1.mp3", "", "melody1-cut.m4a"));
  // The melody as the soundtrack of a video.
  ASSERT_TRUE(Ffmpeg("-f lavfi -i testsrc=size=160x120:rate=10:duration=20", "melody1.wav",
                     "-c:v mpeg4 -c:a aac -shortest", "melody1-video.mp4"));

  for (const char* copy : {"melody1.mp3", "melody1.m4a", "melody1.opus", "melody1-mono.mp3",
                           "melody1-cut.m4a", "melody1-video.mp4"}) {
    const auto m = Compare("melody1.wav", copy);
    EXPECT_TRUE(m.match) << copy;
    EXPECT_LT(m.bit_error_rate, 0.2) << copy;
    EXPECT_GT(m.contrast, 0.2) << copy;
  }
  // The cut starts about 6.3 s in; Chromaprint's first items need ~2.7 s of audio, so 9 s
  // of audio give ~6.3 s of fingerprint.
  const auto cut = Compare("melody1.wav", "melody1-cut.m4a");
  EXPECT_NEAR(cut.offset_seconds(), 6.3, 0.3);
  EXPECT_NEAR(cut.overlap_seconds(), 6.3, 1.0);

  for (const auto& [x, y] :
       std::vector<std::pair<std::string, std::string>>{{"melody1.wav", "melody2.wav"},
                                                        {"melody1.wav", "melody3.wav"},
                                                        {"melody2.wav", "melody3.wav"},
                                                        {"melody1.wav", "noise1.wav"},
                                                        {"noise1.wav", "noise2.wav"},
                                                        {"melody2.wav", "melody1-cut.m4a"}}) {
    const auto m = Compare(x, y);
    EXPECT_FALSE(m.match) << x << " vs " << y;
    EXPECT_TRUE(m.bit_error_rate > 0.35 || m.contrast < 0.05) << x << " vs " << y;
  }
}

TEST_F(AudioTest, FastCompareEqualsReference) {
  std::mt19937 rng(9);
  for (int t = 0; t < 20; ++t) {
    std::vector<uint32_t> a(50 + rng() % 200), b(1 + rng() % 120);
    for (auto& v : a) v = rng();
    for (auto& v : b) v = rng();
    // Plant b inside a with a few flipped bits so there is a clear best alignment.
    if (t % 2 == 0 && b.size() < a.size()) {
      const size_t at = rng() % (a.size() - b.size());
      for (size_t i = 0; i < b.size(); ++i) a[at + i] = b[i] ^ (1u << (rng() % 32));
    }
    const auto fast = CompareFingerprints(a, b);
    const auto ref = CompareFingerprintsReference(a, b);
    EXPECT_EQ(fast.bit_error_rate, ref.bit_error_rate);
    EXPECT_EQ(fast.offset_items, ref.offset_items);
    EXPECT_EQ(fast.overlap_items, ref.overlap_items);
    EXPECT_EQ(fast.contrast, ref.contrast);
    EXPECT_EQ(fast.match, ref.match);
  }
  EXPECT_FALSE(CompareFingerprints({}, {}).match);
}

TEST_F(AudioTest, EncodedFormRoundTrips) {
  const auto fp = Fp("melody2.wav");
  auto enc = EncodeFingerprint(fp);
  ASSERT_TRUE(enc.ok());
  auto dec = DecodeFingerprint(*enc);
  ASSERT_TRUE(dec.ok()) << dec.status().ToString();
  EXPECT_EQ(dec->raw, fp.raw);
  EXPECT_EQ(dec->algorithm, fp.algorithm);
  EXPECT_FALSE(DecodeFingerprint("").ok());
  EXPECT_FALSE(DecodeFingerprint("not base64!").ok());
  EXPECT_FALSE(DecodeFingerprint("AQAA").ok());
}

TEST_F(AudioTest, LimitsAndBadInput) {
  auto bytes = ReadFileBytes(Path("melody1.wav"), kDefaultMaxAudioFileBytes);
  ASSERT_TRUE(bytes.ok());
  AudioOptions small;
  small.max_file_bytes = 1000;
  EXPECT_EQ(FingerprintAudio(*bytes, small).status().code(), StatusCode::kResourceExhausted);
  AudioOptions short_limit;
  short_limit.max_duration_seconds = 5;
  EXPECT_EQ(FingerprintAudio(*bytes, short_limit).status().code(), StatusCode::kResourceExhausted);
  // Only the first 10 s fingerprinted: a prefix of the full fingerprint's length.
  AudioOptions prefix;
  prefix.fingerprint_seconds = 10;
  auto head = FingerprintAudio(*bytes, prefix);
  ASSERT_TRUE(head.ok());
  EXPECT_LT(head->raw.size(), 85u);
  EXPECT_TRUE(CompareFingerprints(Fp("melody1.wav").raw, head->raw).match);

  const std::vector<uint8_t> junk(5000, 0x5a);
  EXPECT_FALSE(FingerprintAudio(junk).ok());
  EXPECT_FALSE(FingerprintAudio({}).ok());
  // A truncated WAV still fingerprints what is there; a header alone is too short.
  std::vector<uint8_t> truncated(bytes->begin(), bytes->begin() + bytes->size() / 2);
  EXPECT_TRUE(FingerprintAudio(truncated).ok());
  std::vector<uint8_t> header(bytes->begin(), bytes->begin() + 44 + 400);
  EXPECT_FALSE(FingerprintAudio(header).ok());
}

}  // namespace
}  // namespace vigil::audio
