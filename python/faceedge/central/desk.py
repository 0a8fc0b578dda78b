"""An enrolment desk's library kept current with the other desks' writes.

A desk (:func:`~faceedge.central.store.open_central`) answers searches from its own in-memory
side: the gallery (or, with pgvector search, only the names of groups and users). Its own writes
update that side after COMMIT, as on any library; another desk's writes would not, so without
this a group created at desk A is "223100 does not exist" at desk B and a user deleted at A is
still found at B. :class:`DeskFollower` wakes on the change log like a gate and, when changes
that are not the desk's own have been committed, reloads the in-memory side from one consistent
snapshot (the store's ``known_through`` says up to which change it is current). A reload reads
every face, so it costs what opening the desk does (about 1 s at 100k faces); with pgvector
search it reads only groups and users. Searches keep running on the previous side meanwhile.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from .listen import on_each_change
from .store import CHANNEL

__all__ = ["DeskFollower", "DEFAULT_DESK_POLL"]

log = logging.getLogger("faceedge.central")

DEFAULT_DESK_POLL = 1.0


class DeskFollower:
    """Keeps ``library`` (a FaceLibrary on a :class:`~faceedge.central.store.CentralStore`)
    current with writes made elsewhere, on a daemon thread; stopped when the library closes."""

    def __init__(self, library: Any, poll: float = DEFAULT_DESK_POLL) -> None:
        self.library, self.store = library, library._store
        self.poll = float(poll)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faceedge-desk-follower",
                                        daemon=True)

    def start(self) -> "DeskFollower":
        self.store.on_close.append(self._stop.set)  # no join: close() holds the write lock
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            on_each_change(self.store.url, self.store.path, self._stop, self.poll,
                           self.refresh_if_stale, CHANNEL)
        except Exception:  # the desk keeps serving what it has; say why it stopped following
            if not self._stop.is_set():
                log.exception("faceedge: the desk stopped following %s", self.store.path)

    def refresh_if_stale(self) -> bool:
        """Reload the in-memory side when changes not made here were committed; True if it
        did."""
        store = self.store
        if store.closed or store.head() <= store.known_through:
            return False
        with self.library._write_lock:  # no write of this desk between snapshot and swap
            if store.closed or store.head() <= store.known_through:
                return False
            self.library._rebuild()
        store.desk_reloads += 1
        log.info("faceedge: desk reloaded from %s (changes made elsewhere, up to %d)",
                 store.path, store.known_through)
        return True
