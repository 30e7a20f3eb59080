#!/usr/bin/env python3
"""Skin-tone probe: the same emoji in its default colour and in the five Fitzpatrick skin tones.

Three emoji sets, all from pinned packages (nothing is redistributed; only the manifest is kept):

  google   npm emoji-datasource-google@16.0.0   img/google/64/<code>.png      (Noto artwork, Apache-2.0)
  twitter  npm emoji-datasource-twitter@16.0.0  img/twitter/64/<code>.png     (Twemoji artwork, CC-BY-4.0)
  noto     deb fonts-noto-color-emoji=2.042-0+deb12u1, NotoColorEmoji.ttf (OFL-1.1), each glyph
           rendered with Pillow's FreeType at 109 px (the font's bitmap strike, 136 px em) onto a
           transparent 160x160 canvas

Emoji picked: every entry of emoji-datasource's emoji.json that has a default image and all five
single-tone variants (base-1F3FB ... base-1F3FF) in *both* npm sets: hands, gestures, faces, people,
roles and activities. Left out by name: anything about bathing, swimming, surfing, water polo,
saunas/steam rooms, beds, breast-feeding, kissing and couples-with-heart, merpeople, and the whole
"body-parts" subcategory (legs, feet, ears, noses, muscles), so the probe stays hands, faces and
clothed people.

Alpha: these PNGs are transparent around the drawing, and the colour stored under fully transparent
pixels is arbitrary (black in most Twemoji pixels, a mix of black and edge colours in the Noto
PNGs). The SDK drops alpha and keeps the stored RGB. Each picture is therefore written twice:
  variant `white`       composited onto white (what a person sees on a light screen) — the honest probe;
  variant `stored-rgb`  alpha dropped, stored RGB kept (what the SDK sees when handed the raw PNG).
The noto set only has the `white` variant (a rendered glyph has no stored RGB of its own).

    models/corpus/.venv/bin/python models/corpus/build_skin_tone_probe.py [--cache DIR] [--out DIR]

Writes OUT/<set>/<variant>/<base>-<tone>.png and SKIN_TONE_MANIFEST.tsv beside this script;
re-running verifies the sha256 of every source file listed in an existing manifest (--verify).
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
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_corpus import Fetcher, Source, list_files, sha256_bytes  # noqa: E402

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "SKIN_TONE_MANIFEST.tsv"
COLUMNS = ["set", "package", "version", "base_codepoint", "tone", "path", "sha256", "file_name",
           "variant", "emoji_name", "out_sha256"]
TONES = {"1F3FB": "1", "1F3FC": "2", "1F3FD": "3", "1F3FE": "4", "1F3FF": "5"}  # light .. dark
NPM_SETS = {
    "google": Source("npm", "emoji-datasource-google", "16.0.0", "MIT (data); images Apache-2.0 (Noto)", []),
    "twitter": Source("npm", "emoji-datasource-twitter", "16.0.0", "MIT (data); images CC-BY-4.0 (Twemoji)", []),
}
NOTO = Source("deb", "fonts-noto-color-emoji", "2.042-0+deb12u1", "OFL-1.1", [])
NOTO_FONT = "usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
LEAVE_OUT = re.compile(r"bath|swim|surf|water polo|sauna|steam|bed|breast|kiss|couple with heart|merm|merperson|"
                       r"mermaid|merman", re.I)


def png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def on_white(rgba: Image.Image) -> Image.Image:
    bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    bg.alpha_composite(rgba)
    return bg.convert("RGB")


def pick_emoji(meta: list[dict], files: dict[str, dict]) -> list[dict]:
    out = []
    for e in meta:
        sv = e.get("skin_variations") or {}
        singles = {k: v for k, v in sv.items() if k in TONES}
        if len(singles) != 5 or e.get("subcategory") == "body-parts":
            continue
        names = " ".join([e.get("name") or ""] + (e.get("short_names") or []))
        if LEAVE_OUT.search(names):
            continue
        imgs = [e["image"]] + [singles[k]["image"] for k in sorted(singles)]
        if all(all(i in f for i in imgs) for f in files.values()):
            out.append(e)
    out.sort(key=lambda e: e["unified"])
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=os.environ.get("SAFEFRAME_CORPUS_CACHE", "/work/corpus-cache"))
    ap.add_argument("--out", default=os.environ.get("SAFEFRAME_PROBE_OUT"))
    ap.add_argument("--verify", action="store_true", help="check the sources listed in SKIN_TONE_MANIFEST.tsv")
    args = ap.parse_args(argv)
    cache = Path(args.cache)
    out_dir = Path(args.out) if args.out else cache / "skin-tone-probe"
    fetcher = Fetcher(cache)

    roots = {k: fetcher.root(s) for k, s in NPM_SETS.items()}
    files = {}
    for k, root in roots.items():
        d = root / "package" / "img" / k / "64"
        files[k] = {p.name: p for p in d.iterdir()}
    meta = json.loads((roots["google"] / "package" / "emoji.json").read_text(encoding="utf-8"))
    chosen = pick_emoji(meta, files)

    noto_root = fetcher.root(NOTO)
    font_bytes = (noto_root / NOTO_FONT).read_bytes()
    font_sha = sha256_bytes(font_bytes)
    font = ImageFont.truetype(str(noto_root / NOTO_FONT), 109)

    rows = []
    if out_dir.exists():
        shutil.rmtree(out_dir)
    for e in chosen:
        base = e["unified"].lower()  # the default (untoned) sequence: unique per emoji, unlike its first code point
        variants = [("none", e["image"], e["unified"])] + [
            (TONES[k], e["skin_variations"][k]["image"], e["skin_variations"][k]["unified"]) for k in sorted(TONES)]
        for tone, image, unified in variants:
            stem = f"{base}-{'t' + tone if tone != 'none' else 'default'}"
            for set_name, src in NPM_SETS.items():
                data = files[set_name][image].read_bytes()
                rgba = Image.open(io.BytesIO(data)).convert("RGBA")
                for variant, im in (("white", on_white(rgba)), ("stored-rgb", rgba.convert("RGB"))):
                    fn = f"{set_name}/{variant}/{stem}.png"
                    ob = png(im)
                    (out_dir / fn).parent.mkdir(parents=True, exist_ok=True)
                    (out_dir / fn).write_bytes(ob)
                    rows.append({"set": set_name, "package": src.name, "version": src.version,
                                 "base_codepoint": e["unified"], "tone": tone,
                                 "path": f"package/img/{set_name}/64/{image}", "sha256": sha256_bytes(data),
                                 "file_name": fn, "variant": variant, "emoji_name": e["name"].lower(),
                                 "out_sha256": sha256_bytes(ob)})
            # noto: render the code point sequence (the emoji's fully-qualified form) from the font
            text = "".join(chr(int(c, 16)) for c in unified.split("-"))
            canvas = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
            ImageDraw.Draw(canvas).text((80, 80), text, font=font, embedded_color=True, anchor="mm")
            if canvas.getbbox() is None:
                continue
            fn = f"noto/white/{stem}.png"
            ob = png(on_white(canvas))
            (out_dir / fn).parent.mkdir(parents=True, exist_ok=True)
            (out_dir / fn).write_bytes(ob)
            rows.append({"set": "noto", "package": NOTO.name, "version": NOTO.version,
                         "base_codepoint": e["unified"], "tone": tone,
                         "path": f"{NOTO_FONT}#{unified}", "sha256": font_sha, "file_name": fn,
                         "variant": "white", "emoji_name": e["name"].lower(), "out_sha256": sha256_bytes(ob)})

    if args.verify and MANIFEST.is_file():
        lines = [ln for ln in MANIFEST.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
        old = {(r["file_name"], r["sha256"]) for r in csv.DictReader(lines, delimiter="\t")}
        new = {(r["file_name"], r["sha256"]) for r in rows}
        bad = old - new
        print(f"verified {len(old) - len(bad)}/{len(old)} probe rows (source sha256)", file=sys.stderr)
        return 1 if bad else 0

    with MANIFEST.open("w", encoding="utf-8", newline="") as f:
        f.write("# Skin-tone probe, written by models/corpus/build_skin_tone_probe.py. tone: none (default\n"
                "# yellow/neutral) or 1..5 = U+1F3FB (light) .. U+1F3FF (dark). sha256: of the source PNG (npm\n"
                "# sets) or of NotoColorEmoji.ttf (noto set, path = font#sequence). base_codepoint: the untoned\n"
                "# emoji's full sequence. variant: white (alpha\n"
                "# composited onto white) | stored-rgb (alpha dropped, stored RGB kept, as the SDK reads raw PNGs).\n")
        w = csv.DictWriter(f, COLUMNS, delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    sets = {}
    for r in rows:
        sets[(r["set"], r["variant"])] = sets.get((r["set"], r["variant"]), 0) + 1
    print(f"{len(chosen)} emoji x 6 tones; {len(rows)} images in {out_dir}: "
          + ", ".join(f"{s}/{v} {n}" for (s, v), n in sorted(sets.items())), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
