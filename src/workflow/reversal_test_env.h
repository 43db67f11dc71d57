// The reversal suite (reversal_test.cpp) runs over every repository that keeps banks:
// workflow_test with MemoryReferralRepository (reversal_test_memory.cpp), referral_store_test
// with the SQL repository on SQLite and PostgreSQL (store/reversal_store_test.cpp). An
// environment adds bank signals and reads back their reversal marks.
//
// Thread safety: test-only; the test's thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "workflow/reversal.h"
#include "workflow/service_test_env.h"

namespace vigil::workflow::testing {

class ReversalTestEnv : public ServiceTestEnv {
 public:
  // Adds a live signal to `bank` (created on first use).
  virtual void AddBankSignal(const std::string& bank, const ContentSignal& signal) = 0;
  // -1: not in the bank; 0: live; else when it was reversed.
  virtual int64_t ReversedMs(const std::string& bank, const ContentSignal& signal) = 0;
  virtual int64_t BankVersion(const std::string& bank) = 0;
};

struct ReversalTestBackend {
  std::string name;
  std::function<std::unique_ptr<ReversalTestEnv>()> make;
};

std::vector<ReversalTestBackend> ReversalTestBackends();

}  // namespace vigil::workflow::testing
