// The web console's static files (console/, built by Vite into console/dist) as HTTP
// responses: the one place that maps a request path to a file under the console directory.
//
// - Only plain relative segments are served: "..", hidden names (leading '.'), backslashes
//   and control characters answer 404, so nothing outside the directory is reachable.
// - The console is a single-page app with paths like /items/42: an unknown path whose last
//   segment has no extension gets index.html (the app routes it); a missing file with an
//   extension (a stale asset) gets 404, never HTML under a script's name.
// - Content types come from the extension; every response carries nosniff, no-referrer,
//   frame-ancestors 'none' and a Content-Security-Policy that loads scripts, styles, images
//   and media from the console's own origin (plus data:/blob: images and media) only, so a
//   reviewer's browser never fetches media from a third-party host by itself.
// - Vite's hashed files under assets/ are cacheable for a year; everything else is
//   revalidated (index.html names the current hashes).
//
// Thread safety: free functions without shared state; any thread may call them.
#pragma once

#include <string>
#include <string_view>

#include "server/router.h"

namespace vigil::server {

// Largest console file served (the built console is well under 1 MiB).
inline constexpr size_t kMaxConsoleFileBytes = 16u << 20;

// The MIME type for a file name by its extension; application/octet-stream if unknown.
std::string_view ConsoleMimeType(std::string_view file_name);

// The response for GET `path` (decoded, without query) from console directory `dir`.
// 404 (route_not_found JSON) when nothing may be served.
Response ServeConsoleFile(const std::string& dir, std::string_view path);

// The console directory `vigil serve` uses without --console: the first of
// $VIGIL_CONSOLE_DIR, <exe dir>/../share/vigil/console, <exe dir>/../../console/dist (a build
// tree inside the checkout) and ./console/dist that holds an index.html; "" if none does.
std::string DefaultConsoleDir();

}  // namespace vigil::server
