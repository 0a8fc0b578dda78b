"""Parse and validate Baidu face v3 request options.

Values may come as Python numbers or, as in Baidu's HTTP forms and SDKs, as strings ("10").
Each bad value raises :class:`~faceedge.errors.InvalidParameterError` with Baidu's code for the
parameter (222016 max_face_num, 222017 face_field, 222006 group_id, ...) or faceedge's 229014
where Baidu has none, and the message names the value received.

The face library's options (ids, ``user_info``, ``group_id_list``, ``match_threshold``,
``max_user_num``, ``quality_control`` / ``liveness_control``, ``action_type``, ``start`` /
``length``) follow Baidu face v3's limits: ids are 1..48 characters of ``[A-Za-z0-9_]``,
``user_info`` at most 256 bytes (UTF-8), at most 10 groups per search.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, List, Optional, Tuple, Union

from .errors import error

__all__ = ["DetectOptions", "parse_detect_options", "parse_max_face_num", "parse_face_sort_type",
           "parse_min_face_size", "parse_face_field", "MAX_FACE_NUM", "SUPPORTED_FACE_FIELDS",
           "UNSUPPORTED_FACE_FIELDS", "parse_group_id", "parse_user_id", "parse_user_info",
           "parse_group_id_list", "parse_match_threshold", "parse_max_user_num",
           "parse_search_max_face_num", "parse_quality_control", "parse_liveness_control",
           "parse_action_type", "parse_start", "parse_length", "MAX_ID_LENGTH",
           "MAX_USER_INFO_BYTES", "MAX_GROUPS_PER_SEARCH", "MAX_FACES_PER_USER",
           "MAX_USER_NUM_SEARCH", "MAX_USER_NUM_MULTI_SEARCH", "MAX_FACE_NUM_MULTI_SEARCH",
           "MAX_LIST_LENGTH", "CONTROL_LEVELS", "FACEVERIFY_OPTIONS", "parse_faceverify_option"]

MAX_FACE_NUM = 120  # Baidu's limit

# face_field names this engine computes. The 4-point landmark (and faceedge's landmark5) are
# always returned, asked for or not. "quality" is Baidu's quality object without ``occlusion`` (no
# occlusion model); "liveness" (the ``liveness {livemapscore}`` object of Baidu's faceverify) is a
# faceedge addition to detect's names. "gender" (male/female) and "emotion" (Baidu's 7 names) come
# from small mini-XCEPTION models trained on research datasets (models/README.md).
SUPPORTED_FACE_FIELDS = frozenset({"landmark", "quality", "liveness", "gender", "emotion"})

# Baidu face_field names this engine cannot compute (yet).
UNSUPPORTED_FACE_FIELDS = frozenset({
    "age", "beauty", "expression", "face_shape", "glasses", "eye_status", "face_type", "mask",
    "spoofing", "feature", "landmark72", "landmark150", "race",
})


@dataclass(frozen=True)
class DetectOptions:
    """Validated detect options."""

    max_face_num: int = 1
    face_sort_type: int = 0  # 0: largest face first; 1: nearest the image centre first
    min_face_size: float = 0.0  # faces whose shorter box side is under this (px) are dropped
    face_field: Tuple[str, ...] = ()
    quality_control: str = "NONE"   # faces failing the level are dropped (faceedge's addition)
    liveness_control: str = "NONE"  # faces failing the level are dropped (Baidu detect)


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


def _as_number(value: object) -> Optional[float]:
    """A real number from an int, float, numeric string or numpy scalar; None otherwise
    (booleans included: ``True`` is not a size or a score)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def parse_min_face_size(value: object) -> float:
    """``min_face_size``: a finite number of pixels >= 0."""
    number = _as_number(value)
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
                         min_face_size: object = 0, face_field: object = None,
                         quality_control: object = "NONE",
                         liveness_control: object = "NONE") -> DetectOptions:
    """Validate every detect option at once and return them typed."""
    return DetectOptions(
        max_face_num=parse_max_face_num(max_face_num),
        face_sort_type=parse_face_sort_type(face_sort_type),
        min_face_size=parse_min_face_size(min_face_size),
        face_field=parse_face_field(face_field),  # type: ignore[arg-type]
        quality_control=parse_quality_control(quality_control),
        liveness_control=parse_liveness_control(liveness_control),
    )


# ---- face library ---------------------------------------------------------------------------

MAX_ID_LENGTH = 48  # group_id and user_id: [A-Za-z0-9_]{1,48}
MAX_USER_INFO_BYTES = 256
MAX_FACES_PER_USER = 20
MAX_GROUPS_PER_SEARCH = 10
MAX_USER_NUM_SEARCH = 50
MAX_USER_NUM_MULTI_SEARCH = 20
MAX_FACE_NUM_MULTI_SEARCH = 10
MAX_LIST_LENGTH = 1000  # get_group_users / get_group_list ``length``
CONTROL_LEVELS = ("NONE", "LOW", "NORMAL", "HIGH")  # quality_control / liveness_control

_ID_RE = re.compile(r"[A-Za-z0-9_]{1,%d}" % MAX_ID_LENGTH)


def _shown(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _parse_id(value: object, code: int, name: str) -> str:
    if value is None:
        raise error(222001, f"param[{name}] is null")
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise error(code, f"{name} must be 1 to {MAX_ID_LENGTH} characters of letters, digits "
                          f"and underscore, got {_shown(value)}")
    return value


def parse_group_id(value: object, name: str = "group_id") -> str:
    """A group id: ``[A-Za-z0-9_]{1,48}`` (222006; None is 222001)."""
    return _parse_id(value, 222006, name)


def parse_user_id(value: object, name: str = "user_id") -> str:
    """A user id: ``[A-Za-z0-9_]{1,48}`` (222007; None is 222001)."""
    return _parse_id(value, 222007, name)


def parse_user_info(value: object) -> Optional[str]:
    """``user_info``: None (keep / empty) or a str of at most 256 UTF-8 bytes (222010)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise error(222010, f"user_info must be a str, got {type(value).__name__}")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise error(222010, "user_info is not encodable as UTF-8") from None
    if size > MAX_USER_INFO_BYTES:
        raise error(222010, f"user_info is {size} bytes in UTF-8, at most {MAX_USER_INFO_BYTES}")
    return value


def parse_group_id_list(value: Union[str, Iterable[str], None]) -> List[str]:
    """``group_id_list``: comma-separated str or a list of ids; 1..10 distinct groups.

    Raises 222005 for a malformed list or id, 223104 for more than 10 groups.
    """
    if value is None:
        raise error(222001, "param[group_id_list] is null")
    if isinstance(value, str):
        items: List[object] = [v.strip() for v in value.split(",")]
    else:
        try:
            items = list(value)  # type: ignore[arg-type]
        except TypeError:
            raise error(222005, "group_id_list must be a comma-separated str or a list of "
                                f"group ids, got {type(value).__name__}") from None
    bad = [v for v in items if not isinstance(v, str) or not _ID_RE.fullmatch(v)]
    if bad or not items:
        raise error(222005, "group_id_list must name 1 to 10 group ids of 1 to "
                            f"{MAX_ID_LENGTH} letters, digits and underscore"
                            + (f"; bad: {_shown(bad)}" if bad else ""))
    groups: List[str] = []
    for v in items:
        if v not in groups:
            groups.append(v)  # type: ignore[arg-type]
    if len(groups) > MAX_GROUPS_PER_SEARCH:
        raise error(223104, f"group_id_list names {len(groups)} groups, at most "
                            f"{MAX_GROUPS_PER_SEARCH}")
    return groups


def parse_match_threshold(value: object) -> float:
    """``match_threshold``: a score 0..100 (222030)."""
    number = _as_number(value)
    if number is None or not math.isfinite(number) or not 0.0 <= number <= 100.0:
        raise error(222030, f"match_threshold must be a score from 0 to 100, got {_shown(value)}")
    return number


def parse_max_user_num(value: object, limit: int = MAX_USER_NUM_SEARCH) -> int:
    """``max_user_num``: 1..50 for search, 1..20 for multi_search (222021)."""
    n = _as_int(value)
    if n is None or not 1 <= n <= limit:
        raise error(222021, f"max_user_num must be an integer from 1 to {limit}, "
                            f"got {_shown(value)}")
    return n


def parse_search_max_face_num(value: object) -> int:
    """``max_face_num`` of multi_search: 1..10 (222016)."""
    n = _as_int(value)
    if n is None or not 1 <= n <= MAX_FACE_NUM_MULTI_SEARCH:
        raise error(222016, f"max_face_num must be an integer from 1 to "
                            f"{MAX_FACE_NUM_MULTI_SEARCH}, got {_shown(value)}")
    return n


def _parse_control(value: object, code: int, name: str) -> str:
    level = value.strip().upper() if isinstance(value, str) else None
    if level not in CONTROL_LEVELS:
        raise error(code, f"{name} must be one of {', '.join(CONTROL_LEVELS)}, got {_shown(value)}")
    return level  # type: ignore[return-value]


def parse_quality_control(value: object) -> str:
    """``quality_control``: NONE, LOW, NORMAL or HIGH, case-insensitive (222019 otherwise).

    The limits of each level are in :mod:`faceedge.quality`.
    """
    return _parse_control(value, 222019, "quality_control")


def parse_liveness_control(value: object) -> str:
    """``liveness_control``: NONE, LOW, NORMAL or HIGH, case-insensitive (222020 otherwise).

    LOW / NORMAL / HIGH compare the live score with the liveness set's ``frr_1e-4`` / ``frr_1e-3``
    / ``frr_1e-2`` threshold (:mod:`faceedge.quality`).
    """
    return _parse_control(value, 222020, "liveness_control")


FACEVERIFY_OPTIONS = ("COMMON", "GATE")


def parse_faceverify_option(value: object) -> str:
    """faceverify's ``option``: COMMON or GATE, case-insensitive (229014 otherwise: Baidu has no
    code of its own for it)."""
    kind = value.strip().upper() if isinstance(value, str) else None
    if kind not in FACEVERIFY_OPTIONS:
        raise error(229014, f"option must be {' or '.join(FACEVERIFY_OPTIONS)}, got {_shown(value)}")
    return kind  # type: ignore[return-value]


def parse_action_type(value: object, allowed: Tuple[str, ...]) -> str:
    """``action_type``: one of ``allowed`` (case-insensitive). Baidu has no code of its own for a
    bad action_type, so this is faceedge's 229014."""
    kind = value.strip().upper() if isinstance(value, str) else None
    if kind not in allowed:
        raise error(229014, f"action_type must be {' or '.join(allowed)}, got {_shown(value)}")
    return kind  # type: ignore[return-value]


MAX_START = 2**31 - 1  # far past any library; bigger numbers do not fit SQLite's OFFSET


def parse_start(value: object) -> int:
    """``start``: an offset from 0 to 2**31 - 1 (222002)."""
    n = _as_int(value)
    if n is None or not 0 <= n <= MAX_START:
        raise error(222002, f"start must be an integer from 0 to {MAX_START}, got {_shown(value)}")
    return n


def parse_length(value: object) -> int:
    """``length``: 1..1000 items (222003)."""
    n = _as_int(value)
    if n is None or not 1 <= n <= MAX_LIST_LENGTH:
        raise error(222003, f"length must be an integer from 1 to {MAX_LIST_LENGTH}, "
                            f"got {_shown(value)}")
    return n
