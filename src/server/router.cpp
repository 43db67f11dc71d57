#include "server/router.h"

namespace vigil::server {

std::vector<std::string_view> SplitPath(std::string_view path) {
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

void Router::Add(Route route) { routes_.push_back(std::move(route)); }

Router::Found Router::Match(std::string_view method, std::string_view path) const {
  Found found;
  auto segs = SplitPath(path);
  for (const Route& r : routes_) {
    auto pat = SplitPath(r.pattern);
    if (pat.size() != segs.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (size_t i = 0; i < pat.size() && ok; ++i) {
      if (pat[i].size() > 2 && pat[i].front() == '{' && pat[i].back() == '}') {
        params[std::string(pat[i].substr(1, pat[i].size() - 2))] = std::string(segs[i]);
      } else {
        ok = pat[i] == segs[i];
      }
    }
    if (!ok) continue;
    found.path_known = true;
    if (r.method == method) {
      found.route = &r;
      found.params = std::move(params);
      return found;
    }
  }
  return found;
}

}  // namespace vigil::server
