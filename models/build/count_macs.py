#!/usr/bin/env python3
"""Count the multiply-adds of one inference of ONNX model packs (batch 1), by kind of layer.

Convolutions count Cout x Cin/group x kh x kw per output position; MatMul/Gemm with a weight
initializer count its two dimensions. Shapes come from ONNX shape inference; the input's
batch dimension is taken as 1. Used for the model card's latency notes: a network's cost on
one CPU core is close to proportional to this count.

Usage: count_macs.py ../nsfwjs-mobilenetv2-fp32/model.onnx ../nsfwjs-mobilenetv2mid-fp32/model.onnx
"""

import sys

import onnx
from onnx import shape_inference


def count(path):
    model = shape_inference.infer_shapes(onnx.load(path))
    graph = model.graph
    shapes = {}
    for value in list(graph.value_info) + list(graph.output) + list(graph.input):
        shapes[value.name] = [d.dim_value for d in value.type.tensor_type.shape.dim]
    weights = {init.name: list(init.dims) for init in graph.initializer}
    kinds = {"pointwise": 0, "depthwise": 0, "full conv": 0, "dense": 0}
    for node in graph.node:
        if node.op_type == "Conv":
            out_channels, in_per_group, kh, kw = weights[node.input[1]]
            out = shapes[node.output[0]]
            # NCHW output (the converters' graphs): positions are H x W.
            positions = out[2] * out[3]
            group = next((a.i for a in node.attribute if a.name == "group"), 1)
            kind = "depthwise" if group > 1 else "pointwise" if kh == kw == 1 else "full conv"
            kinds[kind] += out_channels * in_per_group * kh * kw * positions
        elif node.op_type in ("MatMul", "Gemm") and node.input[1] in weights:
            rows, cols = weights[node.input[1]][:2]
            kinds["dense"] += rows * cols
    return kinds


def main():
    for path in sys.argv[1:]:
        kinds = count(path)
        total = sum(kinds.values())
        parts = ", ".join(f"{k} {v / 1e6:.1f}" for k, v in kinds.items())
        print(f"{path}: {total / 1e6:.1f} M multiply-adds ({parts})")


if __name__ == "__main__":
    main()
