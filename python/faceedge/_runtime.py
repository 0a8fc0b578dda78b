"""Point the compiled core at the ONNX Runtime library, and report what it loaded.

The core dlopens ``libonnxruntime`` itself (it binds the C ABI, see DESIGN.md). Unless
``FACEEDGE_ORT_LIBRARY`` names a file, it tries the candidates given here: the library inside the
installed ``onnxruntime`` wheel (or ``onnxruntime-gpu`` and other builds that install the same
``onnxruntime`` package). The wheel is located with ``importlib.util.find_spec`` and never
imported, so its Python module, its own copy of the runtime and its start-up cost stay out.

Nothing here needs the core at import time: :func:`core` imports it on demand and turns a missing
or broken build into a clear :class:`~faceedge.errors.RuntimeUnavailableError`.
"""
from __future__ import annotations

import glob
import importlib.util
import os
import sys
import threading
from types import ModuleType
from typing import Any, Dict, List, Optional

from .errors import error

__all__ = ["find_runtime_libraries", "core", "runtime_info"]

_LIBRARY_PATTERNS = {
    "linux": ("libonnxruntime.so.*", "libonnxruntime.so"),
    "darwin": ("libonnxruntime.*.dylib", "libonnxruntime.dylib"),
    "win32": ("onnxruntime.dll",),
}


def _patterns() -> tuple:
    for prefix, patterns in _LIBRARY_PATTERNS.items():
        if sys.platform.startswith(prefix):
            return patterns
    return _LIBRARY_PATTERNS["linux"]


def find_runtime_libraries() -> List[str]:
    """Files that may be the installed wheel's ONNX Runtime C library, best first.

    Empty when no ``onnxruntime`` package is installed.
    """
    try:
        spec = importlib.util.find_spec("onnxruntime")
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    capi = os.path.join(list(spec.submodule_search_locations)[0], "capi")
    found: List[str] = []
    for pattern in _patterns():
        # Highest version first when several are present (a half-upgraded environment).
        for path in sorted(glob.glob(os.path.join(capi, pattern)), reverse=True):
            if os.path.isfile(path) and path not in found:
                found.append(path)
    return found


_lock = threading.Lock()
_core: Optional[ModuleType] = None
_core_error: Optional[BaseException] = None


def core() -> ModuleType:
    """The compiled ``faceedge._core``, with the runtime library candidates registered once.

    Raises:
        RuntimeUnavailableError: 229010 when the extension is not built or cannot be loaded.
    """
    global _core, _core_error
    with _lock:
        if _core is None and _core_error is None:
            try:
                from . import _core as module  # type: ignore[attr-defined]
            except ImportError as exc:
                _core_error = exc
            else:
                module.set_runtime_library_candidates(find_runtime_libraries())
                _core = module
        if _core is not None:
            return _core
    raise error(229010, "the compiled core faceedge._core cannot be imported "
                        f"({_core_error}); build it with 'pip install .' from the source tree")


def runtime_info() -> Dict[str, Any]:
    """What the core loaded: ``version``, ``library_path``, ``build_info``,
    ``available_providers``, plus ``simd_level`` (the level the search kernels use) and
    ``available_simd_levels``. Loads ONNX Runtime on first call."""
    c = core()
    info: Dict[str, Any] = dict(c.runtime_info())
    info["simd_level"] = c.simd_level()
    info["available_simd_levels"] = list(c.available_simd_levels())
    return info
