#!/usr/bin/env python3
"""The modules' declared dependencies (avr_module(... DEPS ...) in CMakeLists.txt) match the
includes: every `#include "avr/<m>/..."` in src/<module>/ or include/avr/<module>/ names a module
the declared dependencies reach (directly or through others), and every module a module declares
is one it includes directly. Run by ctest (Layering.DeclaredDependenciesMatchIncludes).

usage: layering_check.py SOURCE_DIR
"""
import glob
import os
import re
import sys


def declared(cmake_text):
    deps = {}
    for name, args in re.findall(r"^avr_module\((\w+)([^)]*)\)", cmake_text, re.M):
        public = args.split("PRIVATE_DEPS")[0]
        deps[name] = re.findall(r"\bavr_(\w+)", public.split("DEPS", 1)[1]) if "DEPS" in public else []
    return deps


def included(root, module):
    used = set()
    for path in glob.glob(f"{root}/src/{module}/**/*", recursive=True) + glob.glob(
            f"{root}/include/avr/{module}/**/*", recursive=True):
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                used.update(re.findall(r'#include "avr/(\w+)/', f.read()))
    used.discard(module)
    return used


def reach(deps, module):
    seen, todo = set(), list(deps.get(module, []))
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(deps.get(m, []))
    return seen


def main():
    root = sys.argv[1]
    with open(os.path.join(root, "CMakeLists.txt"), encoding="utf-8") as f:
        deps = declared(f.read())
    problems = []
    for module in deps:
        used = included(root, module)
        for m in sorted(used - reach(deps, module)):
            problems.append(f"{module} includes avr/{m}/ but does not declare a dependency reaching avr_{m}")
        for m in sorted(set(deps[module]) - used):
            problems.append(f"{module} declares avr_{m} but includes nothing of it: drop the dependency")
    for p in problems:
        print(p)
    print(f"{len(deps)} modules, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
