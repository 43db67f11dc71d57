// Runs a libFuzzer target without libFuzzer, so `make test` can exercise every fuzz target
// inside the g++ ASan+UBSan build (no second, clang-built copy of the libraries): each
// seed once, then random mutations of the seeds until the time budget is spent. The RNG
// seed is fixed, so a failure reproduces. `make fuzz` runs the real coverage-guided
// libFuzzer builds.
//
// usage: DRIVER [--seconds S] [SEED_FILE_OR_DIR...]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

constexpr size_t kMaxInputBytes = 1 << 18;  // like -max_len in scripts/run-fuzz.sh

std::vector<uint8_t> ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<uint8_t> v((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (v.size() > kMaxInputBytes) v.resize(kMaxInputBytes);
  return v;
}

// The input being run, so a crash can be saved for reproduction (written from the signal
// handler with async-signal-safe calls only).
const uint8_t* g_current = nullptr;
size_t g_current_size = 0;

void SaveCrashingInput(int sig) {
  const char path[] = "fuzz-crash-input.bin";
  int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    ssize_t ignored = ::write(fd, g_current, g_current_size);
    (void)ignored;
    ::close(fd);
  }
  const char msg[] = "\nfuzz driver: crashing input saved to fuzz-crash-input.bin\n";
  ssize_t ignored = ::write(2, msg, sizeof msg - 1);
  (void)ignored;
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void Run(const std::vector<uint8_t>& in) {
  // A private copy, exactly sized, so ASan sees any read past the end.
  auto copy = std::make_unique<uint8_t[]>(in.size() + 1);
  if (!in.empty()) std::memcpy(copy.get(), in.data(), in.size());
  g_current = copy.get();
  g_current_size = in.size();
  LLVMFuzzerTestOneInput(copy.get(), in.size());
}

std::vector<uint8_t> Mutate(std::vector<uint8_t> v, const std::vector<std::vector<uint8_t>>& pool,
                            std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 8);
  for (int e = 0; e < edits; ++e) {
    switch (rng() % 7) {
      case 0:  // flip a bit
        if (!v.empty()) v[rng() % v.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        break;
      case 1:  // random byte
        if (!v.empty()) v[rng() % v.size()] = static_cast<uint8_t>(rng());
        break;
      case 2:  // interesting byte
        if (!v.empty()) {
          static constexpr uint8_t kVals[] = {0,    1,   0x7f, 0x80, 0xff, '"',
                                              '\\', '{', '<',  ',',  '\n'};
          v[rng() % v.size()] = kVals[rng() % sizeof kVals];
        }
        break;
      case 3:  // insert bytes
        if (v.size() < kMaxInputBytes) {
          size_t at = v.empty() ? 0 : rng() % (v.size() + 1);
          v.insert(v.begin() + static_cast<long>(at), 1 + rng() % 8, static_cast<uint8_t>(rng()));
        }
        break;
      case 4:  // erase a range
        if (!v.empty()) {
          size_t at = rng() % v.size();
          size_t n = std::min<size_t>(v.size() - at, 1 + rng() % 16);
          v.erase(v.begin() + static_cast<long>(at), v.begin() + static_cast<long>(at + n));
        }
        break;
      case 5:  // truncate
        if (!v.empty()) v.resize(rng() % v.size());
        break;
      default:  // splice with another seed
        if (!pool.empty()) {
          const auto& o = pool[rng() % pool.size()];
          if (!o.empty() && v.size() < kMaxInputBytes) {
            size_t from = rng() % o.size();
            size_t n = std::min<size_t>(o.size() - from, 1 + rng() % 64);
            size_t at = v.empty() ? 0 : rng() % (v.size() + 1);
            v.insert(v.begin() + static_cast<long>(at), o.begin() + static_cast<long>(from),
                     o.begin() + static_cast<long>(from + n));
          }
        }
        break;
    }
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  for (int sig : {SIGILL, SIGABRT, SIGSEGV, SIGFPE, SIGBUS}) ::signal(sig, SaveCrashingInput);
  double seconds = 5;
  std::vector<std::vector<uint8_t>> seeds;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
      continue;
    }
    std::error_code ec;
    if (std::filesystem::is_directory(a, ec)) {
      for (auto& e : std::filesystem::recursive_directory_iterator(a, ec)) {
        if (e.is_regular_file()) seeds.push_back(ReadAll(e.path()));
      }
    } else if (std::filesystem::exists(a, ec)) {
      seeds.push_back(ReadAll(a));
    }
  }
  seeds.push_back({});
  for (const auto& s : seeds) Run(s);
  std::mt19937_64 rng(20261129);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  size_t runs = seeds.size();
  while (std::chrono::steady_clock::now() < deadline) {
    Run(Mutate(seeds[rng() % seeds.size()], seeds, rng));
    ++runs;
  }
  std::printf("%s: %zu inputs (%zu seeds) in %.0f s, no failure\n", argv[0], runs, seeds.size(),
              seconds);
  return 0;
}
