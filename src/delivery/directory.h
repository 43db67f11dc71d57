// The delivery directory: per platform, how notices reach it and the shared secret for its
// webhooks and signed callbacks. The platform registry (collect/platforms.h) says which
// methods a platform accepts (email, web_form, api); this operator-owned file adds the
// endpoints and secrets, which are deployment facts, not public ones.
//
// JSON (docs/referrals.md):
//   {"version": 1, "platforms": [
//     {"id": "videohost", "channel": "webhook", "url": "https://...",
//      "secret_env": "VIGIL_SECRET_VIDEOHOST", "removal_markers": ["Video unavailable"],
//      "addressee": "Videohost Ltd", "contact_point": "tco@videohost.example"},
//     {"id": "filehost", "channel": "email", "email": "abuse@filehost.example"},
//     {"id": "bighost", "channel": "pull", "secret_env": "VIGIL_SECRET_BIGHOST"}]}
// channel: webhook | email | pull | manual. "secret" may hold the secret inline (tests);
// "secret_env" names an environment variable (preferred).
//
// Thread safety: build from one thread; afterwards const methods from any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil::delivery {

inline constexpr uint64_t kMaxDirectoryBytes = 4u << 20;

enum class Channel { kWebhook, kEmail, kPull, kManual };
std::string_view ChannelName(Channel c);
Result<Channel> ParseChannel(std::string_view name);

struct PlatformEndpoint {
  std::string platform_id;
  Channel channel = Channel::kManual;
  std::string url;     // webhook
  std::string email;   // e-mail recipient
  std::string secret;  // webhook signing and callback verification (never logged)
  std::vector<std::string> removal_markers;
  std::string addressee;      // legal name for removal orders
  std::string contact_point;  // TCO Art. 15 contact point
};

class DeliveryDirectory {
 public:
  static Result<DeliveryDirectory> Parse(std::string_view json, std::string_view origin);
  static Result<DeliveryDirectory> LoadFile(const std::string& path);

  // Adds or replaces. InvalidArgument if the entry lacks what its channel needs.
  Status Add(PlatformEndpoint endpoint);
  const PlatformEndpoint* Find(std::string_view platform_id) const;
  // The channel for a platform: its entry, else derived from the registry's referral
  // methods ("api" -> pull, anything else -> manual: an operator submits the web form or
  // e-mail by hand).
  Channel ChannelFor(std::string_view platform_id,
                     const std::vector<std::string>& registry_methods = {}) const;
  // platform id -> removal markers, for workflow::FetcherProber.
  std::map<std::string, std::vector<std::string>> RemovalMarkers() const;
  size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, PlatformEndpoint, std::less<>> entries_;
};

}  // namespace vigil::delivery
