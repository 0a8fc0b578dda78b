"""Where a gate's library stands against the central library it follows, for
``faceedge library info`` (no psycopg needed when the centre cannot be asked)."""
from __future__ import annotations

from typing import Any, Dict

__all__ = ["replica_status"]


def replica_status(library: Any) -> Dict[str, Any]:
    """``replica_of``, ``replica_position`` and, when the centre answers, ``central_head`` and
    ``replica_lag`` (changes not yet applied here). The library's file holds the centre's URL
    without its password, so the head is asked only of a centre that needs none."""
    from .replica import POSITION_KEY

    out: Dict[str, Any] = {"replica_of": library.replica_of,
                           "replica_position": int(library._store.setting(POSITION_KEY) or 0)}
    try:
        from .pg import connect

        with connect(library.replica_of, autocommit=True, timeout=3) as conn:
            head = conn.execute("SELECT seq FROM fe_counter WHERE id = 1").fetchone()[0]
        out["central_head"] = int(head)
        out["replica_lag"] = max(0, int(head) - out["replica_position"])
    except Exception as exc:  # offline gate, or a centre that needs a password: say so
        out["central_head"] = f"unknown ({str(exc).strip()[:120]})"
    return out
