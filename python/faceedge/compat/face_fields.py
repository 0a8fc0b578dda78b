"""``face_field`` and ``display_corp_image`` as a Baidu client expects them.

Baidu's own samples ask for every field it offers (detect's sample names fourteen). faceedge
computes some of them; a call that failed because of the others would give a client copied from
Baidu's docs no faces at all. So by default (``strict_face_field=False``) a field faceedge does
not compute, or whose model is not installed here, is left out of every face and named in the
reply's ``result.unsupported_face_field``; nothing is invented for it. A name Baidu does not define
is still 222017. ``strict_face_field=True`` (``faceedge serve --strict-face-field``) gives 222017
for any field faceedge cannot compute, as the Python API does.
"""
from __future__ import annotations

import base64
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from ..errors import FaceEdgeError, error
from ..heads import ATTRIBUTE_MODELS
from ..options import UNSUPPORTED_FACE_FIELDS

__all__ = ["with_face_fields", "add_face_crops"]

FaceFieldCall = Callable[[Any], Dict[str, Any]]


def _names(face_field: Any) -> Optional[List[str]]:
    """The names of a str or list face_field; None for another type (the engine says 222017)."""
    if isinstance(face_field, str):
        return [n.strip() for n in face_field.split(",") if n.strip()]
    if isinstance(face_field, (list, tuple)) and all(isinstance(n, str) for n in face_field):
        return [n.strip() for n in face_field if n.strip()]
    return None


def _split(face_field: Any) -> Tuple[Any, List[str]]:
    names = _names(face_field)
    if names is None:
        return face_field, []
    left_out = [n for n in dict.fromkeys(names) if n in UNSUPPORTED_FACE_FIELDS]
    kept = [n for n in names if n not in UNSUPPORTED_FACE_FIELDS]
    return ",".join(kept), left_out


def with_face_fields(face_field: Any, strict: bool, call: FaceFieldCall) -> Dict[str, Any]:
    """``call(face_field)`` under the policy above; the result gets ``unsupported_face_field``
    when something was left out."""
    if strict:
        return call(face_field)
    kept, left_out = _split(face_field)
    try:
        result = call(kept)
    except FaceEdgeError as exc:
        names = _names(kept) or []
        missing = [n for n in names if n in ATTRIBUTE_MODELS]
        if exc.error_code != 229001 or not missing:
            raise
        # An attribute head (gender, emotion) whose model is not installed here.
        left_out += missing
        result = call(",".join(n for n in names if n not in missing))
    if left_out:
        result["unsupported_face_field"] = left_out
    return result


def add_face_crops(result: Dict[str, Any], image: np.ndarray) -> None:
    """``display_corp_image=1``: each face of a detect result gets ``corp_image_base64``, the
    JPEG of its box cut from the image (Baidu's spelling of the key). The box is axis-aligned and
    clipped to the image; the crop is not rotated or aligned."""
    import cv2

    height, width = image.shape[:2]
    for face in result.get("face_list") or []:
        loc = face["location"]
        x0, y0 = max(0, int(np.floor(loc["left"]))), max(0, int(np.floor(loc["top"])))
        x1 = min(width, int(np.ceil(loc["left"] + loc["width"])))
        y1 = min(height, int(np.ceil(loc["top"] + loc["height"])))
        if x1 <= x0 or y1 <= y0:
            face["corp_image_base64"] = ""
            continue
        ok, jpeg = cv2.imencode(".jpg", np.ascontiguousarray(image[y0:y1, x0:x1]),
                                [cv2.IMWRITE_JPEG_QUALITY, 90])
        if not ok:
            raise error(222302, "could not encode a face crop as JPEG")
        face["corp_image_base64"] = base64.b64encode(jpeg.tobytes()).decode("ascii")
