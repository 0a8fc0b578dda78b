"""``BaiduFaceService``: Baidu face API calls answered by a local engine and face library.

One object behind both doors: :class:`faceedge.compat.AipFace` calls :meth:`BaiduFaceService.call`
in process, and ``faceedge serve`` calls it for each HTTP request. Both therefore return the same
envelope for the same body. ``call`` never raises: a :class:`~faceedge.errors.FaceEdgeError`
becomes its code and message, anything unexpected is logged and answered with Baidu's 222302
(system error) and the log_id to look for, never a traceback.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Any, Dict, Optional, Union

from ..engine import FaceEngine
from ..errors import FaceEdgeError, error
from ..images import BAIDU_LIMITS, ImageLimits
from ..library import FaceLibrary
from ..models import ModelsArg
from .endpoints import HANDLERS, OFFLINE
from .envelope import failure, new_log_id, success
from .urls import DEFAULT_URL_TIMEOUT, url_policy

__all__ = ["BaiduFaceService"]

log = logging.getLogger("faceedge.compat")


class BaiduFaceService:
    """Baidu face v3 endpoints on a :class:`~faceedge.FaceEngine` and a
    :class:`~faceedge.FaceLibrary`.

    Args:
        engine: the engine to use; built from ``models`` and ``engine_options`` when None.
        library: an open face library to use (the caller closes it).
        models: model directory for the engine built here.
        library_path: a library file to open on the first library call (and close in
            :meth:`close`); give ``library`` or ``library_path``, not both. Without either, the
            library endpoints answer 216102.
        allow_url: download ``image_type=URL`` images (http/https, at most the byte limit of
            ``image_limits``, within ``url_timeout`` seconds). Off by default: the device is
            offline. ``True`` (or ``"public"``) fetches from public addresses only;
            ``"private"`` also from private ranges (a LAN camera server); ``"any"`` also from
            loopback and link-local addresses (see :mod:`faceedge.compat.urls`).
        image_limits: the :class:`~faceedge.images.ImageLimits` every image of a call must
            keep (216202 otherwise); default Baidu's own (10 MB, sides 24..4096 px), so clients
            see the answers Baidu gives. ``faceedge.images.NATIVE_LIMITS`` takes camera photos.
        engine_options: further :class:`~faceedge.FaceEngine` arguments (providers, threads...).
        strict_face_field: False (default): a face_field faceedge does not compute is left out
            of each face and named in ``result.unsupported_face_field``; True: 222017, as the
            Python API (:mod:`faceedge.compat.face_fields`).

    Thread-safe: the engine and the library are.
    """

    def __init__(self, engine: Optional[FaceEngine] = None, library: Optional[FaceLibrary] = None,
                 *, models: ModelsArg = None,
                 library_path: Union[None, str, "os.PathLike[str]"] = None,
                 allow_url: Union[bool, str] = False, url_timeout: float = DEFAULT_URL_TIMEOUT,
                 engine_options: Optional[Dict[str, Any]] = None,
                 image_limits: ImageLimits = BAIDU_LIMITS,
                 strict_face_field: bool = False) -> None:
        if library is not None and library_path is not None:
            raise error(229014, "give library (an open FaceLibrary) or library_path, not both")
        if library is not None and not isinstance(library, FaceLibrary):
            raise error(229014, f"library must be a FaceLibrary, got {type(library).__name__}")
        if not (isinstance(url_timeout, (int, float)) and url_timeout > 0):
            raise error(229014, f"url_timeout must be a number of seconds > 0, got {url_timeout!r}")
        if not isinstance(image_limits, ImageLimits):
            raise error(229014, "image_limits must be a faceedge.images.ImageLimits, got "
                                f"{type(image_limits).__name__}")
        self.engine = engine if engine is not None else FaceEngine(models=models,
                                                                   **(engine_options or {}))
        self.url_policy = url_policy(allow_url)  # None: URLs refused
        self.allow_url = self.url_policy is not None
        self.url_timeout = float(url_timeout)
        self.image_limits = image_limits
        # face_field names faceedge cannot compute: left out and listed (False), or 222017.
        self.strict_face_field = bool(strict_face_field)
        self._library = library
        self._library_path = os.fspath(library_path) if library_path is not None else None
        self._library_lock = threading.Lock()
        self._closed = False

    # ---- the face library, opened on first use -----------------------------------------------------

    @property
    def library(self) -> FaceLibrary:
        """The face library (opened now if it was given as a path). 216102 when there is none."""
        library = self._library
        if library is not None:
            return library
        if self._library_path is None:
            raise error(216102, "this faceedge service has no face library: give it one "
                                "(faceedge serve --library PATH, or library_path=...)")
        with self._library_lock:
            if self._closed:
                raise error(229023, "this faceedge service was closed")
            if self._library is None:
                self._library = FaceLibrary(self._make_parent(self._library_path), self.engine)
            return self._library

    @staticmethod
    def _make_parent(path: str) -> str:
        """A default library lives in a folder that may not exist yet (~/.local/share/faceedge)."""
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        except OSError as exc:
            raise error(229022, f"cannot create the folder of {path}: {exc.strerror or exc}") \
                from None
        return path

    @property
    def library_path(self) -> Optional[str]:
        """The library file, when known."""
        return self._library.path if self._library is not None else self._library_path

    def close(self) -> None:
        """Close the library this service opened itself (idempotent)."""
        with self._library_lock:
            self._closed = True
            if self._library_path is not None and self._library is not None:
                self._library.close()

    def __enter__(self) -> "BaiduFaceService":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- the one entry point -----------------------------------------------------------------------

    @staticmethod
    def knows(path: str) -> bool:
        """Whether ``path`` names one of the SDK's endpoints (answered or cloud-only)."""
        return path in HANDLERS or path in OFFLINE

    @staticmethod
    def endpoints() -> Dict[str, str]:
        """Every endpoint name and whether it runs here (``"offline"``) or needs Baidu's cloud
        (``"cloud only"``)."""
        out = {key: "offline" for key in HANDLERS}
        out.update({key: "cloud only" for key in OFFLINE})
        return out

    def call(self, path: str, body: Any) -> Dict[str, Any]:
        """Answer one Baidu face call.

        Args:
            path: the endpoint: face v3's path suffix (``"detect"``, ``"multi-search"``,
                ``"faceset/user/add"``...) or, for the SDK's other families, the path below
                ``/rest/2.0/face/`` (``"v1/merge"``); see :func:`~faceedge.compat.envelope.
                endpoint_key`.
            body: the parsed JSON object or array (or form fields) exactly as the SDK sends it.

        Returns:
            Baidu's envelope: ``error_code`` (0 on success), ``error_msg``, ``log_id``,
            ``timestamp``, ``cached`` and ``result``.
        """
        log_id = new_log_id()
        try:
            handler = HANDLERS.get(path) if isinstance(path, str) else None
            if handler is None:
                raise self._unknown(path)
            return success(handler(self, body), log_id)
        except FaceEdgeError as exc:
            return failure(exc, log_id)
        except Exception:  # a bug or an exhausted resource: logged here, the client gets a code
            log.exception("faceedge: %s failed unexpectedly (log_id %d)", path, log_id)
            return failure(error(222302, f"unexpected failure in {path} (log_id {log_id}); "
                                         "the service's log has the details"), log_id)

    @staticmethod
    def _unknown(path: object) -> FaceEdgeError:
        if isinstance(path, str) and path in OFFLINE:
            return error(216102, f"{path} is not available offline: {OFFLINE[path]}")
        return error(3, f"no face endpoint {str(path)[:100]!r}")
