"""PostgreSQL under the face library's statements.

The library's :class:`~faceedge.library.store.Txn` speaks sqlite3's dialect: ``?`` parameters
and ``cursor.lastrowid``. :class:`PgConnection` gives it the same surface over a psycopg 3
connection, so the central store runs exactly the statements a gate's file does (no second copy
of the library's SQL to drift apart): ``?`` becomes ``%s`` and an INSERT into a keyed table
returns its new key.
"""
from __future__ import annotations

import re
from typing import Any, Iterator, List, Optional, Sequence

from ..errors import error

__all__ = ["PgConnection", "connect", "SCHEMA", "redact"]

# The gate schema (library/store.py) in PostgreSQL's types, plus the change log: one row per
# change, seq taken from fe_counter inside the writing transaction (see store.py).
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS groups (
  group_key BIGSERIAL PRIMARY KEY,
  group_id  TEXT NOT NULL UNIQUE,
  ctime     DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS users (
  user_key  BIGSERIAL PRIMARY KEY,
  group_key BIGINT NOT NULL REFERENCES groups(group_key) ON DELETE CASCADE,
  user_id   TEXT NOT NULL,
  user_info TEXT NOT NULL DEFAULT '',
  ctime     DOUBLE PRECISION NOT NULL,
  UNIQUE (group_key, user_id));
CREATE INDEX IF NOT EXISTS users_by_user_id ON users(user_id);
CREATE TABLE IF NOT EXISTS faces (
  face_id    BIGSERIAL PRIMARY KEY,
  user_key   BIGINT NOT NULL REFERENCES users(user_key) ON DELETE CASCADE,
  face_token TEXT NOT NULL,
  ctime      DOUBLE PRECISION NOT NULL,
  embedding  BYTEA NOT NULL,
  embedder   TEXT NOT NULL,
  UNIQUE (user_key, face_token));
CREATE TABLE IF NOT EXISTS fe_counter (id INT PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL);
INSERT INTO fe_counter(id, seq) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS fe_changes (
  seq        BIGINT PRIMARY KEY,
  op         TEXT NOT NULL,
  group_id   TEXT NOT NULL,
  user_id    TEXT,
  face_token TEXT,
  user_info  TEXT,
  ctime      DOUBLE PRECISION,
  embedding  BYTEA,
  at         TIMESTAMPTZ NOT NULL DEFAULT now());
"""

_KEYS = {"groups": "group_key", "users": "user_key", "faces": "face_id"}
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.I)


def redact(url: str) -> str:
    """The URL without its password, for messages and ``library.path``."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


class _Cursor:
    def __init__(self, cur: Any, lastrowid: Optional[int]) -> None:
        self._cur, self.lastrowid = cur, lastrowid

    def fetchone(self) -> Optional[Sequence[Any]]:
        return self._cur.fetchone()

    def fetchall(self) -> List[Sequence[Any]]:
        return self._cur.fetchall()

    def fetchmany(self, n: int) -> List[Sequence[Any]]:
        return self._cur.fetchmany(n)

    def __iter__(self) -> Iterator[Sequence[Any]]:
        return iter(self._cur)


class PgConnection:
    """sqlite3's ``execute`` over a psycopg connection (one transaction at a time)."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        sql = sql.replace("?", "%s")
        match = _INSERT.match(sql)
        key = _KEYS.get(match.group(1).lower()) if match else None
        if key:
            cur = self.raw.execute(sql + f" RETURNING {key}", params)
            return _Cursor(cur, int(cur.fetchone()[0]))
        return _Cursor(self.raw.execute(sql, params), None)


def connect(url: str, autocommit: bool = False, timeout: float = 10.0) -> Any:
    """A psycopg connection; 229025 naming the server (password hidden) when there is none."""
    try:
        import psycopg
    except ImportError as exc:
        raise error(229014, f"a central library needs the [central] extra (pip install "
                            f"'faceedge[central]'): {exc}") from None
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=max(1, int(timeout)))
    except psycopg.Error as exc:
        raise error(229025, f"cannot reach the central library {redact(url)}: "
                            f"{str(exc).strip() or type(exc).__name__}") from None
