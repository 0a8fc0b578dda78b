"""``point_sdk_at``: send an unmodified ``baidu-aip`` client to another host.

The SDK keeps every endpoint in a name-mangled class attribute (``_AipFace__detectUrl``,
``_AipBase__accessTokenUrl``, ...) and reads it through ``self``, so an instance attribute of the
same name wins. Rewriting those on the instance redirects the client, token request included,
without touching the SDK's code or its class.
"""
from __future__ import annotations

from typing import Any, Dict, TypeVar
from urllib.parse import urlsplit, urlunsplit

from ..errors import error

__all__ = ["point_sdk_at"]

Client = TypeVar("Client")


def point_sdk_at(client: Client, base_url: str) -> Client:
    """Redirect every endpoint of an ``aip`` client (e.g. ``aip.AipFace``) to ``base_url``.

    Args:
        client: an instance of one of the SDK's client classes.
        base_url: where ``faceedge serve`` listens, e.g. ``"http://127.0.0.1:8300"``; a path
            prefix is kept (``"http://gate/baidu"`` sends ``/baidu/rest/2.0/face/v3/detect``).

    Returns:
        ``client`` itself, its endpoints rewritten (scheme, host and port replaced; the path
        prefix prepended). Raises 229014 for a base URL that is not http(s) or a client with no
        endpoints.
    """
    base = urlsplit(base_url.strip() if isinstance(base_url, str) else "")
    if base.scheme not in ("http", "https") or not base.netloc:
        raise error(229014, f"base_url must be http(s)://host[:port][/prefix], got {base_url!r}")
    prefix = base.path.rstrip("/")
    rewritten: Dict[str, str] = {}
    for cls in type(client).__mro__:
        for name, value in vars(cls).items():
            if name in rewritten or not _is_endpoint(name, value):
                continue
            url = urlsplit(value)
            rewritten[name] = urlunsplit((base.scheme, base.netloc, prefix + url.path, url.query,
                                          ""))
    if not rewritten:
        raise error(229014, f"{type(client).__name__} has no Baidu endpoint attributes to point "
                            "elsewhere: pass an instance of the baidu-aip SDK's clients")
    for name, url in rewritten.items():
        setattr(client, name, url)
    return client


def _is_endpoint(name: str, value: Any) -> bool:
    """A mangled private class attribute (``_Class__name``) holding an http(s) URL."""
    return (name.startswith("_") and "__" in name[1:] and not name.endswith("__")
            and isinstance(value, str) and value.startswith(("http://", "https://")))
