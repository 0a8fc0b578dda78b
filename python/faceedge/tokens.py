"""Face tokens: deterministic ids for detected faces, and the bounded cache that resolves them.

A token is 32 hex characters: ``blake2b(digest_size=16)`` over the image digest (itself a
``blake2b`` of the decoded pixels and their shape) and the face box rounded to 0.01 px. The same
decoded image therefore always gives the same tokens, as in Baidu, and the pixels are hashed once
per image however many faces it holds.

:class:`FaceTokenCache` is a thread-safe LRU mapping a token to its :class:`FaceInfo`, the id of
the embedder that produced its embedding, and the embedding itself. Faces seen only by ``detect``
have no embedding yet; they keep their 112x112 aligned crop (about 37 KB) so a later call can
embed them without the image. Crops are bounded separately (``max_crops``): an older detect-only
token loses its crop and can then no longer be embedded (the engine reports it as expired).
"""
from __future__ import annotations

import hashlib
import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from .errors import FaceEdgeError, error
from .quality import MeasuredFace
from .results import FaceInfo, FaceQuality

__all__ = ["image_digest", "make_face_token", "TokenEntry", "FaceTokenCache", "TokenFaces",
           "no_token_attributes"]


def image_digest(image: np.ndarray) -> bytes:
    """16-byte blake2b of a decoded image's shape and pixel bytes."""
    h = hashlib.blake2b(digest_size=16)
    h.update(struct.pack("<%dq" % image.ndim, *image.shape))
    h.update(np.ascontiguousarray(image).data)  # no copy for the contiguous arrays we pass
    return h.digest()


def make_face_token(digest: bytes, box: Sequence[float]) -> str:
    """Token of the face with box ``(x, y, w, h)`` in the image whose digest is ``digest``."""
    h = hashlib.blake2b(digest_size=16)
    h.update(digest)
    h.update(struct.pack("<4q", *(int(round(float(v) * 100.0)) for v in box[:4])))
    return h.hexdigest()


@dataclass
class TokenEntry:
    """What the cache knows about a token."""

    face: FaceInfo
    embedder_id: str
    embedding: Optional[np.ndarray] = None  # (dim,) float32, L2-normalised
    crop: Optional[np.ndarray] = None  # 112x112x3 aligned BGR crop, until embedded
    # Figures measured on the original image when some call asked for them: the controls of a
    # later call on this token use them (they cannot be measured again without the image).
    quality: Optional[FaceQuality] = None
    liveness: Optional[float] = None


class FaceTokenCache:
    """Thread-safe bounded LRU: face_token -> :class:`TokenEntry`."""

    def __init__(self, maxsize: int = 10000, max_crops: int = 500) -> None:
        if maxsize < 1 or max_crops < 0:
            raise ValueError("maxsize must be >= 1 and max_crops >= 0")
        self.maxsize = int(maxsize)
        self.max_crops = int(max_crops)
        self._entries: "OrderedDict[str, TokenEntry]" = OrderedDict()
        self._crops: "OrderedDict[str, None]" = OrderedDict()  # tokens holding a crop, oldest first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, token: object) -> bool:
        with self._lock:
            return token in self._entries

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._crops.clear()

    def get(self, token: str) -> Optional[TokenEntry]:
        """The entry for ``token`` (marked most recently used), or None."""
        with self._lock:
            entry = self._entries.get(token)
            if entry is not None:
                self._entries.move_to_end(token)
            return entry

    def put(self, token: str, face: FaceInfo, embedder_id: str,
            embedding: Optional[np.ndarray] = None, crop: Optional[np.ndarray] = None,
            quality: Optional[FaceQuality] = None, liveness: Optional[float] = None) -> None:
        """Add or refresh ``token``. An embedding, quality or liveness figure already known is
        kept (a token names the same pixels and box, so they cannot change); a crop is kept only
        while there is no embedding."""
        with self._lock:
            entry = self._entries.get(token)
            if entry is None or entry.embedder_id != embedder_id:
                entry = TokenEntry(face=face, embedder_id=embedder_id)
                self._entries[token] = entry
                self._crops.pop(token, None)
            else:
                entry.face = face
            self._entries.move_to_end(token)
            if quality is not None:
                entry.quality = quality
            if liveness is not None:
                entry.liveness = float(liveness)
            if embedding is not None:
                entry.embedding = embedding
            if entry.embedding is not None:
                entry.crop = None
                self._crops.pop(token, None)
            elif crop is not None and self.max_crops > 0:
                entry.crop = crop
                self._crops[token] = None
                self._crops.move_to_end(token)
            self._trim()

    def set_embedding(self, token: str, embedder_id: str, embedding: np.ndarray) -> None:
        """Record the embedding computed from a token's crop, and drop the crop."""
        with self._lock:
            entry = self._entries.get(token)
            if entry is None or entry.embedder_id != embedder_id:
                return
            entry.embedding = embedding
            entry.crop = None
            self._crops.pop(token, None)

    def _trim(self) -> None:
        while len(self._entries) > self.maxsize:
            old, _ = self._entries.popitem(last=False)
            self._crops.pop(old, None)
        while len(self._crops) > self.max_crops:
            old, _ = self._crops.popitem(last=False)
            entry = self._entries.get(old)
            if entry is not None:
                entry.crop = None


class TokenFaces:
    """An engine's face tokens as its calls use them: the face with the figures measured for
    it, and its embedding (computed from the kept crop on first use)."""

    def __init__(self, cache: FaceTokenCache, embed_crop: Callable[[np.ndarray], np.ndarray],
                 embedder_id: str) -> None:
        self._cache = cache
        self._embed_crop = embed_crop
        self._embedder_id = embedder_id

    def entry(self, token: str) -> TokenEntry:
        entry = self._cache.get(token.strip().lower())
        if entry is None:
            raise error(222209, f"face_token {token.strip()} is unknown to this engine (tokens are "
                                "kept in memory by the engine that produced them, at most "
                                f"{self._cache.maxsize})")
        return entry

    def face(self, token: str, need_quality: bool, need_liveness: bool,
             what: Optional[str] = None) -> MeasuredFace:
        """A cached face with its stored figures; a figure asked for but never measured for
        this token is 229014 (it needs the original image)."""
        token = token.strip().lower()
        try:
            entry = self.entry(token)
        except FaceEdgeError as exc:
            raise (exc.with_context(what) if what else exc) from None
        lacking = [name for name, need, have in (("quality", need_quality, entry.quality),
                                                 ("liveness", need_liveness, entry.liveness))
                   if need and have is None]
        if lacking:
            names = " and ".join(lacking)
            msg = (f"face_token {token} carries no {names} figures: they are measured on the "
                   f"original image, so detect it with face_field={','.join(lacking)!r} (or the "
                   "control) before using the token, or pass the image itself")
            raise error(229014, f"{what}: {msg}" if what else msg)
        return MeasuredFace(entry.face, -1, entry.quality, entry.liveness)

    def embedding(self, token: str) -> np.ndarray:
        """The token's embedding (read-only); 222209 when its crop has expired unembedded."""
        token = token.strip().lower()
        entry = self.entry(token)
        if entry.embedding is not None:
            return entry.embedding
        crop = entry.crop
        if crop is None:
            raise error(222209, f"face_token {token} has expired: it came from detect and its "
                                "face crop was dropped from the cache; detect the image again")
        row = self._embed_crop(crop)
        row.setflags(write=False)
        self._cache.set_embedding(token, self._embedder_id, row)
        return row


def no_token_attributes(attributes: Sequence[str], token: str, what: Optional[str] = None
                        ) -> None:
    """229014 when attributes (gender, emotion) are asked for on a face token: they are
    measured on the original image."""
    if attributes:
        names = ",".join(attributes)
        msg = (f"face_token {token.strip().lower()} carries no {names} figures: they are measured "
               f"on the original image, so pass the image itself with face_field={names!r}")
        raise error(229014, f"{what}: {msg}" if what else msg)
