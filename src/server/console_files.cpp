#include "server/console_files.h"

#include <array>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

namespace vigil::server {
namespace {

namespace fs = std::filesystem;

// Applied to every console response (see the header for why).
constexpr std::string_view kCsp =
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' data: blob:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// The server's one error shape (api_error.h), spelled out so this file links without it.
Response NotFound() {
  return Response::Json(R"({"error":{"code":"route_not_found","message":"no such file"}})", 404);
}

void AddSecurityHeaders(Response& r) {
  r.headers.emplace_back("Content-Security-Policy", std::string(kCsp));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
}

bool SafeSegment(std::string_view seg) {
  if (seg.empty() || seg.front() == '.') return false;
  for (unsigned char c : seg) {
    if (c < 0x20 || c == 0x7f || c == '\\' || c == ':') return false;
  }
  return true;
}

// Reads a regular file of at most kMaxConsoleFileBytes; false otherwise.
bool ReadSmallFile(const fs::path& p, std::string* out) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return false;
  auto size = fs::file_size(p, ec);
  if (ec || size > kMaxConsoleFileBytes) return false;
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

std::string_view ConsoleMimeType(std::string_view file_name) {
  struct Entry {
    std::string_view ext, type;
  };
  static constexpr std::array<Entry, 17> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
      {".wasm", "application/wasm"},
  }};
  size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string ext;
  for (char c : file_name.substr(dot)) ext += static_cast<char>(std::tolower(c));
  for (const auto& e : kTypes) {
    if (e.ext == ext) return e.type;
  }
  return "application/octet-stream";
}

Response ServeConsoleFile(const std::string& dir, std::string_view path) {
  auto segs = Segments(path);
  fs::path rel;
  for (auto seg : segs) {
    if (!SafeSegment(seg)) return NotFound();
    rel /= std::string(seg);
  }
  const fs::path root(dir);
  fs::path full = root / rel;
  std::error_code ec;
  if (segs.empty() || fs::is_directory(full, ec)) full /= "index.html";
  std::string body;
  bool spa_fallback = false;
  if (!ReadSmallFile(full, &body)) {
    // A client-side route (no extension in the last segment) gets the app's shell.
    if (!segs.empty() && segs.back().find('.') != std::string_view::npos) return NotFound();
    full = root / "index.html";
    if (!ReadSmallFile(full, &body)) return NotFound();
    spa_fallback = true;
  }
  Response r;
  r.content_type = std::string(ConsoleMimeType(full.filename().string()));
  r.body = std::move(body);
  bool hashed_asset = !spa_fallback && segs.size() >= 2 && segs.front() == "assets";
  r.headers.emplace_back("Cache-Control",
                         hashed_asset ? "public, max-age=31536000, immutable" : "no-cache");
  AddSecurityHeaders(r);
  return r;
}

std::string DefaultConsoleDir() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("VIGIL_CONSOLE_DIR"); env && *env) candidates.emplace_back(env);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path bin = exe.parent_path();
    candidates.push_back(bin / ".." / "share" / "vigil" / "console");
    candidates.push_back(bin / ".." / ".." / "console" / "dist");
  }
  candidates.emplace_back("console/dist");
  for (const auto& c : candidates) {
    if (!fs::is_regular_file(c / "index.html", ec)) continue;
    fs::path canonical = fs::weakly_canonical(c, ec);
    return ec ? c.string() : canonical.string();
  }
  return "";
}

}  // namespace vigil::server
