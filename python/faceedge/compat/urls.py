"""Fetch an ``image_type=URL`` image, for services that opted in (``allow_url=True``).

faceedge is offline by default, so URL images are refused unless the service was built to allow
them. Then the download is bounded three ways: http(s) only (redirects included), at most the
service's image byte limit (Baidu's 10 MB by default), and one deadline for the whole transfer
(a per-read timeout alone would let a slow server trickle bytes for ever).
"""
from __future__ import annotations

import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from ..errors import FaceEdgeError, error
from ..images import BAIDU_LIMITS

__all__ = ["fetch_image", "DEFAULT_URL_TIMEOUT"]

DEFAULT_URL_TIMEOUT = 10.0  # seconds for the whole download
_CHUNK = 64 * 1024
_SCHEMES = ("http", "https")


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib would also follow one to ftp)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        if urlsplit(newurl).scheme.lower() not in _SCHEMES:
            raise error(222204, f"the image URL redirects to {newurl!r}, which is not http(s)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects())


def fetch_image(url: object, timeout: float = DEFAULT_URL_TIMEOUT,
                max_bytes: int = BAIDU_LIMITS.max_encoded_bytes) -> bytes:
    """The bytes at ``url`` (http or https), at most ``max_bytes``, within ``timeout`` seconds.

    Raises 222204 (image_url_download_fail) when the URL is not http(s), the server fails or the
    deadline passes, 216202 when the image is over ``max_bytes``.
    """
    if not isinstance(url, str) or urlsplit(url.strip()).scheme.lower() not in _SCHEMES:
        raise error(222204, f"an image URL must be http:// or https://, got {str(url)[:80]!r}")
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url.strip(), headers={"User-Agent": "faceedge"})
    try:
        with _OPENER.open(request, timeout=timeout) as reply:
            declared = reply.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise error(216202, f"the image at the URL is {declared} bytes, the limit is "
                                    f"{max_bytes}")
            data = bytearray()
            while True:
                if time.monotonic() > deadline:
                    raise error(222204, f"downloading the image took over {timeout:g} s")
                chunk = reply.read(_CHUNK)
                if not chunk:
                    return bytes(data)
                data += chunk
                if len(data) > max_bytes:
                    raise error(216202, f"the image at the URL is over the {max_bytes} byte limit")
    except FaceEdgeError:
        raise
    except urllib.error.HTTPError as exc:
        raise error(222204, f"the image URL answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise error(222204, f"cannot download the image URL: {reason}") from None
