#include "store/evidence.h"

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/file.h"
#include "store/audit.h"
#include "store/crypto.h"
#include "workflow/clock.h"
#include "workflow/codec.h"

namespace vigil::store {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace wf = workflow;

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string LocalPath(std::string_view uri) {
  if (uri.starts_with("file://")) return std::string(uri.substr(7));
  if (uri.find("://") != std::string_view::npos) return {};
  return std::string(uri);
}

bool IsRemote(std::string_view uri) {
  return uri.starts_with("http://") || uri.starts_with("https://");
}

const std::string kUnavailablePrefix = "unavailable: ";

Status WriteText(const fs::path& p, std::string_view text) {
  return WriteFileAtomic(p.string(), text.data(), text.size());
}

Result<std::string> ReadText(const fs::path& p) {
  VIGIL_ASSIGN_OR_RETURN(auto bytes, ReadFileBytes(p.string(), kMaxEvidenceFileBytes));
  return std::string(bytes.begin(), bytes.end());
}

json::object EvidenceJson(const EvidenceRecord& e) {
  return {{"id", e.id},
          {"referral_id", e.referral_id},
          {"item_id", e.item_id},
          {"kind", e.kind},
          {"name", e.name},
          {"sha256", e.sha256},
          {"bytes", e.bytes},
          {"sealed_at", wf::FormatRfc3339(e.sealed_ms)},
          {"sealed_ms", e.sealed_ms},
          {"expires_ms", e.expires_ms},
          {"deleted_ms", e.deleted_ms}};
}

json::object AuditFullJson(const AuditEntry& e) {
  return {{"seq", e.seq},       {"at_ms", e.at_ms},     {"actor", e.actor},
          {"action", e.action}, {"target", e.target},   {"before", e.before},
          {"after", e.after},   {"details", e.details}, {"prev_hash", e.prev_hash},
          {"hash", e.hash}};
}

// Seals `data` (a medium of item `item_id`) for `r` unless `sealed` has its hash.
Status SealMedium(SqlReferralRepository& repo, const wf::Referral& r, int64_t item_id,
                  const std::string& data, const EvidenceOptions& options, int64_t now_ms,
                  int64_t expires, std::set<std::string>& sealed,
                  std::vector<EvidenceRecord>& out) {
  std::string sha = Sha256Hex(data);
  if (!sealed.insert(sha).second) return Status::OK();
  std::error_code ec;
  fs::path dest = fs::path(options.dir) / sha;
  if (!fs::exists(dest, ec)) VIGIL_RETURN_IF_ERROR(WriteText(dest, data));
  EvidenceRecord rec;
  rec.referral_id = r.id;
  rec.item_id = item_id;
  rec.kind = "media";
  rec.name = "media/" + sha;
  rec.sha256 = sha;
  rec.bytes = static_cast<int64_t>(data.size());
  rec.location = dest.string();
  rec.sealed_ms = now_ms;
  rec.expires_ms = expires;
  VIGIL_ASSIGN_OR_RETURN(rec, repo.AddEvidence(options.actor, rec));
  out.push_back(std::move(rec));
  return Status::OK();
}

}  // namespace

Result<std::vector<RemoteMedium>> ListRemoteMedia(SqlReferralRepository& repo,
                                                  const wf::Referral& r) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<EvidenceRecord> have, repo.ListEvidence(r.id));
  std::set<std::pair<int64_t, std::string>> seen;
  std::vector<RemoteMedium> out;
  for (const wf::ReferralItem& it : r.items) {
    if (it.item_id <= 0) continue;
    auto item = repo.store().GetItem(it.item_id);
    if (!item.ok()) continue;
    for (const Media& m : item->media) {
      if (!IsRemote(m.uri) || !seen.insert({it.item_id, m.uri}).second) continue;
      // Already sealed (by content hash) or already recorded unavailable: skip.
      bool done = false;
      for (const auto& e : have) {
        if (e.deleted_ms != 0 || e.item_id != it.item_id) continue;
        // A remote medium whose hash the item does not carry is known only by its sealed
        // copy: any live sealed medium of the item counts (a retry then skips the item's
        // other remote media too; the failed ones stay listed as media_unavailable).
        if ((e.kind == "media" && (m.sha256.empty() || e.sha256 == m.sha256)) ||
            (e.kind == "media_unavailable" && e.name.starts_with(kUnavailablePrefix + m.uri))) {
          done = true;
        }
      }
      if (!done) out.push_back(RemoteMedium{it.item_id, m.uri});
    }
  }
  return out;
}

std::vector<FetchedMedium> FetchRemoteMedia(const std::vector<RemoteMedium>& media,
                                            const MediaFetch& fetch) {
  std::vector<FetchedMedium> out;
  for (const RemoteMedium& m : media) {
    FetchedMedium f;
    f.item_id = m.item_id;
    f.uri = m.uri;
    if (!fetch) {
      f.error = Status::Unsupported("no fetcher configured for remote media");
    } else if (auto got = fetch(m.uri); got.ok()) {
      f.bytes = std::move(got).value();
    } else {
      f.error = got.status();
    }
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<EvidenceRecord>> PreserveEvidence(SqlReferralRepository& repo,
                                                     const wf::Referral& r,
                                                     const EvidenceOptions& options, int64_t now_ms,
                                                     const std::vector<FetchedMedium>& remote) {
  if (options.dir.empty()) return Status::InvalidArgument("no evidence directory configured");
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return Status::IOError("cannot create " + options.dir + ": " + ec.message());
  VIGIL_ASSIGN_OR_RETURN(std::vector<EvidenceRecord> have, repo.ListEvidence(r.id));
  std::set<std::string> sealed;
  for (const auto& e : have) {
    if (e.kind == "media" && e.deleted_ms == 0) sealed.insert(e.sha256);
  }
  std::vector<EvidenceRecord> out;
  const int64_t expires = now_ms + options.retention_ms;
  for (const wf::ReferralItem& it : r.items) {
    if (it.item_id <= 0) continue;
    auto item = repo.store().GetItem(it.item_id);
    if (!item.ok()) continue;  // not stored here: nothing to preserve
    for (const Media& m : item->media) {
      std::string path = LocalPath(m.uri);
      if (path.empty() || !fs::is_regular_file(path, ec)) continue;
      VIGIL_ASSIGN_OR_RETURN(auto bytes, ReadFileBytes(path, kMaxEvidenceFileBytes));
      std::string data(bytes.begin(), bytes.end());
      VIGIL_RETURN_IF_ERROR(
          SealMedium(repo, r, it.item_id, data, options, now_ms, expires, sealed, out));
    }
  }
  // Media that exist only at a URL: fetched by the caller (outside any store lock).
  for (const FetchedMedium& f : remote) {
    Status why = f.error;
    if (why.ok() && f.bytes.size() > kMaxRemoteEvidenceBytes) {
      why = Status::ResourceExhausted("larger than " + std::to_string(kMaxRemoteEvidenceBytes) +
                                      " bytes");
    }
    if (why.ok()) {
      VIGIL_RETURN_IF_ERROR(
          SealMedium(repo, r, f.item_id, f.bytes, options, now_ms, expires, sealed, out));
      continue;
    }
    // The failed attempt is evidence too: when it was tried and why it failed.
    EvidenceRecord rec;
    rec.referral_id = r.id;
    rec.item_id = f.item_id;
    rec.kind = "media_unavailable";
    rec.name =
        (kUnavailablePrefix + f.uri + ": " + why.ToString()).substr(0, kMaxEvidenceFailureText);
    rec.sealed_ms = now_ms;
    rec.expires_ms = expires;
    VIGIL_ASSIGN_OR_RETURN(rec, repo.AddEvidence(options.actor, rec));
    out.push_back(std::move(rec));
  }
  const std::string record = wf::ReferralToJson(r);
  EvidenceRecord meta;
  meta.referral_id = r.id;
  meta.kind = "metadata";
  meta.name = "referral.json@" + wf::FormatRfc3339(now_ms);
  meta.sha256 = Sha256Hex(record);
  meta.bytes = static_cast<int64_t>(record.size());
  meta.sealed_ms = now_ms;
  meta.expires_ms = expires;
  VIGIL_ASSIGN_OR_RETURN(meta, repo.AddEvidence(options.actor, meta));
  out.push_back(std::move(meta));
  return out;
}

Status ExportEvidencePackage(SqlReferralRepository& repo, int64_t referral_id,
                             const std::string& out_dir, int64_t now_ms) {
  VIGIL_ASSIGN_OR_RETURN(wf::Referral r, repo.GetReferral(referral_id));
  VIGIL_ASSIGN_OR_RETURN(std::vector<EvidenceRecord> records, repo.ListEvidence(referral_id));
  std::error_code ec;
  fs::path out(out_dir);
  if (fs::exists(out, ec) && !fs::is_empty(out, ec)) {
    return Status::AlreadyExists(out_dir + " exists and is not empty");
  }
  fs::create_directories(out / "media", ec);
  if (ec) return Status::IOError("cannot create " + out_dir + ": " + ec.message());

  std::map<std::string, std::string> files;  // relative path -> sha256
  auto put = [&](const std::string& rel, std::string_view data) -> Status {
    VIGIL_RETURN_IF_ERROR(WriteText(out / rel, data));
    files[rel] = Sha256Hex(data);
    return Status::OK();
  };

  VIGIL_RETURN_IF_ERROR(put("referral.json", wf::ReferralToJson(r)));
  json::array ev;
  std::set<std::string> targets = {"referral:" + std::to_string(referral_id)};
  for (const EvidenceRecord& e : records) {
    ev.push_back(EvidenceJson(e));
    targets.insert("evidence:" + std::to_string(e.id));
    if (e.kind != "media" || e.deleted_ms != 0) continue;
    VIGIL_ASSIGN_OR_RETURN(std::string data, ReadText(e.location));
    if (Sha256Hex(data) != e.sha256) {
      return Status::Corruption("preserved medium " + e.location + " no longer matches its seal");
    }
    VIGIL_RETURN_IF_ERROR(put("media/" + e.sha256, data));
  }
  VIGIL_RETURN_IF_ERROR(put("evidence.json", json::serialize(ev)));

  // The audit slice: full entries about this case, links for everything between them up
  // to the head, so the chain from the first relevant entry to the head can be checked.
  std::string audit;
  int64_t lines = 0;
  bool started = false;
  std::string head;
  Status overflow;
  VIGIL_RETURN_IF_ERROR(repo.store().ForEachAudit(0, [&](const AuditEntry& e) {
    head = e.hash;
    const bool relevant = targets.count(e.target) > 0;
    if (!relevant && !started) return true;
    started = true;
    if (++lines > kMaxPackageAuditEntries) {
      overflow = Status::ResourceExhausted("audit slice too long for one package");
      return false;
    }
    json::object o =
        relevant ? AuditFullJson(e)
                 : json::object{{"seq", e.seq}, {"prev_hash", e.prev_hash}, {"hash", e.hash}};
    audit += json::serialize(o);
    audit += '\n';
    return true;
  }));
  VIGIL_RETURN_IF_ERROR(overflow);
  VIGIL_RETURN_IF_ERROR(put("audit.jsonl", audit));

  std::string manifest;
  for (const auto& [rel, sha] : files) manifest += sha + "  " + rel + "\n";
  VIGIL_RETURN_IF_ERROR(WriteText(out / "manifest.sha256", manifest));
  json::object seal{{"type", "vigil.evidence_seal"},
                    {"version", kEvidencePackageVersion},
                    {"referral_id", referral_id},
                    {"manifest_sha256", Sha256Hex(manifest)},
                    {"sealed_at", wf::FormatRfc3339(now_ms)},
                    {"sealed_ms", now_ms},
                    {"audit_head_hash", head}};
  return WriteText(out / "seal.json", json::serialize(seal));
}

Result<PackageReport> VerifyEvidencePackage(const std::string& dir) {
  PackageReport rep;
  auto problem = [&](std::string p) {
    rep.ok = false;
    rep.problems.push_back(std::move(p));
  };
  fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return Status::IOError(dir + " is not a directory");

  auto manifest = ReadText(root / "manifest.sha256");
  auto seal_text = ReadText(root / "seal.json");
  if (!manifest.ok() || !seal_text.ok()) {
    problem("manifest.sha256 or seal.json missing");
    return rep;
  }
  boost::system::error_code jec;
  json::value seal = json::parse(*seal_text, jec);
  if (jec || !seal.is_object()) {
    problem("seal.json is not a JSON object");
    return rep;
  }
  const json::object& so = seal.as_object();
  auto str = [&](const json::object& o, std::string_view k) -> std::string {
    const json::value* v = o.if_contains(k);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  if (str(so, "manifest_sha256") != Sha256Hex(*manifest)) {
    problem("seal.json does not seal this manifest");
  }
  rep.sealed_at = str(so, "sealed_at");
  rep.head_hash = str(so, "audit_head_hash");
  if (const json::value* v = so.if_contains("referral_id"); v && v->is_int64()) {
    rep.referral_id = v->as_int64();
  }

  std::set<std::string> listed;
  std::istringstream in(*manifest);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.size() < 67 || line.substr(64, 2) != "  " || !IsHex64(line.substr(0, 64))) {
      problem("malformed manifest line: " + line);
      continue;
    }
    std::string rel = line.substr(66);
    if (rel.find("..") != std::string::npos || rel.starts_with("/")) {
      problem("manifest names a path outside the package: " + rel);
      continue;
    }
    listed.insert(rel);
    auto data = ReadText(root / rel);
    if (!data.ok()) {
      problem("missing file " + rel);
      continue;
    }
    ++rep.files;
    if (Sha256Hex(*data) != line.substr(0, 64)) problem("file changed: " + rel);
    if (rel.starts_with("media/")) {
      ++rep.media;
      if (rel.substr(6) != Sha256Hex(*data)) problem("medium not named by its SHA-256: " + rel);
    }
  }
  for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
    if (!entry.is_regular_file()) continue;
    std::string rel = fs::relative(entry.path(), root).generic_string();
    if (rel == "manifest.sha256" || rel == "seal.json") continue;
    if (!listed.count(rel)) problem("file not in the manifest: " + rel);
  }
  for (const char* needed : {"referral.json", "evidence.json", "audit.jsonl"}) {
    if (!listed.count(needed)) problem(std::string(needed) + " not in the manifest");
  }

  auto audit = ReadText(root / "audit.jsonl");
  if (audit.ok()) {
    std::istringstream ain(*audit);
    int64_t prev_seq = 0;
    std::string prev_hash;
    while (std::getline(ain, line)) {
      if (line.empty()) continue;
      json::value v = json::parse(line, jec);
      if (jec || !v.is_object()) {
        problem("audit.jsonl: a line is not a JSON object");
        break;
      }
      const json::object& o = v.as_object();
      auto num = [&](std::string_view k) -> int64_t {
        const json::value* x = o.if_contains(k);
        return x && x->is_int64() ? x->as_int64() : -1;
      };
      AuditEntry e;
      e.seq = num("seq");
      e.prev_hash = str(o, "prev_hash");
      e.hash = str(o, "hash");
      if (o.contains("action")) {
        e.at_ms = num("at_ms");
        e.actor = str(o, "actor");
        e.action = str(o, "action");
        e.target = str(o, "target");
        e.before = str(o, "before");
        e.after = str(o, "after");
        e.details = str(o, "details");
        if (AuditEntryHash(e) != e.hash) {
          problem("audit entry " + std::to_string(e.seq) + " does not match its hash");
        }
        ++rep.audit_entries;
      } else {
        ++rep.audit_links;
      }
      if (prev_seq != 0 && (e.seq != prev_seq + 1 || e.prev_hash != prev_hash)) {
        problem("audit chain broken at entry " + std::to_string(e.seq));
      }
      prev_seq = e.seq;
      prev_hash = e.hash;
    }
    if (prev_hash != rep.head_hash) problem("audit slice does not end at the sealed head");
    if (rep.audit_entries == 0) problem("audit slice holds no entry about the referral");
  }
  return rep;
}

Result<int> ExpireEvidence(SqlReferralRepository& repo, int64_t now_ms, std::string_view actor) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<EvidenceRecord> due, repo.ExpiredEvidence(now_ms));
  int n = 0;
  for (const EvidenceRecord& e : due) {
    VIGIL_RETURN_IF_ERROR(repo.MarkEvidenceDeleted(actor, e.id, now_ms));
    ++n;
    if (e.location.empty()) continue;
    // Delete the file unless another live record still needs it.
    VIGIL_ASSIGN_OR_RETURN(bool still_used, repo.EvidenceLocationLive(e.location));
    std::error_code ec;
    if (!still_used) fs::remove(e.location, ec);
  }
  return n;
}

}  // namespace vigil::store
