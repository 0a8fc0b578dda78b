"""The Starlette app behind ``faceedge serve``: Baidu's REST paths on a local engine and library.

Paths: ``GET|POST /oauth/2.0/token`` (client credentials), ``POST /rest/2.0/face/v3/<endpoint>``
and the SDK's other face paths (``/rest/2.0/face/v1/...``, ``/v4/...``, ``/scene/...``,
``/capture/...``, answered with 216102 where they need Baidu's cloud), and the SDK's feedback
report. Every face reply is HTTP 200 with Baidu's JSON envelope, errors included: the SDK never
looks at the status and fails on anything that is not JSON. The token endpoint answers Baidu's
OAuth error JSON with 400 / 401, as Baidu's does.

Engine work runs in worker threads (the engine releases the GIL), at most ``concurrency`` at a
time; the event loop only reads bodies and writes replies.
"""
from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, Mapping

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from ..compat.envelope import endpoint_key, failure, new_log_id
from ..compat.service import BaiduFaceService
from ..errors import FaceEdgeError, error
from .body import DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_BODY_BYTES, parse_body, read_body
from .tokens import DEFAULT_TOKEN_TTL, OAuthError, TokenStore

__all__ = ["create_app", "DEFAULT_CONCURRENCY"]

log = logging.getLogger("faceedge.server")

DEFAULT_CONCURRENCY = 4  # engine calls at once; more queue (each may use several cores)
_TOKEN_BODY_LIMIT = 16 * 1024


def _json(data: Any, status: int = 200) -> Response:
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):  # a result that cannot be JSON is a bug: say so in JSON
        log.exception("faceedge: a reply could not be encoded as JSON")
        log_id = new_log_id()
        text = json.dumps(failure(error(222302, f"the reply could not be encoded (log_id "
                                                f"{log_id})"), log_id))
    return Response(text, status_code=status, media_type="application/json;charset=utf-8")


def _error(exc: FaceEdgeError) -> Response:
    return _json(failure(exc))


def create_app(service: BaiduFaceService, api_keys: Mapping[str, str], *,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               token_ttl: float = DEFAULT_TOKEN_TTL,
               concurrency: int = DEFAULT_CONCURRENCY,
               body_timeout: float = DEFAULT_BODY_TIMEOUT,
               close_service: bool = False) -> Starlette:
    """The ASGI app answering Baidu's face API with ``service``.

    Args:
        service: answers the calls (engine, library, URL policy).
        api_keys: ``{api_key: secret_key}`` allowed to get access tokens.
        max_body_bytes: larger request bodies get 216103.
        token_ttl: seconds an access token lives (``expires_in``).
        concurrency: engine calls run at once; the others wait their turn.
        body_timeout: seconds a request body may take to arrive (then 216100).
        close_service: close ``service`` when the app shuts down.

    ``app.state.tokens`` is the :class:`~faceedge.server.tokens.TokenStore`.
    """
    if not (isinstance(max_body_bytes, int) and max_body_bytes > 0):
        raise error(229014, f"max_body_bytes must be an int > 0, got {max_body_bytes!r}")
    if not (isinstance(body_timeout, (int, float)) and body_timeout > 0):
        raise error(229014, f"body_timeout must be a number > 0, got {body_timeout!r}")
    if not (isinstance(concurrency, int) and concurrency > 0):
        raise error(229014, f"concurrency must be an int > 0, got {concurrency!r}")
    tokens = TokenStore(api_keys, ttl=token_ttl)
    limiter = anyio.CapacityLimiter(concurrency)

    async def token_endpoint(request: Request) -> Response:
        fields: Dict[str, str] = dict(request.query_params)
        if request.method == "POST":
            try:
                form = parse_body(await read_body(request, _TOKEN_BODY_LIMIT, body_timeout),
                                  "application/x-www-form-urlencoded")
            except FaceEdgeError:
                form = {}
            except ClientDisconnect:
                return Response(status_code=499)
            fields.update(form)
        try:
            return _json(tokens.issue(fields.get("grant_type"), fields.get("client_id"),
                                      fields.get("client_secret")))
        except OAuthError as exc:
            return _json(exc.to_dict(), exc.status)

    async def face_endpoint(request: Request) -> Response:
        key = endpoint_key(request.url.path)
        if request.method != "POST":
            return _error(error(3, f"{request.method} {request.url.path}: Baidu's face API "
                                   "takes POST"))
        if key is None or not service.knows(key):
            return _error(error(3, f"no face endpoint at {request.url.path}"))
        try:
            tokens.check(request.query_params.get("access_token"))
            body = parse_body(await read_body(request, max_body_bytes, body_timeout),
                              request.headers.get("content-type", ""))
        except FaceEdgeError as exc:
            return _error(exc)
        except ClientDisconnect:
            return Response(status_code=499)  # nobody is listening any more
        return _json(await anyio.to_thread.run_sync(service.call, key, body, limiter=limiter))

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        what = "no such path" if status == 404 else f"HTTP {status}"
        return _error(error(3, f"{request.method} {request.url.path}: {what}"))

    async def internal(request: Request, exc: Exception) -> Response:
        log_id = new_log_id()
        log.error("faceedge: %s failed (log_id %d)", request.url.path, log_id, exc_info=exc)
        return _json(failure(error(222302, f"unexpected failure (log_id {log_id})"), log_id))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if close_service:
                service.close()

    app = Starlette(
        routes=[Route("/oauth/2.0/token", token_endpoint, methods=["GET", "POST"]),
                Route("/rest/2.0/face/{rest:path}", face_endpoint,
                      methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
                Route("/rpc/2.0/feedback/v1/report", face_endpoint, methods=["POST"])],
        exception_handlers={HTTPException: not_found, Exception: internal},
        lifespan=lifespan)
    app.state.tokens = tokens
    app.state.service = service
    return app
