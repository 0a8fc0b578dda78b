"""Baidu detect's ``gender`` and ``emotion`` face_field (mini-XCEPTION, shared/models/README.md 8
and 9.4) on real photos: the core crop and batch, the engine's fields, lazy loading and errors.

The models are small test-grade classifiers trained on research datasets (IMDB-WIKI, FER2013):
the checks below are the clear cases README 9.4 reports, not an accuracy claim.
"""
import shutil

import numpy as np
import pytest

from faceedge import FaceEngine, find_model, load_image
from faceedge.errors import InvalidParameterError, ModelError

MEN = ["faces/obama_1.jpg", "faces/biden_2.jpg", "faces/lin_manuel_miranda.png"]
WOMEN = ["faces/eileen_collins_astronaut.png", "liveness/live_T1.jpg"]
HAPPY = ["faces/obama_1.jpg", "faces/biden_2.jpg"]
GROUP = "groups/obama_and_biden.jpg"
EMOTIONS = {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}


@pytest.fixture(scope="module")
def photo(testdata_dir):
    return lambda name: load_image(testdata_dir / name)


@pytest.mark.parametrize("name", MEN)
def test_gender_male(engine, photo, name):
    face = engine.detect(photo(name), face_field="gender").face_list[0].to_dict()
    assert face["gender"]["type"] == "male" and 0.5 < face["gender"]["probability"] <= 1.0


@pytest.mark.parametrize("name", WOMEN)
def test_gender_female(engine, photo, name):
    face = engine.detect(photo(name), face_field="gender").face_list[0].to_dict()
    assert face["gender"]["type"] == "female" and 0.5 < face["gender"]["probability"] <= 1.0


@pytest.mark.parametrize("name", HAPPY)
def test_emotion_happy(engine, photo, name):
    face = engine.detect(photo(name), face_field="emotion").face_list[0].to_dict()
    assert face["emotion"]["type"] == "happy" and face["emotion"]["probability"] > 0.9


def test_fields_only_when_asked(engine, photo):
    img = photo(MEN[0])
    plain = engine.detect(img).face_list[0]
    assert plain.gender is None and plain.emotion is None
    assert "gender" not in plain.to_dict() and "emotion" not in plain.to_dict()
    both = engine.detect(img, face_field=["emotion", "gender", "quality"]).face_list[0].to_dict()
    assert both["gender"]["type"] == "male" and both["emotion"]["type"] in EMOTIONS
    assert "quality" in both and "liveness" not in both


def test_batch_equals_one_by_one(engine, photo):
    img = photo(GROUP)
    faces = engine.detect(img, max_face_num=3, face_field="gender,emotion").face_list
    assert len(faces) >= 2
    for face in faces:
        x, y, w, h = (face.location.left, face.location.top, face.location.width,
                      face.location.height)
        crop_box = np.array([[x, y, w, h]], dtype=np.float32)
        for name in ("gender", "emotion"):
            model, labels = engine._heads.attribute(name)
            probs = model.predict(img, crop_box)[0]
            attr = getattr(face, name)
            assert attr.type == labels[int(probs.argmax())]
            assert attr.probability == pytest.approx(float(probs.max()), abs=1e-6)


def test_core_attribute_batch(engine, photo):
    img = photo(GROUP)
    raw = engine.core.detect(img, 3, 0, 0.0)
    boxes = np.ascontiguousarray(raw["boxes"][:, :4], dtype=np.float32)
    for name, classes in (("gender", 2), ("emotion", 7)):
        model, _ = engine._heads.attribute(name)
        assert model.classes == classes
        batch = model.predict(img, boxes)
        assert batch.shape == (len(boxes), classes) and batch.dtype == np.float32
        np.testing.assert_allclose(batch.sum(axis=1), 1.0, atol=1e-4)
        one = np.concatenate([model.predict(img, boxes[i:i + 1]) for i in range(len(boxes))])
        np.testing.assert_allclose(batch, one, atol=1e-6)
        assert model.predict(img, np.zeros((0, 4), np.float32)).shape == (0, classes)
        # a box running off the image is clamped, not an error
        h, w = img.shape[:2]
        edge = model.predict(img, np.array([[w - 20, h - 20, 100, 100]], np.float32))
        assert np.isfinite(edge).all()


def test_bad_boxes(engine, photo):
    model, _ = engine._heads.attribute("gender")
    img = photo(MEN[0])
    with pytest.raises(Exception):
        model.predict(img, np.array([[0, 0, 0, 10]], np.float32))
    with pytest.raises(Exception):
        model.predict(img, np.zeros((2, 3), np.float32))


def test_face_token_has_no_attributes(engine, photo):
    token = engine.detect(photo(MEN[0])).face_list[0].face_token
    with pytest.raises(InvalidParameterError) as err:
        engine.detect(token, face_field="gender", image_type="FACE_TOKEN")
    assert err.value.error_code == 229014 and "gender" in err.value.error_msg


@pytest.mark.parametrize("name", ["expression", "age", "beauty", "glasses", "face_shape", "race"])
def test_other_fields_still_222017(engine, photo, name):
    with pytest.raises(InvalidParameterError) as err:
        engine.detect(photo(MEN[0]), face_field=f"gender,{name}")
    assert err.value.error_code == 222017 and name in err.value.error_msg


def test_unknown_field_still_222017(engine, photo):
    with pytest.raises(InvalidParameterError) as err:
        engine.detect(photo(MEN[0]), face_field="gender,shoe_size")
    assert err.value.error_code == 222017 and "shoe_size" in err.value.error_msg


def test_missing_attribute_model_fails_only_when_asked(models_dir, photo, tmp_path, monkeypatch):
    monkeypatch.delenv("FACEEDGE_MODELS", raising=False)
    only = tmp_path / "models"
    for model_id in ("yunet_dynamic", "sface_int8bq_ortfix", "gender_mini_xception"):
        src = find_model(model_id, models_dir)
        dst = only / src.relative_to(src.parents[1])
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dst)
    engine = FaceEngine(models=only)
    img = photo(MEN[0])
    assert engine.detect(img, face_field="quality").face_num == 1
    assert engine.info()["models"]["attributes"]["gender"]["loaded"] is False
    assert engine.detect(img, face_field="gender").face_list[0].gender.type == "male"
    with pytest.raises(ModelError) as err:
        engine.detect(img, face_field="gender,emotion")
    assert err.value.error_code == 229001
    assert "emotion_mini_xception_fer2013.onnx" in err.value.error_msg
    assert engine.detect(img).face_num == 1  # the rest keeps working
