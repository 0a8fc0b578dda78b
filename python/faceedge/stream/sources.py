"""Frames from a file, a USB camera or a network stream, without ever falling behind.

:class:`VideoSource` reads with OpenCV's ``VideoCapture`` on a reader thread into a bounded
buffer. For a live source (a camera index, an ``rtsp://`` / ``http://`` URL) the buffer keeps
only the newest ``buffer`` frames: when processing is slower than the camera, stale frames are
dropped (counted in ``dropped``) instead of queueing up, so what is processed is always what
the camera sees now. A file is read at processing speed with no drops (every frame is
processed, as a recording should be), unless ``live=True`` asks to treat it as a camera.

When a read fails (a camera unplugged, a stream dropped, a file truncated), a source with
``reconnect`` reopens it after a backoff that doubles from ``backoff`` to ``max_backoff``
seconds, up to ``max_reconnects`` times in a row (None: forever); a reopened source that then
delivers ``healthy_after`` frames resets the count (one that fails after a few frames every
time, like a truncated file, does not). :func:`stop_on_signals` makes SIGINT and SIGTERM stop the source cleanly: iteration
ends, the reader thread exits and the capture is released.
"""
from __future__ import annotations

import signal
import threading
import time
from collections import deque
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Deque, Iterator, Optional, Tuple, Union

import numpy as np

from ..errors import error

__all__ = ["VideoSource", "open_source", "stop_on_signals", "is_live_source"]

SourceSpec = Union[str, int, Path]


def is_live_source(source: SourceSpec) -> bool:
    """A camera index ("0", 0) or a URL is live; anything else is a file."""
    if isinstance(source, int):
        return True
    text = str(source)
    return text.isdigit() or "://" in text


def _open_capture(source: SourceSpec):
    import cv2

    spec: Any = int(source) if isinstance(source, int) or str(source).isdigit() else str(source)
    return cv2.VideoCapture(spec)


class VideoSource:
    """Iterate ``(frame, timestamp)`` pairs: BGR uint8 frames and seconds (the file position
    for files, time since the source started for live sources).

    Args:
        source: a file path, a camera index (int or digit string) or a URL (rtsp, http).
        live: drop stale frames (default: True for cameras and URLs, False for files).
        buffer: frames kept waiting (1: only the newest).
        reconnect: reopen after a failed read (default: True for live sources, False for files).
        backoff, max_backoff: the first and the longest wait before reopening, seconds.
        max_reconnects: reopenings in a row before giving up (None: forever).
        healthy_after: frames a reopened source must deliver to reset that count.
        capture_factory: ``source -> cv2.VideoCapture``-like object (for other backends).

    Raises (on iteration):
        ImageError: 216201 when the source cannot be opened at all (and reconnect gives up).
    """

    def __init__(self, source: SourceSpec, live: Optional[bool] = None, buffer: int = 1,
                 reconnect: Optional[bool] = None, backoff: float = 0.5,
                 max_backoff: float = 8.0, max_reconnects: Optional[int] = 10,
                 healthy_after: int = 50, capture_factory: Callable[[SourceSpec], Any] = _open_capture) -> None:
        if buffer < 1:
            raise error(229014, f"buffer must be >= 1 frame, got {buffer}")
        if backoff <= 0 or max_backoff < backoff:
            raise error(229014, f"need 0 < backoff <= max_backoff, got {backoff}, {max_backoff}")
        self.source = source
        self.live = is_live_source(source) if live is None else bool(live)
        self.reconnect = is_live_source(source) if reconnect is None else bool(reconnect)
        self.backoff, self.max_backoff = float(backoff), float(max_backoff)
        self.max_reconnects = max_reconnects
        self.healthy_after = max(1, int(healthy_after))
        self._factory = capture_factory
        self._frames: Deque[Tuple[np.ndarray, float]] = deque()
        self._buffer = buffer
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._done = False
        self._thread: Optional[threading.Thread] = None
        self.read = 0          # frames read from the capture
        self.dropped = 0       # stale frames dropped (live sources)
        self.reconnects = 0    # reopenings after a failure
        self.last_error: Optional[str] = None
        self.fps: Optional[float] = None

    # ---- life cycle ---------------------------------------------------------------------------

    def start(self) -> "VideoSource":
        if self._thread is None:
            self._thread = threading.Thread(target=self._reader, name="faceedge-video-source",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Ends the iteration soon (safe from a signal handler and from any thread)."""
        self._stop.set()
        # No lock here: a signal handler may interrupt the consumer while it holds the lock.
        # The consumer waits with a timeout and checks the flag.

    def close(self) -> None:
        """Stops the reader thread and releases the capture."""
        self.stop()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> "VideoSource":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    # ---- consumer -----------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Tuple[np.ndarray, float]]:
        self.start()
        try:
            while True:
                with self._cond:
                    while not self._frames and not self._done and not self._stop.is_set():
                        self._cond.wait(0.1)
                    if self._stop.is_set() or (not self._frames and self._done):
                        break
                    item = self._frames.popleft()
                    self._cond.notify_all()
                yield item
            if self.read == 0 and self.last_error and not self._stop.is_set():
                raise error(216201, f"video source {self.source}: {self.last_error}")
        finally:
            self.close()

    # ---- reader thread ------------------------------------------------------------------------

    def _reader(self) -> None:
        started = time.monotonic()
        failures = 0
        since_open = 0
        cap = None
        try:
            while not self._stop.is_set():
                if cap is None:
                    cap = self._factory(self.source)
                    if not cap.isOpened():
                        cap.release()
                        cap = None
                        self.last_error = "cannot be opened"
                        if not self._retry(failures):
                            break
                        failures += 1
                        continue
                    fps = cap.get(5)  # cv2.CAP_PROP_FPS
                    self.fps = float(fps) if fps and fps > 0 else None
                    since_open = 0
                ok, frame = cap.read()
                if not ok or frame is None:
                    cap.release()
                    cap = None
                    self.last_error = "read failed (end of stream or connection lost)"
                    if not self._retry(failures):
                        break
                    failures += 1
                    continue
                since_open += 1
                if since_open >= self.healthy_after:
                    failures = 0
                self.read += 1
                if self.live:
                    ts = time.monotonic() - started
                else:
                    ts = float(cap.get(0)) / 1000.0  # cv2.CAP_PROP_POS_MSEC
                self._put((frame, ts))
        finally:
            if cap is not None:
                cap.release()
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def _retry(self, failures: int) -> bool:
        """Waits the backoff before reopening; False when the source should give up."""
        if not self.reconnect or self._stop.is_set():
            return False
        if self.max_reconnects is not None and failures >= self.max_reconnects:
            self.last_error = f"{self.last_error}; gave up after {failures} reconnects"
            return False
        self._stop.wait(min(self.max_backoff, self.backoff * (2 ** failures)))
        if self._stop.is_set():
            return False
        self.reconnects += 1
        return True

    def _put(self, item: Tuple[np.ndarray, float]) -> None:
        with self._cond:
            if self.live:
                while len(self._frames) >= self._buffer:
                    self._frames.popleft()  # the consumer is behind: the oldest frame is stale
                    self.dropped += 1
            else:
                while len(self._frames) >= self._buffer and not self._stop.is_set():
                    self._cond.wait(0.1)
            self._frames.append(item)
            self._cond.notify_all()


def open_source(source: SourceSpec, **options: Any) -> VideoSource:
    """A started :class:`VideoSource` (see its arguments)."""
    return VideoSource(source, **options).start()


@contextmanager
def stop_on_signals(source: VideoSource, signals=(signal.SIGINT, signal.SIGTERM)):
    """Within the block, SIGINT / SIGTERM stop ``source`` (iteration ends cleanly) instead of
    raising KeyboardInterrupt or killing the process; the old handlers come back after it.
    Only in the main thread (elsewhere it does nothing)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []

    def handler(signum, _frame):
        received.append(signum)
        source.stop()

    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
