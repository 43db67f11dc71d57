#include "ocr/ocr.h"

#include <tesseract/baseapi.h>
#include <tesseract/ocrclass.h>
#include <tesseract/osdetect.h>

#include <algorithm>
#include <cstdlib>

#include "text/lang.h"

namespace vigil::ocr {
namespace {

struct TextDeleter {
  void operator()(char* p) const { delete[] p; }  // Tesseract allocates results with new[]
};

// One grey channel, as Tesseract binarises anyway; halves the bytes it copies.
media::Image ToGrey(const media::Image& in) {
  if (in.channels == 1) return in;
  media::Image out;
  out.width = in.width;
  out.height = in.height;
  out.channels = 1;
  out.format = in.format;
  out.pixels.resize(static_cast<size_t>(in.width) * in.height);
  for (size_t i = 0; i < out.pixels.size(); ++i) {
    const uint8_t* p = &in.pixels[i * 3];
    // ITU-R BT.601 luma in integers.
    out.pixels[i] = static_cast<uint8_t>((299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000);
  }
  return out;
}

// Rotates a grey image counter-clockwise by `degrees` (90, 180, 270), undoing a clockwise
// rotation OSD detected.
media::Image RotateCcw(const media::Image& in, int degrees) {
  media::Image out = in;
  const int w = in.width, h = in.height;
  if (degrees == 180) {
    std::reverse(out.pixels.begin(), out.pixels.end());
    return out;
  }
  out.width = h;
  out.height = w;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      // 90 ccw: (x, y) -> (y, w-1-x); 270 ccw (90 cw): (x, y) -> (h-1-y, x).
      const int nx = degrees == 90 ? y : h - 1 - y;
      const int ny = degrees == 90 ? w - 1 - x : x;
      out.pixels[static_cast<size_t>(ny) * h + nx] = in.pixels[static_cast<size_t>(y) * w + x];
    }
  }
  return out;
}

std::string Trim(std::string s) {
  const auto not_space = [](unsigned char c) { return c != ' ' && c != '\n' && c != '\t'; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  // Tesseract separates paragraphs by blank lines; one newline per line is enough.
  std::string out;
  for (char c : s) {
    if (c == '\n' && !out.empty() && out.back() == '\n') continue;
    out.push_back(c);
  }
  return out;
}

void Quiet(tesseract::TessBaseAPI& api) {
  // Tesseract prints diagnostics ("Estimating resolution as ...") to stderr otherwise.
  api.SetVariable("debug_file", "/dev/null");
}

}  // namespace

const std::map<std::string, std::string>& ScriptLanguages() {
  static const std::map<std::string, std::string> m = {
      {"Latin", "eng+fra+deu+ita+tur"},
      {"Arabic", "ara+fas+urd"},
      {"Cyrillic", "rus"},
  };
  return m;
}

OcrEngine::OcrEngine(OcrOptions options) : options_(std::move(options)) {}
OcrEngine::~OcrEngine() {
  for (auto& [langs, api] : apis_) api->End();
  if (osd_) osd_->End();
}

Result<std::unique_ptr<OcrEngine>> OcrEngine::Create(const OcrOptions& options) {
  std::unique_ptr<OcrEngine> engine(new OcrEngine(options));
  if (options.languages.empty()) {
    engine->osd_ = std::make_unique<tesseract::TessBaseAPI>();
    Quiet(*engine->osd_);
    const char* dir = options.tessdata_dir.empty() ? nullptr : options.tessdata_dir.c_str();
    if (engine->osd_->Init(dir, "osd", tesseract::OEM_TESSERACT_ONLY) != 0) {
      return Status::Unavailable("cannot load Tesseract's OSD model (install tesseract-ocr-osd)");
    }
    engine->osd_->SetPageSegMode(tesseract::PSM_OSD_ONLY);
  }
  return engine;
}

Result<tesseract::TessBaseAPI*> OcrEngine::Api(const std::string& languages) {
  auto it = apis_.find(languages);
  if (it != apis_.end()) return it->second.get();
  auto api = std::make_unique<tesseract::TessBaseAPI>();
  Quiet(*api);
  const char* dir = options_.tessdata_dir.empty() ? nullptr : options_.tessdata_dir.c_str();
  if (api->Init(dir, languages.c_str(), tesseract::OEM_LSTM_ONLY) != 0) {
    return Status::Unavailable("cannot load Tesseract language data \"" + languages +
                               "\" (install the tesseract-ocr-* packages)");
  }
  api->SetPageSegMode(tesseract::PSM_AUTO);
  tesseract::TessBaseAPI* raw = api.get();
  apis_.emplace(languages, std::move(api));
  return raw;
}

Result<OcrResult> OcrEngine::Read(const media::Image& grey, const std::string& languages) {
  VIGIL_ASSIGN_OR_RETURN(tesseract::TessBaseAPI * api, Api(languages));
  api->SetImage(grey.pixels.data(), grey.width, grey.height, 1, grey.width);
  tesseract::ETEXT_DESC monitor;
  monitor.set_deadline_msecs(options_.timeout_ms);
  const int rc = api->Recognize(&monitor);
  if (monitor.deadline_exceeded()) {
    api->Clear();
    return Status::DeadlineExceeded("OCR took longer than " + std::to_string(options_.timeout_ms) +
                                    " ms");
  }
  if (rc != 0) {
    api->Clear();
    return Status::Internal("Tesseract could not recognise the image");
  }
  std::unique_ptr<char, TextDeleter> text(api->GetUTF8Text());
  OcrResult r;
  r.text = Trim(text ? std::string(text.get()) : std::string());
  r.mean_confidence = api->MeanTextConf();
  r.languages = languages;
  api->Clear();
  return r;
}

Result<OcrResult> OcrEngine::Recognize(const media::Image& image) {
  if (image.width <= 0 || image.height <= 0 || image.pixels.empty()) {
    return Status::InvalidArgument("empty image");
  }
  const uint64_t pixels = static_cast<uint64_t>(image.width) * image.height;
  if (pixels > options_.max_pixels) {
    return Status::ResourceExhausted("image of " + std::to_string(pixels) +
                                     " pixels exceeds the OCR limit of " +
                                     std::to_string(options_.max_pixels));
  }
  if (image.channels != 1 && image.channels != 3) {
    return Status::InvalidArgument("image must have 1 or 3 channels");
  }
  if (image.pixels.size() < pixels * image.channels) {
    return Status::InvalidArgument("image buffer smaller than its dimensions");
  }
  media::Image grey = ToGrey(image);

  if (!options_.languages.empty()) {
    VIGIL_ASSIGN_OR_RETURN(OcrResult r, Read(grey, options_.languages));
    r.script = text::DominantScript(r.text);
    r.script_source = "given";
    return r;
  }

  // Script (and orientation) detection.
  int orientation = 0;
  float orientation_conf = 0, script_conf = 0;
  const char* script_name = nullptr;
  osd_->SetImage(grey.pixels.data(), grey.width, grey.height, 1, grey.width);
  const bool osd_ok =
      osd_->DetectOrientationScript(&orientation, &orientation_conf, &script_name, &script_conf);
  osd_->Clear();
  int rotation = 0;
  if (osd_ok && orientation != 0 && orientation_conf >= kDefaultMinOrientationConfidence &&
      (orientation == 90 || orientation == 180 || orientation == 270)) {
    grey = RotateCcw(grey, orientation);
    rotation = orientation;
  }
  const auto& table = ScriptLanguages();
  if (osd_ok && script_name != nullptr && script_conf >= options_.min_script_confidence &&
      table.count(script_name) != 0) {
    VIGIL_ASSIGN_OR_RETURN(OcrResult r, Read(grey, table.at(script_name)));
    r.script = script_name;
    r.script_source = "osd";
    r.script_confidence = script_conf;
    r.rotation_degrees = rotation;
    return r;
  }
  // No usable OSD answer: read once with a model per script, then with the right ones.
  VIGIL_ASSIGN_OR_RETURN(OcrResult probe, Read(grey, kProbeLanguages));
  const std::string script = text::DominantScript(probe.text);
  probe.script = script;
  probe.script_source = "probe";
  probe.rotation_degrees = rotation;
  auto it = table.find(script);
  if (it == table.end()) return probe;  // no text, or a script without models here
  VIGIL_ASSIGN_OR_RETURN(OcrResult r, Read(grey, it->second));
  r.script = script;
  r.script_source = "probe";
  r.rotation_degrees = rotation;
  return r;
}

Result<OcrResult> OcrEngine::RecognizeFile(std::span<const uint8_t> bytes) {
  media::DecodeOptions decode;
  decode.max_pixels = std::min<uint64_t>(decode.max_pixels, options_.max_pixels);
  VIGIL_ASSIGN_OR_RETURN(media::Image image, media::DecodeImage(bytes, decode));
  return Recognize(image);
}

Result<OcrSignal> RecognizeToSignal(OcrEngine& engine, std::span<const uint8_t> image_bytes) {
  OcrSignal s;
  VIGIL_ASSIGN_OR_RETURN(s.ocr, engine.RecognizeFile(image_bytes));
  VIGIL_ASSIGN_OR_RETURN(s.text, text::ComputeTextSignal(s.ocr.text));
  return s;
}

}  // namespace vigil::ocr
