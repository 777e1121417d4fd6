#include "avr/eval/robustness_audit.h"

#include <gtest/gtest.h>

#include "avr/core/error.h"

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

namespace avr {
namespace {

// An AutoAttack row: stages clean, apgd, apgd-t, square; fooled_at per clip.
AttackRow autoattack_row(Modality m, const std::vector<int>& fooled_at) {
  std::vector<bool> robust;
  for (int k : fooled_at) robust.push_back(k == -1);
  AttackRow r = row("autoattack", m, robust);
  r.stages = {"clean", "apgd", "apgd-t", "square"};
  r.fooled_at[m] = fooled_at;
  return r;
}

}  // namespace

TEST(RobustnessAudit, SquareBeatingTheGradientsIsRaisedAboveOnePercent) {
  const auto v = Modality::Visual;
  // 100 clips: Square fools clips 0 and 1 (2 %), PGD already fooled clip 1 → 1 clip (1 %): quiet.
  std::vector<int> at(100, -1);
  at[0] = at[1] = 3;
  at[2] = 1;
  std::vector<bool> pgd(100, true);
  pgd[1] = pgd[2] = false;
  const auto quiet = report({row("pgd", v, pgd), autoattack_row(v, at)});
  const AuditCheck ok = audit_square_finds_missed({{"Concat", quiet}});
  EXPECT_EQ(ok.status, "passed");
  EXPECT_EQ(ok.cases, 1);
  // Square alone fools clips 0, 3 and 4: 3 % > 1 %, named.
  at[3] = at[4] = 3;
  const AuditCheck c = audit_square_finds_missed({{"MinSim", report({row("pgd", v, pgd), autoattack_row(v, at)})}});
  EXPECT_EQ(c.status, "raised");
  ASSERT_EQ(c.details.size(), 1u);
  EXPECT_NE(c.details[0].find("MinSim, ✗V: Square alone fooled 3 clips (3.0 %): 100, 103, 104"), std::string::npos)
      << c.details[0];
  // Without an AutoAttack row there is nothing to check.
  EXPECT_EQ(audit_square_finds_missed({{"x", report({row("pgd", v, pgd)})}}).status, "not run");
}

TEST(RobustnessAudit, TransferBeatingWhiteBoxIsRaisedAboveTwoPoints) {
  const auto a = Modality::AudioVisual;
  std::vector<bool> white(50, true), transfer(50, true);
  white[0] = false;
  transfer[0] = transfer[1] = false;  // 2 points lower: within the margin
  TransferComparison t{"MinSim ← Concat", report({row("pgd", a, white)}), row("pgd", a, white),
                       row("pgd (transfer)", a, transfer)};
  EXPECT_EQ(audit_transfer_beats_white_box({t}).status, "passed");
  t.transfer = row("pgd (transfer)", a, [] {
    std::vector<bool> v(50, true);
    v[0] = v[1] = v[2] = false;  // 4 points lower than white-box's 2 % fooled
    v[3] = false;
    return v;
  }());
  const AuditCheck c = audit_transfer_beats_white_box({t});
  EXPECT_EQ(c.status, "raised");
  EXPECT_NE(c.details.at(0).find("transfer only: 101, 102, 103"), std::string::npos) << c.details.at(0);
  EXPECT_EQ(audit_transfer_beats_white_box({}).status, "not run");
}

}  // namespace avr

namespace avr {

// results.json's checks read back (the study's findings and report read them): strict keys,
// a known status.
TEST(RobustnessAudit, ChecksRoundTripThroughJsonStrictly) {
  AuditCheck c;
  c.id = "iterative-weaker-than-fgsm";
  c.rule = "a rule";
  c.status = "raised";
  c.details = {"clip 3"};
  c.cases = 7;
  c.tables = {"table1_attacks"};
  const nlohmann::json j = c;
  const auto back = j.get<AuditCheck>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_TRUE(back.raised());
  EXPECT_EQ(back.tables, c.tables);

  const auto minimal = nlohmann::json{{"id", "x"}, {"status", "passed"}}.get<AuditCheck>();
  EXPECT_EQ(minimal.cases, 0);
  EXPECT_TRUE(minimal.tables.empty());
  auto bad = j;
  bad["status"] = "failed";
  EXPECT_THROW(bad.get<AuditCheck>(), Error);
  bad = j;
  bad["table"] = {"table1_attacks"};
  EXPECT_THROW(bad.get<AuditCheck>(), Error);
  bad = j;
  bad.erase("status");
  EXPECT_THROW(bad.get<AuditCheck>(), Error);
}

}  // namespace avr
