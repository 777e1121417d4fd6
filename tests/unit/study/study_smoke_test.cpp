// The whole study on the smoke profile through the real CLI: every output
// exists and has the structure the report and users rely on; a re-run reuses
// every step; a changed defense parameter recomputes only the steps it affects.
// Its outputs stay in AVR_STUDY_SMOKE_DIR: test_browser opens the report.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "avr/core/output_lock.h"
#include "avr/study/study.h"
#include "test_support.h"

namespace avr {
namespace {

nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  EXPECT_TRUE(in.good()) << p;
  nlohmann::json j;
  in >> j;
  return j;
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST(StudySmoke, EndToEndOutputsThenCachedRerunThenPartialRecompute) {
  // Kept in the build dir for the browser test of the report (a ctest fixture).
  const std::filesystem::path out = AVR_STUDY_SMOKE_DIR;
  std::filesystem::remove_all(out);
  const std::string base = "study --profile smoke --threads 2 --quiet --out " + out.string();
  auto r = test::run_avr(base);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("report:"), std::string::npos) << r.output;
  // The uninterrupted run's numbers, for test_resume's killed and resumed study.
  std::filesystem::copy_file(out / "results.json", out / "uninterrupted-results.json");

  const auto results = read_json(out / "results.json");
  for (const char* key : {"config", "runtime", "dataset", "models", "table1", "table2", "defenses",
                          "adaptive", "sweep", "examples", "findings", "timings", "tables"})
    EXPECT_TRUE(results.contains(key)) << key;
  EXPECT_EQ(results["models"].size(), 12u);
  for (const auto& [name, m] : results["models"].items())
    EXPECT_TRUE(std::filesystem::exists(m["checkpoint"].get<std::string>())) << name;
  // Every accuracy is a percentage and every finding says what decided it.
  for (const auto& [attack, s] : results["table1"]["concat"].items())
    for (const auto& [k, v] : s.items()) {
      EXPECT_GE(v.get<double>(), 0) << attack << " " << k;
      EXPECT_LE(v.get<double>(), 100) << attack << " " << k;
    }
  ASSERT_GE(results["findings"].size(), 8u);
  for (const auto& f : results["findings"]) EXPECT_FALSE(f["evidence"].get<std::string>().empty());

  for (const char* t : {"table1_attacks", "table2_fusions", "table3_defenses_fgsm", "table6_defenses_mim",
                        "fig3_sweep_fgsm", "fig3_sweep_pgd", "paper_table1", "paper_table3"}) {
    EXPECT_TRUE(std::filesystem::exists(out / "tables" / (std::string(t) + ".csv"))) << t;
    EXPECT_TRUE(std::filesystem::exists(out / "tables" / (std::string(t) + ".md"))) << t;
  }
  // The per-clip worst case is never above the attacks it combines (Tables 1, 3/6, adaptive).
  const auto& worst = results["worst_case"];
  for (const char* k : {"table1", "defenses", "adaptive"}) EXPECT_TRUE(worst.contains(k)) << k;
  for (const auto& [threat, acc] : worst["table1"]["scores"].items())
    for (const char* attack : {"fgsm", "pgd", "mim"})
      EXPECT_LE(acc.get<double>(), results["table1"]["concat"][attack][threat].get<double>() + 1e-9)
          << attack << " " << threat;
  for (const auto& [defense, w] : worst["defenses"].items())
    for (const char* attack : {"fgsm", "mim"})
      EXPECT_LE(w["avg"].get<double>(), results["defenses"][attack][defense]["avg"].get<double>() + 1e-9)
          << defense << " " << attack;
  EXPECT_TRUE(std::filesystem::exists(out / "tables" / "worst_case_defenses.csv"));
  // Table 2's worst case (FGSM and MIM per fusion) is never above its FGSM row.
  ASSERT_TRUE(worst.contains("fusions"));
  EXPECT_EQ(worst["fusions"].size(), results["table2"].size());
  for (const auto& [name, row] : results["table2"].items()) {
    const auto title = results["models"][name]["title"].get<std::string>();
    ASSERT_TRUE(worst["fusions"].contains(title)) << title;
    EXPECT_LE(worst["fusions"][title]["avg"].get<double>(), row["avg"].get<double>() + 1e-9) << title;
  }
  EXPECT_TRUE(std::filesystem::exists(out / "tables" / "worst_case_fusions.csv"));
  // The trust audit: six checks, each passed, raised or not run (Square and transfer are not
  // implemented yet), counted in results.json and tabled.
  const auto& audit = results["audit"];
  ASSERT_EQ(audit["checks"].size(), 6u) << audit.dump();
  int counted = 0;
  for (const auto& check : audit["checks"]) {
    const auto status = check["status"].get<std::string>();
    EXPECT_TRUE(status == "passed" || status == "raised" || status == "not run") << status;
    EXPECT_FALSE(check["rule"].get<std::string>().empty());
    ++counted;
  }
  EXPECT_EQ(audit["passed"].get<int>() + audit["raised"].get<int>() + audit["not_run"].get<int>(), counted);
  EXPECT_TRUE(std::filesystem::exists(out / "tables" / "audit.csv"));
  const auto t3 = read_text(out / "tables" / "table3_defenses_fgsm.csv");
  for (const char* row : {"None", "Unimodal A", "Unimodal V", "PCL", "MaxSim", "MinSim", "ExFMem",
                          "MinSim+ExFMem", "FGSM-RS AT"})
    EXPECT_NE(t3.find(row), std::string::npos) << row;
  for (const char* f : {"fig3_a_fgsm.svg", "fig3_b_fgsm.svg", "fig3_c_fgsm.svg", "fig3_a_pgd.svg",
                        "fig3_b_pgd.svg", "fig3_c_pgd.svg"})
    EXPECT_NE(read_text(out / "figures" / f).find("<svg"), std::string::npos) << f;

  const auto html = read_text(out / "report.html");
  for (const char* part : {"Table 1.", "Table 3.", "Table 6.", "Figure 3", "<audio", "data:image/png",
                           "Adaptive attacker", "Trust audit"})
    EXPECT_NE(html.find(part), std::string::npos) << part;

  // A re-run computes nothing.
  r = test::run_avr(base);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(0 steps computed"), std::string::npos) << r.output;

  // A new Lasso λ recomputes the ExFMem steps only (no training, no undefended attacks).
  r = test::run_avr(base + " --exfmem-lambda 0.2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto again = read_json(out / "results.json");
  const auto computed = again["steps"]["computed"];
  ASSERT_FALSE(computed.empty());
  for (const auto& step : computed)
    EXPECT_NE(step.get<std::string>().find("exfmem"), std::string::npos) << step;

  // The rules decide on the numbers: the run's own findings come back from its
  // results.json, and edited localization numbers flip that finding's verdict.
  EXPECT_EQ(check_findings(again).size(), again["findings"].size());
  auto verdict = [](const nlohmann::json& results, const std::string& id) {
    for (const auto& f : check_findings(results))
      if (f.id == id) return f.holds;
    ADD_FAILURE() << "no finding " << id;
    return false;
  };
  auto edited = again;
  edited["localization"]["report"]["clips"] = 200;  // two standard errors: 6.9 points at 0.6
  auto& loc = edited["localization"]["summary"];
  ASSERT_TRUE(loc.contains("best fixed guess")) << loc.dump();
  loc["center prior"]["pointing"] = 0.5;
  loc["best fixed guess"]["pointing"] = 0.5;
  loc["clean"]["pointing"] = 0.6;
  loc["clean"]["accuracy"] = 0.9;
  loc["✗AV"]["accuracy"] = 0.2;
  loc["✗AV"]["pointing"] = 0.3;
  EXPECT_TRUE(verdict(edited, "localization-fooled"));
  loc["✗AV"]["pointing"] = 0.55;  // a drop within the noise
  EXPECT_FALSE(verdict(edited, "localization-fooled"));
  loc["✗AV"]["pointing"] = 0.3;
  EXPECT_TRUE(verdict(edited, "localization-fooled"));
  loc["best fixed guess"]["pointing"] = 0.7;  // the clean map never beat the best fixed guess
  EXPECT_FALSE(verdict(edited, "localization-fooled"));
  loc["center prior"]["pointing"] = 0.3;  // the center prior alone no longer decides
  EXPECT_FALSE(verdict(edited, "localization-fooled"));
  loc.erase("best fixed guess");  // results from before it existed: the center prior
  EXPECT_TRUE(verdict(edited, "localization-fooled"));

  // A raised audit check is noted in the evidence of every finding that reads one of its
  // tables; the verdicts stay as their own rules decide.
  {
    auto audited = again;
    auto find = [](const nlohmann::json& results, const std::string& id) {
      for (const auto& f : check_findings(results))
        if (f.id == id) return f;
      ADD_FAILURE() << "no finding " << id;
      return Finding{};
    };
    const Finding fusion_before = find(audited, "fusion-matters");
    audited["audit"]["checks"].push_back({{"id", "made-up-check"}, {"status", "raised"},
                                          {"tables", {"table2_fusions"}}});
    const Finding fusion = find(audited, "fusion-matters");
    EXPECT_EQ(fusion.holds, fusion_before.holds);
    EXPECT_NE(fusion.evidence.find("Audit: 'made-up-check' raised on table2_fusions"), std::string::npos)
        << fusion.evidence;
    EXPECT_EQ(find(audited, "susceptible").evidence.find("made-up-check"), std::string::npos);
    audited["audit"]["checks"].back()["status"] = "passed";
    EXPECT_EQ(find(audited, "fusion-matters").evidence.find("made-up-check"), std::string::npos);
  }

  // Concatenation is "most robust" only when no fusion that mixes the modalities ties it:
  // the paper-profile run had every fusion at 0.0 under ✗AV and the finding held on the tie.
  {
    auto fused = again;
    auto& t2 = fused["table2"];
    ASSERT_EQ(t2.size(), 5u) << t2.dump();
    for (auto& [name, row] : t2.items()) row["scores"]["attack_both"] = 0.0;
    EXPECT_FALSE(verdict(fused, "concat-most-robust"));
    t2["concat"]["scores"]["attack_both"] = 10.0;
    EXPECT_TRUE(verdict(fused, "concat-most-robust"));
    t2["gated_concat"]["scores"]["attack_both"] = 10.0;  // both keep-apart fusions at the top
    EXPECT_TRUE(verdict(fused, "concat-most-robust"));
    t2["sum"]["scores"]["attack_both"] = 10.0;
    EXPECT_FALSE(verdict(fused, "concat-most-robust"));
  }

  // MIM is "the most effective" only with an Avg below both others' (a tie does not hold).
  {
    auto attacked = again;
    auto& concat = attacked["table1"]["concat"];
    for (const char* a : {"fgsm", "pgd", "mim"})
      for (const char* k : {"attack_audio", "attack_visual", "attack_both"}) concat[a][k] = 30.0;
    concat["fgsm"]["attack_visual"] = 60.0;
    EXPECT_FALSE(verdict(attacked, "mim-strongest"));  // PGD and MIM tied
    concat["mim"]["attack_visual"] = 0.0;
    EXPECT_TRUE(verdict(attacked, "mim-strongest"));
  }

  // MinSim+ExFMem has "the best RI" only alone at the top (the paper-profile run had MaxSim
  // tied with it; whether a tie held depended on the rows' alphabetical order).
  {
    auto defended = again;
    auto& rows = defended["defenses"]["fgsm"];
    ASSERT_TRUE(rows.contains("MinSim+ExFMem")) << rows.dump();
    for (auto& [title, row] : rows.items()) row["ri"] = 0.0;
    rows["MinSim+ExFMem"]["ri"] = 10.0;
    EXPECT_TRUE(verdict(defended, "full-defense-best-ri-fgsm"));
    rows["MaxSim"]["ri"] = 10.0;
    EXPECT_FALSE(verdict(defended, "full-defense-best-ri-fgsm"));
    rows["MaxSim"]["ri"] = 0.0;
    rows["Unimodal V"]["ri"] = 10.0;  // a row after it in name order ties too
    EXPECT_FALSE(verdict(defended, "full-defense-best-ri-fgsm"));
  }

  // Fig. 3's finding follows the PGD sweep's crossings: AV ✗A and AV ✗V must both
  // fall below the clean other-modality model by more than two standard errors.
  auto swept = again;
  swept["sweep"]["clips"] = 100;  // two standard errors: 14.1 points
  auto& pgd = swept["sweep"]["attacks"]["pgd"];
  pgd["unimodal_clean_audio"] = 70.0;
  pgd["unimodal_clean_visual"] = 80.0;
  auto set_visual = [&](double v) {
    for (auto& pt : pgd["points"]) {
      pt["concat"]["attack_audio"] = 10.0;  // below 80 − 14.1
      pt["concat"]["attack_visual"] = v;
    }
  };
  set_visual(50.0);  // below 70 − 14.1
  EXPECT_TRUE(verdict(swept, "attacked-modality-hurts"));
  set_visual(60.0);  // below 70, but within the noise
  EXPECT_FALSE(verdict(swept, "attacked-modality-hurts"));
  swept["sweep"]["attacks"]["fgsm"] = pgd;  // FGSM crossing does not decide while PGD is swept
  set_visual(60.0);
  swept["sweep"]["attacks"]["fgsm"]["points"][0]["concat"]["attack_visual"] = 10.0;
  EXPECT_FALSE(verdict(swept, "attacked-modality-hurts"));
}

// Two runs on one output folder would write the same checkpoints and cache
// entries: the second stops at once (here the test process holds the folder).
TEST(StudySmoke, ASecondRunOnAFolderInUseStopsAtOnce) {
  test::TempDir dir;
  const OutputLock held(dir / "out", "the test");
  const auto r = test::run_avr("study --profile smoke --threads 2 --quiet --out " + (dir / "out").string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("is in use by another run (the test, pid"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "steps")) << "nothing may be written";
}

TEST(StudySmoke, BadFlagsAreOneLineErrors) {
  auto r = test::run_avr("study --dataset music --out /tmp/never");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--data-root"), std::string::npos) << r.output;
  r = test::run_avr("study --profile huge --out /tmp/never");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("smoke, default, large or paper"), std::string::npos) << r.output;
  // The adaptive table differentiates ExFMem's exact solution: a solver that stops short of
  // it is refused up front.
  r = test::run_avr("study --profile smoke --exfmem-solver fista --out /tmp/never");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("fista solver stops short of"), std::string::npos) << r.output;
}

}  // namespace avr
