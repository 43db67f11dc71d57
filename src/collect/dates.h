// Publication times as sources write them, to epoch milliseconds (UTC) for the store.
// Thread safety: pure function.
#pragma once

#include <cstdint>
#include <string_view>

namespace vigil::collect {

// Longest date text looked at; longer input is not a date.
inline constexpr size_t kMaxDateChars = 64;

// ISO 8601 / RFC 3339 ("2026-05-01T10:00:00", "2026-05-01 10:00:00", optional fraction,
// optional "Z" or "+02:00"/"+0200"; Telegram, Atom, ActivityPub) and RFC 822 ("Fri, 01 May
// 2026 10:00:00 +0200", weekday optional; RSS). A missing zone is UTC. Returns 0 for
// anything else, and for years outside 1900..9999.
int64_t PublishedToEpochMs(std::string_view text);

}  // namespace vigil::collect
