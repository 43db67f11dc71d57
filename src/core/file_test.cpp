#include "core/file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace vigil {
namespace {

TEST(FileTest, WriteThenReadAndLimits) {
  std::string path = ::testing::TempDir() + "/vigil_file_test_" + std::to_string(::getpid());
  std::string data = "hello vigil";
  ASSERT_TRUE(WriteFileAtomic(path, data.data(), data.size()).ok());
  auto r = ReadFileBytes(path, 1024);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(r->begin(), r->end()), data);
  auto small = ReadFileBytes(path, 4);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.status().code(), StatusCode::kResourceExhausted);
  ::unlink(path.c_str());
  auto missing = ReadFileBytes(path, 1024);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kIOError);
  EXPECT_NE(missing.status().message().find(path), std::string::npos);
}

}  // namespace
}  // namespace vigil
