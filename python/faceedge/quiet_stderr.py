"""Keep the image decoders' complaints about damaged data off the process's stderr.

Inside ``cv2.imdecode``, libjpeg ("Corrupt JPEG data: premature end of data segment", "Premature
end of JPEG file") and libpng ("libpng warning: iCCP: CRC error", "libpng error: ...") report with
``fprintf(stderr, ...)``. OpenCV's log level does not govern them (measured with opencv 5.1:
``cv2.utils.logging.setLogLevel(LOG_LEVEL_SILENT)`` and ``OPENCV_LOG_LEVEL=SILENT`` leave every
line in place), and faceedge answers damaged data with an error code (216201) or with the
picture the decoder could make of it, so the lines only litter a gate's log.

The one handle on them is file descriptor 2. While any thread decodes, fd 2 points at an
unlinked temporary file; when a decode ends, what landed there is copied to the real stderr
except the decoders' lines. The redirect is counted, not locked around the decode, so decodes
in different threads still run in parallel (cv2 releases the GIL), and nothing another thread
writes meanwhile is lost: its lines reach stderr when the decode that overlapped them ends (a
few milliseconds late). Limits, stated rather than hidden: a child process started by another
thread during a decode inherits the temporary file as its stderr, and a hard crash during a
decode leaves its last words in that file. A process forked during a decode gets its stderr back
at once (``os.register_at_fork``). When fd 2 cannot be redirected (closed, no file descriptors
left) the decode runs unredirected.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from contextlib import contextmanager
from typing import Iterator, Optional

__all__ = ["quiet_stderr", "is_decoder_chatter"]

# Lines the decoders print about damaged input: libjpeg's warnings (its JWRN_* messages; its
# errors go to OpenCV's error_exit, which prints nothing), libpng's warnings and errors, and
# OpenCV's own notes from the image codecs.
_CHATTER = re.compile(
    rb"^(Corrupt JPEG data|Premature end of JPEG file|Invalid SOS parameters|"
    rb"Inconsistent progression sequence|Warning: unknown JFIF revision|"
    rb"Warning: thumbnail image size|Application transferred too many scanlines|"
    rb"Unsupported marker type|libpng (warning|error)|"
    rb"\[ ?(WARN|ERROR|INFO):[^\]]*\] global (loadsave|grfmt_)\S*)")


def is_decoder_chatter(line: bytes) -> bool:
    """Whether one stderr line is an image decoder's complaint that faceedge keeps quiet."""
    return _CHATTER.match(line.lstrip()) is not None


class _Capture:
    """The process-wide state: how many decodes are running and where fd 2 really goes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.saved: Optional[int] = None   # a duplicate of the real stderr, while redirected
        self.sink: Optional[int] = None    # the unlinked temporary file fd 2 points at
        self.read_upto = 0
        self.partial = b""                 # an unfinished last line, kept for the next copy

    def enter(self) -> bool:
        with self.lock:
            if self.depth == 0 and not self._redirect():
                return False
            self.depth += 1
            return True

    def leave(self) -> None:
        with self.lock:
            self.depth -= 1
            if self.depth == 0:
                os.dup2(self.saved, 2)  # first, so nothing written from now on is captured
                self._pass_on(final=True, out=2)
                os.close(self.saved)
                os.close(self.sink)
                self.saved = self.sink = None
            else:
                self._pass_on(final=False, out=self.saved)

    def _redirect(self) -> bool:
        try:
            sys.stderr.flush()  # Python's buffered text belongs before the redirect
        except Exception:  # noqa: BLE001 (a closed or replaced sys.stderr: nothing to flush)
            pass
        saved = sink = None
        try:
            saved = os.dup(2)
            sink = _unlinked_file()
            os.dup2(sink, 2)
        except OSError:
            for fd in (saved, sink):
                if fd is not None:
                    os.close(fd)
            return False
        self.saved, self.sink, self.read_upto, self.partial = saved, sink, 0, b""
        return True

    def _pass_on(self, final: bool, out: int) -> None:
        """Copy the captured lines that are not decoder chatter to ``out`` (the real stderr)."""
        assert self.sink is not None
        chunks = []
        while True:
            chunk = os.pread(self.sink, 1 << 16, self.read_upto) if hasattr(os, "pread") \
                else _read_at(self.sink, self.read_upto)
            if not chunk:
                break
            self.read_upto += len(chunk)
            chunks.append(chunk)
        lines = (self.partial + b"".join(chunks)).split(b"\n")
        tail = lines.pop()  # what follows the last newline: an unfinished line, or b""
        kept = b"".join(line + b"\n" for line in lines if not is_decoder_chatter(line))
        if final:  # nobody will finish the line now: pass it on as it is
            kept += b"" if is_decoder_chatter(tail) else tail
            tail = b""
        self.partial = tail
        while kept:
            try:
                kept = kept[os.write(out, kept):]
            except OSError:  # the real stderr is gone: nothing more to do
                return

    def reset_in_child(self) -> None:
        """After fork: the decodes that held the redirect live on in the parent only."""
        self.lock = threading.Lock()  # it may have been held by a thread the child lacks
        if self.saved is not None:
            try:
                os.dup2(self.saved, 2)
                os.close(self.saved)
                os.close(self.sink)
            except OSError:
                pass
        self.depth, self.saved, self.sink, self.read_upto, self.partial = 0, None, None, 0, b""


def _unlinked_file() -> int:
    fd, path = tempfile.mkstemp(prefix="faceedge-stderr-")
    try:
        os.unlink(path)  # on Windows an open file cannot be unlinked: removed at exit instead
    except OSError:
        import atexit

        atexit.register(lambda: os.path.exists(path) and os.unlink(path))
    return fd


def _read_at(fd: int, offset: int) -> bytes:
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, 1 << 16)


_CAPTURE = _Capture()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_CAPTURE.reset_in_child)


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Run the body with the image decoders' stderr lines held back (see the module notes).
    Safe to use from many threads at once; re-entrant."""
    entered = _CAPTURE.enter()
    try:
        yield
    finally:
        if entered:
            _CAPTURE.leave()
