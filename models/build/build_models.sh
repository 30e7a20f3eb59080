#!/usr/bin/env bash
# Rebuilds SafeFrame's shipped model packs from npm nsfwjs@4.4.0's default MobileNetV2:
#   models/nsfwjs-mobilenetv2-fp32/{model.onnx,manifest.json}
#   models/nsfwjs-mobilenetv2-int8/{model.onnx,manifest.json}
#
# Steps: pinned Python venv (models/build/.venv) and npm package (models/build/node_modules)
# -> extract model.json + weight shard from nsfwjs's UMD wrappers -> tensorflowjs converter
# (tfjs layers model -> Keras SavedModel) -> tf2onnx (opset 17, NHWC input input_1 [N,224,224,3],
# output dense_3 [N,5]) -> fp32 pack -> ORT static QDQ int8 (calibrated on models/calibration)
# -> int8 pack. Each pack is checked with onnxruntime (write_pack.py).
#
# Options:
#   --calibration   also rebuild models/calibration: select_calibration.py picks 164 images from
#                   the benign pool's calibration split ($SAFEFRAME_POOL, default /work/pool) and
#                   checks by pixel sha256 that none is in tests/fixtures/eval or golden/pixels
#   --evaluate      also compare int8 with fp32 on the calibration set and on tests/fixtures/eval
#                   (never used for calibration) and time both on one thread;
#                   results in work/eval.json (and build_mid.sh --evaluate: work/eval_mid.json)
#   --skip-mid      do not run build_mid.sh (the MobileNetV2Mid packs)
#
# Then runs build_mid.sh, which builds models/nsfwjs-mobilenetv2mid-{fp32,int8} from the same npm
# package's MobileNetV2Mid graph model (see its header).
#
# Needs: Python 3.11, Node.js + npm, network access to PyPI and npm (first run only).
# Idempotent and byte-reproducible: reruns reuse the venv, node_modules and downloads and rewrite
# identical files (tf2onnx names shared constants differently on each run; write_pack.py
# --canonicalize renames them deterministically).
set -euo pipefail

DO_CALIBRATION=0
DO_EVALUATE=0
DO_MID=1
for arg in "$@"; do
  case "$arg" in
    --calibration) DO_CALIBRATION=1 ;;
    --evaluate) DO_EVALUATE=1 ;;
    --skip-mid) DO_MID=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#'; exit 0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

# Pinned Python venv, stub modules, environment, npm nsfwjs@4.4.0: sets HERE, MODELS, WORK, PY, STUBS, log().
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/env.sh"

# ---------------------------------------------------------------- tfjs -> SavedModel -> ONNX
log "extract tfjs layers model"
rm -rf "$WORK/tfjs" "$WORK/saved_model"
node "$HERE/extract_nsfwjs.js" "$WORK/tfjs"

log "tensorflowjs: tfjs_layers_model -> keras_saved_model"
PYTHONPATH="$STUBS" "$PY" -m tensorflowjs.converters.converter \
  --input_format=tfjs_layers_model --output_format=keras_saved_model \
  "$WORK/tfjs/model.json" "$WORK/saved_model" > "$WORK/tfjs_converter.log" 2>&1 \
  || { tail -30 "$WORK/tfjs_converter.log"; exit 1; }

log "tf2onnx: SavedModel -> ONNX (opset 17)"
"$PY" -m tf2onnx.convert --saved-model "$WORK/saved_model" --output "$WORK/fp32_tf2onnx.onnx" \
  --opset 17 > "$WORK/tf2onnx.log" 2>&1 || { tail -30 "$WORK/tf2onnx.log"; exit 1; }

SOURCE="npm nsfwjs@4.4.0 MobileNetV2 (tfjs layers model, weights stored uint8-quantized by nsfwjs, dequantized on load), converted with tensorflowjs 4.22.0 + tf2onnx 1.17.0"

# ---------------------------------------------------------------- calibration images
if [[ "$DO_CALIBRATION" == 1 ]]; then
  log "calibration images -> models/calibration (from the benign pool's calibration split)"
  POOL="${SAFEFRAME_POOL:-/work/pool}"
  "$PY" "$HERE/select_calibration.py" --pool "$POOL" --out-dir "$MODELS/calibration" \
    --exclude "$MODELS/../tests/fixtures/eval" --exclude "$MODELS/../tests/fixtures/golden/pixels"
fi
if [[ ! -f "$MODELS/calibration/SOURCES.tsv" ]]; then
  echo "models/calibration is missing; run with --calibration" >&2
  exit 1
fi

# ---------------------------------------------------------------- fp32 pack
log "fp32 pack"
"$PY" "$HERE/write_pack.py" --model "$WORK/fp32_tf2onnx.onnx" \
  --pack-dir "$MODELS/nsfwjs-mobilenetv2-fp32" --name nsfwjs-mobilenetv2-fp32 --precision fp32 \
  --rename-batch-dim N --canonicalize \
  --description "nsfwjs MobileNetV2 image classifier (Drawing, Hentai, Neutral, Porn, Sexy), float32 ONNX." \
  --source "$SOURCE" --check-dir "$MODELS/calibration"

# ---------------------------------------------------------------- int8 (static QDQ)
# Recipe (see /work/notes/quant-report.md and models/MODEL_CARD.md for the measured levers):
# u8 activations + s8 weights (on x86 without VNNI ORT fuses every u8 QDQ Conv/Add into
# QLinearConv/QLinearAdd; with s8 activations the residual Adds and their 1x1 Convs stay float),
# per-channel weights, MinMax calibration on models/calibration. The network's front end stays
# float32 as one contiguous block: Conv1, expanded_conv and block_1 to block_7 (every layer up to
# the first 14x14 block; Conv1, expanded_conv, block_1-3 are the groups of a per-layer sweep with
# max |dp| > 0.1 on calibration images, block_4-7 the next prefix step, chosen on the pool's
# calibration-split images that are not in models/calibration). One contiguous float block has a
# single float->int8 boundary, so this is not slower than keeping block_1-3 + block_11 (measured
# 0.98-0.99x of that recipe, 1 thread). The final Dense + Softmax stay float32 too (a quantized
# Softmax gives u8-step probabilities that miss sum 1 by 0.012).
# --pre-process (quant_pre_process: each Pad folded into its Conv, MatMul+Add into Gemm) makes the
# int8 model ~2-4% faster on 1 thread than without it; fp32 outputs of the pre-processed graph are identical.
M=StatefulPartitionedCall/model_1
KEEP_FP32=(
  "$M/Conv1/Conv2D__6" "$M/Conv1/Conv2D" "$M/Conv1_relu/Relu6"
  "$M/expanded_conv_depthwise/depthwise" "$M/expanded_conv_depthwise_relu/Relu6" "$M/expanded_conv_project/Conv2D"
  "$M/block_1_expand/Conv2D" "$M/block_1_expand_relu/Relu6" "$M/block_1_pad/Pad"
  "$M/block_1_depthwise/depthwise" "$M/block_1_depthwise_relu/Relu6" "$M/block_1_project/Conv2D"
  "$M/block_2_expand/Conv2D" "$M/block_2_expand_relu/Relu6"
  "$M/block_2_depthwise/depthwise" "$M/block_2_depthwise_relu/Relu6" "$M/block_2_project/Conv2D" "$M/block_2_add/add"
  "$M/block_3_expand/Conv2D" "$M/block_3_expand_relu/Relu6" "$M/block_3_pad/Pad"
  "$M/block_3_depthwise/depthwise" "$M/block_3_depthwise_relu/Relu6" "$M/block_3_project/Conv2D"
  "$M/block_4_expand/Conv2D" "$M/block_4_expand_relu/Relu6"
  "$M/block_4_depthwise/depthwise" "$M/block_4_depthwise_relu/Relu6" "$M/block_4_project/Conv2D" "$M/block_4_add/add"
  "$M/block_5_expand/Conv2D" "$M/block_5_expand_relu/Relu6"
  "$M/block_5_depthwise/depthwise" "$M/block_5_depthwise_relu/Relu6" "$M/block_5_project/Conv2D" "$M/block_5_add/add"
  "$M/block_6_expand/Conv2D" "$M/block_6_expand_relu/Relu6" "$M/block_6_pad/Pad"
  "$M/block_6_depthwise/depthwise" "$M/block_6_depthwise_relu/Relu6" "$M/block_6_project/Conv2D"
  "$M/block_7_expand/Conv2D" "$M/block_7_expand_relu/Relu6"
  "$M/block_7_depthwise/depthwise" "$M/block_7_depthwise_relu/Relu6" "$M/block_7_project/Conv2D" "$M/block_7_add/add"
  "$M/dense_3/MatMul" "$M/dense_3/BiasAdd" "$M/dense_3/Softmax"   # float probabilities that sum to 1
)
keep_args=()
for n in "${KEEP_FP32[@]}"; do keep_args+=(--keep-fp32 "$n"); done

log "int8: onnxruntime static QDQ quantization"
"$PY" "$HERE/quantize.py" --input "$MODELS/nsfwjs-mobilenetv2-fp32/model.onnx" \
  --output "$WORK/int8_qdq.onnx" --calibration-dir "$MODELS/calibration" \
  --activation-type u8 --weight-type s8 --per-channel --calibrate-method minmax --pre-process \
  "${keep_args[@]}" 2> "$WORK/quantize.log" || { tail -30 "$WORK/quantize.log"; exit 1; }

log "int8 pack"
"$PY" "$HERE/write_pack.py" --model "$WORK/int8_qdq.onnx" \
  --pack-dir "$MODELS/nsfwjs-mobilenetv2-int8" --name nsfwjs-mobilenetv2-int8 --precision int8 --canonicalize \
  --description "nsfwjs MobileNetV2 image classifier (Drawing, Hentai, Neutral, Porn, Sexy), int8 ONNX (static QDQ, u8 activations, s8 per-channel weights, MinMax) made from the fp32 pack; Conv1, expanded_conv, block_1 to block_7 and the final Dense/Softmax stay float32." \
  --source "$SOURCE; quantized with onnxruntime 1.31.1 (quant_pre_process, then static QDQ, u8 activations, s8 per-channel weights, MinMax calibration on 164 images of models/calibration; Conv1, expanded_conv, block_1 to block_7 and dense_3 kept float32, the front-end prefix chosen by per-layer sensitivity on calibration-split images)" \
  --check-dir "$MODELS/calibration"

# ---------------------------------------------------------------- MobileNetV2Mid packs
if [[ "$DO_MID" == 1 ]]; then
  mid_args=()
  [[ "$DO_EVALUATE" == 1 ]] && mid_args+=(--evaluate)
  "$HERE/build_mid.sh" "${mid_args[@]}"
fi

# ---------------------------------------------------------------- optional evaluation
if [[ "$DO_EVALUATE" == 1 ]]; then
  log "evaluate int8 vs fp32"
  "$PY" "$HERE/evaluate.py" --fp32 "$MODELS/nsfwjs-mobilenetv2-fp32/model.onnx" \
    --int8 "$MODELS/nsfwjs-mobilenetv2-int8/model.onnx" \
    --set calibration="$MODELS/calibration" --set eval="$MODELS/../tests/fixtures/eval" \
    --latency-runs 500 --json "$WORK/eval.json"
fi

log "done"
packs=(nsfwjs-mobilenetv2-fp32 nsfwjs-mobilenetv2-int8)
[[ "$DO_MID" == 1 ]] && packs+=(nsfwjs-mobilenetv2mid-fp32 nsfwjs-mobilenetv2mid-int8)
for p in "${packs[@]}"; do
  printf '%s  %s bytes  %s\n' "$p/model.onnx" "$(stat -c %s "$MODELS/$p/model.onnx")" \
    "$(sha256sum "$MODELS/$p/model.onnx" | cut -d' ' -f1)"
done
