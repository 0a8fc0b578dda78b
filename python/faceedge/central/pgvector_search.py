"""1:N search at the centre, in PostgreSQL with pgvector, for a central gallery larger than an
enrolment desk's memory (millions of faces). The desk's :class:`~faceedge.FaceLibrary` then
keeps no vectors in memory: its gallery is :class:`PgVectorGallery`, which answers the
library's searches with SQL, and every call, code and score stays the library's own.

Vectors live in ``fe_vectors(face_id, user_key, group_key, vec vector(dim))``, written by the
central store in the same transaction as the face (and removed with it, ON DELETE CASCADE);
turning the mode on backfills it from ``faces``. Two ways to search:

- ``"exact"``: a sequential scan ordered by inner product (the vectors are unit length, so this
  is cosine order), index scans disabled for the query: the same answers as the desk's own
  gallery.
- ``"hnsw"``: pgvector's HNSW index (``vector_ip_ops``; ``ef_search`` candidates, iterative
  scans on so a group filter still returns enough rows); approximate: its recall against
  ``"exact"`` is measured by benchmarks/bench_central.py.

A query asks for the best max(64, 8 k) faces and keeps each user's best, k users at most, as
the in-memory gallery does for users with many faces.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from ..errors import error

__all__ = ["PgVectorGallery", "SEARCH_MODES", "enable_pgvector", "parse_ef_search",
           "DEFAULT_EF_SEARCH"]

SEARCH_MODES = ("exact", "hnsw")
DEFAULT_EF_SEARCH = 200


def vector_text(vector: np.ndarray) -> str:
    """pgvector's text form of a vector."""
    return "[" + ",".join(f"{float(x):.8g}" for x in vector) + "]"


_literal = vector_text


def parse_ef_search(value: object) -> int:
    """HNSW's ``ef_search``: candidates a query visits, 1..1000 (pgvector's range); more is
    slower and finds the exact best more often (229014 otherwise)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise error(229014, f"ef_search must be an int in 1..1000, got {value!r}")
    return value


def enable_pgvector(conn: Any, dim: int, mode: str) -> None:
    """The extension, the vector table (backfilled) and, for ``"hnsw"``, its index; in the
    caller's transaction. 229025 naming the extension when the server lacks pgvector."""
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except Exception as exc:
        raise error(229025, f"central search needs the pgvector extension on the server "
                            f"(CREATE EXTENSION vector): {str(exc).strip()}") from None
    conn.execute(f"CREATE TABLE IF NOT EXISTS fe_vectors ("
                 f" face_id BIGINT PRIMARY KEY REFERENCES faces(face_id) ON DELETE CASCADE,"
                 f" user_key BIGINT NOT NULL, group_key BIGINT NOT NULL, vec vector({dim}) NOT NULL)")
    missing = conn.execute(
        "SELECT f.face_id, f.user_key, u.group_key, f.embedding FROM faces f JOIN users u ON "
        "u.user_key = f.user_key WHERE NOT EXISTS (SELECT 1 FROM fe_vectors v WHERE "
        "v.face_id = f.face_id)").fetchall()
    for face_id, user_key, group_key, blob in missing:
        add_vector(conn, face_id, user_key, group_key, np.frombuffer(bytes(blob), "<f4"))
    if mode == "hnsw":
        exists = conn.execute("SELECT to_regclass('fe_vectors_hnsw')").fetchone()[0]
        if exists is None:
            _build_settings(conn, dim)
            conn.execute("CREATE INDEX IF NOT EXISTS fe_vectors_hnsw ON fe_vectors "
                         "USING hnsw (vec vector_ip_ops)")


# pgvector builds an HNSW index fast only while the graph fits in maintenance_work_mem (default
# 64 MB: about 90k faces at d = 128); past it, it goes on on disk, many times slower. About
# d * 4 + 400 bytes a face (the vector, its neighbour lists at m = 16, overhead), capped so a
# build never asks the server for more than this.
_BUILD_MEMORY_CAP_MB = 4096


def _build_settings(conn: Any, dim: int) -> None:
    """maintenance_work_mem for the graph, for this transaction only (SET LOCAL); the server
    keeps its own say on parallel workers."""
    rows = int(conn.execute("SELECT COUNT(*) FROM fe_vectors").fetchone()[0])
    need_mb = int(rows * (dim * 4 + 400) * 1.25 / 2**20) + 64
    current_kb = int(conn.execute("SELECT setting::bigint FROM pg_settings "
                                  "WHERE name = 'maintenance_work_mem'").fetchone()[0])
    if need_mb * 1024 > current_kb:
        conn.execute(f"SET LOCAL maintenance_work_mem = '{min(need_mb, _BUILD_MEMORY_CAP_MB)}MB'")


def add_vector(conn: Any, face_id: int, user_key: int, group_key: int,
               vector: np.ndarray) -> None:
    conn.execute("INSERT INTO fe_vectors(face_id, user_key, group_key, vec) "
                 "VALUES (%s, %s, %s, %s::vector)", (face_id, user_key, group_key,
                                                      _literal(vector)))


class PgVectorGallery:
    """The search half of the library's gallery (``search`` / ``add`` / ``remove`` /
    ``__len__`` / ``memory_bytes``), answered by the central store's database."""

    def __init__(self, store: Any, mode: str, ef_search: int = DEFAULT_EF_SEARCH) -> None:
        if mode not in SEARCH_MODES:
            raise error(229014, f"central search must be one of {', '.join(SEARCH_MODES)}, "
                                f"got {mode!r}")
        self.store, self.mode, self.ef_search = store, mode, parse_ef_search(ef_search)
        self.storage = "pgvector-" + mode
        self.simd_level = "pgvector-" + mode  # where the scoring runs, for library.info()

    # The store writes and deletes the rows in the faces' own transactions.
    def add(self, *_: Any) -> None:
        return None

    def remove(self, face_ids: np.ndarray) -> int:
        return len(face_ids)

    def clear(self) -> None:
        return None

    def __len__(self) -> int:
        with self.store.read() as tx:
            return int(tx._c.execute("SELECT COUNT(*) FROM fe_vectors").fetchone()[0])

    @property
    def memory_bytes(self) -> int:
        return 0  # nothing in this process: the vectors are in PostgreSQL

    def search(self, queries: np.ndarray, max_users: int = 1,
               group_keys: Optional[Sequence[int]] = None, user_key: int = -1,
               min_cosine: float = -1.0) -> List[Dict[str, np.ndarray]]:
        limit = max(64, 8 * int(max_users))
        out = []
        with self.store.read() as tx:
            raw = tx._c.raw
            if self.mode == "exact":
                raw.execute("SET LOCAL enable_indexscan = off")
            else:
                raw.execute(f"SET LOCAL hnsw.ef_search = {max(self.ef_search, limit)}")
                raw.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            where, params = ["TRUE"], []
            if group_keys:
                where.append("group_key = ANY(%s)")
                params.append(list(group_keys))
            if user_key >= 0:
                where.append("user_key = %s")
                params.append(int(user_key))
            sql = (f"SELECT user_key, face_id, group_key, -(vec <#> %s::vector) FROM fe_vectors "
                   f"WHERE {' AND '.join(where)} ORDER BY vec <#> %s::vector LIMIT {limit}")
            for query in np.asarray(queries, dtype=np.float32):
                q = _literal(query)
                rows = raw.execute(sql, [q, *params, q]).fetchall()
                best: Dict[int, Any] = {}
                for uk, fid, gk, cos in rows:
                    if cos >= min_cosine and (uk not in best or cos > best[uk][2]):
                        best[uk] = (fid, gk, float(cos))
                ranked = sorted(best.items(), key=lambda kv: (-kv[1][2], kv[0]))[:max_users]
                out.append({
                    "user_keys": np.array([uk for uk, _ in ranked], np.int64),
                    "face_ids": np.array([v[0] for _, v in ranked], np.int64),
                    "group_keys": np.array([v[1] for _, v in ranked], np.int32),
                    "cosines": np.array([v[2] for _, v in ranked], np.float32)})
        return out
