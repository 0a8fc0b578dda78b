"""faceedge.errors: one table for C++ and Python, Baidu's codes and messages, builtin bases."""
import pickle
import re

import pytest

from faceedge import errors
from faceedge.errors import (CODES, PYTHON_ONLY_CODES, AlreadyExistsError, FaceEdgeError, ImageError,
                             InferenceError, InvalidParameterError, LibraryError, LivenessError,
                             ModelError, NoFaceError, NotFoundError, QualityError,
                             RuntimeUnavailableError)


def header_codes(repo_dir):
    text = (repo_dir / "cpp" / "include" / "faceedge" / "error.h").read_text()
    found = {name: int(code) for name, code in re.findall(r"X\((k\w+),\s*(\d+)\)", text)}
    assert found, "no X(name, code) entries found in error.h"
    return found


def test_table_equals_error_h(repo_dir):
    # The Python-only codes (the face library's) are in CODES but never in the C++ table.
    core = set(header_codes(repo_dir).values())
    assert set(CODES) - PYTHON_ONLY_CODES == core
    assert not PYTHON_ONLY_CODES & core and PYTHON_ONLY_CODES <= set(CODES)


def test_table_equals_core_error_codes():
    from faceedge import _core

    assert set(CODES) - PYTHON_ONLY_CODES == set(_core.error_codes().values())


@pytest.mark.parametrize("code,cls,builtin", [
    (216200, ImageError, ValueError), (216201, ImageError, ValueError),
    (216202, ImageError, ValueError), (222013, InvalidParameterError, ValueError),
    (222016, InvalidParameterError, ValueError), (229014, InvalidParameterError, ValueError),
    (222202, NoFaceError, FaceEdgeError), (222209, NotFoundError, LookupError),
    (229001, ModelError, OSError), (229002, ModelError, OSError), (229003, ModelError, OSError),
    (229010, RuntimeUnavailableError, OSError), (229012, RuntimeUnavailableError, OSError),
    (229013, InferenceError, RuntimeError), (229000, FaceEdgeError, Exception),
    (223100, NotFoundError, LookupError), (223103, NotFoundError, LookupError),
    (222207, NotFoundError, LookupError), (223101, AlreadyExistsError, FaceEdgeError),
    (223105, AlreadyExistsError, FaceEdgeError), (223104, InvalidParameterError, ValueError),
    (229021, LibraryError, OSError), (223114, QualityError, FaceEdgeError),
    (223115, QualityError, FaceEdgeError), (223116, QualityError, FaceEdgeError),
    (223129, QualityError, FaceEdgeError), (222213, QualityError, FaceEdgeError),
    (223120, LivenessError, FaceEdgeError), (222208, InvalidParameterError, ValueError),
])
def test_classes_and_builtin_bases(code, cls, builtin):
    exc = errors.from_core(code, "detail")
    assert type(exc) is cls and isinstance(exc, builtin) and isinstance(exc, FaceEdgeError)
    assert exc.error_code == code


def test_baidu_messages():
    assert errors.error(222202).error_msg == "pic not has face"
    assert errors.error(223114).error_msg == "face is fuzzy"
    assert errors.error(223115).error_msg == "face light is not good"
    assert errors.error(223116).error_msg == "incomplete face"
    assert errors.error(223120).error_msg == "liveness check fail"
    assert errors.error(216201).error_msg == "image format error"
    assert errors.error(216202, "width is 5000 px").error_msg == "image size error: width is 5000 px"
    assert errors.error(222209, "face token not exist: abc").error_msg == "face token not exist: abc"
    for code, (_, msg) in CODES.items():
        assert msg and msg == msg.strip()


def test_unknown_code_gives_the_base_class():
    exc = errors.from_core(123456, "something odd")
    assert type(exc) is FaceEdgeError and exc.error_code == 123456 and exc.error_msg == "something odd"


def test_to_dict_str_and_pickle():
    exc = errors.error(229001, "model x not found")
    assert exc.to_dict() == {"error_code": 229001, "error_msg": "model file not found: model x not found"}
    assert str(exc) == "[229001] model file not found: model x not found"
    assert exc.errno is None  # not mistaken for an OS errno
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is ModelError and again.to_dict() == exc.to_dict()


def test_with_context():
    exc = errors.error(216202, "width is 5000 px").with_context("image2")
    assert type(exc) is ImageError
    assert exc.error_msg == "image size error: image2: width is 5000 px"
    assert errors.error(222202).with_context("image1").error_msg == "pic not has face: image1"


def test_raisable_and_catchable_as_builtins():
    with pytest.raises(ValueError):
        raise errors.error(222013, "bad")
    with pytest.raises(LookupError):
        raise errors.error(222209, "gone")
    with pytest.raises(OSError):
        raise errors.error(229002, "corrupt")
