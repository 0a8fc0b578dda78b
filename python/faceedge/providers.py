"""Execution providers as a setting: names, each provider's options checked, CPU placement.

``FaceEngine(providers=[...])`` takes provider names with options. Each option may be given by
the runtime's own key (``trt_fp16_enable``) or a friendly alias (``fp16``); both end up as the
runtime's key with a string value, checked here first so a typo or a wrong type is a clear
InvalidParameterError 229014 naming the provider's known keys instead of something the runtime
may silently ignore. Key names and value forms come from ONNX Runtime's own sources and docs:

- CUDA: ``onnxruntime/core/providers/cuda/cuda_execution_provider_info.cc`` (provider_option_names)
  and onnxruntime.ai/docs/execution-providers/CUDA-ExecutionProvider.html;
- TensorRT: ``core/providers/tensorrt/tensorrt_execution_provider_info.cc`` and
  onnxruntime.ai/docs/execution-providers/TensorRT-ExecutionProvider.html;
- OpenVINO: ``core/providers/openvino/contexts.h`` (valid_provider_keys) and
  onnxruntime.ai/docs/execution-providers/OpenVINO-ExecutionProvider.html; its booleans are
  read as ``"true"``/``"false"`` (openvino_provider_factory.cc), the others take ``"1"``/``"0"``;
- XNNPACK: onnxruntime.ai/docs/execution-providers/Xnnpack-ExecutionProvider.html;
- CPU: the thread-pool settings of onnxruntime.ai/docs/performance/tune-performance/threading.html
  (``SetGlobalIntraOpThreadAffinity``, C API 14; session key ``session.intra_op_thread_affinities``).

Options that take raw pointers (user CUDA streams, external allocators, in-memory model bytes)
are left out: they have no meaning across this API. Providers without a table here (CoreML, DML,
QNN, ...) get their options passed through as strings. See docs/providers.md.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .cpu_topology import cpu_topology, parse_cpulist
from .errors import error

__all__ = ["ProviderSpec", "normalize_providers", "provider_options", "known_options"]

ProviderSpec = Union[str, Tuple[str, Mapping[str, Any]], Mapping[str, Any]]

Convert = Callable[[str, Any], str]  # (label for messages, value) -> the runtime's string


def _bad(label: str, what: str, value: Any) -> Exception:
    return error(229014, f"{label} must be {what}, got {value!r}")


def _boolean(true: str = "1", false: str = "0") -> Convert:
    def convert(label: str, value: Any) -> str:
        if isinstance(value, bool):
            return true if value else false
        if isinstance(value, int) and value in (0, 1):
            return true if value else false
        if isinstance(value, str) and value.strip().lower() in ("1", "0", "true", "false"):
            return true if value.strip().lower() in ("1", "true") else false
        raise _bad(label, "a bool (True/False, 1/0, 'true'/'false')", value)
    return convert


def _as_int(label: str, value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise _bad(label, what, value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise _bad(label, what, value)


def _integer(low: int, high: Optional[int] = None) -> Convert:
    what = f"an integer >= {low}" if high is None else f"an integer in {low}..{high}"

    def convert(label: str, value: Any) -> str:
        n = _as_int(label, value, what)
        if n < low or (high is not None and n > high):
            raise _bad(label, what, value)
        return str(n)
    return convert


def _choice(*allowed: str) -> Convert:
    def convert(label: str, value: Any) -> str:
        if isinstance(value, str):
            for option in allowed:
                if value.strip().lower() == option.lower():
                    return option
        raise _bad(label, "one of " + ", ".join(allowed), value)
    return convert


def _text(label: str, value: Any) -> str:
    if isinstance(value, (str, os.PathLike)) and str(value).strip():
        return str(value)
    raise _bad(label, "a non-empty string", value)


def _directory(label: str, value: Any) -> str:
    """A cache directory: created if missing, and it must be writable (the runtime writes there
    on the first start and fails late, or silently rebuilds every time, when it cannot)."""
    path = Path(_text(label, value)).expanduser().absolute()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise error(229014, f"{label}: cannot create directory {str(path)!r}: {exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise error(229014, f"{label}: directory {str(path)!r} is not writable")
    return str(path)


def _mib(label: str, value: Any) -> int:
    return int(_integer(1)(label, value)) * 1024 * 1024


_BOOL = _boolean()
_DEVICE = _integer(0)
_BYTES = _integer(1)


@dataclass(frozen=True)
class _Table:
    """One provider's options: the runtime's keys and the friendly aliases that expand to them."""

    keys: Dict[str, Convert]
    aliases: Dict[str, Callable[[str, Any], Dict[str, Any]]] = field(default_factory=dict)


def _same(key: str) -> Callable[[str, Any], Dict[str, Any]]:
    return lambda label, value: {key: value}


def _cache(enable: str, path: str) -> Callable[[str, Any], Dict[str, Any]]:
    """``engine_cache="/dir"`` turns the cache on there; ``True``/``False`` only switch it."""
    def expand(label: str, value: Any) -> Dict[str, Any]:
        if isinstance(value, bool):
            return {enable: value}
        return {enable: True, path: value}
    return expand


_CUDA = _Table(
    keys={
        "device_id": _DEVICE,
        "gpu_mem_limit": _BYTES,
        "arena_extend_strategy": _choice("kNextPowerOfTwo", "kSameAsRequested"),
        "cudnn_conv_algo_search": _choice("EXHAUSTIVE", "HEURISTIC", "DEFAULT"),
        "do_copy_in_default_stream": _BOOL,
        "cudnn_conv_use_max_workspace": _BOOL,
        "cudnn_conv1d_pad_to_nc1d": _BOOL,
        "enable_cuda_graph": _BOOL,
        "enable_skip_layer_norm_strict_mode": _BOOL,
        "prefer_nhwc": _BOOL,
        "use_ep_level_unified_stream": _BOOL,
        "use_tf32": _BOOL,
        "tunable_op_enable": _BOOL,
        "tunable_op_tuning_enable": _BOOL,
        "tunable_op_max_tuning_duration_ms": _integer(0),
    },
    aliases={
        "device": _same("device_id"),
        "mem_limit_mb": lambda label, v: {"gpu_mem_limit": _mib(label, v)},
        "conv_algo": _same("cudnn_conv_algo_search"),
        "cuda_graph": _same("enable_cuda_graph"),
        "tf32": _same("use_tf32"),
    })

_TENSORRT = _Table(
    keys={
        "device_id": _DEVICE,
        "trt_max_workspace_size": _BYTES,
        "trt_max_partition_iterations": _integer(1),
        "trt_min_subgraph_size": _integer(1),
        "trt_fp16_enable": _BOOL,
        "trt_bf16_enable": _BOOL,
        "trt_int8_enable": _BOOL,
        "trt_int8_calibration_table_name": _text,
        "trt_int8_use_native_calibration_table": _BOOL,
        "trt_dla_enable": _BOOL,
        "trt_dla_core": _integer(0),
        "trt_dump_subgraphs": _BOOL,
        "trt_engine_cache_enable": _BOOL,
        "trt_engine_cache_path": _directory,
        "trt_engine_cache_prefix": _text,
        "trt_engine_decryption_enable": _BOOL,
        "trt_engine_decryption_lib_path": _text,
        "trt_engine_hw_compatible": _BOOL,
        "trt_weight_stripped_engine_enable": _BOOL,
        "trt_onnx_model_folder_path": _text,
        "trt_force_sequential_engine_build": _BOOL,
        "trt_context_memory_sharing_enable": _BOOL,
        "trt_layer_norm_fp32_fallback": _BOOL,
        "trt_timing_cache_enable": _BOOL,
        "trt_timing_cache_path": _directory,
        "trt_force_timing_cache": _BOOL,
        "trt_detailed_build_log": _BOOL,
        "trt_build_heuristics_enable": _BOOL,
        "trt_sparsity_enable": _BOOL,
        "trt_builder_optimization_level": _integer(0, 5),
        "trt_auxiliary_streams": _integer(-1),
        "trt_tactic_sources": _text,
        "trt_extra_plugin_lib_paths": _text,
        "trt_profile_min_shapes": _text,
        "trt_profile_max_shapes": _text,
        "trt_profile_opt_shapes": _text,
        "trt_cuda_graph_enable": _BOOL,
        "trt_dump_ep_context_model": _BOOL,
        "trt_ep_context_file_path": _text,
        "trt_ep_context_embed_mode": _integer(0, 1),
        "trt_op_types_to_exclude": _text,
    },
    aliases={
        "device": _same("device_id"),
        "fp16": _same("trt_fp16_enable"),
        "int8": _same("trt_int8_enable"),
        "engine_cache": _cache("trt_engine_cache_enable", "trt_engine_cache_path"),
        "timing_cache": _cache("trt_timing_cache_enable", "trt_timing_cache_path"),
        "workspace_mb": lambda label, v: {"trt_max_workspace_size": _mib(label, v)},
    })

_OV_BOOL = _boolean("true", "false")
_OPENVINO = _Table(
    keys={
        "device_type": _text,  # CPU, GPU, GPU.0, NPU, HETERO:GPU,CPU, AUTO:..., MULTI:...
        "precision": _choice("FP32", "FP16", "ACCURACY"),
        "num_of_threads": _integer(1),
        "num_streams": _integer(1),
        "cache_dir": _directory,
        "load_config": _text,
        "model_priority": _choice("LOW", "MEDIUM", "HIGH", "DEFAULT"),
        "enable_opencl_throttling": _OV_BOOL,
        "enable_qdq_optimizer": _OV_BOOL,
        "disable_dynamic_shapes": _OV_BOOL,
    },
    aliases={
        "device": _same("device_type"),
        "threads": _same("num_of_threads"),
        "streams": _same("num_streams"),
        "cache": _same("cache_dir"),
    })

_XNNPACK = _Table(keys={"intra_op_num_threads": _integer(1)},
                  aliases={"threads": _same("intra_op_num_threads")})

# The CPU provider's settings live on the session and the thread pool; the core reads these keys
# (ort/providers.cpp with_cpu_options). Affinity and cores are handled in _cpu_placement.
_AFFINITY_KEY = "session.intra_op_thread_affinities"
_SPIN_KEY = "session.intra_op.allow_spinning"
_CPU = _Table(
    keys={"intra_op_num_threads": _integer(0), _AFFINITY_KEY: _text, "enable_cpu_mem_arena": _BOOL,
          _SPIN_KEY: _BOOL},
    aliases={"threads": _same("intra_op_num_threads"), "arena": _same("enable_cpu_mem_arena"),
             "spin": _same(_SPIN_KEY)})
_CPU_PLACEMENT = ("affinity", "cores")

_TABLES: Dict[str, Tuple[str, _Table]] = {  # canonical name -> (short name, table)
    "CPUExecutionProvider": ("cpu", _CPU),
    "CUDAExecutionProvider": ("cuda", _CUDA),
    "TensorrtExecutionProvider": ("tensorrt", _TENSORRT),
    "OpenVINOExecutionProvider": ("openvino", _OPENVINO),
    "XnnpackExecutionProvider": ("xnnpack", _XNNPACK),
}


def _table_for(name: str) -> Optional[Tuple[str, _Table]]:
    wanted = name.strip().lower()
    for canonical, (short, table) in _TABLES.items():
        if wanted in (canonical.lower(), short):
            return canonical, table
    return None


def known_options(name: str) -> List[str]:
    """The option names (the runtime's keys, then aliases) faceedge checks for provider
    ``name``; empty for a provider whose options are passed through unchecked."""
    found = _table_for(name)
    if found is None:
        return []
    _, table = found
    extra = list(_CPU_PLACEMENT) if table is _CPU else []
    return sorted(table.keys) + sorted(list(table.aliases) + extra)


def _ort_affinity(cpus: Sequence[int], workers: int) -> str:
    """ONNX Runtime's affinity string pinning each pool worker to the whole CPU set.

    Its processor ids count from 1, an entry is either ``first-last`` or a comma list (not a
    mix), and entries for the workers are joined by ';' (util/thread_utils.cc).
    """
    ids = sorted(c + 1 for c in cpus)
    contiguous = ids == list(range(ids[0], ids[-1] + 1))
    one = f"{ids[0]}-{ids[-1]}" if contiguous and len(ids) > 1 else ",".join(map(str, ids))
    return ";".join([one] * workers)


def _cpu_placement(placement: Mapping[str, Any], out: Dict[str, str],
                   sysfs_root: Union[str, Path, None]) -> None:
    """Turn ``affinity`` / ``cores`` into the pool's thread count and affinity string."""
    if not placement:
        return
    if len(placement) > 1:
        raise error(229014, "CPUExecutionProvider: give affinity or cores, not both")
    if _AFFINITY_KEY in out:
        raise error(229014, f"CPUExecutionProvider: give {_AFFINITY_KEY} (the runtime's own "
                            "string) or affinity/cores, not both")
    topology = cpu_topology(sysfs_root)
    if "cores" in placement:
        _choice("big")("CPUExecutionProvider option cores", placement["cores"])
        cpus = list(topology.big)
    else:
        cpus = _cpu_set(placement["affinity"], topology.cpus, sysfs_root)
    threads = int(out.get("intra_op_num_threads", "0")) or len(cpus)
    out["intra_op_num_threads"] = str(threads)
    if threads < 2:  # no pool workers to pin: the calling thread is the only one
        if "affinity" in placement:
            raise error(229014, "CPUExecutionProvider: affinity needs threads >= 2 (ONNX Runtime "
                                "pins the pool's workers, never the calling thread)")
        return
    out[_AFFINITY_KEY] = _ort_affinity(cpus, threads - 1)


def _cpu_set(value: Any, online: Sequence[int], sysfs_root: Union[str, Path, None]) -> List[int]:
    label = "CPUExecutionProvider option affinity"
    what = "CPU numbers as Linux counts them (from 0): a list like [4, 5, 6, 7] or '4-7'"
    try:
        if isinstance(value, str):
            cpus = parse_cpulist(value)
        elif isinstance(value, (list, tuple, set, frozenset)) and value and all(
                isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in value):
            cpus = set(value)
        else:
            raise ValueError
    except ValueError:
        raise _bad(label, what, value) from None
    usable = set(online)
    if sysfs_root is None and hasattr(os, "sched_getaffinity"):
        usable &= os.sched_getaffinity(0)  # a taskset/cgroup limit makes other CPUs unpinnable
    missing = sorted(cpus - usable)
    if missing:
        raise error(229014, f"{label}: CPU {missing} not usable here (usable: "
                            f"{', '.join(map(str, sorted(usable)))})")
    return sorted(cpus)


def provider_options(name: str, options: Mapping[str, Any],
                     sysfs_root: Union[str, Path, None] = None) -> Dict[str, str]:
    """Check one provider's options and return them as the runtime's ``{key: string}``.

    Raises:
        InvalidParameterError: 229014 for an unknown key (the message lists the known ones), a
            value of the wrong type or range, a cache directory that cannot be created or
            written, or an alias and its runtime key given with different values.
    """
    found = _table_for(name)
    if found is None:  # a provider we keep no table for: pass through as strings
        return {str(k): _BOOL(str(k), v) if isinstance(v, bool) else str(v)
                for k, v in options.items()}
    canonical, table = found
    out: Dict[str, str] = {}
    given_as: Dict[str, str] = {}
    placement: Dict[str, Any] = {}
    for key, value in options.items():
        key = str(key)
        if table is _CPU and key in _CPU_PLACEMENT:
            placement[key] = value
            continue
        if key in table.keys:
            expanded = {key: value}
        elif key in table.aliases:
            expanded = table.aliases[key](f"{canonical} option {key}", value)
        else:
            raise error(229014, f"unknown {canonical} option {key!r}; known options: "
                                + ", ".join(known_options(canonical)))
        for runtime_key, runtime_value in expanded.items():
            label = f"{canonical} option {runtime_key}" + (f" ({key})" if key != runtime_key else "")
            text = table.keys[runtime_key](label, runtime_value)
            if out.get(runtime_key, text) != text:
                raise error(229014, f"{canonical}: {key} and {given_as[runtime_key]} set "
                                    f"{runtime_key} to different values")
            out[runtime_key] = text
            given_as[runtime_key] = key
    if table is _CPU:
        _cpu_placement(placement, out, sysfs_root)
    return out


def normalize_providers(providers: Union[None, ProviderSpec, Sequence[ProviderSpec]],
                        sysfs_root: Union[str, Path, None] = None
                        ) -> List[Tuple[str, Dict[str, str]]]:
    """Execution providers in order of preference, as ``(name, {runtime key: str})`` pairs.

    Accepts ``None`` (CPU only), a name, a ``(name, options)`` tuple, a ``{"name": ...,
    "options": {...}}`` or ``{name: options}`` dict, or a list of any of these. Names are the
    runtime's (``"CUDAExecutionProvider"``) or short (``"cuda"``); options are checked by
    :func:`provider_options`. ``sysfs_root`` replaces ``/sys/devices/system/cpu`` (tests).
    """
    if providers is None:
        return [("CPUExecutionProvider", {})]
    single = (isinstance(providers, (str, Mapping))
              or (isinstance(providers, tuple) and len(providers) == 2
                  and isinstance(providers[0], str) and isinstance(providers[1], Mapping)))
    items = [providers] if single else list(providers)  # type: ignore[arg-type]
    if not items:
        raise error(229014, "providers is empty: name at least one execution provider")
    out: List[Tuple[str, Dict[str, str]]] = []
    for item in items:
        if isinstance(item, str):
            name, options = item, {}
        elif isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[1], Mapping):
            name, options = item[0], item[1]
        elif isinstance(item, Mapping) and "name" in item:
            name, options = item["name"], item.get("options") or {}
        elif isinstance(item, Mapping) and len(item) == 1:
            ((name, options),) = item.items()
            options = options or {}
        else:
            raise error(229014, f"cannot read execution provider {item!r}: use a name, "
                                "(name, options) or {'name': ..., 'options': {...}}")
        if not isinstance(name, str) or not name.strip() or not isinstance(options, Mapping):
            raise error(229014, f"bad execution provider {item!r}")
        known = _table_for(name)  # the runtime's own name, so results compare with .providers
        out.append((known[0] if known else name.strip(), provider_options(name, options, sysfs_root)))
    return out



def cpu_workers_spin(providers: Sequence[Tuple[str, Mapping[str, str]]]) -> bool:
    """Whether the CPU sessions' workers spin during a run (the default; ``spin=0`` turns it
    off). Two runs side by side on a small CPU then fight over the cores, so overlapping stages
    (:mod:`faceedge.frame_overlap`) only pays without spinning."""
    for name, options in providers:
        if name == "CPUExecutionProvider":
            return options.get(_SPIN_KEY, "1") == "1"
    return True
