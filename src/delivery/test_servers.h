// Loopback stand-ins for platforms, for tests and the referral benchmark: a webhook
// receiver (Boost.Beast) that checks signatures and answers from a script, and an SMTP sink
// (Debian's python3-aiosmtpd) that saves every message as a file.
//
// Thread safety: the servers run their own threads; their accessors lock.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"

namespace vigil::delivery::testing {

struct ReceivedWebhook {
  std::string target;
  std::string body;
  std::string signature;
  std::string idempotency_key;
  std::string attempt;
  bool signature_ok = false;
};

class TestWebhookServer {
 public:
  // Signatures are checked with `secret`; `threads` handler threads share the acceptor.
  explicit TestWebhookServer(std::string secret, int threads = 1);
  ~TestWebhookServer();
  TestWebhookServer(const TestWebhookServer&) = delete;
  TestWebhookServer& operator=(const TestWebhookServer&) = delete;

  int port() const { return port_; }
  std::string url(std::string_view path = "/hook") const;
  // The next answers (HTTP statuses), in order; afterwards 200 with a receipt id.
  void Script(std::vector<int> statuses);
  // Keep only counts, not bodies (benchmarks).
  void set_record_bodies(bool on) { record_bodies_ = on; }
  std::vector<ReceivedWebhook> received() const;
  int64_t count() const { return count_.load(); }

 private:
  void Serve();

  std::string secret_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> record_bodies_{true};
  std::atomic<int64_t> count_{0};
  mutable std::mutex mu_;
  std::deque<int> script_;
  std::vector<ReceivedWebhook> received_;
  std::vector<std::thread> threads_;
};

// python3 -m aiosmtpd with a handler that writes each message to <dir>/NNNNNN.eml (the
// envelope first as X-Envelope-From / X-Envelope-To lines). Recipients starting with
// "reject" get 550, "tempfail" 451.
class SmtpSink {
 public:
  static Result<std::unique_ptr<SmtpSink>> Start(const std::string& dir);
  ~SmtpSink();
  int port() const { return port_; }
  // Saved messages, oldest first (waits up to a second for `at_least`).
  std::vector<std::string> Messages(size_t at_least = 0) const;

 private:
  SmtpSink() = default;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
};

}  // namespace vigil::delivery::testing
