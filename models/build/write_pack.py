#!/usr/bin/env python3
"""Write a SafeFrame model pack (model.onnx + manifest.json) and check it with ONNX Runtime.

Checks, all fatal: the model loads in onnxruntime; exactly one input named input_1 (or
--input-name) of type float32 and shape [N, 224, 224, 3] with N dynamic; exactly one output named
dense_3 (or --output-name) of type float32 and shape [N, 5]; on every PNG of --check-dir (224x224 RGB, fed as pixel / 255, in
one batch and one by one) each output row is a probability vector summing to 1 within 1e-5,
and the batched and single-image results agree within 1e-5.

The manifest's sha256 is computed here from the bytes written.

Usage:
  write_pack.py --model MODEL.onnx --pack-dir ../nsfwjs-mobilenetv2-fp32 --name nsfwjs-mobilenetv2-fp32 \
      --precision fp32 --description "..." --source "..." --check-dir ../calibration [--rename-batch-dim N] \
      [--input-name input --output-name Identity]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image

LABELS = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"]
INPUT, OUTPUT = "input_1", "dense_3"


def rename_batch_dim(model: onnx.ModelProto, name: str) -> None:
    """Give the dynamic batch dimension of the graph input and output one readable name."""
    for vi in list(model.graph.input) + list(model.graph.output):
        d0 = vi.type.tensor_type.shape.dim[0]
        if d0.HasField("dim_value"):
            raise SystemExit(f"{vi.name}: batch dimension is fixed ({d0.dim_value}); expected dynamic")
        d0.dim_param = name


def name_anonymous_nodes(model: onnx.ModelProto) -> int:
    """Give tf2onnx's counter-named nodes (``Conv__340``, output ``Conv__340:0``) readable names.

    tf2onnx names the ONNX Conv it makes from a TF DepthwiseConv2dNative + BiasAdd ``Conv__<n>``.
    Each such node (name ``<Op>__<digits>``) is renamed after the TF scope of its first consumer:
    consumer ``.../expanded_conv_1/depthwise/depthwise/Relu6`` -> ``.../expanded_conv_1/depthwise/depthwise``
    (the TF op it came from), and its outputs ``<new name>:<i>``. Returns how many were renamed.
    """
    g = model.graph
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in g.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    taken = {n.name for n in g.node}
    tensor_rename: dict[str, str] = {}
    count = 0
    for node in g.node:
        if not re.fullmatch(r"[A-Za-z]+__\d+", node.name):
            continue
        users = consumers.get(node.output[0], []) if node.output else []
        if not users or "/" not in users[0].name:
            continue
        new = users[0].name.rsplit("/", 1)[0]
        if new in taken:
            new = f"{new}/{node.op_type}"
        if new in taken:
            raise SystemExit(f"cannot name {node.name}: {new} is taken")
        taken.add(new)
        node.name = new
        for i, out in enumerate(node.output):
            tensor_rename[out] = f"{new}:{i}"
        count += 1
    for node in g.node:
        for i, name in enumerate(node.input):
            if name in tensor_rename:
                node.input[i] = tensor_rename[name]
        for i, name in enumerate(node.output):
            if name in tensor_rename:
                node.output[i] = tensor_rename[name]
    for vi in g.value_info:
        if vi.name in tensor_rename:
            vi.name = tensor_rename[vi.name]
    if set(tensor_rename) & {v.name for v in list(g.input) + list(g.output)}:
        raise SystemExit("refusing to rename a graph input or output")
    return count


def canonicalize(model: onnx.ModelProto) -> int:
    """Make tf2onnx output byte-reproducible; returns how many initializers were renamed.

    tf2onnx 1.17.0 deduplicates equal constants (Relu6 bounds, pad values, folded
    constants) and names the survivors with a process-dependent counter (``..._min__452``);
    which name survives, and the initializer order, change from run to run even with the
    same input and PYTHONHASHSEED. Node names, node order and all values are stable. So:
    rename every counter-named initializer after its first consumer
    (``<node name>/const<input slot>``), order initializers by first use, and drop the
    graph doc string (it records the SavedModel's path).
    """
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    order: list[str] = []
    rename: dict[str, str] = {}
    for node in g.node:
        for slot, name in enumerate(node.input):
            if name in inits and name not in order:
                order.append(name)
                if re.search(r"__\d+(:\d+)?$", name):
                    rename[name] = f"{node.name}/const{slot}"
    if len(order) != len(inits):
        raise SystemExit("graph has unused initializers; refusing to canonicalize")
    if len(set(rename.values())) != len(rename) or set(rename.values()) & (set(inits) - set(rename)):
        raise SystemExit("canonical initializer names collide")
    for node in g.node:
        for i, name in enumerate(node.input):
            if name in rename:
                node.input[i] = rename[name]
    ordered = []
    for name in order:
        t = onnx.TensorProto()
        t.CopyFrom(inits[name])
        t.name = rename.get(name, name)
        ordered.append(t)
    del g.initializer[:]
    g.initializer.extend(ordered)
    g.doc_string = ""
    return len(rename)


def check(path: Path, check_dir: Path, input_name: str = INPUT, output_name: str = OUTPUT) -> dict:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ins, outs = sess.get_inputs(), sess.get_outputs()
    if [i.name for i in ins] != [input_name] or [o.name for o in outs] != [output_name]:
        raise SystemExit(f"unexpected I/O: {[i.name for i in ins]} -> {[o.name for o in outs]}")
    i0, o0 = ins[0], outs[0]
    if i0.type != "tensor(float)" or o0.type != "tensor(float)":
        raise SystemExit(f"unexpected types {i0.type} {o0.type}")
    if not isinstance(i0.shape[0], str) or i0.shape[1:] != [224, 224, 3]:
        raise SystemExit(f"unexpected input shape {i0.shape}")
    if not isinstance(o0.shape[0], str) or o0.shape[1:] != [5]:
        raise SystemExit(f"unexpected output shape {o0.shape}")
    files = sorted(check_dir.glob("*.png"))
    if not files:
        raise SystemExit(f"no PNGs in {check_dir}")
    x = np.stack([np.asarray(Image.open(f).convert("RGB"), dtype=np.uint8) for f in files])
    if x.shape[1:] != (224, 224, 3):
        raise SystemExit("check images must be 224x224")
    x = x.astype(np.float32) / np.float32(255.0)
    batched = sess.run(None, {input_name: x})[0]
    single = np.concatenate([sess.run(None, {input_name: x[i:i + 1]})[0] for i in range(len(x))])
    if batched.shape != (len(files), 5):
        raise SystemExit(f"output shape {batched.shape}")
    sums = single.sum(axis=1)
    if np.abs(sums - 1).max() > 1e-5 or (single < 0).any():
        raise SystemExit(f"outputs are not softmax probabilities (max |sum-1| {np.abs(sums - 1).max()})")
    if np.abs(batched - single).max() > 1e-5:
        raise SystemExit(f"batched and single runs differ by {np.abs(batched - single).max()}")
    return {
        "input": f"{i0.name} {i0.type} {i0.shape}",
        "output": f"{o0.name} {o0.type} {o0.shape}",
        "images": len(files),
        "max_abs_sum_minus_1": float(np.abs(sums - 1).max()),
        "max_batch_vs_single": float(np.abs(batched - single).max()),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--pack-dir", type=Path, required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--precision", required=True, choices=["fp32", "int8"])
    ap.add_argument("--description", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--license", default="MIT")
    ap.add_argument("--check-dir", type=Path, required=True)
    ap.add_argument("--rename-batch-dim", metavar="NAME")
    ap.add_argument("--input-name", default=INPUT, help=f"the model's input name (default {INPUT})")
    ap.add_argument("--output-name", default=OUTPUT, help=f"the model's output name (default {OUTPUT})")
    ap.add_argument("--name-anonymous-nodes", action="store_true",
                    help="rename tf2onnx's counter-named nodes (Conv__340) after the TF scope they came from")
    ap.add_argument("--canonicalize", action="store_true",
                    help="rename tf2onnx's counter-named shared constants so the bytes are reproducible")
    args = ap.parse_args(argv)

    model = onnx.load(str(args.model))
    if args.rename_batch_dim:
        rename_batch_dim(model, args.rename_batch_dim)
    if args.name_anonymous_nodes:
        print(f"name-anonymous-nodes: renamed {name_anonymous_nodes(model)} nodes")
    if args.canonicalize:
        print(f"canonicalize: renamed {canonicalize(model)} shared constants")
    onnx.checker.check_model(model)
    data = model.SerializeToString()

    args.pack_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = args.pack_dir / "model.onnx"
    onnx_path.write_bytes(data)
    result = check(onnx_path, args.check_dir, args.input_name, args.output_name)

    manifest = {
        "name": args.name,
        "version": args.version,
        "description": args.description,
        "model_file": "model.onnx",
        "sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "precision": args.precision,
        "labels": LABELS,
        "input": {
            "name": args.input_name,
            "layout": "NHWC",
            "width": 224,
            "height": 224,
            "color": "RGB",
            "pixel_divisor": 255.0,
            "mean": [0.0, 0.0, 0.0],
            "std": [1.0, 1.0, 1.0],
            "resize": "bilinear-align-corners",
        },
        "output": {"name": args.output_name, "activation": "softmax"},
        "source": args.source,
        "license": args.license,
    }
    (args.pack_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.pack_dir}: {onnx_path.stat().st_size} bytes, sha256 {manifest['sha256']}; "
          f"onnxruntime {ort.__version__} check ok: {result}")
    # The signing key is held offline by a maintainer, never by this script (docs/models.md):
    # the pack loads only once signed.
    print(f"now sign it: safeframe models sign --key <your offline secret key> {args.pack_dir} "
          f"&& safeframe models verify {args.pack_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
