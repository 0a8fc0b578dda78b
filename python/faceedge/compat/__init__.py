"""Baidu face API compatibility: move a ``baidu-aip`` client to faceedge with one line.

* :class:`AipFace`: drop-in for ``aip.AipFace`` that answers on this device.
* :func:`point_sdk_at`: keep the SDK's own class and send it to ``faceedge serve``.
* :class:`BaiduFaceService`: the Baidu endpoints both of them (and the server) use.

See docs/compat.md.
"""
from .aip_face import AipFace, default_library_path
from .sdk import point_sdk_at
from .service import BaiduFaceService

__all__ = ["AipFace", "BaiduFaceService", "point_sdk_at", "default_library_path"]
