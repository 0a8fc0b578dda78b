"""Reading a request body with a size limit, and parsing it as the SDK sends it.

The body is read chunk by chunk and counted, so an oversized one is refused without being held
in memory. The rest of a refused body is still read and thrown away (up to :data:`DRAIN_LIMIT`):
the SDK sends its whole body before it reads the reply, and a server that closed the connection
early would hand it a connection error instead of Baidu's JSON error.
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, Optional

import anyio
import numpy as np
from urllib.parse import parse_qsl

from starlette.requests import Request

from ..errors import error

__all__ = ["read_body", "parse_body", "json_depth_exceeds", "DEFAULT_MAX_BODY_BYTES",
           "DEFAULT_BODY_TIMEOUT", "DRAIN_LIMIT", "MAX_JSON_DEPTH"]

# Two 10 MB images (Baidu's limit each) as base64 in one match body, with room to spare.
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
DRAIN_LIMIT = 64 * 1024 * 1024  # past this much extra, stop reading and let the connection go
# A body that trickles in (a stalled or hostile client) would hold a connection forever: uvicorn
# times out idle keep-alive connections, not a request body in progress.
DEFAULT_BODY_TIMEOUT = 60.0
# Baidu's bodies nest 3 deep (match: a list of image objects). json.loads recurses once per
# level: 200,000 "[" raised RecursionError (a generic 222302 and a traceback in the log), and a
# body just under Python's limit would reach code that walks it recursively. Refused first.
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # unrolled: linear on long base64
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = np.zeros(256, np.int8)
_STEP[[ord("["), ord("{")]], _STEP[[ord("]"), ord("}")]] = 1, -1
_SCAN_CHUNK = 1 << 16


async def read_body(request: Request, limit: int, timeout: Optional[float] = None) -> bytes:
    """The whole body, or 216103 once it passes ``limit`` bytes (the rest drained, bounded);
    216100 when it has not all arrived ``timeout`` seconds after the request began."""
    if timeout is None:
        return await _read_body(request, limit)
    try:
        with anyio.fail_after(timeout):
            return await _read_body(request, limit)
    except TimeoutError:
        raise error(216100, f"the request body did not arrive within {timeout:g} s "
                            "(faceedge serve --body-timeout)") from None


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    over = f"{declared} bytes declared" if declared.isdigit() and int(declared) > limit else ""
    data = bytearray()
    drained = 0
    async for chunk in request.stream():
        if over:
            drained += len(chunk)
            if drained > DRAIN_LIMIT:
                break
            continue
        data += chunk
        if len(data) > limit:
            over = f"more than {limit} bytes sent"
            drained, data = len(data), bytearray()
    if over:
        raise _too_long(over)
    return bytes(data)


def _too_long(detail: str) -> Exception:
    return error(216103, f"the request body is too large ({detail}); this server takes at most "
                         "the size set by faceedge serve --max-body-mb")


def parse_body(data: bytes, content_type: str) -> Any:
    """A JSON object or array, or the fields of a form body.

    Read as Baidu's cloud reads it: a body that starts with ``{`` or ``[`` is JSON whatever its
    Content-Type says (Baidu's Java SDK sends its JSON labelled
    ``application/x-www-form-urlencoded``); another body labelled as a form is a form. An empty
    body is an empty object (the SDK sends ``{}`` or nothing for calls without fields). Raises
    216100 for anything else.
    """
    stripped = data.strip()
    if not stripped:
        return {}
    is_form = content_type.split(";", 1)[0].strip().lower() == "application/x-www-form-urlencoded"
    if is_form and stripped[:1] not in (b"{", b"["):
        return _form(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise error(216100, "the request body is not UTF-8 JSON") from None
    if json_depth_exceeds(data, MAX_JSON_DEPTH):
        raise error(216100, f"the request body nests JSON more than {MAX_JSON_DEPTH} levels deep")
    try:
        body = json.loads(text)
    except RecursionError:  # the scan above should make this unreachable; never a traceback
        raise error(216100, "the request body nests JSON too deeply") from None
    except ValueError as exc:
        raise error(216100, f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, (dict, list)):
        raise error(216100, "the request body must be a JSON object or array, got "
                            f"{type(body).__name__}")
    return body


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """Whether the arrays and objects of ``data`` (JSON text) nest deeper than ``limit``,
    without parsing it: strings are cut out, then the running count of openers minus closers
    is taken over the brackets left. A body with no more than ``limit`` openers in all (every
    real request) is answered by two byte counts."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    depth = 0
    for start in range(0, len(brackets), _SCAN_CHUNK):  # chunked: a deep body stops early
        steps = _STEP[np.frombuffer(brackets, np.uint8, min(_SCAN_CHUNK, len(brackets) - start),
                                    start)]
        running = np.cumsum(steps, dtype=np.int64) + depth
        if int(running.max()) > limit:
            return True
        depth = int(running[-1])
    return False


def _form(data: bytes) -> Dict[str, str]:
    try:
        return dict(parse_qsl(data.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
    except (UnicodeDecodeError, ValueError) as exc:
        raise error(216100, f"the form body cannot be read: {exc}") from None
