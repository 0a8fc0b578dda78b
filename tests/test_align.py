"""The 5-point similarity transform and the 112x112 ArcFace warp (_core.estimate_similarity,
_core.align_face), against numpy references and cv2.warpAffine."""
from pathlib import Path

import cv2
import numpy as np
import pytest

import faceedge  # noqa: F401  (points the core at the installed runtime)
from faceedge import _core
from faceedge.errors import FaceEdgeError

from data_paths import MODELS, model_path
YUNET = Path(model_path("yunet_640"))
PHOTOS = sorted((MODELS / "test_images").glob("*.*"))

TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                     [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float32)

# OpenCV 4.11 replaced the 1/32-pixel fixed-point warp with a float one (opencv#25984). The core
# follows the float arithmetic; against the old one, sharp edges differ by a few grey levels.
CV2_FLOAT_WARP = tuple(int(p) for p in cv2.__version__.split(".")[:2]) >= (4, 11)


def similarity(angle, scale, tx, ty):
    c, s = scale * np.cos(angle), scale * np.sin(angle)
    return np.array([[c, -s, tx], [s, c, ty]], dtype=np.float64)


def umeyama(src, dst):
    """Reference: Umeyama (1991) with the SVD and the reflection fix, float64."""
    src, dst = src.astype(np.float64), dst.astype(np.float64)
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    cov = b.T @ a / len(src)
    u, d, vt = np.linalg.svd(cov)
    fix = np.diag([1.0, np.sign(np.linalg.det(u) * np.linalg.det(vt))])
    r = u @ fix @ vt
    c = np.trace(np.diag(d) @ fix) / a.var(0).sum()
    return np.hstack([c * r, (md - c * r @ ms)[:, None]])


@pytest.mark.parametrize("angle, scale, tx, ty", [
    (0.0, 1.0, 0.0, 0.0), (0.3, 0.25, -40.0, 17.5), (-2.5, 3.0, 600.0, -250.0),
    (np.pi, 0.8, 10.0, 10.0), (1.2, 0.05, 1e3, 2e3)])
def test_similarity_recovers_a_known_transform(angle, scale, tx, ty):
    rng = np.random.default_rng(7)
    src = rng.uniform(0, 1000, (5, 2)).astype(np.float32)
    m = similarity(angle, scale, tx, ty)
    dst = (src @ m[:, :2].T + m[:, 2]).astype(np.float32)
    got = _core.estimate_similarity(src, dst)
    assert got.shape == (2, 3) and got.dtype == np.float32
    np.testing.assert_allclose(got[:, :2], m[:, :2], rtol=0, atol=1e-5 * max(scale, 1))
    np.testing.assert_allclose(got[:, 2], m[:, 2], rtol=0, atol=2e-3)
    # and it maps every point where it should
    np.testing.assert_allclose(src @ got[:, :2].T + got[:, 2], dst, atol=2e-3)


def test_similarity_is_the_least_squares_fit_without_reflection():
    rng = np.random.default_rng(3)
    for _ in range(50):
        src = rng.uniform(0, 500, (5, 2)).astype(np.float32)
        m = similarity(rng.uniform(-np.pi, np.pi), rng.uniform(0.1, 2), *rng.uniform(-100, 100, 2))
        dst = (src @ m[:, :2].T + m[:, 2] + rng.normal(0, 4, (5, 2))).astype(np.float32)
        np.testing.assert_allclose(_core.estimate_similarity(src, dst), umeyama(src, dst),
                                   rtol=1e-4, atol=1e-3)
    # A mirrored target still gives a rotation (a == d, b == -c), never a reflection.
    src = TEMPLATE
    dst = TEMPLATE * np.array([-1, 1], np.float32) + 200
    got = _core.estimate_similarity(src, dst)
    assert got[0, 0] == pytest.approx(got[1, 1]) and got[0, 1] == pytest.approx(-got[1, 0])
    np.testing.assert_allclose(got, umeyama(src, dst), rtol=1e-4, atol=1e-3)


def test_similarity_of_the_template_onto_itself_is_identity():
    np.testing.assert_allclose(_core.estimate_similarity(TEMPLATE, TEMPLATE),
                               [[1, 0, 0], [0, 1, 0]], atol=1e-5)


def test_similarity_rejects_bad_points():
    with pytest.raises(ValueError, match=r"\(5, 2\)"):
        _core.estimate_similarity(TEMPLATE[:4], TEMPLATE[:4])
    with pytest.raises(FaceEdgeError) as err:  # all source points on one spot
        _core.estimate_similarity(np.full((5, 2), 3.0, np.float32), TEMPLATE)
    assert err.value.error_code == 229014
    bad = TEMPLATE.copy()
    bad[2, 0] = np.nan
    with pytest.raises(FaceEdgeError) as err:
        _core.estimate_similarity(bad, TEMPLATE)
    assert err.value.error_code == 229014


@pytest.fixture(scope="module")
def photo_landmarks():
    """(image, 5 landmarks) for every face OpenCV's own YuNet finds in the test photos."""
    out = []
    for path in PHOTOS:
        image = cv2.imread(str(path))
        h, w = image.shape[:2]
        detector = cv2.FaceDetectorYN.create(str(YUNET), "", (w, h), 0.6, 0.3, 5000)
        _, faces = detector.detect(image)
        for face in faces if faces is not None else []:
            out.append((path.name, image, face[4:14].reshape(5, 2).astype(np.float32)))
    assert len(out) >= len(PHOTOS)
    return out


def test_align_face_matches_cv2_warp_affine(photo_landmarks):
    worst, means = 0, []
    for name, image, landmarks in photo_landmarks:
        crop = _core.align_face(image, landmarks)
        assert crop.shape == (112, 112, 3) and crop.dtype == np.uint8
        m = _core.estimate_similarity(landmarks, TEMPLATE)
        ref = cv2.warpAffine(image, m, (112, 112), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        diff = np.abs(crop.astype(np.int16) - ref.astype(np.int16))
        worst = max(worst, int(diff.max()))
        means.append(diff.mean())
    assert worst <= (1 if CV2_FLOAT_WARP else 8)
    assert np.mean(means) < (0.01 if CV2_FLOAT_WARP else 0.5)


def test_align_face_border_and_rotation_match_cv2():
    """A face near the corner: the crop runs off the image and must be filled with 0 as cv2 does."""
    rng = np.random.default_rng(11)
    image = cv2.GaussianBlur(rng.integers(0, 256, (90, 120, 3), dtype=np.uint8), (0, 0), 1.0)
    for angle in (-0.7, 0.0, 0.4, 2.8):
        m = similarity(angle, 1.6, 8, -30)
        landmarks = ((TEMPLATE - m[:, 2]) @ np.linalg.inv(m[:, :2]).T).astype(np.float32)
        crop = _core.align_face(image, landmarks)
        ref = cv2.warpAffine(image, _core.estimate_similarity(landmarks, TEMPLATE), (112, 112),
                             flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        assert (ref == 0).all(axis=2).any(), "the test must reach outside the image"
        diff = np.abs(crop.astype(np.int16) - ref.astype(np.int16))
        assert diff.max() <= (1 if CV2_FLOAT_WARP else 8)


def test_align_face_puts_the_landmarks_on_the_template():
    """A synthetic image with a bright dot at each landmark: the dots land on the template."""
    image = np.zeros((400, 500, 3), np.uint8)
    landmarks = np.array([[210, 150], [290, 160], [245, 210], [215, 255], [280, 262]], np.float32)
    for x, y in landmarks:
        cv2.circle(image, (int(x), int(y)), 3, (255, 255, 255), -1)
    crop = _core.align_face(image, landmarks).max(axis=2).astype(np.float64)
    m = _core.estimate_similarity(landmarks, TEMPLATE)
    for (x, y), (tx, ty) in zip(landmarks, TEMPLATE):
        px, py = m[:, :2] @ [x, y] + m[:, 2]
        assert abs(px - tx) < 3 and abs(py - ty) < 3  # fit residual on these hand-placed points
        yy, xx = np.mgrid[0:112, 0:112]
        blob = crop * ((xx - px) ** 2 + (yy - py) ** 2 < 36)
        cx, cy = (blob * xx).sum() / blob.sum(), (blob * yy).sum() / blob.sum()
        assert abs(cx - px) < 0.75 and abs(cy - py) < 0.75


def test_align_face_rejects_bad_images():
    landmarks = TEMPLATE
    with pytest.raises(ValueError, match="uint8"):
        _core.align_face(np.zeros((112, 112, 3), np.float32), landmarks)
    with pytest.raises(ValueError, match="shape"):
        _core.align_face(np.zeros((112, 112), np.uint8), landmarks)
    with pytest.raises(ValueError, match=r"\(5, 2\)"):
        _core.align_face(np.zeros((112, 112, 3), np.uint8), landmarks[:3])
    with pytest.raises(ValueError):  # FaceEdgeError 216201 is an ImageError, a ValueError too
        _core.align_face(np.zeros((0, 10, 3), np.uint8), landmarks)
