#include "delivery/smtp.h"

#include <boost/asio.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <ctime>
#include <random>

namespace vigil::delivery {
namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;

namespace {

bool SafeHeaderValue(std::string_view v) {
  return v.find('\r') == std::string_view::npos && v.find('\n') == std::string_view::npos &&
         v.find('\0') == std::string_view::npos;
}

Status CheckAddress(std::string_view a) {
  if (a.empty() || a.size() > 254 || a.find('@') == std::string_view::npos || a.front() == '@' ||
      a.back() == '@') {
    return Status::InvalidArgument("not an e-mail address: '" + std::string(a.substr(0, 80)) + "'");
  }
  for (char c : a) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '<' || c == '>' || c == 0x7f || c == '"' ||
        c == ',' || c == ';') {
      return Status::InvalidArgument("unsafe character in e-mail address");
    }
  }
  return Status::OK();
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::string Base64(std::string_view in) {
  static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// RFC 2047 for non-ASCII header text, in encoded words short enough for one line each.
std::string EncodeHeaderText(std::string_view s) {
  if (IsAscii(s)) return std::string(s);
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t n = std::min<size_t>(45, s.size() - i);
    // Never split a UTF-8 sequence between encoded words.
    while (n > 0 && i + n < s.size() && (static_cast<uint8_t>(s[i + n]) & 0xC0) == 0x80) --n;
    if (n == 0) n = std::min<size_t>(45, s.size() - i);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(s.substr(i, n)) + "?=";
    i += n;
  }
  return out;
}

std::string RfcDate(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

Status NetError(std::string_view what, const boost::system::error_code& ec) {
  if (ec == beast::error::timeout)
    return Status::DeadlineExceeded(std::string(what) + ": timed out");
  return Status::Unavailable(std::string(what) + ": " + ec.message());
}

Status ReplyError(std::string_view step, const SmtpReply& r) {
  std::string text = r.lines.empty() ? "" : r.lines.back();
  std::string m = "SMTP " + std::string(step) + " refused: " + std::to_string(r.code) + " " + text;
  if (r.code >= 400 && r.code < 500) return Status::Unavailable(m);
  return Status::FailedPrecondition(m);
}

class Session {
 public:
  explicit Session(beast::tcp_stream& s) : s_(s) {}

  asio::awaitable<Result<SmtpReply>> Read() {
    std::string text;
    for (;;) {
      auto [ec, n] =
          co_await asio::async_read_until(s_, asio::dynamic_buffer(buf_, kMaxSmtpReplyBytes),
                                          "\r\n", asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == asio::error::not_found) co_return Status::Corruption("SMTP reply line too long");
        co_return NetError("SMTP read", ec);
      }
      std::string line = buf_.substr(0, n);
      buf_.erase(0, n);
      text += line;
      if (text.size() > kMaxSmtpReplyBytes) co_return Status::Corruption("SMTP reply too long");
      if (line.size() < 4 || line[3] != '-') break;
    }
    co_return ParseSmtpReply(text);
  }

  asio::awaitable<Status> Write(std::string data) {
    auto [ec, n] =
        co_await asio::async_write(s_, asio::buffer(data), asio::as_tuple(asio::use_awaitable));
    if (ec) co_return NetError("SMTP write", ec);
    co_return Status::OK();
  }

  // Sends a command and expects a reply code in [lo, hi].
  asio::awaitable<Result<SmtpReply>> Command(std::string cmd, std::string_view step, int lo,
                                             int hi) {
    Status w = co_await Write(std::move(cmd));
    if (!w.ok()) co_return w;
    Result<SmtpReply> r = co_await Read();
    if (!r.ok()) co_return r.status();
    if (r->code < lo || r->code > hi) co_return ReplyError(step, *r);
    co_return r;
  }

 private:
  beast::tcp_stream& s_;
  std::string buf_;
};

asio::awaitable<void> Dialogue(const SmtpOptions& o, const SmtpMessage& m, const std::string& data,
                               Result<SmtpReceipt>* out) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [rec, results] = co_await resolver.async_resolve(o.host, std::to_string(o.port),
                                                        asio::as_tuple(asio::use_awaitable));
  if (rec) {
    *out = NetError("resolve " + o.host, rec);
    co_return;
  }
  beast::tcp_stream stream(ex);
  stream.expires_after(o.timeout);
  auto [cec, ep] = co_await stream.async_connect(results, asio::as_tuple(asio::use_awaitable));
  if (cec) {
    *out = NetError("connect to SMTP server", cec);
    co_return;
  }
  Session s(stream);
  auto fail = [&](Status st) { *out = std::move(st); };
  Result<SmtpReply> greet = co_await s.Read();
  if (!greet.ok()) co_return fail(greet.status());
  if (greet->code != 220) co_return fail(ReplyError("greeting", *greet));
  Result<SmtpReply> ehlo = co_await s.Command("EHLO " + o.helo_name + "\r\n", "EHLO", 250, 250);
  if (!ehlo.ok()) {
    ehlo = co_await s.Command("HELO " + o.helo_name + "\r\n", "HELO", 250, 250);
    if (!ehlo.ok()) co_return fail(ehlo.status());
  }
  auto r = co_await s.Command("MAIL FROM:<" + m.from + ">\r\n", "MAIL FROM", 250, 250);
  if (!r.ok()) co_return fail(r.status());
  for (const std::string& to : m.to) {
    r = co_await s.Command("RCPT TO:<" + to + ">\r\n", "RCPT TO", 250, 251);
    if (!r.ok()) co_return fail(r.status());
  }
  r = co_await s.Command("DATA\r\n", "DATA", 354, 354);
  if (!r.ok()) co_return fail(r.status());
  r = co_await s.Command(data, "message", 250, 250);
  if (!r.ok()) co_return fail(r.status());
  SmtpReceipt rc;
  rc.code = r->code;
  rc.reply = r->lines.empty() ? "" : r->lines.back().substr(0, 512);
  rc.message_id = m.message_id;
  // The message is accepted; a failed QUIT changes nothing.
  (void)co_await s.Command("QUIT\r\n", "QUIT", 200, 299);
  *out = std::move(rc);
}

}  // namespace

Result<SmtpReply> ParseSmtpReply(std::string_view text) {
  SmtpReply r;
  if (text.empty()) return Status::Corruption("empty SMTP reply");
  while (!text.empty()) {
    size_t end = text.find("\r\n");
    if (end == std::string_view::npos) return Status::Corruption("SMTP reply line without CRLF");
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 2);
    if (line.size() < 3) return Status::Corruption("SMTP reply line too short");
    int code = 0;
    for (int i = 0; i < 3; ++i) {
      if (line[i] < '0' || line[i] > '9') return Status::Corruption("SMTP reply without a code");
      code = code * 10 + (line[i] - '0');
    }
    if (code < 200 || code > 599) return Status::Corruption("SMTP reply code out of range");
    if (r.code != 0 && code != r.code) return Status::Corruption("SMTP reply codes differ");
    r.code = code;
    const bool more = line.size() > 3 && line[3] == '-';
    if (line.size() > 3 && line[3] != '-' && line[3] != ' ') {
      return Status::Corruption("SMTP reply: bad separator");
    }
    r.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view{});
    if (!more) {
      if (!text.empty()) return Status::Corruption("SMTP reply: data after the last line");
      return r;
    }
  }
  return Status::Corruption("SMTP reply ends on a continuation line");
}

std::string QuotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t col = 0;
  auto put = [&](std::string_view tok) {
    if (col + tok.size() > 75) {
      out += "=\r\n";
      col = 0;
    }
    out += tok;
    col += tok.size();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (c == '\n' || c == '\r') {
      out += "\r\n";
      col = 0;
      continue;
    }
    const bool line_end = i + 1 == text.size() || text[i + 1] == '\n' || text[i + 1] == '\r';
    const bool plain = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_end);
    // A leading '.' is encoded so no line ever needs dot-stuffing by a relay. The soft
    // break comes first: a '.' pushed to the start of a new line must be encoded too.
    if (plain && col + 1 > 75) {
      out += "=\r\n";
      col = 0;
    }
    if (plain && !(c == '.' && col == 0)) {
      char one[2] = {static_cast<char>(c), 0};
      put(one);
    } else {
      char enc[4] = {'=', kHex[c >> 4], kHex[c & 15], 0};
      put(enc);
    }
  }
  return out;
}

Result<std::string> BuildMimeMessage(const SmtpMessage& m) {
  VIGIL_RETURN_IF_ERROR(CheckAddress(m.from));
  if (m.to.empty()) return Status::InvalidArgument("no recipients");
  if (m.to.size() > kMaxSmtpRecipients) return Status::InvalidArgument("too many recipients");
  for (const auto& t : m.to) VIGIL_RETURN_IF_ERROR(CheckAddress(t));
  if (!SafeHeaderValue(m.subject) || !SafeHeaderValue(m.from_name) ||
      !SafeHeaderValue(m.message_id)) {
    return Status::InvalidArgument("header value with a line break");
  }
  for (const auto& [k, v] : m.headers) {
    if (k.empty() || !SafeHeaderValue(k) || !SafeHeaderValue(v) ||
        k.find(':') != std::string::npos || k.find(' ') != std::string::npos) {
      return Status::InvalidArgument("unsafe extra header");
    }
  }
  if (m.body.size() > kMaxSmtpMessageBytes) return Status::ResourceExhausted("message too large");
  int64_t date = m.date_ms;
  if (date == 0) {
    date = std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  }
  std::string h;
  h += "Date: " + RfcDate(date) + "\r\n";
  if (m.from_name.empty()) {
    h += "From: <" + m.from + ">\r\n";
  } else {
    std::string name =
        IsAscii(m.from_name) ? "\"" + m.from_name + "\"" : EncodeHeaderText(m.from_name);
    for (char& c : name) {
      if (c == '\\') c = '/';
    }
    h += "From: " + name + " <" + m.from + ">\r\n";
  }
  h += "To: ";
  for (size_t i = 0; i < m.to.size(); ++i) h += (i ? ", <" : "<") + m.to[i] + ">";
  h += "\r\n";
  h += "Subject: " + EncodeHeaderText(m.subject) + "\r\n";
  if (!m.message_id.empty()) h += "Message-ID: " + m.message_id + "\r\n";
  for (const auto& [k, v] : m.headers) h += k + ": " + EncodeHeaderText(v) + "\r\n";
  h += "MIME-Version: 1.0\r\n";
  h += "Content-Type: text/plain; charset=utf-8\r\n";
  h += "Content-Transfer-Encoding: quoted-printable\r\n";
  h += "\r\n";
  h += QuotedPrintable(m.body);
  if (h.size() < 2 || h.compare(h.size() - 2, 2, "\r\n") != 0) h += "\r\n";
  return h;
}

Result<SmtpReceipt> SmtpClient::Send(const SmtpMessage& message) const {
  SmtpMessage m = message;
  if (m.message_id.empty()) {
    std::random_device rd;
    m.message_id =
        "<vigil." + std::to_string(rd()) + std::to_string(rd()) + "@" + options_.helo_name + ">";
  }
  VIGIL_ASSIGN_OR_RETURN(std::string data, BuildMimeMessage(m));
  // Dot-stuffing: QuotedPrintable never starts a line with '.', but headers might.
  std::string stuffed;
  stuffed.reserve(data.size() + 8);
  bool line_start = true;
  for (char c : data) {
    if (line_start && c == '.') stuffed += '.';
    stuffed += c;
    line_start = c == '\n';
  }
  stuffed += ".\r\n";
  Result<SmtpReceipt> out = Status::Internal("SMTP dialogue did not run");
  asio::io_context ioc;
  asio::co_spawn(ioc, Dialogue(options_, m, stuffed, &out), [&out](std::exception_ptr e) {
    if (e) out = Status::Internal("SMTP dialogue failed unexpectedly");
  });
  ioc.run();
  return out;
}

}  // namespace vigil::delivery
