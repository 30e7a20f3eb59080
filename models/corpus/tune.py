#!/usr/bin/env python3
"""Simulate threshold rules offline on the per-image scores saved by evaluate.py --scores-out.

Policy JSON, the SDK's new form:

    {"rules": [{"when": [{"model": "primary", "labels": ["porn"], "threshold": 0.4},
                         {"model": "second",  "labels": ["nsfw"], "threshold": 0.2}],
                "action": "block"}, ...]}

A rule fires when ALL its conditions hold; a condition holds when the sum of its labels' scores is
>= its threshold. The old form {"categories": [...], "threshold": t, "action": a} is one condition
on the primary model. The verdict is the most severe firing action (block > blur > warn > allow),
as in core/src/policy.rs; sums and comparisons are done in float32 like the SDK (the JSON scores
are float32 values printed in full, so they round-trip exactly).

Models: "primary" is the 5-class nsfwjs scores (`scores` in the CLI output: drawing, hentai,
neutral, porn, sexy). Any other name is looked up in the image's `models` map (newer CLIs print
{pack name: {label: p}}); "second" means the one pack in that map that is not the primary one
(or --second NAME). Labels match case-insensitively. An image without the needed model's scores
fails that condition (and is counted in the report).

    tune.py --scores /work/corpus-cache/scores-fp32.json --policy child --policy rules.json
    tune.py --scores S --policy child --check     # compare the simulation with the CLI's own actions

Presets child/teen/adult are built in (copies of `safeframe policy show PRESET`). Stdlib only.
"""
from __future__ import annotations

import argparse
import collections
import json
import struct
import sys
from pathlib import Path

SEVERITY = {"allow": 0, "warn": 1, "blur": 2, "block": 3}


def _old(cats, t, a):
    return {"categories": cats, "threshold": t, "action": a}


PRESETS = {
    "child": {"rules": [_old(["porn"], 0.4, "block"), _old(["hentai"], 0.4, "block"), _old(["sexy"], 0.4, "blur"),
                        _old(["porn", "hentai", "sexy"], 0.5, "blur")]},
    "teen": {"rules": [_old(["porn"], 0.6, "block"), _old(["hentai"], 0.6, "block"), _old(["sexy"], 0.7, "blur"),
                       _old(["porn", "hentai", "sexy"], 0.5, "warn")]},
    "adult": {"rules": [_old(["porn"], 0.8, "warn"), _old(["hentai"], 0.8, "warn")]},
}


def f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def normalise(policy: dict) -> list[dict]:
    """Rules as [{"when": [{"model", "labels", "threshold"}], "action"}], validated."""
    rules = policy.get("rules")
    if not isinstance(rules, list) or not rules:
        raise ValueError("policy needs a non-empty 'rules' list")
    out = []
    for i, r in enumerate(rules):
        action = r.get("action")
        if action not in ("warn", "blur", "block"):
            raise ValueError(f"rules[{i}].action must be warn, blur or block")
        if "when" in r:
            conds = r["when"]
        elif "categories" in r:
            conds = [{"model": "primary", "labels": r["categories"], "threshold": r["threshold"]}]
        else:
            raise ValueError(f"rules[{i}] needs 'when' or 'categories'")
        if not conds:
            raise ValueError(f"rules[{i}].when is empty")
        norm = []
        for j, c in enumerate(conds):
            t = c.get("threshold")
            if not isinstance(t, (int, float)) or not 0 <= t <= 1:
                raise ValueError(f"rules[{i}].when[{j}].threshold must be a number in 0..1")
            if not c.get("labels"):
                raise ValueError(f"rules[{i}].when[{j}].labels is empty")
            norm.append({"model": c.get("model", "primary"), "labels": [str(x).lower() for x in c["labels"]],
                         "threshold": f32(float(t))})
        out.append({"when": norm, "action": action})
    return out


def model_scores(image: dict, model: str, second: str | None) -> dict | None:
    if model == "primary":
        return {k.lower(): v for k, v in image.get("scores", {}).items()}
    packs = image.get("models") or {}
    if model == "second":
        if second:
            model = second
        else:
            primary = set(k.lower() for k in image.get("scores", {}))
            others = [k for k, v in packs.items() if set(x.lower() for x in v) != primary]
            if len(others) != 1:
                return None
            model = others[0]
    s = packs.get(model)
    return None if s is None else {k.lower(): v for k, v in s.items()}


def decide(image: dict, rules: list[dict], second: str | None = None, missing: collections.Counter | None = None):
    best = "allow"
    for r in rules:
        ok = True
        for c in r["when"]:
            s = model_scores(image, c["model"], second)
            if s is None:
                if missing is not None:
                    missing[c["model"]] += 1
                ok = False
                break
            total = 0.0
            for lab in c["labels"]:
                total = f32(total + f32(float(s.get(lab, 0.0))))
            if not total >= c["threshold"]:
                ok = False
                break
        if ok and SEVERITY[r["action"]] > SEVERITY[best]:
            best = r["action"]
    return best


def load_policy(spec: str) -> tuple[str, dict]:
    if spec in PRESETS:
        return spec, PRESETS[spec]
    return Path(spec).name, json.loads(Path(spec).read_text(encoding="utf-8"))


def summarise(images, name, rules, second=None):
    missing = collections.Counter()
    acts = [(i, decide(i, rules, second, missing)) for i in images]
    corpus = [(i, a) for i, a in acts if i.get("set") == "corpus"]
    probe = [(i, a) for i, a in acts if i.get("set") == "probe"]

    def rate(xs):
        n = sum(1 for _, a in xs if a != "allow")
        return f"{n}/{len(xs)} ({100 * n / len(xs):.1f} %)" if xs else "-"

    lines = [f"policy {name}: corpus {rate(corpus)} flagged; photos of people "
             f"{rate([x for x in corpus if x[0].get('kind') == 'photo-people'])}"]
    for k in sorted({i.get("kind") for i, _ in corpus}):
        lines.append(f"  {k:<18} {rate([x for x in corpus if x[0].get('kind') == k])}")
    if probe:
        for s, v in sorted({(i["probe_set"], i["variant"]) for i, _ in probe}):
            cells = [f"{t}: {rate([x for x in probe if x[0]['probe_set'] == s and x[0]['variant'] == v and x[0]['tone'] == t])}"
                     for t in ("none", "1", "2", "3", "4", "5")]
            lines.append(f"  probe {s}/{v}: " + "; ".join(cells))
    if missing:
        lines.append("  conditions on missing model scores (treated as not holding): "
                     + ", ".join(f"{m} {n}" for m, n in missing.items()))
    return acts, "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scores", required=True, help="JSON written by evaluate.py --scores-out")
    ap.add_argument("--policy", action="append", required=True, help="preset name or policy JSON file (repeatable)")
    ap.add_argument("--second", help="pack name that 'second' refers to")
    ap.add_argument("--check", action="store_true",
                    help="fail unless the simulated action equals the CLI's recorded action for every image "
                         "(for policies the CLI was run with)")
    args = ap.parse_args(argv)
    data = json.loads(Path(args.scores).read_text(encoding="utf-8"))
    images = data["images"]
    status = 0
    for spec in args.policy:
        name, pol = load_policy(spec)
        rules = normalise(pol)
        acts, text = summarise(images, name, rules, args.second)
        print(text)
        if args.check:
            recorded = [(i, a) for i, a in acts if spec in i.get("actions", {})]
            diff = [(i["file"], i["actions"][spec], a) for i, a in recorded if i["actions"][spec] != a]
            print(f"  check vs CLI ({spec}): {len(recorded) - len(diff)}/{len(recorded)} actions agree")
            for d in diff[:10]:
                print(f"    differs: {d}")
            if diff or not recorded:
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
