// Transport-independent requests, responses and the route table.
//
// Patterns are literal segments and "{name}" placeholders ("/api/v1/banks/{name}"); a
// placeholder matches one non-empty segment. The table is fixed before serving starts.
//
// Thread safety: build the Router on one thread; after that Match/routes are const and
// any thread may call them.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "server/auth.h"

namespace vigil::server {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path, no query
  std::map<std::string, std::string> query;
  std::string content_type;
  std::string authorization;
  std::string body;
  // Other headers a route needs (the transport forwards only these), lower-case names:
  // "vigil-signature" (signed platform callbacks).
  std::map<std::string, std::string> headers;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static Response Json(std::string body, int status = 200) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
};

struct RouteContext {
  const Request& request;
  const Principal* principal;  // null on public routes
  std::map<std::string, std::string> params;

  const std::string& Param(const std::string& name) const { return params.at(name); }
};

using Handler = std::function<Result<Response>(const RouteContext&)>;

struct Route {
  std::string method;
  std::string pattern;
  bool is_public = false;  // no token needed (health, metrics, console files)
  Permission permission = Permission::kSelf;
  Handler handler;
};

class Router {
 public:
  void Add(Route route);

  struct Found {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    bool path_known = false;  // some route has this path (for 405 vs 404)
  };
  Found Match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// Splits "/a/b/c" into {"a","b","c"}; empty segments (a trailing slash) are dropped.
std::vector<std::string_view> SplitPath(std::string_view path);

}  // namespace vigil::server
