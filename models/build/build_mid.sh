#!/usr/bin/env bash
# Builds SafeFrame's MobileNetV2Mid model packs from npm nsfwjs@4.4.0's `MobileNetV2Mid` model
# (dist/models/mobilenet_v2_mid, a tfjs *graph* model, 224x224, same classify() preprocessing as
# the default model):
#   models/nsfwjs-mobilenetv2mid-fp32/{model.onnx,manifest.json}
#   models/nsfwjs-mobilenetv2mid-int8/{model.onnx,manifest.json}
# build_models.sh runs this after the MobileNetV2 packs; it also runs on its own.
#
# Steps: pinned venv + npm package (env.sh, shared with build_models.sh) -> extract model.json + 2
# weight shards from nsfwjs's UMD wrappers (extract_nsfwjs.js ... MobileNetV2Mid) ->
# tfjs-graph-converter 1.6.3 (tfjs graph model -> TF frozen GraphDef; --compat_mode tflite splits
# tfjs's fused ops _FusedConv2D / FusedDepthwiseConv2dNative / _FusedMatMul into plain
# Conv2D/DepthwiseConv2dNative/MatMul + BiasAdd + Relu6, which TensorFlow 2.21 and tf2onnx accept;
# without it TF rejects the _FusedConv2D NodeDefs: "missing attr 'TArgs'") -> tf2onnx 1.17.0
# (opset 17; graph input input:0 -> `input`, output Identity:0 -> `Identity`) -> fp32 pack
# (batch dim named N, tf2onnx's counter-named depthwise Conv nodes named after their TF scope,
# shared constants canonicalised) -> check against nsfwjs's own scores (golden_parity.py on
# tests/fixtures/golden/nsfwjs-mobilenetv2mid-scores.json, if present: max |dp| <= 1e-4 and top-1
# equal on every golden image) -> ORT static QDQ int8 (calibrated on models/calibration) -> int8 pack.
#
# The graph's first ops are MobileNetV2's own `hub_input` scaling (x * 2 - 1), so the pack takes
# the same input as the default model: NHWC [N,224,224,3] float32 RGB / 255.
#
# Options:
#   --evaluate   also compare int8 with fp32 on models/calibration, tests/fixtures/eval and the
#                59 golden pixels (tests/fixtures/golden/pixels, resized exactly as nsfwjs does),
#                and time nsfwjs-mobilenetv2-fp32, mid fp32 and mid int8 side by side on one
#                thread; results in work/eval_mid.json and work/latency_mid.json
#
# Needs what build_models.sh needs. Byte-reproducible: reruns rewrite identical files.
set -euo pipefail

DO_EVALUATE=0
for arg in "$@"; do
  case "$arg" in
    --evaluate) DO_EVALUATE=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#'; exit 0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

# Pinned Python venv, stub modules, environment, npm nsfwjs@4.4.0: sets HERE, MODELS, WORK, PY, STUBS, log().
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/env.sh"
GOLDEN="$MODELS/../tests/fixtures/golden"
MID="$WORK/mid"
mkdir -p "$MID"

if [[ ! -f "$MODELS/calibration/SOURCES.tsv" ]]; then
  echo "models/calibration is missing; run build_models.sh --calibration" >&2
  exit 1
fi

# ---------------------------------------------------------------- tfjs graph -> frozen graph -> ONNX
log "extract tfjs graph model MobileNetV2Mid"
rm -rf "$MID/tfjs"
node "$HERE/extract_nsfwjs.js" "$MID/tfjs" MobileNetV2Mid

log "tfjs-graph-converter: tfjs graph model -> TF frozen graph"
PYTHONPATH="$STUBS" "$VENV/bin/tfjs_graph_converter" --output_format tf_frozen_model --compat_mode tflite \
  "$MID/tfjs" "$MID/frozen.pb" > "$MID/tfjs_graph_converter.log" 2>&1 \
  || { tail -30 "$MID/tfjs_graph_converter.log"; exit 1; }

log "tf2onnx: frozen graph -> ONNX (opset 17)"
"$PY" -m tf2onnx.convert --graphdef "$MID/frozen.pb" --inputs input:0 --outputs Identity:0 \
  --rename-inputs input --rename-outputs Identity --opset 17 --output "$MID/fp32_tf2onnx.onnx" \
  > "$MID/tf2onnx.log" 2>&1 || { tail -30 "$MID/tf2onnx.log"; exit 1; }

SOURCE="npm nsfwjs@4.4.0 MobileNetV2Mid (tfjs graph model, weights stored uint8-quantized by nsfwjs, dequantized on load), converted with tfjs-graph-converter 1.6.3 (compat mode tflite) + tf2onnx 1.17.0"

# ---------------------------------------------------------------- fp32 pack
log "fp32 pack"
"$PY" "$HERE/write_pack.py" --model "$MID/fp32_tf2onnx.onnx" \
  --pack-dir "$MODELS/nsfwjs-mobilenetv2mid-fp32" --name nsfwjs-mobilenetv2mid-fp32 --precision fp32 \
  --input-name input --output-name Identity --rename-batch-dim N --name-anonymous-nodes --canonicalize \
  --description "nsfwjs MobileNetV2Mid image classifier (Drawing, Hentai, Neutral, Porn, Sexy), float32 ONNX." \
  --source "$SOURCE" --check-dir "$MODELS/calibration"

if [[ -f "$GOLDEN/nsfwjs-mobilenetv2mid-scores.json" ]]; then
  log "fp32 vs nsfwjs golden scores"
  "$PY" "$HERE/golden_parity.py" --model "$MODELS/nsfwjs-mobilenetv2mid-fp32/model.onnx" \
    --golden "$GOLDEN/nsfwjs-mobilenetv2mid-scores.json" --max-dp 1e-4 --require-top1
else
  echo "no $GOLDEN/nsfwjs-mobilenetv2mid-scores.json: skipping the golden check (tests/fixtures/golden/README.md)"
fi

# ---------------------------------------------------------------- int8 (static QDQ)
# Recipe: u8 activations, s8 weights *per tensor and asymmetric* (--no-per-channel
# --asymmetric-weights), MinMax calibration on models/calibration (164 images), quant_pre_process.
# Why per-tensor asymmetric: nsfwjs stores every weight tensor uint8-quantized per tensor (affine,
# zero exactly representable), so each ONNX weight tensor holds at most 256 values on the grid
# min + k * (max - min) / 255; ORT's per-tensor asymmetric 8-bit range is that same grid, so all
# quantized weights are reproduced exactly (max |dequantized - fp32| = 2e-5 of a step), while the
# usual symmetric per-channel s8 re-rounds them onto a second grid. On the 282 held-out images
# (tests/fixtures/eval + golden pixels) that error dominated: 16-bit weights with 8-bit
# activations gave 281/282 top-1 and max |dp| 0.096, 16-bit activations with 8-bit per-channel
# weights 272/282 and 0.35. s8 rather than u8 weights: same accuracy class, faster on x86 without
# VNNI (u8/u8 kernels). Kept float32: MobileNetV2's hub_input scaling (x * 2 - 1) and the first
# Conv (alone it moved probabilities by up to 0.59 on calibration images in a per-block sweep;
# quantizing it costs 3 top-1 flips on held-out images), and dense + Softmax (float probabilities
# that sum to 1). Keeping more blocks float did not help (models/MODEL_CARD.md).
KEEP_RE='/(hub_input|MobilenetV2/Conv|sequential/dense|sequential/prediction)/'
keep_args=()
while IFS=$'\t' read -r _op name; do
  [[ "$name" =~ $KEEP_RE ]] && keep_args+=(--keep-fp32 "$name")
done < <("$PY" "$HERE/quantize.py" --input "$MODELS/nsfwjs-mobilenetv2mid-fp32/model.onnx" --list-nodes)
if [[ ${#keep_args[@]} -ne 16 ]]; then   # Mul, Sub; Transpose, Conv, Clip; MatMul, Add, Softmax (x2: flag + name)
  echo "expected 8 nodes to keep float32, found $(( ${#keep_args[@]} / 2 ))" >&2
  exit 1
fi

log "int8: onnxruntime static QDQ quantization"
"$PY" "$HERE/quantize.py" --input "$MODELS/nsfwjs-mobilenetv2mid-fp32/model.onnx" \
  --output "$MID/int8_qdq.onnx" --calibration-dir "$MODELS/calibration" \
  --activation-type u8 --weight-type s8 --no-per-channel --asymmetric-weights --calibrate-method minmax \
  --pre-process "${keep_args[@]}" 2> "$MID/quantize.log" || { tail -30 "$MID/quantize.log"; exit 1; }

log "int8 pack"
"$PY" "$HERE/write_pack.py" --model "$MID/int8_qdq.onnx" \
  --pack-dir "$MODELS/nsfwjs-mobilenetv2mid-int8" --name nsfwjs-mobilenetv2mid-int8 --precision int8 \
  --input-name input --output-name Identity --canonicalize \
  --description "nsfwjs MobileNetV2Mid image classifier (Drawing, Hentai, Neutral, Porn, Sexy), int8 ONNX (static QDQ, u8 activations, s8 per-tensor asymmetric weights that reproduce nsfwjs's uint8 weight grid exactly, MinMax) made from the fp32 pack; the input scaling, the first Conv and the final Dense/Softmax stay float32." \
  --source "$SOURCE; quantized with onnxruntime 1.31.1 (quant_pre_process, then static QDQ, u8 activations, s8 per-tensor asymmetric weights, MinMax calibration on 164 images of models/calibration; hub_input, Conv and dense/Softmax kept float32)" \
  --check-dir "$MODELS/calibration"

# ---------------------------------------------------------------- optional evaluation
if [[ "$DO_EVALUATE" == 1 ]]; then
  log "evaluate MobileNetV2Mid int8 vs fp32"
  "$PY" "$HERE/evaluate.py" --fp32 "$MODELS/nsfwjs-mobilenetv2mid-fp32/model.onnx" \
    --int8 "$MODELS/nsfwjs-mobilenetv2mid-int8/model.onnx" \
    --set calibration="$MODELS/calibration" --set eval="$MODELS/../tests/fixtures/eval" \
    --set golden="$GOLDEN/pixels" --json "$WORK/eval_mid.json"
  log "1-thread latency, side by side"
  "$PY" "$HERE/latency.py" --runs 500 \
    --model v2-fp32="$MODELS/nsfwjs-mobilenetv2-fp32/model.onnx" \
    --model mid-fp32="$MODELS/nsfwjs-mobilenetv2mid-fp32/model.onnx" \
    --model mid-int8="$MODELS/nsfwjs-mobilenetv2mid-int8/model.onnx" \
    --json "$WORK/latency_mid.json"
fi

for p in nsfwjs-mobilenetv2mid-fp32 nsfwjs-mobilenetv2mid-int8; do
  printf '%s  %s bytes  %s\n' "$p/model.onnx" "$(stat -c %s "$MODELS/$p/model.onnx")" \
    "$(sha256sum "$MODELS/$p/model.onnx" | cut -d' ' -f1)"
done
