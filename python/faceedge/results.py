"""Result dataclasses whose ``to_dict()`` is the ``result`` object of Baidu face v3's JSON.

Rounding follows Baidu's responses: coordinates and angles with 2 decimals, ``rotation`` an int,
``face_probability`` in 0..1. Landmark conventions (Baidu's ``landmark``, 4 points):

* ``landmark[0]`` "left eye" and ``landmark[1]`` "right eye" are the eyes on the image's left and
  right in a frontal photo, as the viewer sees them: that is the detector's point 0 (the subject's
  right eye) and point 1 (the subject's left eye). Baidu's examples list the smaller-x eye first;
  keeping the detector's order also keeps the two eyes stable when a face turns.
* ``landmark[2]`` is the nose tip and ``landmark[3]`` the mouth centre, the mean of the two mouth
  corners.

``landmark5`` (a faceedge addition) holds the detector's 5 points unchanged, in YuNet / ArcFace
order: right eye, left eye, nose tip, right mouth corner, left mouth corner (subject's sides).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

__all__ = ["Point", "Location", "Angle", "FaceQuality", "FaceAttribute", "FaceInfo", "DetectResult", "MatchResult",
           "FaceVerifyResult",
           "baidu_landmark4", "AddUserResult", "UserEntry", "GetUserResult", "FaceEntry",
           "FaceListResult", "GroupUsersResult", "GroupListResult", "UserMatch", "SearchResult",
           "MultiSearchFace", "MultiSearchResult"]


def _r2(value: float) -> float:
    return round(float(value), 2) + 0.0  # + 0.0 turns -0.0 into 0.0


@dataclass(frozen=True)
class Point:
    """A point in image pixels."""

    x: float
    y: float

    def to_dict(self) -> Dict[str, float]:
        return {"x": _r2(self.x), "y": _r2(self.y)}


@dataclass(frozen=True)
class Location:
    """Face box in image pixels; ``rotation`` is the box's clockwise angle from vertical.

    faceedge boxes are axis-aligned (the detector's box), so ``rotation`` is 0; the face's
    in-plane tilt is :attr:`Angle.roll`.
    """

    left: float
    top: float
    width: float
    height: float
    rotation: int = 0

    def to_dict(self) -> Dict[str, Any]:
        return {"left": _r2(self.left), "top": _r2(self.top), "width": _r2(self.width),
                "height": _r2(self.height), "rotation": int(self.rotation)}


@dataclass(frozen=True)
class Angle:
    """Head pose in degrees, Baidu's signs: yaw [-90 left, 90 right], pitch [-90 up, 90 down],
    roll [-180 counter-clockwise, 180 clockwise]."""

    yaw: float
    pitch: float
    roll: float

    def to_dict(self) -> Dict[str, float]:
        return {"yaw": _r2(self.yaw), "pitch": _r2(self.pitch), "roll": _r2(self.roll)}


def baidu_landmark4(landmark5: Sequence[Point]) -> Tuple[Point, Point, Point, Point]:
    """Baidu's 4 points from the detector's 5: the two eyes, nose tip, mouth centre."""
    right_eye, left_eye, nose, mouth_r, mouth_l = landmark5
    mouth = Point((mouth_r.x + mouth_l.x) / 2.0, (mouth_r.y + mouth_l.y) / 2.0)
    return (right_eye, left_eye, nose, mouth)


@dataclass(frozen=True)
class FaceQuality:
    """Baidu's ``quality`` object, as far as faceedge measures it (``face_field`` "quality").

    ``blur`` 0 (sharp) .. 1 (blurred); ``illumination`` the mean luma Y (0..255) of the face box;
    ``completeness`` 1 when the face box lies inside the image, else 0. ``size`` (the shorter box
    side in pixels, used by ``quality_control``) is an attribute only: ``location`` already has
    the box. Baidu's ``occlusion`` is not computed (faceedge has no occlusion model) and is left
    out rather than invented.
    """

    blur: float
    illumination: float
    completeness: int
    size: float = 0.0

    def to_dict(self) -> Dict[str, Any]:
        return {"blur": round(float(self.blur), 4) + 0.0,
                "illumination": round(float(self.illumination), 2) + 0.0,
                "completeness": int(self.completeness)}


@dataclass(frozen=True)
class FaceAttribute:
    """Baidu's ``gender`` / ``emotion`` object: the most probable class (``type``: male/female;
    angry/disgust/fear/happy/sad/surprise/neutral) and its probability."""

    type: str
    probability: float

    def to_dict(self) -> Dict[str, Any]:
        return {"type": self.type, "probability": round(float(self.probability), 4) + 0.0}


@dataclass(frozen=True)
class FaceInfo:
    """One face of a detect result (an item of ``face_list``).

    ``quality`` and ``liveness`` (the live score, Baidu's ``liveness.livemapscore``) are set only
    when asked for (``face_field`` "quality" / "liveness", and always ``liveness`` in faceverify);
    so are ``gender`` and ``emotion`` (``face_field`` "gender" / "emotion"). ``to_dict()`` shows
    them only then.
    """

    face_token: str
    location: Location
    face_probability: float
    angle: Angle
    landmark5: Tuple[Point, ...]
    quality: Optional[FaceQuality] = None
    liveness: Optional[float] = None
    gender: Optional[FaceAttribute] = None
    emotion: Optional[FaceAttribute] = None

    @property
    def landmark(self) -> Tuple[Point, Point, Point, Point]:
        """Baidu's 4 points (see the module docstring for the order)."""
        return baidu_landmark4(self.landmark5)

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "face_token": self.face_token,
            "location": self.location.to_dict(),
            "face_probability": round(float(self.face_probability), 4),
            "angle": self.angle.to_dict(),
            "landmark": [p.to_dict() for p in self.landmark],
            "landmark5": [p.to_dict() for p in self.landmark5],
        }
        if self.quality is not None:
            out["quality"] = self.quality.to_dict()
        if self.liveness is not None:
            out["liveness"] = {"livemapscore": round(float(self.liveness), 6) + 0.0}
        if self.gender is not None:
            out["gender"] = self.gender.to_dict()
        if self.emotion is not None:
            out["emotion"] = self.emotion.to_dict()
        return out


@dataclass(frozen=True)
class DetectResult:
    """Baidu's detect ``result``: ``{"face_num": n, "face_list": [...]}``."""

    face_num: int
    face_list: List[FaceInfo] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"face_num": int(self.face_num), "face_list": [f.to_dict() for f in self.face_list]}


@dataclass(frozen=True)
class MatchResult:
    """Baidu's match ``result``: ``score`` 0..100 and one ``face_token`` per image.

    ``cosine`` (a faceedge addition) is the raw cosine similarity of the two embeddings; ``score``
    is the calibrated, monotone mapping of it (80 at the embedder's FAR 1e-4 cosine).
    ``calibration`` (a faceedge addition) says which calibration set the score: ``{"id",
    "calibrated", "score80_cosine", "far_at_80"}``; ``calibrated`` False means score 80 is not a
    measured false-accept point for this embedder.
    """

    score: float
    cosine: float
    face_list: List[str] = field(default_factory=list)  # face tokens, image1 then image2
    calibration: Optional[Mapping[str, Any]] = None

    def to_dict(self) -> Dict[str, Any]:
        out = {"score": round(float(self.score), 4), "cosine": round(float(self.cosine), 6),
               "face_list": [{"face_token": t} for t in self.face_list]}
        return _with_calibration(out, self.calibration)


@dataclass(frozen=True)
class FaceVerifyResult:
    """Baidu's faceverify ``result``: ``face_liveness`` (the best live score of the images),
    ``thresholds`` (the liveness set's calibrated points ``frr_1e-4`` / ``frr_1e-3`` /
    ``frr_1e-2``, to compare ``face_liveness`` with) and one ``face_list`` item per image (its
    largest face, with ``liveness`` and the requested fields).

    ``option`` (a faceedge addition) is the scene whose thresholds were returned (COMMON, GATE).
    """

    face_liveness: float
    thresholds: Mapping[str, float]
    face_list: List[FaceInfo] = field(default_factory=list)
    option: str = "COMMON"

    def to_dict(self) -> Dict[str, Any]:
        return {"face_liveness": round(float(self.face_liveness), 6) + 0.0,
                "thresholds": {k: float(v) for k, v in self.thresholds.items()},
                "face_list": [f.to_dict() for f in self.face_list]}


# ---- face library ---------------------------------------------------------------------------
# Calls whose Baidu ``result`` is null (face_delete, delete_user, user_copy, group_add,
# group_delete) return None.


@dataclass(frozen=True)
class AddUserResult:
    """add_user / update_user ``result``: the enrolled face's token and box."""

    face_token: str
    location: Location

    def to_dict(self) -> Dict[str, Any]:
        return {"face_token": self.face_token, "location": self.location.to_dict()}


@dataclass(frozen=True)
class UserEntry:
    """One item of get_user's ``user_list``."""

    user_info: str
    group_id: str

    def to_dict(self) -> Dict[str, Any]:
        return {"user_info": self.user_info, "group_id": self.group_id}


@dataclass(frozen=True)
class GetUserResult:
    """get_user ``result``: ``{"user_list": [{"user_info", "group_id"}]}``."""

    user_list: List[UserEntry] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"user_list": [u.to_dict() for u in self.user_list]}


@dataclass(frozen=True)
class FaceEntry:
    """One item of face_getlist's ``face_list``; ``ctime`` is local time, Baidu's
    ``"YYYY-MM-DD HH:MM:SS"``."""

    face_token: str
    ctime: str

    def to_dict(self) -> Dict[str, Any]:
        return {"face_token": self.face_token, "ctime": self.ctime}


@dataclass(frozen=True)
class FaceListResult:
    """face_getlist ``result``: ``{"face_list": [{"face_token", "ctime"}]}``, oldest first."""

    face_list: List[FaceEntry] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"face_list": [f.to_dict() for f in self.face_list]}


@dataclass(frozen=True)
class GroupUsersResult:
    """get_group_users ``result``: ``{"user_id_list": [...]}``, in enrolment order."""

    user_id_list: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"user_id_list": list(self.user_id_list)}


@dataclass(frozen=True)
class GroupListResult:
    """get_group_list ``result``: ``{"group_id_list": [...]}``, in creation order."""

    group_id_list: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"group_id_list": list(self.group_id_list)}


@dataclass(frozen=True)
class UserMatch:
    """One enrolled user matching a face: ``score`` 0..100 is the best of the user's faces.

    ``cosine`` (the raw cosine behind ``score``) is an attribute only: ``to_dict()`` keeps
    Baidu's exact shape.
    """

    group_id: str
    user_id: str
    user_info: str
    score: float
    cosine: float = 0.0

    def to_dict(self) -> Dict[str, Any]:
        return {"group_id": self.group_id, "user_id": self.user_id, "user_info": self.user_info,
                "score": round(float(self.score), 4)}


@dataclass(frozen=True)
class SearchResult:
    """search ``result``: the query face's token and the best users, best first; ``calibration``
    as :class:`MatchResult`'s (a faceedge addition)."""

    face_token: str
    user_list: List[UserMatch] = field(default_factory=list)
    calibration: Optional[Mapping[str, Any]] = None

    def to_dict(self) -> Dict[str, Any]:
        out = {"face_token": self.face_token, "user_list": [u.to_dict() for u in self.user_list]}
        return _with_calibration(out, self.calibration)


@dataclass(frozen=True)
class MultiSearchFace:
    """One face of a multi_search: its token, box and matching users (possibly none)."""

    face_token: str
    location: Location
    user_list: List[UserMatch] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"face_token": self.face_token, "location": self.location.to_dict(),
                "user_list": [u.to_dict() for u in self.user_list]}


@dataclass(frozen=True)
class MultiSearchResult:
    """multi_search ``result``: ``{"face_num": n, "face_list": [...]}``, largest face first;
    ``calibration`` as :class:`MatchResult`'s (a faceedge addition)."""

    face_num: int
    face_list: List[MultiSearchFace] = field(default_factory=list)
    calibration: Optional[Mapping[str, Any]] = None

    def to_dict(self) -> Dict[str, Any]:
        out = {"face_num": int(self.face_num), "face_list": [f.to_dict() for f in self.face_list]}
        return _with_calibration(out, self.calibration)


def _with_calibration(out: Dict[str, Any], calibration: Optional[Mapping[str, Any]]
                      ) -> Dict[str, Any]:
    """``out`` plus the ``calibration`` field when the result carries one."""
    if calibration is not None:
        out["calibration"] = dict(calibration)
    return out
