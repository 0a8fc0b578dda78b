"""``quality_control`` and ``liveness_control``: the levels, their thresholds, and the checks.

The figures come from the C++ core (``_core.face_quality``, ``_core.Liveness``) and the detector
(the head pose ``angle``); this module only compares them with the level's limits and names the
first failure with Baidu's code.

quality_control (Baidu's NORMAL limits are its published recommendations for a recognisable face;
LOW and HIGH are faceedge's choices around them, see README.md "Quality and liveness")::

    level    blur <   illumination >   complete   |yaw|,|pitch|,|roll| <   face >= (px)
    LOW      0.8      20               no         30                       60
    NORMAL   0.7      40               yes        20                       80
    HIGH     0.5      60               yes        15                       100

A face is checked in this order, and the first failure is raised: completeness (223116 incomplete
face), size (222213 face size is too small), illumination (223115 face light is not good), blur
(223114 face is fuzzy), pose (223129 face not forward). A cut or tiny face makes every other figure
unreliable; a dark face has little contrast and can also read as blurred; and the pose comes from
the 5 landmarks, which drift on dark or blurred faces, so it is judged last.

liveness_control: the face's live score (``livemapscore``, the fused MiniFASNet live probability)
must reach the threshold of the liveness set's calibration (models/manifest.json)::

    LOW -> thresholds["frr_1e-4"]   (most permissive: the fewest live faces refused)
    NORMAL -> thresholds["frr_1e-3"]
    HIGH -> thresholds["frr_1e-2"]  (strictest)

else 223120 liveness check fail.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .errors import FaceEdgeError, error
from .results import Angle, FaceAttribute, FaceInfo, FaceQuality

__all__ = ["QualityThresholds", "QUALITY_LEVELS", "LIVENESS_LEVELS", "THRESHOLD_KEYS",
           "quality_failure", "liveness_failure", "liveness_threshold", "control_failure",
           "MeasuredFace", "control_pair", "raise_failure", "passing"]


@dataclass(frozen=True)
class QualityThresholds:
    """The limits of one quality_control level (see the module docstring)."""

    max_blur: float          # blur must be below this (0 sharp .. 1 blurred)
    min_illumination: float  # mean luma of the face box must be above this (0..255)
    complete: bool           # the face box must lie inside the image
    max_angle: float         # |yaw|, |pitch| and |roll| must each be below this (degrees)
    min_size: float          # the shorter box side must be at least this (pixels)

    def to_dict(self) -> Dict[str, object]:
        return {"blur": self.max_blur, "illumination": self.min_illumination,
                "completeness": int(self.complete), "angle": self.max_angle,
                "size": self.min_size}


QUALITY_LEVELS: Mapping[str, QualityThresholds] = {
    "LOW": QualityThresholds(max_blur=0.8, min_illumination=20.0, complete=False,
                             max_angle=30.0, min_size=60.0),
    "NORMAL": QualityThresholds(max_blur=0.7, min_illumination=40.0, complete=True,
                                max_angle=20.0, min_size=80.0),
    "HIGH": QualityThresholds(max_blur=0.5, min_illumination=60.0, complete=True,
                              max_angle=15.0, min_size=100.0),
}

# The three calibrated points of a liveness set, most permissive first.
THRESHOLD_KEYS = ("frr_1e-4", "frr_1e-3", "frr_1e-2")

LIVENESS_LEVELS: Mapping[str, str] = {"LOW": "frr_1e-4", "NORMAL": "frr_1e-3", "HIGH": "frr_1e-2"}


def quality_failure(quality: FaceQuality, angle: Angle, level: str) -> Optional[FaceEdgeError]:
    """The error for the first limit of ``level`` the face fails, or None when it passes.

    ``level`` NONE always passes.
    """
    limits = QUALITY_LEVELS.get(level)
    if limits is None:
        return None
    at = f"at quality_control={level}"
    if limits.complete and not quality.completeness:
        return error(223116, f"the face box reaches outside the image (completeness 0 {at})")
    if quality.size < limits.min_size:
        return error(222213, f"the face is {quality.size:.0f} px (shorter box side), at least "
                             f"{limits.min_size:g} px {at}")
    if not quality.illumination > limits.min_illumination:
        return error(223115, f"illumination is {quality.illumination:.1f}, must be over "
                             f"{limits.min_illumination:g} {at}")
    if not quality.blur < limits.max_blur:
        return error(223114, f"blur is {quality.blur:.3f}, must be under {limits.max_blur:g} {at}")
    for name in ("yaw", "pitch", "roll"):
        value = float(getattr(angle, name))
        if not abs(value) < limits.max_angle:
            return error(223129, f"{name} is {value:.1f} degrees, |{name}| must be under "
                                 f"{limits.max_angle:g} {at}")
    return None


def liveness_threshold(thresholds: Mapping[str, float], level: str) -> Optional[float]:
    """The live-score threshold of ``level`` (None for NONE)."""
    key = LIVENESS_LEVELS.get(level)
    return None if key is None else float(thresholds[key])


def liveness_failure(score: float, thresholds: Mapping[str, float], level: str
                     ) -> Optional[FaceEdgeError]:
    """223120 when ``score`` is under the threshold of ``level``, else None."""
    t = liveness_threshold(thresholds, level)
    if t is None or float(score) >= t:
        return None
    return error(223120, f"live score {float(score):.4f} is under {t:g} "
                         f"(liveness_control={level}, threshold {LIVENESS_LEVELS[level]})")


def control_failure(quality: Optional[FaceQuality], angle: Angle, live_score: Optional[float],
                    quality_control: str, liveness_control: str,
                    thresholds: Mapping[str, float]) -> Optional[FaceEdgeError]:
    """The first control a face fails (quality first, then liveness, as Baidu), or None.

    A control that is on needs its figures measured (``quality`` / ``live_score`` not None).
    """
    if quality_control != "NONE":
        assert quality is not None
        err = quality_failure(quality, angle, quality_control)
        if err is not None:
            return err
    if liveness_control != "NONE":
        assert live_score is not None
        return liveness_failure(live_score, thresholds, liveness_control)
    return None


# ---- applied to a call's faces ------------------------------------------------------------------

@dataclass(frozen=True)
class MeasuredFace:
    """A detected face with the figures measured for it."""

    info: FaceInfo                         # without quality / liveness: what the token cache keeps
    index: int                             # row in the detector's arrays (-1: from a face token)
    quality: Optional[FaceQuality] = None
    liveness: Optional[float] = None
    gender: Optional[FaceAttribute] = None
    emotion: Optional[FaceAttribute] = None

    def shown(self, face_field: Sequence[str]) -> FaceInfo:
        """The FaceInfo to return: the requested ``quality`` / ``liveness`` / ``gender`` /
        ``emotion`` filled in."""
        return replace(self.info,
                       quality=self.quality if "quality" in face_field else None,
                       liveness=self.liveness if "liveness" in face_field else None,
                       gender=self.gender if "gender" in face_field else None,
                       emotion=self.emotion if "emotion" in face_field else None)

    def failure(self, quality_control: str, liveness_control: str,
                thresholds: Mapping[str, float]) -> Optional[FaceEdgeError]:
        """The first control this face fails, or None (:func:`control_failure`)."""
        return control_failure(self.quality, self.info.angle, self.liveness, quality_control,
                               liveness_control, thresholds)


def control_pair(value: Union[str, Sequence[str]], parse: Callable[[object], str]
                 ) -> Tuple[str, str]:
    """A control level for both images, or one per image from a pair."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return parse(value[0]), parse(value[1])
    level = parse(value)
    return level, level


def raise_failure(face: MeasuredFace, quality_control: str, liveness_control: str,
                  thresholds: Mapping[str, float], label: Optional[str]) -> None:
    """Raise the first control ``face`` fails (its message prefixed with ``label``)."""
    err = face.failure(quality_control, liveness_control, thresholds)
    if err is not None:
        raise (err.with_context(label) if label else err)


def passing(faces: List[MeasuredFace], quality_control: str, liveness_control: str,
            thresholds: Mapping[str, float], label: Optional[str]) -> List[MeasuredFace]:
    """The faces passing the controls; when none does, the first face's error."""
    if quality_control == "NONE" and liveness_control == "NONE":
        return faces
    kept: List[MeasuredFace] = []
    first: Optional[FaceEdgeError] = None
    for face in faces:
        err = face.failure(quality_control, liveness_control, thresholds)
        if err is None:
            kept.append(face)
        elif first is None:
            first = err
    if not kept:
        assert first is not None
        if len(faces) > 1:
            first = first.with_context(f"none of the {len(faces)} faces passed; the first")
        raise (first.with_context(label) if label else first)
    return kept
