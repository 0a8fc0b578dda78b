"""faceedge: offline face detection, recognition and search with Baidu face v3 semantics.

A C++17 core (``faceedge._core``) runs the models on ONNX Runtime; this package decodes images,
parses Baidu options, resolves model files and shapes results as Baidu's JSON::

    import faceedge
    engine = faceedge.FaceEngine(models="path/to/models")
    engine.detect("photo.jpg").to_dict()          # {"face_num": 1, "face_list": [...]}
    engine.match("a.jpg", "b.jpg").score          # 0..100, 80 at false-accept rate 1e-4
    engine.faceverify(["frame.jpg"]).face_liveness  # image liveness, 0..1

    with faceedge.FaceLibrary("gate.db", engine) as lib:
        lib.add_user("alice.jpg", "staff", "alice")
        lib.search("frame.jpg", "staff").user_list  # [UserMatch(group_id, user_id, ..., score)]
"""
from importlib import metadata as _metadata

from . import _runtime
from ._runtime import runtime_info
from .engine import FaceEngine
from .calibration import (Calibration, calibrate_detection, calibrate_faces,
                          calibrate_liveness, load_calibration, write_calibration)
from .errors import (CODES, AlreadyExistsError, CalibrationError, FaceEdgeError, ImageError, InferenceError,
                     InvalidParameterError, LibraryError, LivenessError, ModelError, NoFaceError,
                     NotFoundError, QualityError, RuntimeUnavailableError)
from .images import is_face_token, load_image
from .models import find_model, list_models, load_manifest, verify_models
from .options import DetectOptions, parse_detect_options
from .library import FaceLibrary
from .quality import LIVENESS_LEVELS, QUALITY_LEVELS
from .results import (AddUserResult, Angle, DetectResult, FaceAttribute, FaceEntry, FaceInfo,
                      FaceListResult,
                      FaceQuality, FaceVerifyResult, GetUserResult, GroupListResult,
                      GroupUsersResult, Location, MatchResult, MultiSearchFace, MultiSearchResult,
                      Point, SearchResult, UserEntry, UserMatch)
from .scores import cosine_from_score, score_from_cosine
from .stream import FaceTracker, StreamEvent, StreamSettings, VideoSource

try:
    __version__ = _metadata.version("faceedge")
except _metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "FaceEngine",
    "FaceLibrary",
    "FaceTracker",
    "StreamSettings",
    "StreamEvent",
    "VideoSource",
    "runtime_info",
    "load_image",
    "is_face_token",
    "find_model",
    "list_models",
    "verify_models",
    "load_manifest",
    "score_from_cosine",
    "cosine_from_score",
    "DetectOptions",
    "parse_detect_options",
    "DetectResult",
    "MatchResult",
    "FaceVerifyResult",
    "FaceInfo",
    "FaceQuality",
    "FaceAttribute",
    "Location",
    "Angle",
    "Point",
    "AddUserResult",
    "GetUserResult",
    "UserEntry",
    "FaceListResult",
    "FaceEntry",
    "GroupUsersResult",
    "GroupListResult",
    "SearchResult",
    "UserMatch",
    "MultiSearchResult",
    "MultiSearchFace",
    "CODES",
    "FaceEdgeError",
    "InvalidParameterError",
    "ImageError",
    "NoFaceError",
    "NotFoundError",
    "ModelError",
    "RuntimeUnavailableError",
    "InferenceError",
    "AlreadyExistsError",
    "LibraryError",
    "QualityError",
    "LivenessError",
    "CalibrationError",
    "Calibration",
    "load_calibration",
    "write_calibration",
    "calibrate_faces",
    "calibrate_liveness",
    "calibrate_detection",
    "QUALITY_LEVELS",
    "LIVENESS_LEVELS",
]

# Register the installed onnxruntime wheel's library with the core now, before anything can load
# the runtime. Without a built core this does nothing; FaceEngine() then reports 229010.
try:
    _runtime.core()
except FaceEdgeError:
    pass
