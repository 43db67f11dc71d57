#include "formats/formats.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/store.h"
#include "store/test_db.h"

namespace vigil::formats {
namespace {

using store::SignalType;

const std::string kPdqA(64, 'a');
const std::string kPdqB = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

Parsed MustParse(Format f, std::string_view data, ParseOptions o = {}) {
  auto p = ParseSignals(f, data, o);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *std::move(p) : Parsed{};
}

TEST(Plain, ParsesValuesAndLabelsAndReportsBadLines) {
  std::string data = "# synthetic test list\n" + kPdqA + "\n\n" + kPdqB +
                     ",Behaviour:Threat, severity:crisis\r\n" + "nothex\n" + kPdqA + ",bad label\n";
  Parsed p = MustParse(Format::kPlain, data);
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.records[0].line, 2);
  EXPECT_EQ(p.records[1].signal.value, kPdqB);
  EXPECT_EQ(p.records[1].signal.labels,
            (std::vector<std::string>{"behaviour:threat", "severity:crisis"}));
  ASSERT_EQ(p.issues.size(), 2u);
  EXPECT_EQ(p.issues[0].line, 5);
  EXPECT_EQ(p.issues[1].line, 6);

  ParseOptions md5;
  md5.default_type = SignalType::kMd5;
  EXPECT_EQ(MustParse(Format::kPlain, std::string(32, 'C'), md5).records[0].signal.value,
            std::string(32, 'c'));
}

TEST(TeCsv, ReadsThreatExchangeDatasetCsv) {
  std::string data =
      "collab,signal_type,signal_str,category,tags\r\n"
      "Sample Collab,pdq," +
      kPdqA +
      ",TRUE_POSITIVE,behaviour:threat content:image\r\n"
      "Sample Collab,video_md5," +
      std::string(32, 'b') +
      ",TRUE_POSITIVE,\r\n"
      "Sample Collab,url,\"https://example.org/a,b\",TRUE_POSITIVE,\r\n"
      "Sample Collab,raw_text,\"synthetic \"\"quoted\"\" text\",TRUE_POSITIVE,\r\n"
      "Sample Collab,pdq," +
      kPdqB +
      ",FALSE_POSITIVE,\r\n"
      "Sample Collab,trend_query,x,TRUE_POSITIVE,\r\n"
      "short,row\r\n";
  Parsed p = MustParse(Format::kTeCsv, data);
  ASSERT_EQ(p.records.size(), 4u);
  EXPECT_EQ(p.records[0].signal.labels.size(), 2u);
  EXPECT_EQ(p.records[0].signal.source_exchange, "threatexchange:Sample Collab");
  EXPECT_EQ(p.records[1].signal.type, SignalType::kMd5);
  EXPECT_EQ(p.records[2].signal.value, "https://example.org/a,b");
  EXPECT_EQ(p.records[3].signal.type, SignalType::kText);
  EXPECT_EQ(p.records[3].signal.value, "synthetic \"quoted\" text");
  EXPECT_EQ(p.skipped, 1);
  ASSERT_EQ(p.issues.size(), 2u);
  EXPECT_EQ(p.issues[0].line, 7);
  EXPECT_EQ(p.issues[1].line, 8);
  EXPECT_FALSE(ParseSignals(Format::kTeCsv, kPdqA + "\n", {}).ok());
}

TEST(Hma, ReadsRequestAndResponseShapes) {
  std::string data = "{\"pdq\": \"" + kPdqA + "\"}\n" + "{\"id\": 7, \"signals\": {\"pdq\": \"" +
                     kPdqB + "\", \"video_md5\": \"" + std::string(32, 'd') + "\"}}\n" +
                     "not json\n" + "{\"pdq\": 5}\n{}\n";
  Parsed p = MustParse(Format::kHma, data);
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[2].signal.type, SignalType::kMd5);
  ASSERT_EQ(p.issues.size(), 3u);
  EXPECT_EQ(p.issues[0].line, 3);
}

store::Signal MakeSignal(SignalType t, std::string value, bool removed = false) {
  store::Signal s;
  s.id = 1;
  s.type = t;
  s.value = std::move(value);
  s.quality = t == SignalType::kPdq ? 90 : -1;
  s.labels = {"behaviour:recruitment", "severity:promotional"};
  s.source_exchange = "test";
  s.added_ms = 1'700'000'000'123;
  s.removed_ms = removed ? 1'700'000'100'000 : 0;
  s.version = removed ? 3 : 1;
  return s;
}

std::vector<store::Signal> Sample() {
  return {MakeSignal(SignalType::kPdq, kPdqA), MakeSignal(SignalType::kPdq, kPdqB, true),
          MakeSignal(SignalType::kMd5, std::string(32, 'e')),
          MakeSignal(SignalType::kSha256, std::string(64, '1')),
          MakeSignal(SignalType::kUrl, "https://example.org/it's \\ here"),
          MakeSignal(SignalType::kText, "synthetic phrase, with comma"),
          // A vPDQ value in the canonical form (two frames; store::CanonicalSignalValue).
          MakeSignal(SignalType::kVpdq, "0,100," + std::string(64, 'a') + ",0.000;30,90," +
                                            std::string(64, 'b') + ",1.000")};
}

std::string Export(Format f, const std::vector<store::Signal>& signals,
                   int64_t* omitted = nullptr) {
  std::ostringstream out;
  ExportInfo info;
  info.bank_name = "synthetic-bank";
  info.now_ms = 1'700'000'200'000;
  info.bank_version = 3;
  auto w = MakeWriter(f, info, out);
  EXPECT_TRUE(w.ok());
  for (const auto& s : signals) (*w)->Write(s);
  EXPECT_TRUE((*w)->Finish().ok());
  if (omitted) *omitted = (*w)->omitted();
  return out.str();
}

// Round trip: what we write, we read back as the same signals.
TEST(RoundTrip, EveryFormat) {
  for (Format f : {Format::kPlain, Format::kTeCsv, Format::kHma, Format::kStix, Format::kJsonl}) {
    SCOPED_TRACE(std::string(FormatName(f)));
    auto signals = Sample();
    if (f == Format::kPlain) {
      signals.erase(
          std::remove_if(signals.begin(), signals.end(),
                         [](const store::Signal& s) { return s.type != SignalType::kPdq; }),
          signals.end());
    }
    int64_t omitted = 0;
    std::string text = Export(f, signals, &omitted);
    Parsed p = MustParse(f, text);
    EXPECT_TRUE(p.issues.empty()) << p.issues[0].line << ": " << p.issues[0].message;
    bool deletions = f == Format::kStix || f == Format::kJsonl;
    EXPECT_EQ(omitted, deletions ? 0 : 1);
    size_t j = 0;
    for (const auto& s : signals) {
      if (!s.live() && !deletions) continue;
      ASSERT_LT(j, p.records.size());
      const Record& r = p.records[j++];
      EXPECT_EQ(r.signal.type, s.type);
      EXPECT_EQ(r.signal.value, s.value);
      EXPECT_EQ(r.removed, !s.live());
      if (f != Format::kHma) {
        EXPECT_EQ(r.signal.labels, s.labels);
      }
      if (f == Format::kStix || f == Format::kJsonl) {
        EXPECT_EQ(r.signal.quality, s.quality);
      }
    }
    EXPECT_EQ(j, p.records.size());
  }
}

// A scratch directory removed when the test binary exits.
struct ScratchDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("vigil-formats-test-" + std::to_string(getpid()));
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::string TempFile(const std::string& name, const std::string& content) {
  static ScratchDir scratch;
  const auto& dir = scratch.path;
  std::filesystem::create_directories(dir);
  std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

int ValidateStix(const std::string& path) {
  std::string cmd = std::string(VIGIL_PYTHON3) + " " + VIGIL_SOURCE_DIR +
                    "/src/formats/stix_validate.py " + VIGIL_TESTDATA_DIR + "/stix/schemas " + path;
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// The exported bundle validates against the official OASIS STIX 2.1 schemas.
TEST(Stix, ExportValidatesAgainstOasisSchemas) {
  std::string bundle = Export(Format::kStix, Sample());
  EXPECT_NE(bundle.find("\"hashes\":{\"PDQ\":\"" + kPdqA + "\"}"), std::string::npos);
  EXPECT_NE(bundle.find("[file:hashes.'SHA-256' = '"), std::string::npos);
  EXPECT_NE(bundle.find("\"revoked\":true"), std::string::npos);
  EXPECT_NE(bundle.find("\"type\":\"url\""), std::string::npos);
  EXPECT_NE(bundle.find("TLP:AMBER"), std::string::npos);
  EXPECT_EQ(ValidateStix(TempFile("good.json", bundle)), 0) << bundle.substr(0, 2000);
  // An empty (nothing changed) incremental export is still a valid bundle.
  EXPECT_EQ(ValidateStix(TempFile("empty.json", Export(Format::kStix, {}))), 0);
  // The validator is not vacuous: a broken indicator fails.
  std::string broken = bundle;
  broken.replace(broken.find("\"valid_from\""), 12, "\"valid_frum\"");
  EXPECT_EQ(ValidateStix(TempFile("broken.json", broken)), 1);
}

TEST(Stix, ReadsIndicatorsFromOtherTools) {
  std::string bundle = R"({"type":"bundle","id":"bundle--44af6c39-c09b-49c5-9de2-394224b04982",
    "objects":[
     {"type":"indicator","pattern_type":"stix","pattern":"[file:hashes.MD5 = 'ABCDEFABCDEFABCDEFABCDEFABCDEFAB']","labels":["Content:Image"]},
     {"type":"indicator","pattern_type":"stix","pattern":"[file:hashes.'SHA-256' = '1111111111111111111111111111111111111111111111111111111111111111']"},
     {"type":"indicator","pattern_type":"stix","pattern":"[url:value = 'https://example.org/x\\'y']","revoked":true},
     {"type":"indicator","pattern_type":"stix","pattern":"[ipv4-addr:value = '10.0.0.0']"},
     {"type":"indicator","pattern_type":"stix","pattern":"[file:hashes.MD5 = 'abc' OR file:hashes.MD5 = 'def']"},
     {"type":"identity","name":"x"},
     5]})";
  Parsed p = MustParse(Format::kStix, bundle);
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[0].signal.value, std::string("abcdefabcdefabcdefabcdefabcdefab"));
  EXPECT_EQ(p.records[0].signal.labels, std::vector<std::string>{"content:image"});
  EXPECT_EQ(p.records[1].signal.type, SignalType::kSha256);
  EXPECT_EQ(p.records[2].signal.value, "https://example.org/x'y");
  EXPECT_TRUE(p.records[2].removed);
  ASSERT_EQ(p.issues.size(), 3u);
  EXPECT_EQ(p.issues[0].line, 4);
  EXPECT_EQ(p.issues[2].line, 7);
  EXPECT_FALSE(ParseSignals(Format::kStix, "[]", {}).ok());
  EXPECT_FALSE(ParseSignals(Format::kStix, "{\"type\":\"bundle\"", {}).ok());
}

// Incremental export from a real store: since version N carries changes and deletions,
// and the result validates.
TEST(Stix, IncrementalExportFromAStore) {
  auto db = store::testing::NewDatabase(store::Backend::kSqlite);
  auto st = store::OpenStore(db);
  ASSERT_TRUE(st.ok());
  store::Bank b;
  b.name = "incr";
  auto bank = (*st)->CreateBank("test", b);
  ASSERT_TRUE(bank.ok());
  std::vector<store::SignalInput> v1 = {{SignalType::kPdq, kPdqA, 100, {}, ""},
                                        {SignalType::kPdq, kPdqB, 100, {}, ""}};
  ASSERT_TRUE((*st)->AddSignals("test", bank->id, v1, 0).ok());
  std::vector<store::MediaSignal> gone = {{SignalType::kPdq, kPdqB, -1}};
  ASSERT_TRUE((*st)->RemoveSignals("test", bank->id, gone).ok());
  store::SignalQuery q;
  q.since_version = 1;
  auto changed = (*st)->ListSignals(bank->id, q);
  ASSERT_TRUE(changed.ok());
  ASSERT_EQ(changed->size(), 1u);
  std::string bundle = Export(Format::kStix, *changed);
  Parsed p = MustParse(Format::kStix, bundle);
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_TRUE(p.records[0].removed);
  EXPECT_EQ(ValidateStix(TempFile("incr.json", bundle)), 0);
}

// Media signal values (pipeline/any_media.h forms): vPDQ through plain (whole line, or
// labels after a TAB) and every media type through jsonl, as `vigil hash --format signals`
// writes them.
TEST(Plain, ReadsVpdqLinesAndJsonlReadsMediaTypes) {
  const std::string frame0 = "0,100," + std::string(64, 'A') + ",0.000";
  const std::string frame1 = "30,87," + std::string(64, 'b') + ",1.000";
  const std::string vpdq = frame0 + ";" + frame1;
  ParseOptions o;
  o.default_type = SignalType::kVpdq;
  Parsed p = MustParse(Format::kPlain,
                       vpdq + "\n" + vpdq + "\tlabel:one,label:two\n" + "0,100,nothex,0.0\n", o);
  ASSERT_EQ(p.records.size(), 2u);
  const std::string canon = "0,100," + std::string(64, 'a') + ",0.000;" + frame1;
  EXPECT_EQ(p.records[0].signal.value, canon);
  EXPECT_EQ(p.records[1].signal.value, canon);
  EXPECT_EQ(p.records[1].signal.labels, (std::vector<std::string>{"label:one", "label:two"}));
  EXPECT_EQ(p.issues.size(), 1u);

  Parsed j = MustParse(Format::kJsonl, "{\"type\":\"vpdq\",\"value\":\"" + vpdq +
                                           "\",\"kind\":\"video\"}\n" +
                                           "{\"type\":\"tmk\",\"value\":\"VE1LAA==\"}\n" +
                                           "{\"type\":\"audio\",\"value\":\"AQAAEwkjrUmS\"}\n" +
                                           "{\"type\":\"text\",\"value\":\"hello world\"}\n" +
                                           "{\"type\":\"tmk\",\"value\":\"not base64!\"}\n");
  ASSERT_EQ(j.records.size(), 4u);
  EXPECT_EQ(j.records[0].signal.value, canon);
  EXPECT_EQ(j.records[1].signal.type, SignalType::kTmk);
  EXPECT_EQ(j.records[2].signal.type, SignalType::kAudio);
  EXPECT_EQ(j.issues.size(), 1u);
}

TEST(Jsonl, ReportsBadLines) {
  Parsed p = MustParse(
      Format::kJsonl, "{\"type\":\"pdq\",\"value\":\"" + kPdqA + "\"}\n{\"type\":\"nope\"}\n[1]\n" +
                          "{\"type\":\"pdq\",\"value\":\"" + kPdqA + "\",\"labels\":\"x\"}\n");
  EXPECT_EQ(p.records.size(), 1u);
  ASSERT_EQ(p.issues.size(), 3u);
  EXPECT_EQ(p.issues[2].line, 4);
}

TEST(Timestamps, RoundTrip) {
  EXPECT_EQ(Rfc3339Ms(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(*ParseRfc3339Ms("2023-11-14T22:13:20.123Z"), 1'700'000'000'123);
  EXPECT_FALSE(ParseRfc3339Ms("yesterday").ok());
}

TEST(Formats, Names) {
  EXPECT_EQ(*ParseFormat("te-csv"), Format::kTeCsv);
  EXPECT_FALSE(ParseFormat("xml").ok());
  EXPECT_EQ(*SignalTypeFromExchangeName("video_md5"), SignalType::kMd5);
  EXPECT_EQ(ExchangeNameFor(SignalType::kText), "raw_text");
}

}  // namespace
}  // namespace vigil::formats
