"""Parse and validate Baidu face v3 request options.

Values may come as Python numbers or, as in Baidu's HTTP forms and SDKs, as strings ("10").
Each bad value raises :class:`~faceedge.errors.InvalidParameterError` with Baidu's code for the
parameter (222016 max_face_num, 222017 face_field) or faceedge's 229014 where Baidu has none,
and the message names the value received.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Optional, Tuple, Union

from .errors import error

__all__ = ["DetectOptions", "parse_detect_options", "parse_max_face_num", "parse_face_sort_type",
           "parse_min_face_size", "parse_face_field", "MAX_FACE_NUM", "SUPPORTED_FACE_FIELDS",
           "UNSUPPORTED_FACE_FIELDS"]

MAX_FACE_NUM = 120  # Baidu's limit

# face_field names this engine computes. The 4-point landmark (and faceedge's landmark5) are
# always returned, asked for or not.
SUPPORTED_FACE_FIELDS = frozenset({"landmark"})

# Baidu face_field names this engine cannot compute (yet).
UNSUPPORTED_FACE_FIELDS = frozenset({
    "age", "beauty", "expression", "face_shape", "gender", "glasses", "eye_status", "emotion",
    "face_type", "mask", "spoofing", "quality", "feature", "landmark72", "landmark150", "race",
})


@dataclass(frozen=True)
class DetectOptions:
    """Validated detect options."""

    max_face_num: int = 1
    face_sort_type: int = 0  # 0: largest face first; 1: nearest the image centre first
    min_face_size: float = 0.0  # faces whose shorter box side is under this (px) are dropped
    face_field: Tuple[str, ...] = ()


def _as_int(value: object) -> Optional[int]:
    """An int from an int or a decimal-digit str; None for anything else (bool, float, ...)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value.strip())
    try:  # numpy integers
        import numpy as np

        if isinstance(value, np.integer):
            return int(value)
    except ImportError:  # pragma: no cover
        pass
    return None


def parse_max_face_num(value: object) -> int:
    """``max_face_num``: an int 1..120 (222016 otherwise)."""
    n = _as_int(value)
    if n is None or not 1 <= n <= MAX_FACE_NUM:
        raise error(222016, f"max_face_num must be an integer from 1 to {MAX_FACE_NUM}, "
                            f"got {value!r}")
    return n


def parse_face_sort_type(value: object) -> int:
    """``face_sort_type``: 0 (largest face first) or 1 (nearest the image centre first)."""
    n = _as_int(value)
    if n not in (0, 1):
        raise error(229014, f"face_sort_type must be 0 (largest face first) or 1 (nearest the "
                            f"image centre first), got {value!r}")
    return int(n)  # type: ignore[arg-type]


def parse_min_face_size(value: object) -> float:
    """``min_face_size``: a finite number of pixels >= 0."""
    if isinstance(value, bool):
        number = None
    elif isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    else:
        try:
            number = float(value)  # type: ignore[arg-type]  # numpy scalars
        except (TypeError, ValueError):
            number = None
    if number is None or not math.isfinite(number) or number < 0:
        raise error(229014, f"min_face_size must be a number of pixels >= 0, got {value!r}")
    return number


def parse_face_field(value: Union[None, str, Iterable[str]]) -> Tuple[str, ...]:
    """``face_field``: comma-separated str or a list of names.

    Returns the supported names asked for, without duplicates. Raises 222017 naming every field
    this engine cannot compute and every name Baidu does not define.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        names = [n.strip() for n in value.split(",")]
    else:
        try:
            names = [n.strip() if isinstance(n, str) else n for n in value]
        except TypeError:
            raise error(222017, "face_field must be a comma-separated str or a list of str, "
                                f"got {type(value).__name__}") from None
    bad_types = [n for n in names if not isinstance(n, str)]
    if bad_types:
        raise error(222017, f"face_field names must be str, got {bad_types!r}")
    names = [n for n in names if n]
    unsupported = [n for n in names if n in UNSUPPORTED_FACE_FIELDS]
    unknown = [n for n in names if n not in UNSUPPORTED_FACE_FIELDS and n not in SUPPORTED_FACE_FIELDS]
    problems = []
    if unsupported:
        problems.append(f"not computed by this engine: {', '.join(unsupported)}")
    if unknown:
        problems.append(f"unknown field names: {', '.join(repr(n) for n in unknown)}")
    if problems:
        raise error(222017, "; ".join(problems) + f" (supported: {', '.join(sorted(SUPPORTED_FACE_FIELDS))})")
    seen = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return tuple(seen)


def parse_detect_options(max_face_num: object = 1, face_sort_type: object = 0,
                         min_face_size: object = 0, face_field: object = None) -> DetectOptions:
    """Validate every detect option at once and return them typed."""
    return DetectOptions(
        max_face_num=parse_max_face_num(max_face_num),
        face_sort_type=parse_face_sort_type(face_sort_type),
        min_face_size=parse_min_face_size(min_face_size),
        face_field=parse_face_field(face_field),  # type: ignore[arg-type]
    )
