"""``Photo``: one input image, read and checked once, decoded at whatever reduction is asked for.

:func:`open_photo` does everything :func:`faceedge.load_image` does except the decode (so every
error comes at the same point, with the same code), then :meth:`Photo.at` gives the picture at
1/1, 1/2, 1/4 or 1/8 of its size together with the scale back to the original pixels:

* JPEG decodes reduced inside libjpeg (``cv2.IMREAD_REDUCED_COLOR_*``: the DCT is scaled, so a
  1/8 decode of a 24-Mpx photo takes a fraction of the full decode's time and allocates 1/64 of
  its memory). Output sides are ``ceil(side / r)`` and reduced pixel ``i`` covers original pixels
  ``[r*i, r*i + r)``, so the scale back is exactly ``r``.
* Other formats cannot decode reduced: the full decode is made once and kept, and reductions are
  ``cv2.INTER_AREA`` block averages of it (like the DCT scaling; the scale back is again ``r``).
  Arrays are treated the same way, and at 1/1 are used as given.

Which reductions to ask for is :mod:`faceedge.decode_plan`'s business.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple, Union

import numpy as np

from .errors import error
from .images import (JPEG_REDUCTIONS, Encoded, ImageLike, ImageLimits, LimitedImage,
                     decode_encoded, read_source)

__all__ = ["Photo", "Scaled", "open_photo", "faceverify_images", "REDUCTIONS",
           "FACEVERIFY_IMAGE_COUNTS"]

FACEVERIFY_IMAGE_COUNTS = (1, 3, 8)  # Baidu's faceverify takes 1, 3 or 8 images of one person

REDUCTIONS = JPEG_REDUCTIONS  # 1, 2, 4, 8: what libjpeg can scale by


class Scaled(NamedTuple):
    """A decoded picture and how its pixels map back to the original image's."""

    image: np.ndarray     # BGR uint8 HxWx3, C-contiguous
    scale_x: float        # original x = x * scale_x (pixel edges: 0 maps to 0)
    scale_y: float


class Photo:
    """An image ready to be decoded at the reductions the work needs (one call's worth: it
    keeps the decodes it made, so it is not meant to outlive the call or be shared)."""

    def __init__(self, source: Union[Encoded, np.ndarray]) -> None:
        self._encoded: Optional[Encoded] = None
        self._decoded: Dict[int, Scaled] = {}
        if isinstance(source, np.ndarray):
            self.width, self.height = int(source.shape[1]), int(source.shape[0])
            self._decoded[1] = Scaled(source, 1.0, 1.0)
        else:
            # The header's size, before any EXIF rotation: the plan needs only the long and the
            # short side, which a rotation does not change.
            self.width, self.height = source.header.width, source.header.height
            self._encoded = source

    @property
    def format(self) -> str:
        """``"JPEG"``, ``"PNG"``... or ``"array"``."""
        return self._encoded.header.format if self._encoded is not None else "array"

    @property
    def decodes_reduced(self) -> bool:
        """Whether reductions come straight from the decoder (JPEG) rather than from the full
        decode."""
        return self._encoded is not None and self._encoded.header.format == "JPEG"

    def at(self, reduction: int) -> Scaled:
        """The picture at 1/``reduction`` of its size (1, 2, 4 or 8), EXIF-upright."""
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        found = self._decoded.get(reduction)
        if found is None:
            found = self._decode(reduction)
            self._decoded[reduction] = found
        return found

    def _decode(self, reduction: int) -> Scaled:
        if self.decodes_reduced or reduction == 1:
            assert self._encoded is not None
            image = decode_encoded(self._encoded, reduction)
            if reduction == 1:
                return Scaled(image, 1.0, 1.0)
            height, width = image.shape[:2]
            ceil = lambda side: -(-side // reduction)  # noqa: E731
            if {(width, height)} & {(ceil(self.width), ceil(self.height)),
                                    (ceil(self.height), ceil(self.width))}:
                return Scaled(image, float(reduction), float(reduction))
            # Not libjpeg's sides (another decoder behind cv2): the exact ratio, upright.
            turned = (width >= height) != (self.width >= self.height)
            upright = (self.height, self.width) if turned else (self.width, self.height)
            return Scaled(image, upright[0] / width, upright[1] / height)
        import cv2

        # fx = fy = 1/r takes OpenCV's fast path: each output pixel is the mean of an r x r
        # block from the top-left corner (2..4x faster than sizes that are not exact multiples),
        # so reduced pixel i covers original [r*i, r*i + r), as with libjpeg.
        small = cv2.resize(self.at(1).image, None, fx=1 / reduction, fy=1 / reduction,
                           interpolation=cv2.INTER_AREA)
        return Scaled(np.ascontiguousarray(small), float(reduction), float(reduction))


def open_photo(image: Union[ImageLike, LimitedImage, Photo], image_type: Optional[str] = None,
               limits: Optional[ImageLimits] = None) -> Photo:
    """Read and check ``image`` (any form :func:`faceedge.load_image` takes, with the same
    errors) without decoding it. A :class:`Photo` is returned as it is."""
    if isinstance(image, Photo):
        return image
    return Photo(read_source(image, image_type, limits))


def faceverify_images(images: Any) -> List[Tuple[Any, Optional[str]]]:
    """faceverify's images as (image, image_type) pairs: one image alone, or a list of 1, 3 or
    8 images or Baidu's ``{"image": ..., "image_type": ...}`` items (222208 for another count,
    229014 for a malformed item)."""
    single = (str, bytes, bytearray, memoryview, os.PathLike, np.ndarray, Mapping,
              LimitedImage, Photo)
    seq = [images] if isinstance(images, single) else None
    if seq is None:
        try:
            seq = list(images)
        except TypeError:
            raise error(229014, "images must be a list of images (array, path, bytes, "
                                f"base64 or face token), got {type(images).__name__}") from None
    items: List[Tuple[Any, Optional[str]]] = []
    for k, item in enumerate(seq):
        if isinstance(item, Mapping):
            extra = set(item) - {"image", "image_type"}
            if "image" not in item or extra:
                raise error(229014, f"images[{k}] as a dict takes the keys 'image' and "
                                    f"'image_type'; got {sorted(item)}")
            items.append((item["image"], item.get("image_type")))
        else:
            items.append((item, None))
    if len(items) not in FACEVERIFY_IMAGE_COUNTS:
        raise error(222208, f"faceverify takes 1, 3 or 8 images of one person, got {len(items)}")
    return items
