// SqlReferralRepository's reversal half (workflow/reversal.h, migration 6 of sql_store.cpp):
// bank marks, reversed content and reversal notices, written inside the repository's open
// change so that a reversal, its bank marks, referral moves, notices and audit entries
// commit together.
#include <algorithm>
#include <map>
#include <set>

#include "store/referral_store.h"
#include "store/sql.h"
#include "store/sql_store.h"
#include "store/store_sql.h"

namespace vigil::store {
namespace {

using namespace store_sql;  // I, S, Conn, Q, X
namespace wf = workflow;

// The stored form of a content value; values that are not a known type's canonical form
// (free text from a referral) are kept as given.
wf::ContentSignal Canon(const wf::ContentSignal& c) {
  auto type = ParseSignalType(c.type);
  if (!type.ok()) return c;
  auto value = CanonicalSignalValue(*type, c.value);
  return value.ok() ? wf::ContentSignal{c.type, *std::move(value)} : c;
}

bool IsLowerHex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
  });
}

}  // namespace

Result<int64_t> SqlReferralRepository::NextReversalId() { return NextCounter("reversal"); }
Result<int64_t> SqlReferralRepository::NextReversalNoticeId() {
  return NextCounter("reversal_notice");
}

Result<std::vector<wf::ReversedSignal>> SqlReferralRepository::ReverseContent(
    int64_t reversal_id, std::string_view bank, const std::vector<wf::ContentSignal>& content,
    std::string_view reason, int64_t at_ms) {
  std::vector<wf::ReversedSignal> out;
  Status s = Write([&]() -> Status {
    int64_t only_bank = 0;
    if (!bank.empty()) {
      VIGIL_ASSIGN_OR_RETURN(Bank b, store_->FindBank(bank));
      only_bank = b.id;
    }
    // bank id -> the signals of it to mark.
    std::map<int64_t, std::vector<std::pair<int64_t, wf::ContentSignal>>> marks;
    for (const wf::ContentSignal& raw : content) {
      wf::ContentSignal c = Canon(raw);
      if (!bank.empty()) {
        // A named signal must be a valid one of its type.
        VIGIL_ASSIGN_OR_RETURN(SignalType t, ParseSignalType(raw.type));
        VIGIL_RETURN_IF_ERROR(CanonicalSignalValue(t, raw.value).status());
      }
      VIGIL_RETURN_IF_ERROR(X(store_,
                              "INSERT INTO content_reversals (reversal_id, type, value, "
                              "bank, reason, at_ms) VALUES (?, ?, ?, ?, ?, ?) "
                              "ON CONFLICT DO NOTHING",
                              {I(reversal_id), S(c.type), S(c.value), S(bank), S(reason), I(at_ms)})
                                .status());
      std::string q = "SELECT id, bank_id, reversed_ms FROM signals WHERE value = ? AND type = ?";
      std::vector<Param> p{S(c.value), S(c.type)};
      if (only_bank) {
        q += " AND bank_id = ?";
        p.push_back(I(only_bank));
      }
      VIGIL_ASSIGN_OR_RETURN(auto rows, Q(store_, q, std::move(p)));
      bool any = false;
      while (true) {
        VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
        if (!more) break;
        any = true;
        if (rows->Int(2) == 0) marks[rows->Int(1)].push_back({rows->Int(0), c});
      }
      if (only_bank && !any) {
        return Status::NotFound(c.type + " signal not in bank '" + std::string(bank) + "'");
      }
    }
    for (const auto& [bank_id, signals] : marks) {
      VIGIL_ASSIGN_OR_RETURN(Bank b, store_->GetBank(bank_id));
      VIGIL_ASSIGN_OR_RETURN(auto rows, Q(store_,
                                          "UPDATE banks SET version = version + 1, "
                                          "updated_ms = ? WHERE id = ? RETURNING version",
                                          {I(at_ms), I(bank_id)}));
      VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
      if (!found) return Status::NotFound("bank " + std::to_string(bank_id) + " not found");
      const int64_t version = rows->Int(0);
      VIGIL_RETURN_IF_ERROR(rows->Next().status());
      rows.reset();
      for (const auto& [signal_id, c] : signals) {
        VIGIL_RETURN_IF_ERROR(
            X(store_,
              "UPDATE signals SET removed_ms = CASE WHEN removed_ms = 0 THEN ? ELSE "
              "removed_ms END, reversed_ms = ?, reversal_id = ?, reversal_reason = ?, "
              "version = ? WHERE id = ?",
              {I(at_ms), I(at_ms), I(reversal_id), S(reason), I(version), I(signal_id)})
                .status());
        out.push_back(wf::ReversedSignal{bank_id, b.name, c.type, c.value, version});
      }
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<wf::ContentSignal>> SqlReferralRepository::FindReversed(
    const std::vector<wf::ContentSignal>& content) {
  std::vector<wf::ContentSignal> out;
  for (const wf::ContentSignal& raw : content) {
    wf::ContentSignal c = Canon(raw);
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q(store_,
                                        "SELECT 1 FROM content_reversals WHERE "
                                        "value = ? AND type = ? LIMIT 1",
                                        {S(c.value), S(c.type)}));
    VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
    if (found) out.push_back(raw);
  }
  return out;
}

Result<std::vector<wf::ContentSignal>> SqlReferralRepository::ItemSignals(int64_t item_id) {
  std::vector<wf::ContentSignal> out;
  {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q(store_,
                                        "SELECT ms.type, ms.value FROM media m JOIN "
                                        "media_signals ms ON ms.media_id = m.id WHERE "
                                        "m.item_id = ? ORDER BY ms.type, ms.value",
                                        {I(item_id)}));
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) break;
      out.push_back({rows->Text(0), rows->Text(1)});
    }
  }
  VIGIL_ASSIGN_OR_RETURN(
      auto rows,
      Q(store_, "SELECT sha256 FROM media WHERE item_id = ? AND sha256 <> ''", {I(item_id)}));
  while (true) {
    VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
    if (!more) break;
    out.push_back({"sha256", rows->Text(0)});
  }
  return out;
}

Result<wf::ContentReferrals> SqlReferralRepository::FindReferralsWithContent(
    const std::vector<wf::ContentSignal>& content) {
  std::set<int64_t> referrals, items;
  auto collect = [&](const std::string& q, std::vector<Param> p,
                     std::set<int64_t>& into) -> Status {
    VIGIL_ASSIGN_OR_RETURN(auto rows, Q(store_, q, std::move(p)));
    while (true) {
      VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
      if (!more) return Status::OK();
      into.insert(rows->Int(0));
    }
  };
  for (const wf::ContentSignal& raw : content) {
    const wf::ContentSignal c = Canon(raw);
    if (c.type == "sha256") {
      VIGIL_RETURN_IF_ERROR(
          collect("SELECT DISTINCT referral_id FROM referral_items WHERE "
                  "sha256 = ?",
                  {S(c.value)}, referrals));
      VIGIL_RETURN_IF_ERROR(
          collect("SELECT DISTINCT item_id FROM media WHERE sha256 = ?", {S(c.value)}, items));
    }
    // The pdq lives only in the referral's record (workflow/codec.h writes "pdq":"<hex>");
    // hex has no LIKE wildcards.
    if (c.type == "pdq" && IsLowerHex(c.value)) {
      VIGIL_RETURN_IF_ERROR(collect("SELECT id FROM referrals WHERE record LIKE ?",
                                    {S("%\"pdq\":\"" + c.value + "\"%")}, referrals));
    }
    VIGIL_RETURN_IF_ERROR(
        collect("SELECT DISTINCT m.item_id FROM media_signals ms JOIN media m "
                "ON m.id = ms.media_id WHERE ms.type = ? AND ms.value = ?",
                {S(c.type), S(c.value)}, items));
  }
  items.erase(0);
  for (int64_t item : items) {
    VIGIL_RETURN_IF_ERROR(
        collect("SELECT DISTINCT referral_id FROM referral_items WHERE "
                "item_id = ?",
                {I(item)}, referrals));
  }
  return wf::ContentReferrals{std::vector<int64_t>(referrals.begin(), referrals.end()),
                              std::vector<int64_t>(items.begin(), items.end())};
}

Status SqlReferralRepository::PutReversalNotice(const wf::ReversalNotice& n) {
  if (n.id <= 0) return Status::InvalidArgument("reversal notice without an id");
  const std::string record = wf::ReversalNoticeToJson(n);
  return Write([&]() -> Status {
    VIGIL_RETURN_IF_ERROR(BumpCounter("reversal_notice", n.id));
    return X(store_,
             "INSERT INTO reversal_notices (id, reversal_id, referral_id, platform_id, state, "
             "idempotency_key, created_ms, updated_ms, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
             "ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
             "updated_ms = excluded.updated_ms, record = excluded.record",
             {I(n.id), I(n.reversal_id), I(n.referral_id), S(n.platform_id),
              S(wf::NoticeStateName(n.state)), S(n.idempotency_key), I(n.created_ms),
              I(n.updated_ms), S(record)})
        .status();
  });
}

Result<wf::ReversalNotice> SqlReferralRepository::GetReversalNotice(int64_t id) {
  VIGIL_ASSIGN_OR_RETURN(auto rows,
                         Q(store_, "SELECT record FROM reversal_notices WHERE id = ?", {I(id)}));
  VIGIL_ASSIGN_OR_RETURN(bool found, rows->Next());
  if (!found) return Status::NotFound("reversal notice " + std::to_string(id) + " not found");
  return wf::ReversalNoticeFromJson(rows->Text(0));
}

Result<std::vector<wf::ReversalNotice>> SqlReferralRepository::ListReversalNotices(
    bool undelivered, std::string_view platform_id, size_t limit, int64_t referral_id) {
  std::string q = "SELECT record FROM reversal_notices WHERE 1 = 1";
  std::vector<Param> p;
  if (undelivered) q += " AND state IN ('pending', 'delivery_failed')";
  if (!platform_id.empty()) {
    q += " AND platform_id = ?";
    p.push_back(S(platform_id));
  }
  if (referral_id != 0) {
    q += " AND referral_id = ?";
    p.push_back(I(referral_id));
  }
  q += " ORDER BY id";
  if (limit != 0) {
    q += " LIMIT ?";
    p.push_back(I(static_cast<int64_t>(limit)));
  }
  VIGIL_ASSIGN_OR_RETURN(auto rows, Q(store_, q, std::move(p)));
  std::vector<wf::ReversalNotice> out;
  while (true) {
    VIGIL_ASSIGN_OR_RETURN(bool more, rows->Next());
    if (!more) break;
    VIGIL_ASSIGN_OR_RETURN(wf::ReversalNotice n, wf::ReversalNoticeFromJson(rows->Text(0)));
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace vigil::store
