"""The central face library: the library's store (:class:`~faceedge.library.store.Store`) on
PostgreSQL, with every change also written to an append-only change log in the same
transaction.

Ordering. Each write transaction first locks the single row of ``fe_counter``
(``SELECT ... FOR UPDATE``), numbers its change rows from it, and updates it before COMMIT. A
second writer waits on that row lock until the first commits, so sequence numbers are handed out
in commit order: a replica that has applied everything up to N and asks for the changes after N
can never miss one committed later with a smaller number (the failure of a plain SEQUENCE, whose
values are taken at INSERT time). Writers are serialised by this lock, which also makes the
library's own existence checks (group exists, user absent) race-free across desks; an
enrolment desk writes a few faces a second, far below what one lock allows.

Notification. A transaction that changed something sends ``NOTIFY fe_changes, '<last seq>'``;
PostgreSQL delivers it at COMMIT, so a listening replica wakes for changes it can already read.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np

from ..errors import FaceEdgeError, error
from ..library.store import Snapshot, Store, Txn, _embedding_space
from .pg import SCHEMA, PgConnection, connect, redact
from .pgvector_search import (DEFAULT_EF_SEARCH, SEARCH_MODES, PgVectorGallery, add_vector,
                              enable_pgvector, parse_ef_search,
                              vector_text as _vector_text)

__all__ = ["CentralStore", "open_central", "Change", "CHANNEL"]

CHANNEL = "fe_changes"
SCHEMA_VERSION = "1"

# One change-log row: (seq, op, group_id, user_id, face_token, user_info, ctime, embedding).
Change = Tuple[int, str, str, Optional[str], Optional[str], Optional[str], Optional[float],
               Optional[bytes]]


class LoggingTxn(Txn):
    """The library's statements, each change also appended to fe_changes under natural ids
    (group_id, user_id, face_token): a replica's keys are its own."""

    def __init__(self, conn: PgConnection, embedder: str, dim: int, seq: int,
                 vectors: bool = False) -> None:
        super().__init__(conn, embedder, dim)
        self.seq = seq
        self.first_seq = seq + 1
        self.updates_memory = True  # False: rows the library's in-memory side is not told of
        self._vectors = vectors  # also keep fe_vectors (pgvector search at the centre)

    def _index(self, face_id: int, user_key: int, vector: np.ndarray) -> None:
        if self._vectors:
            group_key = self._c.execute("SELECT group_key FROM users WHERE user_key = ?",
                                        (user_key,)).fetchone()[0]
            add_vector(self._c.raw, face_id, user_key, group_key, vector)

    def _log(self, op: str, group_id: str, user_id: Optional[str] = None,
             face_token: Optional[str] = None, user_info: Optional[str] = None,
             ctime: Optional[float] = None, embedding: Optional[bytes] = None) -> None:
        self.seq += 1
        self._c.execute("INSERT INTO fe_changes(seq, op, group_id, user_id, face_token, "
                        "user_info, ctime, embedding) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (self.seq, op, group_id, user_id, face_token, user_info, ctime, embedding))

    def _group_id(self, group_key: int) -> str:
        return self._c.execute("SELECT group_id FROM groups WHERE group_key = ?",
                               (group_key,)).fetchone()[0]

    def _names(self, user_key: int) -> Tuple[str, str]:
        row = self._c.execute("SELECT g.group_id, u.user_id FROM users u JOIN groups g "
                              "ON g.group_key = u.group_key WHERE u.user_key = ?",
                              (user_key,)).fetchone()
        return row[0], row[1]

    def add_group(self, group_id: str, ctime: float) -> int:
        key = super().add_group(group_id, ctime)
        self._log("group_add", group_id, ctime=ctime)
        return key

    def delete_group(self, group_key: int) -> Tuple[List[int], List[int]]:
        group_id = self._group_id(group_key)
        out = super().delete_group(group_key)
        self._log("group_delete", group_id)
        return out

    def add_user(self, group_key: int, user_id: str, user_info: str, ctime: float) -> int:
        key = super().add_user(group_key, user_id, user_info, ctime)
        self._log("user_add", self._group_id(group_key), user_id, user_info=user_info,
                  ctime=ctime)
        return key

    def set_user_info(self, user_key: int, user_info: str) -> None:
        super().set_user_info(user_key, user_info)
        self._log("user_info", *self._names(user_key), user_info=user_info)

    def delete_user(self, user_key: int) -> List[int]:
        names = self._names(user_key)
        out = super().delete_user(user_key)
        self._log("user_delete", *names)
        return out

    def add_face(self, user_key: int, face_token: str, ctime: float, vector: np.ndarray) -> int:
        face_id = super().add_face(user_key, face_token, ctime, vector)
        self._index(face_id, user_key, vector)
        self._log("face_add", *self._names(user_key), face_token=face_token, ctime=ctime,
                  embedding=np.ascontiguousarray(vector, dtype="<f4").tobytes())
        return face_id

    def delete_face(self, face_id: int) -> None:
        group_id, user_id, token = self._c.execute(
            "SELECT g.group_id, u.user_id, f.face_token FROM faces f JOIN users u ON "
            "u.user_key = f.user_key JOIN groups g ON g.group_key = u.group_key "
            "WHERE f.face_id = ?", (face_id,)).fetchone()
        super().delete_face(face_id)
        self._log("face_delete", group_id, user_id, face_token=token)

    def delete_faces_of_user(self, user_key: int) -> List[int]:
        names = self._names(user_key)
        tokens = [f.face_token for f in self.faces(user_key)]
        out = super().delete_faces_of_user(user_key)
        for token in tokens:
            self._log("face_delete", *names, face_token=token)
        return out

    def copy_faces(self, src_user_key: int, dst_user_key: int) -> List[Tuple[int, np.ndarray]]:
        out = super().copy_faces(src_user_key, dst_user_key)
        names = self._names(dst_user_key)
        for face_id, vector in out:
            self._index(face_id, dst_user_key, vector)
            token, ctime = self._c.execute("SELECT face_token, ctime FROM faces WHERE face_id = ?",
                                           (face_id,)).fetchone()
            self._log("face_add", *names, face_token=token, ctime=ctime,
                      embedding=np.ascontiguousarray(vector, dtype="<f4").tobytes())
        return out


class CentralStore(Store):
    """A face library's store on PostgreSQL (``url``: any libpq URL or key=value string).

    What :class:`~faceedge.FaceLibrary` needs of a store, so ``FaceLibrary(..., store=...)`` (or
    :func:`open_central`) gives the Baidu library calls and codes unchanged, each call one
    PostgreSQL transaction with its change-log rows. Unreachable server: 229025."""

    def __init__(self, url: str, embedder: str, dim: int, search: Optional[str] = None,
                 ef_search: int = DEFAULT_EF_SEARCH) -> None:
        if search is not None and search not in SEARCH_MODES:
            raise error(229014, f"central search must be one of {', '.join(SEARCH_MODES)}, "
                                f"got {search!r}")
        self.search = search  # None: the desk's gallery in memory; else pgvector at the centre
        self.ef_search = parse_ef_search(ef_search)
        self.url = url
        self.path = redact(url)  # type: ignore[assignment]
        self.embedder = embedder
        self.dim = int(dim)
        self._lock = threading.RLock()
        self._conn: Any = None
        # The change-log position the library's in-memory side reflects: set by load(), moved
        # by this store's own commits while no other writer came between (desk.py).
        self.known_through = 0
        self.reload_after_commit = False
        self.desk_reloads = 0  # how often a DeskFollower reloaded (tests read it)
        self.on_close: List[Any] = []  # callables run by close() (a DeskFollower's stop)
        with self._lock:
            conn = self._connection()
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(4607810)")  # one schema creator
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                self._init_or_check_meta(PgConnection(conn))
                if search is not None:
                    enable_pgvector(conn, self.dim, search)

    def _init_or_check_meta(self, c: PgConnection) -> None:
        meta = dict(c.execute("SELECT key, value FROM meta").fetchall())
        if not meta:
            for key, value in (("schema_version", SCHEMA_VERSION), ("embedder", self.embedder),
                               ("dim", str(self.dim))):
                c.execute("INSERT INTO meta(key, value) VALUES (?, ?)", (key, value))
            return
        embedder, dim = meta.get("embedder"), int(meta.get("dim", "0"))
        if _embedding_space(embedder) != _embedding_space(self.embedder) or dim != self.dim:
            raise error(229021, f"{self.path} was enrolled with embedder {embedder!r} ({dim}-d); "
                                f"this engine uses {self.embedder!r} ({self.dim}-d)")

    # ---- connection ------------------------------------------------------------------------

    def _connection(self) -> Any:
        if self._conn is False:
            raise error(229023, f"the central library {self.path} was closed")
        if self._conn is not None and not self._conn.closed:
            return self._conn
        self._conn = connect(self.url, autocommit=True)
        return self._conn

    @property
    def closed(self) -> bool:
        return self._conn is False

    def close(self) -> None:
        for stop in self.on_close:
            stop()
        with self._lock:
            if self._conn:
                self._conn.close()
            self._conn = False

    @contextmanager
    def _transaction(self, lock_counter: bool, repeatable: bool = False
                     ) -> Iterator[Tuple[Any, int]]:
        import psycopg

        with self._lock:
            conn = self._connection()
            try:
                with conn.transaction():
                    if repeatable:  # every statement of it sees one snapshot
                        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    seq = 0
                    if lock_counter:
                        seq = conn.execute("SELECT seq FROM fe_counter WHERE id = 1 "
                                           "FOR UPDATE").fetchone()[0]
                    yield conn, int(seq)
            except FaceEdgeError:
                raise
            except psycopg.OperationalError as exc:
                conn.close()  # reconnect on the next call
                raise error(229025, f"the central library {self.path} failed: "
                                    f"{str(exc).strip()}") from None

    @contextmanager
    def write(self) -> Iterator[Txn]:  # type: ignore[override]
        """One transaction holding the change-log lock; COMMIT when the block ends."""
        with self._transaction(lock_counter=True) as (conn, seq):
            tx = LoggingTxn(PgConnection(conn), self.embedder, self.dim, seq,
                            vectors=self.search is not None)
            yield tx
            if tx.seq != seq:
                conn.execute("UPDATE fe_counter SET seq = %s WHERE id = 1", (tx.seq,))
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(tx.seq)))
        # Committed. The library applies its own change in memory next; if nobody else wrote
        # since the in-memory side was current, it is current up to this change too. If someone
        # did, the change may undo what that side never saw (a user another desk added): the
        # library reloads instead (FaceLibrary._commit reads `reload_after_commit`).
        self.reload_after_commit = False
        if tx.seq != seq and tx.updates_memory:
            if seq == self.known_through:
                self.known_through = tx.seq
            else:
                self.reload_after_commit = True

    @contextmanager
    def read(self) -> Iterator[Txn]:  # type: ignore[override]
        with self._transaction(lock_counter=False) as (conn, _):
            yield Txn(PgConnection(conn), self.embedder, self.dim)

    def make_gallery(self) -> Optional[PgVectorGallery]:
        """The library's gallery when searches run in PostgreSQL (None: the usual one)."""
        return PgVectorGallery(self, self.search, self.ef_search) if self.search else None

    def load(self) -> Snapshot:
        """As :meth:`Store.load`, from one snapshot of the database, and the change-log position
        it reflects (:attr:`known_through`); with pgvector search, without the vectors (they
        stay in the database: the point of that mode)."""
        with self._transaction(lock_counter=False, repeatable=True) as (conn, _):
            head = int(conn.execute("SELECT seq FROM fe_counter WHERE id = 1").fetchone()[0])
            snapshot = self._load_rows()  # its reads nest in this transaction
        self.known_through = head
        return snapshot

    def _load_rows(self) -> Snapshot:
        if not self.search:
            return super().load()
        with self.read() as tx:
            groups = tx.all_groups()
            users = [tuple(r) for r in tx._c.execute(
                "SELECT user_key, group_key, user_id, user_info FROM users ORDER BY user_key")]
        return Snapshot(groups, users, np.empty(0, np.int64), np.empty(0, np.int64),
                        np.empty(0, np.int32), np.empty((0, self.dim), np.float32))

    def integrity_check(self) -> str:
        """"ok" when the change log balances against its counter: as many rows as changes,
        less those a compaction dropped (meta ``log_pruned``, compact.py), the last one kept."""
        with self._transaction(lock_counter=False, repeatable=True) as (conn, _):
            c = PgConnection(conn)
            head = int(c.execute("SELECT seq FROM fe_counter WHERE id = 1").fetchone()[0])
            rows, last = c.execute("SELECT COUNT(*), COALESCE(MAX(seq), 0) "
                                   "FROM fe_changes").fetchone()
            pruned = c.execute("SELECT value FROM meta WHERE key = 'log_pruned'").fetchone()
        pruned = int(pruned[0]) if pruned else 0
        if (int(rows) + pruned, int(last)) != (head, head):
            return (f"change log holds {rows} rows up to {last} ({pruned} dropped by "
                    f"compaction), counter at {head}")
        return "ok"

    def _bulk_rows(self, tx: Txn, gk: int, user_ids: Any, vecs: np.ndarray, tokens: Any,
                   now: float) -> None:
        """bulk_insert's users, faces, change-log rows (and pgvector rows) with COPY, in the
        caller's transaction: a mass import (an HR export) at the database's speed, which the
        gates then receive like any change."""
        import uuid

        tx.updates_memory = False  # type: ignore[attr-defined]
        raw = tx._c.raw
        group_id = tx._group_id(gk)  # type: ignore[attr-defined]
        ids = [str(u) for u in user_ids]
        toks = [str(t) for t in tokens] if tokens is not None else [uuid.uuid4().hex for _ in ids]
        with raw.cursor().copy("COPY users(group_key, user_id, user_info, ctime) FROM STDIN") as cp:
            for user_id in ids:
                cp.write_row((gk, user_id, "", now))
        keys = dict(raw.execute("SELECT user_id, user_key FROM users WHERE group_key = %s AND "
                                "user_id = ANY(%s)", (gk, ids)).fetchall())
        blobs = [vecs[i].astype("<f4").tobytes() for i in range(len(ids))]
        with raw.cursor().copy("COPY faces(user_key, face_token, ctime, embedding, embedder) "
                               "FROM STDIN") as cp:
            for user_id, token, blob in zip(ids, toks, blobs):
                cp.write_row((keys[user_id], token, now, blob, self.embedder))
        if self.search:
            face_ids = dict(raw.execute(
                "SELECT f.user_key, f.face_id FROM faces f JOIN users u ON u.user_key = "
                "f.user_key WHERE u.group_key = %s AND u.user_id = ANY(%s)", (gk, ids)).fetchall())
            with raw.cursor().copy("COPY fe_vectors(face_id, user_key, group_key, vec) "
                                   "FROM STDIN") as cp:
                for i, user_id in enumerate(ids):
                    key = keys[user_id]
                    cp.write_row((face_ids[key], key, gk, _vector_text(vecs[i])))
        seq = tx.seq  # type: ignore[attr-defined]
        with raw.cursor().copy("COPY fe_changes(seq, op, group_id, user_id, face_token, "
                               "user_info, ctime, embedding) FROM STDIN") as cp:
            for user_id, token, blob in zip(ids, toks, blobs):
                cp.write_row((seq + 1, "user_add", group_id, user_id, None, "", now, None))
                cp.write_row((seq + 2, "face_add", group_id, user_id, token, None, now, blob))
                seq += 2
        tx.seq = seq  # type: ignore[attr-defined]

    # ---- the change log, for replicas ------------------------------------------------------

    def head(self) -> int:
        """The sequence number of the last committed change (0: none yet)."""
        with self.read() as tx:
            return int(tx._c.execute("SELECT seq FROM fe_counter WHERE id = 1").fetchone()[0])

    def changes_after(self, seq: int, limit: int) -> List[Change]:
        """Up to ``limit`` committed changes with a sequence number above ``seq``, in order."""
        with self.read() as tx:
            rows = tx._c.execute(
                "SELECT seq, op, group_id, user_id, face_token, user_info, ctime, embedding "
                "FROM fe_changes WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)).fetchall()
        return [(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6],
                 None if r[7] is None else bytes(r[7])) for r in rows]

    def info(self) -> Dict[str, Any]:
        with self.read() as tx:
            groups, users, faces = tx.counts()
        return {"central": self.path, "head_seq": self.head(), "groups": groups, "users": users,
                "faces": faces}


def open_central(url: str, engine: Any, storage: Optional[str] = None,
                 search: Optional[str] = None, follow_poll: Optional[float] = 1.0,
                 ef_search: int = DEFAULT_EF_SEARCH) -> Any:
    """A :class:`~faceedge.FaceLibrary` whose store is the central library at ``url``: the
    enrolment desk's library (every Baidu library call, one PostgreSQL transaction each).
    ``search``: None keeps the desk's gallery in memory; ``"exact"`` or ``"hnsw"`` searches
    in PostgreSQL with pgvector instead (:mod:`.pgvector_search`). ``follow_poll``: the desk
    follows other desks' writes (:mod:`.desk`), woken by NOTIFY and at least this often
    (seconds); None: it does not (one desk only). ``ef_search``: HNSW candidates per query
    (1..1000; recall against latency, README "Central library")."""
    from ..library import FaceLibrary
    from .desk import DeskFollower

    if follow_poll is not None and not (isinstance(follow_poll, (int, float))
                                        and follow_poll > 0):
        raise error(229014, f"follow_poll must be a number of seconds > 0 or None, got "
                            f"{follow_poll!r}")
    library = FaceLibrary(redact(url), engine, storage=storage,
                          store=CentralStore(url, engine.embedder_id, engine.embedding_dim,
                                             search=search, ef_search=ef_search))
    if follow_poll is not None:
        DeskFollower(library, follow_poll).start()
    return library
