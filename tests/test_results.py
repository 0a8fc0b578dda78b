"""Result shapes (Baidu v3 JSON), the cosine-to-score mapping, and provider normalisation."""
import json

import pytest

from faceedge.engine import normalize_providers, score_from_cosine
from faceedge.errors import FaceEdgeError, InvalidParameterError
from faceedge.results import Angle, DetectResult, FaceInfo, Location, MatchResult, Point


def sample_face():
    pts = (Point(440.123, 213.456), Point(555.0, 213.0), Point(496.0, 267.0),
           Point(440.0, 317.0), Point(547.0, 321.0))
    return FaceInfo("a" * 32, Location(369.126, 91.0, 243.5, 331.0), 0.94567,
                    Angle(1.234, -0.0, 2.5), pts)


def test_detect_result_shape():
    d = DetectResult(1, [sample_face()]).to_dict()
    assert list(d) == ["face_num", "face_list"] and d["face_num"] == 1
    f = d["face_list"][0]
    assert list(f) == ["face_token", "location", "face_probability", "angle", "landmark", "landmark5"]
    assert f["location"] == {"left": 369.13, "top": 91.0, "width": 243.5, "height": 331.0, "rotation": 0}
    assert isinstance(f["location"]["rotation"], int)
    assert f["angle"] == {"yaw": 1.23, "pitch": 0.0, "roll": 2.5}
    assert 0 <= f["face_probability"] <= 1
    assert f["landmark"] == [{"x": 440.12, "y": 213.46}, {"x": 555.0, "y": 213.0},
                             {"x": 496.0, "y": 267.0}, {"x": 493.5, "y": 319.0}]  # mouth centre
    assert len(f["landmark5"]) == 5
    json.dumps(d)  # plain JSON types only


def test_match_result_shape():
    d = MatchResult(87.123456, 0.61234567, ["a" * 32, "b" * 32]).to_dict()
    assert d == {"score": 87.1235, "cosine": 0.612346,
                 "face_list": [{"face_token": "a" * 32}, {"face_token": "b" * 32}]}


@pytest.mark.parametrize("t", [0.363, 0.364, 0.2, 0.7])
def test_score_mapping_is_monotone_and_anchored(t):
    assert score_from_cosine(-0.5, t) == 0.0
    assert score_from_cosine(0.0, t) == 0.0
    assert score_from_cosine(t, t) == pytest.approx(80.0)
    assert score_from_cosine(t / 2, t) == pytest.approx(40.0)
    assert score_from_cosine(1.0, t) == pytest.approx(100.0)
    xs = [i / 1000 for i in range(-1000, 1001)]
    scores = [score_from_cosine(x, t) for x in xs]
    assert all(a <= b for a, b in zip(scores, scores[1:]))
    assert all(0.0 <= s <= 100.0 for s in scores)


def test_score_mapping_rejects_nan_and_bad_thresholds():
    with pytest.raises(FaceEdgeError):
        score_from_cosine(float("nan"), 0.363)
    with pytest.raises(FaceEdgeError):
        score_from_cosine(0.5, 1.0)


def test_normalize_providers():
    assert normalize_providers(None) == [("CPUExecutionProvider", {})]
    assert normalize_providers("CUDAExecutionProvider") == [("CUDAExecutionProvider", {})]
    assert normalize_providers(("CUDA", {"device_id": 0})) == [
        ("CUDAExecutionProvider", {"device_id": "0"})]
    assert normalize_providers([{"name": "TensorRT", "options": {"trt_fp16_enable": True}},
                                {"CUDA": {"device_id": 1}}, "CPU"]) == [
        ("TensorrtExecutionProvider", {"trt_fp16_enable": "1"}),
        ("CUDAExecutionProvider", {"device_id": "1"}), ("CPUExecutionProvider", {})]
    for bad in ([], [3], [{"a": 1, "b": 2}], [("", {})]):
        with pytest.raises(InvalidParameterError):
            normalize_providers(bad)
