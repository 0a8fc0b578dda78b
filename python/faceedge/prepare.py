"""Rewrites a model file, once, into the form ONNX Runtime runs fastest, and caches the result.

Why: the SFace file we ship support for is block-quantised int8 whose 27 PRelu layers ONNX
Runtime's CPU provider runs through a slow generic broadcast path (16 of 25 ms per face, measured
with the runtime's profiler), and whose weights it dequantises again on every run. The rewrite is
exact arithmetic, proven on probe inputs before the file is used:

1. drop graph inputs no node reads (the upstream SFace file declares 29 of them);
2. fold every DequantizeLinear whose inputs are all constant into an fp32 initialiser
   (this also removes the per-tensor `block_size` attribute ONNX Runtime rejects in upstream YuNet);
3. PRelu(x, slope) with a constant slope -> on x86 with AVX2/AVX-512, x + (1 - slope) * relu(-x)
   as two depthwise 1x1 convolutions, which ONNX Runtime keeps in its blocked NCHWc layout
   (no layout conversion around every convolution); elsewhere Relu(x) + slope * Min(x, 0) on
   the runtime's vectorised element-wise kernels (the rewrites and the measurements behind
   them are in :mod:`faceedge.prepare_rewrites`).

The proof runs the prepared file and the source on the same probe inputs (worst cosine over all
outputs >= MIN_COSINE). When the source itself does not run in ONNX Runtime (upstream YuNet int8bq:
"block_size must be 0 for per-tensor quantization"), the prepared file is proven against a
*reference* built in memory instead: the source with only the minimal edit ONNX Runtime needs
(:func:`reference_model`: unread graph inputs dropped, one-block DequantizeLinear given a scalar
scale and zero-point and no block_size/axis). That edit changes no arithmetic, and it is exactly
the ``_ortfix`` edit of ``../shared/models/README.md`` 3.4 and 4.3: serialised, the reference is
byte-identical to the manifest's ``_ortfix`` copy, and the record says so when it is.

The prepared file lives in the cache directory next to a JSON record of both sha256 values (and
the reference's), of what the proof ran against and of its result; it is reused until the source,
PREPARE_VERSION or the PRelu form (both in the file name) changes.
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

from . import prepare_rewrites as rewrites
from .models import sha256_file as _sha256

PREPARE_VERSION = 2  # 2: PRelu in the form the CPU runs fastest (prepare_rewrites.py)
MIN_COSINE = 0.9999


def _rewrite(model, prelu_form: str = "elementwise") -> List[str]:
    """Applies the rewrites in place; returns the descriptions of the steps that changed
    something."""
    steps = [rewrites.drop_unread_inputs(model), rewrites.fold_constant_dequantize(model),
             rewrites.rewrite_prelu(model, prelu_form)]
    rewrites.drop_unread_initializers(model)
    return [step for step in steps if step]


def prelu_form(provider: str = "CPUExecutionProvider") -> str:
    """The PRelu form for a file ``provider`` will run (see :mod:`faceedge.prepare_rewrites`):
    on ONNX Runtime's CPU provider the one for this machine's CPU; on any other provider the
    element-wise one (OpenVINO compiles the element-wise form to its fastest program: measured
    with onnxruntime-openvino 1.24.1 on SFace, 6.7 ms against 8.5 ms for the NCHWc form)."""
    from . import _core

    if provider != "CPUExecutionProvider":
        return "elementwise"
    return rewrites.prelu_form(list(_core.available_simd_levels()))


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
                  session_args: Optional[Mapping[str, Any]] = None,
                  provider: str = "CPUExecutionProvider") -> Path:
    """Returns the file the engine should load for `source`: a prepared copy in `cache_dir`, or
    `source` itself when no rewrite applies. Raises ModelError 229003 when the rewrite cannot be
    proven equal to the source (or, when the source does not run, to its minimally edited
    reference: see the module docstring); nothing is left in `cache_dir` then.

    `session_args` (``threads``, ``providers``) go to the check sessions. An engine passes its
    own CPU settings: the first session of a process sizes and pins ONNX Runtime's shared thread
    pool, and on a first start these check sessions come before the engine's. `provider` is the
    execution provider the engine will run the file on: the rewrite picks its PRelu form for it
    (the proof always runs on the CPU)."""
    session_args = dict(session_args or {})
    from .errors import ModelError

    source = Path(source)
    digest = source_sha256 or _sha256(source)
    form = prelu_form(provider)
    target = Path(cache_dir) / f"{source.stem}.{_version_tag(form)}.{digest[:16]}.onnx"
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
    steps = _rewrite(model, form)
    target.parent.mkdir(parents=True, exist_ok=True)
    record = {"source": str(source), "source_sha256": digest, "prepare_version": PREPARE_VERSION,
              "prelu_form": form,
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
            if getattr(exc, "error_code", None) == 229014:  # the caller's settings, not the model
                raise
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


def prepared_file(source_sha256: str, cache_dir: Path,
                  provider: str = "CPUExecutionProvider") -> Optional[Path]:
    """The prepared file already cached for a source of this sha256 (the source's own path
    is not known here, so a source that needs no rewrite gives None too)."""
    pattern = f"*.{_version_tag(prelu_form(provider))}.{source_sha256[:16]}.json"
    for record_path in Path(cache_dir).glob(pattern):
        record = _cached(record_path, source_sha256)
        if record is not None and not record.get("unchanged"):
            return record_path.with_suffix(".onnx")
    return None


def _version_tag(form: str) -> str:
    """The part of a prepared file's name that changes with what the rewrite produces."""
    return f"v{PREPARE_VERSION}-{form}"


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
