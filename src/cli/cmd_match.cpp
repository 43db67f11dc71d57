// `vigil match`: match query hashes against a hash list or an index, exactly.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "index/brute_force_index.h"
#include "index/hash_file.h"
#include "index/mih_index.h"

namespace vigil::cli {
namespace {

struct MatchFlags {
  std::string db;
  std::string index_file;
  std::string queries;
  int radius = 31;
  size_t k = 0;
  std::string format = "csv";
};

// Builds the cheaper index for this job: a multi-index-hashing build pays off when there
// are enough queries; a handful of queries against a list is faster as a plain scan.
Result<std::unique_ptr<index::HammingIndex>> IndexForList(const std::vector<index::HashLine>& db,
                                                          size_t nqueries, int radius) {
  std::vector<uint64_t> ids(db.size());
  std::vector<Hash256> hashes(db.size());
  for (size_t i = 0; i < db.size(); ++i) {
    ids[i] = db[i].line;
    hashes[i] = db[i].hash;
  }
  const double n = static_cast<double>(db.size()), q = static_cast<double>(nqueries);
  const double scan_cost = n * q / 3e9;         // seconds at ~3G compares/s
  const double mih_cost = n * 3e-7 + q * 2e-4;  // build, then per-query worst case
  if (radius <= 63 && mih_cost < scan_cost) {
    VIGIL_ASSIGN_OR_RETURN(auto mih, index::MihIndex::Build(ids, hashes));
    return std::unique_ptr<index::HammingIndex>(std::move(mih));
  }
  auto bf = std::make_unique<index::BruteForceIndex>();
  VIGIL_RETURN_IF_ERROR(bf->AddBatch(ids, hashes));
  return std::unique_ptr<index::HammingIndex>(std::move(bf));
}

Status RunMatch(const MatchFlags& f) {
  if (f.db.empty() == f.index_file.empty()) {
    return Status::InvalidArgument("give exactly one of --db HASHFILE or --index INDEXFILE");
  }
  // Read and check every input before printing anything.
  VIGIL_ASSIGN_OR_RETURN(std::vector<index::HashLine> queries, index::ReadHashFile(f.queries));
  std::unique_ptr<index::HammingIndex> idx;
  if (!f.db.empty()) {
    VIGIL_ASSIGN_OR_RETURN(std::vector<index::HashLine> db, index::ReadHashFile(f.db));
    VIGIL_ASSIGN_OR_RETURN(idx, IndexForList(db, queries.size(), f.radius));
  } else {
    VIGIL_ASSIGN_OR_RETURN(auto mih, index::MihIndex::Load(f.index_file));
    idx = std::move(mih);
  }
  std::vector<Hash256> qh(queries.size());
  for (size_t i = 0; i < queries.size(); ++i) qh[i] = queries[i].hash;

  std::vector<std::vector<index::Match>> results;
  if (f.k > 0) {
    results.resize(qh.size());
    for (size_t i = 0; i < qh.size(); ++i) results[i] = idx->Knn(qh[i], f.k, f.radius);
  } else {
    results = idx->SearchBatch(qh, f.radius);
  }
  const bool jsonl = f.format == "jsonl";
  std::string buf;
  for (size_t i = 0; i < queries.size(); ++i) {
    for (const index::Match& m : results[i]) {
      char line[128];
      int len = jsonl ? std::snprintf(line, sizeof line,
                                      "{\"query_line\":%llu,\"db_line\":%llu,\"distance\":%d}\n",
                                      static_cast<unsigned long long>(queries[i].line),
                                      static_cast<unsigned long long>(m.id), m.distance)
                      : std::snprintf(line, sizeof line, "%llu,%llu,%d\n",
                                      static_cast<unsigned long long>(queries[i].line),
                                      static_cast<unsigned long long>(m.id), m.distance);
      buf.append(line, static_cast<size_t>(len));
    }
    if (buf.size() > (1 << 20)) {
      std::fwrite(buf.data(), 1, buf.size(), stdout);
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), stdout);
  if (std::fflush(stdout) != 0) return Status::IOError("writing to standard output failed");
  return Status::OK();
}

}  // namespace

void RegisterMatch(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<MatchFlags>();
  auto* cmd = app.add_subcommand(
      "match",
      "Match query hashes against a hash list or index, exactly (every hash within the radius).\n"
      "Prints one line per match: query_line,db_line,distance, where the line numbers are\n"
      "1-based physical lines of QUERYFILE and of the list the database came from (the\n"
      "HASHFILE given to --db or to `vigil index build`), ordered by query line, then\n"
      "distance, then db line. Hash files have one 64-hex-digit hash per line; anything\n"
      "after the first comma or whitespace is ignored; blank lines and '#' comments are\n"
      "skipped. A malformed line fails the command (exit 1) before anything is printed.\n"
      "Examples:\n"
      "  vigil match --db bank.txt --radius 31 uploads.txt\n"
      "  vigil index build bank.txt -o bank.vidx && vigil match --index bank.vidx uploads.txt");
  auto* db =
      cmd->add_option("--db", flags->db, "Hash list to match against (read and indexed in memory)");
  auto* ix = cmd->add_option("--index", flags->index_file, "Index file from `vigil index build`");
  db->excludes(ix);
  cmd->add_option(
         "--radius", flags->radius,
         "Largest Hamming distance that counts as a match, 0..256 (PDQ's usual threshold is 31)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  cmd->add_option("--k", flags->k, "Print only the k nearest matches (within --radius) per query")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--format", flags->format, "Output format: csv or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->capture_default_str();
  cmd->add_option("QUERYFILE", flags->queries, "Query hashes ('-' for standard input)")->required();
  cmd->callback([flags, exit_code] {
    Status st = RunMatch(*flags);
    if (!st.ok()) {
      PrintError("match", st);
      *exit_code =
          st.code() == StatusCode::kInvalidArgument && st.message().starts_with("give exactly")
              ? kExitUsage
              : kExitFailure;
    }
  });
}

}  // namespace vigil::cli
