"""Fetch an ``image_type=URL`` image, for services that opted in (``allow_url=True``).

faceedge is offline by default, so URL images are refused unless the service was built to allow
them. Then the download is bounded three ways: http(s) only (redirects included), at most the
service's image byte limit (Baidu's 10 MB by default), and one deadline for the whole transfer
(a per-read timeout alone would let a slow server trickle bytes for ever).

Where it may connect is bounded too (a client must not turn the device into a probe of its own
network, nor read the device's own loopback services): the host is resolved here, *every*
address it resolves to is checked against the policy, and the connection goes to a checked
address (so a second DNS answer cannot swap it; redirects are checked the same way). Policies:

* ``"public"`` (``allow_url=True``): globally routable addresses only.
* ``"private"``: also private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7): a gate's
  LAN camera server.
* ``"any"``: also loopback, link-local (169.254/16, where cloud metadata lives), multicast,
  unspecified and reserved addresses: for tests on one machine.

Environment proxies are not used: the policy is about where the device connects.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import time
import urllib.error
import urllib.request
from typing import Callable, Optional, Tuple, Union
from urllib.parse import urlsplit

from ..errors import FaceEdgeError, error
from ..images import BAIDU_LIMITS

__all__ = ["fetch_image", "url_policy", "address_refused", "DEFAULT_URL_TIMEOUT",
           "URL_POLICIES"]

URL_POLICIES = ("public", "private", "any")

DEFAULT_URL_TIMEOUT = 10.0  # seconds for the whole download
_CHUNK = 64 * 1024
_SCHEMES = ("http", "https")


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib would also follow one to ftp)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        if urlsplit(newurl).scheme.lower() not in _SCHEMES:
            raise error(222204, f"the image URL redirects to {newurl!r}, which is not http(s)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def url_policy(allow_url: Union[bool, str, None]) -> Optional[str]:
    """``allow_url`` as a policy name: None (refused), "public", "private" or "any"."""
    if allow_url is None or allow_url is False:
        return None
    if allow_url is True:
        return "public"
    if isinstance(allow_url, str) and allow_url.strip().lower() in URL_POLICIES:
        return allow_url.strip().lower()
    raise error(229014, f"allow_url must be False, True or one of {', '.join(URL_POLICIES)}, "
                        f"got {allow_url!r}")


def address_refused(address: str, policy: str) -> Optional[str]:
    """Why ``policy`` refuses to connect to the IP ``address`` (None when it allows it)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if policy == "any":
        return None
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if ip.is_global:
        return None
    if policy == "private":
        return None
    return "private"


def _checked_connection(policy: str) -> Callable[..., socket.socket]:
    """A replacement for http.client's socket.create_connection that resolves the host itself,
    refuses it if any address fails ``policy``, and connects to the checked addresses only."""

    def create_connection(address: Tuple[str, int], timeout: object = None,
                          source_address: object = None) -> socket.socket:
        host, port = address
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise error(222204, f"cannot resolve the image URL's host {host!r}: "
                                f"{exc.strerror}") from None
        for info in infos:
            why = address_refused(info[4][0], policy)
            if why is not None:
                hint = "--allow-url any" if why != "private" else "--allow-url private"
                raise error(222204, f"the image URL's host {host!r} resolves to {info[4][0]} "
                                    f"({why} address): refused by this service's URL policy "
                                    f"({policy}; faceedge serve {hint} / allow_url="
                                    f"{hint.split()[-1]!r} to allow it)")
        last: Optional[OSError] = None
        for family, kind, proto, _, sockaddr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                if isinstance(timeout, (int, float)):
                    sock.settimeout(timeout)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                last = exc
        raise last or OSError(f"no address for {host!r}")

    return create_connection


def _opener(policy: str) -> urllib.request.OpenerDirector:
    checked = _checked_connection(policy)

    class CheckedHTTPConnection(http.client.HTTPConnection):
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            self._create_connection = checked

    class CheckedHTTPSConnection(http.client.HTTPSConnection):
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            self._create_connection = checked

    class CheckedHTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):  # type: ignore[no-untyped-def]
            return self.do_open(CheckedHTTPConnection, req)

    class CheckedHTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):  # type: ignore[no-untyped-def]
            return self.do_open(CheckedHTTPSConnection, req, context=self._context)

    return urllib.request.build_opener(urllib.request.ProxyHandler({}), CheckedHTTPHandler(),
                                       CheckedHTTPSHandler(), _HttpOnlyRedirects())


_OPENERS = {policy: _opener(policy) for policy in URL_POLICIES}


def fetch_image(url: object, timeout: float = DEFAULT_URL_TIMEOUT,
                max_bytes: int = BAIDU_LIMITS.max_encoded_bytes, policy: str = "public") -> bytes:
    """The bytes at ``url`` (http or https), at most ``max_bytes``, within ``timeout`` seconds,
    from a host whose every address ``policy`` allows ("public", "private" or "any").

    Raises 222204 (image_url_download_fail) when the URL is not http(s), its host resolves to an
    address the policy refuses, the server fails or the deadline passes, 216202 when the image
    is over ``max_bytes``.
    """
    if not isinstance(url, str) or urlsplit(url.strip()).scheme.lower() not in _SCHEMES:
        raise error(222204, f"an image URL must be http:// or https://, got {str(url)[:80]!r}")
    if policy not in _OPENERS:
        raise error(229014, f"URL policy must be one of {', '.join(URL_POLICIES)}, got {policy!r}")
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url.strip(), headers={"User-Agent": "faceedge"})
    try:
        with _OPENERS[policy].open(request, timeout=timeout) as reply:
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
