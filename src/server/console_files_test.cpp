// The console's static file serving: content types, the single-page-app fallback, cache
// headers and that nothing outside the console directory is reachable.
#include "server/console_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace vigil::server {
namespace {

namespace fs = std::filesystem;

std::string Header(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

class ConsoleFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("vigil_console_files_test_" +
             std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    dir_ = root_ / "dist";
    fs::create_directories(dir_ / "assets");
    Write(dir_ / "index.html", "<!doctype html><title>console</title>");
    Write(dir_ / "assets" / "index-abc123.js", "console.log(1)");
    Write(dir_ / "assets" / "index-abc123.css", "body{}");
    Write(dir_ / "favicon.svg", "<svg/>");
    Write(dir_ / ".env", "SECRET=1");
    Write(root_ / "secret.txt", "outside");
  }
  void TearDown() override { fs::remove_all(root_); }
  static void Write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }
  Response Get(const std::string& path) { return ServeConsoleFile(dir_.string(), path); }

  fs::path root_, dir_;
};

TEST_F(ConsoleFilesTest, ServesFilesWithTheirContentTypes) {
  Response r = Get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Header(r, "Cache-Control"), "no-cache");
  EXPECT_NE(Header(r, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff");

  r = Get("/assets/index-abc123.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "console.log(1)");
  EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Header(r, "Cache-Control"), "public, max-age=31536000, immutable");

  EXPECT_EQ(Get("/assets/index-abc123.css").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(Get("/favicon.svg").content_type, "image/svg+xml");
  EXPECT_EQ(ConsoleMimeType("a.PNG"), "image/png");
  EXPECT_EQ(ConsoleMimeType("README"), "application/octet-stream");
}

TEST_F(ConsoleFilesTest, ClientRoutesGetTheAppShell) {
  for (const char* path : {"/review", "/items/42", "/referrals/7/", "/liaison"}) {
    Response r = Get(path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8") << path;
    EXPECT_NE(r.body.find("<title>console</title>"), std::string::npos) << path;
    EXPECT_EQ(Header(r, "Cache-Control"), "no-cache") << path;
  }
  // A missing asset is a 404, never HTML served under a script's name.
  EXPECT_EQ(Get("/assets/index-old.js").status, 404);
  EXPECT_EQ(Get("/missing.css").status, 404);
}

TEST_F(ConsoleFilesTest, NothingOutsideTheDirectory) {
  for (const char* path : {"/../secret.txt", "/assets/../../secret.txt", "/..", "/.env",
                           "/assets/..\\..\\secret.txt", "/a\x01/b", "/C:/secret.txt"}) {
    Response r = Get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body.find("outside"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("SECRET"), std::string::npos) << path;
  }
}

TEST_F(ConsoleFilesTest, MissingDirectoryIsNotFound) {
  EXPECT_EQ(ServeConsoleFile((root_ / "nope").string(), "/").status, 404);
  EXPECT_EQ(ServeConsoleFile((root_ / "nope").string(), "/review").status, 404);
}

TEST(ConsoleDefaultDir, HonoursTheEnvironment) {
  fs::path d = fs::temp_directory_path() / "vigil_console_default_dir_test";
  fs::create_directories(d);
  std::ofstream(d / "index.html") << "x";
  ::setenv("VIGIL_CONSOLE_DIR", d.c_str(), 1);
  EXPECT_EQ(fs::path(DefaultConsoleDir()), fs::weakly_canonical(d));
  ::unsetenv("VIGIL_CONSOLE_DIR");
  fs::remove_all(d);
}

}  // namespace
}  // namespace vigil::server
