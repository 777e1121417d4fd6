#include "avr/eval/robustness_audit.h"

#include <gtest/gtest.h>

namespace avr {
namespace {

AttackRow row(const std::string& attack, Modality m, std::vector<bool> robust) {
  AttackRow r;
  r.attack = attack;
  int64_t n = 0;
  for (bool f : robust) n += f;
  r.accuracy[m] = static_cast<double>(n) / robust.size();
  r.threat[m] = ThreatModel::single_eps(m, 0.01);
  r.robust[m] = std::move(robust);
  return r;
}

RobustnessReport report(std::vector<AttackRow> rows) {
  RobustnessReport r;
  r.clips = static_cast<int64_t>(rows.front().robust.begin()->second.size());
  for (int64_t i = 0; i < r.clips; ++i) r.clip_indices.push_back(100 + i);
  r.clean_correct.assign(r.clips, true);
  r.rows = std::move(rows);
  return r;
}

}  // namespace

TEST(RobustnessAudit, IterativeWeakerThanFgsmIsRaisedWithTheClips) {
  const auto v = Modality::Visual;
  const auto ok = report({row("fgsm", v, {1, 0, 1, 1}), row("pgd", v, {1, 0, 0, 1})});
  EXPECT_EQ(audit_iterative_vs_fgsm({{"T1", ok}}).status, "passed");
  const auto weak = report({row("fgsm", v, {1, 0, 0, 1}), row("pgd", v, {1, 1, 0, 1})});
  const AuditCheck c = audit_iterative_vs_fgsm({{"T1", ok}, {"T3", weak}});
  EXPECT_EQ(c.status, "raised");
  EXPECT_EQ(c.cases, 2);
  ASSERT_EQ(c.details.size(), 1u);
  EXPECT_NE(c.details[0].find("T3, ✗V: pgd 75.0 % > fgsm 50.0 %"), std::string::npos) << c.details[0];
  EXPECT_NE(c.details[0].find("FGSM only: 101"), std::string::npos) << c.details[0];
  // Nothing to compare is "not run", never "passed".
  EXPECT_EQ(audit_iterative_vs_fgsm({{"x", report({row("pgd", v, {1})})}}).status, "not run");
}

TEST(RobustnessAudit, SweepsMustNotRiseWithEps) {
  EXPECT_EQ(audit_monotone_in_eps({{"a", {0, 0.01, 0.02}, {90, 50, 50}}}).status, "passed");
  const AuditCheck c = audit_monotone_in_eps({{"pgd / Concat ✗V", {0, 0.01, 0.02}, {90, 50, 51}}});
  EXPECT_EQ(c.status, "raised");
  EXPECT_NE(c.details.at(0).find("pgd / Concat ✗V: 50 at ε 0.01 → 51 at ε 0.02"), std::string::npos)
      << c.details.at(0);
}

TEST(RobustnessAudit, LargeBudgetMustBreakTheModel) {
  const auto a = Modality::Audio;
  EXPECT_EQ(audit_large_eps({{"Concat", report({row("pgd", a, std::vector<bool>(40, false))})}}).status,
            "passed");
  std::vector<bool> three(40, false);
  three[0] = three[1] = three[2] = true;  // 7.5 % > 5 %
  const AuditCheck c = audit_large_eps({{"Concat", report({row("pgd", a, three)})}});
  EXPECT_EQ(c.status, "raised");
  EXPECT_NE(c.details.at(0).find("7.5 %"), std::string::npos) << c.details.at(0);
}

TEST(RobustnessAudit, BatchDependenceNamesTheClips) {
  const auto av = Modality::AudioVisual;
  const auto ref = report({row("pgd", av, {1, 0, 1, 1, 0})});
  auto same = report({row("pgd", av, {1, 0, 1})});
  EXPECT_EQ(audit_batch_invariance({"T1", ref}, same).status, "passed");
  auto other = report({row("pgd", av, {1, 1, 1})});
  const AuditCheck c = audit_batch_invariance({"T1", ref}, other);
  EXPECT_EQ(c.status, "raised");
  EXPECT_NE(c.details.at(0).find("clips 101"), std::string::npos) << c.details.at(0);
}

}  // namespace avr
