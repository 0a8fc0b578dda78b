"""``FaceEngine``: the Python facade over the compiled core (detect, embed, 1:1 match).

The engine picks its models from the manifest (a named pack, optionally overridden per role),
resolves and verifies the files (:mod:`faceedge.models`), prepares those the manifest marks for it
(:mod:`faceedge.prepare`: constant dequantisation folded once, so int8bq files run at fp32 speed),
and builds one ``_core.Engine``. Every core call releases the GIL inside the core; the engine is
immutable after construction apart from its locked face-token cache, so one instance may serve
many threads.

Scores: ``score`` is a monotone, piecewise-linear map of the cosine of two L2-normalised
embeddings, anchored at the embedder's calibrated cosine ``t`` (manifest: the FAR 1e-4 point)::

    cosine <= 0      -> 0
    0 < cosine <= t  -> 80 * cosine / t
    t < cosine <= 1  -> 80 + 20 * (cosine - t) / (1 - t)

so 80 means "as similar as the false-accept-1e-4 threshold", the convention of Baidu's match
(score >= 80 is Baidu's recommended same-person threshold at FAR 1e-4).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _runtime
from .errors import FaceEdgeError, error
from .images import ImageLike, is_face_token, load_image
from .models import ModelEntry, ModelsArg, cache_dir, find_model, load_manifest
from .options import DetectOptions, parse_detect_options
from .results import Angle, DetectResult, FaceInfo, Location, MatchResult, Point
from .tokens import FaceTokenCache, image_digest, make_face_token

__all__ = ["FaceEngine", "score_from_cosine", "cosine_from_score", "normalize_providers",
           "ARCFACE_TEMPLATE_112"]

# The standard ArcFace 112x112 template, in the detector's landmark order (right eye, left eye,
# nose tip, right mouth corner, left mouth corner; subject's sides). Used to re-embed a cached
# aligned crop: aligning the template onto itself is the identity.
ARCFACE_TEMPLATE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
     [70.7299, 92.2041]], dtype=np.float32)

ProviderSpec = Union[str, Tuple[str, Mapping[str, Any]], Mapping[str, Any]]


def score_from_cosine(cosine: float, threshold: float) -> float:
    """Map a cosine to Baidu's 0..100 score, 80 at ``threshold`` (see the module docstring)."""
    t = float(threshold)
    if not 0.0 < t < 1.0:
        raise error(229003, f"calibrated cosine must be in (0, 1), got {threshold!r}")
    c = float(cosine)
    if not math.isfinite(c):
        raise error(229013, f"the embeddings gave a non-finite cosine ({c})")
    if c <= 0.0:
        return 0.0
    if c <= t:
        return 80.0 * c / t
    return min(100.0, 80.0 + 20.0 * (c - t) / (1.0 - t))


def cosine_from_score(score: float, threshold: float) -> float:
    """The smallest cosine whose :func:`score_from_cosine` is ``score`` (its inverse on 0..100).

    Score 0 maps to -1: every cosine <= 0 scores 0, so a 0 threshold admits everything.
    """
    t = float(threshold)
    if not 0.0 < t < 1.0:
        raise error(229003, f"calibrated cosine must be in (0, 1), got {threshold!r}")
    s = float(score)
    if s <= 0.0:
        return -1.0
    if s <= 80.0:
        return s * t / 80.0
    return min(1.0, t + (s - 80.0) * (1.0 - t) / 20.0)


def _option_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def normalize_providers(providers: Union[None, ProviderSpec, Sequence[ProviderSpec]]
                        ) -> List[Tuple[str, Dict[str, str]]]:
    """Execution providers in order of preference, as ``(name, {option: str})`` pairs.

    Accepts ``None`` (CPU only), a name, a ``(name, options)`` tuple, a ``{"name": ...,
    "options": {...}}`` or ``{name: options}`` dict, or a list of any of these. Option values
    become strings (booleans ``"1"``/``"0"``), as ONNX Runtime takes them.
    """
    if providers is None:
        return [("CPUExecutionProvider", {})]
    single = (isinstance(providers, (str, Mapping))
              or (isinstance(providers, tuple) and len(providers) == 2
                  and isinstance(providers[0], str) and isinstance(providers[1], Mapping)))
    items = [providers] if single else list(providers)  # type: ignore[arg-type]
    if not items:
        raise error(229014, "providers is empty: name at least one execution provider")
    out: List[Tuple[str, Dict[str, str]]] = []
    for item in items:
        if isinstance(item, str):
            name, options = item, {}
        elif isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[1], Mapping):
            name, options = item[0], item[1]
        elif isinstance(item, Mapping) and "name" in item:
            name, options = item["name"], item.get("options") or {}
        elif isinstance(item, Mapping) and len(item) == 1:
            ((name, options),) = item.items()
            options = options or {}
        else:
            raise error(229014, f"cannot read execution provider {item!r}: use a name, "
                                "(name, options) or {'name': ..., 'options': {...}}")
        if not isinstance(name, str) or not name.strip() or not isinstance(options, Mapping):
            raise error(229014, f"bad execution provider {item!r}")
        out.append((name.strip(), {str(k): _option_value(v) for k, v in options.items()}))
    return out


class FaceEngine:
    """Face detection, embedding and 1:1 matching with Baidu face v3 semantics, offline.

    Args:
        models: directory holding the model files (laid out like ``../shared/models``, or flat),
            or a list of them; searched before ``$FACEEDGE_MODELS`` and the user cache.
        providers: ONNX Runtime execution providers in order of preference (see
            :func:`normalize_providers`); default CPU only.
        threads: intra-op threads per model session; 0 lets ONNX Runtime choose.
        allow_fallback: skip providers the runtime lacks instead of failing (229012).
        pack: manifest pack naming the detector and embedder (``"default"``: YuNet + SFace,
            ``"fast"``: YuNet + MobileFaceNet).
        detector, embedder: manifest ids overriding the pack's choice for that role.
        token_cache_size: how many face tokens this engine remembers (LRU).

    Raises:
        ModelError: a model file is missing (229001), corrupt (229002) or unusable (229003).
        RuntimeUnavailableError: ONNX Runtime or a provider cannot be used (229010-229012).
        InvalidParameterError: a bad argument (229014).
    """

    def __init__(self, models: ModelsArg = None,
                 providers: Union[None, ProviderSpec, Sequence[ProviderSpec]] = None,
                 threads: int = 0, allow_fallback: bool = False, pack: str = "default",
                 detector: Optional[str] = None, embedder: Optional[str] = None,
                 token_cache_size: int = 10000) -> None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
            raise error(229014, f"threads must be an int >= 0 (0: the runtime's default), got {threads!r}")
        if isinstance(token_cache_size, bool) or not isinstance(token_cache_size, int) \
                or token_cache_size < 1:
            raise error(229014, f"token_cache_size must be an int >= 1, got {token_cache_size!r}")
        manifest = load_manifest()
        chosen = manifest.pack(pack)
        self._detector = self._pick(manifest.get(detector or chosen["detector"]), "detector")
        self._embedder = self._pick(manifest.get(embedder or chosen["embedder"]), "embedder")
        self._threshold = self._embedder.score80_cosine
        self._pack = pack
        self._threads = threads
        self._providers_requested = normalize_providers(providers)

        self._core = _runtime.core()  # a missing build is 229010 before any model work
        self._paths: Dict[str, Path] = {}
        self._loaded: Dict[str, Path] = {}
        for entry in (self._detector, self._embedder):
            path = find_model(entry.id, models, manifest)
            self._paths[entry.role] = path
            self._loaded[entry.role] = self._prepared(entry, path)

        self._engine = self._core.Engine(
            self._detector.family, str(self._loaded["detector"]),
            self._embedder.family, str(self._loaded["embedder"]),
            providers=self._providers_requested, allow_fallback=bool(allow_fallback),
            threads=threads)
        self._tokens = FaceTokenCache(maxsize=token_cache_size)

    # ---- construction helpers ---------------------------------------------------------------

    @staticmethod
    def _pick(entry: ModelEntry, role: str) -> ModelEntry:
        if entry.role != role:
            raise error(229014, f"model {entry.id!r} is a {entry.role}, not a {role}")
        if not entry.runnable and not entry.prepare:
            raise error(229003, f"model {entry.id!r} does not run in ONNX Runtime as shipped: "
                                f"{entry.raw.get('notes', '')}")
        return entry

    @staticmethod
    def _prepared(entry: ModelEntry, path: Path) -> Path:
        """The file to load: a once-prepared copy for entries marked ``prepare``."""
        if not entry.prepare:
            return path
        from .prepare import prepare_model

        return Path(prepare_model(path, cache_dir() / "prepared", source_sha256=entry.sha256))

    # ---- properties ---------------------------------------------------------------------------

    @property
    def detector_id(self) -> str:
        """Manifest id of the detector in use."""
        return self._detector.id

    @property
    def embedder_id(self) -> str:
        """Manifest id of the embedder in use."""
        return self._embedder.id

    @property
    def embedding_dim(self) -> int:
        """Length of one embedding row."""
        return int(self._engine.embedding_dim)

    @property
    def threshold(self) -> float:
        """The embedder's calibrated cosine (score 80)."""
        return self._threshold

    @property
    def providers(self) -> List[str]:
        """Execution providers the sessions really got."""
        return list(self._engine.providers)

    # ---- public API ---------------------------------------------------------------------------

    def detect(self, image: ImageLike, max_face_num: int = 1, face_sort_type: int = 0,
               min_face_size: float = 0, face_field: Union[None, str, Sequence[str]] = None,
               image_type: Optional[str] = None) -> DetectResult:
        """Find faces: box, probability, head pose, Baidu's 4 landmarks and the detector's 5.

        Args:
            image: numpy BGR array, path, encoded bytes, base64 str or a face token.
            max_face_num: 1..120 faces to return (222016 otherwise).
            face_sort_type: 0 largest face first, 1 nearest the image centre first.
            min_face_size: drop faces whose shorter box side is under this many pixels.
            face_field: Baidu's extra fields; only ``landmark`` is supported (always returned).
            image_type: None (guess), ``"BASE64"`` or ``"FACE_TOKEN"``.

        Returns:
            DetectResult with ``face_num`` >= 1; every face gets a face token cached by the engine.

        Raises:
            NoFaceError: 222202 when no face is found.
            ImageError, InvalidParameterError, NotFoundError: see :func:`faceedge.load_image`.
        """
        opts = parse_detect_options(max_face_num, face_sort_type, min_face_size, face_field)
        if is_face_token(image, image_type):
            entry = self._token_entry(str(image))
            return DetectResult(face_num=1, face_list=[entry.face])
        img = load_image(image, image_type)
        faces, raw = self._detect(img, opts, "the image")
        for face, landmarks in zip(faces, raw["landmarks"]):
            crop = self._core.align_face(img, np.ascontiguousarray(landmarks, dtype=np.float32))
            self._tokens.put(face.face_token, face, self._embedder.id, crop=crop)
        return DetectResult(face_num=len(faces), face_list=faces)

    def embed(self, image: ImageLike, max_face_num: int = 1, face_sort_type: int = 0,
              min_face_size: float = 0, image_type: Optional[str] = None) -> np.ndarray:
        """Embeddings of the faces :meth:`detect` would return, in the same order.

        Returns:
            float32 array (n, embedding_dim), each row L2-normalised. A face token gives one row.

        Raises:
            NoFaceError: 222202 when no face is found; the errors of :meth:`detect` otherwise.
        """
        opts = parse_detect_options(max_face_num, face_sort_type, min_face_size)
        if is_face_token(image, image_type):
            return self._token_embedding(str(image))[None, :].copy()
        img = load_image(image, image_type)
        # No face tokens here: embed() never returns them, and hashing every pixel to make them
        # cost up to 5 ms a frame on large photos.
        _, raw = self._detect(img, opts, "the image", tokens=False)
        return np.asarray(self._engine.embed(img, raw["landmarks"]), dtype=np.float32)

    def match(self, image1: ImageLike, image2: ImageLike, image_type1: Optional[str] = None,
              image_type2: Optional[str] = None) -> MatchResult:
        """1:1 comparison of the largest face of each image (or of two face tokens).

        Returns:
            MatchResult: ``score`` 0..100 (80 at the embedder's FAR 1e-4 cosine), the raw
            ``cosine`` and the face token of each image.

        Raises:
            NoFaceError: 222202 naming the image without a face; the errors of :meth:`detect`.
        """
        token1, e1 = self._largest_face(image1, image_type1, "image1")
        token2, e2 = self._largest_face(image2, image_type2, "image2")
        cosine = float(np.clip(np.dot(e1.astype(np.float64), e2.astype(np.float64)), -1.0, 1.0))
        return MatchResult(score=score_from_cosine(cosine, self._threshold), cosine=cosine,
                           face_list=[token1, token2])

    def runtime_info(self) -> Dict[str, Any]:
        """ONNX Runtime version, library path, available providers and the SIMD level."""
        return _runtime.runtime_info()

    def info(self) -> Dict[str, Any]:
        """Models in use (ids, files, sha256, licences), providers, threads, SIMD level."""
        def model(entry: ModelEntry) -> Dict[str, Any]:
            return {"id": entry.id, "family": entry.family, "file": str(self._paths[entry.role]),
                    "loaded": str(self._loaded[entry.role]), "sha256": entry.sha256,
                    "licence": entry.licence}

        embedder = model(self._embedder)
        embedder.update(embedding_dim=self.embedding_dim, score80_cosine=self._threshold,
                        calibration_provisional=bool(self._embedder.calibration.get("provisional")))
        return {
            "pack": self._pack,
            "models": {"detector": model(self._detector), "embedder": embedder},
            "providers_requested": [name for name, _ in self._providers_requested],
            "providers": self.providers,
            "threads": self._threads,
            "simd_level": self._core.simd_level(),
            "face_tokens": {"cached": len(self._tokens), "max": self._tokens.maxsize},
        }

    # ---- internals ----------------------------------------------------------------------------

    def _detect(self, img: np.ndarray, opts: DetectOptions, what: str, tokens: bool = True
                ) -> Tuple[List[FaceInfo], Dict[str, np.ndarray]]:
        """Core detection; FaceInfo list (empty when ``tokens`` is False) and the raw arrays."""
        raw = self._engine.detect(img, opts.max_face_num, opts.face_sort_type,
                                  float(opts.min_face_size))
        n = len(raw["boxes"])
        if n == 0:
            more = f" of at least {opts.min_face_size:g} px" if opts.min_face_size > 0 else ""
            raise error(222202, f"no face{more} found in {what}")
        if not tokens:
            return [], raw
        digest = image_digest(img)
        faces = [self._face_info(digest, raw["boxes"][i], raw["scores"][i], raw["landmarks"][i],
                                 raw["angles"][i]) for i in range(n)]
        return faces, raw

    @staticmethod
    def _face_info(digest: bytes, box: np.ndarray, score: float, landmarks: np.ndarray,
                   angles: np.ndarray) -> FaceInfo:
        x, y, w, h = (float(v) for v in box[:4])
        yaw, pitch, roll = (float(v) for v in angles[:3])
        return FaceInfo(
            face_token=make_face_token(digest, (x, y, w, h)),
            location=Location(left=x, top=y, width=w, height=h, rotation=0),
            face_probability=min(1.0, max(0.0, float(score))),
            # The core already uses Baidu's signs (types.h): pitch negative when looking up.
            angle=Angle(yaw=yaw, pitch=pitch, roll=roll),
            landmark5=tuple(Point(float(px), float(py)) for px, py in landmarks[:5]),
        )

    def _detect_embed(self, img: np.ndarray, opts: DetectOptions, what: str
                      ) -> Tuple[List[FaceInfo], np.ndarray]:
        faces, raw = self._detect(img, opts, what)
        embeddings = np.asarray(self._engine.embed(img, raw["landmarks"]), dtype=np.float32)
        for face, row in zip(faces, embeddings):
            cached = row.copy()
            cached.setflags(write=False)
            self._tokens.put(face.face_token, face, self._embedder.id, embedding=cached)
        return faces, embeddings

    def _embed_faces(self, image: ImageLike, image_type: Optional[str], max_face_num: int,
                     what: str = "the image") -> Tuple[List[FaceInfo], np.ndarray]:
        """Faces (largest first, at most ``max_face_num``) and their embeddings, from one detector
        and one batched embedder call; a face token gives its one cached face. For the library."""
        if is_face_token(image, image_type):
            token = str(image).strip().lower()
            entry = self._token_entry(token)
            return [entry.face], self._token_embedding(token)[None, :].copy()
        img = load_image(image, image_type)
        return self._detect_embed(img, DetectOptions(max_face_num=max_face_num), what)

    def _largest_face(self, image: ImageLike, image_type: Optional[str], what: str
                      ) -> Tuple[str, np.ndarray]:
        try:
            if is_face_token(image, image_type):
                token = str(image).strip().lower()
                return token, self._token_embedding(token)
            img = load_image(image, image_type)
        except FaceEdgeError as exc:  # say which of the two images is at fault
            raise exc.with_context(what) from None
        faces, embeddings = self._detect_embed(img, DetectOptions(max_face_num=1), what)
        return faces[0].face_token, embeddings[0]

    def _token_entry(self, token: str):
        entry = self._tokens.get(token.strip().lower())
        if entry is None:
            raise error(222209, f"face_token {token.strip()} is unknown to this engine (tokens are "
                                "kept in memory by the engine that produced them, at most "
                                f"{self._tokens.maxsize})")
        return entry

    def _token_embedding(self, token: str) -> np.ndarray:
        token = token.strip().lower()
        entry = self._token_entry(token)
        if entry.embedding is not None:
            return entry.embedding
        crop = entry.crop
        if crop is None:
            raise error(222209, f"face_token {token} has expired: it came from detect and its "
                                "face crop was dropped from the cache; detect the image again")
        row = np.asarray(self._engine.embed(crop, ARCFACE_TEMPLATE_112[None]),
                         dtype=np.float32)[0].copy()
        row.setflags(write=False)
        self._tokens.set_embedding(token, self._embedder.id, row)
        return row

    def __repr__(self) -> str:
        return (f"FaceEngine(detector={self._detector.id!r}, embedder={self._embedder.id!r}, "
                f"providers={self._providers_requested!r})")
