"""``FaceEngine``: the Python facade over the compiled core (detect, embed, 1:1 match).

The engine picks its models from the manifest (a named pack, optionally overridden per role),
resolves and verifies the files (:mod:`faceedge.models`), prepares those the manifest marks for it
(:mod:`faceedge.prepare`: constant dequantisation folded once, so int8bq files run at fp32 speed),
and builds one ``_core.Engine``. Every core call releases the GIL inside the core; the engine is
immutable after construction apart from its locked face-token cache, so one instance may serve
many threads.

The liveness and attribute models load on first use (:mod:`faceedge.heads`); ``score`` is
Baidu's 0..100 scale, 80 at the embedder's measured FAR 1e-4 cosine (:mod:`faceedge.scores`),
from the manifest or a site's calibration file (:mod:`faceedge.calibration`).
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import (Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence,
                    Tuple, Union)

import numpy as np

from . import _runtime
from .calibration.files import CalibrationArg
from .calibration.in_force import EngineCalibration, det_threshold_in_force
from .errors import FaceEdgeError, error
from .heads import ATTRIBUTE_MODELS, OptionalHeads, liveness_set
from .decode_plan import ARCFACE_TEMPLATE_112, FoundFaces, aligned_crops, embed_crops, find_faces
from .images import ImageLike, is_face_token
from .photo import Photo, faceverify_images, open_photo
from .models import (Choice, ModelEntry, ModelsArg, cache_dir, choose_model,
                     load_manifest)
from .options import (DetectOptions, parse_detect_options, parse_face_field,
                      parse_faceverify_option, parse_liveness_control, parse_quality_control)
from .providers import ProviderSpec, cpu_workers_spin, normalize_providers  # normalize_providers: re-exported
from .quality import MeasuredFace, control_pair, passing, raise_failure
from .results import (Angle, DetectResult, FaceAttribute, FaceInfo, FaceQuality,
                      FaceVerifyResult, Location, MatchResult, Point)
from .scores import cosine_from_score, score_from_cosine  # cosine_from_score: re-exported
from .tokens import (FaceTokenCache, TokenFaces, image_digest, make_face_token,
                     no_token_attributes)

__all__ = ["FaceEngine", "score_from_cosine", "cosine_from_score", "normalize_providers",
           "ARCFACE_TEMPLATE_112"]

class FaceEngine:
    """Face detection, embedding and 1:1 matching with Baidu face v3 semantics, offline.

    Args:
        models: directory holding the model files (laid out like ``../shared/models``, or flat),
            or a list of them; searched before ``$FACEEDGE_MODELS`` and the user cache.
        providers: ONNX Runtime execution providers in order of preference (see
            :func:`normalize_providers`); default CPU only.
        threads: intra-op threads per model session; 0 lets ONNX Runtime choose.
        allow_fallback: skip providers the runtime lacks instead of failing (229012).
        pack: manifest pack naming the detector, embedder and liveness set (``"default"``:
            YuNet + SFace, ``"fast"``: YuNet + MobileFaceNet; both with the MiniFASNet pair;
            ``"embedded"``: the two upstream opencv_zoo int8bq files, prepared once). The default
            pack's files ship inside faceedge; :meth:`info` shows where each model was found
            (``found_in``). See docs/models.md.
        detector, embedder, liveness: manifest ids overriding the pack's choice for that role
            (``liveness``: a fused set such as ``"minifasnet_pair"`` or one liveness model).
        token_cache_size: how many face tokens this engine remembers (LRU).
        calibration: a site's calibration file(s) from ``faceedge calibrate`` (a path, a loaded
            :class:`~faceedge.Calibration` or a list, one per kind); None reads
            ``$FACEEDGE_CALIBRATION``, else the manifest's measured points apply. A ``faces``
            file sets score 80, ``liveness`` the LOW / NORMAL / HIGH thresholds, ``detection``
            the detector threshold. :meth:`info` and match replies say which is in force.
        det_threshold: the detector's score threshold in (0, 1] (default: a ``detection``
            calibration's, else 0.8); lower finds more faces and more false ones (README).

    The liveness models are loaded on first use (``liveness_control``, ``face_field``
    "liveness", :meth:`faceverify`); an engine whose liveness files are missing detects, embeds
    and matches as usual and raises ModelError 229001 naming the files only when liveness is
    asked for. The ``gender`` and ``emotion`` models (small mini-XCEPTION classifiers trained on
    research datasets, see models/README.md) are likewise loaded on first use of those fields.

    Raises:
        ModelError: a model file is missing (229001), corrupt (229002) or unusable (229003).
        RuntimeUnavailableError: ONNX Runtime or a provider cannot be used (229010-229012).
        InvalidParameterError: a bad argument (229014).
        CalibrationError: a calibration file made for other models (229030) or unreadable
            (229031).
    """

    def __init__(self, models: ModelsArg = None,
                 providers: Union[None, ProviderSpec, Sequence[ProviderSpec]] = None,
                 threads: int = 0, allow_fallback: bool = False, pack: str = "default",
                 detector: Optional[str] = None, embedder: Optional[str] = None,
                 token_cache_size: int = 10000, liveness: Optional[str] = None,
                 calibration: CalibrationArg = None, det_threshold: Optional[float] = None
                 ) -> None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
            raise error(229014, f"threads must be an int >= 0 (0: the runtime's default), got {threads!r}")
        if isinstance(token_cache_size, bool) or not isinstance(token_cache_size, int) \
                or token_cache_size < 1:
            raise error(229014, f"token_cache_size must be an int >= 1, got {token_cache_size!r}")
        manifest = load_manifest()
        chosen = manifest.pack(pack)
        self._detector = self._pick(manifest.get(detector or chosen["detector"]), "detector")
        self._embedder = self._pick(manifest.get(embedder or chosen["embedder"]), "embedder")
        self._threshold = self._embedder.score80_cosine  # no calibration: 229003 before file work
        self._pack = pack
        self._threads = threads
        self._providers_requested = normalize_providers(providers)
        self._allow_fallback = bool(allow_fallback)
        live_set = liveness_set(manifest, liveness or chosen.get("liveness"))

        self._core = _runtime.core()  # a missing build is 229010 before any model work
        self._heads = OptionalHeads(self._core, manifest, models, self._providers_requested,
                                    threads, self._allow_fallback, self._prepared, live_set, pack)
        self._choices: Dict[str, Choice] = {
            role: choose_model(entry, models, manifest)
            for role, entry in (("detector", self._detector), ("embedder", self._embedder))}
        self._detector = self._choices["detector"].entry
        self._embedder = self._choices["embedder"].entry
        self._calibration = EngineCalibration(calibration, manifest, self._embedder,
                                              self._detector, live_set)
        self._threshold = self._calibration.score.cosine
        self._det_threshold = det_threshold_in_force(det_threshold, self._calibration)
        self._paths: Dict[str, Path] = {}
        self._loaded: Dict[str, Path] = {}
        for role, choice in self._choices.items():
            self._paths[role] = choice.path
            self._loaded[role] = self._prepared(choice.entry, choice.path)

        self._engine = self._core.Engine(
            self._detector.family, str(self._loaded["detector"]),
            self._embedder.family, str(self._loaded["embedder"]),
            providers=self._providers_requested, allow_fallback=self._allow_fallback,
            threads=threads)
        self._warn_skipped_providers()
        self._tokens = FaceTokenCache(maxsize=token_cache_size)
        self._token_faces = TokenFaces(self._tokens, self._embed_aligned, self._embedder.id)

    # ---- construction helpers ---------------------------------------------------------------

    @staticmethod
    def _pick(entry: ModelEntry, role: str) -> ModelEntry:
        if entry.role != role:
            raise error(229014, f"model {entry.id!r} is a {entry.role}, not a {role}")
        if not entry.runnable and not entry.prepare:
            raise error(229003, f"model {entry.id!r} does not run in ONNX Runtime as shipped: "
                                f"{entry.raw.get('notes', '')}")
        return entry

    def _prepared(self, entry: ModelEntry, path: Path) -> Path:
        """The file to load: a once-prepared copy for entries marked ``prepare``."""
        if not entry.prepare:
            return path
        from .prepare import prepare_model

        # The check sessions run on the CPU with this engine's thread settings (and placement).
        cpu = [p for p in self._providers_requested if p[0] == "CPUExecutionProvider"]
        # The rewrite's form follows the provider the file will run on, the first one requested
        # (not asked of the runtime here: that would load it before it is needed).
        runs_on = self._providers_requested[0][0]
        return Path(prepare_model(path, cache_dir() / "prepared", source_sha256=entry.sha256,
                                  session_args={"threads": self._threads, "providers": cpu},
                                  provider=runs_on))

    def _warn_skipped_providers(self) -> None:
        """With allow_fallback, say which requested providers the runtime did not have."""
        got = set(self._engine.providers)
        skipped = [name for name, _ in self._providers_requested if name not in got]
        if skipped:
            warnings.warn(f"faceedge: execution providers not available in this ONNX Runtime, "
                          f"skipped: {', '.join(skipped)}; running on {', '.join(self._engine.providers)}",
                          RuntimeWarning, stacklevel=3)

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
    def det_threshold(self) -> float:
        """The detector's score threshold every call of this engine uses."""
        return self._det_threshold

    @property
    def calibration(self) -> EngineCalibration:
        """The calibration in force: ``.score`` (the score scale), ``.files`` by kind."""
        return self._calibration

    @property
    def core(self) -> Any:
        """The compiled pipeline (``_core.Engine``) under this facade: ``detect(img)`` returns
        raw arrays (boxes, scores, landmarks), ``embed(img, landmarks)`` the embeddings. For
        benchmarks and tools that time the stages; it applies none of Baidu's options or checks."""
        return self._engine

    @property
    def providers(self) -> List[str]:
        """Execution providers the sessions really got."""
        return list(self._engine.providers)

    @property
    def liveness_id(self) -> Optional[str]:
        """Manifest id of the liveness set (loaded on first use), or None."""
        live_set = self._heads.liveness_set
        return live_set.id if live_set is not None else None

    # ---- public API ---------------------------------------------------------------------------

    def detect(self, image: ImageLike, max_face_num: int = 1, face_sort_type: int = 0,
               min_face_size: float = 0, face_field: Union[None, str, Sequence[str]] = None,
               image_type: Optional[str] = None, quality_control: str = "NONE",
               liveness_control: str = "NONE") -> DetectResult:
        """Find faces: box, probability, head pose, Baidu's 4 landmarks and the detector's 5.

        Args:
            image: numpy BGR array, path, encoded bytes, base64 str or a face token.
            max_face_num: 1..120 faces to return (222016 otherwise).
            face_sort_type: 0 largest face first, 1 nearest the image centre first.
            min_face_size: drop faces whose shorter box side is under this many pixels.
            face_field: Baidu's extra fields: ``landmark`` (always returned), ``quality``
                (blur, illumination, completeness; no occlusion), ``liveness``
                (``{livemapscore}``, a faceedge addition), ``gender`` (``{type: male|female,
                probability}``), ``emotion`` (``{type: angry|disgust|fear|happy|sad|surprise|
                neutral, probability}``). Others raise 222017 naming them.
            image_type: None (guess), ``"BASE64"`` or ``"FACE_TOKEN"``.
            quality_control, liveness_control: NONE, LOW, NORMAL, HIGH. Faces failing the level
                are left out of the result (Baidu's detect filters on liveness_control;
                quality_control is faceedge's addition with the same meaning). The controls
                apply to the ``max_face_num`` faces the detector returned.

        Returns:
            DetectResult with ``face_num`` >= 1; every face gets a face token cached by the engine
            (with the quality and liveness figures measured, for later controls on the token).

        Raises:
            NoFaceError: 222202 when no face is found.
            QualityError, LivenessError: when faces were found but none passes the controls
                (the error of the first face: 223114 / 223115 / 223116 / 223129 / 222213 / 223120).
            ImageError, InvalidParameterError, NotFoundError: see :func:`faceedge.load_image`.
            ModelError: 229001 when liveness, gender or emotion is asked for and its model files
                are missing.
        """
        opts = parse_detect_options(max_face_num, face_sort_type, min_face_size, face_field,
                                    quality_control, liveness_control)
        qc, lc = opts.quality_control, opts.liveness_control
        need_q = "quality" in opts.face_field or qc != "NONE"
        need_l = "liveness" in opts.face_field or lc != "NONE"
        attrs = _attribute_fields(opts.face_field)
        thresholds = self._control_thresholds(lc)
        if is_face_token(image, image_type):
            no_token_attributes(attrs, str(image))
            face = self._token_faces.face(str(image), need_q, need_l)
            raise_failure(face, qc, lc, thresholds, None)
            return DetectResult(face_num=1, face_list=[face.shown(opts.face_field)])
        photo = open_photo(image, image_type)
        faces, found = self._analyse(photo, opts, "the image", need_q, need_l, attrs)
        faces = passing(faces, qc, lc, thresholds, None)
        crops = aligned_crops(self._core, found, [face.index for face in faces])
        for face, crop in zip(faces, crops):
            self._tokens.put(face.info.face_token, face.info, self._embedder.id, crop=crop,
                             quality=face.quality, liveness=face.liveness)
        return DetectResult(face_num=len(faces), face_list=[f.shown(opts.face_field) for f in faces])

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
            return self._token_faces.embedding(str(image))[None, :].copy()
        photo = open_photo(image, image_type)
        # No face tokens here: embed() never returns them, and hashing every pixel to make them
        # cost up to 5 ms a frame on large photos.
        _, found = self._detect(photo, opts, "the image", tokens=False)
        return embed_crops(self._engine, aligned_crops(self._core, found, range(len(found))))

    def embed_stream(self, frames: Iterable[ImageLike], max_face_num: int = 1,
                     face_sort_type: int = 0, min_face_size: float = 0) -> Iterator[np.ndarray]:
        """:meth:`embed` over a stream of frames (a camera, a video, a folder), one array per
        frame in order. With the CPU option ``spin=0`` the detection of the next frame overlaps
        the embedding of this one (:mod:`faceedge.frame_overlap`); with spinning workers (the
        default) the stages run in turn, which measured faster (README, bench_pipeline).

        Yields:
            float32 array (n, embedding_dim) per frame, as :meth:`embed` returns it; a frame
            without a face gives an empty (0, embedding_dim) array instead of NoFaceError.

        Raises:
            The errors of :meth:`embed` for a bad frame or option, at that frame's turn.
        """
        from .errors import NoFaceError
        from .frame_overlap import overlapped

        opts = parse_detect_options(max_face_num, face_sort_type, min_face_size)
        empty = np.zeros((0, self.embedding_dim), np.float32)

        def detect(image: ImageLike) -> Optional[FoundFaces]:
            try:
                return self._detect(open_photo(image), opts, "the image", tokens=False)[1]
            except NoFaceError:
                return None

        def embed(found: Optional[FoundFaces]) -> np.ndarray:
            if found is None:
                return empty.copy()
            return embed_crops(self._engine, aligned_crops(self._core, found, range(len(found))))

        if cpu_workers_spin(self._providers_requested):
            return (embed(detect(frame)) for frame in frames)
        return overlapped(frames, detect, embed)

    def match(self, image1: ImageLike, image2: ImageLike, image_type1: Optional[str] = None,
              image_type2: Optional[str] = None,
              quality_control: Union[str, Sequence[str]] = "NONE",
              liveness_control: Union[str, Sequence[str]] = "NONE") -> MatchResult:
        """1:1 comparison of the largest face of each image (or of two face tokens).

        Args:
            quality_control, liveness_control: NONE, LOW, NORMAL or HIGH for both images, or a
                pair ``(level for image1, level for image2)`` (Baidu sets them per image, e.g.
                NONE for an ID photo and NORMAL for the live capture).

        Returns:
            MatchResult: ``score`` 0..100 (80 at the embedder's FAR 1e-4 cosine), the raw
            ``cosine`` and the face token of each image.

        Raises:
            NoFaceError: 222202 naming the image without a face; the errors of :meth:`detect`.
            QualityError, LivenessError: the largest face of an image fails a control (the
                message names the image).
        """
        qc1, qc2 = control_pair(quality_control, parse_quality_control)
        lc1, lc2 = control_pair(liveness_control, parse_liveness_control)
        token1, e1 = self._largest_face(image1, image_type1, "image1", qc1, lc1)
        token2, e2 = self._largest_face(image2, image_type2, "image2", qc2, lc2)
        cosine = float(np.clip(np.dot(e1.astype(np.float64), e2.astype(np.float64)), -1.0, 1.0))
        return MatchResult(score=score_from_cosine(cosine, self._threshold), cosine=cosine,
                           face_list=[token1, token2], calibration=self._calibration.reply())

    def faceverify(self, images: Union[ImageLike, Sequence[Any]],
                   face_field: Union[None, str, Sequence[str]] = None,
                   option: str = "COMMON") -> FaceVerifyResult:
        """Image liveness of one person from 1, 3 or 8 images (Baidu's faceverify).

        Each image's largest face gets a live score (``liveness.livemapscore``: the fused
        MiniFASNet live probability, 0..1). The caller decides by comparing ``face_liveness``
        with one of ``thresholds``, as with Baidu.

        Args:
            images: a list of 1, 3 or 8 images (any form :meth:`detect` takes, or Baidu's
                ``{"image": ..., "image_type": ...}`` items); one image alone works too.
            face_field: extra fields per face, as :meth:`detect` (``quality``, ``landmark``).
            option: ``COMMON`` or ``GATE`` (a fixed gate camera): GATE returns the liveness
                set's stricter ``gate`` thresholds (see README.md "Quality and liveness").

        Returns:
            FaceVerifyResult: ``face_liveness`` (the best score of the images), ``thresholds``
            ``{"frr_1e-4", "frr_1e-3", "frr_1e-2"}`` (provisional, from the manifest) and
            ``face_list`` (per image: location, face_probability, angle, liveness and the
            requested fields).

        Raises:
            InvalidParameterError: 222208 for another number of images; 222017 face_field;
                229014 option.
            NoFaceError: 222202 naming the image without a face.
            ModelError: 229001 when the liveness model files are missing.
        """
        items = faceverify_images(images)
        fields = parse_face_field(face_field)
        option = parse_faceverify_option(option)
        thresholds = self.liveness_thresholds(option)
        need_q = "quality" in fields
        attrs = _attribute_fields(fields)
        shown = tuple(fields) + ("liveness",)
        face_list: List[FaceInfo] = []
        for k, (image, image_type) in enumerate(items):
            what = f"images[{k}]"
            try:
                token = is_face_token(image, image_type)
                photo = None if token else open_photo(image, image_type)
            except FaceEdgeError as exc:
                raise exc.with_context(what) from None
            if photo is None:
                no_token_attributes(attrs, str(image), what)
                face = self._token_faces.face(str(image), need_q, True, what)
            else:
                faces, found = self._analyse(photo, DetectOptions(max_face_num=1), what, need_q,
                                             True, attrs)
                face = faces[0]
                crop = aligned_crops(self._core, found, [face.index])[0]
                self._tokens.put(face.info.face_token, face.info, self._embedder.id, crop=crop,
                                 quality=face.quality, liveness=face.liveness)
            face_list.append(face.shown(shown))
        best = max(float(f.liveness) for f in face_list)  # type: ignore[arg-type]
        return FaceVerifyResult(face_liveness=best, thresholds=thresholds, face_list=face_list,
                                option=option)

    def live_scores(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """Passive live score (the fused MiniFASNet live probability, 0..1) of each face box
        ``(n, 4)`` [x, y, w, h] of a decoded BGR uint8 frame, one batch per model. For callers
        that found the boxes themselves (faceedge.stream tracks faces between detections).

        Raises:
            ModelError: 229001 when the liveness model files are missing.
        """
        rows = np.ascontiguousarray(np.asarray(boxes, dtype=np.float32).reshape(-1, 4))
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float64)
        return self._heads.live_scores(image, rows)

    def liveness_thresholds(self, option: str = "COMMON") -> Dict[str, float]:
        """The liveness set's points ``{"frr_1e-4", "frr_1e-3", "frr_1e-2"}``: a ``liveness``
        calibration file's when one is in force, else the manifest's (``option="GATE"``: its
        stricter gate points; not measured rates, see README "Quality and liveness").
        liveness_control LOW / NORMAL / HIGH use them in that order."""
        thresholds = self._heads.liveness_thresholds(parse_faceverify_option(option))
        # A site's liveness file was measured on its own camera: it serves COMMON and GATE.
        return dict(self._calibration.liveness or thresholds)

    def runtime_info(self) -> Dict[str, Any]:
        """ONNX Runtime version, library path, available providers and the SIMD level."""
        return _runtime.runtime_info()

    def info(self) -> Dict[str, Any]:
        """Models in use (ids, files, sha256, licences; the liveness set and whether it is
        loaded yet), providers, threads, SIMD level."""
        def model(entry: ModelEntry) -> Dict[str, Any]:
            choice = self._choices[entry.role]
            return {"id": entry.id, "family": entry.family, "file": str(self._paths[entry.role]),
                    "found_in": choice.found_in,
                    "loaded": str(self._loaded[entry.role]), "sha256": entry.sha256,
                    "licence": entry.licence}

        embedder = model(self._embedder)
        embedder.update(embedding_dim=self.embedding_dim, score80_cosine=self._threshold,
                        calibrated=self._calibration.score.calibrated)
        models: Dict[str, Any] = {"detector": model(self._detector), "embedder": embedder,
                                  **self._heads.info()}
        return {
            "pack": self._pack,
            "models": models,
            "providers_requested": [name for name, _ in self._providers_requested],
            "providers": self.providers,
            "threads": self._threads,
            "simd_level": self._core.simd_level(),
            "face_tokens": {"cached": len(self._tokens), "max": self._tokens.maxsize},
            "det_threshold": self._det_threshold,
            "calibration": self._calibration.info(),
        }

    # ---- internals ----------------------------------------------------------------------------

    def _detect(self, photo: Photo, opts: DetectOptions, what: str, tokens: bool = True
                ) -> Tuple[List[FaceInfo], FoundFaces]:
        """Core detection on the decode :mod:`faceedge.decode_plan` picks; FaceInfo list in
        original pixels (empty when ``tokens`` is False) and the faces found."""
        found = find_faces(self._engine, photo, opts.max_face_num, opts.face_sort_type,
                           float(opts.min_face_size), self._det_threshold)
        if len(found) == 0:
            more = f" of at least {opts.min_face_size:g} px" if opts.min_face_size > 0 else ""
            raise error(222202, f"no face{more} found in {what}")
        if not tokens:
            return [], found
        digest = image_digest(found.detected_on)
        raw = found.raw
        faces = [self._face_info(digest, *found.original(i), raw["scores"][i], raw["angles"][i])
                 for i in range(len(found))]
        return faces, found

    @staticmethod
    def _face_info(digest: bytes, box: Tuple[float, float, float, float],
                   landmarks: Sequence[Tuple[float, float]], score: float,
                   angles: np.ndarray) -> FaceInfo:
        x, y, w, h = box
        yaw, pitch, roll = (float(v) for v in angles[:3])
        return FaceInfo(
            face_token=make_face_token(digest, (x, y, w, h)),
            location=Location(left=x, top=y, width=w, height=h, rotation=0),
            face_probability=min(1.0, max(0.0, float(score))),
            # The core already uses Baidu's signs (types.h): pitch negative when looking up.
            angle=Angle(yaw=yaw, pitch=pitch, roll=roll),
            landmark5=tuple(Point(px, py) for px, py in landmarks),
        )

    def _analyse(self, photo: Photo, opts: DetectOptions, what: str, need_quality: bool,
                 need_liveness: bool, attributes: Sequence[str] = ()
                 ) -> Tuple[List[MeasuredFace], FoundFaces]:
        """Detect, then measure quality, liveness and the ``attributes`` (gender, emotion) for
        every face when asked (one core call each, batched over the faces)."""
        infos, found = self._detect(photo, opts, what)
        img, boxes = found.image, found.raw["boxes"]
        n = len(infos)
        qualities: List[Optional[FaceQuality]] = [None] * n
        scores: List[Optional[float]] = [None] * n
        predicted: Dict[str, List[FaceAttribute]] = {}
        if need_quality:
            qualities = list(self._measure_quality(found))
        if need_liveness:
            scores = [float(v) for v in self._heads.live_scores(img, boxes)]
        for name in attributes:
            predicted[name] = self._heads.predict_attribute(name, img, boxes)
        return [MeasuredFace(info, i, qualities[i], scores[i],
                      gender=predicted["gender"][i] if "gender" in predicted else None,
                      emotion=predicted["emotion"][i] if "emotion" in predicted else None)
                for i, info in enumerate(infos)], found

    def _measure_quality(self, found: FoundFaces) -> List[FaceQuality]:
        if not hasattr(self._core, "face_quality"):
            raise error(229010, "this build of faceedge._core has no face_quality: rebuild "
                                "faceedge (pip install .)")
        raw = found.raw
        q = self._core.face_quality(found.image,
                                    np.ascontiguousarray(raw["boxes"], dtype=np.float32),
                                    np.ascontiguousarray(raw["landmarks"], dtype=np.float32))
        # blur, illumination and completeness do not depend on the decode's scale (blur reads
        # the face resampled to 112 px); size is said in original pixels.
        return [FaceQuality(blur=float(q["blur"][i]), illumination=float(q["illumination"][i]),
                            completeness=int(q["completeness"][i]),
                            size=found.original_size(q["size"][i]))
                for i in range(len(raw["boxes"]))]

    def _control_thresholds(self, liveness_control: str) -> Mapping[str, float]:
        """The liveness thresholds when a liveness control is on (checked before any work)."""
        return self.liveness_thresholds() if liveness_control != "NONE" else {}

    def _detect_embed(self, photo: Photo, opts: DetectOptions, what: str,
                      quality_control: str = "NONE", liveness_control: str = "NONE",
                      label: Optional[str] = None) -> Tuple[List[MeasuredFace], np.ndarray]:
        """Detect, drop the faces failing the controls, embed the rest in one batch."""
        thresholds = self._control_thresholds(liveness_control)
        faces, found = self._analyse(photo, opts, what, quality_control != "NONE",
                                     liveness_control != "NONE")
        faces = passing(faces, quality_control, liveness_control, thresholds, label)
        embeddings = embed_crops(self._engine,
                                 aligned_crops(self._core, found, [f.index for f in faces]))
        for face, row in zip(faces, embeddings):
            cached = row.copy()
            cached.setflags(write=False)
            self._tokens.put(face.info.face_token, face.info, self._embedder.id, embedding=cached,
                             quality=face.quality, liveness=face.liveness)
        return faces, embeddings

    def _embed_faces(self, image: ImageLike, image_type: Optional[str], max_face_num: int,
                     what: str = "the image", quality_control: str = "NONE",
                     liveness_control: str = "NONE") -> Tuple[List[FaceInfo], np.ndarray]:
        """Faces (largest first, at most ``max_face_num``, those failing the controls left out)
        and their embeddings, from one detector and one batched embedder call; a face token
        gives its one cached face. For the library: controls are parsed levels."""
        if is_face_token(image, image_type):
            token = str(image).strip().lower()
            face = self._token_faces.face(token, quality_control != "NONE", liveness_control != "NONE")
            raise_failure(face, quality_control, liveness_control,
                                self._control_thresholds(liveness_control), None)
            return [face.info], self._token_faces.embedding(token)[None, :].copy()
        photo = open_photo(image, image_type)
        faces, embeddings = self._detect_embed(photo, DetectOptions(max_face_num=max_face_num),
                                               what, quality_control, liveness_control)
        return [f.info for f in faces], embeddings

    def _largest_face(self, image: ImageLike, image_type: Optional[str], what: str,
                      quality_control: str = "NONE", liveness_control: str = "NONE"
                      ) -> Tuple[str, np.ndarray]:
        try:
            if is_face_token(image, image_type):
                token = str(image).strip().lower()
                face = self._token_faces.face(token, quality_control != "NONE",
                                        liveness_control != "NONE")
                raise_failure(face, quality_control, liveness_control,
                                    self._control_thresholds(liveness_control), None)
                return token, self._token_faces.embedding(token)
            photo = open_photo(image, image_type)
        except FaceEdgeError as exc:  # say which of the two images is at fault
            raise exc.with_context(what) from None
        faces, embeddings = self._detect_embed(photo, DetectOptions(max_face_num=1), what,
                                               quality_control, liveness_control, label=what)
        return faces[0].info.face_token, embeddings[0]

    def _embed_aligned(self, crop: np.ndarray) -> np.ndarray:
        """The embedding of one 112x112 aligned crop."""
        return np.asarray(self._engine.embed(crop, ARCFACE_TEMPLATE_112[None]),
                          dtype=np.float32)[0].copy()

    def __repr__(self) -> str:
        return (f"FaceEngine(detector={self._detector.id!r}, embedder={self._embedder.id!r}, "
                f"providers={self._providers_requested!r})")


def _attribute_fields(face_field: Sequence[str]) -> Tuple[str, ...]:
    """The face_field names computed by an attribute model (gender, emotion), in request order."""
    return tuple(f for f in face_field if f in ATTRIBUTE_MODELS)
