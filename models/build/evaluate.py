#!/usr/bin/env python3
"""Compare an int8 model pack with the fp32 one, and time both on one thread.

For each folder of RGB PNGs, runs both models on pixel / 255 (float32, NHWC, batch 1); images
that are not 224x224 (e.g. tests/fixtures/golden/pixels) are resized exactly as nsfwjs does
(golden_parity.nsfwjs_input: /255 in float32, then the align-corners bilinear resize in float64,
no rounding), 224x224 ones (already resized with the model's exact resize) are only divided. and reports top-1 agreement, the max
|delta p| per class and overall, and the images where top-1 differs. Latency: both
sessions with intra_op_num_threads=1 and inter_op_num_threads=1, sequential execution,
run alternately in one process on one fixed image after warm-up; the median of N runs.

Usage:
  evaluate.py --fp32 fp32.onnx --int8 int8.onnx --set calibration=../calibration \
      --set holdout=work/holdout [--set golden=../../tests/fixtures/golden/pixels] \
      [--latency-runs 300] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from golden_parity import nsfwjs_input  # noqa: E402

LABELS = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"]


def session(path: Path, threads: int | None) -> ort.InferenceSession:
    so = ort.SessionOptions()
    if threads is not None:
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def load_dir(d: Path) -> tuple[list[str], np.ndarray]:
    files = sorted(d.glob("*.png"))
    arrs = []
    for f in files:
        with Image.open(f) as im:
            assert im.mode == "RGB", f
            rgb = np.asarray(im, dtype=np.uint8)
        if im.size == (224, 224):
            arrs.append(rgb.astype(np.float32) / np.float32(255.0))
        else:
            arrs.append(nsfwjs_input(rgb))
    return [f.name for f in files], np.stack(arrs)


def run(sess: ort.InferenceSession, x: np.ndarray) -> np.ndarray:
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))])


def compare(names, p32, p8) -> dict:
    d = np.abs(p32 - p8)
    t32, t8 = p32.argmax(1), p8.argmax(1)
    worst = int(d.max(1).argmax())
    return {
        "images": len(names),
        "top1_agree": int((t32 == t8).sum()),
        "max_abs_dp": float(d.max()),
        "max_abs_dp_per_class": {LABELS[c]: float(d[:, c].max()) for c in range(5)},
        "mean_abs_dp": float(d.mean()),
        "worst_image": names[worst],
        "worst_fp32": [round(float(v), 4) for v in p32[worst]],
        "worst_int8": [round(float(v), 4) for v in p8[worst]],
        "disagreements": [
            {"image": names[i], "fp32": LABELS[t32[i]], "int8": LABELS[t8[i]],
             "p_fp32": [round(float(v), 4) for v in p32[i]], "p_int8": [round(float(v), 4) for v in p8[i]]}
            for i in np.nonzero(t32 != t8)[0]
        ],
        "fp32_softmax_sum_max_err": float(np.abs(p32.sum(1) - 1).max()),
        "int8_softmax_sum_max_err": float(np.abs(p8.sum(1) - 1).max()),
    }


def latency(s32, s8, x: np.ndarray, runs: int, warmup: int = 20) -> dict:
    n32, n8 = s32.get_inputs()[0].name, s8.get_inputs()[0].name
    for _ in range(warmup):
        s32.run(None, {n32: x})
        s8.run(None, {n8: x})
    t32, t8 = [], []
    for _ in range(runs):  # alternate so both see the same machine load
        a = time.perf_counter()
        s32.run(None, {n32: x})
        b = time.perf_counter()
        s8.run(None, {n8: x})
        c = time.perf_counter()
        t32.append((b - a) * 1e3)
        t8.append((c - b) * 1e3)
    m32, m8 = statistics.median(t32), statistics.median(t8)
    return {"runs": runs, "fp32_median_ms": m32, "int8_median_ms": m8, "int8_over_fp32": m8 / m32,
            "fp32_p10_p90_ms": [float(np.percentile(t32, 10)), float(np.percentile(t32, 90))],
            "int8_p10_p90_ms": [float(np.percentile(t8, 10)), float(np.percentile(t8, 90))]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fp32", type=Path, required=True)
    ap.add_argument("--int8", type=Path, required=True)
    ap.add_argument("--set", action="append", default=[], metavar="NAME=DIR")
    ap.add_argument("--latency-runs", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    s32, s8 = session(args.fp32, None), session(args.int8, None)
    report = {"onnxruntime": ort.__version__, "sets": {}}
    first = None
    for spec in args.set:
        name, d = spec.split("=", 1)
        names, x = load_dir(Path(d))
        first = x[:1] if first is None else first
        r = compare(names, run(s32, x), run(s8, x))
        report["sets"][name] = r
        print(f"{name}: {r['top1_agree']}/{r['images']} top-1 agree, max|dp| {r['max_abs_dp']:.4f} "
              f"(per class {', '.join(f'{k} {v:.4f}' for k, v in r['max_abs_dp_per_class'].items())}), "
              f"worst {r['worst_image']}")
        for dis in r["disagreements"]:
            print(f"   top-1 differs: {dis['image']} fp32 {dis['fp32']} {dis['p_fp32']} int8 {dis['int8']} {dis['p_int8']}")
    if args.latency_runs:
        l1_32, l1_8 = session(args.fp32, 1), session(args.int8, 1)
        report["latency_1thread"] = latency(l1_32, l1_8, first, args.latency_runs)
        lt = report["latency_1thread"]
        print(f"1-thread latency (median of {lt['runs']}): fp32 {lt['fp32_median_ms']:.2f} ms, "
              f"int8 {lt['int8_median_ms']:.2f} ms, ratio {lt['int8_over_fp32']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
