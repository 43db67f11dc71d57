// `vigil ocr`: text in images through Tesseract, script first, as a text signal.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/file.h"
#include "core/json_escape.h"
#include "core/limits.h"
#include "ocr/ocr.h"

namespace vigil::cli {
namespace {

struct OcrFlags {
  std::vector<std::string> paths;
  ocr::OcrOptions options;
  uint64_t max_file_bytes = limits::kDefaultMaxFileBytes;
};

int RunOcr(const OcrFlags& f) {
  auto engine = ocr::OcrEngine::Create(f.options);
  if (!engine.ok()) {
    PrintError("ocr", engine.status());
    return kExitFailure;
  }
  int rc = kExitOk;
  for (const std::string& path : f.paths) {
    auto bytes = ReadFileBytes(path, f.max_file_bytes);
    Result<ocr::OcrSignal> r = bytes.ok() ? ocr::RecognizeToSignal(**engine, *bytes)
                                          : Result<ocr::OcrSignal>(bytes.status());
    if (!r.ok()) {
      PrintError("ocr: " + path, r.status());
      std::cout << "{\"path\":" << JsonQuote(path)
                << ",\"error\":" << JsonQuote(r.status().message()) << ",\"code\":\""
                << StatusCodeName(r.status().code()) << "\"}\n";
      rc = kExitFailure;
      continue;
    }
    const ocr::OcrResult& o = r->ocr;
    std::cout << "{\"path\":" << JsonQuote(path) << ",\"script\":" << JsonQuote(o.script)
              << ",\"script_source\":" << JsonQuote(o.script_source)
              << ",\"languages\":" << JsonQuote(o.languages)
              << ",\"confidence\":" << o.mean_confidence << ",\"rotation\":" << o.rotation_degrees
              << ",\"text\":" << JsonQuote(o.text)
              << ",\"signal\":" << text::TextSignalJson(r->text) << "}\n";
  }
  return rc;
}

}  // namespace

void RegisterOcr(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<OcrFlags>();
  auto* cmd = app.add_subcommand(
      "ocr",
      "Read the text in images (Tesseract 5). Detects the script first (Latin, Arabic,\n"
      "Cyrillic) and reads with that script's models (eng+fra+deu+ita+tur, ara+fas+urd,\n"
      "rus); prints one JSON line per image with the script, models, confidence, the text\n"
      "and its text signal (language, normalised form, MinHash). See docs/ocr.md.");
  cmd->add_option("images", f->paths, "Image files (JPEG, PNG, GIF, WebP, BMP, TIFF)")->required();
  cmd->add_option("-l,--languages", f->options.languages,
                  "Skip script detection and read with these models (e.g. eng+fra)");
  cmd->add_option("--tessdata", f->options.tessdata_dir,
                  "Directory of .traineddata files (default: the tesseract-ocr packages')");
  cmd->add_option("--max-pixels", f->options.max_pixels,
                  "Refuse images with more pixels (default 40000000)");
  cmd->add_option("--timeout-ms", f->options.timeout_ms,
                  "Give up on an image after this many milliseconds per pass (default 30000)")
      ->check(CLI::Range(1, 3'600'000));
  cmd->add_option("--max-file-bytes", f->max_file_bytes, "Refuse larger files (default 536870912)");
  cmd->callback([f, exit_code] { *exit_code = RunOcr(*f); });
}

}  // namespace vigil::cli
