#include "workflow/render.h"

#include <boost/json.hpp>

#include "workflow/clock.h"
#include "workflow/tco.h"

namespace vigil::workflow {
namespace json = boost::json;
namespace {

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::object OrderJson(const RemovalOrder& o) {
  json::object j;
  j["issuing_authority"] = o.issuing_authority;
  j["issuing_member_state"] = o.issuing_member_state;
  j["authority_contact"] = o.authority_contact;
  j["reference"] = o.reference;
  j["addressee"] = o.addressee;
  j["addressee_contact_point"] = o.addressee_contact_point;
  j["issued_at"] = FormatRfc3339(o.issued_ms);
  j["urls"] = Strings(o.urls);
  json::array grounds;
  for (TcoGround g : o.grounds) {
    json::object e;
    e["ground"] = TcoGroundName(g);
    e["description"] = TcoGroundDescription(g);
    grounds.push_back(std::move(e));
  }
  j["grounds"] = std::move(grounds);
  j["reasons"] = o.reasons;
  j["redress"] = o.redress;
  j["deadline_minutes"] = kTcoRemovalDeadlineMs / 60'000;
  j["deadline_rule"] =
      "remove or disable access in all Member States within one hour of receipt "
      "(Regulation (EU) 2021/784 Art. 3(3))";
  j["emergency"] = o.emergency;
  j["confidential"] = o.confidential;
  j["first_order_to_platform"] = o.first_order_to_platform;
  return j;
}

}  // namespace

std::string RenderNoticeJson(const Referral& r, const RenderOptions& options) {
  json::object j;
  j["type"] = "vigil.referral";
  j["version"] = 1;
  j["referral_id"] = r.id;
  j["idempotency_key"] = r.idempotency_key;
  j["sender"] = options.sender;
  j["platform"] = r.platform_id;
  j["route"] = LegalRouteName(r.route);
  j["out_of_tco_scope"] = r.out_of_tco_scope;
  j["organisations"] = Strings(r.organisations);
  j["created_at"] = FormatRfc3339(r.created_ms);
  json::array items;
  for (const ReferralItem& it : r.items) {
    json::object e;
    e["url"] = it.url;
    if (!it.account.empty()) e["account"] = it.account;
    e["captured_at"] = FormatRfc3339(it.captured_ms);
    json::object hashes;
    if (!it.sha256.empty()) hashes["sha256"] = it.sha256;
    if (!it.pdq.empty()) hashes["pdq"] = it.pdq;
    e["hashes"] = std::move(hashes);
    e["labels"] = Strings(it.labels);
    if (it.tier > 0) e["tier"] = it.tier;
    e["reason"] = it.reason;
    e["evidence_ref"] = it.evidence_ref;
    e["public_dissemination"] = it.public_dissemination;
    items.push_back(std::move(e));
  }
  j["items"] = std::move(items);
  if (r.order) j["removal_order"] = OrderJson(*r.order);
  if (!options.callback_url.empty()) {
    json::object fb;
    fb["callback_url"] = options.callback_url;
    fb["statuses"] =
        json::array{"acknowledged",          "removed", "geo_blocked", "rejected", "cannot_comply",
                    "clarification_request", "resumed"};
    j["feedback"] = std::move(fb);
  }
  return json::serialize(j);
}

EmailNotice RenderNoticeEmail(const Referral& r, const RenderOptions& options) {
  EmailNotice e;
  const bool order = r.order.has_value();
  e.subject = std::string(order ? "[REMOVAL ORDER] " : "[Referral] ") + options.sender +
              " referral " + std::to_string(r.id) + " (" + std::to_string(r.items.size()) +
              (r.items.size() == 1 ? " URL)" : " URLs)");
  std::string& b = e.body;
  b += "Referral " + std::to_string(r.id) + " from " + options.sender + "\n";
  b += "Reference (idempotency key): " + r.idempotency_key + "\n";
  b += "Legal route: " + std::string(LegalRouteName(r.route)) + "\n";
  if (r.out_of_tco_scope) {
    b += "Note: this content is outside the scope of Regulation (EU) 2021/784; it is referred "
         "for assessment under your terms of service.\n";
  }
  b += "Referred by:";
  for (const auto& o : r.organisations) b += " " + o;
  b += "\n\n";
  if (order) {
    const RemovalOrder& o = *r.order;
    b += "REMOVAL ORDER under Regulation (EU) 2021/784, Article 3 (Annex I)\n";
    b += "A. Issuing authority: " + o.issuing_authority + " (" + o.issuing_member_state + ")\n";
    b += "   Contact: " + o.authority_contact + "\n";
    b += "   File reference: " + o.reference + "\n";
    b += "   Issued: " + FormatRfc3339(o.issued_ms) + "\n";
    b += "B. Addressee: " + o.addressee + "\n";
    b += "   Contact point: " + o.addressee_contact_point + "\n";
    b += "   You must remove or disable access to the content below in all Member States\n"
         "   within ONE HOUR of receipt of this order.\n";
    if (o.emergency) b += "   This order is issued as an emergency (Art. 3(2)).\n";
    if (o.confidential) {
      b += "   Do not inform the content provider until further notice (Art. 11(3)).\n";
    }
    b += "C. Grounds (Art. 2(7)):\n";
    for (TcoGround g : o.grounds) b += "   - " + std::string(TcoGroundDescription(g)) + "\n";
    b += "   Statement of reasons: " + o.reasons + "\n";
    b += "G. Redress: " + o.redress + "\n";
    b += "If you cannot comply, reply with the reason from Annex III (force majeure, de facto\n"
         "impossibility, manifest error, insufficient information).\n\n";
  }
  b += "Content:\n";
  int n = 0;
  for (const ReferralItem& it : r.items) {
    b += std::to_string(++n) + ". " + it.url + "\n";
    if (!it.account.empty()) b += "   Account: " + it.account + "\n";
    b += "   Captured: " + FormatRfc3339(it.captured_ms) + "\n";
    if (!it.sha256.empty()) b += "   SHA-256: " + it.sha256 + "\n";
    if (!it.pdq.empty()) b += "   PDQ: " + it.pdq + "\n";
    if (!it.labels.empty()) {
      b += "   Labels:";
      for (const auto& l : it.labels) b += " " + l;
      b += "\n";
    }
    if (it.tier > 0) b += "   Tier: " + std::to_string(it.tier) + "\n";
    if (!it.reason.empty()) b += "   Reason: " + it.reason + "\n";
    if (!it.evidence_ref.empty()) b += "   Evidence: " + it.evidence_ref + "\n";
  }
  if (!options.callback_url.empty()) {
    b += "\nPlease report the outcome to " + options.callback_url + "\n";
  }
  return e;
}

}  // namespace vigil::workflow
