"""Baidu's reply envelope and the endpoint names of its REST paths.

Every Baidu face v3 reply, success or failure, is one JSON object::

    {"error_code": 0, "error_msg": "SUCCESS", "log_id": 1234, "timestamp": 1700000000,
     "cached": 0, "result": {...}}

with ``result`` null on failure (and for calls that have nothing to return). The drop-in class
and the REST server both build their replies here, so the two cannot drift apart.
"""
from __future__ import annotations

import logging
import secrets
import time
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

from ..errors import FaceEdgeError

__all__ = ["success", "failure", "new_log_id", "endpoint_key"]

log = logging.getLogger("faceedge.server")

# Where the SDK's endpoints live below its host. Face v3 endpoints are named by their suffix
# ("detect", "faceset/user/add"); the SDK's other face families keep their version prefix
# ("v1/merge", "v4/mingjing/match", "scene/faceset/user/add", "capture/search").
_FACE_PREFIX = "/rest/2.0/face/"
_V3 = "v3/"
_FEEDBACK_PATH = "/rpc/2.0/feedback/v1/report"
FEEDBACK_KEY = "feedback/v1/report"


def new_log_id() -> int:
    """A random request id (at most 2**53, so JavaScript clients read it exactly)."""
    return secrets.randbits(53)


def _envelope(code: int, msg: str, result: Any, log_id: Optional[int]) -> Dict[str, Any]:
    return {"error_code": code, "error_msg": msg,
            "log_id": new_log_id() if log_id is None else int(log_id),
            "timestamp": int(time.time()), "cached": 0, "result": result}


def success(result: Any, log_id: Optional[int] = None) -> Dict[str, Any]:
    """The envelope of a call that worked; ``result`` is Baidu's result object (or None)."""
    return _envelope(0, "SUCCESS", result, log_id)


def failure(exc: FaceEdgeError, log_id: Optional[int] = None) -> Dict[str, Any]:
    """The envelope of a call that failed with ``exc``: ``error_msg`` is Baidu's exact text for
    the code (clients compare it), and what exactly was wrong goes to ``error_detail`` (a
    faceedge addition, present only when there is a detail) and to the log at INFO."""
    reply = _envelope(exc.error_code, exc.baidu_msg, None, log_id)
    if exc.detail:
        reply["error_detail"] = exc.detail
        log.info("faceedge: error %d (log_id %d): %s", exc.error_code, reply["log_id"], exc.detail)
    return reply


def endpoint_key(url_or_path: str) -> Optional[str]:
    """The endpoint name of one of Baidu's URLs or paths, or None when it is not a face endpoint.

    ``https://aip.baidubce.com/rest/2.0/face/v3/detect`` -> ``"detect"``;
    ``/rest/2.0/face/v1/merge`` -> ``"v1/merge"``; the SDK's feedback report ->
    ``"feedback/v1/report"``. The query string and a trailing slash are ignored.
    """
    path = urlsplit(url_or_path).path if "://" in url_or_path else url_or_path.split("?", 1)[0]
    path = path.rstrip("/")
    if path == _FEEDBACK_PATH:
        return FEEDBACK_KEY
    if not path.startswith(_FACE_PREFIX):
        return None
    rest = path[len(_FACE_PREFIX):]
    if rest.startswith(_V3):
        rest = rest[len(_V3):]
    return rest or None
