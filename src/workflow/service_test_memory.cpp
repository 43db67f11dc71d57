// The ReferralService suite (service_test.cpp) over the in-memory repository.
#include <gtest/gtest.h>

#include "workflow/repository.h"
#include "workflow/service.h"
#include "workflow/service_test_env.h"

namespace vigil::workflow::testing {
namespace {

class MemoryEnv final : public ServiceTestEnv {
 public:
  ReferralRepository* repo() override { return &repo_; }
  AuditSink* audit() override { return &audit_; }
  std::vector<AuditEvent> Events() override { return audit_.events(); }

 private:
  MemoryReferralRepository repo_;
  MemoryAuditSink audit_;
};

}  // namespace

std::vector<ServiceTestBackend> ServiceTestBackends() {
  return {{"memory", [] { return std::unique_ptr<ServiceTestEnv>(new MemoryEnv()); }}};
}

}  // namespace vigil::workflow::testing
