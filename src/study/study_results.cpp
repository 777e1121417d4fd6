#include "avr/study/study_results.h"

#include "avr/core/json_fields.h"

namespace avr {

void to_json(nlohmann::json& j, const DefenseRowScores& r) {
  j = {{"scores", r.scores}, {"avg", r.avg}, {"ri", r.ri}};
}

void from_json(const nlohmann::json& j, DefenseRowScores& r) {
  DefenseRowScores out;
  JsonFields f(j, "defense row");
  f.require("scores", out.scores);
  f.require("avg", out.avg);
  f.require("ri", out.ri);
  f.finish();
  r = out;
}

void to_json(nlohmann::json& j, const FusionRowScores& r) {
  j = {{"scores", r.scores}, {"avg", r.avg}, {"avg4", r.avg4}};
}

void from_json(const nlohmann::json& j, FusionRowScores& r) {
  FusionRowScores out;
  JsonFields f(j, "fusion row");
  f.require("scores", out.scores);
  f.require("avg", out.avg);
  f.require("avg4", out.avg4);
  f.finish();
  r = out;
}

void to_json(nlohmann::json& j, const Table1Scores& t) {
  j = {{"concat", t.concat}, {"unimodal_audio", t.unimodal_audio}, {"unimodal_visual", t.unimodal_visual}};
}

void from_json(const nlohmann::json& j, Table1Scores& t) {
  Table1Scores out;
  JsonFields f(j, "table1");
  f.require("concat", out.concat);
  f.require("unimodal_audio", out.unimodal_audio);
  f.require("unimodal_visual", out.unimodal_visual);
  f.finish();
  t = out;
}

void to_json(nlohmann::json& j, const AdaptiveScores& a) { j = {{"attack", a.attack}, {"rows", a.rows}}; }

void from_json(const nlohmann::json& j, AdaptiveScores& a) {
  AdaptiveScores out;
  JsonFields f(j, "adaptive");
  f.require("attack", out.attack);
  f.require("rows", out.rows);
  f.finish();
  a = out;
}

void to_json(nlohmann::json& j, const SweepPoint& p) {
  j = {{"eps", p.eps}, {"concat", p.concat}, {"unimodal_audio", p.unimodal_audio},
       {"unimodal_visual", p.unimodal_visual}};
}

void from_json(const nlohmann::json& j, SweepPoint& p) {
  SweepPoint out;
  JsonFields f(j, "sweep point");
  f.require("eps", out.eps);
  f.require("concat", out.concat);
  f.require("unimodal_audio", out.unimodal_audio);
  f.require("unimodal_visual", out.unimodal_visual);
  f.finish();
  p = out;
}

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

void to_json(nlohmann::json& j, const SweepResult& s) {
  j = {{"attacks", s.attacks}, {"clips", s.clips}, {"eps_list", s.eps_list}};
}

void from_json(const nlohmann::json& j, SweepResult& s) {
  SweepResult out;
  JsonFields f(j, "sweep");
  f.require("attacks", out.attacks);
  f.require("clips", out.clips);
  f.require("eps_list", out.eps_list);
  f.finish();
  s = out;
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
