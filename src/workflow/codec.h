// The full record of a referral and of a hold as JSON: what the database-backed repository
// stores (store/referral_store.h) and what the REST API and the CLI show. Unlike the
// notice a platform receives (render.h), this is everything: hold ids, history, receipts,
// re-checks. Callers showing it to an organisation pass ReferralService::ViewFor's copy.
//
// Decoding is strict about types (a stored record is ours) but tolerant of missing members
// (older records lack newer fields) and ignores unknown ones.
//
// Thread safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "core/status.h"
#include "workflow/model.h"

namespace vigil::workflow {

// Largest stored record accepted by the decoders (bytes): 1000 items with 64 checks each
// stay well under it.
inline constexpr size_t kMaxRecordBytes = 64u << 20;

boost::json::object ReferralToJsonObject(const Referral& r);
std::string ReferralToJson(const Referral& r);
// InvalidArgument for malformed JSON, wrong member types or unknown enum names.
Result<Referral> ReferralFromJson(std::string_view json);

boost::json::object HoldToJsonObject(const Hold& h);
boost::json::object HoldHitToJsonObject(const HoldHit& h);

}  // namespace vigil::workflow
