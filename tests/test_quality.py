"""_core.face_quality on the real photos: blur, illumination, completeness and size move the right
way when a sharp portrait is blurred, darkened, downscaled or cut (cpp/src/quality/).

Pose (yaw/pitch/roll) is the engine's (Engine.detect fills angles; tests/test_detect_core.py)."""
import json

import cv2
import numpy as np
import pytest

import faceedge  # noqa: F401  (points the core at the installed runtime)
from faceedge import _core
from faceedge.errors import InvalidParameterError
from faceedge.images import load_image

from data_paths import TESTDATA, model_path
MANIFEST = json.loads((TESTDATA / "manifest.json").read_text())
# One-face photos; the 112x112 aligned Tom Hanks crop is cut by design (its box starts above
# the image), so it is only used for completeness.
PORTRAITS = [e["file"] for e in MANIFEST["images"]
             if e["faces"] == 1 and not e["file"].startswith("large/") and "aligned" not in e["file"]]
PHOTOS = PORTRAITS + [f"liveness/{n}.jpg" for n in ("live_T1", "spoof_F1_print", "spoof_F2_screen")]
NORMAL_MAX_BLUR = 0.7  # Baidu's recommended maximum


@pytest.fixture(scope="module")
def core_engine():
    return _core.Engine("yunet_detector", model_path("yunet_dynamic"),
                        "mobilefacenet_embedder",
                        model_path("mobilefacenet_foamliu"))


@pytest.fixture(scope="module")
def faces(core_engine):
    """name -> (image, boxes (1,4), landmarks (1,5,2)) of the sharp photo."""
    out = {}
    for name in PHOTOS:
        image = load_image(TESTDATA / name)  # applies EXIF orientation (the liveness samples)
        found = core_engine.detect(image, max_face_num=1)
        assert len(found["boxes"]) == 1, name
        out[name] = (image, found["boxes"], found["landmarks"])
    return out


def quality(image, boxes, landmarks=None):
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    if landmarks is None:
        landmarks = np.zeros((len(boxes), 5, 2), np.float32)
    return _core.face_quality(np.ascontiguousarray(image), boxes, landmarks)


def gaussian(image, box, sigma_at_112):
    """Blur with sigma given in pixels of a 112 px wide face (the measure's own scale)."""
    return cv2.GaussianBlur(image, (0, 0), sigma_at_112 * float(box[2]) / 112)


def darken(image, factor):
    return np.round(image.astype(np.float32) * factor).astype(np.uint8)


# ---- the result --------------------------------------------------------------------------------

def test_result_has_the_documented_arrays(faces):
    image, boxes, landmarks = faces["faces/obama_1.jpg"]
    three = np.repeat(boxes, 3, axis=0)
    q = _core.face_quality(image, three, np.repeat(landmarks, 3, axis=0))
    assert set(q) == {"blur", "illumination", "completeness", "size"}
    assert q["blur"].dtype == q["illumination"].dtype == q["size"].dtype == np.float32
    assert q["completeness"].dtype == np.int32
    assert all(v.shape == (3,) for v in q.values())
    assert len(set(q["blur"].tolist())) == 1  # the same face three times
    empty = _core.face_quality(image, np.zeros((0, 4), np.float32), np.zeros((0, 5, 2), np.float32))
    assert all(v.shape == (0,) for v in empty.values())


def test_size_is_the_shorter_box_side(faces):
    image, boxes, landmarks = faces["faces/biden_1.jpg"]
    q = _core.face_quality(image, boxes, landmarks)
    assert q["size"][0] == pytest.approx(min(boxes[0, 2], boxes[0, 3]))
    wide = np.array([[10, 20, 300, 40]], np.float32)
    assert quality(image, wide)["size"][0] == 40


@pytest.mark.parametrize("box", [[0, 0, 0, 10], [0, 0, 10, -1], [np.nan, 0, 10, 10],
                                 [0, 0, np.inf, 10]])
def test_a_degenerate_box_is_a_parameter_error(faces, box):
    image = faces["faces/obama_1.jpg"][0]
    with pytest.raises(InvalidParameterError) as info:
        quality(image, [box])
    assert info.value.error_code == 229014


def test_shapes_are_checked(faces):
    image, boxes, landmarks = faces["faces/obama_1.jpg"]
    with pytest.raises(InvalidParameterError):
        _core.face_quality(image, boxes.reshape(-1), landmarks)
    with pytest.raises(InvalidParameterError):
        _core.face_quality(image, np.repeat(boxes, 2, axis=0), landmarks)  # 2 boxes, 1 set
    with pytest.raises(ValueError):
        _core.face_quality(image.astype(np.float32), boxes, landmarks)


# ---- blur ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PHOTOS)
def test_blurring_a_sharp_face_raises_blur_clearly(faces, name):
    image, boxes, landmarks = faces[name]
    sharp = _core.face_quality(image, boxes, landmarks)["blur"][0]
    blurred = quality(gaussian(image, boxes[0], 3.0), boxes, landmarks)["blur"][0]
    assert sharp < 0.3 and blurred > NORMAL_MAX_BLUR and blurred - sharp > 0.6, (sharp, blurred)


@pytest.mark.parametrize("name", PHOTOS)
def test_blur_grows_with_the_blur_radius(faces, name):
    image, boxes, _ = faces[name]
    values = [quality(image, boxes)["blur"][0]]
    values += [quality(gaussian(image, boxes[0], s), boxes)["blur"][0] for s in (1.0, 2.0, 3.0)]
    assert values == sorted(values) and values[-1] - values[0] > 0.6, values


@pytest.mark.parametrize("name", PHOTOS)
def test_darkening_moves_illumination_not_blur(faces, name):
    image, boxes, landmarks = faces[name]
    bright = _core.face_quality(image, boxes, landmarks)
    dark = quality(darken(image, 0.3), boxes, landmarks)
    ratio = dark["illumination"][0] / bright["illumination"][0]
    assert ratio == pytest.approx(0.3, abs=0.01)
    assert abs(dark["blur"][0] - bright["blur"][0]) < 0.05
    # a dark *and* blurred face still reads blurred: no contrast leaks into the figure
    dark_blurred = quality(darken(gaussian(image, boxes[0], 3.0), 0.3), boxes)["blur"][0]
    assert dark_blurred > NORMAL_MAX_BLUR


def test_blur_does_not_depend_on_the_photo_resolution(faces):
    checked = 0
    for name in (n for n in PHOTOS if n.startswith("faces/")):
        image, boxes, _ = faces[name]
        if boxes[0, 2] < 2 * 112:  # half size would fall below the 112 px measuring crop
            continue
        for sigma in (0.0, 2.0):
            photo = gaussian(image, boxes[0], sigma) if sigma else image
            half = cv2.resize(photo, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
            full_blur = quality(photo, boxes)["blur"][0]
            half_blur = quality(half, boxes * 0.5)["blur"][0]
            assert half_blur == pytest.approx(full_blur, abs=0.03), (name, sigma)
        checked += 1
    assert checked >= 4


def test_a_flat_face_reads_fully_blurred():
    grey = np.full((200, 200, 3), 128, np.uint8)
    q = quality(grey, [[50, 50, 100, 120]])
    assert q["blur"][0] == pytest.approx(1.0, abs=1e-3)
    assert q["illumination"][0] == pytest.approx(128.0)


# ---- illumination -------------------------------------------------------------------------------

def numpy_illumination(image, box):
    """Mean BT.601 luma over the pixels whose centre lies in the box, clipped to the image."""
    h, w = image.shape[:2]
    x, y, bw, bh = (float(v) for v in box)
    first = lambda edge, n: int(min(n, max(0, np.ceil(edge - 0.5))))  # noqa: E731
    x0, x1, y0, y1 = first(x, w), first(x + bw, w), first(y, h), first(y + bh, h)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    p = image[y0:y1, x0:x1].astype(np.float64)
    return float((0.299 * p[..., 2] + 0.587 * p[..., 1] + 0.114 * p[..., 0]).mean())


@pytest.mark.parametrize("name", PHOTOS)
def test_illumination_is_the_mean_luma_of_the_box(faces, name):
    image, boxes, landmarks = faces[name]
    got = _core.face_quality(image, boxes, landmarks)["illumination"][0]
    assert got == pytest.approx(numpy_illumination(image, boxes[0]), abs=1e-3)
    assert 40 < got < 255  # these photos are lit normally


def test_illumination_of_partly_and_wholly_outside_boxes(faces):
    image = faces["faces/obama_1.jpg"][0]
    h, w = image.shape[:2]
    for box in ([-50, -60, 200, 250], [w - 100, h - 80, 300, 300], [w + 10, 0, 50, 50]):
        got = quality(image, [box])["illumination"][0]
        assert got == pytest.approx(numpy_illumination(image, box), abs=1e-3), box
    assert quality(image, [[w + 10, 0, 50, 50]])["illumination"][0] == 0.0


def test_illumination_of_known_colours():
    image = np.zeros((50, 60, 3), np.uint8)
    image[..., 2] = 200  # pure red in BGR
    assert quality(image, [[5, 5, 40, 30]])["illumination"][0] == pytest.approx(0.299 * 200)
    image[...] = 255
    assert quality(image, [[0, 0, 60, 50]])["illumination"][0] == pytest.approx(255.0)


# ---- completeness -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PHOTOS)
def test_a_whole_face_is_complete(faces, name):
    image, boxes, landmarks = faces[name]
    assert _core.face_quality(image, boxes, landmarks)["completeness"][0] == 1


def cut(image, box, edge, keep):
    """The photo cut so only `keep` of the face box remains on the `edge` side."""
    x, y, w, h = (float(v) for v in box)
    if edge == "bottom":
        return image[: int(y + keep * h)]
    if edge == "top":
        return image[int(y + (1 - keep) * h):]
    if edge == "right":
        return image[:, : int(x + keep * w)]
    return image[:, int(x + (1 - keep) * w):]


@pytest.mark.parametrize("edge", ["top", "bottom", "left", "right"])
@pytest.mark.parametrize("name", PORTRAITS)
def test_a_face_cut_by_the_image_edge_is_incomplete(core_engine, faces, name, edge):
    image, boxes, _ = faces[name]
    measured = 0
    for keep in (0.9, 0.8, 0.7):
        part = np.ascontiguousarray(cut(image, boxes[0], edge, keep))
        found = core_engine.detect(part, max_face_num=1)
        if len(found["boxes"]) == 0:
            continue  # too little face left to detect: nothing to measure
        q = _core.face_quality(part, found["boxes"], found["landmarks"])
        assert q["completeness"][0] == 0, (keep, found["boxes"][0], part.shape)
        measured += 1
    assert measured > 0


def test_the_box_rule_alone_and_its_zero_tolerance(faces):
    image = faces["faces/obama_1.jpg"][0]
    h, w = image.shape[:2]
    # without landmarks (all zero) only the box decides; an edge exactly on the border is inside
    assert quality(image, [[0, 0, w, h]])["completeness"][0] == 1
    assert quality(image, [[-0.5, 10, 100, 100]])["completeness"][0] == 0
    assert quality(image, [[10, 10, w - 9.5, 100]])["completeness"][0] == 0
    assert quality(image, [[10, h - 100, 100, 100]])["completeness"][0] == 1
    assert quality(image, [[10, h - 100, 100, 100.5]])["completeness"][0] == 0


def test_landmarks_past_the_top_edge_make_a_box_inside_incomplete(faces):
    image, boxes, landmarks = faces["faces/obama_1.jpg"]
    shifted_up = landmarks.copy()
    shifted_up[..., 1] -= boxes[0, 1] + 0.2 * boxes[0, 3]  # eyes near the top edge, box unchanged
    assert _core.face_quality(image, boxes, landmarks)["completeness"][0] == 1
    assert _core.face_quality(image, boxes, shifted_up)["completeness"][0] == 0


def test_the_aligned_crop_is_incomplete(core_engine):
    image = load_image(TESTDATA / "faces" / "tom_hanks_aligned_112.png")
    found = core_engine.detect(image, max_face_num=1, score_threshold=0.8)
    assert _core.face_quality(image, found["boxes"], found["landmarks"])["completeness"][0] == 0
