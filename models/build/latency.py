#!/usr/bin/env python3
"""Time several ONNX model packs side by side on one thread, in one process.

Each model gets an onnxruntime session with intra_op_num_threads=1, inter_op_num_threads=1 and
sequential execution (as evaluate.py). After warm-up, the models run in turn on the same input
(one 224x224 image of --image, pixel / 255, batch 1), one call each per round, so every model
sees the same machine load; reported are the median and p10/p90 per model and each median's
ratio to the first model's. On a shared machine only the ratios are meaningful.

Usage:
  latency.py --model v2-fp32=../nsfwjs-mobilenetv2-fp32/model.onnx \
      --model mid-fp32=../nsfwjs-mobilenetv2mid-fp32/model.onnx \
      --model mid-int8=../nsfwjs-mobilenetv2mid-int8/model.onnx --runs 500 [--json out.json]
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

HERE = Path(__file__).resolve().parent
DEFAULT_IMAGE = HERE.parent / "calibration" / "tuxst-fruit-avocado.png"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", required=True, metavar="NAME=PATH")
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--image", type=Path, default=DEFAULT_IMAGE, help="a 224x224 RGB PNG")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    with Image.open(args.image) as im:
        if im.mode != "RGB" or im.size != (224, 224):
            raise SystemExit(f"{args.image}: expected a 224x224 RGB PNG")
        x = (np.asarray(im, dtype=np.uint8).astype(np.float32) / np.float32(255.0))[None]
    models = []
    for spec in args.model:
        name, path = spec.split("=", 1)
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        models.append((name, path, sess, sess.get_inputs()[0].name))
    for _ in range(args.warmup):
        for _, _, sess, inp in models:
            sess.run(None, {inp: x})
    times: dict[str, list[float]] = {name: [] for name, *_ in models}
    for _ in range(args.runs):
        for name, _, sess, inp in models:
            a = time.perf_counter()
            sess.run(None, {inp: x})
            times[name].append((time.perf_counter() - a) * 1e3)
    base = statistics.median(times[models[0][0]])
    report = {"onnxruntime": ort.__version__, "runs": args.runs, "image": args.image.name, "models": {}}
    for name, path, *_ in models:
        t = times[name]
        med = statistics.median(t)
        report["models"][name] = {"path": path, "bytes": Path(path).stat().st_size, "median_ms": med,
                                  "p10_ms": float(np.percentile(t, 10)), "p90_ms": float(np.percentile(t, 90)),
                                  "ratio_to_first": med / base}
        print(f"{name:>14}: median {med:7.2f} ms (p10 {np.percentile(t, 10):6.2f}, p90 {np.percentile(t, 90):6.2f}), "
              f"x{med / base:.3f} of {models[0][0]}, {Path(path).stat().st_size} bytes")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
