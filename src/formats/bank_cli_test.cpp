// `vigil bank ...` and `vigil audit verify` end to end, through the real binary, on SQLite
// and PostgreSQL.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "store/test_db.h"

namespace {

namespace fs = std::filesystem;
using vigil::store::Backend;

struct CliRun {
  int code = -1;
  std::string out;  // stdout and stderr
};

class BankCli : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil_bank_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    db_ = vigil::store::testing::NewDatabase(GetParam());
    ASSERT_FALSE(db_.empty());
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun Vigil(const std::string& args) {
    std::string cmd = std::string(VIGIL_BINARY_DIR) + "/vigil " + args + " --db '" + db_ + "' 2>&1";
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
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << content;
    return path;
  }

  fs::path dir_;
  std::string db_;
};

const std::string kA(64, 'a');
const std::string kB = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

TEST_P(BankCli, ImportIsAllOrNothingAndMerges) {
  ASSERT_EQ(Vigil("bank create demo --description 'synthetic demo' --owner Example-Unit").code, 0);
  std::string file = Write("list.txt", "# synthetic\n" + kA + ",behaviour:threat\nnot-a-hash\n" +
                                           kB + ",content:image\n");
  CliRun r = Vigil("bank import demo " + file);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("line 3:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nothing imported"), std::string::npos) << r.out;
  r = Vigil("bank stats demo");
  EXPECT_NE(r.out.find("live signals:    0"), std::string::npos) << r.out;

  r = Vigil("bank import demo " + file + " --skip-invalid");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("2 added"), std::string::npos) << r.out;
  r = Vigil("bank import demo " + file + " --skip-invalid");
  EXPECT_NE(r.out.find("0 added"), std::string::npos) << r.out;
  r = Vigil("bank add demo " + kA + " --label severity:crisis");
  EXPECT_NE(r.out.find("merged 1"), std::string::npos) << r.out;
  r = Vigil("bank show demo");
  EXPECT_NE(r.out.find("live signals:    2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Example-Unit"), std::string::npos) << r.out;

  ASSERT_EQ(Vigil("bank remove demo " + kB).code, 0);
  r = Vigil("bank export demo --format jsonl --since 2");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("\"removed\":\"20"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(kA), std::string::npos) << r.out;  // last changed at version 2
  r = Vigil("bank export demo --format plain");
  EXPECT_NE(r.out.find(kA + ",behaviour:threat,severity:crisis"), std::string::npos) << r.out;
  EXPECT_EQ(Vigil("bank show nosuchbank").code, 1);
  EXPECT_EQ(Vigil("bank list").code, 0);

  r = Vigil("audit verify");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("audit log intact"), std::string::npos);
}

TEST_P(BankCli, AuditVerifyNamesTheFirstBadEntry) {
  ASSERT_EQ(Vigil("bank create one").code, 0);
  ASSERT_EQ(Vigil("bank create two").code, 0);
  ASSERT_EQ(Vigil("bank add one " + kA).code, 0);
  CliRun ok = Vigil("audit verify");
  ASSERT_EQ(ok.code, 0) << ok.out;
  std::string head = ok.out.substr(ok.out.find("head ") + 5, 64);
  EXPECT_EQ(Vigil("audit verify --expect-head " + head).code, 0);
  // Tamper with the database directly.
  std::string sql = "UPDATE audit_log SET actor = 'cli:mallory' WHERE seq = 3";
  std::string cmd = GetParam() == Backend::kSqlite ? "sqlite3 '" + db_ + "' \"" + sql + "\""
                                                   : "psql -q '" + db_ + "' -c \"" + sql + "\"";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  CliRun bad = Vigil("audit verify");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("first bad entry is seq 3"), std::string::npos) << bad.out;
}

std::string Name(const ::testing::TestParamInfo<Backend>& info) {
  return vigil::store::testing::BackendName(info.param);
}
INSTANTIATE_TEST_SUITE_P(Backends, BankCli, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         Name);

}  // namespace
