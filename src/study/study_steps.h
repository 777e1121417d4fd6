// The study's stages, in the order run_study calls them (internal to src/study).
// Each fills ctx.results and writes its tables/figures under OUT.
#pragma once

#include <vector>

#include "avr/report/findings.h"
#include "avr/report/html_report.h"
#include "study_context.h"

namespace avr::study {

void prepare_data(StudyContext& ctx);        // embedded: generate when missing
void train_models(StudyContext& ctx);        // study_models.cpp
void exfmem_solver(StudyContext& ctx);       // Lasso accuracy at the study's tolerance: study_solver.cpp
void attack_tables(StudyContext& ctx);       // Tables 1, 2, 3, 6 + adaptive: study_tables.cpp
void autoattack_tables(StudyContext& ctx);   // AutoAttack + worst case of every attack: study_autoattack.cpp
void eps_sweep(StudyContext& ctx);           // Figure 3: study_sweep.cpp
void robustness_audit(StudyContext& ctx);    // trust audit of Tables 1/3/6 and Fig. 3: study_audit.cpp
void localization(StudyContext& ctx);        // Figure 4 + scores: study_localization.cpp
void embeddings(StudyContext& ctx);          // Figures 5, 10, 11: study_embeddings.cpp
void adversarial_examples(StudyContext& ctx);  // frames, perturbations, audio: study_examples.cpp

void write_report(const StudyContext& ctx, const std::vector<Finding>& findings);  // study_report.cpp

}  // namespace avr::study
