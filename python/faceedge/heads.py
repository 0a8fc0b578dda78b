"""The optional model heads a :class:`~faceedge.engine.FaceEngine` loads on first use.

Liveness (a fused set such as the MiniFASNet pair) and the face attributes (gender, emotion) are
not needed to detect, embed or match, so an engine starts without them: each ``_core`` model is
created the first time a call asks for it, once, under a lock, so concurrent first calls share
one model. Missing files are ModelError 229001 naming them, raised only then.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .errors import CODES, FaceEdgeError, error
from .models import Manifest, ModelEntry, ModelSet, ModelsArg, find_model
from .quality import THRESHOLD_KEYS
from .results import FaceAttribute

__all__ = ["OptionalHeads", "ATTRIBUTE_MODELS", "liveness_set"]

# face_field attribute -> (manifest id, crop margin: the fraction of the box's width / height added
# on each side; shared/models/README.md 8 and 9.4: the raw box for emotion, +10 % for gender).
ATTRIBUTE_MODELS: Dict[str, Tuple[str, float]] = {
    "gender": ("gender_mini_xception", 0.1),
    "emotion": ("emotion_mini_xception", 0.0),
}
# The manifest's labels in Baidu's words (emotion's labels are Baidu's already).
_BAIDU_LABELS: Dict[str, Dict[str, str]] = {"gender": {"woman": "female", "man": "male"},
                                            "emotion": {}}


def liveness_set(manifest: Manifest, live_id: Optional[str]) -> Optional[ModelSet]:
    """The manifest's liveness set ``live_id`` (None: no liveness); 229014 for another role."""
    if not live_id:
        return None
    live_set = manifest.model_set(live_id)
    if live_set.role != "liveness":
        raise error(229014, f"model {live_id!r} is a {live_set.role}, not a liveness model")
    return live_set


def _detail(exc: FaceEdgeError) -> str:
    """An error's message without Baidu's leading text for its code."""
    base = CODES.get(exc.error_code, (None, ""))[1]
    return exc.error_msg[len(base) + 2:] if base and exc.error_msg.startswith(base + ": ") \
        else exc.error_msg


class OptionalHeads:
    """The liveness set and the attribute models of one engine, each created on first use.

    Args:
        core: the ``faceedge._core`` module.
        manifest, models_arg: where the model files are looked up (:func:`faceedge.find_model`).
        providers, threads, allow_fallback: the engine's session settings, used as they are.
        prepare: the engine's ``(entry, path) -> path to load`` (a prepared copy when the
            manifest asks for one).
        live_set: the liveness set, or None when the pack names none.
        pack: the pack's name, for the error when liveness is asked of a pack without it.
    """

    def __init__(self, core: Any, manifest: Manifest, models_arg: ModelsArg,
                 providers: Sequence[Any], threads: int, allow_fallback: bool,
                 prepare: Callable[[ModelEntry, Path], Path], live_set: Optional[ModelSet],
                 pack: str) -> None:
        self._core = core
        self._manifest = manifest
        self._models_arg = models_arg
        self._providers = providers
        self._threads = threads
        self._allow_fallback = allow_fallback
        self._prepare = prepare
        self.liveness_set = live_set
        self._pack = pack
        self._liveness_model: Any = None  # _core.Liveness, created on first use
        self._liveness_files: Dict[str, Path] = {}
        self._liveness_lock = threading.Lock()
        self._attribute_models: Dict[str, Any] = {}  # face_field -> _core.Attribute, on first use
        self._attribute_files: Dict[str, Path] = {}
        self._attribute_lock = threading.Lock()

    # ---- liveness -----------------------------------------------------------------------------

    def require_liveness_set(self) -> ModelSet:
        if self.liveness_set is None:
            raise error(229003, f"model pack {self._pack!r} names no liveness model: pass "
                                "liveness=<manifest id> (e.g. 'minifasnet_pair') to FaceEngine")
        return self.liveness_set

    def liveness_thresholds(self, option: str) -> Dict[str, float]:
        """The set's calibrated points for a parsed faceverify ``option`` (COMMON or GATE)."""
        live_set = self.require_liveness_set()
        cal = live_set.calibration
        source = cal.get("gate") if option == "GATE" else cal
        try:
            return {key: float(source[key]) for key in THRESHOLD_KEYS}  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            raise error(229003, f"liveness set {live_set.id!r} has no {option} thresholds "
                                f"{', '.join(THRESHOLD_KEYS)} in the manifest") from None

    def live_scores(self, img: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """Live score (fused probability of the live class) of each box, one batch per model."""
        fused = self.liveness().score(img, np.ascontiguousarray(boxes, dtype=np.float32))
        return np.asarray(fused, dtype=np.float64).reshape(len(boxes), -1)[:, 1]

    def liveness(self) -> Any:
        """The ``_core.Liveness`` of the liveness set, created on first use."""
        model = self._liveness_model
        if model is not None:
            return model
        with self._liveness_lock:
            if self._liveness_model is None:
                self._liveness_model = self._load_liveness()
            return self._liveness_model

    def _load_liveness(self) -> Any:
        live_set = self.require_liveness_set()
        if not hasattr(self._core, "Liveness"):
            raise error(229010, "this build of faceedge._core has no Liveness: rebuild faceedge "
                                "(pip install .)")
        found: List[Tuple[ModelEntry, Path]] = []
        missing: List[str] = []
        for entry in live_set.members:
            try:
                found.append((entry, find_model(entry.id, self._models_arg, self._manifest)))
            except FaceEdgeError as exc:
                if exc.error_code != 229001:
                    raise
                missing.append(_detail(exc))
        if missing:
            names = ", ".join(e.file for e in live_set.members)
            raise error(229001, f"liveness ({live_set.id}: {names}) is needed by this call but "
                                f"{len(missing)} of its {len(live_set.members)} model files "
                                "cannot be found. " + " ".join(missing))
        members = [(entry.family, str(self._prepare(entry, path)), entry.crop_scale)
                   for entry, path in found]
        model = self._core.Liveness(members, providers=self._providers,
                                    allow_fallback=self._allow_fallback, threads=self._threads)
        self._liveness_files = {entry.id: path for entry, path in found}
        return model

    # ---- attributes ---------------------------------------------------------------------------

    def predict_attribute(self, name: str, img: np.ndarray, boxes: np.ndarray
                          ) -> List[FaceAttribute]:
        """Attribute ``name`` of every box: the most probable class, one batched core call."""
        model, labels = self.attribute(name)
        probs = np.asarray(model.predict(img, np.ascontiguousarray(boxes[:, :4],
                                                                   dtype=np.float32)),
                           dtype=np.float64).reshape(len(boxes), -1)
        if probs.shape[1] != len(labels):
            raise error(229003, f"the {name} model gives {probs.shape[1]} classes but the "
                                f"manifest names {len(labels)} labels")
        best = probs.argmax(axis=1)
        return [FaceAttribute(type=labels[int(k)], probability=float(probs[i, k]))
                for i, k in enumerate(best)]

    def attribute(self, name: str) -> Tuple[Any, List[str]]:
        """The ``_core.Attribute`` for face_field ``name`` and its Baidu labels, created on
        first use."""
        model = self._attribute_models.get(name)
        if model is None:
            with self._attribute_lock:
                model = self._attribute_models.get(name)
                if model is None:
                    model = self._attribute_models[name] = self._load_attribute(name)
        return model

    def _load_attribute(self, name: str) -> Tuple[Any, List[str]]:
        model_id, margin = ATTRIBUTE_MODELS[name]
        entry = self._manifest.get(model_id)
        if not hasattr(self._core, "Attribute"):
            raise error(229010, "this build of faceedge._core has no Attribute: rebuild faceedge "
                                "(pip install .)")
        try:
            path = find_model(model_id, self._models_arg, self._manifest)
        except FaceEdgeError as exc:
            if exc.error_code != 229001:
                raise
            raise error(229001, f"face_field {name!r} needs the model {model_id} "
                                f"({entry.file}), which cannot be found. {_detail(exc)}") from None
        raw_labels = entry.raw.get("labels")
        if not isinstance(raw_labels, list) or not raw_labels:
            raise error(229003, f"manifest model {model_id!r} has no 'labels'")
        labels = [_BAIDU_LABELS[name].get(str(v), str(v)) for v in raw_labels]
        core_model = self._core.Attribute(entry.family, str(self._prepare(entry, path)), margin,
                                          providers=self._providers,
                                          allow_fallback=self._allow_fallback,
                                          threads=self._threads)
        self._attribute_files[name] = path
        return core_model, labels

    # ---- info ---------------------------------------------------------------------------------

    def info(self) -> Dict[str, Any]:
        """:meth:`FaceEngine.info`'s ``liveness`` (when the pack has a set) and ``attributes``
        entries: ids, whether loaded yet, the files found."""
        out: Dict[str, Any] = {}
        live_set = self.liveness_set
        if live_set is not None:
            cal = live_set.calibration
            out["liveness"] = {
                "id": live_set.id, "members": [e.id for e in live_set.members],
                "loaded": self._liveness_model is not None,
                "files": {k: str(v) for k, v in self._liveness_files.items()},
                "thresholds": {k: cal.get(k) for k in THRESHOLD_KEYS},
                "calibration_provisional": bool(cal.get("provisional")),
                "measured": cal.get("measured")}
        out["attributes"] = {
            name: {"id": model_id, "loaded": name in self._attribute_models,
                   "file": str(self._attribute_files[name]) if name in self._attribute_files
                   else None}
            for name, (model_id, _) in ATTRIBUTE_MODELS.items()}
        return out
