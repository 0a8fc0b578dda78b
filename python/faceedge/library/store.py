"""The durable half of a face library: one SQLite file holding groups > users > faces, and each
face's embedding.

Durability: WAL journal with ``synchronous=FULL``, so a transaction whose COMMIT returned is in the
log on disk and survives a crash or power cut; a transaction cut short leaves no trace. Every
public library call is one ``BEGIN IMMEDIATE ... COMMIT`` (:meth:`Store.write`), rolled back on any
exception. Foreign keys are on: deleting a group deletes its users, deleting a user its faces.

Ownership: the connection runs in SQLite's EXCLUSIVE locking mode and takes the write lock at
open, so one :class:`Store` (one process) owns the file until it closes. A second opener gets
229022 instead of a second in-memory gallery that would silently go stale. With exclusive locking
the WAL index lives in heap memory, so there is no ``-shm`` file; crash recovery is unchanged.

Threads: one connection guarded by one lock; every method may be called from any thread.

Schema (``PRAGMA user_version`` = :data:`SCHEMA_VERSION`, ``application_id`` marks the file)::

    meta(key PK, value)            schema_version, embedder, dim, created (embedder: the manifest
                                   id the library was created with; opening compares its
                                   embedding_space, so either SFace file reads an SFace library)
    groups(group_key PK, group_id UNIQUE, ctime)
    users(user_key PK, group_key FK, user_id, user_info, ctime, UNIQUE(group_key, user_id))
    faces(face_id PK, user_key FK, face_token, ctime, embedding BLOB, embedder,
          UNIQUE(user_key, face_token))

Keys are AUTOINCREMENT, never reused, so a search racing a delete can never attribute a hit to a
newer row. ``ctime`` is Unix seconds (float). ``embedding`` is ``dim`` little-endian float32.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..errors import FaceEdgeError, error
from .permissions import create_private, warn_if_readable_by_others

__all__ = ["Store", "Txn", "Snapshot", "UserRow", "FaceRow", "SCHEMA_VERSION", "APPLICATION_ID"]

SCHEMA_VERSION = 1
APPLICATION_ID = 0x46454C42  # "FELB": faceedge library
OPEN_TIMEOUT = 2.0  # seconds to wait for a file another connection holds, then 229022

_SCHEMA = """
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE groups (
  group_key INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id  TEXT NOT NULL UNIQUE,
  ctime     REAL NOT NULL
);
CREATE TABLE users (
  user_key  INTEGER PRIMARY KEY AUTOINCREMENT,
  group_key INTEGER NOT NULL REFERENCES groups(group_key) ON DELETE CASCADE,
  user_id   TEXT NOT NULL,
  user_info TEXT NOT NULL DEFAULT '',
  ctime     REAL NOT NULL,
  UNIQUE (group_key, user_id)
);
CREATE INDEX users_by_user_id ON users(user_id);
CREATE TABLE faces (
  face_id    INTEGER PRIMARY KEY AUTOINCREMENT,
  user_key   INTEGER NOT NULL REFERENCES users(user_key) ON DELETE CASCADE,
  face_token TEXT NOT NULL,
  ctime      REAL NOT NULL,
  embedding  BLOB NOT NULL,
  embedder   TEXT NOT NULL,
  UNIQUE (user_key, face_token)
);
"""

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class UserRow:
    user_key: int
    group_key: int
    user_id: str
    user_info: str
    ctime: float


@dataclass(frozen=True)
class FaceRow:
    face_id: int
    user_key: int
    face_token: str
    ctime: float


@dataclass
class Snapshot:
    """Everything the in-memory side needs, read in one pass at open (or rebuild)."""

    groups: List[Tuple[int, str]]                 # (group_key, group_id)
    users: List[Tuple[int, int, str, str]]        # (user_key, group_key, user_id, user_info)
    face_ids: np.ndarray                          # int64 (n,)
    user_keys: np.ndarray                         # int64 (n,)
    group_keys: np.ndarray                        # int32 (n,)
    vectors: np.ndarray                           # float32 (n, dim)


def _embedding_space(embedder: Optional[str]) -> Optional[str]:
    """The manifest's embedding space of an embedder id: two files of one network (upstream
    ``sface_int8bq`` and its patched ``sface_int8bq_ortfix``) give comparable vectors, so a
    library enrolled with either opens with the other. Ids the manifest does not know (older
    files, custom models) stand for themselves."""
    from ..models import load_manifest

    if embedder is None:
        return None
    entry = load_manifest().models.get(embedder)
    return entry.embedding_space if entry is not None else embedder


def _unusable(path: Path, detail: str) -> FaceEdgeError:
    return error(229022, f"{path}: {detail}")


# SQLite columns are dynamically typed: in a damaged file an id can read back as text, a blob as
# NULL, a number as bytes, and the conversions that follow (int(), b"".join, np.frombuffer)
# raise these. Inside the store's transactions they mean a damaged file (fuzz findings); the
# library's own argument errors are FaceEdgeErrors and pass through untouched.
_DAMAGED_VALUE = (TypeError, ValueError, OverflowError)


def _damage(exc: BaseException) -> str:
    return f"a value of an unexpected type or range ({type(exc).__name__}: {exc}); restore a backup"


class Txn:
    """Typed statements on the store's connection, valid inside :meth:`Store.write` or
    :meth:`Store.read` only."""

    def __init__(self, conn: sqlite3.Connection, embedder: str, dim: int) -> None:
        self._c = conn
        self._embedder = embedder
        self._dim = dim

    # ---- groups ---------------------------------------------------------------------------

    def group_key(self, group_id: str) -> Optional[int]:
        row = self._c.execute("SELECT group_key FROM groups WHERE group_id = ?",
                              (group_id,)).fetchone()
        return None if row is None else int(row[0])

    def add_group(self, group_id: str, ctime: float) -> int:
        cur = self._c.execute("INSERT INTO groups(group_id, ctime) VALUES (?, ?)",
                              (group_id, ctime))
        return int(cur.lastrowid)

    def delete_group(self, group_key: int) -> Tuple[List[int], List[int]]:
        """Delete a group with its users and faces; returns (user_keys, face_ids) removed."""
        users = [int(r[0]) for r in self._c.execute(
            "SELECT user_key FROM users WHERE group_key = ?", (group_key,))]
        faces = [int(r[0]) for r in self._c.execute(
            "SELECT f.face_id FROM faces f JOIN users u ON u.user_key = f.user_key "
            "WHERE u.group_key = ?", (group_key,))]
        self._c.execute("DELETE FROM groups WHERE group_key = ?", (group_key,))
        return users, faces

    def group_ids(self, start: int, length: int) -> List[str]:
        return [r[0] for r in self._c.execute(
            "SELECT group_id FROM groups ORDER BY group_key LIMIT ? OFFSET ?", (length, start))]

    def all_groups(self) -> List[Tuple[int, str]]:
        return [(int(k), g) for k, g in self._c.execute(
            "SELECT group_key, group_id FROM groups ORDER BY group_key")]

    # ---- users ----------------------------------------------------------------------------

    def user(self, group_key: int, user_id: str) -> Optional[UserRow]:
        row = self._c.execute(
            "SELECT user_key, group_key, user_id, user_info, ctime FROM users "
            "WHERE group_key = ? AND user_id = ?", (group_key, user_id)).fetchone()
        return None if row is None else UserRow(int(row[0]), int(row[1]), row[2], row[3], row[4])

    def users_by_id(self, user_id: str) -> List[Tuple[UserRow, str]]:
        """Every (user, group_id) with this user_id, in group creation order."""
        return [(UserRow(int(r[0]), int(r[1]), r[2], r[3], r[4]), r[5]) for r in self._c.execute(
            "SELECT u.user_key, u.group_key, u.user_id, u.user_info, u.ctime, g.group_id "
            "FROM users u JOIN groups g ON g.group_key = u.group_key "
            "WHERE u.user_id = ? ORDER BY u.group_key", (user_id,))]

    def add_user(self, group_key: int, user_id: str, user_info: str, ctime: float) -> int:
        cur = self._c.execute(
            "INSERT INTO users(group_key, user_id, user_info, ctime) VALUES (?, ?, ?, ?)",
            (group_key, user_id, user_info, ctime))
        return int(cur.lastrowid)

    def set_user_info(self, user_key: int, user_info: str) -> None:
        self._c.execute("UPDATE users SET user_info = ? WHERE user_key = ?", (user_info, user_key))

    def delete_user(self, user_key: int) -> List[int]:
        """Delete a user with its faces; returns the face_ids removed."""
        faces = [int(r[0]) for r in self._c.execute(
            "SELECT face_id FROM faces WHERE user_key = ?", (user_key,))]
        self._c.execute("DELETE FROM users WHERE user_key = ?", (user_key,))
        return faces

    def user_ids(self, group_key: int, start: int, length: int) -> List[str]:
        return [r[0] for r in self._c.execute(
            "SELECT user_id FROM users WHERE group_key = ? ORDER BY user_key LIMIT ? OFFSET ?",
            (group_key, length, start))]

    # ---- faces ----------------------------------------------------------------------------

    def faces(self, user_key: int) -> List[FaceRow]:
        return [FaceRow(int(r[0]), int(r[1]), r[2], r[3]) for r in self._c.execute(
            "SELECT face_id, user_key, face_token, ctime FROM faces WHERE user_key = ? "
            "ORDER BY face_id", (user_key,))]

    def face(self, user_key: int, face_token: str) -> Optional[FaceRow]:
        r = self._c.execute(
            "SELECT face_id, user_key, face_token, ctime FROM faces "
            "WHERE user_key = ? AND face_token = ?", (user_key, face_token)).fetchone()
        return None if r is None else FaceRow(int(r[0]), int(r[1]), r[2], r[3])

    def face_count(self, user_key: int) -> int:
        return int(self._c.execute("SELECT COUNT(*) FROM faces WHERE user_key = ?",
                                   (user_key,)).fetchone()[0])

    def add_face(self, user_key: int, face_token: str, ctime: float, vector: np.ndarray) -> int:
        vec = np.ascontiguousarray(vector, dtype="<f4").reshape(-1)
        if vec.shape[0] != self._dim:
            raise error(229000, f"embedding has {vec.shape[0]} values, the library holds "
                                f"{self._dim}")
        cur = self._c.execute(
            "INSERT INTO faces(user_key, face_token, ctime, embedding, embedder) "
            "VALUES (?, ?, ?, ?, ?)", (user_key, face_token, ctime, vec.tobytes(), self._embedder))
        return int(cur.lastrowid)

    def delete_face(self, face_id: int) -> None:
        self._c.execute("DELETE FROM faces WHERE face_id = ?", (face_id,))

    def delete_faces_of_user(self, user_key: int) -> List[int]:
        faces = [int(r[0]) for r in self._c.execute(
            "SELECT face_id FROM faces WHERE user_key = ?", (user_key,))]
        self._c.execute("DELETE FROM faces WHERE user_key = ?", (user_key,))
        return faces

    def copy_faces(self, src_user_key: int, dst_user_key: int) -> List[Tuple[int, np.ndarray]]:
        """Copy every face (token, ctime, embedding) of one user to another; returns the new
        (face_id, vector) pairs."""
        out = []
        rows = self._c.execute("SELECT face_token, ctime, embedding FROM faces "
                               "WHERE user_key = ? ORDER BY face_id", (src_user_key,)).fetchall()
        for token, ctime, blob in rows:
            cur = self._c.execute(
                "INSERT INTO faces(user_key, face_token, ctime, embedding, embedder) "
                "VALUES (?, ?, ?, ?, ?)", (dst_user_key, token, ctime, blob, self._embedder))
            out.append((int(cur.lastrowid), np.frombuffer(blob, dtype="<f4").astype(np.float32)))
        return out

    # ---- whole library --------------------------------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        """A value of the meta table, in this transaction."""
        self._c.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) "
                        "DO UPDATE SET value = excluded.value", (key, value))

    def counts(self) -> Tuple[int, int, int]:
        """(groups, users, faces)."""
        return tuple(int(self._c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])  # type: ignore
                     for t in ("groups", "users", "faces"))


class Store:
    """The SQLite file of one face library (see the module docstring).

    Args:
        path: the library file; created (with its schema) when it does not exist or is empty.
        embedder: the manifest id of the embedder whose vectors the library holds.
        dim: the embedding length.
        timeout: seconds to wait for a file another connection holds before giving up (229022);
            None: :data:`OPEN_TIMEOUT`.

    Raises:
        LibraryError: 229021 the file was enrolled with another embedder or dimension; 229022 not
            a faceedge library, a newer schema, unreadable, or in use by another process.
    """

    def __init__(self, path: PathLike, embedder: str, dim: int,
                 timeout: Optional[float] = None) -> None:
        self.path = Path(os.fspath(path))
        self.embedder = str(embedder)
        self.dim = int(dim)
        self._lock = threading.RLock()
        # Embeddings are biometric data: a new file is the owner's only (SQLite gives the -wal
        # and -shm files the database file's mode). An old, wider library is warned about once
        # it is known to be a library.
        try:
            created = create_private(self.path)
        except OSError:
            created = False  # sqlite3.connect below reports an unusable path with its code
        try:
            self._conn: Optional[sqlite3.Connection] = sqlite3.connect(
                str(self.path), timeout=OPEN_TIMEOUT if timeout is None else timeout,
                isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise _unusable(self.path, f"cannot open: {exc}") from exc
        try:
            self._open()
        except BaseException:
            self._conn.close()
            self._conn = None
            raise
        if not created:
            warn_if_readable_by_others([self.path, Path(f"{self.path}-wal"),
                                        Path(f"{self.path}-shm")])

    # ---- open / close ---------------------------------------------------------------------

    def _open(self) -> None:
        c = self._conn
        assert c is not None
        try:
            c.execute("PRAGMA locking_mode = EXCLUSIVE")
            # Refuse someone else's SQLite file before touching it (journal mode included).
            app_id = c.execute("PRAGMA application_id").fetchone()[0]
            tables = c.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
            if app_id != APPLICATION_ID and not (app_id == 0 and tables == 0):
                raise _unusable(self.path, "not a faceedge library (an SQLite file of something "
                                           "else)")
            mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise _unusable(self.path, f"cannot switch to WAL journal mode (got {mode!r})")
            c.execute("PRAGMA synchronous = FULL")
            c.execute("PRAGMA foreign_keys = ON")
            # Take the write lock now and keep it (EXCLUSIVE mode): the file is ours until close.
            c.execute("BEGIN IMMEDIATE")
            try:
                self._init_or_check(c)
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise _unusable(self.path, "in use by another process or FaceLibrary (a library "
                                           "file has one owner at a time)") from exc
            raise _unusable(self.path, str(exc)) from exc
        except sqlite3.DatabaseError as exc:
            raise _unusable(self.path, f"not a faceedge library ({exc})") from exc
        except UnicodeDecodeError as exc:  # SQLite's message quoted damaged schema bytes (fuzz)
            raise _unusable(self.path, "damaged: SQLite reports a malformed schema") from exc
        except _DAMAGED_VALUE as exc:  # e.g. meta's dim no longer a number (fuzz)
            raise _unusable(self.path, f"damaged: {_damage(exc)}") from exc

    def _init_or_check(self, c: sqlite3.Connection) -> None:
        app_id = c.execute("PRAGMA application_id").fetchone()[0]
        tables = c.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
        if app_id == 0 and tables == 0:  # a new (or empty) file
            # Statement by statement: executescript() would COMMIT the open transaction.
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    c.execute(statement)
            c.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", [
                ("schema_version", str(SCHEMA_VERSION)), ("embedder", self.embedder),
                ("dim", str(self.dim)), ("created", repr(time.time()))])
            c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        if app_id != APPLICATION_ID:
            raise _unusable(self.path, "not a faceedge library (an SQLite file of something else)")
        meta = dict(c.execute("SELECT key, value FROM meta").fetchall())
        version = int(meta.get("schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise _unusable(self.path, f"schema version {version} is newer than this faceedge "
                                       f"reads ({SCHEMA_VERSION}): upgrade faceedge")
        if version != SCHEMA_VERSION:
            raise _unusable(self.path, f"unknown schema version {version}")
        embedder, dim = meta.get("embedder"), int(meta.get("dim", "0"))
        if _embedding_space(embedder) != _embedding_space(self.embedder) or dim != self.dim:
            raise error(229021, f"{self.path} was enrolled with embedder {embedder!r} "
                                f"({dim}-d); this engine uses {self.embedder!r} ({self.dim}-d). "
                                "Embeddings of different models cannot be compared: open it with "
                                f"an engine on {embedder!r}, or enrol into a new library")

    @property
    def closed(self) -> bool:
        return self._conn is None

    def close(self) -> None:
        """Release the file (idempotent). Committed work is already on disk."""
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                finally:
                    self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise error(229023, f"{self.path} was closed")
        return self._conn

    # ---- transactions ---------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Txn]:
        """One ``BEGIN IMMEDIATE ... COMMIT``; any exception rolls it back and propagates.

        When the block exits without an exception the COMMIT has returned: the change is durable.
        SQLite failures become 229022 (the library file could not be written)."""
        with self._lock:
            c = self._connection()
            try:
                c.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _unusable(self.path, f"cannot start a transaction: {exc}") from exc
            try:
                yield Txn(c, self.embedder, self.dim)
                c.execute("COMMIT")
            except BaseException as exc:
                try:
                    c.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # a failed COMMIT may already have rolled back
                if isinstance(exc, (sqlite3.Error, UnicodeDecodeError)):
                    raise _unusable(self.path, f"write failed, nothing was changed: {exc}") from exc
                if isinstance(exc, _DAMAGED_VALUE) and not isinstance(exc, FaceEdgeError):
                    raise _unusable(self.path, f"damaged, nothing was changed: {_damage(exc)}") \
                        from exc
                raise

    @contextmanager
    def read(self) -> Iterator[Txn]:
        """Statements that see one consistent state (the lock keeps writers out)."""
        with self._lock:
            c = self._connection()
            try:
                yield Txn(c, self.embedder, self.dim)
            except FaceEdgeError:
                raise
            except (sqlite3.Error, UnicodeDecodeError) as exc:
                raise _unusable(self.path, f"read failed: {exc}") from exc
            except _DAMAGED_VALUE as exc:
                raise _unusable(self.path, f"damaged: {_damage(exc)}") from exc

    # ---- settings --------------------------------------------------------------------------

    def setting(self, key: str) -> Optional[str]:
        """A value of the meta table (None when unset)."""
        with self.read() as tx:
            row = tx._c.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        with self.write() as tx:
            tx.set_meta(key, value)

    # ---- bulk ------------------------------------------------------------------------------

    def load(self) -> Snapshot:
        """Every group, user and face embedding, as the in-memory side needs them."""
        with self.read() as tx:
            c = tx._c
            groups = tx.all_groups()
            users = c.execute("SELECT user_key, group_key, user_id, user_info FROM users "
                              "ORDER BY user_key").fetchall()
            cur = c.execute(
                "SELECT f.face_id, f.user_key, u.group_key, f.embedding FROM faces f "
                "JOIN users u ON u.user_key = f.user_key ORDER BY f.face_id")
            chunks, row_bytes = [], self.dim * 4
            while True:  # in chunks: no Python list of every row (1M faces: ~1 GB of tuples)
                rows = cur.fetchmany(65536)
                if not rows:
                    break
                ids, users_, groups_, blobs = zip(*rows)
                data = b"".join(blobs)
                if len(data) != len(rows) * row_bytes:
                    bad = next(f for f, b in zip(ids, blobs) if len(b) != row_bytes)
                    raise _unusable(self.path, f"face {bad} has an embedding of the wrong size "
                                               f"(expected {self.dim} float32)")
                chunks.append((np.array(ids, np.int64), np.array(users_, np.int64),
                               np.array(groups_, np.int32),
                               np.frombuffer(data, dtype="<f4").reshape(len(rows), self.dim)))
        if not chunks:
            return Snapshot(groups, users, np.empty(0, np.int64), np.empty(0, np.int64),
                            np.empty(0, np.int32), np.empty((0, self.dim), np.float32))
        face_ids, user_keys, group_keys, vectors = (
            np.concatenate(parts).astype(dtype, copy=False)
            for parts, dtype in zip(zip(*chunks), (np.int64, np.int64, np.int32, np.float32)))
        return Snapshot(groups, users, face_ids, user_keys, group_keys, vectors)

    def vectors(self, face_ids: np.ndarray) -> np.ndarray:
        """The embeddings of these faces, float32 (n, dim) in the order asked; a face the file
        does not hold (removed) gets a row of NaN.

        The int8 gallery's exact re-rank reads its few candidates here (its vector source), so
        the fp32 vectors live only in this file, not in memory as well."""
        wanted = np.asarray(face_ids, dtype=np.int64).ravel()
        out = np.full((len(wanted), self.dim), np.nan, np.float32)
        keys = np.unique(wanted).tolist()
        row_bytes = self.dim * 4
        found, blobs = [], []
        with self.read() as tx:
            for start in range(0, len(keys), 500):  # under SQLite's bound-parameter limit
                part = keys[start:start + 500]
                for face_id, blob in tx._c.execute(
                        "SELECT face_id, embedding FROM faces WHERE face_id IN "
                        f"({','.join('?' * len(part))})", part):
                    if len(blob) == row_bytes:
                        found.append(face_id)
                        blobs.append(blob)
        if found:
            have = np.array(found, np.int64)
            order = np.argsort(have)
            have = have[order]
            vectors = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(found), self.dim)[order]
            pos = np.minimum(np.searchsorted(have, wanted), len(have) - 1)
            hit = have[pos] == wanted
            out[hit] = vectors[pos[hit]]
        return out

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` ("ok" when the file is sound)."""
        with self.read() as tx:
            return "\n".join(str(r[0]) for r in tx._c.execute("PRAGMA integrity_check"))

    def bulk_insert(self, group_id: str, user_ids: Sequence[str], vectors: np.ndarray,
                    tokens: Optional[Sequence[str]] = None) -> None:
        """Insert one face per user into ``group_id`` in one transaction, bypassing the engine.

        For benchmarks and tests of the store (synthetic embeddings); a :class:`FaceLibrary` open
        on this store does not see the rows until it is reopened."""
        vecs = np.ascontiguousarray(vectors, dtype="<f4")
        if vecs.ndim != 2 or vecs.shape != (len(user_ids), self.dim):
            raise error(229014, f"vectors must be ({len(user_ids)}, {self.dim}) float32")
        now = time.time()
        with self.write() as tx:
            gk = tx.group_key(group_id)
            if gk is None:
                gk = tx.add_group(group_id, now)
            self._bulk_rows(tx, gk, user_ids, vecs, tokens, now)

    def _bulk_rows(self, tx: Txn, gk: int, user_ids: Sequence[str], vecs: np.ndarray,
                   tokens: Optional[Sequence[str]], now: float) -> None:
        """bulk_insert's users and faces: two statements for all of them."""
        c = tx._c
        first = int(c.execute("SELECT COALESCE(MAX(user_key), 0) FROM users").fetchone()[0])
        c.executemany("INSERT INTO users(group_key, user_id, user_info, ctime) "
                      "VALUES (?, ?, '', ?)", ((gk, u, now) for u in user_ids))
        keys = [int(r[0]) for r in c.execute(
            "SELECT user_key FROM users WHERE group_key = ? AND user_key > ? ORDER BY user_key",
            (gk, first))]
        toks = tokens if tokens is not None else [f"{k:032x}" for k in keys]
        c.executemany("INSERT INTO faces(user_key, face_token, ctime, embedding, embedder) "
                      "VALUES (?, ?, ?, ?, ?)",
                      ((k, t, now, vecs[i].tobytes(), self.embedder)
                       for i, (k, t) in enumerate(zip(keys, toks))))
