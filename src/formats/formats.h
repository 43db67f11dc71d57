// Exchange formats for bank content: what `vigil bank import/export` read and write.
//
//   plain   one signal per line: VALUE[,LABEL...] or VALUE<TAB>LABEL[,LABEL...]; '#'
//           comments and blank lines skipped. The signal type comes from the caller
//           (--type, default pdq). vPDQ values hold commas, so a vpdq line is all value
//           unless a TAB separates the labels (the writer always uses the TAB for vpdq).
//           Live signals only.
//   te-csv  python-threatexchange's `threatexchange dataset -P --csv` output:
//           header collab,signal_type,signal_str,category,tags (any column order);
//           tags space-separated; FALSE_POSITIVE rows are skipped. Live signals only.
//   hma     one JSON object per line shaped like the body of HMA's
//           POST /c/bank/<bank>/signal ({"pdq": "<hash>"}; several types allowed) or its
//           response ({"id": 7, "signals": {...}}). No labels. Live signals only.
//   stix    a STIX 2.1 bundle: one indicator per signal (file hashes incl. the custom
//           "PDQ" key, url values, x-vigil custom properties for the other types), labels,
//           a TLP marking and the producer identity, plus file/url observables; removed
//           signals are revoked indicators. Validates against the OASIS schemas.
//   jsonl   vigil's own lossless form: one JSON object per signal with provenance, version
//           and removal time; what partners use to sync incrementally.
//
// Incremental exports (since a bank version) carry deletions in stix and jsonl; the other
// formats cannot express them and the exporter counts what it left out.
//
// Parsing never throws and never stops at the first bad record: every malformed record is
// reported as an Issue with its line (for stix: the 1-based position in "objects"), and
// the caller decides whether to import the rest (--skip-invalid) or nothing.
//
// Thread safety: free functions and writer objects without shared state; one writer per
// thread.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/model.h"

namespace vigil::formats {

enum class Format { kPlain, kTeCsv, kHma, kStix, kJsonl };
std::string_view FormatName(Format f);  // plain | te-csv | hma | stix | jsonl
Result<Format> ParseFormat(std::string_view name);

// Largest import read into memory, and most issues kept (the rest are counted).
inline constexpr uint64_t kMaxImportBytes = uint64_t{2} << 30;  // 2 GiB
inline constexpr size_t kMaxIssuesKept = 1000;

struct ParseOptions {
  store::SignalType default_type = store::SignalType::kPdq;  // for plain
  std::string source_exchange;  // provenance recorded on every record (e.g. the file name)
};

struct Record {
  store::SignalInput signal;
  bool removed = false;  // a deletion (stix revoked indicator, jsonl "removed")
  int64_t line = 0;
};

struct Issue {
  int64_t line = 0;
  std::string message;
};

struct Parsed {
  std::vector<Record> records;
  std::vector<Issue> issues;  // at most kMaxIssuesKept
  int64_t issue_count = 0;    // all of them
  int64_t skipped = 0;        // well-formed records deliberately left out (FALSE_POSITIVE)
};

// Parses a whole input. Returns an error only when the input as a whole is unusable (not a
// STIX bundle, a te-csv file without its header); bad records become issues.
Result<Parsed> ParseSignals(Format format, std::string_view data, const ParseOptions& options);

// Names other tools use for our signal types (python-threatexchange / HMA), both ways.
Result<store::SignalType> SignalTypeFromExchangeName(std::string_view name);
std::string_view ExchangeNameFor(store::SignalType type);

struct ExportInfo {
  std::string bank_name;
  std::string producer = "vigil";  // organisation name for the STIX identity
  int64_t since_version = 0;
  int64_t bank_version = 0;
  int64_t now_ms = 0;
  std::string tlp = "amber";  // white | green | amber | red (stix)
};

// Writes signals one at a time to `out`; Finish() closes the document. Removed signals
// are written where the format can express them and otherwise counted in omitted().
class SignalWriter {
 public:
  virtual ~SignalWriter() = default;
  virtual void Write(const store::Signal& s) = 0;
  virtual Status Finish() = 0;
  int64_t written() const { return written_; }
  int64_t omitted() const { return omitted_; }

 protected:
  int64_t written_ = 0;
  int64_t omitted_ = 0;
};

Result<std::unique_ptr<SignalWriter>> MakeWriter(Format format, const ExportInfo& info,
                                                 std::ostream& out);

// RFC 3339 UTC with milliseconds ("2026-11-29T05:26:29.000Z"), as STIX requires.
std::string Rfc3339Ms(int64_t ms);
// The inverse, for timestamps we read back; InvalidArgument if malformed.
Result<int64_t> ParseRfc3339Ms(std::string_view s);

}  // namespace vigil::formats
