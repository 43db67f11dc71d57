// A minimal SMTP client (RFC 5321) over Boost.Asio for e-mailing referral notices to
// platforms whose registry entry says "email".
//
// Dialogue: greeting, EHLO (HELO if refused), MAIL FROM, RCPT TO (each), DATA, the message,
// QUIT. The message is RFC 5322 with a UTF-8 plain-text body in quoted-printable (so long
// lines and non-ASCII text survive any relay), the subject RFC 2047-encoded when not ASCII,
// and CRLF line ends with dot-stuffing. No STARTTLS or AUTH: point it at a local relay
// (the operator's MTA) that handles onward transport security; tests use a loopback sink.
//
// Errors: InvalidArgument (an address or header value with CR/LF, angle brackets or no @),
// Unavailable (cannot connect, or a 4xx transient reply: try later), FailedPrecondition (a
// 5xx permanent reply), DeadlineExceeded (timeout), Corruption (a malformed reply).
//
// Thread safety: Send may be called from any number of threads (each call has its own
// connection and I/O context).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace vigil::delivery {

inline constexpr std::chrono::milliseconds kDefaultSmtpTimeout{30'000};
// Longest reply line and whole reply accepted from a server (RFC 5321 says 512 per line).
inline constexpr size_t kMaxSmtpReplyBytes = 16 * 1024;
inline constexpr size_t kMaxSmtpRecipients = 100;
inline constexpr size_t kMaxSmtpMessageBytes = 10u << 20;

struct SmtpOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 25;
  std::string helo_name = "vigil.localdomain";
  std::chrono::milliseconds timeout = kDefaultSmtpTimeout;  // the whole dialogue
};

struct SmtpMessage {
  std::string from;             // "referrals@unit.example"
  std::string from_name;        // display name (optional)
  std::vector<std::string> to;  // addresses
  std::string subject;
  std::string body;        // UTF-8 text, any line ends
  std::string message_id;  // "<...@...>"; generated from the idempotency key if empty
  std::vector<std::pair<std::string, std::string>> headers;  // extra, e.g. X-Vigil-Referral
  int64_t date_ms = 0;                                       // 0: now
};

struct SmtpReceipt {
  int code = 0;       // the reply to the end of DATA (250)
  std::string reply;  // its text, e.g. "OK queued as 1A2B"
  std::string message_id;
};

// One parsed server reply: "250-first\r\n250 last\r\n" -> {250, {"first","last"}}.
struct SmtpReply {
  int code = 0;
  std::vector<std::string> lines;
};
// Parses a complete reply (one or more lines, the last with a space after the code).
// Corruption for anything else.
Result<SmtpReply> ParseSmtpReply(std::string_view text);

// The message as sent after DATA (headers, blank line, body), CRLF line ends, not yet
// dot-stuffed. InvalidArgument for unsafe header values.
Result<std::string> BuildMimeMessage(const SmtpMessage& m);
// Quoted-printable (RFC 2045) with CRLF line ends and soft breaks under 76 characters.
std::string QuotedPrintable(std::string_view text);

class SmtpClient {
 public:
  explicit SmtpClient(SmtpOptions options) : options_(std::move(options)) {}
  Result<SmtpReceipt> Send(const SmtpMessage& message) const;
  const SmtpOptions& options() const { return options_; }

 private:
  SmtpOptions options_;
};

}  // namespace vigil::delivery
