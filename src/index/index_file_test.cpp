// Save/load round trips and damaged files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/file.h"
#include "index/brute_force_index.h"
#include "index/mih_index.h"
#include "index/test_util.h"

namespace vigil::index {
namespace {

namespace fs = std::filesystem;

class IndexFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil_index_file_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }
  std::vector<uint8_t> Bytes(const std::string& path) { return *ReadFileBytes(path, 1 << 30); }

  fs::path dir_;
};

std::vector<uint64_t> Iota(size_t n, uint64_t base) {
  std::vector<uint64_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = base + i * 3;
  return v;
}

TEST_F(IndexFile, RoundTripAfterUpdates) {
  auto hs = testing::ClusteredHashes(5000, 1);
  auto ids = Iota(hs.size(), 77);
  MihIndex::Options o;
  o.delta_capacity = 100;
  MihIndex idx(o);
  ASSERT_TRUE(idx.AddBatch(std::span(ids).first(3000), std::span(hs).first(3000)).ok());
  for (size_t i = 3000; i < 5000; ++i) ASSERT_TRUE(idx.Add(ids[i], hs[i]).ok());
  for (size_t i = 0; i < 5000; i += 13) idx.Remove(ids[i]);
  ASSERT_TRUE(idx.Save(Path("a.vidx")).ok());
  auto loaded = MihIndex::Load(Path("a.vidx"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->Size(), idx.Size());
  EXPECT_EQ((*loaded)->GetStats().segments, 1u);
  auto qs = testing::MixedQueries(hs, 40, 2, 40);
  for (int radius : {0, 15, 31, 63, 100}) {
    auto a = idx.SearchBatch(qs, radius);
    auto b = (*loaded)->SearchBatch(qs, radius);
    ASSERT_EQ(a, b) << radius;
  }
  // A loaded index takes updates and saves again, byte-identical when nothing changed.
  ASSERT_TRUE((*loaded)->Save(Path("b.vidx")).ok());
  EXPECT_EQ(Bytes(Path("a.vidx")), Bytes(Path("b.vidx")));
  ASSERT_TRUE((*loaded)->Add(1, qs[0]).ok());
  EXPECT_EQ((*loaded)->Search(qs[0], 0).front(), (Match{1, 0}));
  EXPECT_FALSE(fs::exists(Path("a.vidx.tmp")));
}

TEST_F(IndexFile, EmptyIndexRoundTrips) {
  MihIndex idx;
  ASSERT_TRUE(idx.Save(Path("e.vidx")).ok());
  auto loaded = MihIndex::Load(Path("e.vidx"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->Size(), 0u);
}

TEST_F(IndexFile, EveryTruncationIsRefused) {
  auto hs = testing::UniformHashes(10, 2);
  auto built = MihIndex::Build(Iota(10, 0), hs);
  ASSERT_TRUE(built.ok());
  ASSERT_TRUE((*built)->Save(Path("t.vidx")).ok());
  auto bytes = Bytes(Path("t.vidx"));
  ASSERT_GT(bytes.size(), 128u);
  for (size_t len = 0; len < bytes.size(); ++len) {
    for (bool verify : {true, false}) {
      auto r = MihIndex::LoadFromBytes(std::span(bytes).first(len), {verify});
      ASSERT_FALSE(r.ok()) << "length " << len;
      ASSERT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
    }
  }
  // Through the file loader too, at a few lengths (and with a trailing byte).
  for (size_t len : {size_t{0}, size_t{5}, size_t{127}, size_t{128}, bytes.size() - 1}) {
    std::ofstream(Path("cut.vidx"), std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(len));
    auto r = MihIndex::Load(Path("cut.vidx"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status().message();
  }
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_EQ(MihIndex::LoadFromBytes(longer, {}).status().code(), StatusCode::kCorruption);
}

TEST_F(IndexFile, EveryFlippedByteIsRefusedOrHarmless) {
  auto hs = testing::ClusteredHashes(40, 3);
  auto built = MihIndex::Build(Iota(40, 0), hs);
  ASSERT_TRUE(built.ok());
  ASSERT_TRUE((*built)->Save(Path("f.vidx")).ok());
  auto bytes = Bytes(Path("f.vidx"));
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto bad = bytes;
    bad[i] ^= 0x5a;
    auto r = MihIndex::LoadFromBytes(bad, {});
    ASSERT_FALSE(r.ok()) << "flipped byte " << i;
    // Without the checksum the structural checks still keep every access in bounds: the
    // load either fails or gives an index that searches safely.
    auto u = MihIndex::LoadFromBytes(bad, {false});
    if (u.ok()) {
      for (int radius : {0, 31, 256}) (void)(*u)->Search(hs[i % hs.size()], radius);
    }
  }
}

TEST_F(IndexFile, ClearErrors) {
  auto r = MihIndex::Load(Path("missing.vidx"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIOError);
  EXPECT_NE(r.status().message().find("missing.vidx"), std::string::npos);

  std::ofstream(Path("text.vidx")) << std::string(300, 'x');
  r = MihIndex::Load(Path("text.vidx"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad magic"), std::string::npos);

  auto built = MihIndex::Build(Iota(3, 0), testing::UniformHashes(3, 4));
  ASSERT_TRUE((*built)->Save(Path("v.vidx")).ok());
  auto bytes = Bytes(Path("v.vidx"));
  bytes[8] = 2;  // version
  auto v = MihIndex::LoadFromBytes(bytes, {});
  EXPECT_EQ(v.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(v.status().message().find("version 2"), std::string::npos);

  EXPECT_FALSE((*built)->Save(Path("no/such/dir/x.vidx")).ok());
}

}  // namespace
}  // namespace vigil::index
