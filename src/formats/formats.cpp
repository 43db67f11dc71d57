// plain, te-csv, hma and jsonl, plus what all formats share. STIX is in stix.cpp.
#include "formats/formats.h"

#include <boost/json.hpp>
#include <ctime>

#include "formats/internal.h"

namespace vigil::formats {

namespace json = boost::json;
using store::SignalType;

std::string_view FormatName(Format f) {
  switch (f) {
    case Format::kPlain: return "plain";
    case Format::kTeCsv: return "te-csv";
    case Format::kHma: return "hma";
    case Format::kStix: return "stix";
    case Format::kJsonl: return "jsonl";
  }
  return "plain";
}

Result<Format> ParseFormat(std::string_view name) {
  for (Format f : {Format::kPlain, Format::kTeCsv, Format::kHma, Format::kStix, Format::kJsonl}) {
    if (name == FormatName(f)) return f;
  }
  return Status::InvalidArgument("unknown format '" + std::string(name.substr(0, 64)) +
                                 "' (expected plain, te-csv, hma, stix or jsonl)");
}

Result<SignalType> SignalTypeFromExchangeName(std::string_view name) {
  if (name == "video_md5" || name == "photo_md5") return SignalType::kMd5;
  if (name == "raw_text") return SignalType::kText;
  if (name == "video_tmk_pdqf") return SignalType::kTmk;
  return store::ParseSignalType(name);
}

std::string_view ExchangeNameFor(SignalType type) {
  switch (type) {
    case SignalType::kText: return "raw_text";
    case SignalType::kTmk: return "video_tmk_pdqf";
    default: return store::SignalTypeName(type);
  }
}

std::string Rfc3339Ms(int64_t ms) {
  if (ms < 0) ms = 0;
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

Result<int64_t> ParseRfc3339Ms(std::string_view s) {
  int y, mo, d, h, mi, sec;
  char tail[32] = {0};
  std::string str(s.substr(0, 40));
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%31s", &y, &mo, &d, &h, &mi, &sec, tail) <
      6) {
    return Status::InvalidArgument("not an RFC 3339 timestamp: " + str);
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
    return Status::InvalidArgument("not an RFC 3339 timestamp: " + str);
  }
  int ms = 0;
  if (tail[0] == '.') {
    int digits = 0;
    for (const char* p = tail + 1; *p >= '0' && *p <= '9'; ++p, ++digits) {
      if (digits < 3) ms = ms * 10 + (*p - '0');
    }
    for (; digits < 3; ++digits) ms *= 10;
  }
  struct tm tm = {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

namespace internal {

void AddIssue(Parsed& p, int64_t line, std::string message) {
  ++p.issue_count;
  if (p.issues.size() < kMaxIssuesKept) p.issues.push_back({line, std::move(message)});
}

Status CheckSignal(store::SignalInput& s) {
  VIGIL_ASSIGN_OR_RETURN(s.value, store::CanonicalSignalValue(s.type, s.value));
  if (s.labels.size() > store::kMaxLabelsPerSignal) {
    return Status::InvalidArgument("more than " + std::to_string(store::kMaxLabelsPerSignal) +
                                   " labels");
  }
  for (std::string& l : s.labels) {
    VIGIL_ASSIGN_OR_RETURN(l, store::CanonicalLabel(l));
  }
  if (s.quality < -1 || s.quality > 100) {
    return Status::InvalidArgument("quality must be 0..100");
  }
  return Status::OK();
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace internal

namespace {

using internal::AddIssue;
using internal::CheckSignal;
using internal::TrimView;

// Calls fn(line_number, line) for each line (without the newline).
template <typename Fn>
void ForEachLine(std::string_view data, Fn fn) {
  int64_t n = 0;
  while (!data.empty()) {
    size_t nl = data.find('\n');
    std::string_view line = data.substr(0, nl);
    ++n;
    fn(n, line);
    if (nl == std::string_view::npos) break;
    data.remove_prefix(nl + 1);
  }
}

Parsed ParsePlain(std::string_view data, const ParseOptions& o) {
  Parsed p;
  ForEachLine(data, [&](int64_t n, std::string_view raw) {
    std::string_view line = TrimView(raw);
    if (line.empty() || line.front() == '#') return;
    Record r;
    r.line = n;
    r.signal.type = o.default_type;
    r.signal.source_exchange = o.source_exchange;
    // VALUE<TAB>LABEL,... where a value may hold commas (vPDQ); else VALUE,LABEL,...;
    // a vPDQ line without a TAB is all value.
    const size_t tab = line.find('\t');
    const bool whole = tab == std::string_view::npos && o.default_type == SignalType::kVpdq;
    size_t comma = tab != std::string_view::npos ? tab
                   : whole                       ? std::string_view::npos
                                                 : line.find(',');
    r.signal.value = std::string(TrimView(line.substr(0, comma)));
    while (comma != std::string_view::npos) {
      line.remove_prefix(comma + 1);
      comma = line.find(',');
      std::string_view label = TrimView(line.substr(0, comma));
      if (!label.empty()) r.signal.labels.emplace_back(label);
    }
    Status s = CheckSignal(r.signal);
    if (!s.ok()) return AddIssue(p, n, s.message());
    p.records.push_back(std::move(r));
  });
  return p;
}

// RFC 4180 records: quoted fields may hold commas, doubled quotes and newlines.
// Returns false at end of input. `line` is the record's first line; `error` is set for an
// unterminated quote.
bool NextCsvRecord(std::string_view& data, int64_t& line_no, std::vector<std::string>& fields,
                   int64_t& line, std::string& error) {
  fields.clear();
  error.clear();
  if (data.empty()) return false;
  line = line_no;
  std::string field;
  size_t i = 0;
  bool quoted = false, was_quoted = false;
  for (; i < data.size(); ++i) {
    char c = data[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < data.size() && data[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line_no;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\n') {
      ++line_no;
      ++i;
      break;
    } else if (c != '\r') {
      field += c;
    }
  }
  if (quoted) error = "unterminated quoted field";
  fields.push_back(std::move(field));
  data.remove_prefix(std::min(i, data.size()));
  return true;
}

Result<Parsed> ParseTeCsv(std::string_view data, const ParseOptions& o) {
  Parsed p;
  int64_t line_no = 1, line = 0;
  std::vector<std::string> fields;
  std::string error;
  // Header first (blank lines before it are tolerated).
  int col_collab = -1, col_type = -1, col_value = -1, col_category = -1, col_tags = -1;
  while (NextCsvRecord(data, line_no, fields, line, error)) {
    if (fields.size() == 1 && TrimView(fields[0]).empty()) continue;
    for (size_t i = 0; i < fields.size(); ++i) {
      std::string_view f = TrimView(fields[i]);
      int idx = static_cast<int>(i);
      if (f == "collab") col_collab = idx;
      if (f == "signal_type") col_type = idx;
      if (f == "signal_str") col_value = idx;
      if (f == "category") col_category = idx;
      if (f == "tags") col_tags = idx;
    }
    break;
  }
  if (col_type < 0 || col_value < 0) {
    return Status::InvalidArgument(
        "not a threatexchange CSV: the first line must be a header naming at least "
        "signal_type and signal_str (as `threatexchange dataset -P --csv` writes)");
  }
  const size_t need =
      static_cast<size_t>(std::max({col_collab, col_type, col_value, col_category, col_tags})) + 1;
  while (NextCsvRecord(data, line_no, fields, line, error)) {
    if (fields.size() == 1 && TrimView(fields[0]).empty()) continue;
    if (!error.empty()) {
      AddIssue(p, line, error);
      continue;
    }
    if (fields.size() < need) {
      AddIssue(
          p, line,
          "expected " + std::to_string(need) + " columns, found " + std::to_string(fields.size()));
      continue;
    }
    if (col_category >= 0 && TrimView(fields[col_category]) == "FALSE_POSITIVE") {
      ++p.skipped;
      continue;
    }
    Record r;
    r.line = line;
    auto type = SignalTypeFromExchangeName(TrimView(fields[col_type]));
    if (!type.ok()) {
      AddIssue(p, line, type.status().message());
      continue;
    }
    r.signal.type = *type;
    r.signal.value = fields[col_value];
    if (col_tags >= 0) {
      std::string_view tags = fields[col_tags];
      while (!tags.empty()) {
        size_t sp = tags.find(' ');
        std::string_view t = TrimView(tags.substr(0, sp));
        if (!t.empty()) r.signal.labels.emplace_back(t);
        if (sp == std::string_view::npos) break;
        tags.remove_prefix(sp + 1);
      }
    }
    std::string collab = col_collab >= 0 ? std::string(TrimView(fields[col_collab])) : "";
    r.signal.source_exchange =
        !o.source_exchange.empty()
            ? o.source_exchange
            : (collab.empty() ? "threatexchange" : "threatexchange:" + collab);
    Status s = CheckSignal(r.signal);
    if (!s.ok()) {
      AddIssue(p, line, s.message());
      continue;
    }
    p.records.push_back(std::move(r));
  }
  return p;
}

// Adds one record per (type, value) member of `obj` whose key is a signal type name.
void HmaSignals(const json::object& obj, int64_t n, const ParseOptions& o, Parsed& p, bool& any) {
  for (const auto& kv : obj) {
    std::string_view key(kv.key().data(), kv.key().size());
    if (key == "id" || key == "metadata" || key == "signals" || key == "bank") continue;
    auto type = SignalTypeFromExchangeName(key);
    if (!type.ok()) {
      AddIssue(p, n, "unknown signal type '" + std::string(key.substr(0, 64)) + "'");
      any = true;
      continue;
    }
    any = true;
    if (!kv.value().is_string()) {
      AddIssue(p, n, "the value of '" + std::string(key) + "' must be a string");
      continue;
    }
    Record r;
    r.line = n;
    r.signal.type = *type;
    const auto& str = kv.value().get_string();
    r.signal.value.assign(str.data(), str.size());
    r.signal.source_exchange = o.source_exchange.empty() ? "hma" : o.source_exchange;
    Status s = CheckSignal(r.signal);
    if (!s.ok()) {
      AddIssue(p, n, s.message());
      continue;
    }
    p.records.push_back(std::move(r));
  }
}

Parsed ParseHma(std::string_view data, const ParseOptions& o) {
  Parsed p;
  ForEachLine(data, [&](int64_t n, std::string_view raw) {
    std::string_view line = TrimView(raw);
    if (line.empty()) return;
    boost::system::error_code ec;
    json::value v = json::parse(json::string_view(line.data(), line.size()), ec);
    if (ec || !v.is_object()) return AddIssue(p, n, "not a JSON object");
    const json::object& obj = v.get_object();
    bool any = false;
    if (const json::value* sig = obj.if_contains("signals"); sig && sig->is_object()) {
      HmaSignals(sig->get_object(), n, o, p, any);
    }
    HmaSignals(obj, n, o, p, any);
    if (!any) AddIssue(p, n, "no signal in this object (expected e.g. {\"pdq\": \"<hash>\"})");
  });
  return p;
}

std::string GetString(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(json::string_view(key.data(), key.size()));
  if (!v || !v->is_string()) return "";
  return std::string(v->get_string().data(), v->get_string().size());
}

Parsed ParseJsonl(std::string_view data, const ParseOptions& o) {
  Parsed p;
  ForEachLine(data, [&](int64_t n, std::string_view raw) {
    std::string_view line = TrimView(raw);
    if (line.empty()) return;
    boost::system::error_code ec;
    json::value v = json::parse(json::string_view(line.data(), line.size()), ec);
    if (ec || !v.is_object()) return AddIssue(p, n, "not a JSON object");
    const json::object& obj = v.get_object();
    Record r;
    r.line = n;
    auto type = store::ParseSignalType(GetString(obj, "type"));
    if (!type.ok()) return AddIssue(p, n, type.status().message());
    r.signal.type = *type;
    r.signal.value = GetString(obj, "value");
    if (const json::value* q = obj.if_contains("quality"); q && q->is_int64()) {
      r.signal.quality = static_cast<int>(std::clamp<int64_t>(q->get_int64(), -2, 101));
    }
    if (const json::value* ls = obj.if_contains("labels")) {
      if (!ls->is_array()) return AddIssue(p, n, "labels must be an array of strings");
      for (const json::value& l : ls->get_array()) {
        if (!l.is_string()) return AddIssue(p, n, "labels must be an array of strings");
        r.signal.labels.emplace_back(l.get_string().data(), l.get_string().size());
      }
    }
    std::string source = GetString(obj, "source_exchange");
    r.signal.source_exchange = !o.source_exchange.empty() ? o.source_exchange : source;
    if (const json::value* rm = obj.if_contains("removed"); rm && !rm->is_null()) {
      r.removed = true;
    }
    Status s = CheckSignal(r.signal);
    if (!s.ok()) return AddIssue(p, n, s.message());
    p.records.push_back(std::move(r));
  });
  return p;
}

// --- writers ----------------------------------------------------------------------------

class PlainWriter final : public SignalWriter {
 public:
  explicit PlainWriter(std::ostream& out) : out_(out) {}
  void Write(const store::Signal& s) override {
    if (!s.live()) {
      ++omitted_;
      return;
    }
    out_ << s.value;
    // vPDQ values hold commas: their labels follow a TAB (ParsePlain reads both forms).
    const bool tab = s.type == SignalType::kVpdq;
    for (size_t i = 0; i < s.labels.size(); ++i)
      out_ << (tab && i == 0 ? '\t' : ',') << s.labels[i];
    out_ << '\n';
    ++written_;
  }
  Status Finish() override {
    out_.flush();
    return out_ ? Status::OK() : Status::IOError("write failed");
  }

 private:
  std::ostream& out_;
};

std::string CsvField(std::string_view v) {
  if (v.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

class TeCsvWriter final : public SignalWriter {
 public:
  TeCsvWriter(std::ostream& out, const ExportInfo& info) : out_(out), collab_(info.bank_name) {
    out_ << "collab,signal_type,signal_str,category,tags\r\n";
  }
  void Write(const store::Signal& s) override {
    if (!s.live()) {
      ++omitted_;
      return;
    }
    std::string tags;
    for (size_t i = 0; i < s.labels.size(); ++i) tags += (i ? " " : "") + s.labels[i];
    out_ << CsvField(collab_) << ',' << ExchangeNameFor(s.type) << ',' << CsvField(s.value)
         << ",TRUE_POSITIVE," << CsvField(tags) << "\r\n";
    ++written_;
  }
  Status Finish() override {
    out_.flush();
    return out_ ? Status::OK() : Status::IOError("write failed");
  }

 private:
  std::ostream& out_;
  std::string collab_;
};

class HmaWriter final : public SignalWriter {
 public:
  explicit HmaWriter(std::ostream& out) : out_(out) {}
  void Write(const store::Signal& s) override {
    if (!s.live()) {
      ++omitted_;
      return;
    }
    json::object o;
    std::string_view name = ExchangeNameFor(s.type);
    o[json::string_view(name.data(), name.size())] = s.value;
    out_ << json::serialize(o) << '\n';
    ++written_;
  }
  Status Finish() override {
    out_.flush();
    return out_ ? Status::OK() : Status::IOError("write failed");
  }

 private:
  std::ostream& out_;
};

class JsonlWriter final : public SignalWriter {
 public:
  JsonlWriter(std::ostream& out, const ExportInfo& info) : out_(out), bank_(info.bank_name) {}
  void Write(const store::Signal& s) override {
    json::object o;
    o["bank"] = bank_;
    o["type"] = store::SignalTypeName(s.type);
    o["value"] = s.value;
    o["quality"] = s.quality;
    json::array labels;
    for (const std::string& l : s.labels) labels.emplace_back(l);
    o["labels"] = std::move(labels);
    o["source_exchange"] = s.source_exchange;
    o["contributor_org"] = s.contributor_org_id;
    o["added"] = Rfc3339Ms(s.added_ms);
    if (s.live()) {
      o["removed"] = nullptr;
    } else {
      o["removed"] = Rfc3339Ms(s.removed_ms);
    }
    o["version"] = s.version;
    out_ << json::serialize(o) << '\n';
    ++written_;
  }
  Status Finish() override {
    out_.flush();
    return out_ ? Status::OK() : Status::IOError("write failed");
  }

 private:
  std::ostream& out_;
  std::string bank_;
};

}  // namespace

Result<Parsed> ParseSignals(Format format, std::string_view data, const ParseOptions& options) {
  if (data.size() > kMaxImportBytes) {
    return Status::ResourceExhausted("import larger than " + std::to_string(kMaxImportBytes) +
                                     " bytes; split it");
  }
  switch (format) {
    case Format::kPlain: return ParsePlain(data, options);
    case Format::kTeCsv: return ParseTeCsv(data, options);
    case Format::kHma: return ParseHma(data, options);
    case Format::kJsonl: return ParseJsonl(data, options);
    case Format::kStix: return internal::ParseStix(data, options);
  }
  return Status::InvalidArgument("unknown format");
}

Result<std::unique_ptr<SignalWriter>> MakeWriter(Format format, const ExportInfo& info,
                                                 std::ostream& out) {
  switch (format) {
    case Format::kPlain: return std::unique_ptr<SignalWriter>(std::make_unique<PlainWriter>(out));
    case Format::kTeCsv:
      return std::unique_ptr<SignalWriter>(std::make_unique<TeCsvWriter>(out, info));
    case Format::kHma: return std::unique_ptr<SignalWriter>(std::make_unique<HmaWriter>(out));
    case Format::kJsonl:
      return std::unique_ptr<SignalWriter>(std::make_unique<JsonlWriter>(out, info));
    case Format::kStix: return internal::MakeStixWriter(info, out);
  }
  return Status::InvalidArgument("unknown format");
}

}  // namespace vigil::formats
