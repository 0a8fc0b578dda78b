"""Running the app on uvicorn: in the foreground (``faceedge serve``) or on a background thread
(tests, or an application that embeds the server)."""
from __future__ import annotations

import socket
import threading
import time
from typing import Any, Optional

__all__ = ["run", "ServerThread"]


def _config(app: Any, log_level: str, **kwargs: Any):
    import uvicorn

    # lifespan "on": a failing startup stops the server instead of being logged and ignored.
    return uvicorn.Config(app, log_level=log_level, lifespan="on", access_log=False,
                          timeout_keep_alive=5, **kwargs)


def run(app: Any, host: str = "127.0.0.1", port: int = 8300, log_level: str = "info") -> None:
    """Serve ``app`` on ``host:port`` until interrupted (Ctrl-C / SIGTERM stop it cleanly)."""
    import uvicorn

    uvicorn.Server(_config(app, log_level, host=host, port=port)).run()


class ServerThread:
    """``app`` served by uvicorn on a background thread, on a socket bound before it starts.

    ``port=0`` takes a free port; :attr:`url` says where. Use as a context manager, or call
    :meth:`start` and :meth:`stop`.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0,
                 log_level: str = "warning") -> None:
        import uvicorn

        self._socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = host, self._socket.getsockname()[1]
        self._server = uvicorn.Server(_config(app, log_level))
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        """``http://host:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 30.0) -> "ServerThread":
        """Start serving; returns once uvicorn accepts connections."""
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
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._socket.close()

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
