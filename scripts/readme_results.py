#!/usr/bin/env python3
"""Prints the README's results tables from a finished study folder (tables/*.md, results.json):
the models with their test accuracy and training seconds, every table in the report's order, the
per-step timings and the findings. Prose stays hand-written around it.

usage: scripts/readme_results.py RUN_DIR > fragment.md
"""
import json
import os
import sys

ORDER = [
    "table1_attacks", "paper_table1", "table2_fusions", "paper_table2", "worst_case_fusions",
    "table3_defenses_fgsm", "paper_table3", "table6_defenses_mim", "paper_table6",
    "worst_case_defenses", "adaptive_pgd", "worst_case_adaptive_pgd",
    "autoattack_concat", "autoattack_defenses", "worst_case_all_attacks", "audit",
    "exfmem_solver", "fig3_sweep_fgsm", "fig3_sweep_pgd", "localization", "embeddings",
]


def main():
    run = sys.argv[1]
    with open(os.path.join(run, "results.json"), encoding="utf-8") as f:
        r = json.load(f)
    out = []
    timings = r.get("timings", {})
    out.append("| model | loss | test acc (%) | train s |")
    out.append("|---|---|---:|---:|")
    for name, m in sorted(r.get("models", {}).items()):
        res = m.get("train", {})
        acc = res.get("test_accuracy")
        acc_text = f"{100 * acc:.1f}" if isinstance(acc, (int, float)) else "?"
        secs = timings.get("train-" + name)
        out.append(f"| {m.get('title', name)} | {m.get('loss', '')} | {acc_text} | "
                   f"{secs:.0f} |" if secs is not None else f"| {m.get('title', name)} | "
                   f"{m.get('loss', '')} | {acc_text} | ? |")
    out.append("")
    for table in ORDER:
        path = os.path.join(run, "tables", table + ".md")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                out.append(f.read().rstrip() + "\n")
    groups = {}
    for step, secs in timings.items():
        key = "exfmem rows" if "exfmem" in step else step.split("-")[0]
        groups[key] = groups.get(key, 0.0) + secs
    out.append("Seconds per kind of step (`results.json` → `timings`, summed by the step name's first "
               "word; every step behind ExFMem as one): " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(groups.items(), key=lambda kv: -kv[1]))
               + f"; in all {sum(timings.values()):.0f} s.\n")
    findings = r.get("findings", [])
    holding = sum(1 for f in findings if f.get("holds"))
    out.append(f"### The paper's findings on this run ({holding} of {len(findings)} hold)\n")
    for f in findings:
        verdict = "holds" if f.get("holds") else "does not hold"
        ev = f.get("evidence", "")
        out.append(f"- **{f['id']}** ({verdict}): {f['statement']}" + (f" — {ev}" if ev else ""))
    print("\n".join(out))


if __name__ == "__main__":
    main()
