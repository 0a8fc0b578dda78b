"""Getting model files onto a device: ``import`` from a folder, ``pull`` from the manifest's
upstream URLs (or an internal mirror), and installing into the user cache.

Every file is identified by its sha256 against the manifest before anything is installed, so a
renamed file is still recognised and a damaged one is never used. Installing is atomic: the copy
goes to a temporary file beside its destination, is hashed again (a USB stick can fail while it is
read), and only then renamed into place; a refused or interrupted file leaves nothing behind in
the models folder. Files the manifest marks ``prepare`` are prepared right after (faceedge.prepare).

Downloads use urllib only. Each goes to ``<cache>/downloads/<name>.part`` and resumes with an HTTP
Range request after an interruption; the sha256 is checked before the file is installed. The
socket timeout is short (:data:`TIMEOUT`), and once a host fails to connect its other URLs are
skipped, so an offline device fails in seconds with ModelError 229004.
"""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from http.client import HTTPException
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Set

from .errors import FaceEdgeError, error
from .models import Manifest, ModelEntry, cache_dir, load_manifest, locate_model, sha256_file
from .progress import Progress

__all__ = ["TIMEOUT", "models_home", "install_file", "import_dir", "pull", "pack_model_ids",
           "prepare_entry"]

TIMEOUT = 10.0  # seconds to connect, and the longest silence tolerated while reading
CHUNK = 1 << 16
Log = Callable[[str], None]


def models_home() -> Path:
    """Where import and pull install files: the user cache's ``models`` folder."""
    return cache_dir() / "models"


def prepare_entry(entry: ModelEntry, path: Path, log: Optional[Log] = None) -> Optional[Path]:
    """Prepares an installed file the manifest marks ``prepare``; the prepared path, else None."""
    if not entry.prepare:
        return None
    from .prepare import prepare_model

    kwargs: Dict[str, Any] = {"log": log} if log is not None else {}
    return prepare_model(path, cache_dir() / "prepared", source_sha256=entry.sha256, **kwargs)


# ---------------------------------------------------------------------------------------------
# Installing
# ---------------------------------------------------------------------------------------------

def install_file(entry: ModelEntry, source: Path, move: bool = False) -> Path:
    """Puts a copy of ``source`` at ``<user cache>/models/<entry.file>``, all or nothing.

    Raises:
        ModelError: 229002 when the copy's size or sha256 is not the manifest's (nothing is
            installed; an earlier copy at the destination stays as it was).
    """
    target = models_home() / entry.file
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=str(target.parent), prefix=f".{target.name}.",
                                    suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, CHUNK * 16)
            out.flush()
            os.fsync(out.fileno())
        _check(entry, tmp, f"the copy of {source}")
        os.replace(tmp, target)
        if move:
            source.unlink()
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def _check(entry: ModelEntry, path: Path, what: str) -> None:
    size, digest = path.stat().st_size, sha256_file(path)
    if size != entry.bytes or digest != entry.sha256:
        raise error(229002, f"{what} has sha256 {digest} ({size} bytes); model {entry.id!r} "
                            f"needs sha256 {entry.sha256} ({entry.bytes} bytes)")


def _already_installed(entry: ModelEntry) -> Optional[Path]:
    target = models_home() / entry.file
    if target.is_file() and target.stat().st_size == entry.bytes \
            and sha256_file(target) == entry.sha256:
        return target
    return None


# ---------------------------------------------------------------------------------------------
# Import from a folder
# ---------------------------------------------------------------------------------------------

def import_dir(folder: os.PathLike, manifest: Optional[Manifest] = None, prepare: bool = True,
               log: Optional[Log] = None) -> List[Dict[str, Any]]:
    """Installs every ``.onnx`` file under ``folder`` that the manifest knows (by sha256).

    Returns one row per file: ``file``, ``sha256``, ``id`` (None when unknown), ``status``
    ("installed", "present" when the cache already has it, "refused"), ``path``, ``prepared``,
    and for refused files ``error_code`` / ``error_msg``: 229002 for a file named like a known
    model but with another sha256 (damaged), 229003 for a file the manifest does not know.
    A refused file is never installed; the others are.

    Raises:
        InvalidParameterError: 229014 ``folder`` is not a directory.
        ModelError: 229001 there is no ``.onnx`` file under it.
    """
    root = Path(os.fspath(folder))
    if not root.is_dir():
        raise error(229014, f"models import needs a directory, got {root}")
    m = manifest or load_manifest()
    files = sorted(p for p in root.rglob("*.onnx") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise error(229001, f"no .onnx files under {root}")
    rows = []
    for path in files:
        digest = sha256_file(path)
        entry = m.by_sha256(digest)
        row: Dict[str, Any] = {"file": str(path.relative_to(root)), "sha256": digest,
                               "id": entry.id if entry else None, "status": "refused",
                               "path": None, "prepared": None}
        try:
            if entry is None:
                raise _unknown(path, digest, m)
            installed = _already_installed(entry)
            row["status"] = "present" if installed else "installed"
            installed = installed or install_file(entry, path)
            row["path"] = str(installed)
            if prepare:
                prepared = prepare_entry(entry, installed, log)
                row["prepared"] = str(prepared) if prepared else None
        except FaceEdgeError as exc:
            if row["status"] != "refused":  # installed, but preparing it failed
                row["status"] = "unprepared"
            row.update(error_code=exc.error_code, error_msg=exc.error_msg)
        rows.append(row)
    return rows


def _unknown(path: Path, digest: str, m: Manifest) -> FaceEdgeError:
    named = [e for e in m.models.values() if Path(e.file).name == path.name]
    if named:
        e = named[0]
        return error(229002, f"{path} has sha256 {digest} ({path.stat().st_size} bytes) but "
                             f"{e.id!r} needs sha256 {e.sha256} ({e.bytes} bytes): damaged or "
                             "another version; not installed")
    return error(229003, f"{path} (sha256 {digest}) is no model of the manifest; not installed")


# ---------------------------------------------------------------------------------------------
# Pull from the network
# ---------------------------------------------------------------------------------------------

def pack_model_ids(names: Iterable[str], manifest: Optional[Manifest] = None) -> List[str]:
    """Model ids for a mix of pack names and model / fused-set ids, members expanded, in order."""
    m = manifest or load_manifest()
    ids: List[str] = []
    for name in names:
        refs = list(m.packs[name].values()) if name in m.packs else [name]
        for ref in refs:
            ids += [e.id for e in m.model_set(ref).members]
    return list(dict.fromkeys(ids))


def pull(names: Iterable[str] = ("default",), manifest: Optional[Manifest] = None,
         mirror: Optional[str] = None, timeout: float = TIMEOUT, prepare: bool = True,
         progress: Optional[bool] = None, log: Optional[Log] = None) -> List[Dict[str, Any]]:
    """Downloads the models of packs or ids that are found nowhere, into the user cache.

    Sources, in order: ``mirror`` (a base URL laid out like ``../shared/models``, e.g. an
    internal server; also ``$FACEEDGE_MODELS_MIRROR``), then the entry's ``download`` list.
    A derived file (the ``_ortfix`` copies) has no upstream URL: its upstream original is pulled
    instead; prepared, it is the same network (the engine's default pack falls back to it).

    Returns one row per model: ``id``, ``status`` ("present", "installed", "failed",
    "no_source"), ``path``, ``found_in``, ``prepared``, ``via`` (the model actually pulled),
    ``error_code`` / ``error_msg`` when not obtained. Nothing half-downloaded is installed;
    partial downloads stay as ``.part`` files and resume on the next call.
    """
    m = manifest or load_manifest()
    mirror = mirror or os.environ.get("FACEEDGE_MODELS_MIRROR") or None
    session = _Session(timeout, progress)
    rows = []
    try:
        for model_id in pack_model_ids(names, m):
            rows.append(_pull_one(m.get(model_id), m, mirror, session, prepare, log))
    finally:
        session.close()
    return rows


def _pull_one(entry: ModelEntry, m: Manifest, mirror: Optional[str], session: "_Session",
              prepare: bool, log: Optional[Log]) -> Dict[str, Any]:
    row: Dict[str, Any] = {"id": entry.id, "status": "present", "path": None, "found_in": None,
                           "prepared": None, "via": entry.id}
    wanted = [entry]
    if entry.derived_from and not mirror:
        wanted.append(m.get(entry.derived_from))  # present already counts too
    for candidate in wanted:
        try:
            row["found_in"], path = locate_model(candidate.id, manifest=m)
            row.update(path=str(path), via=candidate.id)
            return row
        except FaceEdgeError as exc:
            if exc.error_code != 229001:
                row.update(status="failed", error_code=exc.error_code, error_msg=exc.error_msg)
                return row
    target = entry if (mirror or not entry.derived_from) else m.get(entry.derived_from)
    sources = ([{"url": mirror.rstrip("/") + "/" + urllib.parse.quote(target.file)}]
               if mirror else []) + target.downloads
    row["via"] = target.id
    if not sources:
        row.update(status="no_source", error_code=229001, error_msg=(
            f"{target.id!r} has no upstream ONNX file to download ({target.source}); copy it "
            "from a machine that has it and run `faceedge models import DIR`, or pull from a "
            "mirror (--mirror URL)"))
        return row
    failures = []
    for source in sources:
        try:
            downloaded = session.fetch(source, target)
            installed = install_file(target, downloaded, move=True)
            row.update(status="installed", path=str(installed), found_in="user cache")
            if prepare:
                prepared = prepare_entry(target, installed, log)
                row["prepared"] = str(prepared) if prepared else None
            return row
        except FaceEdgeError as exc:
            failures.append(exc)
    worst = next((f for f in failures if f.error_code == 229002), failures[-1])
    row.update(status="failed", error_code=worst.error_code,
               error_msg="; ".join(f.error_msg for f in failures))
    return row


class _Session:
    """Downloads for one pull: remembers hosts that did not answer and archives fetched."""

    def __init__(self, timeout: float, progress: Optional[bool]) -> None:
        self.timeout = float(timeout)
        self.progress = progress
        self.dead_hosts: Set[str] = set()
        self.archives: Dict[str, Path] = {}
        self.folder = cache_dir() / "downloads"

    def close(self) -> None:
        for path in self.archives.values():  # the members are installed; the archive is done
            if path.exists():
                path.unlink()

    def fetch(self, source: Mapping[str, Any], entry: ModelEntry) -> Path:
        """The downloaded file of ``entry`` (verified), from a plain URL or an archive member."""
        url = str(source["url"])
        self.folder.mkdir(parents=True, exist_ok=True)
        if "member" not in source:
            dest = self.folder / Path(entry.file).name
            self._download(url, dest, entry.sha256, entry.bytes)
            return dest
        archive = self.archives.get(url)
        if archive is None or not archive.exists():
            archive = self.folder / Path(urllib.parse.urlparse(url).path).name
            self._download(url, archive, source.get("sha256"), source.get("bytes"))
            self.archives[url] = archive
        dest = self.folder / Path(entry.file).name
        try:
            with zipfile.ZipFile(archive) as zf, zf.open(str(source["member"])) as src, \
                    open(dest, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK * 16)
        except (KeyError, zipfile.BadZipFile, OSError) as exc:
            raise error(229004, f"cannot read {source['member']} from {archive.name}: {exc}") \
                from None
        _check(entry, dest, f"{source['member']} in {url}")
        return dest

    def _download(self, url: str, dest: Path, sha256: Optional[str], size: Optional[int]) -> None:
        """``url`` -> ``dest``, through ``dest.part`` (resumed when present), hash-checked."""
        host = urllib.parse.urlparse(url).netloc
        if host in self.dead_hosts:
            raise error(229004, f"skipped {url}: {host} did not answer before")
        part = dest.with_name(dest.name + ".part")
        offset = part.stat().st_size if part.exists() else 0
        if size and offset > size:
            part.unlink()
            offset = 0
        headers = {"User-Agent": "faceedge-model-pull"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            response = urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                              timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            if exc.code != 416 or not offset:  # 416: the .part is already whole
                raise error(229004, f"{url}: HTTP {exc.code} {exc.reason}") from None
            response = None
        except (urllib.error.URLError, socket.timeout, OSError, HTTPException) as exc:
            self.dead_hosts.add(host)
            reason = getattr(exc, "reason", exc)
            raise error(229004, f"cannot reach {host} ({reason}) within {self.timeout:g} s: "
                                "no network? On an offline device copy the model files from a "
                                "machine that has them and run `faceedge models import DIR`") \
                from None
        if response is not None:
            with response:
                if offset and response.status != 206:  # the server ignored Range: start over
                    offset = 0
                length = response.headers.get("Content-Length")
                total = offset + int(length) if length else size
                self._receive(response, part, offset, total, url)
        if sha256:
            got = sha256_file(part)
            if got != sha256 or (size and part.stat().st_size != size):
                part.unlink()
                raise error(229002, f"{url} gave sha256 {got} ({dest.name}); expected {sha256}. "
                                    "Removed: a changed upstream file or a broken proxy")
        os.replace(part, dest)

    def _receive(self, response: Any, part: Path, offset: int, total: Optional[int],
                 url: str) -> None:
        label = f"downloading {Path(urllib.parse.urlparse(url).path).name}"
        with open(part, "ab" if offset else "wb") as out, \
                Progress(total, label, enabled=self.progress, unit="bytes") as bar:
            bar.advance(offset)
            problem = ""
            try:
                for chunk in iter(lambda: response.read(CHUNK), b""):
                    out.write(chunk)
                    bar.advance(len(chunk))
            except (socket.timeout, OSError, HTTPException) as exc:
                problem = str(exc) or type(exc).__name__
            out.flush()
            if problem or (total is not None and out.tell() < total):  # the connection dropped
                raise error(229004, f"download of {url} interrupted after {out.tell()} bytes "
                                    f"({problem or 'connection closed early'}); the part is "
                                    "kept: run the pull again to resume")
