"""The faceedge exception hierarchy, carrying Baidu face v3 ``error_code`` / ``error_msg``.

Every failure, whether Python-side validation or a ``faceedge::Error`` thrown by the C++ core, is
a :class:`FaceEdgeError` whose ``error_code`` is Baidu's number where Baidu has one (222202 no
face, 216201 image format error, ...) and a faceedge-local 229xxx code where it does not (model
files, ONNX Runtime). Subclasses also inherit a built-in exception so ordinary ``except
ValueError`` / ``except OSError`` code keeps working.

:data:`CODES` mirrors ``cpp/include/faceedge/error.h`` code for code; a test keeps them equal.
The C++ exception translator calls :func:`from_core`.
"""
from __future__ import annotations

from typing import Dict, Tuple, Type

__all__ = [
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
    "CODES",
    "PYTHON_ONLY_CODES",
    "error",
    "baidu_case",
    "from_core",
]


class FaceEdgeError(Exception):
    """Base of every faceedge error.

    Attributes:
        error_code: Baidu's numeric code (or a faceedge-local 229xxx code).
        error_msg: Baidu's English message for the code, followed by what exactly was wrong.
    """

    def __init__(self, error_code: int, error_msg: str) -> None:
        # One positional argument only: OSError subclasses would read two as (errno, strerror).
        super().__init__(error_msg)
        self.error_code = int(error_code)
        self.error_msg = str(error_msg)

    def to_dict(self) -> Dict[str, object]:
        """Baidu's error shape: ``{"error_code": int, "error_msg": str}``."""
        return {"error_code": self.error_code, "error_msg": self.error_msg}

    def __str__(self) -> str:
        return f"[{self.error_code}] {self.error_msg}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.error_code!r}, {self.error_msg!r})"

    def __reduce__(self):  # keep pickling (multiprocessing) working with two arguments
        return (type(self), (self.error_code, self.error_msg))

    @property
    def baidu_msg(self) -> str:
        """Baidu's own text for this code (what a Baidu reply's ``error_msg`` says), or the
        whole message for a code with no such text."""
        own = getattr(self, "_baidu_msg", None)
        return own or CODES.get(self.error_code, (None, ""))[1] or self.error_msg

    @property
    def detail(self) -> str:
        """What exactly was wrong: the message after Baidu's text ("" when there is nothing
        more)."""
        base = CODES.get(self.error_code, (None, ""))[1]
        if not base:
            return ""
        if self.error_msg.startswith(base + ": "):
            return self.error_msg[len(base) + 2:]
        return "" if self.error_msg == base else self.error_msg

    def with_context(self, label: str) -> "FaceEdgeError":
        """A copy of this error whose detail starts with ``label`` (e.g. ``"image2"``)."""
        base = CODES.get(self.error_code, (None, ""))[1]
        if base and self.error_msg.startswith(base + ": "):
            msg = f"{base}: {label}: {self.error_msg[len(base) + 2:]}"
        elif base and self.error_msg == base:
            msg = f"{base}: {label}"
        else:
            msg = f"{label}: {self.error_msg}"
        return type(self)(self.error_code, msg)


class InvalidParameterError(FaceEdgeError, ValueError):
    """A parameter has the wrong type, format or range (Baidu 2220xx, faceedge 229014)."""


class ImageError(FaceEdgeError, ValueError):
    """The image is empty, undecodable, or of a refused size (Baidu 2162xx)."""


class NoFaceError(FaceEdgeError):
    """No face was found in the image (Baidu 222202)."""


class NotFoundError(FaceEdgeError, LookupError):
    """A referenced object does not exist (222209 face token, 2231xx group / user / face, 222207
    no enrolled user matches)."""


class AlreadyExistsError(FaceEdgeError):
    """The face library already holds what the call would create (Baidu 223101 / 223102 / 223105)."""


class ModelError(FaceEdgeError, OSError):
    """A model file is missing, corrupt or unusable (faceedge 22900x)."""


class RuntimeUnavailableError(FaceEdgeError, OSError):
    """ONNX Runtime or a requested execution provider cannot be used (faceedge 229010-229012)."""


class InferenceError(FaceEdgeError, RuntimeError):
    """ONNX Runtime failed while running a model (faceedge 229013)."""


class QualityError(FaceEdgeError):
    """A face fails ``quality_control`` (Baidu 223114 blur, 223115 light, 223116 incomplete,
    223129 pose; 222213 too small). The message gives the measured figure and the limit."""


class LivenessError(FaceEdgeError):
    """A face fails ``liveness_control`` (Baidu 223120): its live score is under the level's
    threshold."""


class LibraryError(FaceEdgeError, OSError):
    """A face library file cannot be used: enrolled with another embedder, not a faceedge library,
    in use by another process, or closed (faceedge 229021-229023)."""


class CalibrationError(ModelError):
    """A calibration file (``faceedge calibrate``) cannot be used: made for other models, not a
    faceedge calibration file, or built from data too small for what was asked (faceedge
    229030-229032)."""


# code -> (class, Baidu-style English message). The codes the C++ core can raise are exactly those
# of cpp/include/faceedge/error.h; PYTHON_ONLY_CODES lists the others (the face library's).
CODES: Dict[int, Tuple[Type[FaceEdgeError], str]] = {
    # Baidu's platform codes, raised by the compatibility layer (faceedge.compat, faceedge.server)
    3: (FaceEdgeError, "Unsupported openapi method"),
    110: (FaceEdgeError, "Access token invalid or no longer valid"),
    111: (FaceEdgeError, "Access token expired"),
    216100: (InvalidParameterError, "invalid param"),
    216102: (FaceEdgeError, "service not support"),
    216103: (InvalidParameterError, "param too long"),
    # 2162xx: image problems
    216200: (ImageError, "empty image"),
    216201: (ImageError, "image format error"),
    216202: (ImageError, "image size error"),
    # 2220xx: parameter format errors
    222001: (InvalidParameterError, "param[] is null"),
    222002: (InvalidParameterError, "param[start] format error"),
    222003: (InvalidParameterError, "param[length] format error"),
    222005: (InvalidParameterError, "param[group_id_list] format error"),
    222006: (InvalidParameterError, "group_id format error"),
    222007: (InvalidParameterError, "uid format error"),
    222010: (InvalidParameterError, "user_info format error"),
    222013: (InvalidParameterError, "param[image] format error"),
    222015: (InvalidParameterError, "param[image_type] format error"),
    222016: (InvalidParameterError, "param[max_face_num] format error"),
    222017: (InvalidParameterError, "param[face_field] format error"),
    222019: (InvalidParameterError, "param[quality_control] format error"),
    222020: (InvalidParameterError, "param[liveness_control] format error"),
    222021: (InvalidParameterError, "param[max_user_num] format error"),
    222024: (InvalidParameterError, "param[face_type] format error"),
    222025: (InvalidParameterError, "param[face_token] format error"),
    222030: (InvalidParameterError, "param[match_threshold] format error"),
    # 2222xx-2223xx: results
    222202: (NoFaceError, "pic not has face"),
    222204: (ImageError, "image_url_download_fail"),
    222207: (NotFoundError, "match user is not found"),
    222208: (InvalidParameterError, "the number of image is incorrect"),
    222209: (NotFoundError, "face token not exist"),
    222210: (InvalidParameterError, "the number of user's faces is beyond the limit"),
    222213: (QualityError, "face size is too small"),
    222302: (FaceEdgeError, "system error"),
    # 2231xx: face library
    223100: (NotFoundError, "group is not exist"),
    223101: (AlreadyExistsError, "group is already exist"),
    223102: (AlreadyExistsError, "user is already exist"),
    223103: (NotFoundError, "user is not exist"),
    223104: (InvalidParameterError, "group_list is too large"),
    223105: (AlreadyExistsError, "face is already exist"),
    223106: (NotFoundError, "face is not exist"),
    223111: (NotFoundError, "dst group is not exist"),
    # 2231xx: quality_control / liveness_control failures
    223114: (QualityError, "face is fuzzy"),
    223115: (QualityError, "face light is not good"),
    223116: (QualityError, "incomplete face"),
    223120: (LivenessError, "liveness check fail"),
    223129: (QualityError, "face not forward"),
    # 229xxx: faceedge-local, no Baidu equivalent
    229000: (FaceEdgeError, "internal error"),
    229001: (ModelError, "model file not found"),
    229002: (ModelError, "model file checksum mismatch"),
    229003: (ModelError, "model file invalid"),
    229004: (ModelError, "model download failed"),
    229010: (RuntimeUnavailableError, "onnxruntime unavailable"),
    229011: (RuntimeUnavailableError, "onnxruntime too old"),
    229012: (RuntimeUnavailableError, "execution provider unavailable"),
    229013: (InferenceError, "inference failed"),
    229014: (InvalidParameterError, "invalid argument"),
    229021: (LibraryError, "library embedder mismatch"),
    229022: (LibraryError, "library file unusable"),
    229023: (LibraryError, "library is closed"),
    229024: (LibraryError, "library is a replica"),
    229025: (LibraryError, "central library unreachable"),
    229030: (CalibrationError, "calibration model mismatch"),
    229031: (CalibrationError, "calibration file invalid"),
    229032: (CalibrationError, "calibration data insufficient"),
}

# Raised only by the Python side (the face library, python/faceedge/library/, the quality and
# liveness controls, python/faceedge/quality.py, and the Baidu-compatible client and server,
# python/faceedge/compat/ and server/), never by the C++ core: the test that keeps CODES equal to
# error.h leaves these out.
PYTHON_ONLY_CODES = frozenset({
    3, 110, 111, 216100, 216102, 216103, 222204,
    222002, 222003, 222005, 222006, 222007, 222010, 222019, 222020, 222021, 222030,
    222207, 222210, 222213, 223100, 223101, 223102, 223103, 223104, 223105, 223106, 223111,
    223114, 223115, 223116, 223120, 223129, 229021, 229022, 229023,
    229004,  # model download (faceedge.model_store): Python only
    229024, 229025,  # central library and its replicas (faceedge.central): Python only
    229030, 229031, 229032,  # calibration files (faceedge.calibration): Python only
})


def error(code: int, detail: str = "") -> FaceEdgeError:
    """Build the exception for ``code``: the right subclass, Baidu's message plus ``detail``.

    ``error_msg`` becomes ``"<Baidu message>: <detail>"``; a detail that already starts with the
    Baidu message is kept as is. Unknown codes give a plain :class:`FaceEdgeError`.
    """
    cls, base = CODES.get(int(code), (FaceEdgeError, ""))
    detail = (detail or "").strip()
    if not base:
        msg = detail or f"error {code}"
    elif not detail or detail == base:
        msg = base
    elif detail.startswith(base):
        msg = detail
    else:
        msg = f"{base}: {detail}"
    return cls(int(code), msg)


def baidu_case(code: int, baidu_msg: str, detail: str) -> FaceEdgeError:
    """:func:`error` for a case where Baidu's reply text is not the code's usual one (Baidu's
    docs give user/copy into a group that has the user as ``216100 already add``)."""
    exc = error(code, detail)
    exc._baidu_msg = baidu_msg  # type: ignore[attr-defined]
    return exc


def from_core(code: int, message: str) -> FaceEdgeError:
    """Entry point for the C++ exception translator (``cpp/python/errors.cpp``).

    Turns a ``faceedge::Error``'s code and ``what()`` into the matching Python exception object;
    the translator then raises it.
    """
    return error(code, message)
