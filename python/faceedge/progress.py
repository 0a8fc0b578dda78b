"""A dependency-free progress bar for long work (folder enrolment, model downloads, preparation).

On a terminal it redraws one line (``\\r``) at most 10 times a second; on a pipe or a file it writes
nothing until :meth:`Progress.close`, which prints one summary line, so logs stay readable.
"""
from __future__ import annotations

import sys
import time
from typing import IO, Optional

__all__ = ["Progress", "human_bytes"]


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0
    return f"{n:.1f} GB"  # pragma: no cover


class Progress:
    """``with Progress(total, "enrolling") as bar: ... bar.advance()``.

    Args:
        total: the amount of work (items, or bytes with ``unit="bytes"``); None when unknown.
        label: a few words shown before the bar.
        stream: where to draw (stderr by default).
        enabled: False draws nothing at all; None (default) draws live only on a terminal.
        unit: ``"items"`` or ``"bytes"`` (shown as KB/MB).
    """

    def __init__(self, total: Optional[float], label: str, stream: Optional[IO[str]] = None,
                 enabled: Optional[bool] = None, unit: str = "items") -> None:
        self.total = total
        self.label = label
        self.done = 0.0
        self.unit = unit
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled is not False
        self._live = bool(enabled) if enabled is not None else _isatty(self._stream)
        self._start = time.monotonic()
        self._last_draw = 0.0
        self._closed = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def advance(self, amount: float = 1, note: str = "") -> None:
        self.done += amount
        now = time.monotonic()
        if self._live and self._enabled and (now - self._last_draw >= 0.1 or self._finished()):
            self._last_draw = now
            self._stream.write("\r" + self._line(note)[:120].ljust(80))
            self._stream.flush()

    def close(self, note: str = "") -> None:
        """Ends the line (terminal) or prints the one summary line (pipe)."""
        if self._closed or not self._enabled:
            self._closed = True
            return
        self._closed = True
        if self._live:
            self._stream.write("\r" + self._line(note)[:120].ljust(80) + "\n")
        else:
            self._stream.write(self._line(note) + "\n")
        self._stream.flush()

    def _finished(self) -> bool:
        return self.total is not None and self.done >= self.total

    def _amount(self, n: float) -> str:
        return human_bytes(n) if self.unit == "bytes" else f"{n:.0f}"

    def _line(self, note: str) -> str:
        elapsed = time.monotonic() - self._start
        if self.total:
            frac = min(1.0, self.done / self.total)
            filled = int(frac * 24)
            bar = "#" * filled + "." * (24 - filled)
            text = (f"{self.label} [{bar}] {self._amount(self.done)}/{self._amount(self.total)} "
                    f"{frac * 100:3.0f}% {elapsed:.1f}s")
        else:
            text = f"{self.label} {self._amount(self.done)} {elapsed:.1f}s"
        return f"{text} {note}".rstrip()


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
