#!/usr/bin/env python3
"""What the study would cost on the paper's real datasets, projected from a finished paper-profile
run (`avr study --profile paper`): every step's measured seconds at 224 px / 65535 samples, scaled
by the clips the real study would put through it.

usage: scripts/real_dataset_cost.py RUN_DIR [MACHINES]

The rules (fixed before any projection was read):
- Training: a model's training throughput (`clips_per_second` of its epochs) and its forward cost
  per clip (the step's seconds outside the training epochs, spread over the val pass of each epoch
  and the test pass) are the run's; on a real dataset every model trains on its own for the
  original scripts' epochs over the whole training split, with a val pass each epoch and one test
  pass. FGSM-RS adversarial training is counted the same way (no clip cap).
- Every other step costs its seconds per clip it attacked, swept, localized or embedded, times
  the real test split (the real study puts every test clip through every table). Steps whose
  work does not scale with the test clips (the data, the ExFMem memory banks, which read the
  training split) are small here and are scaled the same way; the projection says so.
- AutoAttack is projected at the run's budget (its steps, targets and Square queries). At
  AutoAttack's own budget (APGD 100 steps, APGD-T 9 targets x 100 steps, Square 5000 queries) a
  clip costs at most max(gradient ratio, query ratio) times as much, where the gradient ratio is
  100 x (1 + 9) over steps x (1 + targets) of the run and the query ratio 5000 over its queries
  (at most: each stage runs only on the clips the earlier ones left robust); the last column
  puts that upper bound in place of the run's AutoAttack.
- On N machines: models train independently and attacks are per clip, so the ideal is the total
  divided by N (no communication counted).
- The adversarial examples written for the report (a fixed handful of clips) cost what they cost
  here.
"""
import json
import os
import sys

FIXED_STEPS = {"examples"}  # work that does not grow with the dataset

DATASETS = [  # name, train / val / test clips, epochs of the original scripts
    ("MIT-MUSIC", 312, 104, 104, 100),
    ("AVE", 3339, 402, 402, 100),
    ("Kinetics-Sounds", 9309, 3103, 3104, 30),
]


def load_steps(run):
    steps = {}
    folder = os.path.join(run, "steps")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                d = json.load(f)
            steps[d["step"]] = d
    return steps


def clips_of(step):
    """The test clips a non-training step put through its work."""
    result, config = step["result"], step["config"]
    if isinstance(result, dict) and isinstance(result.get("clips"), int):
        return result["clips"]
    for holder in (config.get("settings", {}), config):
        for key in ("limit", "clips", "attack_limit"):
            if isinstance(holder.get(key), int) and holder[key] > 0:
                return holder[key]
    raise SystemExit(f"step {step['step']}: no clip count in its result or config; add a rule here")


FULL_AUTOATTACK = {"steps": 100, "targets": 9, "square_queries": 5000}


def autoattack_budget_ratio(step):
    """How many times a clip's AutoAttack work grows at AutoAttack's own budget (an upper bound)."""
    aa = step["config"]["settings"]["attack_settings"]["autoattack"]
    gradients = FULL_AUTOATTACK["steps"] * (1 + FULL_AUTOATTACK["targets"]) / (aa["steps"] * (1 + aa["targets"]))
    queries = FULL_AUTOATTACK["square_queries"] / aa["square_queries"]
    return max(gradients, queries)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    run = sys.argv[1]
    machines = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    steps = load_steps(run)
    rows = []
    for name, split in [(n, s) for n, *s in DATASETS]:
        n_train, n_val, n_test, epochs = split
        train = attack = autoattack = autoattack_full = 0.0
        for step_name, step in steps.items():
            seconds, result = step["seconds"], step["result"]
            if step_name.startswith("train-"):
                ds = step["config"]["dataset"]["content_digests"]
                val_rows, test_rows = ds["val"]["rows"], ds["test"]["rows"]
                run_epochs = result["epochs"]
                per_forward = (seconds - result["train_seconds"]) / (run_epochs * val_rows + test_rows)
                train += epochs * (n_train / result["clips_per_second"] + n_val * per_forward)
                train += n_test * per_forward
                continue
            if step_name in FIXED_STEPS:
                attack += seconds
                continue
            cost = seconds / clips_of(step) * n_test
            attack += cost
            if step_name.startswith("autoattack-"):
                autoattack += cost
                autoattack_full += cost * autoattack_budget_ratio(step)
        total = train + attack
        rows.append((name, n_train, n_val, n_test, epochs, train, attack, autoattack, total,
                     total - autoattack + autoattack_full))
    print(f"| Dataset | train / val / test clips | epochs | training (all models) | attacks, figures "
          f"| of which AutoAttack | total, 1 machine | total, {machines} machines "
          f"| with AutoAttack's own budget, 1 machine (at most) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for name, n_train, n_val, n_test, epochs, train, attack, autoattack, total, full in rows:
        print(f"| {name} | {n_train} / {n_val} / {n_test} | {epochs} | {train / 3600:.1f} h | "
              f"{attack / 3600:.1f} h | {autoattack / 3600:.1f} h | {total / 3600:.1f} h "
              f"({total / 86400:.1f} days) | {total / machines / 3600:.1f} h | {full / 86400:.1f} days |")


if __name__ == "__main__":
    main()
