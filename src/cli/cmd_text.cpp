// `vigil text`: normalisation, language identification, near-duplicate fingerprints and
// indicator lists for text (posts, captions, statements).
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/file.h"
#include "core/json_escape.h"
#include "text/indicators.h"
#include "text/lang.h"
#include "text/minhash.h"
#include "text/normalize.h"
#include "text/signal.h"

namespace vigil::cli {
namespace {

struct TextFlags {
  std::vector<std::string> texts;
  std::string file;
  bool lines = false;
  std::string indicators;
  double threshold = text::kDefaultNearDuplicateSimilarity;
};

// The texts a command works on: its arguments; else the file (or stdin for "-" or no
// file), whole or one text per line with --lines.
Result<std::vector<std::string>> Inputs(const TextFlags& f) {
  if (!f.texts.empty()) return f.texts;
  std::string all;
  if (!f.file.empty() && f.file != "-") {
    VIGIL_ASSIGN_OR_RETURN(auto bytes, ReadFileBytes(f.file, text::kDefaultMaxTextBytes * 64));
    all.assign(bytes.begin(), bytes.end());
  } else {
    all.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  if (!f.lines) return std::vector<std::string>{all};
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < all.size()) {
    size_t eol = all.find('\n', pos);
    if (eol == std::string::npos) eol = all.size();
    std::string line = all.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(std::move(line));
    pos = eol + 1;
  }
  return out;
}

// Runs `one` on every input; a failing input prints its error and makes the exit status 1.
template <typename Fn>
int ForEachInput(const TextFlags& f, const std::string& context, Fn one) {
  auto inputs = Inputs(f);
  if (!inputs.ok()) {
    PrintError(context, inputs.status());
    return ExitCodeFor(inputs.status());
  }
  int rc = kExitOk;
  for (const std::string& t : *inputs) {
    Status s = one(t);
    if (!s.ok()) {
      PrintError(context, s);
      std::cout << "{\"error\":" << JsonQuote(s.message()) << "}\n";
      rc = kExitFailure;
    }
  }
  return rc;
}

int RunNormalize(const TextFlags& f) {
  return ForEachInput(f, "text normalize", [](const std::string& t) -> Status {
    VIGIL_ASSIGN_OR_RETURN(std::string n, text::NormalizeText(t));
    VIGIL_ASSIGN_OR_RETURN(std::string m, text::Skeleton(n, UINT64_MAX));
    std::cout << "{\"normalized\":" << JsonQuote(n) << ",\"matching\":" << JsonQuote(m) << "}\n";
    return Status::OK();
  });
}

int RunLang(const TextFlags& f) {
  return ForEachInput(f, "text lang", [](const std::string& t) -> Status {
    VIGIL_ASSIGN_OR_RETURN(text::LanguageGuess g, text::DetectLanguage(t));
    std::cout << "{\"lang\":" << JsonQuote(g.code) << ",\"name\":" << JsonQuote(g.name)
              << ",\"percent\":" << g.percent << ",\"reliable\":" << (g.reliable ? "true" : "false")
              << ",\"script\":" << JsonQuote(text::DominantScript(t)) << "}\n";
    return Status::OK();
  });
}

int RunFingerprint(const TextFlags& f) {
  return ForEachInput(f, "text fingerprint", [](const std::string& t) -> Status {
    VIGIL_ASSIGN_OR_RETURN(text::TextSignal s, text::ComputeTextSignal(t));
    std::cout << text::TextSignalJson(s) << "\n";
    return Status::OK();
  });
}

// A text argument, or a fingerprint given as 1024 hex digits.
Result<text::MinHash> FingerprintOf(const std::string& arg) {
  if (arg.size() == text::kMinHashSize * 8) {
    auto m = text::MinHashFromHex(arg);
    if (m.ok()) return m;
  }
  VIGIL_ASSIGN_OR_RETURN(std::string form, text::MatchingForm(arg));
  return text::ComputeMinHash(form);
}

int RunCompare(const TextFlags& f) {
  if (f.texts.size() != 2) {
    PrintError("text compare", Status::InvalidArgument("give exactly two texts or fingerprints"));
    return kExitUsage;
  }
  auto a = FingerprintOf(f.texts[0]);
  auto b = a.ok() ? FingerprintOf(f.texts[1]) : a;
  if (!b.ok()) {
    PrintError("text compare", b.status());
    return ExitCodeFor(b.status());
  }
  const double s = text::Similarity(*a, *b);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4f", s);
  std::cout << "{\"similarity\":" << buf
            << ",\"near_duplicate\":" << (s >= f.threshold ? "true" : "false") << "}\n";
  return kExitOk;
}

int RunDups(const TextFlags& f) {
  auto inputs = Inputs(f);
  if (!inputs.ok()) {
    PrintError("text dups", inputs.status());
    return ExitCodeFor(inputs.status());
  }
  text::TextIndex index;
  int rc = kExitOk;
  for (size_t i = 0; i < inputs->size(); ++i) {
    auto form = text::MatchingForm((*inputs)[i]);
    if (!form.ok()) {
      PrintError("text dups: line " + std::to_string(i + 1), form.status());
      rc = kExitFailure;
      continue;
    }
    if (form->empty()) continue;
    auto m = text::ComputeMinHash(*form);
    if (!m.ok()) continue;
    for (const auto& hit : index.Query(*m, f.threshold, 10)) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.4f", hit.similarity);
      std::cout << "{\"line\":" << i + 1 << ",\"duplicate_of\":" << hit.id + 1
                << ",\"similarity\":" << buf << "}\n";
    }
    index.Add(i, *m);
  }
  return rc;
}

int RunMatch(const TextFlags& f) {
  auto bytes = ReadFileBytes(f.indicators, text::kMaxIndicatorListBytes);
  if (!bytes.ok()) {
    PrintError("text match", bytes.status());
    return kExitFailure;
  }
  auto list = text::IndicatorList::Parse(
      std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  if (!list.ok()) {
    PrintError("text match: " + f.indicators, list.status());
    return kExitFailure;
  }
  return ForEachInput(f, "text match", [&](const std::string& t) -> Status {
    VIGIL_ASSIGN_OR_RETURN(text::IndicatorMatches m, list->Match(t));
    std::string line = "{\"hits\":[";
    for (size_t i = 0; i < m.hits.size(); ++i) {
      if (i) line += ",";
      line += "{\"id\":" + JsonQuote(m.hits[i].id) + ",\"kind\":\"" +
              std::string(text::IndicatorKindName(m.hits[i].kind)) +
              "\",\"begin\":" + std::to_string(m.hits[i].begin) +
              ",\"end\":" + std::to_string(m.hits[i].end) + "}";
    }
    line += "],\"timed_out\":[";
    for (size_t i = 0; i < m.timed_out.size(); ++i) {
      line += (i ? "," : "") + JsonQuote(m.timed_out[i]);
    }
    line += std::string("],\"truncated\":") + (m.truncated ? "true" : "false") + "}";
    std::cout << line << "\n";
    return Status::OK();
  });
}

void AddInputFlags(CLI::App* cmd, TextFlags& f) {
  cmd->add_option("texts", f.texts, "Texts (UTF-8); without any, reads --file or stdin");
  cmd->add_option("-f,--file", f.file, "Read the text from this file (`-`: stdin)");
  cmd->add_flag("--lines", f.lines, "One text per line of the file or stdin");
}

}  // namespace

void RegisterText(CLI::App& app, int* exit_code) {
  auto* text = app.add_subcommand(
      "text",
      "Text signals: normalisation (NFKC case folding, diacritics, Arabic letter variants,\n"
      "confusables), language identification (CLD2), MinHash near-duplicate fingerprints and\n"
      "indicator lists. Each command prints one JSON line per text. See docs/text.md.");
  text->require_subcommand(1);

  auto nf = std::make_shared<TextFlags>();
  auto* normalize = text->add_subcommand(
      "normalize",
      "Print each text's normalised form (for reading and regexes) and its matching form\n"
      "(the confusable skeleton, which fingerprints and keywords use).");
  AddInputFlags(normalize, *nf);
  normalize->callback([nf, exit_code] { *exit_code = RunNormalize(*nf); });

  auto lf = std::make_shared<TextFlags>();
  auto* lang = text->add_subcommand(
      "lang", "Identify each text's language (CLD2: ISO 639-1 code, share, reliability).");
  AddInputFlags(lang, *lf);
  lang->callback([lf, exit_code] { *exit_code = RunLang(*lf); });

  auto ff = std::make_shared<TextFlags>();
  auto* fp = text->add_subcommand(
      "fingerprint",
      "Print each text's signal: language, normalised form and MinHash fingerprint\n"
      "(128 32-bit values as 1024 hex digits; null when no letters remain).");
  AddInputFlags(fp, *ff);
  fp->callback([ff, exit_code] { *exit_code = RunFingerprint(*ff); });

  auto cf = std::make_shared<TextFlags>();
  auto* compare = text->add_subcommand(
      "compare",
      "Estimate the similarity (Jaccard of 5-character shingles, 0..1) of two texts or\n"
      "fingerprints; near_duplicate when it reaches --threshold.");
  compare->add_option("texts", cf->texts, "Two texts, or fingerprints from `text fingerprint`")
      ->required()
      ->expected(2);
  compare->add_option("--threshold", cf->threshold, "Near-duplicate threshold (0.5)")
      ->check(CLI::Range(0.0, 1.0));
  compare->callback([cf, exit_code] { *exit_code = RunCompare(*cf); });

  auto df = std::make_shared<TextFlags>();
  df->lines = true;
  auto* dups = text->add_subcommand(
      "dups",
      "Find near-duplicates among the lines of a file or stdin with the LSH index: prints\n"
      "`{\"line\":N,\"duplicate_of\":M,\"similarity\":S}` for each earlier line M like line N.");
  dups->add_option("-f,--file", df->file, "Read lines from this file (default: stdin)");
  dups->add_option("--threshold", df->threshold, "Near-duplicate threshold (0.5)")
      ->check(CLI::Range(0.0, 1.0));
  dups->callback([df, exit_code] { *exit_code = RunDups(*df); });

  auto mf = std::make_shared<TextFlags>();
  auto* match = text->add_subcommand(
      "match",
      "Match texts against an indicator list (lines `KIND<TAB>ID<TAB>PATTERN`, KIND word,\n"
      "sub or regex; see docs/text.md). Prints the hits of each text.");
  match->add_option("-i,--indicators", mf->indicators, "Indicator list file")->required();
  AddInputFlags(match, *mf);
  match->callback([mf, exit_code] { *exit_code = RunMatch(*mf); });
}

}  // namespace vigil::cli
