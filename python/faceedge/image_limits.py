"""How large an image may be: :class:`ImageLimits`, the two sets faceedge uses, and the checks.

:data:`NATIVE_LIMITS` apply to the engine, the library and the CLI (camera photos);
:data:`BAIDU_LIMITS` where Baidu's API is spoken (:mod:`faceedge.compat`, ``faceedge serve``),
which hand images over wrapped in :class:`LimitedImage`. Every check runs on sizes known before
decoding: the byte count and the width and height the file header declares
(:mod:`faceedge.image_headers`).
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import error

__all__ = ["ImageLimits", "NATIVE_LIMITS", "BAIDU_LIMITS", "LimitedImage", "check_encoded_size",
           "check_dimensions"]

_MB = 1024 * 1024


@dataclass(frozen=True)
class ImageLimits:
    """How large an image may be; each limit is checked before anything is decoded.

    Attributes:
        max_side: the longest width or height accepted (px).
        max_pixels: the pixel budget, width x height (what a full decode would allocate, x3
            bytes): the guard against decompression bombs, read from the header.
        max_encoded_bytes: the largest encoded file (bytes; base64 text may be 4/3 of it).
        min_side: the shortest width or height accepted (px).
    """

    max_side: int
    max_pixels: int
    max_encoded_bytes: int
    min_side: int = 24

    def __post_init__(self) -> None:
        for name in ("max_side", "max_pixels", "max_encoded_bytes", "min_side"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise error(229014, f"ImageLimits.{name} must be an int >= 1, got {value!r}")
        if self.min_side > self.max_side:
            raise error(229014, f"ImageLimits.min_side ({self.min_side}) is over max_side "
                                f"({self.max_side})")

    def encoded_text(self) -> str:
        """The byte limit as people say it (``10 MB``) with the exact number."""
        return f"{self.max_encoded_bytes / _MB:g} MB ({self.max_encoded_bytes} bytes)"


# The engine, the library and the CLI: camera photos. 2**27 px (134 Mpx) takes every camera up to
# 100-Mpx medium format (11648 x 8736 = 101.8 Mpx) and 16384-px panoramas up to 16384 x 8192; a
# full decode of that is 384 MiB of BGR, needed only for non-JPEG files or a small face (JPEG is
# decoded reduced, see faceedge.photo). 128 MiB encoded holds such a JPEG at the finest quality
# (0.3..1 byte/px) and a PNG photo (1.5..3 bytes/px) up to about 45 Mpx.
NATIVE_LIMITS = ImageLimits(max_side=16384, max_pixels=2 ** 27, max_encoded_bytes=128 * _MB)
# Baidu face v3's upload limits ("image data smaller than 10M", sides up to 4096 px), kept where
# Baidu's API is spoken (faceedge.compat, faceedge serve) so clients see Baidu's answers.
BAIDU_LIMITS = ImageLimits(max_side=4096, max_pixels=4096 * 4096, max_encoded_bytes=10 * _MB)


@dataclass(frozen=True)
class LimitedImage:
    """An image to be read under ``limits`` instead of :data:`NATIVE_LIMITS`: how
    :mod:`faceedge.compat` hands Baidu's limits to the engine and the library with the image,
    so they are checked at the moment, and in the order, they always were."""

    image: object
    limits: ImageLimits


def check_encoded_size(n: int, limits: ImageLimits) -> None:
    if n == 0:
        raise error(216200, "the image data is empty (0 bytes)")
    if n > limits.max_encoded_bytes:
        raise error(216202, f"encoded data is {n} bytes, the limit is {limits.encoded_text()}")


def check_dimensions(width: int, height: int, what: str, limits: ImageLimits) -> None:
    """Raise 216202 naming the offending side when a side or the pixel count is out of range."""
    for side, value in (("width", width), ("height", height)):
        if value > limits.max_side:
            raise error(216202, f"{what} {side} is {value} px, over the {limits.max_side} px "
                                f"limit ({what} is {width}x{height})")
    for side, value in (("width", width), ("height", height)):
        if value < limits.min_side:
            raise error(216202, f"{what} {side} is {value} px, under the {limits.min_side} px "
                                f"minimum ({what} is {width}x{height})")
    if width * height > limits.max_pixels:
        raise error(216202, f"{what} has {width * height} pixels ({width}x{height}), over the "
                            f"{limits.max_pixels} pixel budget")
