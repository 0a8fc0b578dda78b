"""FaceEngine, the Python facade: Baidu result shapes, tokens, errors, model choice, info."""
import json

import cv2
import numpy as np
import pytest

import faceedge
from faceedge import FaceEngine
from faceedge.errors import (FaceEdgeError, ImageError, InvalidParameterError, ModelError,
                             NoFaceError, NotFoundError)


@pytest.fixture(scope="module")
def faces(testdata_dir):
    return testdata_dir / "faces"


def test_detect_result_is_baidu_shaped_and_on_the_face(engine, faces):
    result = engine.detect(faces / "obama_1.jpg")
    d = result.to_dict()
    json.dumps(d)
    assert d["face_num"] == 1 == len(d["face_list"])
    face = d["face_list"][0]
    loc = face["location"]
    assert 0 <= loc["left"] < 910 and 0 <= loc["top"] < 1137 and loc["width"] > 100
    assert loc["rotation"] == 0 and 0.6 <= face["face_probability"] <= 1.0
    assert set(face["angle"]) == {"yaw", "pitch", "roll"}
    assert len(face["landmark"]) == 4 and len(face["landmark5"]) == 5
    left_eye, right_eye, nose, mouth = face["landmark"]
    assert left_eye["x"] < nose["x"] < right_eye["x"] and nose["y"] < mouth["y"]
    for p in face["landmark5"]:
        assert loc["left"] <= p["x"] <= loc["left"] + loc["width"]
        assert loc["top"] <= p["y"] <= loc["top"] + loc["height"]


def test_detect_is_deterministic_across_input_kinds(engine, faces):
    path = faces / "obama_2.jpg"
    a = engine.detect(path).to_dict()
    assert engine.detect(str(path)).to_dict() == a
    assert engine.detect(path.read_bytes()).to_dict() == a
    assert engine.detect(cv2.imread(str(path))).to_dict() == a


def test_max_face_num_and_sorting(engine, testdata_dir):
    group = testdata_dir / "groups" / "obama_and_biden.jpg"
    one = engine.detect(group)
    many = engine.detect(group, max_face_num=10)
    assert one.face_num == 1 and many.face_num >= 3
    areas = [f.location.width * f.location.height for f in many.face_list]
    assert areas == sorted(areas, reverse=True)
    assert one.face_list[0].face_token == many.face_list[0].face_token
    centred = engine.detect(group, max_face_num=10, face_sort_type=1)
    assert {f.face_token for f in centred.face_list} == {f.face_token for f in many.face_list}


def test_no_face_is_222202(engine, testdata_dir):
    with pytest.raises(NoFaceError) as info:
        engine.detect(testdata_dir / "noface" / "rocket.jpg")
    assert info.value.error_code == 222202
    with pytest.raises(NoFaceError):
        engine.detect(np.full((200, 200, 3), 127, np.uint8))


def test_bad_options_and_images_raise_before_inference(engine, faces):
    with pytest.raises(InvalidParameterError) as info:
        engine.detect(faces / "obama_1.jpg", max_face_num=121)
    assert info.value.error_code == 222016
    with pytest.raises(InvalidParameterError) as info:
        engine.detect(faces / "obama_1.jpg", face_field="age")
    assert info.value.error_code == 222017
    with pytest.raises(ImageError):
        engine.detect(b"\x89PNG\r\n\x1a\n garbage")


def test_embed_rows_are_unit_vectors(engine, testdata_dir):
    emb = engine.embed(testdata_dir / "groups" / "obama_and_biden.jpg", max_face_num=5)
    assert emb.dtype == np.float32 and emb.shape[1] == engine.embedding_dim and emb.shape[0] >= 3
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)


def test_match_same_and_different(engine, faces):
    same = engine.match(faces / "obama_1.jpg", faces / "obama_2.jpg")
    diff = engine.match(faces / "obama_1.jpg", faces / "biden_2.jpg")
    assert same.score > 80 > diff.score
    assert same.cosine > engine.threshold > diff.cosine
    d = same.to_dict()
    assert [list(x) for x in d["face_list"]] == [["face_token"], ["face_token"]]


def test_tokens_from_detect_and_match_can_be_reused(engine, faces):
    direct = engine.match(faces / "biden_1.jpg", faces / "biden_2.jpg")
    token = engine.detect(faces / "biden_1.jpg").face_list[0].face_token
    assert token == direct.face_list[0]
    via_token = engine.match(token, faces / "biden_2.jpg")
    assert via_token.cosine == pytest.approx(direct.cosine, abs=1e-4)
    both = engine.match(direct.face_list[0], direct.face_list[1], "FACE_TOKEN", "FACE_TOKEN")
    assert both.cosine == pytest.approx(direct.cosine, abs=1e-6)
    assert engine.detect(token).face_list[0].face_token == token
    assert engine.embed(token).shape == (1, engine.embedding_dim)


def test_detect_only_token_embeds_like_the_image(models_dir, faces):
    fresh = FaceEngine(models=models_dir)
    token = fresh.detect(faces / "alex_lacamoire_1.jpg").face_list[0].face_token
    from_crop = fresh.embed(token)[0]  # embedded from the cached aligned crop
    from_image = fresh.embed(faces / "alex_lacamoire_1.jpg")[0]
    assert float(from_crop @ from_image) > 0.999


def test_unknown_token_is_222209(engine, faces):
    unknown = "0" * 32
    with pytest.raises(NotFoundError) as info:
        engine.match(unknown, faces / "obama_1.jpg")
    assert info.value.error_code == 222209 and "image1" in info.value.error_msg
    with pytest.raises(NotFoundError):
        engine.detect(unknown)
    with pytest.raises(InvalidParameterError) as info:
        engine.match("nope", faces / "obama_1.jpg", image_type1="FACE_TOKEN")
    assert info.value.error_code == 222025


def test_match_errors_name_the_image(engine, faces, testdata_dir):
    with pytest.raises(NoFaceError) as info:
        engine.match(faces / "obama_1.jpg", testdata_dir / "noface" / "cat_chelsea.png")
    assert "image2" in info.value.error_msg
    with pytest.raises(InvalidParameterError) as info:
        engine.match(faces / "missing.jpg", faces / "obama_1.jpg")
    assert info.value.error_code == 222013 and "image1" in info.value.error_msg


def test_fast_pack_and_model_choice(models_dir, faces):
    fast = FaceEngine(models=models_dir, pack="fast")
    assert fast.embedder_id == "mobilefacenet_foamliu"
    assert fast.match(faces / "obama_1.jpg", faces / "obama_2.jpg").score > 80
    # Upstream YuNet int8bq does not run in ONNX Runtime as shipped; the engine prepares it and
    # proves the result against the _ortfix reference, so it detects like any other detector.
    int8bq = FaceEngine(models=models_dir, detector="yunet_640_int8bq")
    assert int8bq.detect(faces / "obama_1.jpg").face_num == 1
    with pytest.raises(InvalidParameterError):
        FaceEngine(models=models_dir, detector="sface_int8bq_ortfix")
    with pytest.raises(InvalidParameterError):
        FaceEngine(models=models_dir, pack="turbo")
    with pytest.raises(InvalidParameterError):
        FaceEngine(models=models_dir, threads=-1)


def test_missing_models_dir_names_the_file(tmp_path, monkeypatch, without_packaged_models):
    monkeypatch.delenv("FACEEDGE_MODELS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with pytest.raises(ModelError) as info:
        FaceEngine(models=tmp_path)
    assert info.value.error_code == 229001 and "yunet_s_dynamic.onnx" in info.value.error_msg


def test_unavailable_provider(models_dir):
    available = faceedge.runtime_info()["available_providers"]
    missing = next(p for p in ("MIGraphXExecutionProvider", "VitisAIExecutionProvider",
                               "CUDAExecutionProvider") if p not in available)
    with pytest.raises(FaceEdgeError) as info:
        FaceEngine(models=models_dir, providers=[missing])
    assert info.value.error_code == 229012
    with pytest.warns(RuntimeWarning, match=f"skipped: {missing}"):
        engine = FaceEngine(models=models_dir, providers=[missing, "CPUExecutionProvider"],
                            allow_fallback=True)
    assert engine.providers == ["CPUExecutionProvider"]
    with pytest.raises(InvalidParameterError):  # a name no runtime knows is a typo
        FaceEngine(models=models_dir, providers=["NoSuchExecutionProvider"])


def test_info_and_runtime_info(engine):
    info = engine.info()
    assert info["models"]["detector"]["id"] == "yunet_dynamic"
    assert info["models"]["embedder"]["score80_cosine"] == pytest.approx(0.443)
    assert info["models"]["embedder"]["calibrated"] is True
    assert info["calibration"]["score"]["id"] == "manifest:sface_int8bq_ortfix"
    assert info["det_threshold"] == 0.8
    assert info["simd_level"] and info["providers"]
    rt = faceedge.runtime_info()
    assert rt["version"] and rt["library_path"] and "CPUExecutionProvider" in rt["available_providers"]
    assert rt["simd_level"] in rt["available_simd_levels"]
