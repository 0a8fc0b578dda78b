"""A gate's library following a central one.

The gate keeps deciding locally: its :class:`~faceedge.FaceLibrary` (SQLite file, in-memory
gallery) answers every search, and :class:`Replica` brings the central change log into it.
Each batch of changes is applied in one local transaction together with the sequence number
of its last change (meta ``central_seq``), and the gallery is updated after COMMIT, as for any
library call. So a gate killed mid-sync has either applied a batch and its position, or
neither: it loses nothing and applies nothing twice. A first sync is the same replay from 0, in
batches, with a progress bar.

Local writes are refused (229024): the central library is the one enrolment source, and a write
taken at one gate would be invisible to the others and overwritten or contradicted by the next
change from the centre. Enrol at the desk (``faceedge serve --central``).

Propagation: the centre sends NOTIFY at COMMIT and a following gate wakes at once; without a
notification (lost connection, a proxy that drops it) the gate polls every ``poll`` seconds
(default 1). A change is therefore searchable on every following gate within about ``poll``
seconds plus the time to apply it, while the gate can reach the server. Offline, the gate keeps
searching what it has and retries the server with a growing pause (up to 5 s).
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from ..errors import error
from ..library.library import REPLICA_KEY, FaceLibrary
from ..progress import Progress
from .listen import on_each_change
from .pg import redact
from .store import CHANNEL, CentralStore, Change

__all__ = ["Replica", "POSITION_KEY", "DEFAULT_POLL"]

POSITION_KEY = "central_seq"
DEFAULT_POLL = 1.0
DEFAULT_BATCH = 2000


class Replica:
    """``library`` following the central library at ``url``.

    Raises:
        LibraryError: 229024 the library follows another central library, or holds
            enrolments of its own; 229025 the server cannot be reached; 229021 the central
            library was enrolled with another embedder.
    """

    def __init__(self, library: FaceLibrary, url: str, batch: int = DEFAULT_BATCH) -> None:
        if not isinstance(library, FaceLibrary):
            raise error(229014, f"library must be a FaceLibrary, got {type(library).__name__}")
        self.library, self.url, self.name = library, url, redact(url)
        self.batch = int(batch)
        following = library.replica_of
        if following and following != self.name:
            raise error(229024, f"{library.path} follows {following}, not {self.name}")
        if not following and library.info()["groups"]:
            raise error(229024, f"{library.path} holds enrolments of its own: a gate follows a "
                                "central library from an empty library")
        store = library._store
        self.central = CentralStore(url, store.embedder, store.dim)

    # ---- position -----------------------------------------------------------------------------

    def position(self) -> int:
        """The sequence number of the last central change applied here (0: none)."""
        return int(self.library._store.setting(POSITION_KEY) or 0)

    def status(self) -> Dict[str, Any]:
        """Position, the centre's head and the lag between them (changes)."""
        position = self.position()
        head = self.central.head()
        return {"central": self.name, "position": position, "head": head,
                "lag": max(0, head - position)}

    # ---- applying -----------------------------------------------------------------------------

    def sync(self, progress: Optional[bool] = None) -> int:
        """Apply every change committed centrally so far; returns how many were applied.
        ``progress``: a bar on stderr (None: when on a terminal and more than one batch)."""
        position = self.position()
        behind = self.central.head() - position
        applied = 0
        enabled = progress if progress is not None else (None if behind > self.batch else False)
        with Progress(behind or None, f"syncing from {self.name}", enabled=enabled) as bar:
            while True:
                changes = self.central.changes_after(position, self.batch)
                if not changes:
                    return applied
                self._apply(changes)
                position = changes[-1][0]
                applied += len(changes)
                bar.advance(len(changes))

    def _apply(self, changes: List[Change]) -> None:
        def body(tx: Any, ch: Any) -> None:
            for change in changes:
                _apply_one(tx, ch, change)
            tx.set_meta(REPLICA_KEY, self.name)
            tx.set_meta(POSITION_KEY, str(changes[-1][0]))

        self.library._commit(body, replicating=True)
        self.library.replica_of = self.name

    # ---- following ----------------------------------------------------------------------------

    def follow(self, stop: threading.Event, poll: float = DEFAULT_POLL,
               on_sync: Optional[Callable[[int], None]] = None) -> None:
        """Apply changes as they are committed until ``stop`` is set: woken by NOTIFY, and at
        least every ``poll`` seconds. Connection failures are logged and retried; the library
        keeps serving searches throughout."""
        def step() -> None:
            applied = self.sync(progress=False)
            if on_sync is not None:
                on_sync(applied)

        on_each_change(self.url, self.name, stop, poll, step, CHANNEL)

    def start(self, poll: float = DEFAULT_POLL) -> "FollowThread":
        """:meth:`follow` on a background thread (a gate script's one line)."""
        return FollowThread(self, poll).start()


class FollowThread:
    """A running :meth:`Replica.follow`; :meth:`stop` ends it."""

    def __init__(self, replica: Replica, poll: float) -> None:
        self.replica, self._stop = replica, threading.Event()
        self._thread = threading.Thread(target=replica.follow, args=(self._stop, poll),
                                        name="faceedge-follow", daemon=True)

    def start(self) -> "FollowThread":
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


# Deletes of something a gate does not hold are skipped: after a compaction (compact.py) a gate
# may meet the delete of a group, user or face whose earlier rows were dropped.
_DELETES = ("group_delete", "user_delete", "face_delete")


def _apply_one(tx: Any, ch: Any, change: Change) -> None:
    """One central change on the gate's transaction, by natural ids; ``ch`` gets what the
    gallery must learn. A change whose target is already in that state is skipped."""
    _seq, op, group_id, user_id, token, user_info, ctime, blob = change
    now = time.time()
    gk = tx.group_key(group_id)
    if op == "group_add":
        if gk is None:
            ch.groups_added.append((tx.add_group(group_id, ctime or now), group_id))
        return
    if gk is None:
        if op in _DELETES:  # what it deletes was never here: rows dropped by a compaction
            return
        raise error(229024, f"central change {_seq} ({op}) names group {group_id!r}, which "
                            "this gate does not hold: resync it into a new library")
    if op == "group_delete":
        users, faces = tx.delete_group(gk)
        ch.faces_removed.extend(faces)
        ch.users_removed.extend(users)
        ch.groups_removed.append(gk)
        return
    user = tx.user(gk, user_id)
    if op == "user_add":
        if user is None:
            key = tx.add_user(gk, user_id, user_info or "", ctime or now)
            ch.users_set.append((key, gk, user_id, user_info or ""))
        return
    if user is None:
        if op in _DELETES:
            return
        raise error(229024, f"central change {_seq} ({op}) names user {user_id!r} of "
                            f"{group_id!r}, which this gate does not hold")
    if op == "user_info":
        tx.set_user_info(user.user_key, user_info or "")
        ch.users_set.append((user.user_key, gk, user_id, user_info or ""))
    elif op == "user_delete":
        ch.faces_removed.extend(tx.delete_user(user.user_key))
        ch.users_removed.append(user.user_key)
    elif op == "face_add":
        if tx.face(user.user_key, token) is None:
            vector = np.frombuffer(blob, dtype="<f4").astype(np.float32)
            face_id = tx.add_face(user.user_key, token, ctime or now, vector)
            ch.faces_added.append((face_id, user.user_key, gk, vector))
    elif op == "face_delete":
        face = tx.face(user.user_key, token)
        if face is not None:
            tx.delete_face(face.face_id)
            ch.faces_removed.append(face.face_id)
    else:
        raise error(229024, f"central change {_seq} has an operation this faceedge does not "
                            f"know ({op!r}): upgrade faceedge on this gate")
