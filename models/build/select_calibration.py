#!/usr/bin/env python3
"""Pick the int8 calibration set from the benign image pool's calibration split.

Reads POOL/calibration-224 (224x224 RGB PNGs already resized with the model's exact rule,
bilinear align-corners) and POOL/calibration-224/SOURCES.tsv, picks up to --count images
spread over kinds (drawing, photo, texture, skin-texture, synthetic) and source packages,
deterministically (round-robin over packages inside each kind, files in sha256 order), copies
them into --out-dir and writes --out-dir/SOURCES.tsv (file, kind, package, version, license,
original_path, sha256). Refuses to write if any picked image has the same pixels as an
evaluation image (--exclude dirs; other sizes are resized with the same rule before comparing)
or if the folder would exceed --max-bytes.

Usage: select_calibration.py --pool /work/pool --out-dir ../calibration \
         --exclude ../../tests/fixtures/eval --exclude ../../tests/fixtures/golden/pixels
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import shutil
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_calibration import resize_bilinear_align_corners, to_uint8  # noqa: E402

# images per kind (sum 164, so the folder stays under 10 MB); skin-coloured textures and photos are the hard benign cases
QUOTA = {"skin-texture": 48, "photo": 44, "texture": 30, "drawing": 32, "synthetic": 10}


def pixels_sha(path: Path, resize: bool) -> set[str]:
    with Image.open(path) as im:
        arr = np.asarray(im.convert("RGB"), dtype=np.uint8)
    out = {hashlib.sha256(arr.tobytes()).hexdigest()}
    if resize and arr.shape[:2] != (224, 224):
        out.add(hashlib.sha256(to_uint8(resize_bilinear_align_corners(arr)).tobytes()).hexdigest())
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pool", type=Path, required=True)
    ap.add_argument("--out-dir", type=Path, required=True)
    ap.add_argument("--exclude", type=Path, action="append", default=[])
    ap.add_argument("--max-bytes", type=int, default=10_000_000)
    args = ap.parse_args(argv)

    src_dir = args.pool / "calibration-224"
    splits = {r["file"]: r["split"] for r in csv.DictReader(open(args.pool / "splits.tsv"), delimiter="\t")}
    lines = [l for l in open(src_dir / "SOURCES.tsv") if not l.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t"))
    by_kind: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if splits.get(r["file"]) != "calibration":
            raise SystemExit(f"{r['file']}: not in the pool's calibration split")
        by_kind[r["kind"]][r["package"]].append(r)
    picked = []
    for kind, quota in QUOTA.items():
        pkgs = {p: sorted(rs, key=lambda r: r["sha256"]) for p, rs in sorted(by_kind[kind].items())}
        i = 0
        chosen = []
        while len(chosen) < quota and any(i < len(v) for v in pkgs.values()):
            for p, rs in pkgs.items():
                if i < len(rs) and len(chosen) < quota:
                    chosen.append(rs[i])
            i += 1
        picked += chosen

    excluded: set[str] = set()
    for d in args.exclude:
        for f in sorted(d.glob("*.png")):
            excluded |= pixels_sha(f, resize=True)
    total = 0
    for r in picked:
        f = src_dir / r["file"]
        if hashlib.sha256(f.read_bytes()).hexdigest() != r["sha256"]:
            raise SystemExit(f"{f}: sha256 differs from SOURCES.tsv")
        if pixels_sha(f, resize=False) & excluded:
            raise SystemExit(f"{f}: same pixels as an evaluation image")
        total += f.stat().st_size
    if total > args.max_bytes:
        raise SystemExit(f"{total} bytes > {args.max_bytes}")

    args.out_dir.mkdir(parents=True, exist_ok=True)
    for old in args.out_dir.glob("*.png"):
        old.unlink()
    with open(args.out_dir / "SOURCES.tsv", "w", newline="") as fh:
        fh.write("# int8 calibration images, picked by models/build/select_calibration.py from the benign pool's\n"
                 "# calibration split (224x224, bilinear align-corners resize, rounded to uint8); disjoint from\n"
                 "# tests/fixtures/eval and tests/fixtures/golden (checked by pixel sha256).\n")
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["file", "kind", "package", "version", "license", "original_path", "sha256"])
        for r in sorted(picked, key=lambda r: r["file"]):
            shutil.copyfile(src_dir / r["file"], args.out_dir / r["file"])
            w.writerow([r["file"], r["kind"], r["package"], r["version"], r["license"], r["original_path"], r["sha256"]])
    kinds = defaultdict(int)
    for r in picked:
        kinds[r["kind"]] += 1
    print(f"{len(picked)} images, {total} bytes, {dict(kinds)}; checked against {len(excluded)} evaluation pixel hashes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
