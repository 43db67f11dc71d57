// docs/openapi.yaml and the server's route table must describe the same API: every route
// the server registers is in the spec and every operation in the spec is served.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
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
  std::regex path_re(R"(^  (/[^:]*):\s*$)");
  std::regex method_re(R"(^    (get|post|put|patch|delete):\s*$)");
  while (std::getline(in, line)) {
    if (line.rfind("paths:", 0) == 0) {
      in_paths = true;
      continue;
    }
    if (in_paths && !line.empty() && line[0] != ' ' && line[0] != '#') in_paths = false;
    if (!in_paths) continue;
    std::smatch m;
    if (std::regex_match(line, m, path_re)) {
      path = m[1];
    } else if (std::regex_match(line, m, method_re) && !path.empty()) {
      std::string method = m[1];
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      ops.insert(method + " " + path);
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
