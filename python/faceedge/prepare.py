"""Rewrites a model file, once, into the form ONNX Runtime runs fastest, and caches the result.

Why: the SFace file we ship support for is block-quantised int8 whose 27 PRelu layers ONNX
Runtime's CPU provider runs through a slow generic broadcast path (16 of 25 ms per face, measured
with the runtime's profiler), and whose weights it dequantises again on every run. The rewrite is
exact arithmetic, proven on probe inputs before the file is used:

1. drop graph inputs no node reads (the upstream SFace file declares 29 of them);
2. fold every DequantizeLinear whose inputs are all constant into an fp32 initialiser
   (this also removes the per-tensor `block_size` attribute ONNX Runtime rejects in upstream YuNet);
3. PRelu(x, slope) with a constant slope -> Relu(x) + slope * Min(x, 0), which runs on the
   runtime's vectorised element-wise kernels.

The proof runs the prepared file and the source on the same probe inputs (worst cosine over all
outputs >= MIN_COSINE). When the source itself does not run in ONNX Runtime (upstream YuNet int8bq:
"block_size must be 0 for per-tensor quantization"), the prepared file is proven against a
*reference* built in memory instead: the source with only the minimal edit ONNX Runtime needs
(:func:`reference_model`: unread graph inputs dropped, one-block DequantizeLinear given a scalar
scale and zero-point and no block_size/axis). That edit changes no arithmetic, and it is exactly
the ``_ortfix`` edit of ``../shared/models/README.md`` 3.4 and 4.3: serialised, the reference is
byte-identical to the manifest's ``_ortfix`` copy, and the record says so when it is.

The prepared file lives in the cache directory next to a JSON record of both sha256 values (and
the reference's), of what the proof ran against and of its result; it is reused until the source
or PREPARE_VERSION changes.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import numpy as np

from .models import sha256_file as _sha256

PREPARE_VERSION = 1
MIN_COSINE = 0.9999


def _dequantize(x: np.ndarray, scale: np.ndarray, zero: Optional[np.ndarray], axis: int,
                block_size: int) -> np.ndarray:
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


def _rewrite(model) -> List[str]:
    """Applies the three rewrites in place; returns the names of the steps that changed something."""
    from onnx import helper, numpy_helper

    graph = model.graph
    steps: List[str] = []
    initializers = {t.name: t for t in graph.initializer}

    read = {name for node in graph.node for name in node.input}
    unused = [i for i in graph.input if i.name not in read or i.name in initializers]
    if unused:
        kept = [i for i in graph.input if i not in unused]
        del graph.input[:]
        graph.input.extend(kept)
        steps.append(f"dropped {len(unused)} graph inputs no node reads")

    folded = 0
    nodes = []
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and all(
                not name or name in initializers for name in node.input):
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            arrays = [numpy_helper.to_array(initializers[n]) if n else None for n in node.input]
            zero = arrays[2] if len(arrays) > 2 else None
            value = _dequantize(arrays[0], arrays[1], zero, attrs.get("axis", 1),
                                attrs.get("block_size", 0))
            tensor = numpy_helper.from_array(value.astype(np.float32), node.output[0])
            graph.initializer.append(tensor)
            initializers[tensor.name] = tensor
            folded += 1
            continue
        nodes.append(node)
    if folded:
        steps.append(f"folded {folded} constant DequantizeLinear nodes to fp32")

    rewritten = 0
    final = []
    zero_name = "faceedge_prepare_zero"
    for node in nodes:
        if node.op_type == "PRelu" and node.input[1] in initializers:
            x, slope = node.input
            out = node.output[0]
            final += [
                helper.make_node("Relu", [x], [out + "__pos"]),
                helper.make_node("Min", [x, zero_name], [out + "__negx"]),
                helper.make_node("Mul", [out + "__negx", slope], [out + "__neg"]),
                helper.make_node("Add", [out + "__pos", out + "__neg"], [out]),
            ]
            rewritten += 1
        else:
            final.append(node)
    if rewritten:
        graph.initializer.append(numpy_helper.from_array(np.zeros((), np.float32), zero_name))
        steps.append(f"rewrote {rewritten} PRelu nodes as Relu + slope * Min(x, 0)")
    del graph.node[:]
    graph.node.extend(final)

    # Initialisers nothing reads any more (the int8 weights, their scales) go.
    read = {name for node in graph.node for name in node.input}
    outputs = {o.name for o in graph.output}
    kept_init = [t for t in graph.initializer if t.name in read or t.name in outputs]
    del graph.initializer[:]
    graph.initializer.extend(kept_init)
    return steps


def reference_model(model) -> Tuple[Any, Dict[str, str]]:
    """A copy of ``model`` with only the edits ONNX Runtime needs to run it, and what they were
    (``{"inputs": ..., "dequantize": ...}``; an edit that found nothing to do is absent).

    Both edits leave every computed value unchanged: a graph input no node reads feeds nothing,
    and a DequantizeLinear whose scale has one element has one block, so a scalar scale and
    zero-point without ``block_size``/``axis`` (per-tensor) compute the same product.
    """
    import onnx
    from onnx import numpy_helper

    ref = onnx.ModelProto()
    ref.CopyFrom(model)
    graph = ref.graph
    edits: Dict[str, str] = {}
    initializers = {t.name: t for t in graph.initializer}
    read = {name for node in graph.node for name in node.input}
    kept = [i for i in graph.input if i.name in read and i.name not in initializers]
    if len(kept) != len(graph.input):
        edits["inputs"] = (f"declared only the {len(kept)} graph inputs nodes read "
                           f"(dropped {len(graph.input) - len(kept)})")
        del graph.input[:]
        graph.input.extend(kept)

    consumers: Dict[str, List[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def one_block(node) -> bool:
        if node.op_type != "DequantizeLinear" or len(node.input) < 2:
            return False
        if not any(a.name == "block_size" and a.i for a in node.attribute):
            return False
        params = [initializers.get(n) for n in node.input[1:] if n]
        return all(t is not None and numpy_helper.to_array(t).size == 1 for t in params)

    fixed = 0
    for node in graph.node:
        params = [n for n in node.input[1:] if n]
        # Reshape a scale in place only when every reader is such a node (else it would change
        # broadcasting elsewhere).
        if one_block(node) and all(one_block(c) for n in params for c in consumers[n]):
            for name in params:
                del initializers[name].dims[:]
            attrs = [a for a in node.attribute if a.name not in ("block_size", "axis")]
            del node.attribute[:]
            node.attribute.extend(attrs)
            fixed += 1
    if fixed:
        edits["dequantize"] = (f"gave {fixed} one-block DequantizeLinear nodes a scalar scale "
                               "and zero-point (per-tensor, no block_size)")
    return ref, edits


def _probe_feeds(specs, seed: int = 7) -> Dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    feeds = {}
    for name, elem_type, shape in specs:
        concrete = [d if d > 0 else (1 if i == 0 else 160) for i, d in enumerate(shape)]
        if elem_type != 1:
            raise ValueError(f"probe input {name} is not float32")
        feeds[name] = (rng.random(concrete, dtype=np.float32) * 255.0).astype(np.float32)
    return feeds


def _compare(source: Path, prepared: Path, session_args: Mapping[str, Any]) -> Dict[str, float]:
    """Runs both files on the same probe inputs; returns the worst cosine and max abs diff."""
    from . import _core

    new = _core.OrtSession(str(prepared), **session_args)
    old = _core.OrtSession(str(source), **session_args)
    feeds = _probe_feeds(new.inputs)
    old_feeds = dict(feeds)
    for name, _, shape in old.inputs:  # inputs no node reads still have to be fed
        if name not in old_feeds:
            old_feeds[name] = np.zeros([max(d, 1) for d in shape], np.float32)
    a = new.run(feeds)
    b = old.run(old_feeds, list(a))
    worst_cos, worst_diff = 1.0, 0.0
    for name in a:
        x = a[name].astype(np.float64).ravel()
        y = b[name].astype(np.float64).ravel()
        denom = np.linalg.norm(x) * np.linalg.norm(y)
        cos = float(x @ y / denom) if denom > 0 else float(np.array_equal(x, y))
        worst_cos = min(worst_cos, cos)
        worst_diff = max(worst_diff, float(np.max(np.abs(x - y))) if x.size else 0.0)
    return {"min_cosine": worst_cos, "max_abs_diff": worst_diff}


def prepare_model(source: Path, cache_dir: Path, source_sha256: Optional[str] = None,
                  log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
                  session_args: Optional[Mapping[str, Any]] = None) -> Path:
    """Returns the file the engine should load for `source`: a prepared copy in `cache_dir`, or
    `source` itself when no rewrite applies. Raises ModelError 229003 when the rewrite cannot be
    proven equal to the source (or, when the source does not run, to its minimally edited
    reference: see the module docstring); nothing is left in `cache_dir` then.

    `session_args` (``threads``, ``providers``) go to the check sessions. An engine passes its
    own CPU settings: the first session of a process sizes and pins ONNX Runtime's shared thread
    pool, and on a first start these check sessions come before the engine's."""
    session_args = dict(session_args or {})
    from .errors import ModelError

    source = Path(source)
    digest = source_sha256 or _sha256(source)
    target = Path(cache_dir) / f"{source.stem}.v{PREPARE_VERSION}.{digest[:16]}.onnx"
    record_path = target.with_suffix(".json")
    done = _cached(record_path, digest)
    if done is not None:
        return source if done.get("unchanged") else target

    try:
        import onnx
    except ImportError:  # a minimal install: run the file as it is, slower
        log(f"faceedge: the onnx package is missing; running {source.name} unprepared")
        return source

    model = onnx.load(str(source))
    reference, reference_edits = reference_model(model)
    steps = _rewrite(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    record = {"source": str(source), "source_sha256": digest, "prepare_version": PREPARE_VERSION,
              "steps": steps}
    if not steps:
        record["unchanged"] = True
        _write_atomic(record_path, json.dumps(record, indent=1).encode())
        return source

    log(f"faceedge: preparing {source.name} for ONNX Runtime (once): " + "; ".join(steps))
    if reference_edits:
        ref_bytes = reference.SerializeToString()
        ref_digest = hashlib.sha256(ref_bytes).hexdigest()
        record.update(reference_edits=list(reference_edits.values()), reference_sha256=ref_digest,
                      reference_is=_manifest_copy(digest, ref_digest))
    tmp = _temp_file(target.parent, ".onnx.tmp")
    ref_tmp: Optional[Path] = None
    try:
        onnx.save(model, str(tmp))
        # Prove against the source itself whenever ONNX Runtime accepts it; a one-block
        # DequantizeLinear with a block_size is refused at the first run, so go to the reference.
        try:
            if "dequantize" in reference_edits:
                raise ModelError(229003, "ONNX Runtime rejects its one-block DequantizeLinear "
                                         "nodes ('block_size must be 0 for per-tensor "
                                         "quantization')")
            check, record["proved_against"] = _compare(source, tmp, session_args), "source"
        except Exception as exc:
            if not reference_edits:  # the source does not run and nothing explains why
                raise ModelError(229003, f"cannot verify the prepared form of {source}: "
                                         f"{exc}") from exc
            ref_tmp = _temp_file(target.parent, ".reference.onnx.tmp")
            ref_tmp.write_bytes(ref_bytes)
            try:
                check, record["proved_against"] = _compare(ref_tmp, tmp, session_args), "reference"
            except Exception as ref_exc:
                raise ModelError(229003, f"cannot verify the prepared form of {source}: the "
                                         f"source does not run ({exc}) and neither does its "
                                         f"minimally edited reference ({ref_exc})") from ref_exc
        if check["min_cosine"] < MIN_COSINE:
            raise ModelError(229003, f"prepared {source.name} differs from the "
                                     f"{record['proved_against']} (cosine "
                                     f"{check['min_cosine']:.6f} < {MIN_COSINE})")
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, ref_tmp):
            if leftover is not None and leftover.exists():
                leftover.unlink()
    record.update(check, prepared=str(target), prepared_sha256=_sha256(target),
                  prepared_size=target.stat().st_size)
    _write_atomic(record_path, json.dumps(record, indent=1).encode())
    return target


def prepared_file(source_sha256: str, cache_dir: Path) -> Optional[Path]:
    """The prepared file already cached for a source of this sha256 (the source's own path
    is not known here, so a source that needs no rewrite gives None too)."""
    for record_path in Path(cache_dir).glob(f"*.v{PREPARE_VERSION}.{source_sha256[:16]}.json"):
        record = _cached(record_path, source_sha256)
        if record is not None and not record.get("unchanged"):
            return record_path.with_suffix(".onnx")
    return None


def _cached(record_path: Path, digest: str) -> Optional[Dict[str, Any]]:
    """The record of a finished preparation of this source, or None (absent, damaged, or its
    prepared file missing or cut short: then it is prepared again)."""
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError):
        return None
    if record.get("source_sha256") != digest or record.get("prepare_version") != PREPARE_VERSION:
        return None
    if record.get("unchanged"):
        return record
    target = record_path.with_suffix(".onnx")
    if target.exists() and record.get("prepared_size") == target.stat().st_size:
        return record
    return None


def _manifest_copy(source_sha256: str, reference_sha256: str) -> Optional[str]:
    """The manifest id of the shipped patched copy the reference is byte-identical to, if any."""
    from .models import load_manifest

    manifest = load_manifest()
    source = manifest.by_sha256(source_sha256)
    if source is None:
        return None
    return next((e.id for e in manifest.models.values()
                 if e.derived_from == source.id and e.sha256 == reference_sha256), None)


def _temp_file(folder: Path, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(dir=str(folder), suffix=suffix)
    os.close(fd)
    return Path(name)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
