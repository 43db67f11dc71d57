// OCR of generated images of invented, benign sentences (testdata/make_images.py).
#include "ocr/ocr.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "core/file.h"
#include "text/minhash.h"
#include "text/normalize.h"

namespace vigil::ocr {
namespace {

const std::string kDir = std::string(VIGIL_SOURCE_DIR) + "/src/ocr/testdata/";

struct Expected {
  std::string file, lang, text;
};

std::vector<Expected> LoadExpected() {
  std::ifstream in(kDir + "expected.tsv");
  std::vector<Expected> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Expected e;
    std::getline(fields, e.file, '\t');
    std::getline(fields, e.lang, '\t');
    std::getline(fields, e.text);
    out.push_back(e);
  }
  return out;
}

std::vector<uint8_t> Read(const std::string& file) {
  auto bytes = ReadFileBytes(kDir + file, 1 << 20);
  EXPECT_TRUE(bytes.ok()) << file;
  return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

double TextSimilarity(const std::string& a, const std::string& b) {
  auto fa = text::MatchingForm(a), fb = text::MatchingForm(b);
  if (!fa.ok() || !fb.ok() || fa->empty() || fb->empty()) return 0;
  return text::Similarity(*text::ComputeMinHash(*fa), *text::ComputeMinHash(*fb));
}

class OcrTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto e = OcrEngine::Create();
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e).release();
  }
  static void TearDownTestSuite() { delete engine_; }
  static OcrEngine* engine_;
};
OcrEngine* OcrTest::engine_ = nullptr;

TEST_F(OcrTest, ReadsEveryLanguageWithTheRightScriptModels) {
  const auto expected = LoadExpected();
  ASSERT_EQ(expected.size(), 9u);
  const std::map<std::string, std::string> script = {
      {"en", "Latin"},    {"fr", "Latin"},  {"de", "Latin"},  {"it", "Latin"}, {"tr", "Latin"},
      {"ru", "Cyrillic"}, {"ar", "Arabic"}, {"fa", "Arabic"}, {"ur", "Arabic"}};
  for (const Expected& e : expected) {
    const auto start = std::chrono::steady_clock::now();
    auto r = RecognizeToSignal(*engine_, Read(e.file));
    ASSERT_TRUE(r.ok()) << e.file << ": " << r.status().ToString();
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    const double sim = TextSimilarity(r->ocr.text, e.text);
    std::printf("  %-12s script %-8s (%s) models %-20s conf %3d lang %s sim %.2f %6.0f ms\n",
                e.file.c_str(), r->ocr.script.c_str(), r->ocr.script_source.c_str(),
                r->ocr.languages.c_str(), r->ocr.mean_confidence, r->text.language.code.c_str(),
                sim, ms);
    EXPECT_EQ(r->ocr.script, script.at(e.lang)) << e.file;
    EXPECT_EQ(r->ocr.languages, ScriptLanguages().at(script.at(e.lang))) << e.file;
    // The OCR text is a near-duplicate of what was drawn.
    EXPECT_GE(sim, 0.6) << e.file << ": " << r->ocr.text;
    ASSERT_TRUE(r->text.minhash.has_value());
    // CLD2 tells the languages apart (Urdu written in Naskh is often taken for Persian).
    if (e.lang != "ur") {
      EXPECT_EQ(r->text.language.code, e.lang) << e.file;
    }
  }
}

TEST_F(OcrTest, TurnsARotatedPageUpright) {
  auto image = media::DecodeImage(Read("text-de.png"));
  ASSERT_TRUE(image.ok());
  // Rotate 90 degrees clockwise.
  media::Image rotated = *image;
  rotated.width = image->height;
  rotated.height = image->width;
  for (int y = 0; y < image->height; ++y) {
    for (int x = 0; x < image->width; ++x) {
      rotated.pixels[static_cast<size_t>(x) * rotated.width + (image->height - 1 - y)] =
          image->pixels[static_cast<size_t>(y) * image->width + x];
    }
  }
  auto r = engine_->Recognize(rotated);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rotation_degrees, 90);
  EXPECT_GE(TextSimilarity(r->text, LoadExpected()[2].text), 0.6) << r->text;
}

TEST_F(OcrTest, BlankImageHasNoText) {
  media::Image blank;
  blank.width = 200;
  blank.height = 100;
  blank.channels = 3;
  blank.pixels.assign(200 * 100 * 3, 255);
  auto r = engine_->Recognize(blank);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->text, "");
}

TEST_F(OcrTest, GivenLanguagesSkipDetection) {
  OcrOptions o;
  o.languages = "eng";
  auto e = OcrEngine::Create(o);
  ASSERT_TRUE(e.ok());
  auto r = (*e)->RecognizeFile(Read("text-en.png"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->script_source, "given");
  EXPECT_EQ(r->languages, "eng");
  EXPECT_GE(TextSimilarity(r->text, LoadExpected()[0].text), 0.8);
}

TEST_F(OcrTest, LimitsAndBadInput) {
  OcrOptions small;
  small.max_pixels = 10'000;
  auto e = OcrEngine::Create(small);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->RecognizeFile(Read("text-en.png")).status().code(),
            StatusCode::kResourceExhausted);

  OcrOptions hurried;
  hurried.languages = "eng";
  hurried.timeout_ms = 1;
  auto h = OcrEngine::Create(hurried);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((*h)->RecognizeFile(Read("text-en.png")).status().code(),
            StatusCode::kDeadlineExceeded);

  OcrOptions missing;
  missing.languages = "xyz";
  auto m = OcrEngine::Create(missing);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->RecognizeFile(Read("text-en.png")).status().code(), StatusCode::kUnavailable);

  const std::vector<uint8_t> junk(100, 7);
  EXPECT_FALSE(engine_->RecognizeFile(junk).ok());
  EXPECT_FALSE(engine_->Recognize(media::Image{}).ok());
}

}  // namespace
}  // namespace vigil::ocr
