"""``faceedge serve``: Baidu face v3's REST API on this device (Starlette on uvicorn; the
``[server]`` extra). See docs/compat.md."""
from .app import create_app
from .runner import ServerThread, run

__all__ = ["create_app", "ServerThread", "run"]
