"""The face library: a durable SQLite store (:mod:`.store`) and the Baidu-semantics facade with
1:N search and M:N multi-search over the in-memory C++ gallery (:mod:`.library`)."""
from .library import ALL_GROUPS, STORAGES, FaceLibrary
from .store import SCHEMA_VERSION, Store

__all__ = ["FaceLibrary", "Store", "STORAGES", "ALL_GROUPS", "SCHEMA_VERSION"]
