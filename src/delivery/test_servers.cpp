#include "delivery/test_servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "delivery/signature.h"

namespace vigil::delivery::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

TestWebhookServer::TestWebhookServer(std::string secret, int threads) : secret_(std::move(secret)) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  ::listen(fd_, 256);
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Serve(); });
}

TestWebhookServer::~TestWebhookServer() {
  stop_ = true;
  ::shutdown(fd_, SHUT_RDWR);
  for (auto& t : threads_) t.join();
  ::close(fd_);
}

std::string TestWebhookServer::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void TestWebhookServer::Script(std::vector<int> statuses) {
  std::lock_guard<std::mutex> lock(mu_);
  script_.assign(statuses.begin(), statuses.end());
}

std::vector<ReceivedWebhook> TestWebhookServer::received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

void TestWebhookServer::Serve() {
  asio::io_context ioc;
  while (!stop_) {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) {
      if (stop_) return;
      continue;
    }
    boost::system::error_code ec;
    asio::ip::tcp::socket sock(ioc);
    sock.assign(asio::ip::tcp::v4(), c, ec);
    if (ec) {
      ::close(c);
      continue;
    }
    beast::flat_buffer buf;
    http::request<http::string_body> req;
    http::read(sock, buf, req, ec);
    if (ec) continue;
    ReceivedWebhook r;
    r.target = std::string(req.target());
    r.signature = std::string(req[kSignatureHeader]);
    r.idempotency_key = std::string(req[kIdempotencyHeader]);
    r.attempt = std::string(req["Vigil-Delivery-Attempt"]);
    const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    r.signature_ok = VerifySignature(secret_, r.signature, req.body(), now_s).ok();
    int status = 200;
    int64_t n = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!script_.empty()) {
        status = script_.front();
        script_.pop_front();
      }
      n = ++count_;
      if (record_bodies_) {
        r.body = req.body();
        received_.push_back(std::move(r));
      }
    }
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    if (status == 429) res.set(http::field::retry_after, "1");
    res.body() = status / 100 == 2 ? "{\"receipt_id\":\"R-" + std::to_string(n) + "\"}" : "{}";
    res.keep_alive(false);
    res.prepare_payload();
    http::write(sock, res, ec);
    sock.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  }
}

Result<std::unique_ptr<SmtpSink>> SmtpSink::Start(const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string script = dir + "/sink.py";
  {
    std::ofstream f(script);
    f << R"PY(import os, sys
from aiosmtpd.controller import Controller
port, outdir = int(sys.argv[1]), sys.argv[2]
class Handler:
    n = 0
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith('reject'):
            return '550 5.1.1 no such mailbox'
        if address.startswith('tempfail'):
            return '451 4.3.0 try again later'
        envelope.rcpt_tos.append(address)
        return '250 OK'
    async def handle_DATA(self, server, session, envelope):
        Handler.n += 1
        p = os.path.join(outdir, '%06d.eml' % Handler.n)
        with open(p + '.tmp', 'wb') as f:
            f.write(('X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n' % (envelope.mail_from, ','.join(envelope.rcpt_tos))).encode())
            f.write(envelope.original_content or envelope.content)
        os.rename(p + '.tmp', p)
        return '250 OK queued as sink-%d' % Handler.n
c = Controller(Handler(), hostname='127.0.0.1', port=port)
c.start()
open(os.path.join(outdir, 'ready'), 'w').close()
try:
    sys.stdin.read()
finally:
    c.stop()
)PY";
  }
  std::unique_ptr<SmtpSink> s(new SmtpSink());
  s->dir_ = dir;
  s->port_ = FreePort();
  const std::string port = std::to_string(s->port_);
  int pipefd[2];
  if (::pipe(pipefd) != 0) return Status::IOError("pipe failed");
  pid_t pid = ::fork();
  if (pid < 0) return Status::IOError("fork failed");
  if (pid == 0) {
    ::dup2(pipefd[0], 0);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    // Debian's interpreter, where python3-aiosmtpd is installed (not a pyenv shim).
    ::execl("/usr/bin/python3", "python3", script.c_str(), port.c_str(), dir.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipefd[0]);
  s->pid_ = pid;
  s->stdin_fd_ = pipefd[1];
  for (int i = 0; i < 200; ++i) {
    if (std::filesystem::exists(dir + "/ready")) return s;
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) {
      s->pid_ = -1;
      return Status::Unavailable("SMTP sink exited (is python3-aiosmtpd installed?)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::DeadlineExceeded("SMTP sink did not start within 10 s");
}

SmtpSink::~SmtpSink() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  if (pid_ > 0) {
    int st = 0;
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, &st, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &st, 0);
  }
}

std::vector<std::string> SmtpSink::Messages(size_t at_least) const {
  std::vector<std::string> out;
  for (int tries = 0; tries < 20; ++tries) {
    out.clear();
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      if (e.path().extension() == ".eml") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& p : files) {
      std::ifstream f(p, std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      out.push_back(ss.str());
    }
    if (out.size() >= at_least) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return out;
}

}  // namespace vigil::delivery::testing
