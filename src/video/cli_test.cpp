// `vigil video hash`, `match` and `tmk-compare` end to end, through the real binary.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "video/test_util.h"

namespace {

namespace fs = std::filesystem;
using vigil::video::testing::ReadOrDie;
using vigil::video::testing::VideoDir;

struct CliRun {
  int code = -1;
  std::string out;
};

CliRun Vigil(const std::string& args) {
  const std::string cmd = std::string(VIGIL_BINARY_DIR) + "/vigil " + args + " 2>/dev/null";
  CliRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(VideoCli, HashWritesReferenceFilesAndDigests) {
  const fs::path dir = fs::temp_directory_path() / ("vigil_video_cli_" + std::to_string(getpid()));
  fs::remove_all(dir);
  const std::string clip = VideoDir() + "/doorknob-hd-no-bar.mp4";
  CliRun r = Vigil("video hash --every-frame -o " + dir.string() + " " + clip);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\"md5\":\"9108849f0d0bb6d3c40844f4eb72767b\""), std::string::npos) << r.out;
  EXPECT_NE(
      r.out.find("\"sha256\":\"1b2c3c9ab713f9006063181d9a2a2fb7a6b7615a2105fe5f268f9421f88547a7\""),
      std::string::npos);
  EXPECT_NE(r.out.find("\"vpdq_frames\":120"), std::string::npos);
  EXPECT_NE(r.out.find("\"tmk_frames\":62"), std::string::npos);
  EXPECT_EQ(ReadOrDie((dir / "doorknob-hd-no-bar.txt").string()),
            ReadOrDie(VideoDir() + "/expected-vpdq/doorknob-hd-no-bar.txt"));
  EXPECT_EQ(ReadOrDie((dir / "doorknob-hd-no-bar.tmk").string()),
            ReadOrDie(VideoDir() + "/expected-tmk/doorknob-hd-no-bar.tmk"));

  r = Vigil("video match " + (dir / "doorknob-hd-no-bar.txt").string() + " " + VideoDir() +
            "/expected-vpdq/doorknob-hd-no-bar.txt " + VideoDir() +
            "/expected-vpdq/pattern-hd-no-bar.txt");
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "100.000,100.000,MATCH," + VideoDir() + "/expected-vpdq/doorknob-hd-no-bar.txt");
  EXPECT_NE(r.out.find("NO_MATCH," + VideoDir() + "/expected-vpdq/pattern-hd-no-bar.txt"),
            std::string::npos);

  r = Vigil("video tmk-compare " + VideoDir() + "/expected-tmk/pattern-hd-no-bar.tmk " +
            VideoDir() + "/expected-tmk/pattern-sd-grey-bar.tmk");
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find(",MATCH"), std::string::npos) << r.out;

  // A file that is not a video: one JSON error line, exit status 1.
  r = Vigil("video hash -o " + dir.string() + " " + VideoDir() + "/../README.md");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("\"error\""), std::string::npos);
  // Bad flags: usage.
  EXPECT_EQ(Vigil("video hash --every-frame --seconds-per-hash 2 -o x y").code, 2);
  fs::remove_all(dir);
}

}  // namespace
