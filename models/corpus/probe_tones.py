#!/usr/bin/env python3
"""Skin-tone probe flags per pack, preset and tone: one `safeframe scan` per (pack, preset).

Scans the probe's emoji as a person sees them (`<set>/white/`, built by build_skin_tone_probe.py)
with each named pack alone (`--model PACK`: the preset's single-model rules) and counts, per set
and tone, the images a preset flags (warn, blur or block). Every emoji is benign, so every flag is
a false alarm. Prints one Markdown table row per pack, preset and set.

    models/corpus/probe_tones.py --model nsfwjs-mobilenetv2mid-int8 --model nsfwjs-mobilenetv2-int8
    # --variant stored-rgb reads the raw PNGs' stored colour instead (npm sets only)

Python 3.11, stdlib only. Nothing here looks at what an image shows beyond the CLI's verdict.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
from pathlib import Path

CACHE = Path(os.environ.get("SAFEFRAME_CORPUS_CACHE", "/work/corpus-cache"))
TONES = ("default", "t1", "t2", "t3", "t4", "t5")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(Path(__file__).resolve().parents[2] / "target/release/safeframe"))
    ap.add_argument("--model", action="append", required=True, help="a pack name (repeatable)")
    ap.add_argument("--policy", action="append", help="presets (default child, teen, adult)")
    ap.add_argument("--probe", default=str(CACHE / "skin-tone-probe"))
    ap.add_argument("--variant", default="white")
    args = ap.parse_args()
    probe = Path(args.probe)
    sets = sorted(d.name for d in probe.iterdir() if (d / args.variant).is_dir())
    print("| pack | preset | set | " + " | ".join(TONES) + " |")
    print("|---|---|---|" + "---|" * len(TONES))
    for model in args.model:
        for policy in args.policy or ["child", "teen", "adult"]:
            cmd = [args.bin, "scan", "--json", "--policy", policy, "--model", model]
            cmd += [str(probe / s / args.variant) for s in sets]
            run = subprocess.run(cmd, capture_output=True, text=True)
            if run.returncode not in (0, 1):
                raise SystemExit(f"{' '.join(cmd[:7])}: exit {run.returncode}: {run.stderr.strip()[-300:]}")
            flags = collections.Counter()
            totals = collections.Counter()
            for line in run.stdout.splitlines():
                row = json.loads(line)
                path = Path(row["path"])
                tone = re.search(r"-(default|t[1-5])\.png$", path.name)
                if "error" in row or not tone:
                    raise SystemExit(f"unexpected line: {line[:200]}")
                key = (path.parent.parent.name, tone.group(1))
                totals[key] += 1
                flags[key] += row["action"] != "allow"
            for s in sets:
                cells = [f"{flags[(s, t)]}/{totals[(s, t)]}" for t in TONES]
                print(f"| `{model}` | `{policy}` | {s} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
