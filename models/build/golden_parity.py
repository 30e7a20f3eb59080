#!/usr/bin/env python3
"""Compare an ONNX model pack with nsfwjs's own golden scores, on the exact golden pixels.

Reads a golden JSON written by tests/golden-node/golden.js (e.g.
tests/fixtures/golden/nsfwjs-mobilenetv2mid-scores.json); for every image, loads the stored RGB
pixels (pixels/<name>.png, 8-bit RGB, the exact pixels nsfwjs saw) and repeats nsfwjs's
preprocessing in numpy with nsfwjs's arithmetic: v = fround(p / 255) first, then (unless the
image is already 224x224) tf.image.resizeBilinear(alignCorners=true) evaluated in float64 and
stored as float32 (make_calibration.resize_bilinear_align_corners, the tfjs CPU kernel's rule).
No rounding to uint8 anywhere. Then runs the model (batch 1, NHWC) and reports max |delta p|
and top-1 agreement with the golden scores. Exits 1 if a --max-dp or --require-top1 bound fails.

Usage:
  golden_parity.py --model ../nsfwjs-mobilenetv2mid-fp32/model.onnx \
      --golden ../../tests/fixtures/golden/nsfwjs-mobilenetv2mid-scores.json --max-dp 1e-4 --require-top1
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_calibration import resize_bilinear_align_corners  # noqa: E402

SIZE = 224


def nsfwjs_input(rgb: np.ndarray) -> np.ndarray:
    """[H, W, 3] uint8 -> [224, 224, 3] float32, as NSFWJS.infer computes it."""
    v = (rgb.astype(np.float64) / 255.0).astype(np.float32)  # toFloat().div(255): double, stored float32
    if v.shape[0] == SIZE and v.shape[1] == SIZE:
        return v
    return resize_bilinear_align_corners(v, SIZE, SIZE)  # float64 arithmetic on the float32 values


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--golden", type=Path, required=True)
    ap.add_argument("--max-dp", type=float, help="fail if max |delta p| exceeds this")
    ap.add_argument("--require-top1", action="store_true", help="fail unless top-1 equals nsfwjs's on every image")
    ap.add_argument("--json", type=Path, help="write per-image results here")
    args = ap.parse_args(argv)

    golden = json.loads(args.golden.read_text(encoding="utf-8"))
    labels = golden["labels"]
    sess = ort.InferenceSession(str(args.model), providers=["CPUExecutionProvider"])
    in_name = sess.get_inputs()[0].name
    rows = []
    for entry in golden["images"]:
        with Image.open(args.golden.parent / entry["file"]) as im:
            if im.mode != "RGB":
                raise SystemExit(f"{entry['file']}: expected an 8-bit RGB PNG, got {im.mode}")
            rgb = np.asarray(im, dtype=np.uint8)
        if rgb.shape[:2] != (entry["height"], entry["width"]):
            raise SystemExit(f"{entry['file']}: size differs from the golden JSON")
        p = sess.run(None, {in_name: nsfwjs_input(rgb)[None]})[0][0].astype(np.float64)
        g = np.asarray(entry["scores"], dtype=np.float64)
        rows.append({"file": entry["file"], "max_abs_dp": float(np.abs(p - g).max()),
                     "top1_nsfwjs": labels[int(g.argmax())], "top1_onnx": labels[int(p.argmax())],
                     "onnx": [float(x) for x in p], "nsfwjs": [float(x) for x in g]})
    n = len(rows)
    top1 = sum(r["top1_nsfwjs"] == r["top1_onnx"] for r in rows)
    worst = max(rows, key=lambda r: r["max_abs_dp"])
    dps = np.array([r["max_abs_dp"] for r in rows])
    print(f"{args.model} vs {args.golden.name}: {n} images, top-1 equal {top1}/{n}, "
          f"max |dp| {dps.max():.3g} (median {np.median(dps):.3g}; worst {worst['file']}), onnxruntime {ort.__version__}")
    for r in rows:
        if r["top1_nsfwjs"] != r["top1_onnx"]:
            print(f"   top-1 differs: {r['file']} nsfwjs {r['top1_nsfwjs']} onnx {r['top1_onnx']}")
    if args.json:
        args.json.write_text(json.dumps({"images": n, "top1_equal": top1, "max_abs_dp": float(dps.max()), "rows": rows},
                                        indent=1))
    ok = True
    if args.max_dp is not None and dps.max() > args.max_dp:
        print(f"FAIL: max |dp| {dps.max():.3g} > {args.max_dp:g}")
        ok = False
    if args.require_top1 and top1 != n:
        print(f"FAIL: top-1 differs on {n - top1} image(s)")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
