"""Owner-only files for biometric data: the library (raw embeddings), its WAL and shared-memory
files, and the enrolment journal (absolute photo paths).

New files are created 0600 whatever the umask says (SQLite gives ``-wal`` and ``-shm`` the mode
of the database file, so creating that one 0600 covers all three).

An *existing* file that the group or others may read is reported with an
:class:`InsecureFileWarning`, once per path and process, and left as it is: its mode may be a
deliberate choice (a backup user in the file's group), and changing permissions of a file the
caller did not ask faceedge to change would be a surprise. ``faceedge library protect --library
PATH`` (or :func:`protect`) makes them owner-only.
"""
from __future__ import annotations

import os
import stat
import threading
import warnings
from pathlib import Path
from typing import Iterable, List, Set

__all__ = ["InsecureFileWarning", "create_private", "warn_if_readable_by_others", "protect",
           "library_files", "PRIVATE_MODE", "JOURNAL_SUFFIX"]

PRIVATE_MODE = 0o600
# `faceedge enroll`'s journal beside the library (faceedge.cli.enroll); named here so that
# `protect` and the warning cover it.
JOURNAL_SUFFIX = ".enrolled.jsonl"
_warned: Set[str] = set()
_warned_lock = threading.Lock()


class InsecureFileWarning(UserWarning):
    """A file holding biometric data can be read by other local users."""


def create_private(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 when it does not exist; True if it was created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                     PRIVATE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def library_files(library_path: Path) -> List[Path]:
    """The library file and its companions that hold biometric data (existing or not)."""
    base = str(library_path)
    return [Path(base + suffix) for suffix in ("", "-wal", "-shm", JOURNAL_SUFFIX)]


def warn_if_readable_by_others(paths: Iterable[Path]) -> None:
    """An :class:`InsecureFileWarning` for each existing file with group or other permission
    bits (once per path per process)."""
    exposed = []
    for path in paths:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            continue
        if stat.S_ISREG(mode) and mode & 0o077:
            key = os.path.abspath(path)
            with _warned_lock:
                if key in _warned:
                    continue
                _warned.add(key)
            exposed.append(f"{path} ({stat.filemode(mode)})")
    if exposed:
        warnings.warn(f"face data readable by other local users: {', '.join(exposed)}; "
                      "run `faceedge library protect --library PATH` (chmod 600) unless that "
                      "is intended", InsecureFileWarning, stacklevel=3)


def protect(paths: Iterable[Path]) -> List[Path]:
    """chmod 0600 every existing file of ``paths``; returns the files changed."""
    changed = []
    for path in paths:
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            continue
        if stat.S_IMODE(mode) != PRIVATE_MODE:
            os.chmod(path, PRIVATE_MODE)
            changed.append(path)
        with _warned_lock:
            _warned.discard(os.path.abspath(path))
    return changed
