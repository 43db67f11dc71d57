#include "collect/url.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <libpsl.h>

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cctype>
#include <cstdlib>
#include <memory>

namespace vigil::collect {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  return (c | 0x20) - 'a' + 10;
}
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

// Characters RFC 3986 allows unescaped in a path, query or fragment.
bool IsAllowedInResource(unsigned char c) {
  if (IsAlpha(static_cast<char>(c)) || IsDigit(static_cast<char>(c))) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':  // unreserved
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':  // sub-delims
    case '+':
    case ',':
    case ';':
    case '=':
    case ':':
    case '@':
    case '/':
    case '?': return true;
    default: return false;
  }
}

// Percent-encodes what a browser would before sending: non-ASCII bytes (UTF-8),
// spaces, quotes, brackets, and a '%' that does not start a valid escape.
std::string EncodeDisallowed(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '%' && i + 2 < s.size() && IsHex(s[i + 1]) && IsHex(s[i + 2])) {
      out += '%';
    } else if (c != '%' && IsAllowedInResource(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && IsHex(s[i + 1]) && IsHex(s[i + 2])) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool IsUnreserved(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Upper-case hex in escapes, and escapes of unreserved characters decoded (RFC 3986
// 6.2.2.1-2); reserved escapes such as %2F stay, they mean something else than '/'.
std::string NormalizeEscapes(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && IsHex(s[i + 1]) && IsHex(s[i + 2])) {
      int v = HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]);
      if (IsUnreserved(static_cast<char>(v))) {
        out += static_cast<char>(v);
      } else {
        out += '%';
        out += kHex[v >> 4];
        out += kHex[v & 15];
      }
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// RFC 3986 5.2.4 on an absolute path.
std::string RemoveDotSegments(std::string_view path) {
  std::vector<std::string_view> out;
  bool trailing_slash = false;
  size_t i = path.empty() || path[0] != '/' ? 0 : 1;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view seg = path.substr(i, j - i);
    bool last = j == path.size();
    if (seg == ".") {
      trailing_slash = last;
    } else if (seg == "..") {
      if (!out.empty()) out.pop_back();
      trailing_slash = last;
    } else {
      out.push_back(seg);
      trailing_slash = false;
    }
    i = j + 1;
  }
  std::string r;
  for (auto seg : out) {
    r += '/';
    r += seg;
  }
  if (trailing_slash || r.empty()) r += '/';
  return r;
}

std::string_view Trim(std::string_view s) {
  auto is_space = [](unsigned char c) { return c <= 0x20 || c == 0x7f; };
  while (!s.empty() && is_space(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && is_space(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Length of a scheme at the start of `s` ("https" in "https://"), or 0.
size_t SchemeLength(std::string_view s) {
  if (s.empty() || !IsAlpha(s[0])) return 0;
  size_t i = 1;
  while (i < s.size() &&
         (IsAlpha(s[i]) || IsDigit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
    ++i;
  }
  return (i < s.size() && s[i] == ':') ? i : 0;
}

// Schemes that are never web links; anything else followed by ':' without '//' is
// read as "host:port" ("example.org:8080/x").
bool IsKnownNonWebScheme(std::string_view lower) {
  static constexpr std::array<std::string_view, 14> kSchemes = {
      "mailto", "javascript", "data", "tel",  "sms",   "file", "ftp",
      "ftps",   "magnet",     "irc",  "xmpp", "about", "blob", "tg"};
  return std::find(kSchemes.begin(), kSchemes.end(), lower) != kSchemes.end();
}

// tg://resolve?domain=name&post=5 -> https://t.me/name/5; tg://join?invite=X -> t.me/+X.
Result<std::string> TelegramDeepLink(std::string_view s) {
  auto parsed = boost::urls::parse_uri(s);
  if (!parsed) return Status::InvalidArgument("malformed tg: link");
  std::string action(parsed->encoded_host());
  std::string domain, post, invite;
  for (auto p : parsed->params()) {
    if (p.key == "domain") domain = p.value;
    if (p.key == "post") post = p.value;
    if (p.key == "invite") invite = p.value;
  }
  auto safe = [](const std::string& v) {
    return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
      return IsAlpha(c) || IsDigit(c) || c == '_' || c == '-';
    });
  };
  if (action == "resolve" && safe(domain)) {
    std::string out = "https://t.me/" + domain;
    if (safe(post)) out += "/" + post;
    return out;
  }
  if (action == "join" && safe(invite)) return "https://t.me/+" + invite;
  return Status::Unsupported("tg: link without a public web equivalent");
}

// Normalises a host name: percent-decoded, IDN to punycode, lower case, trailing dot
// removed, numeric IPv4 spellings ("0x7f.1") as a dotted quad.
Result<std::string> NormalizeHostName(std::string_view raw) {
  std::string host = PercentDecode(raw);
  if (host.empty()) return Status::InvalidArgument("empty host");
  // libidn2 reads C strings: a NUL would silently cut the host short.
  if (std::any_of(host.begin(), host.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return Status::InvalidArgument("host has a control character or space");
  }
  bool ascii = std::all_of(host.begin(), host.end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (!ascii) {
    char* out = nullptr;
    int rc = idn2_to_ascii_8z(host.c_str(), &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
      // Some registries still use transitional (IDNA 2003) mappings, e.g. for 'ß'.
      rc = idn2_to_ascii_8z(host.c_str(), &out, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
    }
    if (rc != IDN2_OK || out == nullptr) {
      return Status::InvalidArgument(std::string("bad international host name: ") +
                                     idn2_strerror(rc));
    }
    std::unique_ptr<char, decltype(&idn2_free)> holder(out, &idn2_free);
    host = out;
  }
  host = ToLower(host);
  // One trailing dot (the DNS root) is dropped; only now, since UTS #46 maps ideographic
  // full stops to '.'.
  if (!host.empty() && host.back() == '.') host.pop_back();
  if (host.empty()) return Status::InvalidArgument("empty host");
  for (char c : host) {
    if (!(IsAlpha(c) || IsDigit(c) || c == '-' || c == '.' || c == '_')) {
      return Status::InvalidArgument("host has a character not allowed in host names");
    }
  }
  if (host.find("..") != std::string::npos || host.front() == '.' || host.back() == '.') {
    return Status::InvalidArgument("host has an empty label");
  }
  // A host whose last label is a number is an IPv4 address in some spelling; servers and
  // resolvers read it so, so the canonical form must too.
  auto last_dot = host.rfind('.');
  std::string_view last =
      std::string_view(host).substr(last_dot == std::string::npos ? 0 : last_dot + 1);
  bool numeric_last =
      !last.empty() && (std::all_of(last.begin(), last.end(), IsDigit) ||
                        (last.size() > 2 && last[0] == '0' && (last[1] | 0x20) == 'x' &&
                         std::all_of(last.begin() + 2, last.end(), IsHex)));
  if (numeric_last) {
    in_addr addr{};
    if (inet_aton(host.c_str(), &addr) == 0) {
      return Status::InvalidArgument("host looks like an IPv4 address but is not one");
    }
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &addr, buf, sizeof buf);
    host = buf;
  }
  return host;
}

const psl_ctx_t* PublicSuffixes() {
  // psl_latest picks the newer of the list built into libpsl and the system's
  // /usr/share/publicsuffix copy; it is immutable afterwards and never freed.
  static const psl_ctx_t* ctx = [] {
    psl_ctx_t* c = psl_latest(nullptr);
    return c != nullptr ? c : psl_builtin();
  }();
  return ctx;
}

}  // namespace

bool IsTrackingParameter(std::string_view key) {
  std::string k = ToLower(key);
  if (k.rfind("utm_", 0) == 0) return true;
  static constexpr std::array<std::string_view, 21> kExact = {
      "fbclid", "gclid",  "gclsrc",    "dclid",       "gbraid",     "wbraid",  "msclkid",
      "mc_cid", "mc_eid", "yclid",     "igshid",      "_hsenc",     "_hsmi",   "mkt_tok",
      "ttclid", "twclid", "li_fat_id", "oly_anon_id", "oly_enc_id", "vero_id", "_openstat"};
  return std::find(kExact.begin(), kExact.end(), k) != kExact.end();
}

std::string RegistrableDomain(std::string_view ascii_host) {
  std::string host(ascii_host);
  if (host.find(':') != std::string::npos) return host;  // IPv6
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return host;
  const char* rd = psl_registrable_domain(PublicSuffixes(), host.c_str());
  return rd != nullptr ? std::string(rd) : host;
}

Result<CanonicalUrl> CanonicalizeUrl(std::string_view raw) {
  std::string_view trimmed = Trim(raw);
  if (trimmed.empty()) return Status::InvalidArgument("empty URL");
  if (trimmed.size() > kMaxUrlBytes) return Status::InvalidArgument("URL longer than 8 KiB");
  // Browsers drop tabs and newlines inside URLs (WHATWG URL standard); copy-pasted links
  // often carry them.
  std::string s;
  s.reserve(trimmed.size());
  for (char c : trimmed) {
    if (c != '\t' && c != '\n' && c != '\r') s += c;
  }

  std::string scheme;
  if (size_t n = SchemeLength(s); n > 0) {
    std::string lower = ToLower(std::string_view(s).substr(0, n));
    bool has_slashes = s.compare(n + 1, 2, "//") == 0;
    if (lower == "tg") {
      VIGIL_ASSIGN_OR_RETURN(s, TelegramDeepLink(s));
      scheme = "https";
      s = s.substr(8);
    } else if (lower == "http" || lower == "https") {
      scheme = lower;
      s = s.substr(n + 1);
      while (!s.empty() && (s[0] == '/' || s[0] == '\\')) s.erase(0, 1);  // "http:/x", "http:\\x"
    } else if (has_slashes || IsKnownNonWebScheme(lower)) {
      return Status::Unsupported("not a web link (scheme '" + lower + "')");
    } else {
      scheme = "http";  // "example.org:8080/x"
    }
  } else {
    scheme = "http";
    while (!s.empty() && s[0] == '/') s.erase(0, 1);  // protocol-relative "//host/x"
  }

  // Authority ends at the first '/', '?', '#' or '\' (read as '/', as browsers do).
  size_t auth_end = s.find_first_of("/?#\\");
  std::string_view authority = std::string_view(s).substr(0, auth_end);
  std::string rest = auth_end == std::string::npos ? std::string() : s.substr(auth_end);
  for (size_t i = 0; i < rest.size() && rest[i] != '?' && rest[i] != '#'; ++i) {
    if (rest[i] == '\\') rest[i] = '/';
  }
  if (auto hash = rest.find('#'); hash != std::string::npos) rest.resize(hash);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);  // credentials never belong in a shared link
  }

  std::string host;
  std::string_view port_text;
  bool is_v6 = false;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("unclosed IPv6 host");
    auto v6 = boost::urls::parse_ipv6_address(authority.substr(1, close - 1));
    if (!v6) return Status::InvalidArgument("bad IPv6 address");
    host = v6->to_string();
    is_v6 = true;
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Status::InvalidArgument("junk after IPv6 host");
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    std::string_view name = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    VIGIL_ASSIGN_OR_RETURN(host, NormalizeHostName(name));
  }
  uint32_t port = scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), IsDigit)) {
      return Status::InvalidArgument("bad port");
    }
    port = static_cast<uint32_t>(std::strtoul(std::string(port_text).c_str(), nullptr, 10));
    if (port == 0 || port > 65535) return Status::InvalidArgument("port out of range");
  }
  bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);

  std::string text = scheme + "://" + (is_v6 ? "[" + host + "]" : host);
  if (!default_port) text += ":" + std::to_string(port);
  text += EncodeDisallowed(rest);

  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return Status::InvalidArgument("malformed URL: " + parsed.error().message());
  // Boost.URL 1.81's normalize() decodes reserved escapes such as %2F, which changes the
  // resource; percent-encoding and dot segments are normalised here instead.
  std::string path = RemoveDotSegments(NormalizeEscapes(parsed->encoded_path()));
  if (path.empty()) path = "/";
  std::string kept;
  if (parsed->has_query()) {
    std::string normalized_query = NormalizeEscapes(parsed->encoded_query());
    std::string_view query = normalized_query;
    while (!query.empty()) {
      auto amp = query.find('&');
      std::string_view piece = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      if (piece.empty()) continue;
      std::string key = PercentDecode(piece.substr(0, piece.find('=')));
      if (IsTrackingParameter(key)) continue;
      if (!kept.empty()) kept += '&';
      kept += piece;
    }
  }
  std::string prefix = scheme + "://" + (is_v6 ? "[" + host + "]" : host);
  if (!default_port) prefix += ":" + std::to_string(port);

  CanonicalUrl out;
  out.path_and_query = kept.empty() ? path : path + "?" + kept;
  out.url = prefix + out.path_and_query;
  out.scheme = scheme;
  out.host = host;
  out.port = static_cast<uint16_t>(port);
  in_addr v4{};
  out.host_is_ip = is_v6 || inet_pton(AF_INET, host.c_str(), &v4) == 1;
  out.registrable_domain = RegistrableDomain(host);
  return out;
}

Result<CanonicalUrl> ResolveAndCanonicalize(std::string_view base, std::string_view ref) {
  std::string_view r = Trim(ref);
  if (size_t n = SchemeLength(r); n > 0) {
    std::string lower = ToLower(r.substr(0, n));
    if (lower == "http" || lower == "https" || lower == "tg" || IsKnownNonWebScheme(lower) ||
        r.compare(n + 1, 2, "//") == 0) {
      return CanonicalizeUrl(r);
    }
  }
  VIGIL_ASSIGN_OR_RETURN(CanonicalUrl b, CanonicalizeUrl(base));
  if (r.substr(0, 2) == "//") return CanonicalizeUrl(b.scheme + ":" + std::string(r));
  std::string rel = EncodeDisallowed(r.substr(0, r.find('#')));
  auto rel_parsed = boost::urls::parse_relative_ref(rel);
  if (!rel_parsed) return Status::InvalidArgument("malformed relative link");
  auto base_parsed = boost::urls::parse_uri(b.url);
  if (!base_parsed) return Status::Internal("canonical URL does not parse");
  boost::urls::url dest;
  auto rc = boost::urls::resolve(*base_parsed, *rel_parsed, dest);
  if (!rc) return Status::InvalidArgument("cannot resolve relative link");
  return CanonicalizeUrl(dest.buffer());
}

std::vector<std::string> ExtractUrlsFromText(std::string_view text) {
  std::vector<std::string> out;
  auto starts_with_ci = [&](size_t i, std::string_view p) {
    if (i + p.size() > text.size()) return false;
    for (size_t k = 0; k < p.size(); ++k) {
      if (Lower(text[i + k]) != p[k]) return false;
    }
    return true;
  };
  auto is_word = [](char c) {
    return IsAlpha(c) || IsDigit(c) || c == '.' || c == '-' || c == '@' || c == '/' || c == '_';
  };
  size_t i = 0;
  while (i < text.size()) {
    bool boundary = i == 0 || !is_word(text[i - 1]);
    bool hit = boundary && (starts_with_ci(i, "http://") || starts_with_ci(i, "https://") ||
                            starts_with_ci(i, "www."));
    if (!hit) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size()) {
      auto c = static_cast<unsigned char>(text[j]);
      if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '`') break;
      // U+00A0 and U+3000 (ideographic space) end a URL too.
      if (c == 0xC2 && j + 1 < text.size() && static_cast<unsigned char>(text[j + 1]) == 0xA0) {
        break;
      }
      if (c == 0xE3 && j + 2 < text.size() && static_cast<unsigned char>(text[j + 1]) == 0x80 &&
          static_cast<unsigned char>(text[j + 2]) == 0x80) {
        break;
      }
      ++j;
    }
    std::string_view url = text.substr(i, j - i);
    // Trailing punctuation belongs to the sentence, and a closing bracket only to the
    // URL when the URL opened one ("(see https://a.example/x_(y))").
    for (;;) {
      if (url.empty()) break;
      char last = url.back();
      if (std::string_view(".,;:!?'*").find(last) != std::string_view::npos) {
        url.remove_suffix(1);
        continue;
      }
      if (url.size() >= 3 && url.substr(url.size() - 3) == "\xE2\x80\xA6") {  // ellipsis
        url.remove_suffix(3);
        continue;
      }
      if (last == ')' || last == ']') {
        char open = last == ')' ? '(' : '[';
        auto opens = std::count(url.begin(), url.end(), open);
        auto closes = std::count(url.begin(), url.end(), last);
        if (closes > opens) {
          url.remove_suffix(1);
          continue;
        }
      }
      break;
    }
    size_t prefix = url.find("://");
    prefix = prefix == std::string_view::npos ? 4 : prefix + 3;  // "www." or "scheme://"
    if (url.size() > prefix && url.find('.', prefix - 1) != std::string_view::npos) {
      out.emplace_back(url);
    }
    i = j > i ? j : i + 1;
  }
  return out;
}

}  // namespace vigil::collect
