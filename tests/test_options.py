"""faceedge.options: Baidu option parsing, each bad value with its code and named in the message."""
import numpy as np
import pytest

from faceedge.errors import InvalidParameterError
from faceedge.options import (DetectOptions, parse_detect_options, parse_face_field,
                              parse_face_sort_type, parse_max_face_num, parse_min_face_size)


def failure(fn, value):
    with pytest.raises(InvalidParameterError) as info:
        fn(value)
    return info.value


@pytest.mark.parametrize("value,expected", [(1, 1), (120, 120), ("10", 10), (" 7 ", 7), (np.int64(5), 5)])
def test_max_face_num_valid(value, expected):
    assert parse_max_face_num(value) == expected


@pytest.mark.parametrize("value", [0, 121, -1, 1.5, 2.0, "abc", "", True, None, [3]])
def test_max_face_num_invalid_is_222016_naming_the_value(value):
    err = failure(parse_max_face_num, value)
    assert err.error_code == 222016 and repr(value) in err.error_msg


@pytest.mark.parametrize("value,expected", [(0, 0), (1, 1), ("1", 1)])
def test_face_sort_type_valid(value, expected):
    assert parse_face_sort_type(value) == expected


@pytest.mark.parametrize("value", [2, -1, "x", None, 0.5, False])
def test_face_sort_type_invalid(value):
    err = failure(parse_face_sort_type, value)
    assert err.error_code == 229014 and repr(value) in err.error_msg


@pytest.mark.parametrize("value,expected", [(0, 0.0), (40, 40.0), (12.5, 12.5), ("30", 30.0)])
def test_min_face_size_valid(value, expected):
    assert parse_min_face_size(value) == expected


@pytest.mark.parametrize("value", [-1, float("nan"), float("inf"), "big", None, True])
def test_min_face_size_invalid(value):
    assert failure(parse_min_face_size, value).error_code == 229014


@pytest.mark.parametrize("value,expected", [
    (None, ()), ("", ()), ("landmark", ("landmark",)), (["landmark"], ("landmark",)),
    ("landmark, landmark", ("landmark",)), (" landmark ,", ("landmark",)), ((), ()),
    ("quality,liveness", ("quality", "liveness")), (["liveness", "landmark"], ("liveness", "landmark")),
    ("gender,emotion", ("gender", "emotion")),
])
def test_face_field_valid(value, expected):
    assert parse_face_field(value) == expected


@pytest.mark.parametrize("name", ["age", "beauty", "expression", "face_shape", "glasses",
                                  "eye_status", "face_type", "mask", "spoofing",
                                  "feature", "landmark72", "landmark150"])
def test_face_field_not_computed_is_222017(name):
    err = failure(parse_face_field, f"landmark,{name}")
    assert err.error_code == 222017 and name in err.error_msg and "not computed" in err.error_msg


def test_face_field_names_every_problem():
    err = failure(parse_face_field, ["age", "gender", "shoe_size"])
    assert err.error_code == 222017
    assert "gender" not in err.error_msg.split("(supported")[0]  # gender is computed now
    for name in ("age", "shoe_size"):
        assert name in err.error_msg


@pytest.mark.parametrize("value", [3, ["landmark", 3]])
def test_face_field_wrong_types(value):
    assert failure(parse_face_field, value).error_code == 222017


def test_parse_detect_options():
    assert parse_detect_options() == DetectOptions(1, 0, 0.0, ())
    assert parse_detect_options("5", 1, "20", "landmark") == DetectOptions(5, 1, 20.0, ("landmark",))
    with pytest.raises(InvalidParameterError):
        parse_detect_options(max_face_num=500)
