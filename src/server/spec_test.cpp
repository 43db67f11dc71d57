// docs/openapi.yaml and the server's route table must describe the same API: every route
// the server registers is in the spec and every operation in the spec is served.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "server/service.h"

namespace vigil::server {
namespace {

// "METHOD /path" for each operation under `paths:` (the spec is plain block YAML: paths at
// two spaces, methods at four).
std::set<std::string> SpecOperations(const std::string& yaml) {
  std::set<std::string> ops;
  std::istringstream in(yaml);
  std::string line, path;
  bool in_paths = false;
  auto indent = [](const std::string& l) { return l.find_first_not_of(' '); };
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (line.rfind("paths:", 0) == 0) {
      in_paths = true;
      continue;
    }
    if (line.empty() || line[indent(line)] == '#') continue;
    if (indent(line) == 0) in_paths = false;
    if (!in_paths || line.back() != ':') continue;
    std::string key = line.substr(indent(line), line.size() - indent(line) - 1);
    if (indent(line) == 2 && key.front() == '/') {
      path = key;
    } else if (indent(line) == 4 && !path.empty()) {
      for (const char* m : {"get", "post", "put", "patch", "delete"}) {
        if (key != m) continue;
        std::string method = key;
        for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        ops.insert(method + " " + path);
      }
    }
  }
  return ops;
}

TEST(OpenApi, EveryRouteIsSpecifiedAndEverySpecifiedRouteIsServed) {
  std::ifstream f(std::string(VIGIL_SOURCE_DIR) + "/docs/openapi.yaml");
  ASSERT_TRUE(f) << "docs/openapi.yaml missing";
  std::stringstream ss;
  ss << f.rdbuf();
  auto spec = SpecOperations(ss.str());
  ASSERT_GT(spec.size(), 10u);

  auto st = store::OpenStore(std::string(VIGIL_BINARY_DIR) + "/spec_test.db");
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  auto svc = Service::Create(std::move(*st), {});
  ASSERT_TRUE(svc.ok()) << svc.status().ToString();
  std::set<std::string> served;
  for (const auto& r : (*svc)->router().routes()) served.insert(r.method + " " + r.pattern);

  for (const auto& op : served)
    EXPECT_TRUE(spec.count(op)) << op << " is served but not in the spec";
  for (const auto& op : spec)
    EXPECT_TRUE(served.count(op)) << op << " is in the spec but not served";
}

}  // namespace
}  // namespace vigil::server
