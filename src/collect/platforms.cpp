#include "collect/platforms.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <set>

#include "collect/json_util.h"
#include "core/file.h"

#ifndef VIGIL_PLATFORMS_FILE
#define VIGIL_PLATFORMS_FILE "data/platforms.json"
#endif

namespace vigil::collect {
namespace {

const std::vector<std::string_view>& ReferralChannels() {
  static const std::vector<std::string_view> k = {"email", "web_form", "api"};
  return k;
}

bool Contains(const std::vector<std::string_view>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Result<std::vector<std::string>> StringList(const boost::json::object& o, std::string_view key,
                                            const std::string& where) {
  std::vector<std::string> out;
  const auto* v = o.if_contains(key);
  if (v == nullptr) return out;
  if (!v->is_array())
    return Status::InvalidArgument(where + ": '" + std::string(key) +
                                   "' must be an array of strings");
  for (const auto& e : v->get_array()) {
    if (!e.is_string()) {
      return Status::InvalidArgument(where + ": '" + std::string(key) +
                                     "' must be an array of strings");
    }
    out.emplace_back(e.get_string());
  }
  return out;
}

// Normalises "Example.COM" or "bücher.example/Path" the way links are normalised, so
// that user files may spell hosts as people do.
Result<std::pair<std::string, std::string>> NormalizePattern(const std::string& pattern) {
  VIGIL_ASSIGN_OR_RETURN(CanonicalUrl u, CanonicalizeUrl("https://" + pattern));
  std::string path = u.path_and_query;
  if (path == "/") path.clear();
  while (!path.empty() && path.back() == '/') path.pop_back();
  return std::make_pair(u.host, path);
}

}  // namespace

const std::vector<std::string_view>& PlatformCategories() {
  static const std::vector<std::string_view> k = {
      "social_network", "video",          "file_sharing",  "archive",    "paste",
      "messenger",      "link_shortener", "cloud_storage", "image_host", "blog",
      "forum",          "audio",          "other"};
  return k;
}

Result<PlatformRegistry> PlatformRegistry::Parse(std::string_view json, std::string_view origin) {
  VIGIL_ASSIGN_OR_RETURN(boost::json::value doc, ParseJson(json, origin));
  const std::string file(origin);
  if (!doc.is_object()) return Status::InvalidArgument(file + ": expected a JSON object");
  const auto* list = GetArray(doc.get_object(), "platforms");
  if (list == nullptr) return Status::InvalidArgument(file + ": no 'platforms' array");
  PlatformRegistry reg;
  std::set<std::string> ids;
  for (size_t i = 0; i < list->size(); ++i) {
    std::string where = file + ": platforms[" + std::to_string(i) + "]";
    if (!(*list)[i].is_object()) return Status::InvalidArgument(where + ": not an object");
    const auto& o = (*list)[i].get_object();
    Platform p;
    p.id = GetString(o, "id");
    if (p.id.empty() || !std::all_of(p.id.begin(), p.id.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        })) {
      return Status::InvalidArgument(where + ": 'id' must be non-empty [a-z0-9-]");
    }
    where += " (" + p.id + ")";
    if (!ids.insert(p.id).second) return Status::InvalidArgument(where + ": duplicate id");
    p.name = GetString(o, "name");
    if (p.name.empty()) return Status::InvalidArgument(where + ": 'name' is required");
    p.operator_name = GetString(o, "operator");
    p.category = GetString(o, "category");
    if (!Contains(PlatformCategories(), p.category)) {
      return Status::InvalidArgument(where + ": unknown category '" + p.category + "'");
    }
    VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> domains, StringList(o, "domains", where));
    VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> patterns, StringList(o, "url_patterns", where));
    VIGIL_ASSIGN_OR_RETURN(p.referral, StringList(o, "referral", where));
    for (const auto& r : p.referral) {
      if (!Contains(ReferralChannels(), r)) {
        return Status::InvalidArgument(where + ": unknown referral channel '" + r + "'");
      }
    }
    if (domains.empty() && patterns.empty()) {
      return Status::InvalidArgument(where + ": needs 'domains' or 'url_patterns'");
    }
    for (const auto& d : domains) {
      auto n = NormalizePattern(d);
      if (!n.ok() || !n->second.empty()) {
        return Status::InvalidArgument(where + ": bad domain '" + d + "'");
      }
      p.domains.push_back(n->first);
    }
    for (const auto& pat : patterns) {
      auto n = NormalizePattern(pat);
      if (!n.ok()) return Status::InvalidArgument(where + ": bad URL pattern '" + pat + "'");
      p.url_patterns.push_back(n->first + n->second);
    }
    const auto* tco = o.if_contains("tco_hosting_service");
    if (tco == nullptr || !tco->is_bool()) {
      return Status::InvalidArgument(where + ": 'tco_hosting_service' must be true or false");
    }
    p.tco_hosting_service = tco->get_bool();
    VIGIL_ASSIGN_OR_RETURN(p.removal_markers, StringList(o, "removal_markers", where));
    p.notes = GetString(o, "notes");
    p.origin = file;
    reg.platforms_.push_back(std::move(p));
  }
  reg.Reindex();
  return reg;
}

Result<PlatformRegistry> PlatformRegistry::LoadFile(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path, kMaxRegistryBytes));
  return Parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path);
}

std::string PlatformRegistry::DefaultPath() {
  const char* env = std::getenv("VIGIL_PLATFORMS");
  return (env != nullptr && *env != '\0') ? std::string(env) : std::string(VIGIL_PLATFORMS_FILE);
}

Result<PlatformRegistry> PlatformRegistry::LoadDefault() { return LoadFile(DefaultPath()); }

void PlatformRegistry::Merge(PlatformRegistry&& other) {
  for (auto& p : other.platforms_) {
    auto it = std::find_if(platforms_.begin(), platforms_.end(),
                           [&](const Platform& q) { return q.id == p.id; });
    if (it != platforms_.end()) {
      *it = std::move(p);
    } else {
      platforms_.push_back(std::move(p));
    }
  }
  other.platforms_.clear();
  other.by_host_.clear();
  Reindex();
}

void PlatformRegistry::Reindex() {
  by_host_.clear();
  for (size_t i = 0; i < platforms_.size(); ++i) {
    for (const auto& d : platforms_[i].domains) by_host_[d].push_back({i, ""});
    for (const auto& pat : platforms_[i].url_patterns) {
      auto slash = pat.find('/');
      by_host_[pat.substr(0, slash)].push_back(
          {i, slash == std::string::npos ? std::string() : pat.substr(slash)});
    }
  }
}

const Platform* PlatformRegistry::Find(std::string_view id) const {
  for (const auto& p : platforms_) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

Attribution PlatformRegistry::Attribute(const CanonicalUrl& url) const {
  if (url.host_is_ip) return {};
  std::string_view pq = url.path_and_query;
  return AttributeHost(url.host, pq.substr(0, pq.find('?')));
}

Attribution PlatformRegistry::AttributeHost(std::string_view host, std::string_view path) const {
  // Walk from the full host to ever shorter parent domains; the first (longest) host with
  // a matching rule wins, and among its rules the longest path prefix.
  std::string_view h = host;
  while (!h.empty()) {
    auto it = by_host_.find(std::string(h));
    if (it != by_host_.end()) {
      const Rule* best = nullptr;
      for (const auto& r : it->second) {
        bool match = r.path_prefix.empty() ||
                     (path.substr(0, r.path_prefix.size()) == r.path_prefix &&
                      (path.size() == r.path_prefix.size() || path[r.path_prefix.size()] == '/'));
        if (match && (best == nullptr || r.path_prefix.size() > best->path_prefix.size())) {
          best = &r;
        }
      }
      if (best != nullptr) {
        return {&platforms_[best->platform], std::string(h) + best->path_prefix};
      }
    }
    auto dot = h.find('.');
    if (dot == std::string_view::npos) break;
    h.remove_prefix(dot + 1);
  }
  return {};
}

}  // namespace vigil::collect
