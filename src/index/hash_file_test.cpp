#include "index/hash_file.h"

#include <gtest/gtest.h>

namespace vigil::index {
namespace {

const std::string kA(64, 'a');
const std::string kB = "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(HashFile, ParsesLinesWithTrailingFieldsCommentsAndBlanks) {
  std::string text = "# a comment\n" + kA + "\n\n   \t\n" + kB + ",100,photo.jpg\r\n  " + kA +
                     " trailing words\n#" + kB + "\n" + kB;  // no final newline
  auto r = ParseHashText(text, "list.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].line, 2u);
  EXPECT_EQ((*r)[0].hash.ToHex(), kA);
  EXPECT_EQ((*r)[1].line, 5u);
  EXPECT_EQ((*r)[1].hash, *Hash256::FromHex(kB));
  EXPECT_EQ((*r)[2].line, 6u);
  EXPECT_EQ((*r)[3].line, 8u);
}

TEST(HashFile, SkipsUtf8ByteOrderMark) {
  auto r = ParseHashText("\xEF\xBB\xBF" + kA + "\n", "bom.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].line, 1u);
}

TEST(HashFile, EmptyInputIsAnEmptyList) {
  auto r = ParseHashText("", "x");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  EXPECT_TRUE(ParseHashText("\n\n# only comments\n", "x")->empty());
}

TEST(HashFile, MalformedLinesNameFileAndLine) {
  std::string text = kA + "\nnot-a-hash\n" + kA + "\n" + kA.substr(1) + "\n" + kA + "0\n";
  auto r = ParseHashText(text, "db.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("db.txt:2:"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("3 malformed lines"), std::string::npos)
      << r.status().message();
  auto g = ParseHashText(std::string(63, 'a') + "g\n", "q");
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("q:1:"), std::string::npos);
}

TEST(HashFile, MissingFileIsAnIOError) {
  auto r = ReadHashFile("/nonexistent/vigil/hashes.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIOError);
}

}  // namespace
}  // namespace vigil::index
