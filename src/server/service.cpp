#include "server/service.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "formats/formats.h"
#include "media/image.h"
#include "pipeline/any_media.h"
#include "pipeline/media_hasher.h"
#include "server/api_error.h"
#include "server/console_files.h"
#include "server/json_args.h"
#include "server/multipart.h"
#include "server/platforms_api.h"
#include "store/crypto.h"

namespace vigil::server {
namespace json = boost::json;
using store::SignalType;

namespace {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// --- JSON request helpers ------------------------------------------------------------

Result<json::object> ParseObject(const std::string& body) {
  if (body.empty()) return Status::InvalidArgument("request body must be a JSON object");
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 16;
  json::value v = json::parse(body, ec, {}, opts);
  if (ec) return Status::InvalidArgument("request body is not valid JSON: " + ec.message());
  if (!v.is_object()) return Status::InvalidArgument("request body must be a JSON object");
  return std::move(v.as_object());
}

Result<std::string> OptString(const json::object& o, std::string_view key,
                              std::string fallback = {}) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_string())
    return Status::InvalidArgument("'" + std::string(key) + "' must be a string");
  return std::string(v->as_string());
}

Result<std::string> RequireString(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_string() || v->as_string().empty()) {
    return Status::InvalidArgument("'" + std::string(key) + "' is required (a non-empty string)");
  }
  return std::string(v->as_string());
}

Result<const json::array*> OptArray(const json::object& o, std::string_view key) {
  static const json::array kEmpty;
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return &kEmpty;
  if (!v->is_array()) return Status::InvalidArgument("'" + std::string(key) + "' must be an array");
  return &v->as_array();
}

Result<std::vector<std::string>> StringList(const json::object& o, std::string_view key) {
  VIGIL_ASSIGN_OR_RETURN(const json::array* arr, OptArray(o, key));
  std::vector<std::string> out;
  for (const auto& v : *arr) {
    if (!v.is_string()) {
      return Status::InvalidArgument("'" + std::string(key) + "' must be an array of strings");
    }
    out.emplace_back(v.as_string());
  }
  return out;
}

Result<std::vector<std::string>> CanonicalLabels(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const auto& l : in) {
    VIGIL_ASSIGN_OR_RETURN(std::string c, store::CanonicalLabel(l));
    out.push_back(std::move(c));
  }
  return store::MergeLabels(out, {});
}

Result<int64_t> ParseInt(std::string_view text, std::string_view what) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return Status::InvalidArgument(std::string(what) + " must be an integer, got '" +
                                   std::string(text) + "'");
  }
  return v;
}

Result<int64_t> QueryInt(const Request& r, const std::string& key, int64_t fallback, int64_t lo,
                         int64_t hi) {
  auto it = r.query.find(key);
  if (it == r.query.end()) return fallback;
  VIGIL_ASSIGN_OR_RETURN(int64_t v, ParseInt(it->second, "query parameter '" + key + "'"));
  if (v < lo || v > hi) {
    return Status::InvalidArgument("query parameter '" + key + "' must be in [" +
                                   std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return v;
}

Result<bool> QueryBool(const Request& r, const std::string& key) {
  auto it = r.query.find(key);
  if (it == r.query.end()) return false;
  if (it->second == "true" || it->second == "1" || it->second.empty()) return true;
  if (it->second == "false" || it->second == "0") return false;
  return Status::InvalidArgument("query parameter '" + key + "' must be true or false");
}

std::string QueryString(const Request& r, const std::string& key) {
  auto it = r.query.find(key);
  return it == r.query.end() ? std::string() : it->second;
}

// A Prometheus label value: backslash, quote and newline escaped.
std::string PromLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

Response JsonResponse(const json::value& v, int status = 200) {
  return Response::Json(json::serialize(v), status);
}

// --- JSON views of the model ---------------------------------------------------------

json::array ToJson(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::object UserJson(const store::User& u) {
  return {{"id", u.id},     {"name", u.name},     {"email", u.email},
          {"role", u.role}, {"org_id", u.org_id}, {"created_ms", u.created_ms}};
}

json::object TokenJson(const store::ApiToken& t) {
  return {{"id", t.id},
          {"user_id", t.user_id},
          {"name", t.name},
          {"created_ms", t.created_ms},
          {"expires_ms", t.expires_ms},
          {"revoked_ms", t.revoked_ms}};
}

json::object SignalJson(const store::Signal& s) {
  return {{"id", s.id},
          {"type", store::SignalTypeName(s.type)},
          {"value", s.value},
          {"quality", s.quality},
          {"labels", ToJson(s.labels)},
          {"contributor_org_id", s.contributor_org_id},
          {"source_exchange", s.source_exchange},
          {"added_ms", s.added_ms},
          {"removed_ms", s.removed_ms},
          {"version", s.version}};
}

json::object MediaSignalJson(const store::MediaSignal& s) {
  json::object o{{"type", store::SignalTypeName(s.type)}, {"value", s.value}};
  if (s.quality >= 0) o["quality"] = s.quality;
  return o;
}

json::object EntryJson(const QueueEntry& q) {
  json::array ids;
  for (int64_t id : q.signal_ids) ids.emplace_back(id);
  json::object o{{"item_id", q.item_id},         {"state", ReviewStateName(q.state)},
                 {"priority", q.priority},       {"severity_tier", q.severity_tier},
                 {"confidence", q.confidence},   {"reach", q.reach},
                 {"signal_ids", std::move(ids)}, {"submitted_ms", q.submitted_ms}};
  if (q.decided_ms) {
    o["decided_by"] = q.decided_by;
    o["decided_ms"] = q.decided_ms;
    o["labels"] = ToJson(q.labels);
    o["tier"] = q.tier;
    o["note"] = q.note;
  }
  return o;
}

json::object AuditJson(const store::AuditEntry& e) {
  return {{"seq", e.seq},       {"at_ms", e.at_ms},     {"actor", e.actor},
          {"action", e.action}, {"target", e.target},   {"before", e.before},
          {"after", e.after},   {"details", e.details}, {"prev_hash", e.prev_hash},
          {"hash", e.hash}};
}

constexpr std::string_view kPlaceholderPage =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>vigil</title></head>"
    "<body><h1>vigil</h1><p>The API is at <code>/api/v1</code> (see docs/openapi.yaml). "
    "The web console is not built: run <code>make run</code> (or <code>npm ci &amp;&amp; npm "
    "run build</code> in console/) and start <code>vigil serve --console "
    "console/dist</code>.</p></body></html>";

}  // namespace

// ---------------------------------------------------------------------------------------
// The route handlers. A nested class so they reach the Service's state without widening
// its public interface.
class Service::Handlers {
 public:
  explicit Handlers(Service& s) : s_(s) {}

  // --- scoping helpers ---------------------------------------------------------------

  bool CanRead(int64_t bank_id, int64_t org_id) const {
    std::shared_lock lock(s_.cache_mu_);
    auto it = s_.banks_.find(bank_id);
    return it != s_.banks_.end() && store::Store::OrgCanRead(it->second, org_id);
  }

  std::string OrgName(int64_t org_id) {
    if (org_id == 0) return {};
    {
      std::shared_lock lock(s_.cache_mu_);
      auto it = s_.org_names_.find(org_id);
      if (it != s_.org_names_.end()) return it->second;
    }
    auto org = s_.WithStore([&](store::Store& st) { return st.GetOrganisation(org_id); });
    if (!org.ok()) return {};
    std::unique_lock lock(s_.cache_mu_);
    s_.org_names_[org_id] = org->name;
    return org->name;
  }

  void CacheBank(const store::Bank& b) {
    std::unique_lock lock(s_.cache_mu_);
    s_.banks_[b.id] = b;
  }

  std::optional<store::Bank> CachedBank(int64_t id) const {
    std::shared_lock lock(s_.cache_mu_);
    auto it = s_.banks_.find(id);
    if (it == s_.banks_.end()) return std::nullopt;
    return it->second;
  }

  static Status BankNotFound(std::string_view name) {
    return Status::NotFound("bank '" + std::string(name) + "' not found");
  }

  // The bank if the caller's organisation may read it; NotFound (the same answer as for a
  // bank that does not exist) otherwise.
  Result<store::Bank> ReadableBank(std::string_view name, const Principal& p) {
    auto bank = s_.WithStore([&](store::Store& st) { return st.FindBank(name); });
    if (!bank.ok()) {
      if (bank.status().code() == StatusCode::kNotFound) return BankNotFound(name);
      return bank.status();
    }
    if (!store::Store::OrgCanRead(*bank, p.user.org_id)) return BankNotFound(name);
    CacheBank(*bank);
    return bank;
  }

  Result<store::Bank> WritableBank(std::string_view name, const Principal& p) {
    VIGIL_ASSIGN_OR_RETURN(store::Bank bank, ReadableBank(name, p));
    if (bank.owner_org_id != p.user.org_id) {
      return Status::PermissionDenied("bank '" + bank.name +
                                      "' belongs to another organisation; only its owner "
                                      "changes it");
    }
    return bank;
  }

  json::object BankJson(const store::Bank& b, const Principal& p) {
    json::object o{{"id", b.id},
                   {"name", b.name},
                   {"owner_org_id", b.owner_org_id},
                   {"owner_org", OrgName(b.owner_org_id)},
                   {"scope", store::SharingScopeName(b.scope)},
                   {"description", b.description},
                   {"version", b.version},
                   {"created_ms", b.created_ms},
                   {"updated_ms", b.updated_ms}};
    // Who else a bank is shared with is the owner's business only.
    if (b.owner_org_id == p.user.org_id) {
      json::array shared;
      for (int64_t id : b.shared_with) shared.emplace_back(OrgName(id));
      o["shared_with"] = std::move(shared);
    }
    return o;
  }

  // Where a match came from: bank, signal, labels, distance, contributing organisation.
  json::object ProvenanceJson(const match::SignalInfo& s, int distance) {
    auto bank = CachedBank(s.bank_id);
    int64_t contributor = s.contributor_org_id;
    if (contributor == 0 && bank) contributor = bank->owner_org_id;
    return {{"signal_id", s.id},
            {"type", store::SignalTypeName(s.type)},
            {"value", s.value},
            {"distance", distance},
            {"bank_id", s.bank_id},
            {"bank", bank ? bank->name : std::string()},
            {"labels", ToJson(s.labels)},
            {"contributor_org_id", contributor},
            {"contributor_org", OrgName(contributor)},
            {"source_exchange", s.source_exchange},
            {"false_positive_reports", s_.queue_.FalsePositives(s.id)}};
  }

  // --- matching ----------------------------------------------------------------------

  struct QuerySignal {
    SignalType type;
    std::string value;
    int quality = -1;
  };

  std::vector<match::SignalHit> MatchOne(const QuerySignal& q, int max_distance, const Principal& p,
                                         const std::vector<int64_t>& only_banks) {
    int64_t org = p.user.org_id;
    return s_.matcher_.Match(q.type, q.value, max_distance, [&](int64_t bank_id) {
      if (!only_banks.empty() &&
          std::find(only_banks.begin(), only_banks.end(), bank_id) == only_banks.end()) {
        return false;
      }
      return CanRead(bank_id, org);
    });
  }

  Result<int> MaxDistance(const Request& r) {
    VIGIL_ASSIGN_OR_RETURN(
        int64_t d,
        QueryInt(r, "max_distance", s_.options_.default_pdq_max_distance, 0, kMaxPdqDistance));
    return static_cast<int>(d);
  }

  // --- media -------------------------------------------------------------------------

  struct Hashed {
    std::string kind = "image";  // image | video | audio | text (pipeline/any_media.h)
    pipeline::ImageHashes hashes;
    size_t bytes = 0;
    std::vector<QuerySignal> signals;
  };

  Result<Hashed> HashUpload(const Request& r) {
    std::string_view media = r.body;
    if (r.content_type.rfind("multipart/", 0) == 0) {
      VIGIL_ASSIGN_OR_RETURN(media, MultipartMedia(r.body, r.content_type));
    }
    if (media.empty()) {
      return Status::InvalidArgument("no media: send the file as the body or a multipart part");
    }
    pipeline::ImageHashOptions opts;
    auto span =
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(media.data()), media.size());
    // A body declared as an image is hashed as one (and refused when it is not); other
    // uploads may be video or audio, and text when declared as text/*.
    if (r.content_type.rfind("image/", 0) != 0 &&
        media::SniffFormat(span) == media::ImageFormat::kUnknown) {
      return HashOtherUpload(span, r.content_type.rfind("text/", 0) == 0);
    }
    VIGIL_ASSIGN_OR_RETURN(pipeline::ImageHashes h, pipeline::HashImageBytes(span, opts));
    Hashed out;
    out.bytes = media.size();
    out.signals.push_back({SignalType::kPdq, h.pdq.hash.ToHex(), h.pdq.quality});
    out.signals.push_back({SignalType::kMd5, h.md5, -1});
    out.signals.push_back({SignalType::kSha256, h.sha256, -1});
    out.hashes = std::move(h);
    return out;
  }

  // Video, audio and text uploads: every signal of the kind (pipeline/any_media.h, its
  // default limits). A file of no known kind, or whose main signal failed, is refused.
  static Result<Hashed> HashOtherUpload(std::span<const uint8_t> span, bool text_ok) {
    pipeline::MediaSignals m = pipeline::HashAnyMedia(span, pipeline::AnyMediaOptions{});
    if (m.kind == "other" || (m.kind == "text" && !text_ok)) {
      return Status::Unsupported(
          "not a recognised image, video or audio file (send text with Content-Type "
          "text/plain)");
    }
    Hashed out;
    out.kind = m.kind;
    out.bytes = span.size();
    for (const auto& sig : m.signals) {
      VIGIL_ASSIGN_OR_RETURN(SignalType type, store::ParseSignalType(sig.type));
      if (sig.type == "sha256") out.hashes.sha256 = sig.value;
      if (sig.type == "md5") out.hashes.md5 = sig.value;
      out.signals.push_back({type, sig.value, sig.quality});
    }
    if (out.signals.size() <= 2 && !m.error.empty()) {  // digests only: nothing decoded
      return Status::InvalidArgument("cannot hash this " + m.kind + ": " + m.error);
    }
    return out;
  }

  static json::object MediaJson(const Hashed& h) {
    if (h.kind != "image") return {{"kind", h.kind}, {"bytes", h.bytes}};
    return {{"kind", "image"},
            {"format", media::FormatName(h.hashes.format)},
            {"width", h.hashes.width},
            {"height", h.hashes.height},
            {"bytes", h.bytes}};
  }

  static json::array SignalsJson(const std::vector<QuerySignal>& sigs) {
    json::array a;
    for (const auto& s : sigs) {
      json::object o{{"type", store::SignalTypeName(s.type)}, {"value", s.value}};
      if (s.quality >= 0) o["quality"] = s.quality;
      a.push_back(std::move(o));
    }
    return a;
  }

  // --- items -------------------------------------------------------------------------

  struct ItemMedia {
    std::string kind = "image";
    std::string uri;
    std::string sha256;
    std::vector<QuerySignal> signals;
  };

  struct Submission {
    std::string source, url, account, language;
    int64_t posted_ms = 0;
    int64_t reach = 0;
    std::vector<ItemMedia> media;
  };

  // Stores the item, records its matches, queues it for review when anything matched,
  // and audits the submission. Returns the response body.
  Result<json::object> Submit(const Submission& sub, int max_distance, const Principal& p) {
    store::Item item;
    item.source = sub.source.empty() ? "api:" + p.user.name : sub.source;
    item.url = sub.url;
    item.account = sub.account;
    item.language = sub.language;
    item.posted_ms = sub.posted_ms;
    item.collected_ms = s_.options_.now_ms();
    for (const auto& m : sub.media) {
      store::Media media;
      media.kind = m.kind;
      media.uri = m.uri;
      media.sha256 = m.sha256;
      for (const auto& q : m.signals) media.signals.push_back({q.type, q.value, q.quality});
      item.media.push_back(std::move(media));
    }
    // Match before storing: a failed match must not leave a half-recorded item.
    std::vector<std::vector<match::SignalHit>> hits(sub.media.size());
    for (size_t i = 0; i < sub.media.size(); ++i) {
      for (const auto& q : sub.media[i].signals) {
        auto h = MatchOne(q, max_distance, p, {});
        hits[i].insert(hits[i].end(), h.begin(), h.end());
      }
    }
    std::vector<int64_t> signal_ids;
    std::vector<std::string> labels;
    double confidence = 0;
    json::array matches_json;
    for (size_t i = 0; i < hits.size(); ++i) {
      for (const auto& h : hits[i]) {
        double c = h.info.type == SignalType::kPdq
                       ? std::max(0.05, 1.0 - static_cast<double>(h.distance) / 64.0)
                       : 1.0;
        confidence = std::max(confidence, c);
        labels = store::MergeLabels(labels, h.info.labels);
        if (std::find(signal_ids.begin(), signal_ids.end(), h.info.id) == signal_ids.end()) {
          signal_ids.push_back(h.info.id);
        }
        matches_json.push_back(ProvenanceJson(h.info, h.distance));
      }
    }
    int tier = SeverityTier(labels);
    bool queued = !signal_ids.empty();
    json::array ids_json;
    for (int64_t id : signal_ids) ids_json.emplace_back(id);
    store::AuditEntry entry;
    auto stored = s_.WithStore([&](store::Store& st) -> Result<store::Item> {
      VIGIL_ASSIGN_OR_RETURN(store::Item it, st.AddItem(p.actor(), item));
      for (size_t i = 0; i < hits.size() && i < it.media.size(); ++i) {
        for (const auto& h : hits[i]) {
          store::Match m;
          m.item_id = it.id;
          m.media_id = it.media[i].id;
          m.signal_id = h.info.id;
          m.distance = h.distance;
          m.matched_ms = item.collected_ms;
          VIGIL_RETURN_IF_ERROR(st.RecordMatch(p.actor(), m).status());
        }
      }
      json::object details{{"org_id", p.user.org_id}, {"queued", queued},
                           {"severity_tier", tier},   {"confidence", confidence},
                           {"reach", sub.reach},      {"signal_ids", ids_json}};
      VIGIL_ASSIGN_OR_RETURN(
          entry, st.AppendAudit(p.actor(), "item.submit", "item:" + std::to_string(it.id), "", "",
                                json::serialize(details)));
      return it;
    });
    VIGIL_RETURN_IF_ERROR(stored.status());
    s_.queue_.Apply(entry);
    json::object out{
        {"item_id", stored->id}, {"matches", std::move(matches_json)}, {"queued", queued}};
    if (queued) out["priority"] = PriorityScore(tier, confidence, sub.reach);
    return out;
  }

  // The item if the caller's organisation submitted it; NotFound otherwise.
  Result<int64_t> OwnItem(const std::string& id_text, const Principal& p) {
    VIGIL_ASSIGN_OR_RETURN(int64_t id, ParseInt(id_text, "item id"));
    if (id <= 0 || s_.queue_.OwnerOf(id) != p.user.org_id) {
      return Status::NotFound("item " + id_text + " not found");
    }
    return id;
  }

  Result<json::array> ItemMatchesJson(int64_t item_id, const Principal& p) {
    VIGIL_ASSIGN_OR_RETURN(std::vector<store::Match> matches,
                           s_.WithStore([&](store::Store& st) { return st.ListMatches(item_id); }));
    json::array out;
    for (const auto& m : matches) {
      auto info = s_.matcher_.Get(m.signal_id);
      // A bank unshared since the match stops showing its signals.
      if (!info || !CanRead(info->bank_id, p.user.org_id)) continue;
      json::object o = ProvenanceJson(*info, m.distance);
      o["match_id"] = m.id;
      o["media_id"] = m.media_id;
      o["matched_ms"] = m.matched_ms;
      out.push_back(std::move(o));
    }
    return out;
  }

  Result<json::object> ItemJson(int64_t id, const Principal& p) {
    VIGIL_ASSIGN_OR_RETURN(store::Item item,
                           s_.WithStore([&](store::Store& st) { return st.GetItem(id); }));
    json::array media;
    for (const auto& m : item.media) {
      json::array sigs;
      for (const auto& s : m.signals) sigs.push_back(MediaSignalJson(s));
      media.push_back(json::object{{"id", m.id},
                                   {"kind", m.kind},
                                   {"uri", m.uri},
                                   {"sha256", m.sha256},
                                   {"signals", std::move(sigs)}});
    }
    json::object o{{"id", item.id},
                   {"source", item.source},
                   {"url", item.url},
                   {"account", item.account},
                   {"posted_ms", item.posted_ms},
                   {"language", item.language},
                   {"collected_ms", item.collected_ms},
                   {"media", std::move(media)}};
    if (auto q = s_.queue_.Get(id); q && q->queued) o["review"] = EntryJson(*q);
    VIGIL_ASSIGN_OR_RETURN(json::array matches, ItemMatchesJson(id, p));
    o["matches"] = std::move(matches);
    return o;
  }

  // --- users -------------------------------------------------------------------------

  Result<store::User> OwnUser(const std::string& name, const Principal& p) {
    auto u = s_.WithStore([&](store::Store& st) { return st.FindUser(name); });
    if (!u.ok() || u->org_id != p.user.org_id) {
      if (!u.ok() && u.status().code() != StatusCode::kNotFound) return u.status();
      return Status::NotFound("user '" + name + "' not found");
    }
    return u;
  }

  // The organisation of an audit actor "user:<name>", 0 if not a user.
  int64_t ActorOrg(const std::string& actor, std::unordered_map<std::string, int64_t>& cache) {
    if (actor.rfind("user:", 0) != 0) return 0;
    auto it = cache.find(actor);
    if (it != cache.end()) return it->second;
    auto u = s_.store_->FindUser(actor.substr(5));  // store mutex held by the caller
    int64_t org = u.ok() ? u->org_id : 0;
    cache[actor] = org;
    return org;
  }

  Service& s_;
};

// ---------------------------------------------------------------------------------------

Service::Service(std::unique_ptr<store::Store> store, ServiceOptions options)
    : store_(std::move(store)),
      options_(std::move(options)),
      limiter_(options_.rate_limit_per_second, options_.rate_limit_burst),
      token_cache_(options_.token_cache_ttl),
      handlers_(std::make_unique<Handlers>(*this)) {
  if (!options_.now_ms) options_.now_ms = SystemNowMs;
}

Service::~Service() = default;

Result<std::unique_ptr<Service>> Service::Create(std::unique_ptr<store::Store> store,
                                                 ServiceOptions options) {
  std::unique_ptr<Service> s(new Service(std::move(store), std::move(options)));
  VIGIL_RETURN_IF_ERROR(s->matcher_.Load(*s->store_));
  VIGIL_RETURN_IF_ERROR(s->queue_.Replay(*s->store_));
  VIGIL_ASSIGN_OR_RETURN(auto banks, s->store_->ListBanks());
  for (auto& b : banks) s->banks_[b.id] = b;
  VIGIL_ASSIGN_OR_RETURN(auto orgs, s->store_->ListOrganisations());
  for (auto& o : orgs) s->org_names_[o.id] = o.name;
  // Referrals (referrals_api.cpp): an item is referred once its own organisation's
  // reviewers confirmed it; labels and tier are the decision's.
  Service* raw = s.get();
  // A reversal tombstones bank signals: the matcher drops them at once.
  s->options_.referrals.banks_changed = [raw](const std::vector<int64_t>& bank_ids) {
    return raw->WithStore([&](store::Store& st) -> Status {
      for (int64_t id : bank_ids) VIGIL_RETURN_IF_ERROR(raw->matcher_.RefreshBank(st, id));
      return Status::OK();
    });
  };
  VIGIL_ASSIGN_OR_RETURN(
      s->referrals_,
      ReferralApi::Create(
          s->store_.get(), &s->store_mu_, std::move(s->options_.referrals),
          [raw](int64_t item_id, int64_t org_id) -> Result<workflow::ConfirmedItem> {
            auto entry = raw->queue_.Get(item_id);
            if (!entry || entry->org_id != org_id) {
              return Status::NotFound("item " + std::to_string(item_id) + " not found");
            }
            if (entry->state != ReviewState::kConfirmed) {
              return Status::FailedPrecondition("item " + std::to_string(item_id) +
                                                " is not confirmed");
            }
            VIGIL_ASSIGN_OR_RETURN(store::Item item, raw->WithStore([&](store::Store& st) {
              return st.GetItem(item_id);
            }));
            workflow::ConfirmedItem c;
            c.item_id = item.id;
            c.url = item.url;
            c.account = item.account;
            c.captured_ms = item.collected_ms ? item.collected_ms : item.posted_ms;
            for (const auto& m : item.media) {
              if (c.sha256.empty()) c.sha256 = m.sha256;
              for (const auto& sig : m.signals) {
                if (c.pdq.empty() && sig.type == SignalType::kPdq) c.pdq = sig.value;
                if (c.sha256.empty() && sig.type == SignalType::kSha256) c.sha256 = sig.value;
              }
            }
            c.labels = entry->labels;
            c.tier = entry->tier;
            c.reason = entry->note;
            c.evidence_ref = "item:" + std::to_string(item.id);
            return c;
          },
          [raw](int64_t org_id) { return raw->handlers_->OrgName(org_id); }));
  // Operations (operations_api.cpp), on the referral workflow's clock.
  VIGIL_ASSIGN_OR_RETURN(
      s->operations_,
      OperationsApi::Create(s->store_.get(), &s->store_mu_, &s->referrals_->service().clock(),
                            [raw](int64_t org_id) { return raw->handlers_->OrgName(org_id); }));
  s->BuildRoutes();
  return s;
}

Result<Principal> Service::Authenticate(const Request& request) {
  VIGIL_ASSIGN_OR_RETURN(std::string secret, BearerSecret(request.authorization));
  Principal p;
  p.token_key = store::Sha256Hex(secret);
  if (auto cached = token_cache_.Get(p.token_key)) {
    p.user = *cached;
  } else {
    auto user = WithStore([&](store::Store& st) { return st.AuthenticateToken(secret); });
    if (!user.ok()) {
      if (user.status().code() == StatusCode::kUnauthenticated ||
          user.status().code() == StatusCode::kNotFound) {
        return Status::Unauthenticated("invalid, expired or revoked token");
      }
      return user.status();
    }
    p.user = *user;
    token_cache_.Put(p.token_key, p.user);
  }
  auto role = ParseRole(p.user.role);
  if (!role.ok()) {
    return Status::PermissionDenied("user '" + p.user.name + "' has no API role");
  }
  p.role = *role;
  return p;
}

void Service::Record(const std::string& route, int status, double seconds) {
  std::lock_guard lock(metrics_mu_);
  ++requests_[{route, status}];
  size_t b = 0;
  while (b < std::size(kLatencyBuckets) && seconds > kLatencyBuckets[b]) ++b;
  ++latency_counts_[b];
  latency_sum_ += seconds;
  ++latency_count_;
}

std::string Service::MetricsText() const {
  std::ostringstream out;
  out << "# HELP vigil_http_requests_total HTTP requests by route and status.\n"
         "# TYPE vigil_http_requests_total counter\n";
  std::lock_guard lock(metrics_mu_);
  for (const auto& [key, n] : requests_) {
    out << "vigil_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second
        << "\"} " << n << "\n";
  }
  out << "# HELP vigil_http_request_duration_seconds Time to handle a request.\n"
         "# TYPE vigil_http_request_duration_seconds histogram\n";
  int64_t cumulative = 0;
  for (size_t i = 0; i < std::size(kLatencyBuckets); ++i) {
    cumulative += latency_counts_[i];
    out << "vigil_http_request_duration_seconds_bucket{le=\"" << kLatencyBuckets[i] << "\"} "
        << cumulative << "\n";
  }
  cumulative += latency_counts_[std::size(kLatencyBuckets)];
  out << "vigil_http_request_duration_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n"
      << "vigil_http_request_duration_seconds_sum " << latency_sum_ << "\n"
      << "vigil_http_request_duration_seconds_count " << latency_count_ << "\n";
  out << "# TYPE vigil_http_connections_open gauge\nvigil_http_connections_open "
      << transport_.connections_open.load() << "\n"
      << "# TYPE vigil_http_connections_total counter\nvigil_http_connections_total "
      << transport_.connections_total.load() << "\n"
      << "# TYPE vigil_http_timeouts_total counter\nvigil_http_timeouts_total "
      << transport_.timeouts_total.load() << "\n"
      << "# TYPE vigil_http_bad_requests_total counter\nvigil_http_bad_requests_total "
      << transport_.bad_requests_total.load() << "\n"
      << "# TYPE vigil_match_signals gauge\nvigil_match_signals " << matcher_.live_signals()
      << "\n";
  return out.str();
}

Response Service::StaticFile(const std::string& path) const {
  auto not_found = [] {
    return Response::Json(ErrorJson(kCodeRouteNotFound, "no such file"), 404);
  };
  if (options_.static_dir.empty()) {
    if (path != "/" && path != "/index.html") return not_found();
    Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::string(kPlaceholderPage);
    return r;
  }
  return ServeConsoleFile(options_.static_dir, path);
}

Response Service::Handle(const Request& request) {
  auto start = std::chrono::steady_clock::now();
  std::string route_name = "unmatched";
  auto finish = [&](Response r) {
    Record(route_name, r.status,
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return r;
  };
  auto fail = [&](int http, std::string_view code, std::string_view message) {
    return finish(Response::Json(ErrorJson(code, message), http));
  };
  auto found = router_.Match(request.method, request.path);
  if (!found.route) {
    bool api = request.path.rfind("/api/", 0) == 0 || request.path == "/api";
    if (!api && (request.method == "GET" || request.method == "HEAD") && !found.path_known) {
      route_name = "static";
      return finish(StaticFile(request.path));
    }
    if (found.path_known) {
      return fail(405, kCodeMethodNotAllowed,
                  request.method + " is not allowed on " + request.path);
    }
    return fail(404, kCodeRouteNotFound, "no route for " + request.path);
  }
  const Route& route = *found.route;
  route_name = route.method + " " + route.pattern;
  std::optional<Principal> principal;
  if (!route.is_public) {
    auto p = Authenticate(request);
    if (!p.ok()) {
      ApiError e = ErrorFromStatus(p.status());
      Response r = Response::Json(ErrorJson(e.code, e.message), e.http_status);
      if (e.http_status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return finish(std::move(r));
    }
    if (!limiter_.Allow(p->token_key)) {
      Response r = Response::Json(
          ErrorJson(kCodeRateLimited, "too many requests for this token; slow down"), 429);
      r.headers.emplace_back("Retry-After", "1");
      return finish(std::move(r));
    }
    if (!RoleAllows(p->role, route.permission)) {
      return fail(403, StatusCodeName(StatusCode::kPermissionDenied),
                  "role '" + std::string(RoleName(p->role)) + "' may not " +
                      std::string(PermissionName(route.permission)));
    }
    principal = std::move(*p);
  }
  RouteContext ctx{request, principal ? &*principal : nullptr, std::move(found.params)};
  Result<Response> result = Status::Internal("handler did not run");
  try {
    result = route.handler(ctx);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vigil: serve: %s %s: unexpected exception: %s\n", request.method.c_str(),
                 request.path.c_str(), e.what());
    result = Status::Internal(e.what());
  }
  if (!result.ok()) {
    ApiError e = ErrorFromStatus(result.status());
    if (e.http_status >= 500) {
      std::fprintf(stderr, "vigil: serve: %s %s: %s\n", request.method.c_str(),
                   request.path.c_str(), result.status().ToString().c_str());
    }
    return fail(e.http_status, e.code, e.message);
  }
  return finish(std::move(*result));
}

void Service::AnnounceBankChange(int64_t bank_id) {
  if (!options_.work_queue) return;
  Status s = options_.work_queue->PublishBankVersion(bank_id, matcher_.BankVersion(bank_id));
  if (!s.ok()) {
    bank_notices_failed_.fetch_add(1);
    std::fprintf(stderr, "vigil: serve: bank %lld notice not published: %s\n",
                 static_cast<long long>(bank_id), s.ToString().c_str());
  }
}

std::string Service::QueueMetricsText() {
  if (!options_.work_queue) return {};
  std::ostringstream out;
  out << "# HELP vigil_queue_up 1 if the work queue answered this scrape.\n"
         "# TYPE vigil_queue_up gauge\n";
  auto f = options_.work_queue->Figures();
  out << "vigil_queue_up " << (f.ok() ? 1 : 0) << "\n";
  if (f.ok()) {
    out << "# HELP vigil_queue_depth Work items waiting for a worker (consumer num_pending).\n"
           "# TYPE vigil_queue_depth gauge\nvigil_queue_depth "
        << f->pending << "\n"
        << "# HELP vigil_queue_in_flight Work items delivered and not yet acked.\n"
           "# TYPE vigil_queue_in_flight gauge\nvigil_queue_in_flight "
        << f->ack_pending << "\n"
        << "# HELP vigil_queue_stream_messages Messages in the work stream.\n"
           "# TYPE vigil_queue_stream_messages gauge\nvigil_queue_stream_messages "
        << f->stream_messages << "\n"
        << "# HELP vigil_queue_redelivered Messages redelivered at least once (consumer).\n"
           "# TYPE vigil_queue_redelivered gauge\nvigil_queue_redelivered "
        << f->redelivered << "\n"
        << "# HELP vigil_queue_dead_letters Messages in the dead-letter stream.\n"
           "# TYPE vigil_queue_dead_letters gauge\nvigil_queue_dead_letters "
        << f->dead << "\n";
  }
  out << "# TYPE vigil_bank_notices_failed_total counter\nvigil_bank_notices_failed_total "
      << bank_notices_failed_.load() << "\n";
  auto reports = WithStore([](store::Store& st) { return st.ListWorkerReports(); });
  if (!reports.ok()) return out.str();
  const int64_t now = options_.now_ms();
  auto series = [&](const char* name, const char* type, const char* help, auto value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
    for (const auto& r : *reports) {
      out << name << "{worker=\"" << PromLabel(r.name) << "\"} " << value(r) << "\n";
    }
  };
  using R = store::WorkerReport;
  series("vigil_worker_processed_total", "counter", "Work items a worker committed.",
         [](const R& r) { return r.processed; });
  series("vigil_worker_matches_total", "counter", "Matches a worker recorded.",
         [](const R& r) { return r.matches; });
  series("vigil_worker_duplicates_total", "counter", "Redeliveries the ledger had done.",
         [](const R& r) { return r.duplicates; });
  series("vigil_worker_dead_letters_total", "counter", "Messages a worker dead-lettered.",
         [](const R& r) { return r.dead; });
  series("vigil_worker_rate", "gauge", "Items/s over the worker's last report interval.",
         [](const R& r) { return static_cast<double>(r.rate_milli) / 1000.0; });
  series("vigil_worker_last_seen_seconds", "gauge", "Seconds since the worker's last report.",
         [&](const R& r) { return static_cast<double>(now - r.last_seen_ms) / 1000.0; });
  out << "# HELP vigil_worker_bank_version Bank version applied in the worker's index.\n"
         "# TYPE vigil_worker_bank_version gauge\n";
  for (const auto& r : *reports) {
    // "bank:version,..." as the worker reports it.
    std::string_view v = r.bank_versions;
    while (!v.empty()) {
      size_t comma = v.find(',');
      std::string_view pair = v.substr(0, comma);
      size_t colon = pair.find(':');
      if (colon != std::string_view::npos) {
        out << "vigil_worker_bank_version{worker=\"" << PromLabel(r.name) << "\",bank=\""
            << pair.substr(0, colon) << "\"} " << pair.substr(colon + 1) << "\n";
      }
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  return out.str();
}

// ---------------------------------------------------------------------------------------
// The route table. Keep docs/openapi.yaml in step: spec_test.cpp checks both ways.

void Service::BuildRoutes() {
  auto add = [&](std::string method, std::string pattern, Permission perm, Handler fn) {
    router_.Add(Route{std::move(method), std::move(pattern), false, perm, std::move(fn)});
  };
  auto add_public = [&](std::string method, std::string pattern, Handler fn) {
    router_.Add(
        Route{std::move(method), std::move(pattern), true, Permission::kSelf, std::move(fn)});
  };
  using P = Permission;

  // --- public ----------------------------------------------------------------------
  add_public("GET", "/healthz", [](const RouteContext&) -> Result<Response> {
    return Response::Json(R"({"status":"ok"})");
  });
  add_public("GET", "/readyz", [this](const RouteContext&) -> Result<Response> {
    auto v = WithStore([](store::Store& st) { return st.SchemaVersion(); });
    if (!v.ok()) return Status::Unavailable("store not reachable: " + v.status().message());
    return Response::Json(R"({"status":"ready"})");
  });
  add_public("GET", "/metrics", [this](const RouteContext&) -> Result<Response> {
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = MetricsText() + QueueMetricsText();
    return r;
  });
  add_public("GET", "/",
             [this](const RouteContext&) -> Result<Response> { return StaticFile("/"); });

  // --- self ------------------------------------------------------------------------
  add("GET", "/api/v1/whoami", P::kSelf,
      [&h = *handlers_](const RouteContext& c) -> Result<Response> {
        const Principal& p = *c.principal;
        json::array perms;
        for (P perm : kAllPermissions) {
          if (RoleAllows(p.role, perm)) perms.emplace_back(PermissionName(perm));
        }
        json::object o{{"user", UserJson(p.user)},
                       {"organisation",
                        json::object{{"id", p.user.org_id}, {"name", h.OrgName(p.user.org_id)}}},
                       {"role", RoleName(p.role)},
                       {"permissions", std::move(perms)}};
        return JsonResponse(o);
      });
  add("GET", "/api/v1/labels", P::kSelf, [this](const RouteContext&) -> Result<Response> {
    VIGIL_ASSIGN_OR_RETURN(auto labels,
                           WithStore([](store::Store& st) { return st.ListLabels(); }));
    json::array a;
    for (const auto& l : labels) {
      a.push_back(json::object{{"name", l.name},
                               {"dimension", store::LabelDimensionName(l.dimension)},
                               {"description", l.description}});
    }
    return JsonResponse(json::object{{"labels", std::move(a)}});
  });
  // The platform registry (server/platforms_api.h), for the console's registry page.
  AddPlatformRoutes(router_);

  // --- users and tokens (admin) -------------------------------------------------------
  add("POST", "/api/v1/users", P::kUserAdmin, [this](const RouteContext& c) -> Result<Response> {
    VIGIL_ASSIGN_OR_RETURN(json::object body, ParseObject(c.request.body));
    store::User u;
    VIGIL_ASSIGN_OR_RETURN(u.name, RequireString(body, "name"));
    VIGIL_ASSIGN_OR_RETURN(u.email, OptString(body, "email"));
    VIGIL_ASSIGN_OR_RETURN(u.role, RequireString(body, "role"));
    VIGIL_RETURN_IF_ERROR(ParseRole(u.role).status());
    u.org_id = c.principal->user.org_id;
    VIGIL_ASSIGN_OR_RETURN(store::User created, WithStore([&](store::Store& st) {
                             return st.CreateUser(c.principal->actor(), u);
                           }));
    return JsonResponse(UserJson(created), 201);
  });
  add("GET", "/api/v1/users/{name}", P::kUserAdmin,
      [&h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(store::User u, h.OwnUser(c.Param("name"), *c.principal));
        return JsonResponse(UserJson(u));
      });
  add("POST", "/api/v1/users/{name}/tokens", P::kUserAdmin,
      [this, &h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(store::User u, h.OwnUser(c.Param("name"), *c.principal));
        json::object body;
        if (!c.request.body.empty()) {
          VIGIL_ASSIGN_OR_RETURN(body, ParseObject(c.request.body));
        }
        VIGIL_ASSIGN_OR_RETURN(std::string name, OptString(body, "name", "api"));
        VIGIL_ASSIGN_OR_RETURN(int64_t expires, OptInt(body, "expires_ms", 0));
        VIGIL_ASSIGN_OR_RETURN(store::NewApiToken t, WithStore([&](store::Store& st) {
                                 return st.CreateApiToken(c.principal->actor(), u.id, name,
                                                          expires);
                               }));
        return JsonResponse(json::object{{"token", TokenJson(t.token)}, {"secret", t.secret}}, 201);
      });
  add("GET", "/api/v1/users/{name}/tokens", P::kUserAdmin,
      [this, &h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(store::User u, h.OwnUser(c.Param("name"), *c.principal));
        VIGIL_ASSIGN_OR_RETURN(auto tokens,
                               WithStore([&](store::Store& st) { return st.ListApiTokens(u.id); }));
        json::array a;
        for (const auto& t : tokens) a.push_back(TokenJson(t));
        return JsonResponse(json::object{{"tokens", std::move(a)}});
      });
  add("DELETE", "/api/v1/users/{name}/tokens/{id}", P::kUserAdmin,
      [this, &h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(store::User u, h.OwnUser(c.Param("name"), *c.principal));
        VIGIL_ASSIGN_OR_RETURN(int64_t id, ParseInt(c.Param("id"), "token id"));
        Status st = WithStore([&](store::Store& s) -> Status {
          VIGIL_ASSIGN_OR_RETURN(auto tokens, s.ListApiTokens(u.id));
          bool mine = std::any_of(tokens.begin(), tokens.end(),
                                  [&](const store::ApiToken& t) { return t.id == id; });
          if (!mine) return Status::NotFound("token " + c.Param("id") + " not found");
          return s.RevokeApiToken(c.principal->actor(), id);
        });
        VIGIL_RETURN_IF_ERROR(st);
        token_cache_.Clear();
        return JsonResponse(json::object{{"revoked", id}});
      });

  // --- hashing and matching -------------------------------------------------------------
  add("POST", "/api/v1/hash", P::kHash,
      [&h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(auto hashed, h.HashUpload(c.request));
        return JsonResponse(json::object{{"media", Handlers::MediaJson(hashed)},
                                         {"signals", Handlers::SignalsJson(hashed.signals)}});
      });
  add("POST", "/api/v1/match", P::kMatch,
      [&h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(json::object body, ParseObject(c.request.body));
        VIGIL_ASSIGN_OR_RETURN(
            int64_t max_distance,
            OptInt(body, "max_distance", h.s_.options_.default_pdq_max_distance));
        if (max_distance < 0 || max_distance > kMaxPdqDistance) {
          return Status::InvalidArgument("'max_distance' must be in [0, 64]");
        }
        VIGIL_ASSIGN_OR_RETURN(const json::array* sigs, OptArray(body, "signals"));
        if (sigs->empty())
          return Status::InvalidArgument("'signals' must list at least one signal");
        if (sigs->size() > kMaxSignalsPerMatchRequest) {
          return Status::InvalidArgument("at most 1000 signals per match request");
        }
        VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> bank_names, StringList(body, "banks"));
        std::vector<int64_t> only;
        for (const auto& n : bank_names) {
          VIGIL_ASSIGN_OR_RETURN(store::Bank b, h.ReadableBank(n, *c.principal));
          only.push_back(b.id);
        }
        json::array results;
        for (const auto& v : *sigs) {
          if (!v.is_object()) return Status::InvalidArgument("each signal must be an object");
          VIGIL_ASSIGN_OR_RETURN(std::string type_name, RequireString(v.as_object(), "type"));
          VIGIL_ASSIGN_OR_RETURN(std::string value, RequireString(v.as_object(), "value"));
          VIGIL_ASSIGN_OR_RETURN(SignalType type, store::ParseSignalType(type_name));
          VIGIL_ASSIGN_OR_RETURN(std::string canon, store::CanonicalSignalValue(type, value));
          json::array matches;
          for (const auto& hit :
               h.MatchOne({type, canon}, static_cast<int>(max_distance), *c.principal, only)) {
            matches.push_back(h.ProvenanceJson(hit.info, hit.distance));
          }
          results.push_back(json::object{{"type", store::SignalTypeName(type)},
                                         {"value", canon},
                                         {"matches", std::move(matches)}});
        }
        return JsonResponse(json::object{{"results", std::move(results)}});
      });
  auto media_match = [&h = *handlers_](const RouteContext& c,
                                       bool allow_record) -> Result<Response> {
    VIGIL_ASSIGN_OR_RETURN(int max_distance, h.MaxDistance(c.request));
    VIGIL_ASSIGN_OR_RETURN(bool record, QueryBool(c.request, "record"));
    VIGIL_ASSIGN_OR_RETURN(int64_t reach, QueryInt(c.request, "reach", 0, 0, int64_t{1} << 50));
    if (record && !allow_record) {
      return Status::InvalidArgument("'record' is only accepted by /api/v1/hash-and-match");
    }
    if (record && !RoleAllows(c.principal->role, P::kItemSubmit)) {
      return Status::PermissionDenied("role '" + std::string(RoleName(c.principal->role)) +
                                      "' may not record items");
    }
    VIGIL_ASSIGN_OR_RETURN(auto hashed, h.HashUpload(c.request));
    json::object out{{"media", Handlers::MediaJson(hashed)},
                     {"signals", Handlers::SignalsJson(hashed.signals)}};
    if (record) {
      Handlers::Submission sub;
      sub.url = QueryString(c.request, "url");
      sub.account = QueryString(c.request, "account");
      sub.reach = reach;
      Handlers::ItemMedia m;
      m.kind = hashed.kind;
      m.sha256 = hashed.hashes.sha256;
      m.signals = hashed.signals;
      sub.media.push_back(std::move(m));
      VIGIL_ASSIGN_OR_RETURN(json::object r, h.Submit(sub, max_distance, *c.principal));
      for (auto& [k, v] : r) out[k] = std::move(v);
      return JsonResponse(out, 201);
    }
    json::array matches;
    for (const auto& q : hashed.signals) {
      for (const auto& hit : h.MatchOne(q, max_distance, *c.principal, {})) {
        matches.push_back(h.ProvenanceJson(hit.info, hit.distance));
      }
    }
    out["matches"] = std::move(matches);
    return JsonResponse(out);
  };
  add("POST", "/api/v1/match/media", P::kMatch,
      [media_match](const RouteContext& c) { return media_match(c, false); });
  add("POST", "/api/v1/hash-and-match", P::kMatch,
      [media_match](const RouteContext& c) { return media_match(c, true); });

  // --- scale-out (`serve --nats`, server/work_queue.h) --------------------------------
  // Uploads that need no answer now go to the workers: 202 and a work key, polled with
  // GET /api/v1/work/{key}. /api/v1/match and /api/v1/hash-and-match stay inline: their
  // callers wait on the HTTP answer, and a queue round trip would only add latency.
  // Keys are "api-<org id>-<random>": the org scopes who may read the result.
  auto need_queue = [this]() -> Result<WorkQueue*> {
    if (!options_.work_queue) {
      return Status::FailedPrecondition(
          "this server runs without --nats: no work queue (use "
          "/api/v1/hash-and-match?record=true)");
    }
    return options_.work_queue.get();
  };
  add("POST", "/api/v1/work", P::kItemSubmit,
      [need_queue](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(WorkQueue * q, need_queue());
        const Principal& p = *c.principal;
        worker::WorkItem w;
        VIGIL_ASSIGN_OR_RETURN(std::string rnd, store::RandomBytes(16));
        w.key = "api-" + std::to_string(p.user.org_id) + "-" + store::Sha256Hex(rnd).substr(0, 32);
        w.source = "api:" + p.user.name;
        w.url = QueryString(c.request, "url");
        w.account = QueryString(c.request, "account");
        worker::WorkMedia m;
        std::string fetch = QueryString(c.request, "media_url");
        std::string_view media = c.request.body;
        if (c.request.content_type.rfind("multipart/", 0) == 0) {
          VIGIL_ASSIGN_OR_RETURN(media, MultipartMedia(c.request.body, c.request.content_type));
        }
        if (!fetch.empty()) {
          if (!media.empty()) {
            return Status::InvalidArgument("send the media or 'media_url', not both");
          }
          m.fetch = m.uri = fetch;
          m.kind = "image";
        } else {
          if (media.empty()) {
            return Status::InvalidArgument(
                "no media: send the file as the body, a multipart part, or ?media_url=");
          }
          if (media.size() > worker::kMaxInlineMediaBytes) {
            return Status::ResourceExhausted(
                "work uploads are at most " + std::to_string(worker::kMaxInlineMediaBytes) +
                " bytes (one queue message); use /api/v1/hash-and-match for larger files");
          }
          auto span = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(media.data()),
                                               media.size());
          m.kind = media::SniffFormat(span) != media::ImageFormat::kUnknown ? "image" : "file";
          m.data.assign(media.data(), media.size());
        }
        w.media.push_back(std::move(m));
        VIGIL_RETURN_IF_ERROR(q->Publish(w));
        Response r = JsonResponse(
            json::object{
                {"work_key", w.key}, {"status", "pending"}, {"location", "/api/v1/work/" + w.key}},
            202);
        r.headers.emplace_back("Location", "/api/v1/work/" + w.key);
        return r;
      });
  add("GET", "/api/v1/work/{key}", P::kItemRead,
      [this, &h = *handlers_](const RouteContext& c) -> Result<Response> {
        const std::string key = c.Param("key");
        const std::string mine = "api-" + std::to_string(c.principal->user.org_id) + "-";
        if (key.rfind(mine, 0) != 0 || key.size() > worker::kMaxWorkKeyBytes) {
          return Status::NotFound("work '" + key + "' not found");
        }
        auto w = WithStore([&](store::Store& st) { return st.GetWork(key); });
        if (!w.ok()) {
          if (w.status().code() != StatusCode::kNotFound) return w.status();
          // Not in the ledger yet: queued, in flight, or (after max_deliver failures) in
          // the dead letters.
          return JsonResponse(json::object{{"work_key", key}, {"status", "pending"}});
        }
        VIGIL_ASSIGN_OR_RETURN(json::array matches, h.ItemMatchesJson(w->item_id, *c.principal));
        return JsonResponse(json::object{{"work_key", key},
                                         {"status", "done"},
                                         {"item_id", w->item_id},
                                         {"worker", w->worker},
                                         {"done_ms", w->done_ms},
                                         {"matches", std::move(matches)}});
      });
  add("GET", "/api/v1/queue", P::kItemRead,
      [this, need_queue](const RouteContext&) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(WorkQueue * q, need_queue());
        VIGIL_ASSIGN_OR_RETURN(QueueFigures f, q->Figures());
        auto reports = WithStore([](store::Store& st) { return st.ListWorkerReports(); });
        json::array workers;
        const int64_t now = options_.now_ms();
        if (reports.ok()) {
          for (const auto& r : *reports) {
            workers.push_back(json::object{{"name", r.name},
                                           {"processed", r.processed},
                                           {"duplicates", r.duplicates},
                                           {"matches", r.matches},
                                           {"dead", r.dead},
                                           {"rate", static_cast<double>(r.rate_milli) / 1000.0},
                                           {"bank_versions", r.bank_versions},
                                           {"started_ms", r.started_ms},
                                           {"last_seen_ms", r.last_seen_ms},
                                           {"seconds_since_seen", (now - r.last_seen_ms) / 1000}});
          }
        }
        return JsonResponse(json::object{{"stream", f.stream},
                                         {"leader", f.leader},
                                         {"depth", f.pending},
                                         {"stream_messages", f.stream_messages},
                                         {"in_flight", f.ack_pending},
                                         {"redelivered", f.redelivered},
                                         {"dead_letters", f.dead},
                                         {"workers", std::move(workers)}});
      });

  // --- banks ------------------------------------------------------------------------
  add("GET", "/api/v1/banks", P::kBankRead,
      [this, &h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(auto banks,
                               WithStore([](store::Store& st) { return st.ListBanks(); }));
        json::array a;
        for (const auto& b : banks) {
          h.CacheBank(b);
          if (store::Store::OrgCanRead(b, c.principal->user.org_id)) {
            a.push_back(h.BankJson(b, *c.principal));
          }
        }
        return JsonResponse(json::object{{"banks", std::move(a)}});
      });
  auto sharing_from = [this](const json::object& body, store::SharingScope* scope,
                             std::vector<int64_t>* shared) -> Status {
    if (auto* v = body.if_contains("scope"); v && !v->is_null()) {
      if (!v->is_string()) return Status::InvalidArgument("'scope' must be a string");
      VIGIL_ASSIGN_OR_RETURN(*scope, store::ParseSharingScope(v->as_string()));
    }
    if (body.contains("shared_with")) {
      VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> names, StringList(body, "shared_with"));
      shared->clear();
      for (const auto& n : names) {
        auto org = WithStore([&](store::Store& st) { return st.FindOrganisation(n); });
        if (!org.ok()) return Status::InvalidArgument("unknown organisation '" + n + "'");
        shared->push_back(org->id);
      }
    }
    return Status::OK();
  };
  add("POST", "/api/v1/banks", P::kBankWrite,
      [this, &h = *handlers_, sharing_from](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(json::object body, ParseObject(c.request.body));
        store::Bank b;
        VIGIL_ASSIGN_OR_RETURN(b.name, RequireString(body, "name"));
        VIGIL_ASSIGN_OR_RETURN(b.description, OptString(body, "description"));
        VIGIL_RETURN_IF_ERROR(sharing_from(body, &b.scope, &b.shared_with));
        b.owner_org_id = c.principal->user.org_id;
        VIGIL_ASSIGN_OR_RETURN(store::Bank created, WithStore([&](store::Store& st) {
                                 return st.CreateBank(c.principal->actor(), b);
                               }));
        h.CacheBank(created);
        return JsonResponse(h.BankJson(created, *c.principal), 201);
      });
  add("GET", "/api/v1/banks/{name}", P::kBankRead,
      [this, &h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(store::Bank b, h.ReadableBank(c.Param("name"), *c.principal));
        VIGIL_ASSIGN_OR_RETURN(store::BankStats stats,
                               WithStore([&](store::Store& st) { return st.GetBankStats(b.id); }));
        json::object o = h.BankJson(b, *c.principal);
        json::object by_type, by_label;
        for (const auto& [t, n] : stats.live_by_type) by_type[store::SignalTypeName(t)] = n;
        for (const auto& [l, n] : stats.live_by_label) by_label[l] = n;
        o["stats"] = json::object{{"live", stats.live},
                                  {"removed", stats.removed},
                                  {"live_by_type", std::move(by_type)},
                                  {"live_by_label", std::move(by_label)}};
        return JsonResponse(o);
      });
  add("PATCH", "/api/v1/banks/{name}", P::kBankWrite,
      [this, &h = *handlers_, sharing_from](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(store::Bank b, h.WritableBank(c.Param("name"), *c.principal));
        VIGIL_ASSIGN_OR_RETURN(json::object body, ParseObject(c.request.body));
        VIGIL_RETURN_IF_ERROR(sharing_from(body, &b.scope, &b.shared_with));
        VIGIL_ASSIGN_OR_RETURN(b.description, OptString(body, "description", b.description));
        VIGIL_ASSIGN_OR_RETURN(
            store::Bank updated, WithStore([&](store::Store& st) -> Result<store::Bank> {
              VIGIL_RETURN_IF_ERROR(st.UpdateBankSharing(c.principal->actor(), b.id, b.scope,
                                                         b.shared_with, b.description));
              return st.GetBank(b.id);
            }));
        h.CacheBank(updated);
        return JsonResponse(h.BankJson(updated, *c.principal));
      });
  add("GET", "/api/v1/banks/{name}/signals", P::kBankRead,
      [this, &h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(store::Bank b, h.ReadableBank(c.Param("name"), *c.principal));
        store::SignalQuery q;
        VIGIL_ASSIGN_OR_RETURN(q.since_version,
                               QueryInt(c.request, "since_version", 0, 0, INT64_MAX));
        VIGIL_ASSIGN_OR_RETURN(q.limit,
                               QueryInt(c.request, "limit", kMaxPageSize, 1, kMaxSignalExportPage));
        VIGIL_ASSIGN_OR_RETURN(q.include_removed, QueryBool(c.request, "include_removed"));
        if (auto t = QueryString(c.request, "type"); !t.empty()) {
          VIGIL_ASSIGN_OR_RETURN(q.type, store::ParseSignalType(t));
        }
        if (auto l = QueryString(c.request, "label"); !l.empty()) {
          VIGIL_ASSIGN_OR_RETURN(q.label, store::CanonicalLabel(l));
        }
        json::array a;
        VIGIL_RETURN_IF_ERROR(WithStore([&](store::Store& st) {
          return st.ForEachSignal(b.id, q, [&](const store::Signal& s) {
            a.push_back(SignalJson(s));
            return true;
          });
        }));
        return JsonResponse(
            json::object{{"bank", b.name}, {"version", b.version}, {"signals", std::move(a)}});
      });
  auto parse_signals = [](const json::object& body,
                          bool full) -> Result<std::vector<store::SignalInput>> {
    VIGIL_ASSIGN_OR_RETURN(const json::array* arr, OptArray(body, "signals"));
    if (arr->empty()) return Status::InvalidArgument("'signals' must list at least one signal");
    if (arr->size() > kMaxSignalsPerBankChange) {
      return Status::InvalidArgument("at most 100000 signals per request; split it");
    }
    std::vector<store::SignalInput> out;
    for (const auto& v : *arr) {
      if (!v.is_object()) return Status::InvalidArgument("each signal must be an object");
      const auto& o = v.as_object();
      store::SignalInput in;
      VIGIL_ASSIGN_OR_RETURN(std::string type_name, RequireString(o, "type"));
      VIGIL_ASSIGN_OR_RETURN(in.type, store::ParseSignalType(type_name));
      VIGIL_ASSIGN_OR_RETURN(std::string value, RequireString(o, "value"));
      VIGIL_ASSIGN_OR_RETURN(in.value, store::CanonicalSignalValue(in.type, value));
      if (full) {
        VIGIL_ASSIGN_OR_RETURN(int64_t quality, OptInt(o, "quality", -1));
        if (quality < -1 || quality > 100) {
          return Status::InvalidArgument("'quality' must be in [0, 100]");
        }
        in.quality = static_cast<int>(quality);
        VIGIL_ASSIGN_OR_RETURN(auto labels, StringList(o, "labels"));
        VIGIL_ASSIGN_OR_RETURN(in.labels, CanonicalLabels(labels));
        VIGIL_ASSIGN_OR_RETURN(in.source_exchange, OptString(o, "source_exchange"));
      }
      out.push_back(std::move(in));
    }
    return out;
  };
  add("POST", "/api/v1/banks/{name}/signals", P::kBankWrite,
      [this, &h = *handlers_, parse_signals](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(store::Bank b, h.WritableBank(c.Param("name"), *c.principal));
        VIGIL_ASSIGN_OR_RETURN(json::object body, ParseObject(c.request.body));
        VIGIL_ASSIGN_OR_RETURN(auto inputs, parse_signals(body, true));
        VIGIL_ASSIGN_OR_RETURN(store::AddSignalsResult r,
                               WithStore([&](store::Store& st) -> Result<store::AddSignalsResult> {
                                 VIGIL_ASSIGN_OR_RETURN(
                                     auto res, st.AddSignals(c.principal->actor(), b.id, inputs,
                                                             c.principal->user.org_id));
                                 VIGIL_RETURN_IF_ERROR(matcher_.RefreshBank(st, b.id));
                                 return res;
                               }));
        AnnounceBankChange(b.id);
        return JsonResponse(json::object{{"added", r.added},
                                         {"merged", r.merged},
                                         {"unchanged", r.unchanged},
                                         {"version", r.version}});
      });
  add("POST", "/api/v1/banks/{name}/signals/remove", P::kBankWrite,
      [this, &h = *handlers_, parse_signals](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(store::Bank b, h.WritableBank(c.Param("name"), *c.principal));
        VIGIL_ASSIGN_OR_RETURN(json::object body, ParseObject(c.request.body));
        VIGIL_ASSIGN_OR_RETURN(auto inputs, parse_signals(body, false));
        std::vector<store::MediaSignal> sigs;
        for (auto& in : inputs) sigs.push_back({in.type, std::move(in.value), -1});
        VIGIL_ASSIGN_OR_RETURN(int64_t removed, WithStore([&](store::Store& st) -> Result<int64_t> {
                                 VIGIL_ASSIGN_OR_RETURN(
                                     int64_t n, st.RemoveSignals(c.principal->actor(), b.id, sigs));
                                 VIGIL_RETURN_IF_ERROR(matcher_.RefreshBank(st, b.id));
                                 return n;
                               }));
        AnnounceBankChange(b.id);
        return JsonResponse(json::object{{"removed", removed}});
      });
  // Reversal (reversal_api.h): the maintainer marks a signal reversed; platforms that acted
  // on referrals of it are told.
  add("POST", "/api/v1/banks/{name}/signals/reverse", P::kBankWrite,
      [this, &h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(store::Bank b, h.WritableBank(c.Param("name"), *c.principal));
        return referrals_->ReverseBankSignal(c, b.name);
      });

  add("GET", "/api/v1/banks/{name}/export", P::kBankRead,
      [this, &h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(store::Bank b, h.ReadableBank(c.Param("name"), *c.principal));
        std::string fmt_name = QueryString(c.request, "format");
        VIGIL_ASSIGN_OR_RETURN(formats::Format fmt,
                               formats::ParseFormat(fmt_name.empty() ? "jsonl" : fmt_name));
        formats::ExportInfo info;
        info.bank_name = b.name;
        info.producer = h.OrgName(b.owner_org_id);
        VIGIL_ASSIGN_OR_RETURN(info.since_version,
                               QueryInt(c.request, "since_version", 0, 0, INT64_MAX));
        info.bank_version = b.version;
        info.now_ms = options_.now_ms();
        if (auto tlp = QueryString(c.request, "tlp"); !tlp.empty()) info.tlp = tlp;
        std::ostringstream out;
        VIGIL_ASSIGN_OR_RETURN(auto writer, formats::MakeWriter(fmt, info, out));
        store::SignalQuery q;
        q.since_version = info.since_version;
        q.include_removed = info.since_version > 0;
        VIGIL_RETURN_IF_ERROR(WithStore([&](store::Store& st) {
          return st.ForEachSignal(b.id, q, [&](const store::Signal& s) {
            writer->Write(s);
            return true;
          });
        }));
        VIGIL_RETURN_IF_ERROR(writer->Finish());
        Response r;
        r.content_type = fmt == formats::Format::kStix    ? "application/json"
                         : fmt == formats::Format::kTeCsv ? "text/csv; charset=utf-8"
                         : fmt == formats::Format::kPlain ? "text/plain; charset=utf-8"
                                                          : "application/x-ndjson";
        r.body = out.str();
        r.headers.emplace_back("X-Vigil-Written", std::to_string(writer->written()));
        r.headers.emplace_back("X-Vigil-Omitted", std::to_string(writer->omitted()));
        return r;
      });
  add("POST", "/api/v1/banks/{name}/import", P::kBankWrite,
      [this, &h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(store::Bank b, h.WritableBank(c.Param("name"), *c.principal));
        std::string fmt_name = QueryString(c.request, "format");
        VIGIL_ASSIGN_OR_RETURN(formats::Format fmt,
                               formats::ParseFormat(fmt_name.empty() ? "jsonl" : fmt_name));
        formats::ParseOptions po;
        if (auto t = QueryString(c.request, "type"); !t.empty()) {
          VIGIL_ASSIGN_OR_RETURN(po.default_type, store::ParseSignalType(t));
        }
        po.source_exchange = "api:" + c.principal->user.name;
        VIGIL_ASSIGN_OR_RETURN(bool skip_invalid, QueryBool(c.request, "skip_invalid"));
        VIGIL_ASSIGN_OR_RETURN(formats::Parsed parsed,
                               formats::ParseSignals(fmt, c.request.body, po));
        if (parsed.issue_count > 0 && !skip_invalid) {
          const auto& first = parsed.issues.front();
          return Status::InvalidArgument(std::to_string(parsed.issue_count) +
                                         " invalid record(s), nothing imported; first: " +
                                         "record " + std::to_string(first.line) + ": " +
                                         first.message + " (skip_invalid=true imports the rest)");
        }
        std::vector<store::SignalInput> adds;
        std::vector<store::MediaSignal> removes;
        for (auto& rec : parsed.records) {
          if (rec.removed) {
            removes.push_back({rec.signal.type, rec.signal.value, -1});
          } else {
            adds.push_back(std::move(rec.signal));
          }
        }
        if (adds.size() + removes.size() > kMaxSignalsPerBankChange) {
          return Status::InvalidArgument("at most 100000 signals per import request; split it");
        }
        store::ChangeResult added;
        // One bank version, all or nothing: adds and removals in one transaction.
        VIGIL_RETURN_IF_ERROR(WithStore([&](store::Store& st) -> Status {
          if (!adds.empty() || !removes.empty()) {
            VIGIL_ASSIGN_OR_RETURN(added, st.ApplySignalChanges(c.principal->actor(), b.id, adds,
                                                                removes, c.principal->user.org_id));
          }
          return matcher_.RefreshBank(st, b.id);
        }));
        AnnounceBankChange(b.id);
        json::array issues;
        for (const auto& i : parsed.issues) {
          issues.push_back(json::object{{"record", i.line}, {"message", i.message}});
        }
        return JsonResponse(json::object{{"added", added.added},
                                         {"merged", added.merged},
                                         {"unchanged", added.unchanged},
                                         {"removed", added.removed},
                                         {"skipped", parsed.skipped},
                                         {"invalid", parsed.issue_count},
                                         {"issues", std::move(issues)}});
      });

  // --- items ------------------------------------------------------------------------
  add("POST", "/api/v1/items", P::kItemSubmit,
      [&h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(json::object body, ParseObject(c.request.body));
        Handlers::Submission sub;
        VIGIL_ASSIGN_OR_RETURN(sub.source, OptString(body, "source"));
        VIGIL_ASSIGN_OR_RETURN(sub.url, OptString(body, "url"));
        VIGIL_ASSIGN_OR_RETURN(sub.account, OptString(body, "account"));
        VIGIL_ASSIGN_OR_RETURN(sub.language, OptString(body, "language"));
        VIGIL_ASSIGN_OR_RETURN(sub.posted_ms, OptInt(body, "posted_ms", 0));
        VIGIL_ASSIGN_OR_RETURN(sub.reach, OptInt(body, "reach", 0));
        if (sub.reach < 0) return Status::InvalidArgument("'reach' must not be negative");
        VIGIL_ASSIGN_OR_RETURN(
            int64_t max_distance,
            OptInt(body, "max_distance", h.s_.options_.default_pdq_max_distance));
        if (max_distance < 0 || max_distance > kMaxPdqDistance) {
          return Status::InvalidArgument("'max_distance' must be in [0, 64]");
        }
        VIGIL_ASSIGN_OR_RETURN(const json::array* media, OptArray(body, "media"));
        if (media->empty()) return Status::InvalidArgument("'media' must list at least one medium");
        size_t total = 0;
        for (const auto& mv : *media) {
          if (!mv.is_object()) return Status::InvalidArgument("each medium must be an object");
          const auto& mo = mv.as_object();
          Handlers::ItemMedia m;
          VIGIL_ASSIGN_OR_RETURN(m.kind, OptString(mo, "kind", "image"));
          VIGIL_ASSIGN_OR_RETURN(m.uri, OptString(mo, "uri"));
          VIGIL_ASSIGN_OR_RETURN(m.sha256, OptString(mo, "sha256"));
          VIGIL_ASSIGN_OR_RETURN(const json::array* sigs, OptArray(mo, "signals"));
          for (const auto& sv : *sigs) {
            if (!sv.is_object()) return Status::InvalidArgument("each signal must be an object");
            VIGIL_ASSIGN_OR_RETURN(std::string tn, RequireString(sv.as_object(), "type"));
            VIGIL_ASSIGN_OR_RETURN(std::string value, RequireString(sv.as_object(), "value"));
            VIGIL_ASSIGN_OR_RETURN(int64_t quality, OptInt(sv.as_object(), "quality", -1));
            VIGIL_ASSIGN_OR_RETURN(SignalType type, store::ParseSignalType(tn));
            VIGIL_ASSIGN_OR_RETURN(std::string canon, store::CanonicalSignalValue(type, value));
            m.signals.push_back(
                {type, std::move(canon), static_cast<int>(std::clamp<int64_t>(quality, -1, 100))});
            if (++total > kMaxSignalsPerMatchRequest) {
              return Status::InvalidArgument("at most 1000 signals per item");
            }
          }
          sub.media.push_back(std::move(m));
        }
        VIGIL_ASSIGN_OR_RETURN(json::object out,
                               h.Submit(sub, static_cast<int>(max_distance), *c.principal));
        return JsonResponse(out, 201);
      });
  add("GET", "/api/v1/items/{id}", P::kItemRead,
      [&h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(int64_t id, h.OwnItem(c.Param("id"), *c.principal));
        VIGIL_ASSIGN_OR_RETURN(json::object o, h.ItemJson(id, *c.principal));
        return JsonResponse(o);
      });
  add("GET", "/api/v1/items/{id}/matches", P::kItemRead,
      [&h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(int64_t id, h.OwnItem(c.Param("id"), *c.principal));
        VIGIL_ASSIGN_OR_RETURN(json::array a, h.ItemMatchesJson(id, *c.principal));
        return JsonResponse(json::object{{"item_id", id}, {"matches", std::move(a)}});
      });

  // --- review -----------------------------------------------------------------------
  add("GET", "/api/v1/review/next", P::kReview,
      [this, &h = *handlers_](const RouteContext& c) -> Result<Response> {
        const Principal& p = *c.principal;
        auto next = queue_.Next(p.user.org_id, RoleAllows(p.role, P::kReviewEscalated), p.user.id,
                                options_.now_ms());
        if (!next) return JsonResponse(json::object{{"entry", nullptr}});
        json::object e = EntryJson(*next);
        VIGIL_ASSIGN_OR_RETURN(json::object item, h.ItemJson(next->item_id, p));
        e["item"] = std::move(item);
        return JsonResponse(json::object{{"entry", std::move(e)}});
      });
  add("GET", "/api/v1/review/queue", P::kReview, [this](const RouteContext& c) -> Result<Response> {
    std::string state_name = QueryString(c.request, "state");
    VIGIL_ASSIGN_OR_RETURN(ReviewState state,
                           ParseReviewState(state_name.empty() ? "pending" : state_name));
    if (state == ReviewState::kEscalated && !RoleAllows(c.principal->role, P::kReviewEscalated)) {
      return Status::PermissionDenied("only supervisors see escalated items");
    }
    VIGIL_ASSIGN_OR_RETURN(int64_t limit,
                           QueryInt(c.request, "limit", kDefaultPageSize, 1, kMaxPageSize));
    json::array a;
    for (const auto& q : queue_.List(c.principal->user.org_id, state, static_cast<size_t>(limit))) {
      a.push_back(EntryJson(q));
    }
    return JsonResponse(json::object{{"entries", std::move(a)}});
  });
  add("POST", "/api/v1/review/items/{id}/decision", P::kReview,
      [this, &h = *handlers_](const RouteContext& c) -> Result<Response> {
        const Principal& p = *c.principal;
        VIGIL_ASSIGN_OR_RETURN(int64_t id, h.OwnItem(c.Param("id"), p));
        auto entry = queue_.Get(id);
        if (!entry || !entry->queued) {
          return Status::FailedPrecondition("item " + c.Param("id") +
                                            " is not in the review queue");
        }
        VIGIL_ASSIGN_OR_RETURN(json::object body, ParseObject(c.request.body));
        VIGIL_ASSIGN_OR_RETURN(std::string decision, RequireString(body, "decision"));
        VIGIL_ASSIGN_OR_RETURN(auto labels_in, StringList(body, "labels"));
        VIGIL_ASSIGN_OR_RETURN(auto labels, CanonicalLabels(labels_in));
        VIGIL_ASSIGN_OR_RETURN(int64_t tier, OptInt(body, "tier", entry->severity_tier));
        VIGIL_ASSIGN_OR_RETURN(std::string note, OptString(body, "note"));
        if (tier < 1 || tier > 4) return Status::InvalidArgument("'tier' must be in [1, 4]");
        ReviewState next;
        if (decision == "confirm") {
          next = ReviewState::kConfirmed;
        } else if (decision == "reject") {
          next = ReviewState::kRejected;
        } else if (decision == "escalate") {
          next = ReviewState::kEscalated;
          labels = store::MergeLabels(labels, {"severity:threat-to-life"});
          tier = 4;
        } else {
          return Status::InvalidArgument("'decision' must be confirm, reject or escalate");
        }
        bool open = entry->state == ReviewState::kPending ||
                    (entry->state == ReviewState::kEscalated &&
                     RoleAllows(p.role, P::kReviewEscalated) && next != ReviewState::kEscalated);
        if (!open) {
          return Status::FailedPrecondition("item " + c.Param("id") + " is already " +
                                            std::string(ReviewStateName(entry->state)));
        }
        json::object details{{"org_id", p.user.org_id},
                             {"state", ReviewStateName(next)},
                             {"decision", decision},
                             {"labels", ToJson(labels)},
                             {"tier", tier},
                             {"note", note}};
        std::string target = "item:" + std::to_string(id);
        VIGIL_ASSIGN_OR_RETURN(
            store::AuditEntry audit, WithStore([&](store::Store& st) -> Result<store::AuditEntry> {
              if (next == ReviewState::kRejected) {
                // A false positive is recorded against each matched signal's provenance, so
                // the contributing organisation can see which of its hashes misfire.
                for (int64_t sid : entry->signal_ids) {
                  auto info = matcher_.Get(sid);
                  json::object fp{{"item_id", id}, {"org_id", p.user.org_id}};
                  if (info) {
                    fp["bank_id"] = info->bank_id;
                    fp["contributor_org_id"] = info->contributor_org_id;
                  }
                  VIGIL_ASSIGN_OR_RETURN(
                      store::AuditEntry e,
                      st.AppendAudit(p.actor(), "signal.false_positive",
                                     "signal:" + std::to_string(sid), "", "", json::serialize(fp)));
                  queue_.Apply(e);
                }
              }
              return st.AppendAudit(p.actor(), "review.decide", target,
                                    std::string(ReviewStateName(entry->state)),
                                    std::string(ReviewStateName(next)), json::serialize(details));
            }));
        queue_.Apply(audit);
        auto updated = queue_.Get(id);
        return JsonResponse(json::object{{"entry", EntryJson(*updated)}, {"audit_seq", audit.seq}});
      });

  // --- referrals, holds, platforms (referrals_api.cpp) -------------------------------
  referrals_->AddRoutes(router_);
  operations_->AddRoutes(router_);  // operations, statements of reasons

  // --- audit ------------------------------------------------------------------------
  add("GET", "/api/v1/audit", P::kAuditRead,
      [this, &h = *handlers_](const RouteContext& c) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(int64_t after, QueryInt(c.request, "after_seq", 0, 0, INT64_MAX));
        VIGIL_ASSIGN_OR_RETURN(int64_t limit,
                               QueryInt(c.request, "limit", kDefaultPageSize, 1, kMaxPageSize));
        json::array a;
        int64_t last = after;
        int64_t org = c.principal->user.org_id;
        // Entries by users of the caller's organisation only: other tenants' actions stay
        // theirs. (Whole-chain verification is /api/v1/audit/verify.)
        VIGIL_RETURN_IF_ERROR(WithStore([&](store::Store& st) {
          std::unordered_map<std::string, int64_t> actor_orgs;
          return st.ForEachAudit(after, [&](const store::AuditEntry& e) {
            last = e.seq;
            if (h.ActorOrg(e.actor, actor_orgs) == org) a.push_back(AuditJson(e));
            return static_cast<int64_t>(a.size()) < limit;
          });
        }));
        return JsonResponse(json::object{{"entries", std::move(a)}, {"next_after_seq", last}});
      });
  add("GET", "/api/v1/audit/verify", P::kAuditRead,
      [this](const RouteContext&) -> Result<Response> {
        VIGIL_ASSIGN_OR_RETURN(store::AuditReport r,
                               WithStore([](store::Store& st) { return st.VerifyAudit(); }));
        return JsonResponse(json::object{{"ok", r.ok},
                                         {"entries", r.entries},
                                         {"head_hash", r.head_hash},
                                         {"first_bad_seq", r.first_bad_seq},
                                         {"problem", r.problem}});
      });
}

}  // namespace vigil::server
