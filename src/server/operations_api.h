// The operation routes of the REST API (docs/openapi.yaml, tag operations; docs/referrals.md
// "Operations"): operations ("action days": organisations, a time window, collection
// sources, a state) with live counters, and the DSA statement-of-reasons export.
//
// Permissions are the referral routes': reading needs referral.read, changing needs
// referral.write. Scope: an organisation sees and changes only operations it takes part in
// (anything else answers 404 as if it did not exist); it creates operations with itself as a
// participant. The statement-of-reasons export covers the referrals naming the caller's
// organisation.
//
// Locking: every store call takes the server's store mutex (the operation store shares the
// server's Store connection).
//
// Thread safety: all handlers may run on any number of threads at once.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "server/router.h"
#include "store/operation_store.h"
#include "workflow/clock.h"

namespace vigil::server {

class OperationsApi {
 public:
  // `store`, `store_mu` and `clock` must outlive the API. `org_name` maps an organisation
  // id to its name.
  static Result<std::unique_ptr<OperationsApi>> Create(
      store::Store* store, std::mutex* store_mu, const workflow::Clock* clock,
      std::function<std::string(int64_t org_id)> org_name);
  ~OperationsApi();

  // Registers the routes (see docs/openapi.yaml).
  void AddRoutes(Router& router);

 private:
  OperationsApi() = default;
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::server
