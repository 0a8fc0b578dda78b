"""``faceedge serve``: Baidu face v3's REST API on this device (Starlette on uvicorn; the
``[server]`` extra). See docs/compat.md."""
from .app import create_app
from .connections import ConnectionGate
from .runner import ServerThread, listening_socket, run

__all__ = ["create_app", "ConnectionGate", "ServerThread", "listening_socket", "run"]
