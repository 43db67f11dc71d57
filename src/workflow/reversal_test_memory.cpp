// The reversal suite (reversal_test.cpp) over the in-memory repository and its banks.
#include "workflow/repository.h"
#include "workflow/reversal_test_env.h"

namespace vigil::workflow::testing {
namespace {

class MemoryEnv final : public ReversalTestEnv {
 public:
  ReferralRepository* repo() override { return &repo_; }
  AuditSink* audit() override { return &audit_; }
  std::vector<AuditEvent> Events() override { return audit_.events(); }
  void AddBankSignal(const std::string& bank, const ContentSignal& signal) override {
    repo_.AddBankSignal(bank, signal);
  }
  int64_t ReversedMs(const std::string& bank, const ContentSignal& signal) override {
    return repo_.BankSignalReversedMs(bank, signal);
  }
  int64_t BankVersion(const std::string& bank) override { return repo_.BankVersion(bank); }

 private:
  MemoryReferralRepository repo_;
  MemoryAuditSink audit_;
};

}  // namespace

std::vector<ReversalTestBackend> ReversalTestBackends() {
  return {{"memory", [] { return std::unique_ptr<ReversalTestEnv>(new MemoryEnv()); }}};
}

}  // namespace vigil::workflow::testing
