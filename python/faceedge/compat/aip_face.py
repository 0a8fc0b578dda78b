"""``AipFace``: the ``baidu-aip`` SDK's face client, answered on this device.

Same constructor, method names, positional arguments and ``options`` dicts as ``aip.AipFace`` of
baidu-aip 4.16.13; each method builds the body the SDK would send and hands it to a
:class:`~faceedge.compat.service.BaiduFaceService`, so the reply is the envelope Baidu's server
(and ``faceedge serve``) returns. Moving a client is one line::

    from faceedge.compat import AipFace      # was: from aip import AipFace

The keys are accepted and kept but never checked or sent anywhere. Methods that need Baidu's cloud
(identity checks, video liveness, ...) answer error 216102 saying why.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

from ..engine import FaceEngine
from ..errors import error
from ..images import ImageLimits
from ..library import FaceLibrary
from ..models import ModelsArg
from .envelope import FEEDBACK_KEY, endpoint_key, failure
from .service import BaiduFaceService

__all__ = ["AipFace", "default_library_path"]

Options = Optional[Mapping[str, Any]]
SDK_VERSION = "4.16.13"  # the baidu-aip release whose interface this class follows


def default_library_path(app_id: str) -> Path:
    """Where an ``AipFace`` keeps its face library when given none: ``$FACEEDGE_LIBRARY``, else
    ``$XDG_DATA_HOME/faceedge/<appId>.db`` (``~/.local/share`` when unset), one per app like
    Baidu's. The file is created on the first library call only."""
    env = os.environ.get("FACEEDGE_LIBRARY")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                           "share")
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", app_id) or "default"
    return Path(base) / "faceedge" / f"{name}.db"


class AipFace:
    """Drop-in for ``aip.AipFace`` (baidu-aip 4.16.13), offline.

    Args:
        appId, apiKey, secretKey: as for the SDK; kept, never used for anything.
        service: a :class:`BaiduFaceService` to share (with ``faceedge serve``, or between
            clients); otherwise one is built from the arguments below.
        library: an open :class:`~faceedge.FaceLibrary`, or a path to one; default
            :func:`default_library_path` (opened on the first library call).
        engine: a :class:`~faceedge.FaceEngine` to use; built from ``models`` when None.
        allow_url: download ``image_type=URL`` images (refused by default: the device is
            offline); ``True`` / ``"public"``, ``"private"`` or ``"any"`` say from which
            addresses (:class:`~faceedge.compat.BaiduFaceService`).
        image_limits: the :class:`~faceedge.images.ImageLimits` images must keep; default
            Baidu's (10 MB, sides 24..4096 px: over them is 216202, as from Baidu). Pass
            ``faceedge.images.NATIVE_LIMITS`` to take camera photos.
    """

    def __init__(self, appId: str, apiKey: str, secretKey: str, *,
                 service: Optional[BaiduFaceService] = None,
                 library: Union[None, FaceLibrary, str, "os.PathLike[str]"] = None,
                 engine: Optional[FaceEngine] = None, models: ModelsArg = None,
                 allow_url: Union[bool, str] = False,
                 image_limits: Optional[ImageLimits] = None) -> None:
        self._appId = str(appId).strip()
        self._apiKey = str(apiKey).strip()
        self._secretKey = str(secretKey).strip()
        self._connect_timeout_ms: Optional[float] = None
        self._socket_timeout_ms: Optional[float] = None
        self._proxies: Dict[str, str] = {}
        self._own_service = service is None
        limits = {} if image_limits is None else {"image_limits": image_limits}
        if service is not None:
            if library is not None or engine is not None or models is not None or allow_url \
                    or image_limits is not None:
                raise error(229014, "give service, or library/engine/models/allow_url/"
                                    "image_limits, not both")
            self._service = service
        elif isinstance(library, FaceLibrary):
            self._service = BaiduFaceService(engine, library, models=models, allow_url=allow_url,
                                             **limits)
        else:
            path = library if library is not None else default_library_path(self._appId)
            self._service = BaiduFaceService(engine, library_path=path, models=models,
                                             allow_url=allow_url, **limits)

    @property
    def service(self) -> BaiduFaceService:
        """The service answering this client's calls."""
        return self._service

    def close(self) -> None:
        """Close the library this client opened (a shared ``service`` is left open)."""
        if self._own_service:
            self._service.close()

    def __enter__(self) -> "AipFace":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- AipBase: settings kept for compatibility, nothing goes over a network -------------------

    def getVersion(self) -> str:
        return SDK_VERSION

    def setConnectionTimeoutInMillis(self, ms: float) -> None:
        self._connect_timeout_ms = ms

    def setSocketTimeoutInMillis(self, ms: float) -> None:
        self._socket_timeout_ms = ms

    def setProxies(self, proxies: Dict[str, str]) -> None:
        self._proxies = proxies

    def post(self, url: str, data: Any, headers: Optional[Mapping[str, str]] = None
             ) -> Dict[str, Any]:
        """The SDK's generic call: ``url`` is one of Baidu's face URLs, ``data`` a dict or the
        JSON text the SDK would send."""
        if isinstance(data, (bytes, bytearray)):
            data = bytes(data).decode("utf-8", errors="replace")
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else {}
            except ValueError as exc:
                return failure(error(216100, f"the request body is not JSON: {exc}"))
        key = endpoint_key(url) if isinstance(url, str) else None
        return self._request(key or str(url), data)

    def report(self, feedback: Any) -> Dict[str, Any]:
        return self._request(FEEDBACK_KEY, {"feedback": feedback})

    def _request(self, path: str, body: Any) -> Dict[str, Any]:
        return self._service.call(path, body)

    def _send(self, path: str, fields: Dict[str, Any], options: Options) -> Dict[str, Any]:
        """The SDK's body: the positional fields, then the options over them."""
        data = dict(fields)
        data.update(options or {})
        return self._request(path, data)

    # ---- face v3 -----------------------------------------------------------------------------------

    def detect(self, image, image_type, options=None):
        return self._send("detect", {"image": image, "image_type": image_type}, options)

    def search(self, image, image_type, group_id_list, options=None):
        return self._send("search", {"image": image, "image_type": image_type,
                                     "group_id_list": group_id_list}, options)

    def multiSearch(self, image, image_type, group_id_list, options=None):
        return self._send("multi-search", {"image": image, "image_type": image_type,
                                           "group_id_list": group_id_list}, options)

    def addUser(self, image, image_type, group_id, user_id, options=None):
        return self._send("faceset/user/add", {"image": image, "image_type": image_type,
                                               "group_id": group_id, "user_id": user_id}, options)

    def updateUser(self, image, image_type, group_id, user_id, options=None):
        return self._send("faceset/user/update", {"image": image, "image_type": image_type,
                                                  "group_id": group_id, "user_id": user_id},
                          options)

    def faceDelete(self, user_id, group_id, face_token, options=None):
        return self._send("faceset/face/delete", {"user_id": user_id, "group_id": group_id,
                                                  "face_token": face_token}, options)

    def getUser(self, user_id, group_id, options=None):
        return self._send("faceset/user/get", {"user_id": user_id, "group_id": group_id}, options)

    def faceGetlist(self, user_id, group_id, options=None):
        return self._send("faceset/face/getlist", {"user_id": user_id, "group_id": group_id},
                          options)

    def getGroupUsers(self, group_id, options=None):
        return self._send("faceset/group/getusers", {"group_id": group_id}, options)

    def userCopy(self, user_id, options=None):
        return self._send("faceset/user/copy", {"user_id": user_id}, options)

    def deleteUser(self, group_id, user_id, options=None):
        return self._send("faceset/user/delete", {"group_id": group_id, "user_id": user_id},
                          options)

    def groupAdd(self, group_id, options=None):
        return self._send("faceset/group/add", {"group_id": group_id}, options)

    def groupDelete(self, group_id, options=None):
        return self._send("faceset/group/delete", {"group_id": group_id}, options)

    def getGroupList(self, options=None):
        return self._send("faceset/group/getlist", {}, options)

    def faceverify(self, images: List[Mapping[str, Any]]):
        return self._request("faceverify", images)

    def match(self, images: List[Mapping[str, Any]]):
        return self._request("match", images)

    # ---- the SDK's other endpoints: Baidu's cloud only (216102, with the reason) ---------------

    def personVerify(self, image, image_type, id_card_number, name, options=None):
        return self._send("person/verify", {"image": image, "image_type": image_type,
                                            "id_card_number": id_card_number, "name": name},
                          options)

    def videoSessioncode(self, options=None):
        return self._send("v1/faceliveness/sessioncode", {}, options)

    def faceMingJingVerify(self, id_card_number, name, image, options=None):
        return self._send("v4/mingjing/verify", {"id_card_number": id_card_number, "name": name,
                                                 "image": image}, options)

    def faceMingJingMatch(self, image, imageType, registerImage, registerImageType, options=None):
        return self._send("v4/mingjing/match", {"image": image, "image_type": imageType,
                                                "register_image": registerImage,
                                                "register_image_type": registerImageType},
                          options)

    def onlinePictureLiveV4(self, sdkVersion, options=None):
        return self._send("v4/faceverify", {"sdk_version": sdkVersion}, options)

    def facelivenessVerifyV1(self, video_base64, options=None):
        return self._send("v1/faceliveness/verify", {"video_base64": video_base64}, options)

    def facePersonIdmatchV3(self, id_card_number, name, options=None):
        return self._send("person/idmatch", {"id_card_number": id_card_number, "name": name},
                          options)

    def faceMergeV1(self, image_template, image_target, options=None):
        return self._send("v1/merge", {"image_template": image_template,
                                       "image_target": image_target}, options)

    def faceSkinSmoothV1(self, image, image_type, action_type, options=None):
        return self._send("v1/editattr", {"image": image, "image_type": image_type,
                                          "action_type": action_type}, options)

    def faceLandmarkV1(self, image, image_type, options=None):
        return self._send("v1/landmark", {"image": image, "image_type": image_type}, options)

    def faceSceneFacesetUserAdd(self, image, image_type, group_id, user_id, scene_type,
                                options=None):
        return self._send("scene/faceset/user/add", {
            "image": image, "image_type": image_type, "group_id": group_id, "user_id": user_id,
            "scene_type": scene_type}, options)

    def faceSceneFacesetUserUpdate(self, image, image_type, group_id, user_id, scene_type,
                                   options=None):
        return self._send("scene/faceset/user/update", {
            "image": image, "image_type": image_type, "group_id": group_id, "user_id": user_id,
            "scene_type": scene_type}, options)

    def faceSceneFacesetGroupAdd(self, group_id, scene_type, options=None):
        return self._send("scene/faceset/group/add", {"group_id": group_id,
                                                      "scene_type": scene_type}, options)

    def faceCaptureSearch(self, image, image_type, group_id_list, options=None):
        return self._send("capture/search", {"image": image, "image_type": image_type,
                                             "group_id_list": group_id_list}, options)

    def faceIdmatchDateV4(self, name, id_card_number, start_date, end_date, options=None):
        return self._send("v4/idmatch_date", {"name": name, "id_card_number": id_card_number,
                                              "start_date": start_date, "end_date": end_date},
                          options)

    def faceVerifyDateV4(self, name, id_card_number, start_date, end_date, image, image_type,
                         options=None):
        return self._send("v4/verify_date", {
            "name": name, "id_card_number": id_card_number, "start_date": start_date,
            "end_date": end_date, "image": image, "image_type": image_type}, options)
