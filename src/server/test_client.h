// Test support: a small synchronous Beast client and a fixture that runs the server
// in-process on a loopback port over a throwaway SQLite store with two organisations,
// a user and token for every role in each, and banks with every sharing scope.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/http_server.h"
#include "server/service.h"
#include "store/store.h"

namespace vigil::server::testing {

struct HttpResult {
  int status = 0;
  std::string body;
  std::string content_type;
  std::map<std::string, std::string> headers;
  boost::json::value json() const;
};

// One request on a fresh connection to 127.0.0.1:port.
HttpResult Call(uint16_t port, const std::string& method, const std::string& target,
                const std::string& body = {}, const std::string& token = {},
                const std::string& content_type = "application/json");
// Sends raw bytes and returns whatever comes back until the server closes (or timeout).
std::string RawExchange(uint16_t port, const std::string& bytes, int timeout_ms = 3000);

// A small benign synthetic JPEG (a gradient with a few shapes); `seed` varies it.
std::string TestJpeg(int seed, int size = 96);
// Its PDQ hex.
std::string PdqOf(const std::string& jpeg);
// `hex` with the lowest `bits` bits flipped.
std::string FlipBits(const std::string& hex, int bits);

inline constexpr const char* kOrgA = "org-a";
inline constexpr const char* kOrgB = "org-b";

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Starts (or restarts) the server; the store is reopened from the same file.
  void StartServer(ServiceOptions so = {}, HttpServerOptions ho = {});
  void StopServer();

  HttpResult Get(const std::string& target, const std::string& token) {
    return Call(port_, "GET", target, "", token);
  }
  HttpResult Post(const std::string& target, const std::string& body, const std::string& token,
                  const std::string& content_type = "application/json") {
    return Call(port_, "POST", target, body, token, content_type);
  }
  // token_[org][role]
  const std::string& Token(const std::string& org, const std::string& role) {
    return tokens_[org][role];
  }

  std::string db_path_;
  std::map<std::string, std::map<std::string, std::string>> tokens_;
  std::map<std::string, int64_t> org_ids_;
  // Bank names: private to A, private to B, B's shared with A, public (owned by B).
  std::string image_a_, image_b_, image_shared_, image_public_;  // JPEGs, one per bank
  std::unique_ptr<Service> service_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

}  // namespace vigil::server::testing
