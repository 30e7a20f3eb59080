#!/usr/bin/env python3
"""False-alarm report of a safeframe CLI on the benign corpus and the skin-tone probe.

Every image in both sets is benign, so every image a policy flags (action warn, blur or block) is a
false positive. Runs

    BIN scan --json --policy P [--model M] [EXTRA ...] CORPUS_DIR PROBE_DIR

once per policy, parses the JSON Lines (path, action, category, scores{drawing,hentai,neutral,porn,
sexy}; newer binaries add `models` = {pack: {label: p}} and `rule`), joins each line to its manifest
row and prints a report: share flagged overall, per kind, photos of people, per probe set/variant
and skin tone, and the worst images with their provenance (package, version, path in package).

    models/corpus/.venv/bin/python models/corpus/evaluate.py --model nsfwjs-mobilenetv2-fp32 \
        --scores-out /work/corpus-cache/scores-fp32.json --report-out /work/corpus-cache/report-fp32.md
    # extra CLI arguments go after `--`:  evaluate.py --policy child -- --threads 2

--scores-out saves the per-image scores (and each policy's action) as JSON for tune.py, which
simulates other threshold rules offline. Python 3.11, stdlib only.
"""
from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("SAFEFRAME_CORPUS_CACHE", "/work/corpus-cache"))
CLASSES = ("drawing", "hentai", "neutral", "porn", "sexy")
FLAG_CLASSES = ("hentai", "porn", "sexy")


def read_tsv(path: Path):
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def flag_score(scores: dict) -> float:
    """How close an image came to being flagged: the larger of its porn+hentai+sexy sum and any one of them."""
    return sum(scores.get(c, 0.0) for c in FLAG_CLASSES)


def run_scan(binary, policy, model, extra, dirs):
    cmd = [binary, "scan", "--json", "--policy", policy]
    if model:
        cmd += ["--model", model]
    cmd += list(extra) + [str(d) for d in dirs]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        errs = r.stderr.strip().splitlines()
        print(f"warning: {' '.join(cmd[:6])} … exited {r.returncode}: {errs[-3:] if errs else ''}", file=sys.stderr)
    out = []
    for ln in r.stdout.splitlines():
        ln = ln.strip()
        if ln:
            try:
                out.append(json.loads(ln))
            except json.JSONDecodeError:
                print(f"warning: not JSON: {ln[:120]}", file=sys.stderr)
    return out, r.stderr


def index_rows(corpus_dir: Path, probe_dir: Path, manifest: Path, probe_manifest: Path):
    idx = {}
    if manifest.is_file():
        for r in read_tsv(manifest):
            idx[str((corpus_dir / r["file_name"]).resolve())] = {
                "set": "corpus", "file": r["file_name"], "kind": r["kind"], "package": r["package"],
                "version": r["version"], "path_in_package": r["path_in_package"], "transform": r.get("transform", "")}
    if probe_manifest.is_file():
        for r in read_tsv(probe_manifest):
            idx[str((probe_dir / r["file_name"]).resolve())] = {
                "set": "probe", "file": r["file_name"], "kind": f"emoji-{r['set']}-{r['variant']}",
                "probe_set": r["set"], "variant": r["variant"], "tone": r["tone"], "base": r["base_codepoint"],
                "package": r["package"], "version": r["version"], "path_in_package": r["path"]}
    return idx


def pct(n, d):
    return f"{n}/{d} ({100 * n / d:.1f} %)" if d else "0/0"


def breakdown(items):
    c = collections.Counter((i["action"], i.get("category") or "-") for i in items if i["action"] != "allow")
    return ", ".join(f"{a}/{cat} {k}" for (a, cat), k in sorted(c.items())) or "none"


def report(images, policies, model, binary, worst_n):
    L = []
    L.append(f"# Benign false alarms: `{binary}` model `{model or '(default)'}`\n")
    L.append("Every image is benign: every flag (warn/blur/block) is a false positive.\n")
    corpus = [i for i in images if i["set"] == "corpus"]
    probe = [i for i in images if i["set"] == "probe"]
    for p in policies:
        L.append(f"\n## policy `{p}`\n")
        act = lambda i: {"action": i["actions"].get(p, "allow"), "category": i["categories"].get(p)}  # noqa: E731
        flagged = lambda xs: sum(1 for i in xs if i["actions"].get(p, "allow") != "allow")  # noqa: E731
        L.append(f"- corpus overall: **{pct(flagged(corpus), len(corpus))}** — {breakdown([act(i) for i in corpus])}")
        people = [i for i in corpus if i["kind"] == "photo-people"]
        L.append(f"- photos of people: **{pct(flagged(people), len(people))}** — {breakdown([act(i) for i in people])}")
        photos = [i for i in corpus if i["kind"].startswith("photo-")]
        L.append(f"- all photo-* kinds: {pct(flagged(photos), len(photos))}")
        L.append("\n| kind | flagged | detail |\n|---|---|---|")
        for k in sorted({i["kind"] for i in corpus}):
            xs = [i for i in corpus if i["kind"] == k]
            L.append(f"| {k} | {pct(flagged(xs), len(xs))} | {breakdown([act(i) for i in xs])} |")
        if probe:
            sets = sorted({(i["probe_set"], i["variant"]) for i in probe})
            tones = ["none", "1", "2", "3", "4", "5"]
            L.append("\n| probe set / variant | " + " | ".join(f"tone {t}" for t in tones) + " |")
            L.append("|---|" + "---|" * len(tones))
            for s, v in sets:
                cells = []
                for t in tones:
                    xs = [i for i in probe if i["probe_set"] == s and i["variant"] == v and i["tone"] == t]
                    cells.append(pct(flagged(xs), len(xs)))
                L.append(f"| {s} / {v} | " + " | ".join(cells) + " |")
            L.append("\n(tone none = default yellow; 1..5 = U+1F3FB light … U+1F3FF dark)")
    # worst images: by flag score, corpus only, then probe
    for label, xs in (("corpus", corpus), ("skin-tone probe", probe)):
        if not xs:
            continue
        L.append(f"\n## {worst_n} highest porn+hentai+sexy scores — {label}\n")
        L.append("| # | file | kind | package (version) | path in package | porn | hentai | sexy | "
                 + " | ".join(policies) + " |")
        L.append("|---|---|---|---|---|---|---|---|" + "---|" * len(policies))
        for n, i in enumerate(sorted(xs, key=lambda i: (-flag_score(i["scores"]), i["file"]))[:worst_n], 1):
            s = i["scores"]
            acts = " | ".join(f"{i['actions'].get(p, '?')}" + (f"/{i['categories'].get(p)}" if i['categories'].get(p) else "")
                              for p in policies)
            L.append(f"| {n} | {i['file']} | {i['kind']} | {i['package']} ({i['version']}) | {i['path_in_package']} | "
                     f"{s.get('porn', 0):.3f} | {s.get('hentai', 0):.3f} | {s.get('sexy', 0):.3f} | {acts} |")
    return "\n".join(L) + "\n"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = []
    if "--" in argv:
        k = argv.index("--")
        argv, extra = argv[:k], argv[k + 1:]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default="/work/main/target/release/safeframe")
    ap.add_argument("--policy", action="append", help="preset or JSON policy file (repeatable; default child, teen, adult)")
    ap.add_argument("--model", default=None)
    ap.add_argument("--corpus", default=str(CACHE / "corpus"))
    ap.add_argument("--probe", default=str(CACHE / "skin-tone-probe"))
    ap.add_argument("--no-probe", action="store_true")
    ap.add_argument("--manifest", default=str(HERE / "MANIFEST.tsv"))
    ap.add_argument("--probe-manifest", default=str(HERE / "SKIN_TONE_MANIFEST.tsv"))
    ap.add_argument("--scores-out", help="write per-image scores + actions (JSON) for tune.py")
    ap.add_argument("--report-out", help="write the report (Markdown) here too")
    ap.add_argument("--worst", type=int, default=20)
    args = ap.parse_args(argv)
    policies = args.policy or ["child", "teen", "adult"]
    corpus_dir, probe_dir = Path(args.corpus), Path(args.probe)
    dirs = [corpus_dir] + ([] if args.no_probe or not probe_dir.is_dir() else [probe_dir])
    idx = index_rows(corpus_dir, probe_dir, Path(args.manifest), Path(args.probe_manifest))

    images: dict[str, dict] = {}
    unmatched = 0
    for p in policies:
        lines, _ = run_scan(args.bin, p, args.model, extra, dirs)
        for ln in lines:
            key = str(Path(ln["path"]).resolve())
            meta = idx.get(key)
            if meta is None:
                unmatched += 1
                continue
            img = images.setdefault(key, {**meta, "scores": ln.get("scores", {}), "models": ln.get("models"),
                                          "actions": {}, "categories": {}, "rules": {}})
            if ln.get("scores") != img["scores"]:
                print(f"warning: scores of {meta['file']} differ between runs", file=sys.stderr)
            img["actions"][p] = ln.get("action", "error")
            img["categories"][p] = ln.get("category")
            if "rule" in ln:
                img["rules"][p] = ln["rule"]
    missing = [m["file"] for k, m in idx.items() if k not in images and (m["set"] == "corpus" or len(dirs) > 1)]
    if unmatched:
        print(f"warning: {unmatched} result lines matched no manifest row", file=sys.stderr)
    if missing:
        print(f"warning: {len(missing)} manifest images got no result (e.g. {missing[:3]})", file=sys.stderr)
    imgs = sorted(images.values(), key=lambda i: (i["set"], i["file"]))
    text = report(imgs, policies, args.model, args.bin, args.worst)
    print(text)
    if args.report_out:
        Path(args.report_out).write_text(text, encoding="utf-8")
    if args.scores_out:
        Path(args.scores_out).write_text(json.dumps({
            "bin": args.bin, "model": args.model, "policies": policies, "extra_args": extra,
            "images": imgs}, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
