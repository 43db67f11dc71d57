// `vigil index build` and `vigil match` end to end, through the real binary.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "index/test_util.h"

namespace {

namespace fs = std::filesystem;
using vigil::Hash256;

struct CliRun {
  int code = -1;
  std::string out;
};

CliRun Vigil(const std::string& args) {
  std::string cmd = std::string(VIGIL_BINARY_DIR) + "/vigil " + args + " 2>/dev/null";
  CliRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class MatchCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil_match_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string P(const std::string& n) { return (dir_ / n).string(); }
  fs::path dir_;
};

TEST_F(MatchCli, BuildAndMatchAgreeWithExpectedLines) {
  std::mt19937_64 rng(1);
  Hash256 a = vigil::index::testing::RandomHash(rng);
  Hash256 b = vigil::index::testing::RandomHash(rng);
  Hash256 a3 = vigil::index::testing::FlipBits(a, 3, rng);
  Hash256 a40 = vigil::index::testing::FlipBits(a, 40, rng);
  {
    std::ofstream db(P("db.txt"));
    db << "# synthetic test list\n"    // line 1
       << a.ToHex() << ",100,x.jpg\n"  // line 2
       << "\n"                         // line 3
       << b.ToHex() << "\n"            // line 4
       << a3.ToHex() << " extra\n"     // line 5
       << a40.ToHex() << "\n";         // line 6
    std::ofstream q(P("q.txt"));
    q << b.ToHex() << "\n" << a.ToHex() << "\n";  // lines 1, 2
  }
  CliRun built = Vigil("index build -q " + P("db.txt") + " -o " + P("db.vidx"));
  ASSERT_EQ(built.code, 0);
  const std::string want = "1,4,0\n2,2,0\n2,5,3\n";
  CliRun m1 = Vigil("match --db " + P("db.txt") + " " + P("q.txt"));
  EXPECT_EQ(m1.code, 0);
  EXPECT_EQ(m1.out, want);
  CliRun m2 = Vigil("match --index " + P("db.vidx") + " --radius 31 " + P("q.txt"));
  EXPECT_EQ(m2.code, 0);
  EXPECT_EQ(m2.out, want);
  CliRun wide =
      Vigil("match --index " + P("db.vidx") + " --radius 40 --format jsonl " + P("q.txt"));
  EXPECT_EQ(wide.out,
            "{\"query_line\":1,\"db_line\":4,\"distance\":0}\n"
            "{\"query_line\":2,\"db_line\":2,\"distance\":0}\n"
            "{\"query_line\":2,\"db_line\":5,\"distance\":3}\n"
            "{\"query_line\":2,\"db_line\":6,\"distance\":40}\n");
  CliRun k1 = Vigil("match --db " + P("db.txt") + " --radius 256 --k 1 " + P("q.txt"));
  EXPECT_EQ(k1.out, "1,4,0\n2,2,0\n");
}

TEST_F(MatchCli, BadInputFailsCleanly) {
  {
    std::ofstream db(P("bad.txt"));
    db << std::string(64, 'a') << "\nnot a hash\n";
    std::ofstream q(P("q.txt"));
    q << std::string(64, 'b') << "\n";
  }
  CliRun r = Vigil("index build " + P("bad.txt") + " -o " + P("bad.vidx"));
  EXPECT_EQ(r.code, 1);
  EXPECT_FALSE(fs::exists(P("bad.vidx")));
  CliRun m = Vigil("match --db " + P("bad.txt") + " " + P("q.txt"));
  EXPECT_EQ(m.code, 1);
  EXPECT_EQ(m.out, "");
  EXPECT_EQ(Vigil("match " + P("q.txt")).code, 2);                   // neither --db nor --index
  EXPECT_EQ(Vigil("match --db x --index y " + P("q.txt")).code, 2);  // both
  EXPECT_EQ(Vigil("match --db " + P("q.txt") + " --radius 300 " + P("q.txt")).code, 2);
  std::ofstream(P("junk.vidx")) << "junk";
  EXPECT_EQ(Vigil("match --index " + P("junk.vidx") + " " + P("q.txt")).code, 1);
  EXPECT_EQ(Vigil("match --help").code, 0);
}

}  // namespace
