#include "store/model.h"

#include <algorithm>

namespace vigil::store {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

Result<std::string> HexOfLength(std::string_view v, size_t digits, std::string_view what) {
  if (v.size() != digits) {
    return Status::InvalidArgument(std::string(what) + " needs " + std::to_string(digits) +
                                   " hex digits, got " + std::to_string(v.size()) + " characters");
  }
  std::string out = Lower(v);
  for (size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return Status::InvalidArgument(std::string(what) + ": not a hex digit at position " +
                                     std::to_string(i + 1));
    }
  }
  return out;
}

// Well-formed UTF-8 without control characters (tab allowed in text).
bool IsCleanUtf8(std::string_view s, bool allow_tab) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7f) return false;
      ++i;
      continue;
    }
    int extra = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
    if (extra < 0 || c == 0xc0 || c == 0xc1 || c > 0xf4) return false;
    if (i + static_cast<size_t>(extra) >= s.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += 1 + extra;
  }
  return true;
}

bool IsDigits(std::string_view s) {
  if (s.empty() || s.size() > 10) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A non-negative decimal such as "12.345" (the reference prints three decimals).
bool IsDecimal(std::string_view s) {
  size_t dot = s.find('.');
  if (dot == std::string_view::npos) return IsDigits(s);
  return IsDigits(s.substr(0, dot)) && (dot + 1 == s.size() || IsDigits(s.substr(dot + 1)));
}

// vPDQ entries `frame,quality,hex,timestamp`, separated by ';' or line breaks (so the
// reference's text file is accepted as is), joined by ';' in the canonical form.
Result<std::string> CanonicalVpdq(std::string_view v) {
  std::string out;
  size_t entries = 0;
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t end = v.find_first_of(";\n", pos);
    if (end == std::string_view::npos) end = v.size();
    std::string_view entry = Trim(v.substr(pos, end - pos));
    pos = end + 1;
    if (entry.empty()) continue;
    std::string_view f[4];
    size_t start = 0;
    for (int i = 0; i < 4; ++i) {
      size_t comma = i < 3 ? entry.find(',', start) : entry.size();
      if (comma == std::string_view::npos) {
        return Status::InvalidArgument("vpdq entry " + std::to_string(entries + 1) +
                                       ": expected frame,quality,hex,timestamp");
      }
      f[i] = entry.substr(start, comma - start);
      start = comma + 1;
    }
    auto hex = HexOfLength(f[2], 64, "a vPDQ frame hash");
    int quality = IsDigits(f[1]) && f[1].size() <= 3 ? std::stoi(std::string(f[1])) : -1;
    if (!IsDigits(f[0]) || quality < 0 || quality > 100 || !hex.ok() || !IsDecimal(f[3])) {
      return Status::InvalidArgument("vpdq entry " + std::to_string(entries + 1) +
                                     ": expected frame,quality(0-100),64 hex digits,seconds");
    }
    if (entries++) out += ';';
    out.append(f[0]).append(",").append(f[1]).append(",").append(*hex).append(",").append(f[3]);
  }
  if (entries == 0) return Status::InvalidArgument("empty vpdq value");
  return out;
}

// Base64: standard alphabet with '=' padding (tmk), or URL-safe without padding (audio).
Result<std::string> CanonicalBase64(std::string_view v, bool url_safe, std::string_view what) {
  if (v.empty()) return Status::InvalidArgument("empty signal value");
  size_t pad = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (url_safe) {
      ok = ok || c == '-' || c == '_';
    } else {
      ok = ok || c == '+' || c == '/';
      if (c == '=') {
        ++pad;
        ok = pad <= 2;
      } else if (pad) {
        ok = false;  // '=' only at the end
      }
    }
    if (!ok) {
      return Status::InvalidArgument(std::string(what) + " value is not " +
                                     (url_safe ? "URL-safe base64" : "base64") +
                                     ": bad character at position " + std::to_string(i + 1));
    }
  }
  if (!url_safe && v.size() % 4 != 0) {
    return Status::InvalidArgument(std::string(what) +
                                   " value is not padded base64 (length not a multiple of 4)");
  }
  if (url_safe && v.size() % 4 == 1) {
    return Status::InvalidArgument(std::string(what) + " value has an impossible base64 length");
  }
  return std::string(v);
}

}  // namespace

std::string_view SignalTypeName(SignalType type) {
  switch (type) {
    case SignalType::kPdq: return "pdq";
    case SignalType::kVpdq: return "vpdq";
    case SignalType::kTmk: return "tmk";
    case SignalType::kMd5: return "md5";
    case SignalType::kSha256: return "sha256";
    case SignalType::kAudio: return "audio";
    case SignalType::kText: return "text";
    case SignalType::kUrl: return "url";
  }
  return "unknown";
}

Result<SignalType> ParseSignalType(std::string_view name) {
  std::string n = Lower(Trim(name));
  for (SignalType t : kAllSignalTypes) {
    if (n == SignalTypeName(t)) return t;
  }
  return Status::InvalidArgument("unknown signal type '" + std::string(name.substr(0, 64)) +
                                 "' (expected pdq, vpdq, tmk, md5, sha256, audio, text or url)");
}

Result<std::string> CanonicalSignalValue(SignalType type, std::string_view value) {
  const bool media =
      type == SignalType::kVpdq || type == SignalType::kTmk || type == SignalType::kAudio;
  const size_t max_bytes = media ? kMaxMediaSignalValueBytes : kMaxSignalValueBytes;
  if (value.size() > max_bytes) {
    return Status::ResourceExhausted("signal value longer than " + std::to_string(max_bytes) +
                                     " bytes");
  }
  std::string_view v = Trim(value);
  switch (type) {
    case SignalType::kPdq: return HexOfLength(v, 64, "a PDQ hash");
    case SignalType::kSha256: return HexOfLength(v, 64, "a SHA-256 digest");
    case SignalType::kMd5: return HexOfLength(v, 32, "an MD5 digest");
    case SignalType::kVpdq: return CanonicalVpdq(v);
    case SignalType::kTmk: return CanonicalBase64(v, /*url_safe=*/false, "tmk");
    case SignalType::kAudio: return CanonicalBase64(v, /*url_safe=*/true, "audio");
    case SignalType::kText:
    case SignalType::kUrl:
      if (v.empty()) return Status::InvalidArgument("empty signal value");
      if (!IsCleanUtf8(v, type == SignalType::kText)) {
        return Status::InvalidArgument(
            "signal value is not clean UTF-8 (control characters or "
            "invalid bytes)");
      }
      return std::string(v);
  }
  return Status::InvalidArgument("unknown signal type");
}

Result<std::string> CanonicalLabel(std::string_view label) {
  std::string l = Lower(Trim(label));
  if (l.empty()) return Status::InvalidArgument("empty label");
  if (l.size() > kMaxLabelBytes) {
    return Status::InvalidArgument("label longer than " + std::to_string(kMaxLabelBytes) +
                                   " bytes");
  }
  for (char c : l) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == ':' || c == '-';
    if (!ok) {
      return Status::InvalidArgument("label '" + l.substr(0, 64) +
                                     "' may only contain a-z 0-9 . _ : -");
    }
  }
  return l;
}

std::vector<std::string> MergeLabels(const std::vector<std::string>& a,
                                     const std::vector<std::string>& b) {
  std::vector<std::string> out;
  out.reserve(a.size() + b.size());
  out.insert(out.end(), a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string JoinLabels(const std::vector<std::string>& labels) {
  std::string out;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i];
  }
  return out;
}

std::vector<std::string> SplitLabels(std::string_view joined) {
  std::vector<std::string> out;
  while (!joined.empty()) {
    size_t comma = joined.find(',');
    std::string_view part = joined.substr(0, comma);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    joined.remove_prefix(comma + 1);
  }
  return out;
}

std::string_view SharingScopeName(SharingScope scope) {
  switch (scope) {
    case SharingScope::kPrivate: return "private";
    case SharingScope::kOrganisations: return "organisations";
    case SharingScope::kPublic: return "public";
  }
  return "private";
}

Result<SharingScope> ParseSharingScope(std::string_view name) {
  std::string n = Lower(Trim(name));
  if (n == "private") return SharingScope::kPrivate;
  if (n == "organisations" || n == "organizations" || n == "orgs") {
    return SharingScope::kOrganisations;
  }
  if (n == "public") return SharingScope::kPublic;
  return Status::InvalidArgument("unknown sharing scope '" + std::string(name.substr(0, 64)) +
                                 "' (expected private, organisations or public)");
}

Status ValidateBankName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return Status::InvalidArgument("a bank name has 1 to 64 characters");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidArgument("bank name '" + std::string(name) +
                                     "' may only contain A-Z a-z 0-9 . _ -");
    }
  }
  return Status::OK();
}

std::string_view LabelDimensionName(LabelDimension d) {
  switch (d) {
    case LabelDimension::kContentType: return "content_type";
    case LabelDimension::kBehaviour: return "behaviour";
    case LabelDimension::kSeverity: return "severity";
    case LabelDimension::kEntity: return "entity";
    case LabelDimension::kOther: return "other";
  }
  return "other";
}

Result<LabelDimension> ParseLabelDimension(std::string_view name) {
  std::string n = Lower(Trim(name));
  for (auto d : {LabelDimension::kContentType, LabelDimension::kBehaviour,
                 LabelDimension::kSeverity, LabelDimension::kEntity, LabelDimension::kOther}) {
    if (n == LabelDimensionName(d)) return d;
  }
  return Status::InvalidArgument("unknown label dimension '" + std::string(name.substr(0, 64)) +
                                 "'");
}

const std::vector<LabelDef>& DefaultTaxonomy() {
  static const std::vector<LabelDef> kTaxonomy = {
      {"content:image", LabelDimension::kContentType, "still image"},
      {"content:video", LabelDimension::kContentType, "video"},
      {"content:audio", LabelDimension::kContentType, "audio or nasheed"},
      {"content:text", LabelDimension::kContentType, "text, manifesto or publication"},
      {"content:url", LabelDimension::kContentType, "link to content hosted elsewhere"},
      {"behaviour:glorification", LabelDimension::kBehaviour, "glorifies an attack or perpetrator"},
      {"behaviour:recruitment", LabelDimension::kBehaviour, "recruits or solicits support"},
      {"behaviour:instruction", LabelDimension::kBehaviour, "instructs in attack methods"},
      {"behaviour:threat", LabelDimension::kBehaviour, "threatens violence"},
      {"behaviour:graphic-violence", LabelDimension::kBehaviour, "depicts graphic violence"},
      {"behaviour:incitement", LabelDimension::kBehaviour, "incites violence"},
      {"severity:threat-to-life", LabelDimension::kSeverity, "imminent threat to life"},
      {"severity:crisis", LabelDimension::kSeverity, "produced during an active crisis"},
      {"severity:designated-entity", LabelDimension::kSeverity,
       "produced by or for a designated entity"},
      {"severity:promotional", LabelDimension::kSeverity, "promotional material"},
  };
  return kTaxonomy;
}

}  // namespace vigil::store
