#!/usr/bin/env python3
"""Generates the engine's golden cases with the reference libraries.

Usage:  python tests/reference/generate.py [--check] [--only FAMILY]

Each `cases_<family>.py` module exposes `cases()` returning golden cases built with
`common.case`. They are written to `golden/<family>.json`. With --check nothing is
written; the script exits 1 when a committed file differs from what the references
produce now (so `make test` notices a drifted golden file or reference upgrade).
"""

import importlib
import json
import pathlib
import platform
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

FAMILIES = ["math", "stats", "returns", "analysis", "technical", "filters", "options", "price_models"]


def versions():
    out = {"python": platform.python_version()}
    for mod in ["numpy", "pandas", "scipy", "statsmodels", "talib", "QuantLib"]:
        try:
            out[mod] = importlib.import_module(mod).__version__
        except Exception:  # a family that does not use it need not have it
            pass
    return out


def render(family, cases):
    head = {"generator": "tests/reference/generate.py", "family": family, "versions": versions()}
    # One case per line keeps diffs readable and the files compact.
    lines = [json.dumps(c, allow_nan=False, separators=(",", ":")) for c in cases]
    return json.dumps(head)[:-1] + ', "cases": [\n' + ",\n".join(lines) + "\n]}\n"


def main():
    check = "--check" in sys.argv
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    out_dir = HERE / "golden"
    out_dir.mkdir(exist_ok=True)
    stale = []
    for family in FAMILIES:
        if only and family != only:
            continue
        path = HERE / f"cases_{family}.py"
        if not path.exists():
            continue
        module = importlib.import_module(f"cases_{family}")
        cases = module.cases()
        names = [c["name"] for c in cases]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise SystemExit(f"{family}: duplicate case names {sorted(dup)}")
        text = render(family, cases)
        target = out_dir / f"{family}.json"
        if check:
            committed = target.read_text() if target.exists() else ""
            # Compare cases only: library patch versions may differ between machines.
            if not committed or json.loads(committed)["cases"] != json.loads(text)["cases"]:
                stale.append(family)
        else:
            target.write_text(text)
            print(f"{family}: {len(cases)} cases -> {target.relative_to(HERE.parent.parent)}")
    if check:
        if stale:
            print("golden files differ from the references: " + ", ".join(stale) + " (run tests/reference/generate.py)")
            sys.exit(1)
        print("golden files match the references")


if __name__ == "__main__":
    main()
