#!/usr/bin/env python3
"""Build the int8 calibration set (and a held-out evaluation set) from benign package images.

Every source image is named in ``calibration_sources.tsv`` (beside this script) with the
package it ships in (a pinned PyPI wheel installed in the build venv, or a pinned Debian
package), its path inside that package, its licence, its split (``calibration`` or
``holdout``) and the crops to take from it. Each crop is resized to 224x224 with the
model's exact preprocessing resize and written as an RGB PNG, so that ``quantize.py``
only has to divide by 255.

Resize rule (``bilinear-align-corners``), written to match tf.image.resizeBilinear(img,
[224, 224], alignCorners=true) as run by tfjs's CPU backend (what nsfwjs uses in Node):
the source coordinate of output index i is ``i * ((in - 1) / (out - 1))`` (0 when out == 1),
``floor`` and ``ceil`` of it pick the neighbours (clamped to the image), and

    top    = tl + (tr - tl) * xfrac
    bottom = bl + (br - bl) * xfrac
    out    = top + (bottom - top) * yfrac

No antialiasing; the aspect ratio is squashed. tfjs evaluates this in JavaScript numbers
(float64) and stores float32; this script does the same, then rounds half up to uint8 for
storage (the only lossy step).

Pixel decoding: Pillow. Grey images are replicated to RGB. Images where more than 0.1% of
the pixels have alpha below 255 are refused (none are listed); otherwise the alpha channel
is dropped and the stored RGB kept, as nsfwjs does in Node (scikit-image's horse.png has
12 partly transparent white edge pixels out of 131,200).

Usage:
  make_calibration.py --split calibration --out-dir ../calibration --deb-cache work/debs
  make_calibration.py --split holdout     --out-dir work/holdout    --deb-cache work/debs
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.metadata
import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

SIZE = 224
HERE = Path(__file__).resolve().parent
DEFAULT_SOURCES = HERE / "calibration_sources.tsv"


# --------------------------------------------------------------------------- resize


def _axis(in_size: int, out_size: int):
    """Source indices and fractions along one axis, exactly as tfjs-backend-cpu computes them."""
    eff_in = in_size - 1 if out_size > 1 else in_size
    eff_out = out_size - 1 if out_size > 1 else out_size
    ratio = eff_in / eff_out  # float64, like a JavaScript number
    src = ratio * np.arange(out_size, dtype=np.float64)
    lo = np.maximum(0.0, np.floor(src))
    frac = src - lo
    hi = np.minimum(in_size - 1, np.ceil(src))
    return lo.astype(np.int64), hi.astype(np.int64), frac


def resize_bilinear_align_corners(img: np.ndarray, out_h: int = SIZE, out_w: int = SIZE) -> np.ndarray:
    """Resize an HxWxC image; returns float32 HxWxC values in the input's range."""
    if img.ndim != 3:
        raise ValueError("expected an HxWxC array")
    in_h, in_w = img.shape[:2]
    src = img.astype(np.float64)
    y0, y1, yf = _axis(in_h, out_h)
    x0, x1, xf = _axis(in_w, out_w)
    xf = xf[None, :, None]
    yf = yf[:, None, None]
    tl = src[y0][:, x0]
    tr = src[y0][:, x1]
    bl = src[y1][:, x0]
    br = src[y1][:, x1]
    top = tl + (tr - tl) * xf
    bottom = bl + (br - bl) * xf
    return (top + (bottom - top) * yf).astype(np.float32)


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Round half up and clamp to 0..255 (storage only)."""
    return np.clip(np.floor(values.astype(np.float64) + 0.5), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- crops


def crop_box(name: str, w: int, h: int) -> tuple[int, int, int, int]:
    """(x0, y0, width, height) in source pixels for a named crop."""
    m = min(w, h)
    if name == "full":
        return 0, 0, w, h
    if name == "center":  # largest centred square
        return (w - m) // 2, (h - m) // 2, m, m
    if name == "zoom":  # centred square, half the short side
        s = max(1, m // 2)
        return (w - s) // 2, (h - s) // 2, s, s
    if name == "tl":  # square of 3/5 the short side, 1/10 in from the top-left corner
        s = max(1, (3 * m) // 5)
        return w // 10, h // 10, s, s
    if name == "left":  # largest square at the left edge, vertically centred
        return 0, (h - m) // 2, m, m
    raise ValueError(f"unknown crop {name!r}")


# --------------------------------------------------------------------------- sources


@dataclass
class Source:
    id: str
    split: str
    package: str
    path: str
    licence: str
    crops: list[str]

    @property
    def kind(self) -> str:
        return self.package.split(":", 1)[0]

    @property
    def name_version(self) -> tuple[str, str]:
        spec = self.package.split(":", 1)[1]
        sep = "==" if self.kind == "pypi" else "="
        name, version = spec.split(sep, 1)
        return name, version


def read_sources(path: Path) -> list[Source]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t"))
    out = []
    for r in rows:
        s = Source(r["id"], r["split"], r["package"], r["path"], r["licence"], r["crops"].split(","))
        if s.kind not in ("pypi", "deb") or s.split not in ("calibration", "holdout"):
            raise ValueError(f"bad row for {s.id}")
        out.append(s)
    ids = [s.id for s in out]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate ids in sources")
    return out


def pypi_file(src: Source) -> Path:
    name, version = src.name_version
    dist = importlib.metadata.distribution(name)
    if dist.version != version:
        raise SystemExit(f"{name} {dist.version} installed, sources pin {version}: use the build venv")
    rel = src.path.split("#", 1)[0]
    p = Path(dist.locate_file(rel))
    if not p.is_file():
        raise SystemExit(f"{rel} is not in the installed {name} {version}")
    return p


def deb_root(name: str, version: str, cache: Path) -> Path:
    """Extract NAME=VERSION under cache (apt-get download + dpkg-deb -x), once."""
    root = cache / f"{name}_{version}"
    if (root / ".complete").is_file():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    debs = [p for p in cache.glob(f"{name}_*.deb")]
    deb = None
    for p in debs:
        v = subprocess.run(["dpkg-deb", "-f", str(p), "Version"], capture_output=True, text=True, check=True).stdout.strip()
        if v == version:
            deb = p
    if deb is None:
        r = subprocess.run(["apt-get", "download", f"{name}={version}"], cwd=cache, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(
                f"apt-get download {name}={version} failed (run 'apt-get update' first; "
                f"Debian 12 'bookworm' has this version):\n{r.stderr}"
            )
        for p in cache.glob(f"{name}_*.deb"):
            v = subprocess.run(["dpkg-deb", "-f", str(p), "Version"], capture_output=True, text=True, check=True).stdout.strip()
            if v == version:
                deb = p
    if deb is None:
        raise SystemExit(f"could not obtain {name}={version}")
    if root.exists():
        shutil.rmtree(root)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    (root / ".complete").write_text(version + "\n")
    return root


def deb_file(src: Source, cache: Path) -> Path:
    name, version = src.name_version
    p = deb_root(name, version, cache) / src.path.lstrip("/")
    if not p.is_file():
        raise SystemExit(f"{src.path} is not in {name} {version}")
    return p


def load_rgb(src: Source, file: Path) -> np.ndarray:
    """Decode a source to an HxWx3 uint8 array."""
    if "#" in src.path:  # one image of a stacked .npy (float in [0, 1], grey)
        idx = int(src.path.split("#", 1)[1])
        arr = np.load(file)[idx]
        arr = to_uint8(arr.astype(np.float64) * 255.0) if arr.dtype != np.uint8 else arr
        return np.repeat(arr[:, :, None], 3, axis=2)
    im = Image.open(file)
    im.load()
    if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
        alpha = np.asarray(im.convert("RGBA"))[:, :, 3]
        if np.mean(alpha < 255) > 0.001:
            raise SystemExit(f"{src.id}: has transparent pixels; not usable")
    if im.mode in ("L", "LA", "I;16", "I", "1"):
        g = np.asarray(im.convert("L"))
        return np.repeat(g[:, :, None], 3, axis=2)
    return np.asarray(im.convert("RGB"))


def sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def encode_png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, "RGB").save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=["calibration", "holdout"], required=True)
    ap.add_argument("--out-dir", type=Path, required=True)
    ap.add_argument("--sources", type=Path, default=DEFAULT_SOURCES)
    ap.add_argument("--deb-cache", type=Path, default=HERE / "work" / "debs",
                    help="where pinned Debian packages are downloaded and extracted")
    args = ap.parse_args(argv)

    sources = [s for s in read_sources(args.sources) if s.split == args.split]
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):  # idempotent: the directory holds exactly this split
        old.unlink()

    rows = []
    total = 0
    for s in sources:
        file = pypi_file(s) if s.kind == "pypi" else deb_file(s, args.deb_cache)
        src_sha = sha256_bytes(file.read_bytes())
        rgb = load_rgb(s, file)
        h, w = rgb.shape[:2]
        name, version = s.name_version
        orig = s.path if s.kind == "deb" else f"site-packages/{s.path}"
        for c in s.crops:
            x0, y0, cw, ch = crop_box(c, w, h)
            resized = resize_bilinear_align_corners(rgb[y0:y0 + ch, x0:x0 + cw])
            png = encode_png(to_uint8(resized))
            fname = f"{s.id}.png" if c == "full" else f"{s.id}__{c}.png"
            (out / fname).write_bytes(png)
            total += len(png)
            rows.append([fname, f"{s.kind}:{name}", version, orig, s.licence, c,
                         f"{x0},{y0},{cw},{ch}", f"{w}x{h}", src_sha, sha256_bytes(png)])

    rows.sort(key=lambda r: r[0])
    with open(out / "SOURCES.tsv", "w", encoding="utf-8", newline="") as f:
        f.write("# Made by models/build/make_calibration.py from models/build/calibration_sources.tsv.\n")
        f.write("# Each PNG is 224x224 RGB: the crop (x0,y0,w,h of the source) resized with the exact\n")
        f.write("# bilinear-align-corners rule, rounded to uint8. Licences are those of the source images.\n")
        wr = csv.writer(f, delimiter="\t", lineterminator="\n")
        wr.writerow(["file", "package", "version", "original_path", "licence", "crop", "crop_box",
                     "source_size", "source_sha256", "sha256"])
        wr.writerows(rows)
    print(f"{args.split}: {len(rows)} images from {len(sources)} sources, {total} bytes -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
