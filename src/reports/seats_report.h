// The seats report: paid seats idle for N days, the last evidence of each
// one's activity, probable integration accounts apart, and what reclaiming
// the idle ones saves (`seatkeeper seats`, GET /api/seats); declared in SeatsReports().
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "reports/report.h"
#include "sync/provisional.h"

namespace sk::reports {

// inactive_days, seat_price.
std::vector<Field> SeatsFields();

struct SeatsQuery {
  int inactive_days = 30;
  std::optional<double> seat_price;  // per seat and month, 0..1e9
};
Result<SeatsQuery> ReadSeats(const Reader& in);

struct IdleSeat {
  store::UserWithUsage user;
  nlohmann::json last_activity;  // store::UsageJson of the last active day, or null
  std::optional<sync::SeatVerdict> provisional;  // while the verdict is provisional
};

// One paid seat's verdict: active, idle (an idle candidate while provisional)
// or probable integration, with the evidence behind it.
struct SeatLine {
  int64_t user_id = 0;
  std::string name, email, license;
  std::string verdict;
  bool provisional = false;
  std::string evidence;
  std::vector<std::string> evidence_ids;
  std::optional<DayNumber> last_active_day;
};
struct SeatsResult {
  SeatsQuery query;
  Window window;
  size_t paid_seats = 0;
  std::vector<IdleSeat> idle;
  // Staff whose only activity is API use: neither idle people nor active ones.
  std::vector<store::UserWithUsage> integrations;
  // Seat totals (issue #17 item 2): what the account pays for (set with
  // --purchased-seats; Zendesk's API documents no seat count, reference §5.3),
  // and what applying every recommendation (min idle days = inactive_days) frees and saves.
  std::optional<int64_t> purchased_seats;
  int recommendations = 0;
  int recommended_seats_freed = 0;
  std::optional<double> recommendations_saving;
  // "provisional" from `connect` until the first sync ends (issue #19: the
  // provisional verdict, sync/provisional.h), then "confirmed".
  std::string verdict = "confirmed";
  std::optional<sync::ProvisionalVerdict> provisional;
  std::optional<sync::VerdictConfirmation> confirmation;  // what the first sync made of it
  bool confirmation_is_latest = false;                    // made by the last sync
  std::vector<SeatLine> seats;                            // every paid seat
};

// The store key (Store::GetValue) of an account's purchased seat count.
inline constexpr const char* kPurchasedSeatsKey = "seats.purchased";
// The account's purchased seat count, when set.
Result<std::optional<int64_t>> PurchasedSeats(store::Store& st, const std::string& account);
// The store key of an account's monthly price of one seat (`config seats --seat-price`): the
// seats and recommendations reports' price when a query gives none, and the weekly digest's.
inline constexpr const char* kSeatPriceKey = "seats.price";
// The seat price asked for, else the stored one, else none.
Result<std::optional<double>> SeatPrice(store::Store& st, const std::string& account,
                                        std::optional<double> asked = std::nullopt);
// A monthly amount in text output (seats, recommendations, the weekly digest):
// always two decimals, "2300.00", as the web UI shows it.
std::string FormatMoney(double amount);
Result<SeatsResult> RunSeats(store::Store& st, const std::string& account, const store::Connection& conn,
                             const SeatsQuery& q);

// seats --json, GET /api/seats: {"inactive_days", "paid_seats", "idle_paid_seats", "users",
// "probable_integration_seats", "probable_integrations", "monthly_savings"?, "totals": {"purchased"
// (null: not set), "assigned" (= paid_seats), "used" (assigned minus idle), "unassigned" (null when
// purchased is), "recommendations", "recommended_seats_freed", "recommendations_saving" (null without
// a seat price)}, "verdict" ("provisional" | "confirmed"), "seat_verdicts" (every paid seat: user_id,
// name, email, license, verdict, provisional, evidence, evidence_ids, last_active_date),
// "provisional"? (when, how), "verdict_confirmation"? (what the first sync changed)};
// each listed user carries "verdict", "provisional" and "evidence".
nlohmann::json SeatsJson(const SeatsResult& r);
// seats: the idle seats, a summary line, and the integration accounts apart.
void PrintSeats(const SeatsResult& r, std::ostream& out);

}  // namespace sk::reports
