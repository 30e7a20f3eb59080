#!/usr/bin/env python3
"""Benign false-positive rates per preset and category, for models/MODEL_CARD.md.

Every image in tests/fixtures/eval and tests/fixtures/golden/pixels is benign, so every image a
preset flags (warn, blur or block) is a false positive. Runs the release CLI:

    cargo build --release && python3 models/build/benign_rates.py [--model NAME]
"""
import argparse, collections, json, pathlib, subprocess, sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
ap = argparse.ArgumentParser()
ap.add_argument("--model", default="nsfwjs-mobilenetv2-fp32")
ap.add_argument("--bin", default=str(ROOT / "target/release/safeframe"))
args = ap.parse_args()
dirs = [ROOT / "tests/fixtures/eval", ROOT / "tests/fixtures/golden/pixels"]
print(f"model {args.model}: benign images flagged per preset (eval + golden fixtures)")
for preset in ("child", "teen", "adult"):
    r = subprocess.run([args.bin, "scan", "--json", "--model", args.model, "--policy", preset, *map(str, dirs)],
                       capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit(r.stderr)
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    n = len(lines)
    by = collections.Counter((l["action"], l["category"]) for l in lines if l["action"] != "allow")
    flagged = sum(by.values())
    detail = ", ".join(f"{a}/{c} {k}" for (a, c), k in sorted(by.items())) or "none"
    print(f"  {preset:<6} {flagged}/{n} flagged ({100 * flagged / n:.1f} %): {detail}")
