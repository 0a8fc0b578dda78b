"""The calibration file: a versioned JSON written by ``faceedge calibrate`` and loaded by engines.

One file per kind (``faces``, ``liveness``, ``detection``). Each names the model files it is
valid for by manifest id and sha256; an engine running other models refuses it (229030). Layout::

    {"format": "faceedge-calibration", "version": 1, "kind": "faces", "id": "faces-<12 hex>",
     "created": "...", "faceedge_version": "...",
     "models": {"embedder": {"id", "sha256", "embedding_space"}, "detector": {...}},
     "data": {"dir", "sha256", "files", ...}, "counts": {...},
     ... the kind's figures (see faces.py, liveness.py, detection.py) ...,
     "refused": ["claims the counts do not support, and what they would take"]}
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from ..errors import error

__all__ = ["FORMAT", "VERSION", "KINDS", "Calibration", "load_calibration", "write_calibration",
           "new_calibration", "data_digest", "CalibrationArg", "calibration_files"]

FORMAT = "faceedge-calibration"
VERSION = 1
KINDS = ("faces", "liveness", "detection")
ENV = "FACEEDGE_CALIBRATION"

CalibrationArg = Union[None, str, os.PathLike, "Calibration", Mapping[str, Any],
                       Sequence[Union[str, os.PathLike, "Calibration", Mapping[str, Any]]]]


@dataclass(frozen=True)
class Calibration:
    """A loaded calibration file: its ``kind``, ``id``, where it came from and its JSON."""

    kind: str
    id: str
    path: Optional[str]
    raw: Mapping[str, Any] = field(compare=False, repr=False)

    @property
    def models(self) -> Mapping[str, Any]:
        return self.raw.get("models") or {}

    def summary(self) -> Dict[str, Any]:
        """What replies and ``info()`` show: id, kind, file, data hash and counts."""
        return {"id": self.id, "kind": self.kind, "file": self.path,
                "data_sha256": (self.raw.get("data") or {}).get("sha256"),
                "counts": dict(self.raw.get("counts") or {}),
                "refused": list(self.raw.get("refused") or [])}

    def to_json(self) -> str:
        return json.dumps(self.raw, indent=2, ensure_ascii=False) + "\n"


def new_calibration(kind: str, models: Mapping[str, Any], data: Mapping[str, Any],
                    counts: Mapping[str, Any], figures: Mapping[str, Any],
                    refused: Iterable[str]) -> Calibration:
    """A calibration of ``kind`` (not yet written); its id is the kind and a hash of the data and
    the models."""
    from .. import __version__

    # The id names the data and the models: the same photos measured with another embedder
    # make another calibration.
    ident = json.dumps({"data": data["sha256"], "models": models}, sort_keys=True)
    cal_id = f"{kind}-{hashlib.sha256(ident.encode('utf-8')).hexdigest()[:12]}"
    raw: Dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "kind": kind, "id": cal_id,
        "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "faceedge_version": __version__, "models": dict(models), "data": dict(data),
        "counts": dict(counts), **figures, "refused": list(refused)}
    return Calibration(kind=kind, id=cal_id, path=None, raw=raw)


def write_calibration(cal: Calibration, path: Union[str, os.PathLike]) -> Calibration:
    """Write ``cal`` to ``path`` (atomically: a temporary file renamed); returns it with path."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        if target.parent and not target.parent.is_dir():
            target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(cal.to_json(), encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        raise error(229014, f"cannot write the calibration file {str(target)!r}: "
                            f"{exc.strerror or exc}") from None
    return Calibration(kind=cal.kind, id=cal.id, path=str(target), raw=cal.raw)


def load_calibration(source: Union[str, os.PathLike, Calibration, Mapping[str, Any]]
                     ) -> Calibration:
    """A calibration from a file path, a parsed JSON object or a :class:`Calibration`.

    Raises:
        CalibrationError: 229031 when it is not a faceedge calibration of a known version.
    """
    if isinstance(source, Calibration):
        return source
    path: Optional[str] = None
    if isinstance(source, Mapping):
        raw: Any = source
    else:
        path = str(source)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise error(229031, f"cannot read calibration file {path!r}: "
                                f"{exc.strerror or exc}") from None
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise error(229031, f"calibration file {path!r} is not JSON: {exc}") from None
    where = repr(path) if path else "object"
    if not isinstance(raw, Mapping) or raw.get("format") != FORMAT:
        raise error(229031, f"calibration {where} is not a faceedge calibration "
                            f"(format {FORMAT!r}; write one with faceedge calibrate)")
    if raw.get("version") != VERSION:
        raise error(229031, f"calibration {where} has version {raw.get('version')!r}; this "
                            f"faceedge reads version {VERSION}: re-run faceedge calibrate")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise error(229031, f"calibration {where} has kind {kind!r}, not one of "
                            f"{', '.join(KINDS)}")
    needed = {"faces": ("score80",), "liveness": ("thresholds",), "detection": ("det_threshold",)}
    missing = [k for k in needed[kind] + ("models", "data", "id") if k not in raw]
    if missing:
        raise error(229031, f"calibration {where} lacks {', '.join(missing)}")
    return Calibration(kind=str(kind), id=str(raw["id"]), path=path, raw=raw)


def calibration_files(arg: CalibrationArg) -> List[Calibration]:
    """The calibrations an engine is given: ``arg`` (one or a list), or when it is None the
    files named by ``$FACEEDGE_CALIBRATION`` (paths separated by ``os.pathsep``). At most one
    per kind (229014 otherwise)."""
    if arg is None:
        env = os.environ.get(ENV, "").strip()
        items: List[Any] = [p for p in env.split(os.pathsep) if p.strip()] if env else []
    elif isinstance(arg, (str, os.PathLike, Calibration, Mapping)):
        items = [arg]
    else:
        items = list(arg)
    found = [load_calibration(item) for item in items]
    kinds = [c.kind for c in found]
    doubles = sorted({k for k in kinds if kinds.count(k) > 1})
    if doubles:
        raise error(229014, f"more than one {' and '.join(doubles)} calibration given: pass at "
                            "most one file per kind")
    return found


def data_digest(root: Path, files: Sequence[Path], extra: str = "") -> str:
    """sha256 over the data: each file's path relative to ``root`` and its content's sha256, in
    sorted order (so the same photos in the same layout give the same hash on any machine)."""
    h = hashlib.sha256()
    for f in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        h.update(f.relative_to(root).as_posix().encode("utf-8") + b"\0")
        h.update(hashlib.sha256(f.read_bytes()).hexdigest().encode("ascii") + b"\n")
    h.update(extra.encode("utf-8"))
    return h.hexdigest()
