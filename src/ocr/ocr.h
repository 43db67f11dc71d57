// Text in images through Tesseract 5 (Debian's libtesseract and tesseract-ocr-* language
// data), script first: Tesseract's orientation and script detection (OSD) names the
// script, and the image is then read with that script's language models
// (kScriptLanguages): Latin with English, French, German, Italian and Turkish; Arabic
// script with Arabic, Persian and Urdu; Cyrillic with Russian. OSD needs a fair amount of
// text (it refuses joined Arabic lines as "too few characters"); when it gives no answer
// the image is read once with kProbeLanguages (one model per script), the script of the
// letters found decides, and the image is read again with that script's models. A page
// that OSD finds rotated by 90, 180 or 270 degrees is turned upright first.
//
// Pixels come from media::DecodeImage (the same decoders and limits as image hashing).
// Limits: pixels per image (checked before any Tesseract work) and wall time per image
// (Tesseract's own deadline monitor).
//
// Thread safety: an OcrEngine is used by one thread at a time (Tesseract's API objects
// are not shareable); make one engine per thread. Engines load each language set once and
// keep it, so reuse them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "core/status.h"
#include "media/image.h"
#include "text/signal.h"

namespace tesseract {
class TessBaseAPI;
}

namespace vigil::ocr {

// Largest image read (pixels): OCR memory and time grow with the page.
inline constexpr uint64_t kDefaultMaxOcrPixels = 40'000'000;
// Longest time spent recognising one image (each pass), in milliseconds.
inline constexpr int kDefaultOcrTimeoutMs = 30'000;
// OSD answers with a script confidence; below this it is treated as no answer.
inline constexpr float kDefaultMinScriptConfidence = 1.0f;
// OSD's rotation is applied only when it is at least this confident.
inline constexpr float kDefaultMinOrientationConfidence = 2.0f;
// Models used when the script is unknown: one per supported script.
inline constexpr const char* kProbeLanguages = "eng+ara+rus";

// Tesseract script name (OSD) -> language models to read it with.
const std::map<std::string, std::string>& ScriptLanguages();

struct OcrOptions {
  std::string tessdata_dir;  // empty: Tesseract's default (TESSDATA_PREFIX or the package's)
  std::string languages;     // non-empty: skip script detection and use these ("eng+fra")
  uint64_t max_pixels = kDefaultMaxOcrPixels;
  int timeout_ms = kDefaultOcrTimeoutMs;
  float min_script_confidence = kDefaultMinScriptConfidence;
};

struct OcrResult {
  std::string text;             // UTF-8, lines joined by '\n', trimmed
  std::string script;           // "Latin", "Arabic", "Cyrillic", ... ("" when none found)
  std::string script_source;    // "osd", "probe" or "given"
  float script_confidence = 0;  // OSD's, when script_source is "osd"
  int rotation_degrees = 0;     // clockwise rotation applied before recognition
  std::string languages;        // the models the text was read with
  int mean_confidence = 0;      // Tesseract's mean word confidence, 0..100
};

class OcrEngine {
 public:
  // Checks that the OSD model loads. Errors: Unavailable (language data missing).
  static Result<std::unique_ptr<OcrEngine>> Create(const OcrOptions& options = {});
  ~OcrEngine();
  OcrEngine(const OcrEngine&) = delete;
  OcrEngine& operator=(const OcrEngine&) = delete;

  // Errors: ResourceExhausted (too many pixels), DeadlineExceeded (over the time limit),
  // Unavailable (a language's data is not installed), InvalidArgument (empty image).
  Result<OcrResult> Recognize(const media::Image& image);
  // Decodes `bytes` with media::DecodeImage, then Recognize.
  Result<OcrResult> RecognizeFile(std::span<const uint8_t> bytes);

 private:
  explicit OcrEngine(OcrOptions options);
  Result<tesseract::TessBaseAPI*> Api(const std::string& languages);
  Result<OcrResult> Read(const media::Image& grey, const std::string& languages);

  OcrOptions options_;
  std::unique_ptr<tesseract::TessBaseAPI> osd_;
  std::map<std::string, std::unique_ptr<tesseract::TessBaseAPI>> apis_;
};

// OCR text turned into a text signal (normalised, language, fingerprint).
struct OcrSignal {
  OcrResult ocr;
  text::TextSignal text;
};
Result<OcrSignal> RecognizeToSignal(OcrEngine& engine, std::span<const uint8_t> image_bytes);

}  // namespace vigil::ocr
