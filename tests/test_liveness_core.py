"""_core.Liveness, the fused MiniFASNet pair, on the Silent-Face samples with YuNet boxes: the
verdicts and numbers of ../shared/models/README.md 9.3, the crop rule of 6.2 against a numpy/cv2
implementation, the whole pipeline against onnxruntime's own Python API, and batching."""
import threading

import cv2
import numpy as np
import onnxruntime
import pytest

import faceedge  # noqa: F401  (points the core at the installed runtime)
from faceedge import _core
from faceedge.errors import InvalidParameterError, ModelError
from faceedge.images import load_image

from data_paths import TESTDATA, model_path
V2 = model_path("minifasnet_v2_2.7")
V1SE = model_path("minifasnet_v1se_4.0")
PAIR = [("minifasnet_liveness", V2, 2.7), ("minifasnet_liveness", V1SE, 4.0)]
LIVE = 1

# README 9.3, rows "YuNet": box (x, y, w, h) and the live probability of V2, V1SE and the fusion.
# That table was made with uint8 crops (cv2.resize on the uint8 patch); the core resizes in
# float without rounding, which moves F1 (the least certain sample) by 0.005.
SAMPLES = {
    "live_T1": ((119, 113, 169, 239), 0.9998, 1.0000, 0.9999),
    "spoof_F1_print": ((187, 109, 195, 239), 0.0180, 0.4392, 0.2286),
    "spoof_F2_screen": ((139, 216, 222, 298), 0.0007, 0.0045, 0.0026),
}


@pytest.fixture(scope="module")
def core_engine():
    return _core.Engine("yunet_detector", model_path("yunet_dynamic"),
                        "mobilefacenet_embedder",
                        model_path("mobilefacenet_foamliu"))


@pytest.fixture(scope="module")
def liveness():
    return _core.Liveness(PAIR)


@pytest.fixture(scope="module")
def samples(core_engine):
    """name -> (image, YuNet boxes (1,4)). The files carry EXIF orientation 6: load_image applies it."""
    out = {}
    for name in SAMPLES:
        image = load_image(TESTDATA / "liveness" / f"{name}.jpg")
        found = core_engine.detect(image, max_face_num=1)
        assert len(found["boxes"]) == 1
        out[name] = (image, found["boxes"])
    return out


# ---- a numpy/cv2 + onnxruntime reference of README 6.1-6.3 ---------------------------------------

def reference_rect(width, height, box, scale):
    """README 6.2 steps 1-4, as upstream's generate_patches.py (Python floats)."""
    x, y, w, h = (float(v) for v in box)
    scale = min((height - 1) / h, min((width - 1) / w, scale))
    new_w, new_h = w * scale, h * scale
    cx, cy = w / 2 + x, h / 2 + y
    left, top, right, bottom = cx - new_w / 2, cy - new_h / 2, cx + new_w / 2, cy + new_h / 2
    if left < 0:
        right -= left
        left = 0
    if top < 0:
        bottom -= top
        top = 0
    if right > width - 1:
        left -= right - width + 1
        right = width - 1
    if bottom > height - 1:
        top -= bottom - height + 1
        bottom = height - 1
    return int(left), int(top), int(right), int(bottom)


def reference_crop(image, box, scale):
    left, top, right, bottom = reference_rect(image.shape[1], image.shape[0], box, scale)
    patch = image[top:bottom + 1, left:right + 1].astype(np.float32)
    return cv2.resize(patch, (80, 80))  # bilinear, stretched; in float, as the core


@pytest.fixture(scope="module")
def reference_sessions():
    return {scale: onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
            for _, path, scale in PAIR}


def reference_scores(sessions, image, boxes):
    fused = 0
    for scale, session in sessions.items():
        batch = np.stack([reference_crop(image, b, scale).transpose(2, 0, 1) for b in boxes])
        logits = session.run(None, {"input": batch})[0].astype(np.float64)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        fused = fused + e / e.sum(axis=1, keepdims=True)
    return fused / len(sessions)


# ---- verdicts and the README numbers --------------------------------------------------------------

@pytest.mark.parametrize("name", SAMPLES)
def test_yunet_boxes_are_the_readme_boxes(samples, name):
    box = samples[name][1][0]
    assert np.abs(box - np.array(SAMPLES[name][0])).max() < 1.0


@pytest.mark.parametrize("name", SAMPLES)
def test_samples_are_classified_and_reproduce_the_readme(liveness, samples, name):
    image, boxes = samples[name]
    fused = liveness.score(image, boxes)
    assert fused.shape == (1, 3) and fused.dtype == np.float32
    assert fused.sum() == pytest.approx(1.0, abs=1e-5)
    if name.startswith("live"):
        assert fused[0, LIVE] > 0.9
    else:
        assert fused[0, LIVE] < 0.5 and fused[0].argmax() != LIVE
    _, v2_live, v1se_live, fused_live = SAMPLES[name]
    assert fused[0, LIVE] == pytest.approx(fused_live, abs=0.02)
    for (family, path, scale), expected in zip(PAIR, (v2_live, v1se_live)):
        single = _core.Liveness([(family, path, scale)]).score(image, boxes)
        assert single[0, LIVE] == pytest.approx(expected, abs=0.02), path


def test_fusion_is_the_mean_of_the_members(liveness, samples):
    image, boxes = samples["spoof_F1_print"]
    members = [_core.Liveness([m]).score(image, boxes) for m in PAIR]
    np.testing.assert_allclose(liveness.score(image, boxes), (members[0] + members[1]) / 2,
                               atol=1e-6)


@pytest.mark.parametrize("name", SAMPLES)
def test_matches_a_numpy_cv2_onnxruntime_reference(liveness, reference_sessions, samples, name):
    image, boxes = samples[name]
    np.testing.assert_allclose(liveness.score(image, boxes),
                               reference_scores(reference_sessions, image, boxes), atol=1e-4)


# ---- the crop rule (README 6.2) ---------------------------------------------------------------------

def crop_cases():
    rng = np.random.default_rng(7)
    cases = [((640, 480), (119.1, 113.5, 169.6, 239.9), 2.7),  # clamp by height
             ((480, 640), (0, 0, 50, 60), 4.0),                   # shifted right and down
             ((480, 640), (430, 580, 50, 60), 4.0),               # shifted left and up
             ((1000, 800), (400, 300, 100, 120), 2.7),            # fits: no clamp, no shift
             ((300, 200), (-40, -30, 80, 90), 1.0),               # box partly outside
             ((300, 200), (250, 150, 200, 300), 2.7),             # bigger than the image
             ((2, 2), (0, 0, 1, 1), 4.0)]                         # tiny image
    for _ in range(300):
        w, h = int(rng.integers(20, 2000)), int(rng.integers(20, 2000))
        bw, bh = rng.uniform(2, w), rng.uniform(2, h)
        x, y = rng.uniform(-bw / 2, w - bw / 2), rng.uniform(-bh / 2, h - bh / 2)
        cases.append(((w, h), tuple(np.float32([x, y, bw, bh]).tolist()),
                      float(rng.choice([1.0, 2.7, 4.0, rng.uniform(0.5, 5)]))))
    return cases


def test_crop_rect_is_readme_6_2_exactly():
    for (w, h), box, scale in crop_cases():
        got = _core.liveness_crop_rect(w, h, np.float32(box), scale)
        assert got == reference_rect(w, h, np.float32(box), scale), ((w, h), box, scale)
        left, top, right, bottom = got
        assert 0 <= left <= right <= w - 1 and 0 <= top <= bottom <= h - 1


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("scale", [2.7, 4.0, 1.0])
def test_crop_pixels_match_cv2(samples, name, scale):
    image, boxes = samples[name]
    got = _core.liveness_crop(image, boxes[0], scale)
    assert got.shape == (80, 80, 3) and got.dtype == np.float32
    np.testing.assert_allclose(got, reference_crop(image, boxes[0], scale), atol=1e-3)


def test_crop_on_a_large_face_in_a_large_photo():
    image = load_image(TESTDATA / "faces" / "biden_1.jpg")
    box = np.float32([426.3, 173.8, 287.3, 402.9])
    for scale in (2.7, 4.0):
        np.testing.assert_allclose(_core.liveness_crop(image, box, scale),
                                   reference_crop(image, box, scale), atol=1e-3)


# ---- batching -------------------------------------------------------------------------------------

def test_one_box_three_times_equals_one_by_one(liveness, samples):
    image, boxes = samples["spoof_F1_print"]
    one = liveness.score(image, boxes)
    three = liveness.score(image, np.repeat(boxes, 3, axis=0))
    np.testing.assert_allclose(three, np.repeat(one, 3, axis=0), atol=1e-5, rtol=0)


def test_different_boxes_batched_equal_one_by_one(liveness, core_engine):
    image = load_image(TESTDATA / "groups" / "obama_and_biden.jpg")
    boxes = core_engine.detect(image, max_face_num=10)["boxes"]
    assert len(boxes) >= 3
    shifted = boxes[:1] + np.float32([15, -10, 0, 0])
    boxes = np.concatenate([boxes, shifted])
    batch = liveness.score(image, boxes)
    singles = np.concatenate([liveness.score(image, b[None]) for b in boxes])
    np.testing.assert_allclose(batch, singles, atol=1e-5, rtol=0)
    assert len({tuple(r) for r in np.round(batch, 6).tolist()}) == len(boxes)  # really different


def test_more_faces_than_one_chunk(liveness, samples):
    image, boxes = samples["live_T1"]
    offsets = np.float32([[dx, dy, 0, 0] for dx in range(-20, 21, 5) for dy in (-6, 0, 6, 12)])
    many = boxes + offsets  # 36 boxes: more than the 32 the core runs in one batch
    np.testing.assert_allclose(liveness.score(image, many),
                               np.concatenate([liveness.score(image, b[None]) for b in many]),
                               atol=1e-5, rtol=0)


def test_no_boxes_gives_an_empty_result(liveness, samples):
    image = samples["live_T1"][0]
    out = liveness.score(image, np.zeros((0, 4), np.float32))
    assert out.shape == (0, 3) and out.dtype == np.float32


def test_threads_agree_with_one_call(liveness, samples):
    image, boxes = samples["spoof_F2_screen"]
    expected = liveness.score(image, boxes)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(liveness.score(image, boxes))
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 20
    for r in results:
        np.testing.assert_allclose(r, expected, atol=1e-6)


# ---- construction and bad input -------------------------------------------------------------------

def test_providers_and_threads():
    assert _core.Liveness(PAIR, threads=1).providers == ["CPUExecutionProvider"]


@pytest.mark.parametrize("box", [[0, 0, 0, 10], [0, 0, 10, -5], [np.nan, 0, 10, 10]])
def test_a_degenerate_box_is_a_parameter_error(liveness, samples, box):
    image = samples["live_T1"][0]
    with pytest.raises(InvalidParameterError) as info:
        liveness.score(image, np.float32([box]))
    assert info.value.error_code == 229014


def test_boxes_must_be_n_by_4(liveness, samples):
    image, boxes = samples["live_T1"]
    with pytest.raises(InvalidParameterError):
        liveness.score(image, boxes.reshape(-1))
    with pytest.raises(InvalidParameterError):
        _core.liveness_crop(image, boxes, 2.7)  # one box, not (1, 4)


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), float("inf")])
def test_a_bad_crop_scale_is_a_parameter_error(scale):
    with pytest.raises(InvalidParameterError):
        _core.Liveness([("minifasnet_liveness", V2, scale)])


def test_no_members_is_a_parameter_error():
    with pytest.raises(InvalidParameterError):
        _core.Liveness([])


def test_an_unknown_family_or_the_wrong_model_is_a_model_error():
    with pytest.raises(ModelError, match="unknown liveness family"):
        _core.Liveness([("nosuch_liveness", V2, 2.7)])
    yunet = model_path("yunet_dynamic")
    with pytest.raises(ModelError, match="expected input input"):
        _core.Liveness([("minifasnet_liveness", yunet, 2.7)])
    sface = model_path("mobilefacenet_foamliu")
    with pytest.raises(ModelError):
        _core.Liveness([("minifasnet_liveness", sface, 2.7)])
