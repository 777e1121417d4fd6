#include "avr/eval/robustness_audit.h"

#include <algorithm>
#include <sstream>

#include "avr/core/error.h"
#include "avr/core/json_fields.h"

namespace avr {
namespace {

constexpr size_t kListedClips = 8;  // clips named per raised instance (then "… and N more")

std::string clip_list(const std::vector<int64_t>& clips) {
  std::ostringstream os;
  for (size_t i = 0; i < clips.size() && i < kListedClips; ++i) os << (i ? ", " : "") << clips[i];
  if (clips.size() > kListedClips) os << " … and " << clips.size() - kListedClips << " more";
  return os.str();
}

std::string percent(double fraction) {
  std::ostringstream os;
  os.precision(1);
  os << std::fixed << 100 * fraction << " %";
  return os.str();
}

AuditCheck start(const char* id, const char* rule) {
  AuditCheck c;
  c.id = id;
  c.rule = rule;
  c.status = "passed";
  return c;
}

// A row's per-clip flags under threat m, checked: a report read from disk may lack them.
const std::vector<bool>& robust_flags(const std::string& label, const RobustnessReport& r, const AttackRow& row,
                                      Modality m) {
  const auto it = row.robust.find(m);
  AVR_CHECK(it != row.robust.end() && it->second.size() == r.clip_indices.size(), "audit: ", label, ", ",
            row.attack, " ", paper_label(m),
            " has no per-clip results (a report from before avr 0.5? run the evaluation again)");
  return it->second;
}

bool is_gradient_attack(const std::string& attack) {
  return attack == "fgsm" || attack == "pgd" || attack == "mim" || attack == "apgd" || attack == "apgd-t" ||
         attack == "mim_original";
}

void finish(AuditCheck& c) {
  if (!c.details.empty()) c.status = "raised";
  else if (c.cases == 0) {
    c.status = "not run";
    c.details.push_back("nothing to compare in these results");
  }
}

}  // namespace

void to_json(nlohmann::json& j, const AuditCheck& c) {
  j = {{"id", c.id},         {"rule", c.rule},         {"status", c.status},
       {"cases", c.cases},   {"details", c.details},   {"tables", c.tables}};
}

void from_json(const nlohmann::json& j, AuditCheck& c) {
  AuditCheck out;
  JsonFields f(j, "audit check");
  f.require("id", out.id);
  f.require("status", out.status);
  f.read("rule", out.rule);
  f.read("details", out.details);
  f.read("cases", out.cases);
  f.read("tables", out.tables);
  f.finish();
  AVR_CHECK(out.status == "passed" || out.status == "raised" || out.status == "not run", "audit check '", out.id,
            "': status '", out.status, "' is unknown: use passed, raised or not run");
  c = out;
}

AuditCheck audit_iterative_vs_fgsm(const std::vector<LabelledReport>& reports) {
  AuditCheck c = start("iterative-weaker-than-fgsm",
                       "an iterative attack leaves a higher accuracy than FGSM under the same threat "
                       "on the same clips");
  for (const auto& [label, r] : reports) {
    const AttackRow* fgsm = nullptr;
    for (const auto& row : r.rows)
      if (row.attack == "fgsm") fgsm = &row;
    if (!fgsm || r.clip_indices.empty()) continue;
    for (const auto& row : r.rows) {
      if (&row == fgsm) continue;
      for (const auto& [m, acc] : row.accuracy) {
        const auto f = fgsm->accuracy.find(m);
        if (f == fgsm->accuracy.end()) continue;
        ++c.cases;
        if (acc <= f->second) continue;
        std::vector<int64_t> missed;  // fooled by FGSM, not by the iterative attack
        const auto& it = robust_flags(label, r, row, m);
        const auto& one = robust_flags(label, r, *fgsm, m);
        for (size_t i = 0; i < it.size(); ++i)
          if (it[i] && !one[i]) missed.push_back(r.clip_indices[i]);
        c.details.push_back(label + ", " + paper_label(m) + ": " + row.attack + " " + percent(acc) +
                            " > fgsm " + percent(f->second) + "; clips fooled by FGSM only: " +
                            clip_list(missed));
      }
    }
  }
  finish(c);
  return c;
}

AuditCheck audit_monotone_in_eps(const std::vector<SweepCurve>& curves) {
  AuditCheck c = start("not-monotone-in-eps",
                       "along a sweep, the accuracy rises from one ε to the next larger one");
  for (const auto& curve : curves) {
    AVR_CHECK(curve.eps.size() == curve.accuracy.size(), "sweep curve ", curve.label, ": ",
              curve.eps.size(), " ε values for ", curve.accuracy.size(), " accuracies");
    for (size_t i = 1; i < curve.eps.size(); ++i) {
      AVR_CHECK(curve.eps[i] > curve.eps[i - 1], "sweep curve ", curve.label, ": ε must increase");
      ++c.cases;
      if (curve.accuracy[i] > curve.accuracy[i - 1]) {
        std::ostringstream os;
        os << curve.label << ": " << curve.accuracy[i - 1] << " at ε " << curve.eps[i - 1] << " → "
           << curve.accuracy[i] << " at ε " << curve.eps[i];
        c.details.push_back(os.str());
      }
    }
  }
  finish(c);
  return c;
}

AuditCheck audit_large_eps(const std::vector<LabelledReport>& reports, double max_accuracy) {
  AuditCheck c = start("accuracy-survives-large-eps",
                       "at a large budget (frames 0.3, waveform 0.5) some threat leaves more than 5 % "
                       "accuracy");
  for (const auto& [label, r] : reports)
    for (const auto& row : r.rows)
      for (const auto& [m, acc] : row.accuracy) {
        ++c.cases;
        if (acc > max_accuracy)
          c.details.push_back(label + ", " + row.attack + " " + paper_label(m) + ": " + percent(acc) +
                              " at ε_a " + std::to_string(row.threat.at(m).eps_a) + ", ε_v " +
                              std::to_string(row.threat.at(m).eps_v));
      }
  finish(c);
  return c;
}

AuditCheck audit_batch_invariance(const LabelledReport& reference, const RobustnessReport& rebatched) {
  AuditCheck c = start("result-depends-on-batch",
                       "a clip's result differs when the same evaluation runs with other batches");
  const auto& [label, ref] = reference;
  const size_t n = rebatched.clip_indices.size();
  AVR_CHECK(n <= ref.clip_indices.size() &&
                std::equal(rebatched.clip_indices.begin(), rebatched.clip_indices.end(),
                           ref.clip_indices.begin()),
            "batch audit: the rebatched run must cover a prefix of ", label, "'s clips");
  for (const auto& row : rebatched.rows) {
    const AttackRow* same = nullptr;
    for (const auto& r : ref.rows)
      if (r.attack == row.attack) same = &r;
    if (!same) continue;
    for (const auto& [m, flags] : row.robust) {
      const auto it = same->robust.find(m);
      if (it == same->robust.end()) continue;
      ++c.cases;
      std::vector<int64_t> differ;
      for (size_t i = 0; i < n; ++i)
        if (flags[i] != it->second[i]) differ.push_back(rebatched.clip_indices[i]);
      if (!differ.empty())
        c.details.push_back(label + ", " + row.attack + " " + paper_label(m) + ": clips " +
                            clip_list(differ));
    }
  }
  finish(c);
  return c;
}

AuditCheck audit_square_finds_missed(const std::vector<LabelledReport>& reports, double max_fraction) {
  AuditCheck c = start("square-finds-what-gradients-missed",
                       "Square (gradient-free) fools more than 1 % of the clips that every gradient "
                       "attack on the same threat left robust");
  for (const auto& [label, r] : reports) {
    if (r.clip_indices.empty()) continue;
    for (const auto& row : r.rows) {
      const auto sq = std::find(row.stages.begin(), row.stages.end(), "square");
      if (sq == row.stages.end()) continue;
      const int square = static_cast<int>(sq - row.stages.begin());
      for (const auto& [m, at] : row.fooled_at) {
        const auto& robust = robust_flags(label, r, row, m);
        ++c.cases;
        std::vector<int64_t> only;  // fooled by Square, robust under every gradient row
        for (size_t i = 0; i < at.size(); ++i) {
          if (at[i] != square || robust[i]) continue;
          bool gradient_fooled = false;
          for (const auto& other : r.rows)
            if (is_gradient_attack(other.attack) && other.accuracy.count(m))
              gradient_fooled = gradient_fooled || !robust_flags(label, r, other, m)[i];
          if (!gradient_fooled) only.push_back(r.clip_indices[i]);
        }
        const double fraction = static_cast<double>(only.size()) / static_cast<double>(r.clip_indices.size());
        if (fraction > max_fraction)
          c.details.push_back(label + ", " + paper_label(m) + ": Square alone fooled " + std::to_string(only.size()) +
                              " clips (" + percent(fraction) + "): " + clip_list(only));
      }
    }
  }
  finish(c);
  return c;
}

AuditCheck audit_transfer_beats_white_box(const std::vector<TransferComparison>& comparisons,
                                          double max_gap) {
  AuditCheck c = start("transfer-beats-white-box",
                       "on a defended model, adversarial examples made on the undefended model leave "
                       "more than 2 points less accuracy than the white-box attack");
  for (const auto& t : comparisons) {
    for (const auto& [m, transfer_acc] : t.transfer.accuracy) {
      const auto w = t.white_box.accuracy.find(m);
      if (w == t.white_box.accuracy.end()) continue;
      ++c.cases;
      if (w->second - transfer_acc <= max_gap + 1e-9) continue;  // a gap of exactly max_gap is within it
      const auto& tr = robust_flags(t.label + " (transfer)", t.report, t.transfer, m);
      const auto& wb = robust_flags(t.label, t.report, t.white_box, m);
      std::vector<int64_t> missed;  // fooled by transfer, not by the white-box attack
      for (size_t i = 0; i < tr.size(); ++i)
        if (!tr[i] && wb[i]) missed.push_back(t.report.clip_indices[i]);
      c.details.push_back(t.label + ", " + t.white_box.attack + " " + paper_label(m) + ": transfer " +
                          percent(transfer_acc) + " < white-box " + percent(w->second) +
                          "; clips fooled by transfer only: " + clip_list(missed));
    }
  }
  finish(c);
  return c;
}

AuditCheck audit_not_run(const std::string& id, const std::string& rule, const std::string& why) {
  AuditCheck c;
  c.id = id;
  c.rule = rule;
  c.status = "not run";
  c.details.push_back(why);
  return c;
}

}  // namespace avr
