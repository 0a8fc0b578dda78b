"""Connection hygiene for ``faceedge serve``: a header timeout and bounds on open connections.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive``, but the first byte of
a new request cancels that timer, and nothing bounds how long a request head may take to arrive
nor how many connections are open. A client that sends a partial request line and one byte now
and then holds a socket forever; enough of them exhaust the process's file descriptors, and
then accept() fails in a loop, logging "Too many open files" each time (the audit of issue 16).

:class:`ConnectionGate` fixes that at the connection level:

* **header timeout**: each request's head (request line and headers) must be complete within
  ``header_timeout`` seconds of the connection opening or of the previous reply ending; dribbling
  bytes does not extend it. The body has its own bound (``--body-timeout``, in the app).
* **per-client bound**: at most ``max_per_client`` open connections per client IP; more are
  reset at once.
* **total bound**: at most ``max_connections``, kept well under ``RLIMIT_NOFILE``
  (:func:`fd_ceiling`). A new connection past it first pushes out the oldest connection that has
  no request in progress (waiting for a head, or idle between requests), so slow clients cannot
  lock out a legitimate one; only when every connection is serving a request is it refused.
* **no log flood**: refusals and timeouts are counted and reported in one line per
  ``report_interval`` seconds at most; so are uvicorn's per-connection warnings (bad requests).

:func:`guarded_h11_protocol` builds the uvicorn protocol class that applies the gate; it relies
on uvicorn's h11 protocol (its ``conn``, ``cycle`` and ``on_response_complete``).
"""
from __future__ import annotations

import asyncio
import logging
import os
import resource
import ssl
from collections import Counter, OrderedDict
from typing import Any, Dict, Optional

__all__ = ["ConnectionGate", "guarded_h11_protocol", "fd_ceiling", "quiet_accept_failures",
           "DEFAULT_HEADER_TIMEOUT", "DEFAULT_MAX_PER_CLIENT", "DEFAULT_MAX_CONNECTIONS"]

log = logging.getLogger("faceedge.server")

# nginx waits 60 s for a head, Apache 20-40 s; a gate's client is on the LAN and sends its head
# in one write, so 10 s is generous to it and short for an attacker.
DEFAULT_HEADER_TIMEOUT = 10.0
# An SDK client keeps one connection per thread; a gate controller has a few threads. Clients
# behind one NAT address share this, hence the margin.
DEFAULT_MAX_PER_CLIENT = 64
DEFAULT_MAX_CONNECTIONS = 1000  # further cut to fd_ceiling() where the fd limit is lower
REPORT_INTERVAL = 10.0


def _open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:  # no procfs: assume a fresh process's handful plus models and SQLite
        return 64


def _fds_left() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 20
    return max(16, soft - _open_fds())


def fd_ceiling() -> int:
    """The most connections this process can hold and still open files: half the descriptors
    left under the soft ``RLIMIT_NOFILE`` (the rest stay for SQLite, model files, the threads'
    pipes, and sockets accepted but not yet admitted or refused), at least 8."""
    return max(8, _fds_left() // 2)


class ConnectionGate:
    """Counts open connections per client and in all, and reports refusals in aggregate.

    One gate serves one event loop; its methods are called from that loop only.
    """

    def __init__(self, header_timeout: float = DEFAULT_HEADER_TIMEOUT,
                 max_connections: Optional[int] = None,
                 max_per_client: int = DEFAULT_MAX_PER_CLIENT,
                 report_interval: float = REPORT_INTERVAL) -> None:
        from ..errors import error

        if not (isinstance(header_timeout, (int, float)) and header_timeout > 0):
            raise error(229014, f"header_timeout must be a number > 0, got {header_timeout!r}")
        for name, value in (("max_connections", max_connections),
                            ("max_per_client", max_per_client)):
            if value is not None and not (isinstance(value, int) and value > 0):
                raise error(229014, f"{name} must be an int > 0, got {value!r}")
        ceiling = fd_ceiling()
        wanted = DEFAULT_MAX_CONNECTIONS if max_connections is None else max_connections
        if max_connections is not None and wanted > ceiling:  # the default is cut silently
            log.warning("faceedge serve: at most %d connections (half the file descriptors "
                        "left under the limit of this process; raise it with ulimit -n), not %d",
                        ceiling, wanted)
        self.header_timeout = float(header_timeout)
        self.max_connections = min(wanted, ceiling)
        self.max_per_client = min(max_per_client, self.max_connections)
        # asyncio accepts up to `backlog` sockets in one go before any of them reaches the gate,
        # and on EMFILE logs and retries once per socket of that batch (CPython's
        # _accept_connection does not stop at the first failure): the audit's log flood. Keep a
        # batch, and so the listen queue, within a quarter of the descriptors the connections
        # leave free. 128 was Linux's listen queue for decades; a gate's LAN needs no more.
        spare = _fds_left() - self.max_connections
        self.backlog = max(8, min(1024, spare // 4))
        self.report_interval = float(report_interval)
        self._open: "OrderedDict[Any, str]" = OrderedDict()  # protocol -> client, oldest first
        self._per_client: Counter = Counter()
        self._events: Counter = Counter()   # what happened since the last report
        self._examples: Dict[str, str] = {}  # one client address per event kind
        self._report_timer: Optional[asyncio.TimerHandle] = None
        self.totals: Counter = Counter()    # since start (tests read it)

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def admit(self, protocol: Any, client: str) -> bool:
        """Register a new connection, or say it must be refused (``False``)."""
        if self._per_client[client] >= self.max_per_client:
            self.note("refused (per-client limit)", client)
            return False
        if len(self._open) >= self.max_connections and not self._evict_one():
            self.note("refused (total limit)", client)
            return False
        self._open[protocol] = client
        self._per_client[client] += 1
        return True

    def release(self, protocol: Any) -> bool:
        """Forget a connection; ``False`` when it was already forgotten."""
        client = self._open.pop(protocol, None)
        if client is None:
            return False
        self._per_client[client] -= 1
        if self._per_client[client] <= 0:
            del self._per_client[client]
        return True

    def _evict_one(self) -> bool:
        for protocol, client in self._open.items():
            if protocol.between_requests():
                self.note("closed to make room (no request in progress)", client)
                self.release(protocol)
                protocol.close_quietly()
                return True
        return False

    def note(self, event: str, client: str) -> None:
        """Count one event for the next report: the first event is logged at once, later ones
        in one line per ``report_interval`` (a timer on the running loop)."""
        self._events[event] += 1
        self.totals[event] += 1
        self._examples.setdefault(event, client)
        if self._report_timer is None:
            first = sum(self.totals.values()) == 1
            self._report_timer = asyncio.get_event_loop().call_later(self.report_interval,
                                                                     self._timed_report)
            if first:
                self.report()

    def _timed_report(self) -> None:
        self._report_timer = None
        self.report()

    def report(self) -> None:
        """Log what was counted since the last report, in one line."""
        if self._events:
            parts = [f"{count} {event} (e.g. from {self._examples[event]})"
                     for event, count in sorted(self._events.items())]
            log.warning("faceedge serve: connections %s; now open %d of %d, at most %d per "
                        "client, header timeout %g s", "; ".join(parts), len(self._open),
                        self.max_connections, self.max_per_client, self.header_timeout)
        self._events.clear()
        self._examples.clear()


class _AcceptFailureFilter(logging.Filter):
    """asyncio's "socket.accept() out of system resource" records (descriptors ran out anyway,
    e.g. taken by something else in the process), counted by the gate instead of logged with a
    traceback each."""

    def __init__(self, gate: ConnectionGate) -> None:
        super().__init__()
        self._gate = gate

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("socket.accept() out of system resource"):
            self._gate.note("not accepted (out of file descriptors)", "-")
            return False
        return True


def quiet_accept_failures(gate: ConnectionGate) -> "logging.Filter":
    """Route asyncio's accept failures to ``gate``'s reports; returns the filter (remove it
    from ``logging.getLogger("asyncio")`` when the server stops)."""
    accept_filter = _AcceptFailureFilter(gate)
    logging.getLogger("asyncio").addFilter(accept_filter)
    return accept_filter


class _CountingLogger:
    """uvicorn's per-connection logger, with its per-request warnings (bad request lines, ...)
    counted by the gate instead of logged one by one; everything else passes through."""

    def __init__(self, logger: logging.Logger, gate: ConnectionGate, client: str) -> None:
        self._logger, self._gate, self._client = logger, gate, client

    def warning(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self._gate.note(f"warned: {msg}", self._client)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger, name)


def guarded_h11_protocol(gate: ConnectionGate, tls: Optional[ssl.SSLContext] = None) -> type:
    """uvicorn's h11 protocol class, with ``gate`` applied to every connection.

    With ``tls`` the protocol does the server's TLS handshake itself (``loop.start_tls``) after
    the gate has admitted the connection, rather than letting uvicorn hand ``tls`` to asyncio's
    server: asyncio calls a protocol only once the handshake is done, so a client that connects
    and never sends a ClientHello would be held for asyncio's 60 s handshake timeout, counted by
    no bound. Here the handshake counts against the head's time like any slow byte."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _header_timer: Optional[Any] = None
        _admitted = False
        _http_started = False

        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            peer = transport.get_extra_info("peername")
            client = str(peer[0]) if isinstance(peer, (tuple, list)) and peer else "unknown"
            if not gate.admit(self, client):
                # A reset frees the descriptor now (no TIME_WAIT, no lingering close).
                transport.abort()
                return
            self._admitted = True
            self._client = client
            self.transport = transport  # what the timer and the gate close until HTTP starts
            self._arm_header_timer()
            if tls is None:
                self._start_http(transport)
                return
            self._early: list = []  # bytes the TLS layer hands over before start_tls returns
            transport.pause_reading()  # start_tls resumes it with its own protocol in place
            self._tls_task = self.loop.create_task(self._start_tls(transport))  # kept: the
            # loop holds tasks only weakly

        async def _start_tls(self, raw: Any) -> None:
            try:
                secure = await self.loop.start_tls(raw, self, tls, server_side=True)
            except BaseException as exc:
                if gate.release(self):  # not already closed by the timer or the gate
                    self._cancel_header_timer()
                    reason = getattr(exc, "reason", None) or type(exc).__name__
                    gate.note(f"closed (TLS handshake failed: {reason})", self._client)
                raw.abort()
                if isinstance(exc, asyncio.CancelledError):
                    raise
                return
            if secure is None or secure.is_closing():  # lost during the handshake
                self._cancel_header_timer()
                gate.release(self)
                return
            self._start_http(secure)

        def _start_http(self, transport: Any) -> None:
            super().connection_made(transport)
            self._http_started = True
            self.logger = _CountingLogger(self.logger, gate, self._client)  # type: ignore
            early, self._early = getattr(self, "_early", []), []
            for data in early:
                self.data_received(data)

        def connection_lost(self, exc: Optional[Exception]) -> None:
            if not self._admitted:
                return  # refused in connection_made: uvicorn never saw it
            self._cancel_header_timer()
            gate.release(self)
            if self._http_started:
                super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._http_started:
                super().data_received(data)
            elif self._admitted:
                self._early.append(data)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            # The next request's head gets its own full timeout (a keep-alive connection).
            if not self.transport.is_closing():
                self._arm_header_timer()

        def between_requests(self) -> bool:
            """No request is being answered: waiting for a head, idle, or still sending the
            body of a request that was answered without reading it (an unknown path)."""
            return self.cycle is None or self.cycle.response_complete

        def close_quietly(self) -> None:
            self._cancel_header_timer()
            if not self.transport.is_closing():
                self.transport.abort()

        def _arm_header_timer(self) -> None:
            self._cancel_header_timer()
            self._header_timer = self.loop.call_later(gate.header_timeout, self._header_timeout)

        def _cancel_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _header_timeout(self) -> None:
            self._header_timer = None
            if self.between_requests() and not self.transport.is_closing():
                event = None  # an idle keep-alive connection is closed silently (uvicorn's
                # own keep-alive timer normally does that first)
                if not self._http_started:
                    event = f"closed (no TLS handshake within {gate.header_timeout:g} s)"
                elif self.conn.their_state is not h11.IDLE or self.conn.trailing_data[0]:
                    event = (f"closed (no complete request head within "
                             f"{gate.header_timeout:g} s: slow client)")
                gate.release(self)
                self.transport.abort()
                if event:
                    gate.note(event, self._client)

    return GuardedH11Protocol
