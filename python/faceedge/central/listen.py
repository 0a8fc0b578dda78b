"""Waking on the central library's changes: NOTIFY at COMMIT, a poll bound when notifications
are lost, and a growing pause while the server cannot be reached. Gates (:mod:`.replica`) and
enrolment desks (:mod:`.desk`) both follow the change log this way."""
from __future__ import annotations

import logging
import threading
from typing import Callable

from ..errors import FaceEdgeError
from .pg import connect

__all__ = ["on_each_change", "MAX_BACKOFF"]

log = logging.getLogger("faceedge.central")

MAX_BACKOFF = 5.0


def on_each_change(url: str, name: str, stop: threading.Event, poll: float,
                   step: Callable[[], None], channel: str) -> None:
    """Call ``step`` now, then each time ``channel`` is notified and at least every ``poll``
    seconds, until ``stop`` is set. A lost server is logged and retried (pause doubling up to
    :data:`MAX_BACKOFF`); other errors end the loop."""
    pause = poll
    while not stop.is_set():
        try:
            listener = connect(url, autocommit=True)
            try:
                listener.execute(f"LISTEN {channel}")
                pause = poll
                while not stop.is_set():
                    step()
                    for _ in listener.notifies(timeout=poll, stop_after=1):
                        pass
            finally:
                listener.close()
        except FaceEdgeError as exc:
            if exc.error_code != 229025:
                raise
            if stop.is_set():  # the library closed meanwhile: nothing to report
                return
            log.warning("faceedge: %s; retrying in %.1f s", exc.detail or exc, pause)
        except Exception as exc:  # psycopg's OperationalError from the listener
            if type(exc).__module__.split(".")[0] != "psycopg":
                raise
            if stop.is_set():
                return
            log.warning("faceedge: lost %s (%s); retrying in %.1f s", name, str(exc).strip(),
                        pause)
        stop.wait(pause)
        pause = min(MAX_BACKOFF, pause * 2)
