"""Turn whatever the caller passed as an image into a C-contiguous BGR uint8 HxWx3 array.

Accepted inputs (``image_type=None`` guesses which one a value is):

* a numpy array: HxWx3 uint8 BGR is used as is; HxW / HxWx1 grey and HxWx4 BGRA are converted;
* a path (``str`` naming an existing file, or any ``os.PathLike``) to an encoded image;
* ``bytes`` / ``bytearray`` / ``memoryview`` holding an encoded image;
* a base64 ``str``, with or without a ``data:image/...;base64,`` prefix (``image_type="BASE64"``
  forces this reading, and then ``bytes`` holding base64 text are accepted too);
* a face token (32 hex characters) is *not* an image: :func:`is_face_token` tells
  :class:`faceedge.FaceEngine` to look it up in its token cache instead of calling :func:`load_image`.

Limits (:class:`ImageLimits`, :mod:`faceedge.image_limits`) are checked on the encoded size and
on the width and height read from the file header (:mod:`faceedge.image_headers`) *before*
decoding, so a tiny file that declares a
30000x30000 picture is refused with 216202 without allocating it; the decoded array is checked
again afterwards. :data:`NATIVE_LIMITS` (the default: camera photos up to 128 Mpx, sides up to
16384 px, 128 MiB encoded) apply to the engine, the library and the CLI; :data:`BAIDU_LIMITS`
(10 MB, sides 24..4096 px) apply where Baidu's API is spoken (:mod:`faceedge.compat`,
``faceedge serve``), which hand their images over wrapped in :class:`LimitedImage`.

Decoding uses ``cv2.imdecode``, which applies the EXIF orientation (also to the reduced JPEG decodes
of :mod:`faceedge.photo`), with the decoders' stderr chatter captured (:mod:`faceedge.quiet_stderr`).
:func:`load_image` decodes at full resolution; the engine reads photos through
:mod:`faceedge.photo` and :mod:`faceedge.decode_plan`, which decode only as large as the faces need.
"""
from __future__ import annotations

import base64
import binascii
import os
import re
import stat
from pathlib import Path
from typing import NamedTuple, Optional, Union

import numpy as np

from .errors import error
from .image_headers import SUPPORTED_FORMATS, ImageHeader, malformed, read_image_header
from .image_limits import (BAIDU_LIMITS, NATIVE_LIMITS, ImageLimits, LimitedImage,
                           check_dimensions, check_encoded_size)
from .quiet_stderr import quiet_stderr

__all__ = [
    "ImageLike",
    "ImageLimits",
    "NATIVE_LIMITS",
    "BAIDU_LIMITS",
    "LimitedImage",
    "Encoded",
    "IMAGE_TYPES",
    "ImageHeader",
    "load_image",
    "read_source",
    "decode_image",
    "decode_encoded",
    "read_image_header",
    "SUPPORTED_FORMATS",
    "is_face_token",
    "normalize_image_type",
]

ImageLike = Union[np.ndarray, str, "os.PathLike[str]", bytes, bytearray, memoryview]


class Encoded(NamedTuple):
    """Encoded image data whose header passed the limits, not decoded yet."""

    data: bytes
    header: ImageHeader


# Baidu's image_type values. None means: guess from the value.
IMAGE_TYPES = ("BASE64", "URL", "FACE_TOKEN")

_FACE_TOKEN_RE = re.compile(r"[0-9a-fA-F]{32}")
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_MAX_PATH_CHARS = 4096  # a longer str is never taken for a file name


# ---------------------------------------------------------------------------------------------
# image_type and face tokens
# ---------------------------------------------------------------------------------------------

def normalize_image_type(image_type: Optional[str]) -> Optional[str]:
    """Return ``None`` or one of :data:`IMAGE_TYPES` (case-insensitive); else raise 222015."""
    if image_type is None:
        return None
    if isinstance(image_type, str) and image_type.strip().upper() in IMAGE_TYPES:
        return image_type.strip().upper()
    raise error(222015, f"image_type must be one of {', '.join(IMAGE_TYPES)} or None, "
                        f"got {image_type!r}")


def is_face_token(image: object, image_type: Optional[str] = None) -> bool:
    """Whether ``image`` is to be read as a face token rather than decoded.

    With ``image_type="FACE_TOKEN"`` the value must be a 32-hex-character str (else 222025).
    With ``image_type=None`` a 32-hex-character str that is not an existing file is a token.
    """
    kind = normalize_image_type(image_type)
    if kind == "FACE_TOKEN":
        if isinstance(image, str) and _FACE_TOKEN_RE.fullmatch(image.strip()):
            return True
        shown = _preview(image) if isinstance(image, str) else type(image).__name__
        raise error(222025, f"a face_token is 32 hexadecimal characters, got {shown}")
    if kind is not None or not isinstance(image, str):
        return False
    return bool(_FACE_TOKEN_RE.fullmatch(image)) and not os.path.isfile(image)


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------

Source = Union[Encoded, np.ndarray]  # what read_source gives: checked, not decoded yet

# cv2.imdecode flags per JPEG reduction: libjpeg scales the DCT, so 1/2..1/8 decodes cost a
# fraction of the full one and allocate only the reduced image. cv2 still applies the EXIF
# orientation to these (checked in tests/test_large_photos.py).
_JPEG_REDUCED_FLAGS = {1: "IMREAD_COLOR", 2: "IMREAD_REDUCED_COLOR_2",
                       4: "IMREAD_REDUCED_COLOR_4", 8: "IMREAD_REDUCED_COLOR_8"}
JPEG_REDUCTIONS = tuple(_JPEG_REDUCED_FLAGS)


def check_encoded(data: Union[bytes, bytearray, memoryview],
                  limits: Optional[ImageLimits] = None) -> Encoded:
    """Check encoded data against ``limits`` (default :data:`NATIVE_LIMITS`) without decoding.

    Raises 216200 (empty), 216202 (over the byte limit, or a declared side or pixel count out of
    the limits) or 216201 (unknown format, malformed or visibly truncated).
    """
    limits = limits or NATIVE_LIMITS
    view = memoryview(data)
    if not view.c_contiguous:
        view = memoryview(view.tobytes())
    view = view.cast("B")
    check_encoded_size(view.nbytes, limits)
    raw = view.tobytes() if not isinstance(data, bytes) else data

    header = read_image_header(raw)
    check_dimensions(header.width, header.height, f"declared {header.format} image", limits)
    if header.truncated:
        raise malformed(header.format, header.truncated)
    return Encoded(raw, header)


def decode_encoded(encoded: Encoded, reduction: int = 1) -> np.ndarray:
    """Decode checked data to BGR uint8 HxWx3, EXIF-upright; JPEG at 1/``reduction`` scale
    (1, 2, 4 or 8: sides ``ceil(side / reduction)``), other formats at full size only.

    The decoders' warnings about damaged data never reach stderr (:mod:`faceedge.quiet_stderr`);
    data they cannot decode is 216201.
    """
    header = encoded.header
    if reduction != 1 and (header.format != "JPEG" or reduction not in _JPEG_REDUCED_FLAGS):
        raise ValueError(f"{header.format} data cannot be decoded at 1/{reduction} scale")
    import cv2  # imported here so the package imports fast and without OpenCV for non-image work

    flags = getattr(cv2, _JPEG_REDUCED_FLAGS[reduction])
    try:
        with quiet_stderr():
            image = cv2.imdecode(np.frombuffer(encoded.data, dtype=np.uint8), flags)
    except cv2.error as exc:
        raise error(216201, f"{header.format} data could not be decoded: "
                            f"{str(exc).strip().splitlines()[-1]}") from None
    if image is None or image.size == 0:
        raise error(216201, f"{header.format} data could not be decoded (corrupt or truncated)")
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise error(216201, f"decoded {header.format} image has dtype {image.dtype} and shape "
                            f"{image.shape}, expected uint8 HxWx3")
    # The declared size was what the limits were checked on: a decoder that made more of the
    # data than its header said is not trusted with the rest of the pipeline.
    declared_w, declared_h = -(-header.width // reduction), -(-header.height // reduction)
    if max(image.shape[:2]) > max(declared_w, declared_h) or \
            image.shape[0] * image.shape[1] > declared_w * declared_h:
        raise error(216201, f"decoded {header.format} image is {image.shape[1]}x{image.shape[0]}, "
                            f"larger than its header's {header.width}x{header.height}")
    return np.ascontiguousarray(image)


def decode_image(data: Union[bytes, bytearray, memoryview],
                 limits: Optional[ImageLimits] = None) -> np.ndarray:
    """Decode an encoded image (JPEG, PNG, BMP, GIF, WebP) to BGR uint8 HxWx3, EXIF-upright, at
    full resolution.

    Raises 216200 (empty), 216202 (over ``limits``, default :data:`NATIVE_LIMITS`: checked on
    the header before decoding and on the result after) or 216201 (unknown format, malformed,
    truncated, undecodable).
    """
    limits = limits or NATIVE_LIMITS
    return _finish(decode_encoded(check_encoded(data, limits)), "decoded image", limits)


def _finish(image: np.ndarray, what: str, limits: ImageLimits) -> np.ndarray:
    """Final checks shared by every path: BGR uint8 HxWx3, in limits, C-contiguous."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise error(216201, f"{what} has dtype {image.dtype} and shape {image.shape}, "
                            "expected uint8 HxWx3")
    check_dimensions(int(image.shape[1]), int(image.shape[0]), what, limits)
    return np.ascontiguousarray(image)


def _from_array(array: np.ndarray, limits: ImageLimits) -> np.ndarray:
    if array.dtype != np.uint8:
        raise error(222013, f"image array dtype must be uint8, got {array.dtype}")
    if array.size == 0:
        raise error(216200, f"image array is empty (shape {array.shape})")
    if array.ndim == 3 and array.shape[2] == 3:
        return _finish(array, "image array", limits)
    if array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (1, 4)):
        import cv2

        # Check the size before converting, so a huge array is refused without a copy.
        check_dimensions(int(array.shape[1]), int(array.shape[0]), "image array", limits)
        if array.ndim == 3 and array.shape[2] == 4:
            converted = cv2.cvtColor(np.ascontiguousarray(array), cv2.COLOR_BGRA2BGR)
        else:
            converted = cv2.cvtColor(np.ascontiguousarray(array.reshape(array.shape[:2])),
                                     cv2.COLOR_GRAY2BGR)
        return _finish(converted, "image array", limits)
    raise error(222013, "image array must be HxW (grey), HxWx1, HxWx3 (BGR) or HxWx4 (BGRA); "
                        f"got shape {array.shape}")


def _read_file(path: Path, limits: ImageLimits) -> Encoded:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise error(222013, f"image file not found: {str(path)!r}") from None
    except OSError as exc:
        raise error(222013, f"cannot read image file {str(path)!r}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise error(222013, f"image path is not a regular file: {str(path)!r}")
    if st.st_size > limits.max_encoded_bytes:
        raise error(216202, f"encoded data is {st.st_size} bytes (file {str(path)!r}), "
                            f"the limit is {limits.encoded_text()}")
    try:
        with open(path, "rb") as f:
            data = f.read(limits.max_encoded_bytes + 1)  # bounded even if the file grows meanwhile
    except OSError as exc:
        raise error(222013, f"cannot read image file {str(path)!r}: {exc.strerror or exc}") from None
    return check_encoded(data, limits)


def _preview(text: str, limit: int = 48) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _decode_base64(text: Union[str, bytes], strict: bool, limits: ImageLimits) -> Optional[bytes]:
    """Decode base64 (standard or URL-safe alphabet, padding optional, whitespace ignored).

    Returns None when ``text`` is not base64 and ``strict`` is false; raises 222013 if strict.
    Raises 216202 before decoding when the text is far too long to hold the byte limit.
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            text = bytes(text).decode("ascii")
        except UnicodeDecodeError:
            if strict:
                raise error(222013, "BASE64 image data holds non-ASCII bytes") from None
            return None
    if len(text) > 2 * limits.max_encoded_bytes:  # 4/3 expansion plus room for line breaks
        raise error(216202, f"base64 text is {len(text)} characters, more than "
                            f"{limits.max_encoded_bytes / 2**20:g} MB of data")
    compact = "".join(text.split())
    if not compact:
        raise error(216200, "the base64 image data is empty")
    if "-" in compact or "_" in compact:
        compact = compact.replace("-", "+").replace("_", "/")
    compact += "=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        if strict:
            raise error(222013, f"image is not valid base64: {_preview(text)}") from None
        return None


def _from_data_uri(text: str, limits: ImageLimits) -> Encoded:
    header, sep, payload = text.partition(",")
    if not sep or not header.lower().endswith(";base64"):
        raise error(222013, "only base64 data URIs (data:<type>;base64,<data>) are supported, "
                            f"got {_preview(text)}")
    data = _decode_base64(payload, strict=True, limits=limits)
    assert data is not None
    return check_encoded(data, limits)


def _refuse_url(code: int, text: object) -> Exception:
    shown = _preview(text) if isinstance(text, str) else type(text).__name__
    return error(code, "URL images are refused: faceedge works offline and never downloads; "
                       f"fetch the image yourself and pass its bytes or a file path ({shown})")


def _from_str(text: str, limits: ImageLimits) -> Encoded:
    if not text.strip():
        raise error(216200, "the image string is empty")
    if text[:5].lower() == "data:":
        return _from_data_uri(text, limits)
    if _URL_RE.match(text):
        raise _refuse_url(222013, text)
    if len(text) <= _MAX_PATH_CHARS and "\x00" not in text and os.path.isfile(text):
        return _read_file(Path(text), limits)
    if _FACE_TOKEN_RE.fullmatch(text):
        raise error(222013, f"{text!r} is a face token: pass it to a FaceEngine method, which "
                            "looks tokens up; load_image only decodes images")
    data = _decode_base64(text, strict=False, limits=limits)
    if data is not None:
        return check_encoded(data, limits)
    looks_like_path = (os.sep in text or "/" in text or "." in text[-6:]) and len(text) < 1024
    if looks_like_path:
        raise error(222013, f"image file not found: {text!r}")
    raise error(222013, "image str is neither an existing file, a data: URI, base64 data nor a "
                        f"face token: {_preview(text)}")


def read_source(image: Union[ImageLike, LimitedImage], image_type: Optional[str] = None,
                limits: Optional[ImageLimits] = None) -> Source:
    """Read ``image`` as far as it goes without decoding: checked encoded data (:class:`Encoded`)
    or a C-contiguous BGR uint8 array. The arguments and errors are those of :func:`load_image`;
    a :class:`LimitedImage` brings its own limits."""
    if isinstance(image, LimitedImage):
        return read_source(image.image, image_type, image.limits)
    limits = limits or NATIVE_LIMITS
    kind = normalize_image_type(image_type)
    if kind == "URL":
        raise _refuse_url(222015, image)
    if kind == "FACE_TOKEN":
        raise error(222015, "image_type FACE_TOKEN is resolved by FaceEngine methods; "
                            "load_image only decodes images")
    if kind == "BASE64":
        if isinstance(image, str):
            if image[:5].lower() == "data:":
                return _from_data_uri(image, limits)
            data = _decode_base64(image, strict=True, limits=limits)
        elif isinstance(image, (bytes, bytearray, memoryview)):
            data = _decode_base64(image, strict=True, limits=limits)
        else:
            raise error(222013, f"image_type BASE64 needs a str, got {type(image).__name__}")
        assert data is not None
        return check_encoded(data, limits)

    if isinstance(image, np.ndarray):
        return _from_array(image, limits)
    if isinstance(image, str):
        return _from_str(image, limits)
    if isinstance(image, (bytes, bytearray, memoryview)):
        return check_encoded(image, limits)
    if isinstance(image, os.PathLike):
        return _read_file(Path(os.fspath(image)), limits)
    if image is None:
        raise error(222001, "image is missing (None)")
    raise error(222013, "image must be a numpy array, a path, bytes or a base64 str; "
                        f"got {type(image).__name__}")


def load_image(image: Union[ImageLike, LimitedImage], image_type: Optional[str] = None,
               limits: Optional[ImageLimits] = None) -> np.ndarray:
    """Return ``image`` as a C-contiguous BGR uint8 array of shape (H, W, 3), at full resolution.

    Args:
        image: a numpy array, a file path (str or ``os.PathLike``), encoded image bytes
            (``bytes``/``bytearray``/``memoryview``) or a base64 str (optionally a ``data:`` URI).
        image_type: ``None`` to guess, or Baidu's ``"BASE64"``. ``"URL"`` is refused (offline
            engine) and ``"FACE_TOKEN"`` belongs to :class:`faceedge.FaceEngine`, not here.
        limits: the :class:`ImageLimits` to enforce; default :data:`NATIVE_LIMITS`.

    Raises:
        InvalidParameterError: 222013 bad value or type (wrong dtype/shape, missing file, text
            that is no image), 222015 bad or unsupported ``image_type``.
        ImageError: 216200 empty, 216201 format error, 216202 size error.
    """
    if isinstance(image, LimitedImage):
        image, limits = image.image, image.limits
    limits = limits or NATIVE_LIMITS
    source = read_source(image, image_type, limits)
    if isinstance(source, np.ndarray):
        return source
    return _finish(decode_encoded(source), "decoded image", limits)
