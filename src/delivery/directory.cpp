#include "delivery/directory.h"

#include <boost/json.hpp>
#include <cstdlib>

#include "core/file.h"
#include "delivery/signature.h"

namespace vigil::delivery {
namespace json = boost::json;

std::string_view ChannelName(Channel c) {
  switch (c) {
    case Channel::kWebhook: return "webhook";
    case Channel::kEmail: return "email";
    case Channel::kPull: return "pull";
    case Channel::kManual: return "manual";
  }
  return "manual";
}

Result<Channel> ParseChannel(std::string_view name) {
  for (Channel c : {Channel::kWebhook, Channel::kEmail, Channel::kPull, Channel::kManual}) {
    if (ChannelName(c) == name) return c;
  }
  return Status::InvalidArgument("unknown delivery channel '" + std::string(name) + "'");
}

Status DeliveryDirectory::Add(PlatformEndpoint e) {
  const std::string who = "platform '" + e.platform_id + "'";
  if (e.platform_id.empty()) return Status::InvalidArgument("delivery entry without an id");
  if (e.channel == Channel::kWebhook) {
    if (e.url.rfind("http://", 0) != 0 && e.url.rfind("https://", 0) != 0) {
      return Status::InvalidArgument(who + ": webhook needs an http(s) url");
    }
    if (e.secret.size() < kMinSecretBytes) {
      return Status::InvalidArgument(who + ": webhook needs a secret of at least " +
                                     std::to_string(kMinSecretBytes) + " bytes");
    }
  }
  if (e.channel == Channel::kEmail && e.email.find('@') == std::string::npos) {
    return Status::InvalidArgument(who + ": email channel needs an address");
  }
  if (!e.secret.empty() && e.secret.size() < kMinSecretBytes) {
    return Status::InvalidArgument(who + ": secret shorter than " +
                                   std::to_string(kMinSecretBytes) + " bytes");
  }
  std::string id = e.platform_id;
  entries_[id] = std::move(e);
  return Status::OK();
}

Result<DeliveryDirectory> DeliveryDirectory::Parse(std::string_view text, std::string_view origin) {
  const std::string where(origin);
  auto bad = [&](std::string m) { return Status::InvalidArgument(where + ": " + m); };
  if (text.size() > kMaxDirectoryBytes) return bad("file too large");
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec) return bad("not valid JSON (" + ec.message() + ")");
  const json::object* o = root.if_object();
  if (o == nullptr) return bad("not a JSON object");
  const json::value* ps = o->if_contains("platforms");
  if (ps == nullptr || !ps->is_array()) return bad("'platforms' must be an array");
  DeliveryDirectory d;
  size_t n = 0;
  for (const json::value& v : ps->as_array()) {
    ++n;
    const std::string entry = "entry " + std::to_string(n);
    const json::object* e = v.if_object();
    if (e == nullptr) return bad(entry + " is not an object");
    auto str = [&](std::string_view key, std::string* out) -> Status {
      const json::value* x = e->if_contains(key);
      if (x == nullptr) return Status::OK();
      if (!x->is_string()) return bad(entry + ": '" + std::string(key) + "' must be a string");
      *out = std::string(x->as_string());
      return Status::OK();
    };
    PlatformEndpoint p;
    std::string channel, secret_env;
    VIGIL_RETURN_IF_ERROR(str("id", &p.platform_id));
    VIGIL_RETURN_IF_ERROR(str("channel", &channel));
    VIGIL_RETURN_IF_ERROR(str("url", &p.url));
    VIGIL_RETURN_IF_ERROR(str("email", &p.email));
    VIGIL_RETURN_IF_ERROR(str("secret", &p.secret));
    VIGIL_RETURN_IF_ERROR(str("secret_env", &secret_env));
    VIGIL_RETURN_IF_ERROR(str("addressee", &p.addressee));
    VIGIL_RETURN_IF_ERROR(str("contact_point", &p.contact_point));
    auto ch = ParseChannel(channel.empty() ? "manual" : channel);
    if (!ch.ok()) return bad(entry + ": " + ch.status().message());
    p.channel = *ch;
    if (!secret_env.empty()) {
      const char* s = std::getenv(secret_env.c_str());
      if (s == nullptr || *s == '\0') {
        return bad(entry + ": environment variable " + secret_env + " is not set");
      }
      p.secret = s;
    }
    if (const json::value* m = e->if_contains("removal_markers")) {
      if (!m->is_array()) return bad(entry + ": 'removal_markers' must be an array");
      for (const json::value& s : m->as_array()) {
        if (!s.is_string() || s.as_string().empty()) {
          return bad(entry + ": removal markers must be non-empty strings");
        }
        p.removal_markers.emplace_back(s.as_string());
      }
    }
    Status st = d.Add(std::move(p));
    if (!st.ok()) return bad(entry + ": " + st.message());
  }
  return d;
}

Result<DeliveryDirectory> DeliveryDirectory::LoadFile(const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path, kMaxDirectoryBytes));
  return Parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path);
}

const PlatformEndpoint* DeliveryDirectory::Find(std::string_view platform_id) const {
  auto it = entries_.find(platform_id);
  return it == entries_.end() ? nullptr : &it->second;
}

Channel DeliveryDirectory::ChannelFor(std::string_view platform_id,
                                      const std::vector<std::string>& registry_methods) const {
  if (const PlatformEndpoint* e = Find(platform_id)) return e->channel;
  for (const auto& m : registry_methods) {
    if (m == "api") return Channel::kPull;
  }
  return Channel::kManual;
}

std::map<std::string, std::vector<std::string>> DeliveryDirectory::RemovalMarkers() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [id, e] : entries_) {
    if (!e.removal_markers.empty()) out[id] = e.removal_markers;
  }
  return out;
}

}  // namespace vigil::delivery
