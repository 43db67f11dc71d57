// STIX 2.1 bundles: one indicator per signal, observables for hashes and URLs, labels, a TLP
// marking and the producer identity. Ids are name-based (UUIDv5) so a signal keeps its
// indicator id across exports and partners can replace or revoke it.
#include <boost/json.hpp>

#include "formats/formats.h"
#include "formats/internal.h"
#include "store/crypto.h"

namespace vigil::formats::internal {
namespace {

namespace json = boost::json;
using store::SignalType;

// STIX 2.1's namespace for deterministic observable ids (spec section 2.9).
constexpr std::string_view kStixScoNamespace = "00abedb4-aa42-466c-9c01-fed23315a9b7";
// vigil's namespace for indicator, identity and bundle ids.
constexpr std::string_view kVigilNamespace = "8d1f0c4e-2b7a-5c39-9e41-6a0d3f5b7c21";

struct Tlp {
  const char* name;
  const char* id;
};
constexpr Tlp kTlps[] = {
    {"white", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"},
    {"green", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"},
    {"amber", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"},
    {"red", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"},
};

// Escapes a value for a single-quoted STIX pattern string.
std::string PatternQuote(std::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

const char* HashKey(SignalType t) {
  switch (t) {
    case SignalType::kPdq: return "PDQ";
    case SignalType::kMd5: return "MD5";
    case SignalType::kSha256: return "SHA-256";
    default: return nullptr;
  }
}

std::string Pattern(const store::Signal& s) {
  if (const char* key = HashKey(s.type)) {
    std::string k = key;
    if (k.find('-') != std::string::npos) k = "'" + k + "'";
    return "[file:hashes." + k + " = " + PatternQuote(s.value) + "]";
  }
  if (s.type == SignalType::kUrl) return "[url:value = " + PatternQuote(s.value) + "]";
  return "[x-vigil-signal:type = " + PatternQuote(store::SignalTypeName(s.type)) +
         " AND x-vigil-signal:value = " + PatternQuote(s.value) + "]";
}

class StixWriter final : public SignalWriter {
 public:
  StixWriter(const ExportInfo& info, std::ostream& out, const Tlp& tlp)
      : info_(info), out_(out), tlp_(tlp) {
    identity_id_ = "identity--" + store::UuidV5(kVigilNamespace, "identity:" + info.producer);
    std::string bundle_id =
        "bundle--" +
        store::UuidV5(kVigilNamespace,
                      "bundle:" + info.bank_name + ":" + std::to_string(info.since_version) + ":" +
                          std::to_string(info.bank_version) + ":" + std::to_string(info.now_ms));
    out_ << "{\"type\":\"bundle\",\"id\":\"" << bundle_id << "\",\"objects\":[\n";
    json::object identity{{"type", "identity"},
                          {"spec_version", "2.1"},
                          {"id", identity_id_},
                          {"created", "1970-01-01T00:00:00.000Z"},
                          {"modified", "1970-01-01T00:00:00.000Z"},
                          {"name", info.producer},
                          {"identity_class", "organization"}};
    out_ << json::serialize(identity);
    json::object marking{{"type", "marking-definition"},
                         {"spec_version", "2.1"},
                         {"id", tlp_.id},
                         {"created", "2017-01-20T00:00:00.000Z"},
                         {"definition_type", "tlp"},
                         {"name", "TLP:" + Upper(tlp_.name)},
                         {"definition", json::object{{"tlp", tlp_.name}}}};
    out_ << ",\n" << json::serialize(marking);
  }

  void Write(const store::Signal& s) override {
    const std::string created = Rfc3339Ms(s.added_ms);
    const std::string modified = Rfc3339Ms(std::max(s.added_ms, s.removed_ms));
    json::object ind;
    ind["type"] = "indicator";
    ind["spec_version"] = "2.1";
    ind["id"] = "indicator--" +
                store::UuidV5(kVigilNamespace, "signal:" + info_.bank_name + ":" +
                                                   std::string(store::SignalTypeName(s.type)) +
                                                   ":" + s.value);
    ind["created_by_ref"] = identity_id_;
    ind["created"] = created;
    ind["modified"] = modified;
    ind["name"] =
        std::string(store::SignalTypeName(s.type)) + " signal from bank " + info_.bank_name;
    ind["indicator_types"] = json::array{"malicious-activity"};
    ind["pattern"] = Pattern(s);
    ind["pattern_type"] = "stix";
    ind["pattern_version"] = "2.1";
    ind["valid_from"] = created;
    if (!s.labels.empty()) {
      json::array labels;
      for (const std::string& l : s.labels) labels.emplace_back(l);
      ind["labels"] = std::move(labels);
    }
    if (!s.live()) ind["revoked"] = true;
    ind["object_marking_refs"] = json::array{tlp_.id};
    ind["x_vigil_signal_type"] = store::SignalTypeName(s.type);
    ind["x_vigil_value"] = s.value;
    if (s.quality >= 0) ind["x_vigil_quality"] = s.quality;
    ind["x_vigil_bank"] = info_.bank_name;
    ind["x_vigil_bank_version"] = s.version;
    if (!s.source_exchange.empty()) ind["x_vigil_source_exchange"] = s.source_exchange;
    out_ << ",\n" << json::serialize(ind);

    if (s.live()) {
      if (const char* key = HashKey(s.type)) {
        json::object hashes{{key, s.value}};
        json::object file{
            {"type", "file"},
            {"spec_version", "2.1"},
            {"id", "file--" + store::UuidV5(kStixScoNamespace,
                                            json::serialize(json::object{{"hashes", hashes}}))},
            {"hashes", hashes}};
        out_ << ",\n" << json::serialize(file);
      } else if (s.type == SignalType::kUrl) {
        json::object url{
            {"type", "url"},
            {"spec_version", "2.1"},
            {"id", "url--" + store::UuidV5(kStixScoNamespace,
                                           json::serialize(json::object{{"value", s.value}}))},
            {"value", s.value}};
        out_ << ",\n" << json::serialize(url);
      }
    }
    ++written_;
  }

  Status Finish() override {
    out_ << "\n]}\n";
    out_.flush();
    return out_ ? Status::OK() : Status::IOError("write failed");
  }

 private:
  static std::string Upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  }

  ExportInfo info_;
  std::ostream& out_;
  Tlp tlp_;
  std::string identity_id_;
};

std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(json::string_view(key.data(), key.size()));
  if (!v || !v->is_string()) return "";
  return std::string(v->get_string().data(), v->get_string().size());
}

// Reads a single-quoted pattern string starting at `p` (at the quote).
bool ReadQuoted(std::string_view s, size_t& p, std::string& out) {
  if (p >= s.size() || s[p] != '\'') return false;
  out.clear();
  for (++p; p < s.size(); ++p) {
    if (s[p] == '\\' && p + 1 < s.size()) {
      out += s[++p];
    } else if (s[p] == '\'') {
      ++p;
      return true;
    } else {
      out += s[p];
    }
  }
  return false;
}

// Understands the single-comparison patterns other tools write for our signal types:
// [file:hashes.MD5 = '...'], [file:hashes.'SHA-256' = '...'], [file:hashes.PDQ = '...'],
// [url:value = '...'].
Status FromPattern(std::string_view pattern, store::SignalInput& s) {
  std::string_view p = TrimView(pattern);
  if (p.size() < 2 || p.front() != '[' || p.back() != ']') {
    return Status::Unsupported("pattern is not a single [comparison]");
  }
  p = TrimView(p.substr(1, p.size() - 2));
  size_t eq = p.find('=');
  if (eq == std::string_view::npos) return Status::Unsupported("pattern has no '=' comparison");
  std::string_view lhs = TrimView(p.substr(0, eq));
  size_t pos = eq + 1;
  while (pos < p.size() && p[pos] == ' ') ++pos;
  std::string value;
  if (!ReadQuoted(p, pos, value) || !TrimView(p.substr(pos)).empty()) {
    return Status::Unsupported("pattern compares with something other than one string");
  }
  if (lhs == "url:value") {
    s.type = SignalType::kUrl;
  } else if (lhs.starts_with("file:hashes.")) {
    std::string key(lhs.substr(12));
    if (key.size() >= 2 && key.front() == '\'' && key.back() == '\'') {
      key = key.substr(1, key.size() - 2);
    }
    for (char& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (key == "MD5") {
      s.type = SignalType::kMd5;
    } else if (key == "SHA-256" || key == "SHA256") {
      s.type = SignalType::kSha256;
    } else if (key == "PDQ") {
      s.type = SignalType::kPdq;
    } else {
      return Status::Unsupported("hash '" + key.substr(0, 32) + "' is not a vigil signal type");
    }
  } else {
    return Status::Unsupported("pattern object '" + std::string(lhs.substr(0, 64)) +
                               "' is not a vigil signal type");
  }
  s.value = std::move(value);
  return Status::OK();
}

}  // namespace

Result<Parsed> ParseStix(std::string_view data, const ParseOptions& options) {
  boost::system::error_code ec;
  json::value doc = json::parse(json::string_view(data.data(), data.size()), ec);
  if (ec) return Status::InvalidArgument("not JSON: " + ec.message());
  if (!doc.is_object() || Str(doc.get_object(), "type") != "bundle") {
    return Status::InvalidArgument("not a STIX bundle (no \"type\": \"bundle\")");
  }
  const json::value* objects = doc.get_object().if_contains("objects");
  Parsed p;
  if (!objects) return p;
  if (!objects->is_array()) return Status::InvalidArgument("bundle \"objects\" is not an array");
  int64_t index = 0;
  for (const json::value& v : objects->get_array()) {
    ++index;
    if (!v.is_object()) {
      AddIssue(p, index, "object is not a JSON object");
      continue;
    }
    const json::object& o = v.get_object();
    if (Str(o, "type") != "indicator") continue;
    Record r;
    r.line = index;
    std::string custom_type = Str(o, "x_vigil_signal_type");
    if (!custom_type.empty()) {
      auto t = store::ParseSignalType(custom_type);
      if (!t.ok()) {
        AddIssue(p, index, t.status().message());
        continue;
      }
      r.signal.type = *t;
      r.signal.value = Str(o, "x_vigil_value");
    } else {
      if (Str(o, "pattern_type") != "stix") {
        AddIssue(p, index, "indicator pattern_type is not stix");
        continue;
      }
      Status s = FromPattern(Str(o, "pattern"), r.signal);
      if (!s.ok()) {
        AddIssue(p, index, s.message());
        continue;
      }
    }
    if (const json::value* q = o.if_contains("x_vigil_quality"); q && q->is_int64()) {
      r.signal.quality = static_cast<int>(std::clamp<int64_t>(q->get_int64(), -2, 101));
    }
    bool bad_labels = false;
    if (const json::value* ls = o.if_contains("labels")) {
      if (!ls->is_array()) {
        bad_labels = true;
      } else {
        for (const json::value& l : ls->get_array()) {
          if (!l.is_string()) {
            bad_labels = true;
            break;
          }
          r.signal.labels.emplace_back(l.get_string().data(), l.get_string().size());
        }
      }
    }
    if (bad_labels) {
      AddIssue(p, index, "labels must be an array of strings");
      continue;
    }
    if (const json::value* rv = o.if_contains("revoked"); rv && rv->is_bool() && rv->get_bool()) {
      r.removed = true;
    }
    std::string source = Str(o, "x_vigil_source_exchange");
    r.signal.source_exchange = !options.source_exchange.empty()
                                   ? options.source_exchange
                                   : (source.empty() ? "stix" : source);
    Status s = CheckSignal(r.signal);
    if (!s.ok()) {
      AddIssue(p, index, s.message());
      continue;
    }
    p.records.push_back(std::move(r));
  }
  return p;
}

Result<std::unique_ptr<SignalWriter>> MakeStixWriter(const ExportInfo& info, std::ostream& out) {
  for (const Tlp& t : kTlps) {
    if (info.tlp == t.name) {
      return std::unique_ptr<SignalWriter>(std::make_unique<StixWriter>(info, out, t));
    }
  }
  return Status::InvalidArgument("unknown TLP level '" + info.tlp +
                                 "' (expected white, green, amber or red)");
}

}  // namespace vigil::formats::internal
