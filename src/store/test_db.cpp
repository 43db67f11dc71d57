#include "store/test_db.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "store/sql.h"

namespace vigil::store::testing {
namespace {

std::string RunCapture(const std::string& cmd, int* rc) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    *rc = -1;
    return out;
  }
  std::array<char, 512> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  *rc = pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// One server per process; stopped by the atexit handler.
struct PgServer {
  std::string dir;
  std::string error;
  bool started = false;
  int next_db = 0;
};

PgServer& Server() {
  static PgServer s;
  return s;
}

std::string Script() { return std::string(VIGIL_SOURCE_DIR) + "/scripts/pg-test-server.sh"; }

void StopServer() {
  PgServer& s = Server();
  if (!s.started) return;
  int rc = 0;
  RunCapture(Script() + " stop " + s.dir + " 2>&1", &rc);
  s.started = false;
}

bool EnsureServer() {
  PgServer& s = Server();
  if (s.started) return true;
  if (!s.error.empty()) return false;
  char tmpl[] = "/tmp/vigil-pgtest.XXXXXX";
  if (!mkdtemp(tmpl)) {
    s.error = "mkdtemp failed";
    return false;
  }
  s.dir = tmpl;
  int rc = 0;
  std::string out = RunCapture(Script() + " start " + s.dir + " 2>&1", &rc);
  if (rc != 0) {
    s.error = "could not start the test PostgreSQL server (" + Script() + "):\n" + out;
    std::filesystem::remove_all(s.dir);
    return false;
  }
  s.started = true;
  std::atexit(StopServer);
  return true;
}

}  // namespace

std::string BackendName(Backend backend) {
  return backend == Backend::kSqlite ? "sqlite" : "postgres";
}

std::string NewDatabase(Backend backend) {
  static int counter = 0;
  ++counter;
  if (backend == Backend::kSqlite) {
    static std::string dir = [] {
      char tmpl[] = "/tmp/vigil-sqlitetest.XXXXXX";
      std::string d = mkdtemp(tmpl) ? tmpl : "/tmp";
      static std::string cleanup_dir = d;
      std::atexit([] { std::filesystem::remove_all(cleanup_dir); });
      return d;
    }();
    return dir + "/t" + std::to_string(counter) + ".db";
  }
  if (!EnsureServer()) {
    ADD_FAILURE() << Server().error;
    return "";
  }
  PgServer& s = Server();
  std::string admin = "host=" + s.dir + " user=postgres dbname=postgres";
  auto conn = sql::OpenPostgres(admin, 10);
  if (!conn.ok()) {
    ADD_FAILURE() << "test PostgreSQL server unreachable: " << conn.status().ToString();
    return "";
  }
  std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(++s.next_db);
  Status st = (*conn)->ExecScript("CREATE DATABASE " + name);
  if (!st.ok()) {
    ADD_FAILURE() << "CREATE DATABASE failed: " << st.ToString();
    return "";
  }
  return "host=" + s.dir + " user=postgres dbname=" + name;
}

}  // namespace vigil::store::testing
