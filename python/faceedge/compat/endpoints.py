"""One function per Baidu face endpoint: the request body (as the SDK sends it) in, Baidu's
``result`` object out.

Bodies are read the way Baidu reads them: parameter names and defaults of face v3, numbers as
JSON numbers or strings (form bodies send strings), unknown parameters ignored. ``image_type``
is required: a network string is only ever read as BASE64 data, a face token or (when the
service allows it) a URL, never as a file path on this machine.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple

from ..errors import AlreadyExistsError, FaceEdgeError, baidu_case, error
from ..images import LimitedImage, normalize_image_type
from ..photo import open_photo
from .envelope import FEEDBACK_KEY
from .face_fields import add_face_crops, with_face_fields

if TYPE_CHECKING:  # pragma: no cover
    from .service import BaiduFaceService

__all__ = ["HANDLERS", "OFFLINE", "Handler"]

Handler = Callable[["BaiduFaceService", Any], Any]

FACE_TYPES = ("LIVE", "IDCARD", "WATERMARK", "CERT", "INFRARED")


# ---- reading a body ------------------------------------------------------------------------------

def _object(body: Any, what: str = "the request body") -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise error(216100, f"{what} must be a JSON object, got {_kind(body)}")
    return body


def _items(body: Any, endpoint: str) -> List[Mapping[str, Any]]:
    """match / faceverify: a JSON array of objects, one per image."""
    if not isinstance(body, list):
        raise error(216100, f"{endpoint} takes a JSON array of image objects, got {_kind(body)}")
    return [_object(item, f"{endpoint} item {k}") for k, item in enumerate(body)]


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string"}.get(type(value),
                                                                       type(value).__name__)


def _get(body: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """A parameter, with JSON null taken as absent (Baidu's optional parameters)."""
    value = body.get(key)
    return default if value is None else value


def _check_face_type(body: Mapping[str, Any], label: str = "") -> None:
    """face_type is a hint for Baidu's models (ID photo, watermark...); checked, then unused."""
    value = body.get("face_type")
    if value is not None and (not isinstance(value, str) or value.upper() not in FACE_TYPES):
        raise error(222024, f"{label}face_type must be one of {', '.join(FACE_TYPES)}, "
                            f"got {str(value)[:40]!r}")


def _flag(body: Mapping[str, Any], key: str) -> bool:
    """A Baidu 0/1 option (absent: 0); anything else is 216100."""
    value = _get(body, key, 0)
    if value in (0, 1, "0", "1", True, False):
        return str(int(value)) == "1"
    raise error(216100, f"{key} must be 0 or 1, got {value!r}")


def _image(service: "BaiduFaceService", body: Mapping[str, Any], label: str = ""
           ) -> Tuple[Any, Optional[str]]:
    """(image, image_type) to hand to the engine; a URL is downloaded here or refused. Images
    travel wrapped with the service's limits (Baidu's by default), which the engine and the
    library check where they read the image, as for any image."""
    image, kind = body.get("image"), body.get("image_type")
    if image is None or _blank(image):
        raise error(222001, f"{label}param[image] is null")
    if kind is None or _blank(kind):
        raise error(222001, f"{label}param[image_type] is null: say BASE64, URL or FACE_TOKEN")
    kind = normalize_image_type(kind)
    if kind == "FACE_TOKEN":
        return image, kind
    if kind != "URL":
        return LimitedImage(image, service.image_limits), kind
    if not service.allow_url:
        raise error(222015, f"{label}image_type URL is refused: this faceedge service works "
                            "offline and does not download images; send the image as BASE64 "
                            "(or start the service with allow_url / faceedge serve --allow-url)")
    from .urls import fetch_image

    try:
        data = fetch_image(image, service.url_timeout, service.image_limits.max_encoded_bytes,
                           policy=service.url_policy)
        return LimitedImage(data, service.image_limits), None
    except FaceEdgeError as exc:
        raise (exc.with_context(label.rstrip(": ")) if label else exc) from None


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def _controls(body: Mapping[str, Any]) -> Tuple[Any, Any]:
    return _get(body, "quality_control", "NONE"), _get(body, "liveness_control", "NONE")


# ---- face v3: detection, comparison, liveness -------------------------------------------------------

def detect(service: "BaiduFaceService", body: Any) -> Any:
    body = _object(body)
    _check_face_type(body)
    image, kind = _image(service, body)
    qc, lc = _controls(body)
    crops = _flag(body, "display_corp_image")

    def run(face_field: Any) -> Dict[str, Any]:
        return service.engine.detect(
            image, max_face_num=_get(body, "max_face_num", 1),
            face_sort_type=_get(body, "face_sort_type", 0),
            min_face_size=_get(body, "min_face_size", 0), face_field=face_field,
            image_type=kind, quality_control=qc, liveness_control=lc).to_dict()

    result = with_face_fields(_get(body, "face_field"), service.strict_face_field, run)
    if crops and kind != "FACE_TOKEN":  # a token has no pixels to cut from
        add_face_crops(result, open_photo(image, kind).at(1).image)
    return result


def match(service: "BaiduFaceService", body: Any) -> Any:
    items = _items(body, "match")
    if len(items) != 2:
        raise error(222208, f"match compares 2 images, got {len(items)}")
    for k, item in enumerate(items):
        _check_face_type(item, f"images[{k}]: ")
    (image1, kind1), (image2, kind2) = (_image(service, item, f"images[{k}]: ")
                                       for k, item in enumerate(items))
    (qc1, lc1), (qc2, lc2) = (_controls(item) for item in items)
    return service.engine.match(image1, image2, kind1, kind2, quality_control=(qc1, qc2),
                                liveness_control=(lc1, lc2)).to_dict()


def faceverify(service: "BaiduFaceService", body: Any) -> Any:
    items = _items(body, "faceverify")
    images = []
    for k, item in enumerate(items):
        image, kind = _image(service, item, f"images[{k}]: ")
        images.append({"image": image, "image_type": kind})
    # face_field and option are per image in Baidu's body but mean the whole call: the first
    # image's values are used.
    first = items[0] if items else {}
    return with_face_fields(
        _get(first, "face_field"), service.strict_face_field,
        lambda face_field: service.engine.faceverify(
            images, face_field=face_field, option=_get(first, "option", "COMMON")).to_dict())


# ---- face v3: search --------------------------------------------------------------------------------

def search(service: "BaiduFaceService", body: Any) -> Any:
    body = _object(body)
    image, kind = _image(service, body)
    qc, lc = _controls(body)
    return service.library.search(
        image, body.get("group_id_list"), match_threshold=_get(body, "match_threshold", 80),
        max_user_num=_get(body, "max_user_num", 1), quality_control=qc, liveness_control=lc,
        user_id=body.get("user_id"), image_type=kind).to_dict()


def multi_search(service: "BaiduFaceService", body: Any) -> Any:
    body = _object(body)
    image, kind = _image(service, body)
    qc, lc = _controls(body)
    return service.library.multi_search(
        image, body.get("group_id_list"), max_face_num=_get(body, "max_face_num", 1),
        match_threshold=_get(body, "match_threshold", 80),
        max_user_num=_get(body, "max_user_num", 1), quality_control=qc, liveness_control=lc,
        image_type=kind).to_dict()


# ---- face v3: the face library ----------------------------------------------------------------------

def _enrol(service: "BaiduFaceService", body: Any, method: str, default_action: str) -> Any:
    body = _object(body)
    image, kind = _image(service, body)
    qc, lc = _controls(body)
    enrol = getattr(service.library, method)
    return enrol(image, body.get("group_id"), body.get("user_id"), user_info=body.get("user_info"),
                 quality_control=qc, liveness_control=lc,
                 action_type=_get(body, "action_type", default_action), image_type=kind).to_dict()


def user_add(service: "BaiduFaceService", body: Any) -> Any:
    return _enrol(service, body, "add_user", "APPEND")


def user_update(service: "BaiduFaceService", body: Any) -> Any:
    return _enrol(service, body, "update_user", "UPDATE")


def face_delete(service: "BaiduFaceService", body: Any) -> Any:
    body = _object(body)
    service.library.face_delete(body.get("user_id"), body.get("group_id"), body.get("face_token"))
    return None


def user_get(service: "BaiduFaceService", body: Any) -> Any:
    body = _object(body)
    return service.library.get_user(body.get("user_id"), body.get("group_id")).to_dict()


def face_getlist(service: "BaiduFaceService", body: Any) -> Any:
    body = _object(body)
    return service.library.face_getlist(body.get("user_id"), body.get("group_id")).to_dict()


def group_getusers(service: "BaiduFaceService", body: Any) -> Any:
    body = _object(body)
    return service.library.get_group_users(body.get("group_id"), start=_get(body, "start", 0),
                                           length=_get(body, "length", 100)).to_dict()


def user_copy(service: "BaiduFaceService", body: Any) -> Any:
    body = _object(body)
    try:
        service.library.user_copy(body.get("user_id"), body.get("src_group_id"),
                                  body.get("dst_group_id"))
    except AlreadyExistsError as exc:  # the library's 223102; Baidu answers this one so
        raise baidu_case(216100, "already add", exc.detail) from None
    return None


def user_delete(service: "BaiduFaceService", body: Any) -> Any:
    body = _object(body)
    service.library.delete_user(body.get("group_id"), body.get("user_id"))
    return None


def group_add(service: "BaiduFaceService", body: Any) -> Any:
    service.library.group_add(_object(body).get("group_id"))
    return None


def group_delete(service: "BaiduFaceService", body: Any) -> Any:
    service.library.group_delete(_object(body).get("group_id"))
    return None


def group_getlist(service: "BaiduFaceService", body: Any) -> Any:
    body = _object(body)
    return service.library.get_group_list(start=_get(body, "start", 0),
                                          length=_get(body, "length", 100)).to_dict()


HANDLERS: Dict[str, Handler] = {
    "detect": detect,
    "match": match,
    "faceverify": faceverify,
    "search": search,
    "multi-search": multi_search,
    "faceset/user/add": user_add,
    "faceset/user/update": user_update,
    "faceset/face/delete": face_delete,
    "faceset/user/get": user_get,
    "faceset/face/getlist": face_getlist,
    "faceset/group/getusers": group_getusers,
    "faceset/user/copy": user_copy,
    "faceset/user/delete": user_delete,
    "faceset/group/add": group_add,
    "faceset/group/delete": group_delete,
    "faceset/group/getlist": group_getlist,
}

# The SDK's other endpoints: why each one cannot be answered on the device (error 216102).
_IDENTITY = ("checks a person against China's Ministry of Public Security identity database, "
             "which only Baidu's cloud can reach")
_SCENE = ("the scene-based face library is a Baidu cloud product; use faceset/user/add, "
          "faceset/user/update, faceset/group/add and search, which faceedge runs offline")
OFFLINE: Dict[str, str] = {
    "person/verify": _IDENTITY,
    "person/idmatch": _IDENTITY,
    "v4/mingjing/verify": _IDENTITY,
    "v4/idmatch_date": _IDENTITY,
    "v4/verify_date": _IDENTITY,
    "v4/mingjing/match": ("face comparison V4 is part of Baidu's cloud real-name product; use "
                          "match (face v3), which faceedge runs offline"),
    "v4/faceverify": ("online picture liveness V4 takes session data from Baidu's mobile SDK; use "
                      "faceverify (face v3), which faceedge runs offline"),
    "v1/faceliveness/sessioncode": ("video liveness with voice session codes runs in Baidu's "
                                    "cloud; use faceverify (image liveness), which faceedge runs "
                                    "offline"),
    "v1/faceliveness/verify": ("video liveness with voice session codes runs in Baidu's cloud; "
                               "use faceverify (image liveness), which faceedge runs offline"),
    "v1/merge": "face merging generates images; faceedge has no such model",
    "v1/editattr": "face attribute editing generates images; faceedge has no such model",
    "v1/landmark": ("the 150-point landmark model is Baidu's; faceedge's detect returns the "
                    "4-point landmark and landmark5"),
    "scene/faceset/user/add": _SCENE,
    "scene/faceset/user/update": _SCENE,
    "scene/faceset/group/add": _SCENE,
    "capture/search": _SCENE,
    FEEDBACK_KEY: "feedback reports go to Baidu's cloud",
}
