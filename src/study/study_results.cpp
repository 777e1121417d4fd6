#include "avr/study/study_results.h"

#include "avr/core/json_record.h"

namespace avr {

namespace {

constexpr JsonRecord kDefenseRow("defense row", json_member("scores", &DefenseRowScores::scores),
                                 json_member("avg", &DefenseRowScores::avg),
                                 json_member("ri", &DefenseRowScores::ri));
constexpr JsonRecord kFusionRow("fusion row", json_member("scores", &FusionRowScores::scores),
                                json_member("avg", &FusionRowScores::avg),
                                json_member("avg4", &FusionRowScores::avg4));
constexpr JsonRecord kTable1("table1", json_member("concat", &Table1Scores::concat),
                             json_member("unimodal_audio", &Table1Scores::unimodal_audio),
                             json_member("unimodal_visual", &Table1Scores::unimodal_visual));
constexpr JsonRecord kAdaptive("adaptive", json_member("attack", &AdaptiveScores::attack),
                               json_member("rows", &AdaptiveScores::rows));
constexpr JsonRecord kSweepPoint("sweep point", json_member("eps", &SweepPoint::eps),
                                 json_member("concat", &SweepPoint::concat),
                                 json_member("unimodal_audio", &SweepPoint::unimodal_audio),
                                 json_member("unimodal_visual", &SweepPoint::unimodal_visual));
constexpr JsonRecord kSweep("sweep", json_member("attacks", &SweepResult::attacks),
                            json_member("clips", &SweepResult::clips),
                            json_member("eps_list", &SweepResult::eps_list));

}  // namespace

void to_json(nlohmann::json& j, const DefenseRowScores& r) { kDefenseRow.write(j, r); }
void from_json(const nlohmann::json& j, DefenseRowScores& r) { kDefenseRow.read(j, r); }
void to_json(nlohmann::json& j, const FusionRowScores& r) { kFusionRow.write(j, r); }
void from_json(const nlohmann::json& j, FusionRowScores& r) { kFusionRow.read(j, r); }
void to_json(nlohmann::json& j, const Table1Scores& t) { kTable1.write(j, t); }
void from_json(const nlohmann::json& j, Table1Scores& t) { kTable1.read(j, t); }
void to_json(nlohmann::json& j, const AdaptiveScores& a) { kAdaptive.write(j, a); }
void from_json(const nlohmann::json& j, AdaptiveScores& a) { kAdaptive.read(j, a); }
void to_json(nlohmann::json& j, const SweepPoint& p) { kSweepPoint.write(j, p); }
void from_json(const nlohmann::json& j, SweepPoint& p) { kSweepPoint.read(j, p); }
void to_json(nlohmann::json& j, const SweepResult& s) { kSweep.write(j, s); }
void from_json(const nlohmann::json& j, SweepResult& s) { kSweep.read(j, s); }

void to_json(nlohmann::json& j, const SweepAttackResult& a) {
  nlohmann::json eps_star = nlohmann::json::object();
  for (const auto& [panel, eps] : a.eps_star) eps_star[panel] = eps ? nlohmann::json(*eps) : nlohmann::json(nullptr);
  j = {{"points", a.points},
       {"eps_star", eps_star},
       {"figures", a.figures},
       {"unimodal_clean_audio", a.unimodal_clean_audio},
       {"unimodal_clean_visual", a.unimodal_clean_visual}};
}

void from_json(const nlohmann::json& j, SweepAttackResult& a) {
  SweepAttackResult out;
  JsonFields f(j, "sweep attack");
  f.require("points", out.points);
  const auto& eps_star = f.raw("eps_star");
  AVR_CHECK(eps_star.is_object(), "sweep attack: key 'eps_star' must be an object of panels, got ", eps_star.dump());
  for (const auto& [panel, eps] : eps_star.items()) {
    AVR_CHECK(eps.is_null() || eps.is_number(), "sweep attack: eps_star '", panel,
              "' must be a number or null, got ", eps.dump());
    out.eps_star[panel] = eps.is_null() ? std::nullopt : std::optional<double>(eps.get<double>());
  }
  f.require("figures", out.figures);
  f.require("unimodal_clean_audio", out.unimodal_clean_audio);
  f.require("unimodal_clean_visual", out.unimodal_clean_visual);
  f.finish();
  a = out;
}

namespace {

constexpr const char* kCenterPrior = "center prior";
constexpr const char* kBestFixedGuess = "best fixed guess";

}  // namespace

void to_json(nlohmann::json& j, const LocalizationSummary& s) {
  j = nlohmann::json::object();
  for (const auto& [name, c] : s.conditions)
    j[name] = {{"accuracy", c.accuracy}, {"pointing", c.pointing}, {"ciou", c.ciou}, {"auc", c.auc}};
  j[kCenterPrior] = {{"pointing", s.center_prior_pointing}, {"ciou", s.center_prior_ciou},
                     {"auc", s.center_prior_auc}};
  if (s.best_fixed_guess)
    j[kBestFixedGuess] = {{"pointing", s.best_fixed_guess->pointing}, {"point", s.best_fixed_guess->point}};
}

void from_json(const nlohmann::json& j, LocalizationSummary& s) {
  AVR_CHECK(j.is_object(), "localization summary: expected a JSON object, got ", j.dump());
  LocalizationSummary out;
  for (const auto& [name, v] : j.items()) {
    if (name == kCenterPrior) {
      JsonFields f(v, "localization summary, center prior");
      f.require("pointing", out.center_prior_pointing);
      f.require("ciou", out.center_prior_ciou);
      f.require("auc", out.center_prior_auc);
      f.finish();
    } else if (name == kBestFixedGuess) {
      LocalizationSummary::FixedGuess g;
      JsonFields f(v, "localization summary, best fixed guess");
      f.require("pointing", g.pointing);
      f.require("point", g.point);
      f.finish();
      AVR_CHECK(g.point.size() == 2, "localization summary: the best fixed guess's point must be [x, y], got ",
                v.at("point").dump());
      out.best_fixed_guess = g;
    } else {
      LocalizationConditionScores c;
      JsonFields f(v, "localization summary, condition '" + name + "'");
      f.require("accuracy", c.accuracy);
      f.require("pointing", c.pointing);
      f.require("ciou", c.ciou);
      f.require("auc", c.auc);
      f.finish();
      out.conditions[name] = c;
    }
  }
  AVR_CHECK(j.contains(kCenterPrior), "localization summary: key 'center prior' is missing");
  s = out;
}

}  // namespace avr
