"""Running the app on uvicorn: in the foreground (``faceedge serve``) or on a background thread
(tests, or an application that embeds the server)."""
from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from typing import Any, Optional

from .connections import ConnectionGate, guarded_h11_protocol, quiet_accept_failures

__all__ = ["run", "ServerThread", "listening_socket"]


def _config(app: Any, log_level: str, gate: ConnectionGate, tls: Optional[ssl.SSLContext]):
    import uvicorn

    # lifespan "on": a failing startup stops the server instead of being logged and ignored.
    # The h11 protocol with the gate applied: header timeout and connection bounds
    # (faceedge.server.connections); uvicorn alone has neither. The backlog is the gate's: it
    # also caps how many sockets asyncio accepts in one batch. TLS is the gate's too, not
    # uvicorn's (see guarded_h11_protocol); it relies on asyncio's own loop, where a transport
    # paused in connection_made reads nothing until resumed: under uvloop (which "auto" would
    # pick when installed) the ClientHello reached the HTTP protocol instead, and handshakes
    # stalled (tried with uvloop 0.23.0).
    return uvicorn.Config(app, log_level=log_level, lifespan="on", access_log=False,
                          timeout_keep_alive=5, http=guarded_h11_protocol(gate, tls),
                          backlog=gate.backlog, loop="asyncio")


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound socket whose accepted connections send without Nagle's delay.

    uvicorn writes a reply's head and body separately; with Nagle's algorithm on, the body waits
    for the client's delayed ACK of the head: 40 ms on every request over loopback (measured:
    44 ms per SDK call, 1.6 ms with TCP_NODELAY). Linux copies the option to accepted sockets."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def run(app: Any, host: str = "127.0.0.1", port: int = 8300, log_level: str = "info",
        gate: Optional[ConnectionGate] = None, sock: Optional[socket.socket] = None,
        tls: Optional[ssl.SSLContext] = None) -> None:
    """Serve ``app`` on ``host:port`` (or on ``sock``, from :func:`listening_socket`) until
    interrupted (Ctrl-C / SIGTERM stop it cleanly). ``gate`` bounds connections and header
    time (default: :class:`~faceedge.server.connections.ConnectionGate`'s defaults); ``tls``
    (:func:`~faceedge.server.tls.tls_context`) serves HTTPS."""
    import uvicorn

    gate = gate or ConnectionGate()
    sock = sock or listening_socket(host, port)
    accept_filter = quiet_accept_failures(gate)
    try:
        uvicorn.Server(_config(app, log_level, gate, tls)).run(sockets=[sock])
    finally:
        logging.getLogger("asyncio").removeFilter(accept_filter)
        sock.close()


class ServerThread:
    """``app`` served by uvicorn on a background thread, on a socket bound before it starts.

    ``port=0`` takes a free port; :attr:`url` says where. Use as a context manager, or call
    :meth:`start` and :meth:`stop`.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0,
                 log_level: str = "warning", gate: Optional[ConnectionGate] = None,
                 tls: Optional[ssl.SSLContext] = None) -> None:
        import uvicorn

        self._socket = listening_socket(host, port)
        self.host, self.port = host, self._socket.getsockname()[1]
        self.gate = gate or ConnectionGate()
        self.scheme = "https" if tls else "http"
        self._server = uvicorn.Server(_config(app, log_level, self.gate, tls))
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        """``http://host:port`` (``https`` with TLS)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def start(self, timeout: float = 30.0) -> "ServerThread":
        """Start serving; returns once uvicorn accepts connections."""
        self._accept_filter = quiet_accept_failures(self.gate)
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._socket]},
                                        name="faceedge-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the faceedge server stopped while starting (see its log)")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the faceedge server did not start within {timeout:g} s")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop serving and wait for the thread (idempotent)."""
        self._server.should_exit = True
        if getattr(self, "_accept_filter", None) is not None:
            logging.getLogger("asyncio").removeFilter(self._accept_filter)
            self._accept_filter = None
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._socket.close()

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
