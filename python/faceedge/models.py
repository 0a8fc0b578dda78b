"""The model manifest, and where model files are found and verified.

Models are data, resolved at run time. For a manifest entry whose ``file`` is, say,
``detection/yunet_s_dynamic.onnx``, :func:`find_model` looks in order in

1. the directories passed explicitly (``models=``; a path to the ``.onnx`` file itself also works),
2. ``$FACEEDGE_MODELS`` (one directory, or several joined with ``os.pathsep``),
3. the user cache: ``$XDG_CACHE_HOME/faceedge/models`` or ``~/.cache/faceedge/models`` (where
   ``faceedge models import`` and ``faceedge models pull`` install files),
4. the files packaged with faceedge itself: the default pack (YuNet, SFace, the MiniFASNet pair)
   ships inside the wheel as ``faceedge/model_pack`` (``models/`` of a source tree), so a fresh
   offline install has every default call.

and in each directory tries the manifest layout (``<dir>/detection/yunet_s_dynamic.onnx``, as in
``../shared/models``) and then the flat one (``<dir>/yunet_s_dynamic.onnx``). The first file that
exists is checked against the manifest's size and sha256: a mismatch is a
:class:`~faceedge.errors.ModelError` 229002 (never a silent fall-through to another copy); no file
anywhere is a ModelError 229001 naming the file, the sha256 it must have, and every place searched.
A successful check is remembered per (path, mtime, size) for the life of the process.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from .errors import error

__all__ = [
    "ModelEntry",
    "ModelSet",
    "Manifest",
    "load_manifest",
    "manifest_path",
    "search_dirs",
    "cache_dir",
    "find_model",
    "locate_model",
    "choose_model",
    "Choice",
    "list_models",
    "verify_models",
    "sha256_file",
    "packaged_models_dir",
]

PathLike = Union[str, "os.PathLike[str]"]
ModelsArg = Union[None, PathLike, Sequence[PathLike]]

ROLES = ("detector", "embedder", "liveness", "landmarks", "attribute")

PACKAGED_LABEL = "packaged"


@dataclass(frozen=True)
class ModelEntry:
    """One model of the manifest (see ``models/README.md`` for the cards)."""

    id: str
    role: str
    family: str
    file: str
    bytes: int
    sha256: str
    licence: str
    source: str
    runnable: bool = True
    prepare: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def calibration(self) -> Mapping[str, Any]:
        """The manifest's calibration block (empty when the model has none)."""
        return self.raw.get("calibration") or {}

    @property
    def score80_cosine(self) -> float:
        """Embedders: the cosine that maps to score 80 (the calibrated FAR 1e-4 point)."""
        cal = self.calibration
        if self.role != "embedder" or "cosine" not in cal:
            raise error(229003, f"model {self.id!r} has no cosine calibration in the manifest")
        return float(cal["cosine"])

    @property
    def embedding_space(self) -> str:
        """Embedders: whose vectors this model's can be compared with. An upstream file and its
        patched copy (``sface_int8bq`` and ``sface_int8bq_ortfix``) are one network and share it."""
        return str(self.raw.get("embedding_space") or self.id)

    @property
    def derived_from(self) -> Optional[str]:
        """The id of the upstream entry this file was made from (the ``_ortfix`` copies)."""
        return self.raw.get("derived_from")

    @property
    def downloads(self) -> List[Mapping[str, Any]]:
        """Upstream download sources in order: ``{"url"}``, or ``{"url", "sha256", "bytes",
        "member"}`` for a file inside a zip archive (a wheel)."""
        return list(self.raw.get("download") or [])

    @property
    def crop_scale(self) -> float:
        """Liveness models: how many times the face box the model's crop spans."""
        try:
            return float(self.raw["crop_scale"])
        except (KeyError, TypeError, ValueError):
            raise error(229003, f"model {self.id!r} has no crop_scale in the manifest") from None


@dataclass(frozen=True)
class ModelSet:
    """Models of one role run together and fused (a manifest ``fusions`` entry, e.g. the
    MiniFASNet pair), or a single model standing alone. ``calibration`` is the set's own."""

    id: str
    role: str
    members: Tuple[ModelEntry, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def calibration(self) -> Mapping[str, Any]:
        return self.raw.get("calibration") or {}


@dataclass(frozen=True)
class Manifest:
    """The parsed ``models/manifest.json``: entries by id, the fused sets, and the named packs."""

    path: Path
    models: Mapping[str, ModelEntry]
    packs: Mapping[str, Mapping[str, str]]
    fusions: Mapping[str, ModelSet] = field(default_factory=dict)

    def by_sha256(self, digest: str) -> Optional[ModelEntry]:
        """The entry whose file has this sha256, if any."""
        digest = digest.lower()
        return next((e for e in self.models.values() if e.sha256 == digest), None)

    def get(self, model_id: str) -> ModelEntry:
        """The entry for ``model_id``; InvalidParameterError 229014 naming the known ids."""
        try:
            return self.models[model_id]
        except KeyError:
            raise error(229014, f"unknown model id {model_id!r}; the manifest knows: "
                                f"{', '.join(sorted(self.models))}") from None

    def model_set(self, set_id: str) -> ModelSet:
        """The fused set ``set_id``, or the single model of that id as a set of one."""
        if set_id in self.fusions:
            return self.fusions[set_id]
        entry = self.get(set_id)
        return ModelSet(id=entry.id, role=entry.role, members=(entry,), raw=entry.raw)

    def pack(self, name: str) -> Mapping[str, str]:
        """The role -> model id mapping of pack ``name``."""
        try:
            return self.packs[name]
        except KeyError:
            raise error(229014, f"unknown model pack {name!r}; packs: "
                                f"{', '.join(sorted(self.packs))}") from None


# ---------------------------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------------------------

def manifest_path() -> Path:
    """Where the manifest is: installed next to this module, or ``models/`` of a source tree."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "manifest.json", here.parent.parent / "models" / "manifest.json"):
        if candidate.is_file():
            return candidate
    raise error(229001, "the model manifest is missing: looked for "
                        f"{here / 'manifest.json'} and {here.parent.parent / 'models' / 'manifest.json'}")


_manifest_lock = threading.Lock()
_manifest_cache: Dict[Path, Tuple[float, Manifest]] = {}


def load_manifest(path: Optional[PathLike] = None) -> Manifest:
    """Parse and validate the manifest (cached until the file changes)."""
    p = Path(path) if path is not None else manifest_path()
    mtime = p.stat().st_mtime
    with _manifest_lock:
        hit = _manifest_cache.get(p)
        if hit and hit[0] == mtime:
            return hit[1]
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise error(229003, f"cannot read the model manifest {p}: {exc}") from None
    models: Dict[str, ModelEntry] = {}
    for raw in data.get("models", []):
        try:
            entry = ModelEntry(
                id=raw["id"], role=raw["role"], family=raw["family"], file=raw["file"],
                bytes=int(raw["bytes"]), sha256=raw["sha256"].lower(), licence=raw["licence"],
                source=raw["source"], runnable=bool(raw.get("runnable", True)),
                prepare=bool(raw.get("prepare", False)), raw=raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise error(229003, f"manifest {p}: bad model entry {raw.get('id', raw)!r}: {exc}") from None
        if entry.id in models:
            raise error(229003, f"manifest {p}: model id {entry.id!r} appears twice")
        if entry.role not in ROLES:
            raise error(229003, f"manifest {p}: model {entry.id!r} has unknown role {entry.role!r}")
        models[entry.id] = entry
    fusions: Dict[str, ModelSet] = {}
    for set_id, raw in (data.get("fusions") or {}).items():
        try:
            member_ids = list(raw["members"])
            role = raw["role"]
        except (KeyError, TypeError) as exc:
            raise error(229003, f"manifest {p}: bad fusion {set_id!r}: {exc}") from None
        if set_id in models:
            raise error(229003, f"manifest {p}: fusion {set_id!r} reuses a model id")
        bad = [m for m in member_ids if m not in models or models[m].role != role]
        if bad or not member_ids:
            raise error(229003, f"manifest {p}: fusion {set_id!r} needs {role} models, "
                                f"got {member_ids!r}")
        fusions[set_id] = ModelSet(id=set_id, role=role,
                                   members=tuple(models[m] for m in member_ids), raw=raw)
    packs = {name: dict(roles) for name, roles in data.get("packs", {}).items()}
    for name, roles in packs.items():
        for role, model_id in roles.items():
            known = models.get(model_id) or fusions.get(model_id)
            if known is None or known.role != role:
                raise error(229003, f"manifest {p}: pack {name!r} names {model_id!r} as its {role}")
    for entry in models.values():
        if entry.derived_from and entry.derived_from not in models:
            raise error(229003, f"manifest {p}: {entry.id!r} is derived from unknown "
                                f"{entry.derived_from!r}")
    manifest = Manifest(path=p, models=models, packs=packs, fusions=fusions)
    with _manifest_lock:
        _manifest_cache[p] = (mtime, manifest)
    return manifest


# ---------------------------------------------------------------------------------------------
# Search locations
# ---------------------------------------------------------------------------------------------

def cache_dir() -> Path:
    """The user cache directory of faceedge: ``$XDG_CACHE_HOME/faceedge`` or ``~/.cache/faceedge``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "faceedge"


def _as_list(models: ModelsArg) -> List[Path]:
    if models is None:
        return []
    if isinstance(models, (str, os.PathLike)):
        return [Path(os.fspath(models))]
    return [Path(os.fspath(m)) for m in models]


def search_dirs(models: ModelsArg = None) -> List[Tuple[str, Path]]:
    """The places searched, in order, each labelled with where it came from."""
    places: List[Tuple[str, Path]] = [("argument", p) for p in _as_list(models)]
    env = os.environ.get("FACEEDGE_MODELS", "")
    places += [("FACEEDGE_MODELS", Path(p)) for p in env.split(os.pathsep) if p]
    places.append(("user cache", cache_dir() / "models"))
    packaged = packaged_models_dir()
    if packaged is not None:
        places.append((PACKAGED_LABEL, packaged))
    return places


def packaged_models_dir() -> Optional[Path]:
    """The default pack shipped with faceedge: ``model_pack`` inside the installed package (the
    wheel), or the repository's ``models/`` when running from a source tree or editable install."""
    here = Path(__file__).resolve().parent
    for folder in (here / "model_pack", here.parent.parent / "models"):
        if (folder / "licenses").is_dir():
            return folder
    return None


def _candidates(entry: ModelEntry, models: ModelsArg) -> List[Tuple[str, Path]]:
    """(where-label, path) for every place the file may be, in search order."""
    name = Path(entry.file).name
    out: List[Tuple[str, Path]] = []
    for label, place in search_dirs(models):
        if place.suffix == ".onnx" or place.is_file():  # an explicit file: only if it is ours
            if place.name == name:
                out.append((label, place))
            continue
        out += [(label, place / entry.file), (label, place / name)]
    seen, unique = set(), []
    for label, p in out:
        if p not in seen:
            seen.add(p)
            unique.append((label, p))
    return unique


# ---------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------

_verified_lock = threading.Lock()
_verified: Dict[Tuple[str, int, int], str] = {}  # (real path, mtime_ns, size) -> sha256


def sha256_file(path: PathLike) -> str:
    """Hex sha256 of a file, read in 1 MB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _file_sha256(path: Path) -> str:
    """sha256 of ``path``, computed once per (path, mtime, size) in this process."""
    st = path.stat()
    key = (os.path.realpath(path), st.st_mtime_ns, st.st_size)
    with _verified_lock:
        known = _verified.get(key)
    if known is not None:
        return known
    digest = sha256_file(path)
    with _verified_lock:
        _verified[key] = digest
    return digest


def _verify(entry: ModelEntry, path: Path) -> None:
    size = path.stat().st_size
    actual = _file_sha256(path)
    if actual != entry.sha256 or size != entry.bytes:
        raise error(229002, f"model {entry.id!r} file {path} has sha256 {actual} ({size} bytes); "
                            f"expected sha256 {entry.sha256} ({entry.bytes} bytes). The file is "
                            "corrupt or a different version: replace it with the original "
                            f"({entry.source})")


def _lookup(model_id: str, manifest: Optional[Manifest]) -> ModelEntry:
    return (manifest or load_manifest()).get(model_id)


def find_model(model_id: str, models: ModelsArg = None, manifest: Optional[Manifest] = None) -> Path:
    """Locate and verify the file of ``model_id``; return its path (see :func:`locate_model`)."""
    return locate_model(model_id, models, manifest)[1]


def locate_model(model_id: str, models: ModelsArg = None,
                 manifest: Optional[Manifest] = None) -> Tuple[str, Path]:
    """Locate and verify the file of ``model_id``; return (where it was found, its path).

    Args:
        model_id: an id of the manifest, e.g. ``"yunet_dynamic"``.
        models: a directory (or the model file itself), or a list of them, searched before
            ``$FACEEDGE_MODELS`` and the user cache.
        manifest: a parsed manifest; the packaged one by default.

    Raises:
        ModelError: 229001 when no copy exists (naming the file, its sha256 and every place
            searched), 229002 when the first copy found has the wrong size or sha256.
    """
    entry = _lookup(model_id, manifest)
    candidates = _candidates(entry, models)
    for label, path in candidates:
        if path.is_file():
            _verify(entry, path)
            return label, path
    looked = "; ".join(str(p) for _, p in candidates) or "(nowhere: no directory given)"
    raise error(229001, f"model {entry.id!r} ({entry.file}, sha256 {entry.sha256}) was not found. "
                        f"Looked in: {looked}. Put the file in one of these places, pass "
                        "models=<dir> or set FACEEDGE_MODELS=<dir>; `faceedge models import DIR` "
                        "(a copy on a USB stick or share) or `faceedge models pull` (online) "
                        "installs it into the user cache.")


@dataclass(frozen=True)
class Choice:
    """The model a role ends up with: the entry, its verified file and where that was found."""

    entry: ModelEntry
    path: Path
    found_in: str


def choose_model(entry: ModelEntry, models: ModelsArg = None,
                 manifest: Optional[Manifest] = None) -> Choice:
    """Locate and verify ``entry``'s file (see :func:`locate_model`) as a :class:`Choice`."""
    label, path = locate_model(entry.id, models, manifest)
    return Choice(entry, path, label)


def _status_rows(ids: Optional[Iterable[str]], models: ModelsArg, verify: bool,
                 manifest: Optional[Manifest]) -> List[Dict[str, Any]]:
    m = manifest or load_manifest()
    rows = []
    for model_id in (list(ids) if ids else list(m.models)):
        entry = m.get(model_id)
        row: Dict[str, Any] = {"id": entry.id, "role": entry.role, "family": entry.family,
                               "licence": entry.licence, "runnable": entry.runnable,
                               "path": None, "found_in": None, "status": "missing"}
        label, found = next(((lb, p) for lb, p in _candidates(entry, models) if p.is_file()),
                            (None, None))
        if found is not None:
            row["path"] = str(found)
            row["found_in"] = label
            if verify:
                actual = _file_sha256(found)
                ok = actual == entry.sha256 and found.stat().st_size == entry.bytes
                row["status"] = "ok" if ok else "corrupt"
                if not ok:
                    row["sha256"] = actual
                    row["expected_sha256"] = entry.sha256
            else:
                ok = found.stat().st_size == entry.bytes
                row["status"] = "found" if ok else "corrupt"
        rows.append(row)
    return rows


def list_models(models: ModelsArg = None, manifest: Optional[Manifest] = None) -> List[Dict[str, Any]]:
    """One row per manifest model: id, role, family, licence, runnable, path (or None),
    found_in (the label of the place: "argument", "FACEEDGE_MODELS", "user cache",
    "packaged"), status.

    Status is ``"found"`` (a file of the right size exists), ``"corrupt"`` (wrong size) or
    ``"missing"``. Nothing is hashed; :func:`verify_models` does that.
    """
    return _status_rows(None, models, verify=False, manifest=manifest)


def verify_models(ids: Optional[Iterable[str]] = None, models: ModelsArg = None,
                  manifest: Optional[Manifest] = None) -> List[Dict[str, Any]]:
    """Like :func:`list_models` but hashes each file found: status ``"ok"``, ``"corrupt"``
    (with the actual and expected sha256) or ``"missing"``. ``ids`` limits the check."""
    return _status_rows(ids, models, verify=True, manifest=manifest)
