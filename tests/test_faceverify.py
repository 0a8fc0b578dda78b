"""Image liveness: the fused MiniFASNet pair, faceverify, and liveness_control.

The Silent-Face samples in ../shared/testdata/liveness: T1 a real face, F1 a printed photo, F2 a
phone screen. At liveness_control NORMAL, T1 must pass and F1 and F2 must fail (223120) in detect,
match, search, add_user and update_user. The thresholds are the manifest's provisional ones.
"""
import shutil

import cv2
import numpy as np
import pytest

from faceedge import FaceEngine, FaceLibrary, LivenessError, ModelError
from faceedge.errors import FaceEdgeError, InvalidParameterError
from faceedge.models import load_manifest

LIVE = "liveness/live_T1.jpg"
SPOOFS = ("liveness/spoof_F1_print.jpg", "liveness/spoof_F2_screen.jpg")
KEYS = ("frr_1e-4", "frr_1e-3", "frr_1e-2")


@pytest.fixture(scope="module")
def samples(testdata_dir):
    return {name: cv2.imread(str(testdata_dir / name)) for name in (LIVE,) + SPOOFS}


@pytest.fixture(scope="module")
def scores(engine, samples):
    return {name: engine.detect(img, face_field="liveness").face_list[0].liveness
            for name, img in samples.items()}


def calibration():
    return load_manifest().model_set("minifasnet_pair").calibration


# ---- the scores ---------------------------------------------------------------------------------

def test_samples_are_classified_at_normal(engine, samples, scores):
    t = engine.liveness_thresholds()["frr_1e-3"]
    assert scores[LIVE] > 0.99 > t          # ../shared/models/README.md 9.3: 0.9999
    assert scores[SPOOFS[0]] < 0.3 < t      # printed photo: 0.229
    assert scores[SPOOFS[1]] < 0.02         # phone screen: 0.003
    assert engine.detect(samples[LIVE], liveness_control="NORMAL").face_num == 1
    for name in SPOOFS:
        with pytest.raises(LivenessError) as err:
            engine.detect(samples[name], liveness_control="NORMAL")
        assert err.value.error_code == 223120 and "liveness check fail" in err.value.error_msg


@pytest.mark.parametrize("level", ["LOW", "NORMAL", "HIGH"])
def test_every_level_keeps_t1_and_refuses_f1_f2(engine, samples, level):
    assert engine.detect(samples[LIVE], liveness_control=level).face_num == 1
    for name in SPOOFS:
        with pytest.raises(LivenessError):
            engine.detect(samples[name], liveness_control=level)


def test_levels_map_to_the_three_thresholds(engine):
    cal = calibration()
    assert engine.liveness_thresholds() == {k: cal[k] for k in KEYS}
    assert engine.liveness_thresholds("GATE") == {k: cal["gate"][k] for k in KEYS}
    from faceedge.quality import LIVENESS_LEVELS, liveness_failure

    assert LIVENESS_LEVELS == {"LOW": "frr_1e-4", "NORMAL": "frr_1e-3", "HIGH": "frr_1e-2"}
    t = engine.liveness_thresholds()
    for level, key in LIVENESS_LEVELS.items():
        assert liveness_failure(t[key], t, level) is None
        assert liveness_failure(t[key] - 1e-6, t, level).error_code == 223120
    assert liveness_failure(0.0, t, "NONE") is None


def test_liveness_field_shape(engine, samples):
    d = engine.detect(samples[LIVE], face_field="liveness").to_dict()["face_list"][0]
    assert set(d["liveness"]) == {"livemapscore"} and 0.0 <= d["liveness"]["livemapscore"] <= 1.0
    assert "liveness" not in engine.detect(samples[LIVE]).to_dict()["face_list"][0]


def test_batch_equals_one_by_one(engine, testdata_dir):
    img = cv2.imread(str(testdata_dir / "groups" / "obama_and_biden.jpg"))
    batch = engine.detect(img, max_face_num=3, face_field="liveness").face_list
    assert len(batch) == 3
    model = engine._heads.liveness()
    boxes = np.array([[f.location.left, f.location.top, f.location.width, f.location.height]
                      for f in batch], dtype=np.float32)
    together = np.asarray(model.score(img, boxes))
    alone = np.concatenate([np.asarray(model.score(img, boxes[i:i + 1])) for i in range(3)])
    assert together.shape == (3, 3)
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-5)
    np.testing.assert_allclose(together.sum(axis=1), 1.0, atol=1e-4)  # mean of two softmaxes
    np.testing.assert_allclose([f.liveness for f in batch], together[:, 1], atol=1e-5)


# ---- faceverify ---------------------------------------------------------------------------------

def test_faceverify_one_image(engine, testdata_dir, scores):
    r = engine.faceverify([testdata_dir / LIVE])
    d = r.to_dict()
    assert set(d) == {"face_liveness", "thresholds", "face_list"}
    assert d["thresholds"] == {k: calibration()[k] for k in KEYS}
    (face,) = d["face_list"]
    assert {"face_token", "location", "face_probability", "angle", "liveness"} <= set(face)
    assert "quality" not in face
    assert r.face_liveness == pytest.approx(scores[LIVE], abs=1e-5)
    assert face["liveness"]["livemapscore"] == pytest.approx(scores[LIVE], abs=1e-5)


def test_faceverify_three_images_best_of_them(engine, testdata_dir, scores):
    paths = [testdata_dir / SPOOFS[0], testdata_dir / LIVE, testdata_dir / SPOOFS[1]]
    r = engine.faceverify(paths, face_field="quality,landmark")
    assert len(r.face_list) == 3
    assert [f.liveness for f in r.face_list] == pytest.approx(
        [scores[SPOOFS[0]], scores[LIVE], scores[SPOOFS[1]]], abs=1e-5)
    assert r.face_liveness == max(f.liveness for f in r.face_list)
    for face in r.to_dict()["face_list"]:
        assert set(face["quality"]) == {"blur", "illumination", "completeness"}
        assert len(face["landmark"]) == 4


def test_faceverify_eight_images_same_as_one_by_one(engine, samples, testdata_dir):
    images = [samples[SPOOFS[k % 2]] for k in range(7)] + [
        {"image": str(testdata_dir / LIVE), "image_type": None}]
    r = engine.faceverify(images)
    assert len(r.face_list) == 8
    alone = [engine.faceverify([img]).face_list[0] for img in images]
    assert [f.liveness for f in r.face_list] == [f.liveness for f in alone]
    assert [f.face_token for f in r.face_list] == [f.face_token for f in alone]
    assert r.face_liveness == alone[7].liveness


@pytest.mark.parametrize("count", [0, 2, 4, 9])
def test_faceverify_wrong_count_is_222208(engine, samples, count):
    with pytest.raises(InvalidParameterError) as err:
        engine.faceverify([samples[LIVE]] * count)
    assert err.value.error_code == 222208 and str(count) in err.value.error_msg


def test_faceverify_options_and_fields(engine, samples):
    gate = engine.faceverify(samples[LIVE], option="gate")  # one image alone; any case
    common = engine.faceverify(samples[LIVE])
    assert gate.option == "GATE" and gate.face_liveness == common.face_liveness
    assert all(gate.thresholds[k] >= common.thresholds[k] for k in KEYS)
    assert gate.thresholds != common.thresholds
    with pytest.raises(InvalidParameterError) as err:
        engine.faceverify(samples[LIVE], option="DOOR")
    assert err.value.error_code == 229014
    with pytest.raises(InvalidParameterError) as err:
        engine.faceverify(samples[LIVE], face_field="age,beauty")
    assert err.value.error_code == 222017 and "age" in err.value.error_msg


def test_faceverify_names_the_image_without_a_face(engine, samples, testdata_dir):
    noface = sorted((testdata_dir / "noface").iterdir())[0]
    with pytest.raises(FaceEdgeError) as err:
        engine.faceverify([samples[LIVE], samples[LIVE], noface])
    assert err.value.error_code == 222202 and "images[2]" in err.value.error_msg


def test_faceverify_of_a_token(engine, samples):
    token = engine.detect(samples[SPOOFS[0]], face_field="liveness").face_list[0].face_token
    r = engine.faceverify([{"image": token, "image_type": "FACE_TOKEN"}])
    assert r.face_list[0].face_token == token and r.face_liveness < 0.5
    bare = engine.detect(cv2.flip(samples[LIVE], 1)).face_list[0].face_token
    with pytest.raises(FaceEdgeError) as err:
        engine.faceverify(bare)
    assert err.value.error_code == 229014 and "liveness" in err.value.error_msg


# ---- liveness_control in match and the library --------------------------------------------------

def test_match_liveness_control(engine, samples):
    live, printed = samples[LIVE], samples[SPOOFS[0]]
    assert engine.match(live, live, liveness_control="NORMAL").score > 95
    with pytest.raises(LivenessError) as err:
        engine.match(live, printed, liveness_control="NORMAL")
    assert err.value.error_code == 223120 and "image2" in err.value.error_msg
    # per image: the enrolment side may be a photo of a photo
    assert engine.match(printed, live, liveness_control=("NONE", "NORMAL")).cosine < 1.0
    with pytest.raises(InvalidParameterError) as err:
        engine.match(live, live, liveness_control="SOME")
    assert err.value.error_code == 222020


def test_library_liveness_control(engine, samples, tmp_path):
    with FaceLibrary(tmp_path / "live.db", engine) as lib:
        for name in SPOOFS:
            with pytest.raises(LivenessError) as err:
                lib.add_user(samples[name], "g", "woman", liveness_control="NORMAL")
            assert err.value.error_code == 223120
        assert lib.info()["faces"] == 0
        lib.add_user(samples[LIVE], "g", "woman", liveness_control="NORMAL")
        with pytest.raises(LivenessError):
            lib.update_user(samples[SPOOFS[1]], "g", "woman", liveness_control="LOW")
        with pytest.raises(LivenessError):
            lib.search(samples[SPOOFS[1]], "g", match_threshold=0, liveness_control="NORMAL")
        with pytest.raises(LivenessError):
            lib.multi_search(samples[SPOOFS[0]], "g", match_threshold=0, liveness_control="HIGH")
        hit = lib.search(samples[LIVE], "g", liveness_control="HIGH")
        assert hit.user_list[0].user_id == "woman"
        # a token keeps the score measured when it was made
        token = engine.detect(samples[SPOOFS[0]], face_field="liveness").face_list[0].face_token
        with pytest.raises(LivenessError):
            lib.add_user(token, "g", "other", liveness_control="NORMAL", image_type="FACE_TOKEN")
        assert lib.info()["faces"] == 1


# ---- model files ------------------------------------------------------------------------------------

def test_missing_liveness_files_fail_only_when_liveness_is_asked(model_file, samples, tmp_path,
                                                                 monkeypatch,
                                                                 without_packaged_models):
    monkeypatch.delenv("FACEEDGE_MODELS", raising=False)
    only = tmp_path / "models"
    for model_id in ("yunet_dynamic", "sface_int8bq_ortfix"):
        src = model_file(model_id)
        dst = only / src.relative_to(src.parents[1])
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dst)
    engine = FaceEngine(models=only)
    assert engine.detect(samples[LIVE], face_field="quality").face_num == 1
    assert engine.info()["models"]["liveness"]["loaded"] is False
    for call in (lambda: engine.detect(samples[LIVE], face_field="liveness"),
                 lambda: engine.detect(samples[LIVE], liveness_control="LOW"),
                 lambda: engine.faceverify(samples[LIVE])):
        with pytest.raises(ModelError) as err:
            call()
        msg = err.value.error_msg
        assert err.value.error_code == 229001
        assert "minifasnet_v2_2.7_80x80.onnx" in msg and "minifasnet_v1se_4.0_80x80.onnx" in msg
    assert engine.match(samples[LIVE], samples[LIVE]).score > 95  # the rest keeps working
