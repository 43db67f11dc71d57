// `vigil index`: build an exact Hamming-range index file from a hash list.
#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "index/hash_file.h"
#include "index/mih_index.h"

namespace vigil::cli {
namespace {

struct IndexBuildFlags {
  std::string hash_file;
  std::string output;
  bool quiet = false;
};

Status RunIndexBuild(const IndexBuildFlags& f) {
  auto start = std::chrono::steady_clock::now();
  // Parse everything first: a malformed line fails the command before anything is written.
  VIGIL_ASSIGN_OR_RETURN(std::vector<index::HashLine> lines, index::ReadHashFile(f.hash_file));
  if (lines.size() > index::kMaxIndexEntries) {
    return Status::ResourceExhausted(f.hash_file + ": more than " +
                                     std::to_string(index::kMaxIndexEntries) + " hashes");
  }
  std::vector<uint64_t> ids(lines.size());
  std::vector<Hash256> hashes(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    ids[i] = lines[i].line;
    hashes[i] = lines[i].hash;
  }
  lines = {};
  VIGIL_ASSIGN_OR_RETURN(auto idx, index::MihIndex::Build(ids, hashes));
  VIGIL_RETURN_IF_ERROR(idx->Save(f.output));
  if (!f.quiet) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto st = idx->GetStats();
    std::fprintf(stderr, "vigil: index: %zu hashes from %s -> %s (%.1f MiB, %.2f s)\n", st.entries,
                 f.hash_file.c_str(), f.output.c_str(),
                 static_cast<double>(st.memory_bytes) / (1 << 20), secs);
  }
  return Status::OK();
}

}  // namespace

void RegisterIndex(CLI::App& app, int* exit_code) {
  auto* cmd =
      app.add_subcommand("index", "Build exact Hamming-range index files for `vigil match`");
  cmd->require_subcommand(1);
  auto flags = std::make_shared<IndexBuildFlags>();
  auto* build = cmd->add_subcommand(
      "build",
      "Index a hash list for fast exact matching.\n"
      "HASHFILE has one 64-hex-digit hash (PDQ, 256 bits) per line; anything after the first\n"
      "comma or whitespace is ignored (so `vigil hash` output works as is), blank lines and\n"
      "lines starting with '#' are skipped. Each hash is identified by its 1-based line\n"
      "number, which `vigil match --index` prints as db_line. A malformed line fails the\n"
      "command (exit 1) and nothing is written. The index file is written atomically, is\n"
      "checksummed, and is memory-mapped by `vigil match`, so it opens almost instantly.");
  build->add_option("HASHFILE", flags->hash_file, "Hash list to index ('-' for standard input)")
      ->required();
  build->add_option("-o,--output", flags->output, "Index file to write")->required();
  build->add_flag("-q,--quiet", flags->quiet, "Do not print the summary line on stderr");
  build->callback([flags, exit_code] {
    Status st = RunIndexBuild(*flags);
    if (!st.ok()) {
      PrintError("index build", st);
      *exit_code = kExitFailure;  // a bad hash file is bad data, not bad usage
    }
  });
}

}  // namespace vigil::cli
