"""Point the compiled core at the ONNX Runtime library, and report what it loaded.

The core dlopens ``libonnxruntime`` itself (it binds the C ABI, see DESIGN.md). Unless
``FACEEDGE_ORT_LIBRARY`` names a file, it tries the candidates given here: the library inside the
installed ``onnxruntime`` wheel (or ``onnxruntime-gpu`` and other builds that install the same
``onnxruntime`` package). The wheel is located with ``importlib.util.find_spec`` and never
imported, so its Python module, its own copy of the runtime and its start-up cost stay out.

The accelerated builds (``onnxruntime-openvino``, ``onnxruntime-gpu``, ...) install into the same
``onnxruntime`` folder as the stock wheel, so pip can leave two libraries side by side there (for
example ``pip install faceedge[openvino]`` installs both wheels). The library a distribution
other than the stock ``onnxruntime`` installed comes first then: the user installed that build
for its providers.

Nothing here needs the core at import time: :func:`core` imports it on demand and turns a missing
or broken build into a clear :class:`~faceedge.errors.RuntimeUnavailableError`.
"""
from __future__ import annotations

import glob
import importlib.util
import os
import re
import sys
import threading
from types import ModuleType
from typing import Any, Dict, List, Optional

from .errors import error

__all__ = ["find_runtime_libraries", "find_plugin_libraries", "core", "runtime_info"]

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
    if len(found) > 1:
        accelerated = _libraries_of_accelerated_builds()
        found.sort(key=lambda path: os.path.realpath(path) not in accelerated)  # stable
    return found


def _libraries_of_accelerated_builds() -> set:
    """Real paths of the runtime libraries that an installed ONNX Runtime build other than the
    stock ``onnxruntime`` distribution owns (from the distributions' RECORD files)."""
    import importlib.metadata as metadata

    owned = set()
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if not name.startswith("onnxruntime-") or name.startswith("onnxruntime-ep-"):
            continue
        for file in dist.files or ():
            if file.name.startswith(("libonnxruntime.", "onnxruntime.dll")):
                owned.add(os.path.realpath(str(file.locate())))
    return owned


_PLUGIN_LIBRARY = re.compile(r"^(lib)?onnxruntime_providers_\w+\.(so|dll|dylib)$")


def find_plugin_libraries() -> List[str]:
    """Plugin execution-provider libraries for ONNX Runtime >= 1.22, best first: the files named
    by ``FACEEDGE_ORT_EP_LIBRARIES`` (``os.pathsep``-separated), then the provider library of
    every installed ``onnxruntime-ep-*`` package (``onnxruntime-ep-openvino`` ships
    ``libonnxruntime_providers_openvino_plugin.so``). Found from the packages' RECORD files,
    never imported. The core registers them only when a session asks for a provider the runtime
    does not have built in."""
    import importlib.metadata as metadata

    found = [p for p in os.environ.get("FACEEDGE_ORT_EP_LIBRARIES", "").split(os.pathsep) if p]
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if not name.startswith("onnxruntime-ep-"):
            continue
        for file in dist.files or ():
            if _PLUGIN_LIBRARY.match(file.name):
                path = str(file.locate())
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
                module.set_execution_provider_libraries(find_plugin_libraries())
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
