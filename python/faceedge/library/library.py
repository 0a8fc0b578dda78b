"""``FaceLibrary``: Baidu face v3's face library, search and multi-search, on the device.

Library > group_id > user_id (+ user_info) > faces (face_token, ctime, embedding). The durable
state is the SQLite file (:mod:`.store`); the search structure is the C++ ``Gallery`` plus a small
catalog (group and user names by key), both rebuilt from the file at open.

Every changing call runs in three steps:

1. validate the arguments (and cheaply pre-check the library, so a call bound to fail does not
   pay for the model);
2. detect and embed the face, outside any transaction (the slow part; concurrent calls embed in
   parallel);
3. under the library's write lock, one store transaction re-checks everything and writes; only
   after its COMMIT returned are the gallery and catalog updated.

So a call that raises changed nothing, and a call that returned is on disk. float32 searches
never wait for the store: they read the gallery (a readers-writer lock in C++) and the catalog.
int8 searches also read their few dozen re-rank candidates' vectors back from the store
(``Store.vectors``, under its lock), so one may wait for a commit in progress.

Decision: ``add_user`` into a group that does not exist creates the group (as Baidu's v2 did, and
as a gate that enrols on first sight expects); ``update_user`` with ``action_type="REPLACE"`` too.
Every other call refuses a missing group with 223100.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _runtime
from ..calibration.files import CalibrationArg
from ..calibration.in_force import library_scale
from ..engine import FaceEngine, cosine_from_score, score_from_cosine
from ..errors import FaceEdgeError, error
from ..images import ImageLike, is_face_token
from ..options import (MAX_FACES_PER_USER, MAX_USER_NUM_MULTI_SEARCH, MAX_USER_NUM_SEARCH,
                       parse_action_type, parse_group_id, parse_group_id_list, parse_length,
                       parse_liveness_control, parse_match_threshold, parse_max_user_num,
                       parse_quality_control, parse_search_max_face_num, parse_start,
                       parse_user_id, parse_user_info)
from ..results import (AddUserResult, FaceEntry, FaceInfo, FaceListResult, GetUserResult,
                       GroupListResult, GroupUsersResult, MultiSearchFace, MultiSearchResult,
                       SearchResult, UserEntry, UserMatch)
from .store import PathLike, Snapshot, Store, Txn, UserRow

__all__ = ["FaceLibrary", "STORAGES", "ALL_GROUPS"]

log = logging.getLogger("faceedge.library")

STORAGES = ("float32", "int8")
REPLICA_KEY = "central_url"  # meta key of a gate that follows a central library
ALL_GROUPS = "@ALL"  # get_user: look the user up in every group (Baidu's convention)

# A score threshold becomes a cosine bound for the gallery a hair below the exact inverse, so that
# rounding never drops a user; the score itself is then compared exactly.
_COSINE_SLACK = 1e-6


def _ctime_text(ctime: float) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ctime))
    except (TypeError, ValueError, OverflowError, OSError):  # a damaged file (fuzz finding)
        raise error(229022, f"library file damaged: a face's creation time {ctime!r:.40} is not "
                            "a time; restore a backup") from None


def _parse_face_token(value: object) -> str:
    if value is None:
        raise error(222001, "param[face_token] is null")
    if not isinstance(value, str) or not is_face_token(value.strip(), "FACE_TOKEN"):
        raise error(222025, f"a face_token is 32 hexadecimal characters, got {value!r:.60}")
    return value.strip().lower()


@dataclass
class _Change:
    """What one committed transaction changed, for the in-memory side."""

    groups_added: List[Tuple[int, str]] = field(default_factory=list)
    groups_removed: List[int] = field(default_factory=list)
    users_set: List[Tuple[int, int, str, str]] = field(default_factory=list)  # key, group, id, info
    users_removed: List[int] = field(default_factory=list)
    faces_removed: List[int] = field(default_factory=list)
    faces_added: List[Tuple[int, int, int, np.ndarray]] = field(default_factory=list)


class _Catalog:
    """Names by key for the search results, and keys by name for the search filters.

    Writers (under the library's write lock) replace entries; searchers only look entries up,
    which is safe alongside them in CPython."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.group_ids: Dict[int, str] = {}
        self.group_keys: Dict[str, int] = {}
        self.users: Dict[int, Tuple[int, str, str]] = {}    # user_key -> (group_key, id, info)
        self.user_keys: Dict[Tuple[int, str], int] = {}      # (group_key, user_id) -> user_key
        for key, gid in snapshot.groups:
            self.add_group(key, gid)
        for key, gk, uid, info in snapshot.users:
            self.set_user(key, gk, uid, info)

    def add_group(self, key: int, group_id: str) -> None:
        self.group_ids[key] = group_id
        self.group_keys[group_id] = key

    def remove_group(self, key: int) -> None:
        gid = self.group_ids.pop(key, None)
        if gid is not None and self.group_keys.get(gid) == key:
            del self.group_keys[gid]

    def set_user(self, key: int, group_key: int, user_id: str, user_info: str) -> None:
        self.users[key] = (group_key, user_id, user_info)
        self.user_keys[(group_key, user_id)] = key

    def remove_user(self, key: int) -> None:
        entry = self.users.pop(key, None)
        if entry is not None and self.user_keys.get((entry[0], entry[1])) == key:
            del self.user_keys[(entry[0], entry[1])]


class FaceLibrary:
    """A durable face library with Baidu face v3 semantics, searched in memory.

    Args:
        path: the library's SQLite file; created when missing. One open ``FaceLibrary`` owns the
            file: a second one (in any process) gets 229022 until the first is closed.
        engine: the :class:`~faceedge.FaceEngine` that detects and embeds. A library remembers
            its embedder: opening it with an engine on another embedder is 229021.
        storage: the gallery's vector storage, ``"float32"`` (exact scan) or ``"int8"`` (int8
            scan, then an exact float32 re-rank of the best candidates with their vectors read
            back from this file: memory holds a quarter of the vectors' bytes, searches touch
            the file for a few dozen rows each). The file remembers the last
            one given; None (default) uses it, ``"float32"`` for a new file. The file always
            holds float32 vectors, so switching costs only the in-memory rebuild.
        calibration: a ``faces`` calibration file (``faceedge calibrate faces``) setting this
            library's score scale; None (default) uses the engine's. Stored embeddings never
            depend on it: only scores and ``match_threshold`` do.

    Usable as a context manager; :meth:`close` releases the file. All methods may be called from
    several threads at once.

    Raises:
        LibraryError: 229021 embedder mismatch, 229022 file unusable or in use.
        InvalidParameterError: 229014 bad ``engine`` or ``storage``.
    """

    def __init__(self, path: PathLike, engine: FaceEngine, storage: Optional[str] = None,
                 calibration: CalibrationArg = None, store: Optional[Store] = None) -> None:
        if not isinstance(engine, FaceEngine):
            raise error(229014, "engine must be a faceedge.FaceEngine, got "
                                f"{type(engine).__name__}")
        if storage is not None and storage not in STORAGES:
            raise error(229014, f"storage must be one of {', '.join(STORAGES)}, got {storage!r}")
        core = _runtime.core()
        if not hasattr(core, "Gallery"):
            raise error(229010, "this build of faceedge._core has no search Gallery: rebuild "
                                "faceedge (pip install .)")
        self._core = core
        self._engine = engine
        self._dim = engine.embedding_dim
        self._scale = library_scale(engine, calibration)
        self._threshold = self._scale.cosine
        self._write_lock = threading.Lock()
        # store: another backing for the same calls (faceedge.central's PostgreSQL store).
        self._store = store if store is not None else Store(path, engine.embedder_id, self._dim)
        try:
            remembered = self._store.setting("storage")
            if storage is None:
                storage = remembered if remembered in STORAGES else "float32"
            elif storage != remembered:
                self._store.set_setting("storage", storage)
            self._storage = storage
            # A gate following a central library takes changes from it only (faceedge.central).
            self.replica_of = self._store.setting(REPLICA_KEY)
            self._gallery, self._catalog = self._build(self._store.load())
        except BaseException:
            self._store.close()
            raise

    # ---- life cycle -------------------------------------------------------------------------

    @property
    def path(self) -> str:
        """The library file."""
        return str(self._store.path)

    @property
    def storage(self) -> str:
        """The gallery's vector storage (``"float32"`` or ``"int8"``)."""
        return self._storage

    @property
    def closed(self) -> bool:
        return self._store.closed

    def close(self) -> None:
        """Release the file and the in-memory gallery (idempotent)."""
        with self._write_lock:
            self._store.close()
            self._gallery = self._new_gallery()

    def __enter__(self) -> "FaceLibrary":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self._gallery)} faces"
        return f"FaceLibrary({self.path!r}, storage={self._storage!r}, {state})"

    def info(self) -> Dict[str, object]:
        """Counts, embedder, storage, the gallery's memory and SIMD level."""
        self._check_open()
        with self._store.read() as tx:
            groups, users, faces = tx.counts()
        gallery = self._gallery
        return {"path": self.path, "embedder": self._engine.embedder_id, "dim": self._dim,
                "storage": self._storage, "groups": groups, "users": users, "faces": faces,
                "gallery_faces": len(gallery), "gallery_bytes": int(gallery.memory_bytes),
                "simd_level": gallery.simd_level, "calibration": self._scale.reply()}

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` of the library file ("ok" when sound)."""
        self._check_open()
        return self._store.integrity_check()

    def _check_open(self) -> None:
        if self._store.closed:
            raise error(229023, f"{self.path} was closed")

    def _new_gallery(self):
        # int8: the gallery keeps only int8 codes and reads its re-rank candidates' exact vectors
        # back from this library's file (Store.vectors), the one fp32 copy.
        vectors = self._store.vectors if self._storage == "int8" else None
        elsewhere = getattr(self._store, "make_gallery", lambda: None)()  # e.g. pgvector
        if elsewhere is not None:
            return elsewhere
        return self._core.Gallery(self._dim, self._storage, vectors)

    def _build(self, snap: Snapshot):
        gallery = self._new_gallery()
        if len(snap.face_ids):
            gallery.add(snap.face_ids, snap.user_keys, snap.group_keys, snap.vectors)
        return gallery, _Catalog(snap)

    def _rebuild(self) -> None:
        """Reload the gallery and catalog from the store (after an in-memory update failed)."""
        self._gallery, self._catalog = self._build(self._store.load())

    # ---- the write path ---------------------------------------------------------------------

    def _commit(self, body, replicating: bool = False):
        """Run ``body(tx, change)`` in one transaction; after COMMIT, apply ``change`` in memory."""
        with self._write_lock:
            self._check_open()
            if self.replica_of and not replicating:
                raise error(229024, f"{self.path} follows the central library "
                                    f"{self.replica_of}: enrol there (faceedge serve --central)")
            change = _Change()
            with self._store.write() as tx:
                result = body(tx, change)
            try:
                if getattr(self._store, "reload_after_commit", False):  # a shared store
                    self._rebuild()  # others wrote first: the change may touch what we missed
                else:
                    self._apply(change)
            except Exception:  # should not happen: the store is the truth, rebuild from it
                log.exception("updating the in-memory gallery failed after a commit; rebuilding")
                try:
                    self._rebuild()
                except Exception as exc:
                    raise error(229000, f"the change was committed to {self.path} but the "
                                        f"in-memory gallery could not be rebuilt ({exc}); "
                                        "reopen the library") from exc
            return result

    def _apply(self, ch: _Change) -> None:
        cat, gallery = self._catalog, self._gallery
        # A face added and removed by the same transaction (a replica's batch) never reaches
        # the gallery, which removes before it adds.
        gone = (set(ch.faces_removed) & {face[0] for face in ch.faces_added}
                if ch.faces_removed and ch.faces_added else None)
        if gone:
            ch.faces_added = [f for f in ch.faces_added if f[0] not in gone]
            ch.faces_removed = [i for i in ch.faces_removed if i not in gone]
        for key, gid in ch.groups_added:
            cat.add_group(key, gid)
        for key, gk, uid, info in ch.users_set:
            cat.set_user(key, gk, uid, info)
        if ch.faces_removed:
            removed = gallery.remove(np.asarray(ch.faces_removed, dtype=np.int64))
            if int(removed) != len(ch.faces_removed):
                raise error(229000, f"gallery held {removed} of the {len(ch.faces_removed)} "
                                    "faces removed")
        if ch.faces_added:
            ids, users, groups, vecs = zip(*ch.faces_added)
            gallery.add(np.asarray(ids, np.int64), np.asarray(users, np.int64),
                        np.asarray(groups, np.int32), np.stack(vecs).astype(np.float32))
        for key in ch.users_removed:
            cat.remove_user(key)
        for key in ch.groups_removed:
            cat.remove_group(key)

    @staticmethod
    def _require_group(tx: Txn, group_id: str, code: int = 223100) -> int:
        key = tx.group_key(group_id)
        if key is None:
            raise error(code, f"group {group_id!r} does not exist")
        return key

    @staticmethod
    def _require_user(tx: Txn, group_key: int, group_id: str, user_id: str) -> UserRow:
        user = tx.user(group_key, user_id)
        if user is None:
            raise error(223103, f"user {user_id!r} does not exist in group {group_id!r}")
        return user

    def _embed_one(self, image: ImageLike, image_type: Optional[str], quality_control: str,
                   liveness_control: str) -> Tuple[FaceInfo, np.ndarray]:
        """The largest face and its embedding; QualityError / LivenessError when it fails the
        controls (parsed levels)."""
        faces, vectors = self._engine._embed_faces(image, image_type, 1, "the image",
                                                   quality_control, liveness_control)
        return faces[0], np.ascontiguousarray(vectors[0], dtype=np.float32)

    def _precheck(self, group_id: str, user_id: str, *, group_must_exist: bool,
                  user_must_exist: bool, needs_room: bool) -> None:
        """Fail before the slow embedding when the call cannot succeed (re-checked on commit)."""
        with self._store.read() as tx:
            gk = tx.group_key(group_id)
            if gk is None:
                if group_must_exist:
                    raise error(223100, f"group {group_id!r} does not exist")
                return
            user = tx.user(gk, user_id)
            if user is None:
                if user_must_exist:
                    raise error(223103, f"user {user_id!r} does not exist in group {group_id!r}")
                return
            if needs_room and tx.face_count(user.user_key) >= MAX_FACES_PER_USER:
                raise self._full(group_id, user_id)

    @staticmethod
    def _full(group_id: str, user_id: str) -> FaceEdgeError:
        return error(222210, f"user {user_id!r} in group {group_id!r} already has "
                             f"{MAX_FACES_PER_USER} faces, the most a user can have")

    def _enrol(self, group_id: str, user_id: str, user_info: Optional[str], face: FaceInfo,
               vector: np.ndarray, *, replace: bool, create: bool) -> AddUserResult:
        token = face.face_token

        def body(tx: Txn, ch: _Change) -> AddUserResult:
            now = time.time()
            gk = tx.group_key(group_id)
            if gk is None:
                if not create:
                    raise error(223100, f"group {group_id!r} does not exist")
                gk = tx.add_group(group_id, now)
                ch.groups_added.append((gk, group_id))
            user = tx.user(gk, user_id)
            if user is None:
                if not create:
                    raise error(223103, f"user {user_id!r} does not exist in group {group_id!r}")
                uk = tx.add_user(gk, user_id, user_info or "", now)
                ch.users_set.append((uk, gk, user_id, user_info or ""))
            else:
                uk = user.user_key
                if user_info is not None and user_info != user.user_info:
                    tx.set_user_info(uk, user_info)
                    ch.users_set.append((uk, gk, user_id, user_info))
            if replace:
                ch.faces_removed.extend(tx.delete_faces_of_user(uk))
            else:
                if tx.face(uk, token) is not None:
                    raise error(223105, f"face {token} is already enrolled for user {user_id!r} "
                                        f"in group {group_id!r}")
                if tx.face_count(uk) >= MAX_FACES_PER_USER:
                    raise self._full(group_id, user_id)
            face_id = tx.add_face(uk, token, now, vector)
            ch.faces_added.append((face_id, uk, gk, vector))
            return AddUserResult(face_token=token, location=face.location)

        return self._commit(body)

    # ---- enrolment ----------------------------------------------------------------------------

    def add_user(self, image: ImageLike, group_id: str, user_id: str,
                 user_info: Optional[str] = None, quality_control: str = "NONE",
                 liveness_control: str = "NONE", action_type: str = "APPEND",
                 image_type: Optional[str] = None) -> AddUserResult:
        """Enrol the largest face of ``image`` for ``user_id`` in ``group_id`` (Baidu user/add).

        The group and the user are created when missing. ``action_type="APPEND"`` adds the face
        to the user's faces (at most 20; the same face twice is 223105), ``"REPLACE"`` replaces
        all of them. ``user_info`` (<= 256 bytes) sets the user's info; None keeps it.

        Returns:
            AddUserResult: the face's ``face_token`` and ``location``.

        Raises:
            InvalidParameterError: 222006 group_id, 222007 user_id, 222010 user_info, 222019 /
                222020 controls, 229014 action_type, 222210 the user already has 20 faces.
            AlreadyExistsError: 223105 this face is already enrolled for this user.
            QualityError, LivenessError: the face fails ``quality_control`` (223114 / 223115 /
                223116 / 223129 / 222213) or ``liveness_control`` (223120); nothing is enrolled.
            NoFaceError, ImageError, NotFoundError: the image's errors (222202, 2162xx, 222209).
        """
        group_id, user_id = parse_group_id(group_id), parse_user_id(user_id)
        user_info = parse_user_info(user_info)
        qc, lc = parse_quality_control(quality_control), parse_liveness_control(liveness_control)
        action = parse_action_type(action_type, ("APPEND", "REPLACE"))
        self._check_open()
        self._precheck(group_id, user_id, group_must_exist=False, user_must_exist=False,
                       needs_room=action == "APPEND")
        face, vector = self._embed_one(image, image_type, qc, lc)
        return self._enrol(group_id, user_id, user_info, face, vector,
                           replace=action == "REPLACE", create=True)

    def update_user(self, image: ImageLike, group_id: str, user_id: str,
                    user_info: Optional[str] = None, quality_control: str = "NONE",
                    liveness_control: str = "NONE", action_type: str = "UPDATE",
                    image_type: Optional[str] = None) -> AddUserResult:
        """Replace all of a user's faces with the largest face of ``image`` (Baidu user/update).

        ``action_type="UPDATE"``: the group (223100) and the user (223103) must exist.
        ``"REPLACE"``: a missing user (and group) is created, as by :meth:`add_user`.
        ``user_info`` None keeps the user's info. The controls work as in :meth:`add_user`: a
        face failing them changes nothing.

        Returns:
            AddUserResult: the new face's ``face_token`` and ``location``.
        """
        group_id, user_id = parse_group_id(group_id), parse_user_id(user_id)
        user_info = parse_user_info(user_info)
        qc, lc = parse_quality_control(quality_control), parse_liveness_control(liveness_control)
        action = parse_action_type(action_type, ("UPDATE", "REPLACE"))
        self._check_open()
        must = action == "UPDATE"
        self._precheck(group_id, user_id, group_must_exist=must, user_must_exist=must,
                       needs_room=False)
        face, vector = self._embed_one(image, image_type, qc, lc)
        return self._enrol(group_id, user_id, user_info, face, vector, replace=True,
                           create=not must)

    def face_delete(self, user_id: str, group_id: str, face_token: str) -> None:
        """Delete one face of a user (Baidu face/delete). Deleting a user's last face deletes the
        user too, as Baidu does.

        Raises:
            NotFoundError: 223100 group, 223103 user, 223106 face not found.
            InvalidParameterError: 222025 a malformed face_token.
        """
        user_id, group_id = parse_user_id(user_id), parse_group_id(group_id)
        token = _parse_face_token(face_token)

        def body(tx: Txn, ch: _Change) -> None:
            gk = self._require_group(tx, group_id)
            user = self._require_user(tx, gk, group_id, user_id)
            face = tx.face(user.user_key, token)
            if face is None:
                raise error(223106, f"user {user_id!r} in group {group_id!r} has no face {token}")
            tx.delete_face(face.face_id)
            ch.faces_removed.append(face.face_id)
            if tx.face_count(user.user_key) == 0:
                tx.delete_user(user.user_key)
                ch.users_removed.append(user.user_key)

        self._commit(body)

    def delete_user(self, group_id: str, user_id: str) -> None:
        """Delete a user and all its faces from a group (Baidu user/delete).

        Raises:
            NotFoundError: 223100 group, 223103 user not found.
        """
        group_id, user_id = parse_group_id(group_id), parse_user_id(user_id)

        def body(tx: Txn, ch: _Change) -> None:
            gk = self._require_group(tx, group_id)
            user = self._require_user(tx, gk, group_id, user_id)
            ch.faces_removed.extend(tx.delete_user(user.user_key))
            ch.users_removed.append(user.user_key)

        self._commit(body)

    def user_copy(self, user_id: str, src_group_id: str, dst_group_id: str) -> None:
        """Copy a user (user_info and every face) into another existing group (Baidu user/copy).

        Raises:
            NotFoundError: 223100 source group, 223103 user in it, 223111 destination group.
            AlreadyExistsError: 223102 the destination group already has this user_id.
        """
        user_id = parse_user_id(user_id)
        src, dst = parse_group_id(src_group_id, "src_group_id"), parse_group_id(dst_group_id,
                                                                              "dst_group_id")

        def body(tx: Txn, ch: _Change) -> None:
            sk = self._require_group(tx, src)
            user = self._require_user(tx, sk, src, user_id)
            dk = self._require_group(tx, dst, code=223111)
            if tx.user(dk, user_id) is not None:
                raise error(223102, f"user {user_id!r} already exists in group {dst!r}")
            uk = tx.add_user(dk, user_id, user.user_info, time.time())
            ch.users_set.append((uk, dk, user_id, user.user_info))
            for face_id, vector in tx.copy_faces(user.user_key, uk):
                ch.faces_added.append((face_id, uk, dk, vector))

        self._commit(body)

    # ---- groups -------------------------------------------------------------------------------

    def group_add(self, group_id: str) -> None:
        """Create an empty group (Baidu group/add). 223101 when it exists."""
        group_id = parse_group_id(group_id)

        def body(tx: Txn, ch: _Change) -> None:
            if tx.group_key(group_id) is not None:
                raise error(223101, f"group {group_id!r} already exists")
            ch.groups_added.append((tx.add_group(group_id, time.time()), group_id))

        self._commit(body)

    def group_delete(self, group_id: str) -> None:
        """Delete a group with all its users and faces (Baidu group/delete). 223100 when missing."""
        group_id = parse_group_id(group_id)

        def body(tx: Txn, ch: _Change) -> None:
            gk = self._require_group(tx, group_id)
            users, faces = tx.delete_group(gk)
            ch.faces_removed.extend(faces)
            ch.users_removed.extend(users)
            ch.groups_removed.append(gk)

        self._commit(body)

    # ---- queries ------------------------------------------------------------------------------

    def get_user(self, user_id: str, group_id: str) -> GetUserResult:
        """A user's info in one group, or in every group with ``group_id="@ALL"`` (Baidu
        user/get).

        Raises:
            NotFoundError: 223100 group, 223103 user not found.
        """
        user_id = parse_user_id(user_id)
        # isinstance first: `==` on a numpy array is elementwise, and `not` of it raised
        # ValueError (fuzz finding) instead of the 222006 every other bad group_id gets.
        every = isinstance(group_id, str) and group_id == ALL_GROUPS
        if not every:
            group_id = parse_group_id(group_id)
        self._check_open()
        with self._store.read() as tx:
            if every:
                found = tx.users_by_id(user_id)
                if not found:
                    raise error(223103, f"user {user_id!r} does not exist in any group")
                return GetUserResult([UserEntry(u.user_info, gid) for u, gid in found])
            gk = self._require_group(tx, group_id)
            user = self._require_user(tx, gk, group_id, user_id)
            return GetUserResult([UserEntry(user.user_info, group_id)])

    def face_getlist(self, user_id: str, group_id: str) -> FaceListResult:
        """A user's faces, oldest first (Baidu face/getlist).

        Raises:
            NotFoundError: 223100 group, 223103 user not found.
        """
        user_id, group_id = parse_user_id(user_id), parse_group_id(group_id)
        self._check_open()
        with self._store.read() as tx:
            gk = self._require_group(tx, group_id)
            user = self._require_user(tx, gk, group_id, user_id)
            faces = tx.faces(user.user_key)
        return FaceListResult([FaceEntry(f.face_token, _ctime_text(f.ctime)) for f in faces])

    def get_group_users(self, group_id: str, start: int = 0, length: int = 100) -> GroupUsersResult:
        """The user ids of a group, in enrolment order, ``length`` (<= 1000) from ``start``
        (Baidu group/getusers). 223100 when the group is missing."""
        group_id = parse_group_id(group_id)
        start, length = parse_start(start), parse_length(length)
        self._check_open()
        with self._store.read() as tx:
            gk = self._require_group(tx, group_id)
            return GroupUsersResult(tx.user_ids(gk, start, length))

    def get_group_list(self, start: int = 0, length: int = 100) -> GroupListResult:
        """The group ids, in creation order, ``length`` (<= 1000) from ``start`` (Baidu
        group/getlist)."""
        start, length = parse_start(start), parse_length(length)
        self._check_open()
        with self._store.read() as tx:
            return GroupListResult(tx.group_ids(start, length))

    # ---- search -------------------------------------------------------------------------------

    def _group_keys(self, group_ids: Sequence[str]) -> List[int]:
        cat = self._catalog
        missing = [g for g in group_ids if g not in cat.group_keys]
        if missing:
            names = ", ".join(repr(g) for g in missing)
            raise error(223100, f"group {names} does not exist" if len(missing) == 1
                        else f"groups {names} do not exist")
        return [cat.group_keys[g] for g in group_ids]

    def _match(self, vectors: np.ndarray, group_keys: List[int], user_keys: Optional[List[int]],
               max_users: int, threshold: float) -> List[List[UserMatch]]:
        """Top users per query row, filtered by groups (and users) and the score threshold."""
        min_cosine = cosine_from_score(threshold, self._threshold)
        if min_cosine > -1.0:
            min_cosine -= _COSINE_SLACK
        queries = np.ascontiguousarray(vectors, dtype=np.float32)
        gallery, cat = self._gallery, self._catalog
        if user_keys is None:
            runs = [gallery.search(queries, max_users, group_keys, -1, min_cosine)]
        else:  # one user_id may live in several of the groups: one filtered run per user_key
            runs = [gallery.search(queries, max_users, group_keys, uk, min_cosine)
                    for uk in user_keys]
        out: List[List[UserMatch]] = []
        for q in range(queries.shape[0]):
            hits: List[Tuple[float, int]] = []
            for run in runs:
                res = run[q]
                hits.extend(zip((float(c) for c in res["cosines"]),
                                (int(u) for u in res["user_keys"])))
            hits.sort(key=lambda h: -h[0])
            matches: List[UserMatch] = []
            for cosine, uk in hits:
                user = cat.users.get(uk)
                gid = cat.group_ids.get(user[0]) if user is not None else None
                if user is None or gid is None:
                    continue  # deleted while this search ran
                score = score_from_cosine(cosine, self._threshold)
                if score < threshold:
                    continue
                matches.append(UserMatch(group_id=gid, user_id=user[1], user_info=user[2],
                                         score=score, cosine=cosine))
                if len(matches) == max_users:
                    break
            out.append(matches)
        return out

    def search_vectors(self, vectors: np.ndarray, group_id_list: Union[str, Iterable[str]],
                       match_threshold: float = 80, max_user_num: int = 1
                       ) -> List[List[UserMatch]]:
        """1:N identification of embeddings computed elsewhere (a tracked face's best shot):
        per row of ``vectors`` (n, embedding_dim), the best users scoring ``match_threshold``
        or more, best first (possibly none; no 222207). ``match_threshold=0`` returns the
        nearest users whatever their score.

        Raises:
            NotFoundError: 223100 a group does not exist.
            InvalidParameterError: 222005 / 223104 group_id_list, 222030 match_threshold,
                222021 max_user_num, 229014 vectors of the wrong shape.
        """
        groups = parse_group_id_list(group_id_list)
        threshold = parse_match_threshold(match_threshold)
        max_users = parse_max_user_num(max_user_num, MAX_USER_NUM_SEARCH)
        rows = np.asarray(vectors, dtype=np.float32)
        if rows.ndim != 2 or rows.shape[1] != self._dim or not np.isfinite(rows).all():
            raise error(229014, f"vectors must be finite float32 rows of shape (n, {self._dim}), "
                                f"got shape {rows.shape}")
        self._check_open()
        return self._match(rows, self._group_keys(groups), None, max_users, threshold)

    def search(self, image: ImageLike, group_id_list: Union[str, Iterable[str]],
               match_threshold: float = 80, max_user_num: int = 1,
               quality_control: str = "NONE", liveness_control: str = "NONE",
               user_id: Optional[str] = None, image_type: Optional[str] = None) -> SearchResult:
        """1:N identification of the largest face of ``image`` (Baidu search).

        Args:
            group_id_list: comma-separated str or list of 1..10 existing groups.
            match_threshold: users scoring below it (0..100, default 80) are not returned.
            max_user_num: 1..50 users, best first; a user's score is its best face's.
            user_id: compare with this user's faces only (Baidu's 1:N "authentication").

        Returns:
            SearchResult: the query face's ``face_token`` and ``user_list``.

        Raises:
            NotFoundError: 222207 no user reaches the threshold; 223100 a group does not exist;
                223103 ``user_id`` is in none of the groups.
            InvalidParameterError: 222005 / 223104 group_id_list, 222030 match_threshold, 222021
                max_user_num, 222007 user_id, 222019 / 222020 controls.
            QualityError, LivenessError: the largest face fails ``quality_control`` /
                ``liveness_control`` (223114 / 223115 / 223116 / 223129 / 222213 / 223120).
            NoFaceError, ImageError: the image's errors.
        """
        groups = parse_group_id_list(group_id_list)
        threshold = parse_match_threshold(match_threshold)
        max_users = parse_max_user_num(max_user_num, MAX_USER_NUM_SEARCH)
        qc, lc = parse_quality_control(quality_control), parse_liveness_control(liveness_control)
        if user_id is not None:
            user_id = parse_user_id(user_id)
        self._check_open()
        group_keys = self._group_keys(groups)
        user_keys = None
        if user_id is not None:
            cat = self._catalog
            user_keys = [cat.user_keys[(gk, user_id)] for gk in group_keys
                         if (gk, user_id) in cat.user_keys]
            if not user_keys:
                raise error(223103, f"user {user_id!r} does not exist in group(s) "
                                    f"{', '.join(groups)}")
        face, vector = self._embed_one(image, image_type, qc, lc)
        matches = self._match(vector[None, :], group_keys, user_keys, max_users, threshold)[0]
        if not matches:
            raise error(222207, f"no user of {', '.join(groups)} scores {threshold:g} or more")
        return SearchResult(face_token=face.face_token, user_list=matches,
                            calibration=self._scale.reply())

    def multi_search(self, image: ImageLike, group_id_list: Union[str, Iterable[str]],
                     max_face_num: int = 1, match_threshold: float = 80, max_user_num: int = 1,
                     quality_control: str = "NONE", liveness_control: str = "NONE",
                     image_type: Optional[str] = None) -> MultiSearchResult:
        """M:N identification: every face of ``image`` (largest first, at most ``max_face_num``
        <= 10), each searched like :meth:`search` (``max_user_num`` <= 20) in one batch.

        A face no user matches is listed with an empty ``user_list``; when no face matches at
        all the call raises 222207 (as search does). Faces failing ``quality_control`` /
        ``liveness_control`` are left out (as detect does); when none passes, the first face's
        QualityError / LivenessError is raised.

        Returns:
            MultiSearchResult: ``face_num`` and ``face_list`` [{face_token, location, user_list}].
        """
        groups = parse_group_id_list(group_id_list)
        max_faces = parse_search_max_face_num(max_face_num)
        threshold = parse_match_threshold(match_threshold)
        max_users = parse_max_user_num(max_user_num, MAX_USER_NUM_MULTI_SEARCH)
        qc, lc = parse_quality_control(quality_control), parse_liveness_control(liveness_control)
        self._check_open()
        group_keys = self._group_keys(groups)
        faces, vectors = self._engine._embed_faces(image, image_type, max_faces, "the image",
                                                   qc, lc)
        lists = self._match(vectors, group_keys, None, max_users, threshold)
        if not any(lists):
            raise error(222207, f"no face matches a user of {', '.join(groups)} at "
                                f"{threshold:g} or more")
        face_list = [MultiSearchFace(face_token=f.face_token, location=f.location, user_list=m)
                     for f, m in zip(faces, lists)]
        return MultiSearchResult(face_num=len(face_list), face_list=face_list,
                                 calibration=self._scale.reply())
