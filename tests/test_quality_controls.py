"""Face quality figures and quality_control, on a real photo and degraded copies of it.

The base is Obama's official portrait (frontal, sharp, evenly lit) cropped to 500x560 around the
face (~235 px). Each copy degrades one thing: Gaussian blur, darkening, cutting the face at the
left edge, downscaling, rotating. The figure that measures it must move the right way, and each
level of quality_control must pass or fail with the right code (faceedge.quality has the table).
"""
import cv2
import numpy as np
import pytest

from faceedge import FaceLibrary, QUALITY_LEVELS, QualityError
from faceedge.errors import FaceEdgeError, InvalidParameterError
from faceedge.quality import quality_failure
from faceedge.results import Angle, FaceQuality

LEVELS = ("LOW", "NORMAL", "HIGH")


@pytest.fixture(scope="module")
def photos(testdata_dir):
    img = cv2.imread(str(testdata_dir / "faces" / "obama_1.jpg"))
    base = np.ascontiguousarray(img[0:560, 240:740])  # face box about (133, 90, 235, 331)
    h, w = base.shape[:2]

    def rotated(deg):  # counter-clockwise, as cv2 turns a positive angle
        m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
        return cv2.warpAffine(base, m, (w, h), borderMode=cv2.BORDER_REPLICATE)

    def scaled(side):  # the face's ~235 px width brought to about `side` px
        f = side / 235.0
        return cv2.resize(base, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)

    def darker(k):
        return np.clip(base.astype(np.float32) * k, 0, 255).astype(np.uint8)

    return {
        "base": base,
        "blur_light": cv2.GaussianBlur(base, (0, 0), 3),
        "blur_heavy": cv2.GaussianBlur(base, (0, 0), 8),
        "dim": darker(0.22),          # illumination ~33: over LOW's 20, under NORMAL's 40
        "dark": darker(0.08),         # ~12: under LOW's 20
        "cut": np.ascontiguousarray(base[:, 166:]),  # the face's left sixth cut off: box x < 0
        "small70": scaled(70),        # between LOW's 60 px and NORMAL's 80 px
        "small50": scaled(50),        # under LOW's 60 px
        "rot40": rotated(40),         # roll about -23: over NORMAL's 20, under LOW's 30
    }


@pytest.fixture(scope="module")
def faces(engine, photos):
    """The largest face of each photo, with its quality figures."""
    return {name: engine.detect(img, face_field="quality").face_list[0]
            for name, img in photos.items()}


def code_at(engine, img, level):
    """The error code detect raises at quality_control=level, or None when the face passes."""
    try:
        engine.detect(img, quality_control=level)
    except QualityError as exc:
        return exc.error_code
    return None


# ---- the figures ------------------------------------------------------------------------------

def test_quality_object_is_baidus_without_occlusion(faces):
    d = faces["base"].to_dict()
    assert set(d["quality"]) == {"blur", "illumination", "completeness"}  # no occlusion model
    assert "liveness" not in d
    q = faces["base"].quality
    assert 0.0 <= q.blur <= 1.0 and 0.0 <= q.illumination <= 255.0 and q.completeness in (0, 1)
    assert q.size == pytest.approx(min(faces["base"].location.width, faces["base"].location.height),
                                   abs=1.0)


def test_no_quality_unless_asked(engine, photos):
    face = engine.detect(photos["base"]).face_list[0]
    assert face.quality is None and "quality" not in face.to_dict()


def test_a_sharp_frontal_lit_face_passes_every_level(engine, photos, faces):
    q, angle = faces["base"].quality, faces["base"].angle
    assert q.completeness == 1 and q.size > 200 and q.illumination > 100
    for level in LEVELS:
        assert quality_failure(q, angle, level) is None, level
        assert code_at(engine, photos["base"], level) is None


def test_blur_grows_with_gaussian_blur(faces):
    b0, b1, b2 = (faces[n].quality.blur for n in ("base", "blur_light", "blur_heavy"))
    assert b0 < b1 < b2
    assert b2 >= QUALITY_LEVELS["NORMAL"].max_blur > b0


def test_illumination_is_the_mean_luma_and_scales_with_the_light(faces):
    base = faces["base"].quality.illumination
    assert faces["dim"].quality.illumination / base == pytest.approx(0.22, rel=0.2)
    assert faces["dark"].quality.illumination / base == pytest.approx(0.08, rel=0.3)
    # darkening leaves the other figures alone
    assert faces["dim"].quality.completeness == 1


def test_completeness_drops_when_the_face_is_cut_at_the_edge(faces):
    assert faces["base"].quality.completeness == 1
    assert faces["cut"].location.left < 0 and faces["cut"].quality.completeness == 0


def test_size_follows_the_face(faces):
    assert 60 <= faces["small70"].quality.size < 80
    assert faces["small50"].quality.size < 60 < 200 < faces["base"].quality.size


def test_rotation_moves_roll(faces):
    # Baidu's sign: negative roll is counter-clockwise
    assert abs(faces["base"].angle.roll) < 10
    assert faces["rot40"].angle.roll < -20


# ---- each level, each code --------------------------------------------------------------------

@pytest.mark.parametrize("name,codes", [
    # photo        LOW      NORMAL   HIGH
    ("blur_heavy", (223114, 223114, 223114)),
    ("dim",        (None,   223115, 223115)),
    ("dark",       (223115, 223115, 223115)),
    ("cut",        (None,   223116, 223116)),
    ("small70",    (None,   222213, 222213)),
    ("small50",    (222213, 222213, 222213)),
    ("rot40",      (None,   223129, 223129)),
])
def test_levels_and_codes(engine, photos, name, codes):
    assert tuple(code_at(engine, photos[name], level) for level in LEVELS) == codes
    assert code_at(engine, photos[name], "NONE") is None


def test_the_error_names_the_figure_and_the_limit(engine, photos):
    with pytest.raises(QualityError) as err:
        engine.detect(photos["dim"], quality_control="NORMAL")
    assert err.value.error_msg.startswith("face light is not good: illumination is ")
    assert "over 40" in err.value.error_msg and "NORMAL" in err.value.error_msg
    with pytest.raises(QualityError) as err:
        engine.detect(photos["rot40"], quality_control="normal")  # levels are case-insensitive
    assert err.value.error_code == 223129 and "roll" in err.value.error_msg


def test_check_order_and_limits_on_synthetic_figures():
    good = FaceQuality(blur=0.1, illumination=120, completeness=1, size=150)
    level = Angle(0, 0, 0)
    assert quality_failure(good, level, "HIGH") is None and quality_failure(good, level, "NONE") is None
    bad = FaceQuality(blur=0.95, illumination=5, completeness=0, size=30)
    # completeness, size, illumination, blur, pose: the first failure is raised
    assert quality_failure(bad, Angle(50, 0, 0), "NORMAL").error_code == 223116
    assert quality_failure(bad, Angle(50, 0, 0), "LOW").error_code == 222213  # LOW ignores completeness
    for figures, code in ((dict(size=150), 223115), (dict(size=150, illumination=120), 223114),
                          (dict(size=150, illumination=120, blur=0.1), 223129)):
        q = FaceQuality(**{**bad.__dict__, "completeness": 1, **figures})
        assert quality_failure(q, Angle(0, -25, 0), "NORMAL").error_code == code
    # the boundaries: blur and angles strictly under, illumination strictly over, size at least
    edge = FaceQuality(blur=0.7, illumination=40, completeness=1, size=80)
    assert quality_failure(edge, level, "NORMAL").error_code == 223115
    assert quality_failure(FaceQuality(0.69, 40.1, 1, 80), level, "NORMAL") is None
    assert quality_failure(FaceQuality(0.69, 40.1, 1, 80), Angle(0, 0, 20), "NORMAL").error_code == 223129


# ---- detect filters; the library and match raise -------------------------------------------------

def test_detect_drops_the_faces_that_fail(engine, testdata_dir):
    # obama_and_biden: two frontal faces and a third turned away (yaw about -45)
    path = testdata_dir / "groups" / "obama_and_biden.jpg"
    every = engine.detect(path, max_face_num=3, face_field="quality")
    assert every.face_num == 3
    kept = engine.detect(path, max_face_num=3, quality_control="LOW")
    turned = [f for f in every.face_list if abs(f.angle.yaw) >= 30]
    assert len(turned) == 1 and kept.face_num == 2
    assert turned[0].face_token not in {f.face_token for f in kept.face_list}


def test_detect_raises_when_no_face_passes(engine, photos):
    with pytest.raises(QualityError) as err:
        engine.detect(photos["blur_heavy"], max_face_num=5, quality_control="NORMAL")
    assert err.value.error_code == 223114


def test_bad_level_is_222019(engine, photos):
    for bad in ("MEDIUM", "", None, 2):
        with pytest.raises(InvalidParameterError) as err:
            engine.detect(photos["base"], quality_control=bad)
        assert err.value.error_code == 222019


def test_match_checks_each_image(engine, photos):
    ok = engine.match(photos["base"], photos["small70"], quality_control="LOW")
    assert ok.score > 80
    with pytest.raises(QualityError) as err:
        engine.match(photos["base"], photos["small70"], quality_control="NORMAL")
    assert err.value.error_code == 222213 and "image2" in err.value.error_msg
    # one level per image, as Baidu: NONE for the enrolment photo, NORMAL for the capture
    assert engine.match(photos["small70"], photos["base"],
                        quality_control=("NONE", "NORMAL")).score > 80


def test_library_refuses_and_keeps_nothing(engine, photos, tmp_path):
    with FaceLibrary(tmp_path / "q.db", engine) as lib:
        with pytest.raises(QualityError) as err:
            lib.add_user(photos["cut"], "g", "obama", quality_control="NORMAL")
        assert err.value.error_code == 223116
        assert lib.info()["faces"] == 0 and lib.get_group_list().group_id_list == []
        lib.add_user(photos["base"], "g", "obama", quality_control="HIGH")
        with pytest.raises(QualityError) as err:
            lib.update_user(photos["dark"], "g", "obama", quality_control="LOW")
        assert err.value.error_code == 223115
        with pytest.raises(QualityError) as err:
            lib.search(photos["blur_heavy"], "g", quality_control="NORMAL")
        assert err.value.error_code == 223114
        assert lib.search(photos["small70"], "g", quality_control="LOW").user_list[0].user_id == "obama"
        with pytest.raises(QualityError):
            lib.multi_search(photos["rot40"], "g", quality_control="HIGH")
        assert lib.info()["faces"] == 1


def test_face_tokens_keep_their_figures(engine, photos, tmp_path):
    measured = engine.detect(photos["small70"], face_field="quality").face_list[0].face_token
    with pytest.raises(QualityError) as err:
        engine.match(measured, photos["base"], image_type1="FACE_TOKEN", quality_control="NORMAL")
    assert err.value.error_code == 222213 and "image1" in err.value.error_msg
    assert engine.detect(measured, image_type="FACE_TOKEN", quality_control="LOW").face_num == 1
    # a token whose figures were never measured cannot be checked: its image is gone
    img = cv2.flip(photos["base"], 1)
    bare = engine.detect(img).face_list[0].face_token
    with FaceLibrary(tmp_path / "t.db", engine) as lib:
        with pytest.raises(FaceEdgeError) as err:
            lib.add_user(bare, "g", "u", quality_control="LOW", image_type="FACE_TOKEN")
        assert err.value.error_code == 229014 and "quality" in err.value.error_msg
        lib.add_user(bare, "g", "u", image_type="FACE_TOKEN")  # without the control it works
