"""Compacting the central change log: dropping the rows whose effect a later row undoes.

The log only grows: every enrolment carries its embedding, so a gate's first sync replays
faces deleted years ago. Compaction deletes, in one transaction,

* every row of a group before that group's last ``group_delete``,
* every row of a user before that user's last ``user_delete``,
* every ``face_add`` / ``face_delete`` of a face token before that token's last ``face_delete``,
* every ``user_info`` before the user's last one,

and keeps the deletes themselves (tombstones: a few dozen bytes, no embedding). That is safe
for a gate at *any* position, without knowing where the gates are: a gate that had applied a
dropped row still receives the later row that undoes it, and a gate that had not never needed
it (a replica skips a delete of what it does not hold). Sequence numbers are not changed, so
positions keep their meaning; the log just has holes, counted in meta ``log_pruned`` so that
:meth:`CentralStore.integrity_check` still balances the log against the counter.
"""
from __future__ import annotations

from typing import Dict

from ..errors import error
from .pg import connect, redact

__all__ = ["compact_log"]

# (what a statement drops, the statement). Each runs after the ones before it, in one transaction.
_PRUNE = [
    ("rows of deleted groups",
     "WITH t AS (SELECT group_id, MAX(seq) AS d FROM fe_changes WHERE op = 'group_delete' "
     "GROUP BY group_id) "
     "DELETE FROM fe_changes c USING t WHERE c.group_id = t.group_id AND c.seq < t.d"),
    ("rows of deleted users",
     "WITH t AS (SELECT group_id, user_id, MAX(seq) AS d FROM fe_changes "
     "WHERE op = 'user_delete' GROUP BY group_id, user_id) "
     "DELETE FROM fe_changes c USING t WHERE c.group_id = t.group_id "
     "AND c.user_id = t.user_id AND c.seq < t.d"),
    ("rows of deleted faces",
     "WITH t AS (SELECT group_id, user_id, face_token, MAX(seq) AS d FROM fe_changes "
     "WHERE op = 'face_delete' GROUP BY group_id, user_id, face_token) "
     "DELETE FROM fe_changes c USING t WHERE c.op IN ('face_add', 'face_delete') "
     "AND c.group_id = t.group_id AND c.user_id = t.user_id AND c.face_token = t.face_token "
     "AND c.seq < t.d"),
    ("superseded user_info rows",
     "WITH t AS (SELECT group_id, user_id, MAX(seq) AS d FROM fe_changes "
     "WHERE op = 'user_info' GROUP BY group_id, user_id) "
     "DELETE FROM fe_changes c USING t WHERE c.op = 'user_info' "
     "AND c.group_id = t.group_id AND c.user_id = t.user_id AND c.seq < t.d"),
]


def compact_log(url: str) -> Dict[str, object]:
    """Drop the undone rows of the change log at ``url``; returns what it did (rows and
    payload bytes before and after, rows dropped per kind, the head)."""
    conn = connect(url, autocommit=True)
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(4607811)")  # one compaction at a time
            if conn.execute("SELECT to_regclass('fe_changes')").fetchone()[0] is None:
                raise error(229022, f"{redact(url)} holds no faceedge central library")
            head = int(conn.execute("SELECT seq FROM fe_counter WHERE id = 1").fetchone()[0])
            before = conn.execute("SELECT COUNT(*), COALESCE(SUM(octet_length(embedding)), 0) "
                                  "FROM fe_changes").fetchone()
            dropped: Dict[str, int] = {}
            for what, statement in _PRUNE:
                dropped[what] = conn.execute(statement).rowcount
            total = sum(dropped.values())
            conn.execute("INSERT INTO meta(key, value) VALUES ('log_pruned', %s) "
                         "ON CONFLICT (key) DO UPDATE SET value = "
                         "(meta.value::bigint + EXCLUDED.value::bigint)::text", (str(total),))
            after = conn.execute("SELECT COUNT(*), COALESCE(SUM(octet_length(embedding)), 0) "
                                 "FROM fe_changes").fetchone()
    finally:
        conn.close()
    return {"central": redact(url), "head": head, "rows_before": int(before[0]),
            "rows_after": int(after[0]), "embedding_bytes_before": int(before[1]),
            "embedding_bytes_after": int(after[1]), "dropped": dropped}
