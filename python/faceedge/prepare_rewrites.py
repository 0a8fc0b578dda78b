"""The graph rewrites of :mod:`faceedge.prepare`, one function each, all exact arithmetic.

Each takes the ``onnx`` ModelProto, edits it in place and returns a one-line description of
what it changed (``None`` when it found nothing to do). :func:`faceedge.prepare._rewrite` runs
them in order and proves the result against the source.

Two forms of PRelu, chosen by the CPU the file is prepared on (:func:`prelu_form`):

``"nchwc"`` (x86-64 with AVX2 or better), per channel c with slope s_c::

    r   = Relu(Conv_depthwise_1x1(x, weight -1))       # = relu(-x)
    out = Conv_depthwise_1x1(r, weight 1 - s_c) + x    # = x + (1 - s_c) * relu(-x) = PRelu(x)

  Every node is one ONNX Runtime's NCHWc transformer keeps in its blocked layout (the Relu is
  fused into the first convolution, the Add into the second as its "Sum" input), so the
  convolutions around a PRelu stay blocked: measured on SFace (1 thread, profiler) this removes
  all 26 ReorderInput and 53 of the 54 ReorderOutput nodes, and the 27 x 4 element-wise nodes of
  the "elementwise" form. It holds for any slope (no sign or range condition on s_c).

``"elementwise"`` (other CPUs: ARM, x86 without AVX2, where the runtime has no blocked layout
and runs a 1x1 depthwise convolution as one tiny GEMM per channel)::

    out = Relu(x) + slope * Min(x, 0)

  which runs on the runtime's vectorised element-wise kernels instead of PRelu's generic
  broadcast path.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np


def prelu_form(simd_levels: List[str]) -> str:
    """``"nchwc"`` where ONNX Runtime's CPU provider uses its blocked NCHWc layout (x86 with
    AVX2 or AVX-512: ``simd_levels`` as :func:`faceedge._core.available_simd_levels` reports
    them), else ``"elementwise"``."""
    return "nchwc" if any(level.startswith(("avx2", "avx512")) for level in simd_levels) \
        else "elementwise"


def drop_unread_inputs(model) -> Optional[str]:
    graph = model.graph
    initializers = {t.name for t in graph.initializer}
    read = {name for node in graph.node for name in node.input}
    unused = [i for i in graph.input if i.name not in read or i.name in initializers]
    if not unused:
        return None
    kept = [i for i in graph.input if i not in unused]
    del graph.input[:]
    graph.input.extend(kept)
    return f"dropped {len(unused)} graph inputs no node reads"


def dequantize(x: np.ndarray, scale: np.ndarray, zero: Optional[np.ndarray], axis: int,
               block_size: int) -> np.ndarray:
    """DequantizeLinear in numpy: per-tensor, per-axis or blocked."""
    x = x.astype(np.float32)
    scale = scale.astype(np.float32)
    zero = np.zeros_like(scale) if zero is None else zero.astype(np.float32)
    if scale.size == 1:
        return (x - zero.reshape(())) * scale.reshape(())
    axis = axis % x.ndim
    if block_size == 0:  # per-axis
        shape = [1] * x.ndim
        shape[axis] = -1
        return (x - zero.reshape(shape)) * scale.reshape(shape)
    # Blocked: each scale covers block_size consecutive elements along `axis`.
    index = [slice(None)] * x.ndim
    index[axis] = slice(0, x.shape[axis])
    scale_full = np.repeat(scale, block_size, axis=axis)[tuple(index)]
    zero_full = np.repeat(zero, block_size, axis=axis)[tuple(index)]
    return (x - zero_full) * scale_full


def fold_constant_dequantize(model) -> Optional[str]:
    """Every DequantizeLinear whose inputs are all initialisers becomes an fp32 initialiser
    (the runtime would otherwise dequantise the weights again on every run)."""
    from onnx import helper, numpy_helper

    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}
    folded = 0
    kept = []
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and all(
                not name or name in initializers for name in node.input):
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            arrays = [numpy_helper.to_array(initializers[n]) if n else None for n in node.input]
            zero = arrays[2] if len(arrays) > 2 else None
            value = dequantize(arrays[0], arrays[1], zero, attrs.get("axis", 1),
                               attrs.get("block_size", 0))
            tensor = numpy_helper.from_array(value.astype(np.float32), node.output[0])
            graph.initializer.append(tensor)
            initializers[tensor.name] = tensor
            folded += 1
        else:
            kept.append(node)
    if not folded:
        return None
    del graph.node[:]
    graph.node.extend(kept)
    return f"folded {folded} constant DequantizeLinear nodes to fp32"


def _channel_slopes(slope: np.ndarray) -> Optional[np.ndarray]:
    """The per-channel slopes of an NCHW PRelu slope of shape (C,1,1) or (1,C,1,1), else None
    (a scalar or another broadcast shape does not say how many channels x has)."""
    if slope.ndim == 3 and slope.shape[1:] == (1, 1):
        return slope.reshape(-1)
    if slope.ndim == 4 and slope.shape[0] == 1 and slope.shape[2:] == (1, 1):
        return slope.reshape(-1)
    return None


def rewrite_prelu(model, form: str) -> Optional[str]:
    """Every PRelu with a constant slope, in the given form (see the module docstring).

    In the "nchwc" form a PRelu whose slope is not per channel of an NCHW tensor gets the
    "elementwise" form instead."""
    from onnx import helper, numpy_helper

    if form not in ("nchwc", "elementwise"):
        raise ValueError(f"unknown PRelu form {form!r}")
    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}
    zero_name = "faceedge_prepare_zero"
    added: Dict[str, np.ndarray] = {}
    counts = {"nchwc": 0, "elementwise": 0}
    nodes = []
    for node in graph.node:
        if node.op_type != "PRelu" or node.input[1] not in initializers:
            nodes.append(node)
            continue
        x, slope_name = node.input
        out = node.output[0]
        slopes = _channel_slopes(numpy_helper.to_array(initializers[slope_name]))
        if form == "nchwc" and slopes is not None:
            channels = slopes.size
            minus_one, one_minus_slope = out + "__minus_one", out + "__one_minus_slope"
            added[minus_one] = np.full((channels, 1, 1, 1), -1.0, np.float32)
            added[one_minus_slope] = (1.0 - slopes.astype(np.float64)).astype(
                np.float32).reshape(channels, 1, 1, 1)
            depthwise = dict(group=channels, kernel_shape=[1, 1])
            nodes += [
                helper.make_node("Conv", [x, minus_one], [out + "__negx"], **depthwise),
                helper.make_node("Relu", [out + "__negx"], [out + "__relu_negx"]),
                helper.make_node("Conv", [out + "__relu_negx", one_minus_slope],
                                 [out + "__scaled"], **depthwise),
                helper.make_node("Add", [out + "__scaled", x], [out]),
            ]
            counts["nchwc"] += 1
        else:
            added.setdefault(zero_name, np.zeros((), np.float32))
            nodes += [
                helper.make_node("Relu", [x], [out + "__pos"]),
                helper.make_node("Min", [x, zero_name], [out + "__negx"]),
                helper.make_node("Mul", [out + "__negx", slope_name], [out + "__neg"]),
                helper.make_node("Add", [out + "__pos", out + "__neg"], [out]),
            ]
            counts["elementwise"] += 1
    if not any(counts.values()):
        return None
    for name, value in added.items():
        graph.initializer.append(numpy_helper.from_array(value, name))
    del graph.node[:]
    graph.node.extend(nodes)
    said = []
    if counts["nchwc"]:
        said.append(f"rewrote {counts['nchwc']} PRelu nodes as x + (1 - slope) * relu(-x) in "
                    "two depthwise 1x1 convolutions (kept in ONNX Runtime's NCHWc layout)")
    if counts["elementwise"]:
        said.append(f"rewrote {counts['elementwise']} PRelu nodes as Relu + slope * Min(x, 0)")
    return "; ".join(said)


def drop_unread_initializers(model) -> None:
    """Drops the initialisers nothing reads any more (int8 weights and their scales after
    folding, PRelu slopes after the "nchwc" form): bookkeeping, not a step of its own."""
    graph = model.graph
    read = {name for node in graph.node for name in node.input}
    outputs = {o.name for o in graph.output}
    kept = [t for t in graph.initializer if t.name in read or t.name in outputs]
    if len(kept) != len(graph.initializer):
        del graph.initializer[:]
        graph.initializer.extend(kept)
