"""``faceedge serve``: Baidu face v3's REST API on this device, for existing Baidu clients.

Keys (the ``API Key`` / ``Secret Key`` pairs clients get tokens with) come from, in order:
``--api-key`` with ``--secret-key``; ``--keys-file`` (a JSON object ``{"api_key": "secret_key"}``
or lines ``API_KEY SECRET_KEY``); ``$FACEEDGE_API_KEY`` with ``$FACEEDGE_SECRET_KEY``. A server
without keys does not start. Use the file or the environment: a secret on the command line is
visible to every local user in ``ps`` (a warning says so).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Dict

from ..errors import error
from .common import add_engine_options, engine_from_args, fail

if TYPE_CHECKING:  # pragma: no cover
    from ..images import ImageLimits

__all__ = ["register", "read_keys"]

DEFAULT_PORT = 8300
# The server's own defaults (faceedge.server), repeated here so that building the parser does
# not import Starlette.
DEFAULT_MAX_BODY_MB = 32.0
DEFAULT_CONCURRENCY = 4
DEFAULT_HEADER_TIMEOUT = 10.0     # faceedge.server.connections
DEFAULT_MAX_PER_CLIENT = 64
DEFAULT_MAX_CONNECTIONS = 1000


def read_keys(args: argparse.Namespace) -> Dict[str, str]:
    """The ``{api_key: secret_key}`` pairs from the options, the keys file or the environment."""
    if bool(args.api_key) != bool(args.secret_key):
        raise error(229014, "give --api-key and --secret-key together")
    if args.api_key:
        print("faceedge serve: warning: --secret-key puts the secret in the process list (ps) "
              "for every local user to read; use --keys-file or $FACEEDGE_SECRET_KEY",
              file=sys.stderr, flush=True)
        return {args.api_key: args.secret_key}
    if args.keys_file:
        return _keys_from_file(Path(args.keys_file))
    key, secret = os.environ.get("FACEEDGE_API_KEY"), os.environ.get("FACEEDGE_SECRET_KEY")
    if key and secret:
        return {key: secret}
    raise error(229014, "faceedge serve needs client keys: --api-key K --secret-key S, "
                        "--keys-file FILE, or $FACEEDGE_API_KEY and $FACEEDGE_SECRET_KEY")


def _keys_from_file(path: Path) -> Dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(229014, f"cannot read the keys file {str(path)!r}: {exc.strerror or exc}") \
            from None
    if text.lstrip().startswith("{"):
        try:
            keys = json.loads(text)
        except ValueError as exc:
            raise error(229014, f"keys file {str(path)!r} is not valid JSON: {exc}") from None
    else:
        keys = {}
        for number, line in enumerate(text.splitlines(), 1):
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            if len(fields) != 2:
                raise error(229014, f"keys file {str(path)!r} line {number}: expected "
                                    "'API_KEY SECRET_KEY'")
            keys[fields[0]] = fields[1]
    if not keys or not all(isinstance(k, str) and isinstance(v, str) and k and v
                           for k, v in keys.items()):
        raise error(229014, f"keys file {str(path)!r} holds no api_key / secret_key pairs")
    return keys


def _image_limits(args: argparse.Namespace) -> "ImageLimits":
    """Baidu's image limits, or the sizes given with --max-image-side / --max-image-mb."""
    from ..images import BAIDU_LIMITS, NATIVE_LIMITS, ImageLimits

    side, mb = args.max_image_side, args.max_image_mb
    if side is None and mb is None:
        return BAIDU_LIMITS
    side = BAIDU_LIMITS.max_side if side is None else side
    mb = BAIDU_LIMITS.max_encoded_bytes / 2**20 if mb is None else mb
    if side < BAIDU_LIMITS.min_side or not mb > 0:
        raise error(229014, f"--max-image-side must be >= {BAIDU_LIMITS.min_side} and "
                            "--max-image-mb > 0")
    # The pixel budget follows the side, within the engine's own (faceedge.images.NATIVE_LIMITS).
    return ImageLimits(max_side=side, max_pixels=min(side * side, NATIVE_LIMITS.max_pixels),
                       max_encoded_bytes=int(mb * 2**20))


def _cmd_serve(args: argparse.Namespace) -> int:
    from ..compat.service import BaiduFaceService

    try:
        from ..server import ConnectionGate, create_app, listening_socket, run
        from ..server.tls import tls_context
    except ImportError as exc:
        fail(229014, f"faceedge serve needs the [server] extra (pip install 'faceedge[server]'): "
                     f"{exc}")
        return 2
    keys = read_keys(args)  # before loading any model, so a missing key fails fast
    if bool(args.library) == bool(args.central):
        raise error(229014, "give --library PATH (this device's library) or --central URL (the "
                            "central library, for an enrolment desk), one of them")
    if min(args.max_body_mb, args.concurrency, args.token_ttl, args.body_timeout,
           args.header_timeout, args.max_connections or 1, args.max_connections_per_client) <= 0:
        raise error(229014, "--max-body-mb, --concurrency, --token-ttl, --body-timeout, "
                            "--header-timeout, --max-connections and "
                            "--max-connections-per-client must be > 0")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise error(229014, "give --tls-cert and --tls-key together")
    tls = tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None
    limits = _image_limits(args)
    engine = engine_from_args(args)
    if args.central:
        from ..central import open_central

        where = {"library": open_central(args.central, engine, search=args.central_search,
                                         ef_search=args.central_ef_search)}
    else:
        where = {"library_path": args.library}
    service = BaiduFaceService(engine, **where, allow_url=args.allow_url or False,
                               image_limits=limits, strict_face_field=args.strict_face_field)
    info = service.library.info()  # opened now, so a locked or foreign file fails at start
    # The app closes the library when uvicorn shuts down (SIGINT / SIGTERM): uvicorn then
    # re-raises the signal, so code after run() may never execute.
    app = create_app(service, keys, max_body_bytes=int(args.max_body_mb * 1024 * 1024),
                     token_ttl=args.token_ttl, concurrency=args.concurrency,
                     body_timeout=args.body_timeout, close_service=True)
    gate = ConnectionGate(header_timeout=args.header_timeout,
                          max_connections=args.max_connections,
                          max_per_client=args.max_connections_per_client)
    urls = f"from {args.allow_url} addresses" if args.allow_url else "refused"
    sock = listening_socket(args.host, args.port)  # bound first: --port 0 prints the real port
    sock.listen(gate.backlog)  # clients that connect once the banner is out wait, not fail
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"faceedge serve: {'https' if tls else 'http'}://{host}:{port} (library {info['path']}: "
          f"{info['groups']} groups, {info['users']} users, {info['faces']} faces; "
          f"{len(keys)} client key(s); URL images {urls}; "
          f"images up to {limits.max_side} px a side, {limits.max_encoded_bytes / 2**20:g} MB; "
          f"at most {gate.max_connections} connections, {gate.max_per_client} per client, "
          f"request heads within {gate.header_timeout:g} s)", file=sys.stderr, flush=True)
    try:
        run(app, log_level=args.log_level, gate=gate, sock=sock, tls=tls)
    finally:
        service.close()
    return 0


def register(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("serve", help="Baidu face v3's REST API on this device, for existing "
                                     "Baidu clients (needs the [server] extra)")
    p.add_argument("--library", metavar="PATH",
                   help="the face library file (created when missing)")
    p.add_argument("--central", metavar="URL",
                   help="instead of --library: the central library on PostgreSQL "
                        "(postgresql://user@host/db), for an enrolment desk; gates follow it "
                        "with faceedge sync (the [central] extra)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: %(default)s; plain HTTP, so keep it on "
                        "loopback or a trusted network)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="(default: %(default)s)")
    p.add_argument("--keys-file", metavar="FILE",
                   help="client keys: JSON {api_key: secret_key} or lines 'API_KEY SECRET_KEY' "
                        "(preferred, with $FACEEDGE_API_KEY / $FACEEDGE_SECRET_KEY: both keep "
                        "the secret out of the process list)")
    p.add_argument("--api-key", help="a client's API Key (with --secret-key)")
    p.add_argument("--secret-key",
                   help="that client's Secret Key; visible to every local user in ps, so "
                        "prefer --keys-file or $FACEEDGE_SECRET_KEY")
    p.add_argument("--max-body-mb", type=float, default=DEFAULT_MAX_BODY_MB,
                   help="largest request body in MiB (default: %(default)s)")
    p.add_argument("--body-timeout", type=float, default=60.0,
                   help="seconds a request body may take to arrive; a stalled client then gets "
                        "216100 (default: %(default)s)")
    p.add_argument("--header-timeout", type=float, default=DEFAULT_HEADER_TIMEOUT,
                   help="seconds a request's line and headers may take to arrive, from the "
                        "connection opening or the previous reply; slower connections are "
                        "closed (default: %(default)s)")
    p.add_argument("--max-connections", type=int, default=None,
                   help="open connections in all; cut to half the file descriptors left "
                        "under ulimit -n (with a warning when given). When full, a connection "
                        "with no request in progress makes room, else the new one is refused "
                        f"(default: {DEFAULT_MAX_CONNECTIONS})")
    p.add_argument("--max-connections-per-client", type=int, default=DEFAULT_MAX_PER_CLIENT,
                   help="open connections per client IP address; more are refused "
                        "(default: %(default)s)")
    p.add_argument("--token-ttl", type=float, default=30 * 24 * 3600,
                   help="access token lifetime in seconds (default: 30 days, as Baidu)")
    p.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY,
                   help="engine calls run at once (default: %(default)s)")
    p.add_argument("--max-image-side", type=int, metavar="PX",
                   help="longest image side accepted (default: Baidu's 4096; over it is 216202). "
                        "Camera photos need up to 16384; the pixel budget is this side squared, "
                        "at most the engine's 2**27")
    p.add_argument("--max-image-mb", type=float, metavar="MB",
                   help="largest encoded image in MiB (default: Baidu's 10); a base64 body is "
                        "4/3 of it, so raise --max-body-mb to match")
    p.add_argument("--allow-url", nargs="?", const="public", default=None,
                   choices=("public", "private", "any"),
                   help="download image_type=URL images (refused by default: offline device) "
                        "from public addresses; 'private' also from private ranges (a LAN "
                        "camera server), 'any' also from loopback and link-local ones")
    p.add_argument("--central-search", choices=("exact", "hnsw"), default=None,
                   help="with --central: search in PostgreSQL with pgvector (exact scan, or its "
                        "HNSW index) instead of holding every vector in this process's memory")
    p.add_argument("--central-ef-search", type=int, default=200, metavar="N",
                   help="with --central-search hnsw: candidates each query visits (1..1000; "
                        "more finds the exact best more often, slower; default %(default)s)")
    p.add_argument("--tls-cert", metavar="FILE",
                   help="serve HTTPS with this certificate (PEM; with --tls-key). Unmodified "
                        "Java/Go/PHP/C# SDKs need it: they call https://aip.baidubce.com "
                        "(faceedge serve-cert makes one)")
    p.add_argument("--tls-key", metavar="FILE", help="the certificate's private key (PEM)")
    p.add_argument("--strict-face-field", action="store_true",
                   help="answer 222017 for a face_field faceedge does not compute (default: leave "
                        "it out of each face and name it in result.unsupported_face_field)")
    p.add_argument("--log-level", default="info",
                   choices=("critical", "error", "warning", "info", "debug"),
                   help="uvicorn's log level (default: %(default)s)")
    add_engine_options(p)
    p.set_defaults(func=_cmd_serve)

    c = sub.add_parser("serve-cert", help="make a self-signed TLS certificate for faceedge serve "
                                          "and print how clients trust it")
    c.add_argument("--out", required=True, metavar="DIR",
                   help="folder for faceedge-tls.crt and faceedge-tls.key (0600)")
    c.add_argument("--host", action="append", metavar="NAME",
                   help="a host name clients call (repeatable; default: aip.baidubce.com, the "
                        "name Baidu's SDKs have compiled in)")
    c.add_argument("--ip", action="append", default=[], metavar="ADDR",
                   help="an IP address clients may call too (repeatable)")
    c.add_argument("--device-ip", default="DEVICE_IP",
                   help="this device's address, for the printed hosts-file line")
    c.set_defaults(func=_cmd_serve_cert)


def _cmd_serve_cert(args: argparse.Namespace) -> int:
    from ..server.tls import BAIDU_HOST, make_certificate, trust_steps

    hosts = args.host or [BAIDU_HOST]
    cert, key = make_certificate(Path(args.out), hosts, args.ip)
    print("\n".join(trust_steps(cert, key, hosts, args.device_ip)))
    return 0
