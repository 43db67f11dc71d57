// The ReferralService test suite (service_test.cpp) runs over every ReferralRepository:
// workflow_test instantiates it with MemoryReferralRepository (service_test_memory.cpp),
// referral_store_test with the SQL repository on SQLite and PostgreSQL
// (store/referral_store_test.cpp). An environment supplies the repository, the audit sink
// and a way to read back what was audited.
//
// Thread safety: test-only; the test's thread.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "workflow/audit_sink.h"
#include "workflow/repository.h"

namespace vigil::workflow::testing {

class ServiceTestEnv {
 public:
  virtual ~ServiceTestEnv() = default;
  virtual ReferralRepository* repo() = 0;
  virtual AuditSink* audit() = 0;
  // Every event recorded so far, oldest first.
  virtual std::vector<AuditEvent> Events() = 0;
};

struct ServiceTestBackend {
  std::string name;  // test-name suffix
  std::function<std::unique_ptr<ServiceTestEnv>()> make;
};

// The backends the suite runs over; each test binary that compiles service_test.cpp defines
// it once.
std::vector<ServiceTestBackend> ServiceTestBackends();

inline std::string BackendTestName(const ::testing::TestParamInfo<ServiceTestBackend>& info) {
  return info.param.name;
}

}  // namespace vigil::workflow::testing
