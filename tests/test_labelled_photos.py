"""Behaviour on every labelled photo in shared/testdata: face counts, upright EXIF photos, the
same/different-person verdict on every pair, and the same answers from 4 threads as from one."""
import itertools
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from faceedge.errors import FaceEdgeError
from faceedge.images import load_image


@pytest.fixture(scope="module")
def labels(testdata_dir):
    return json.loads((testdata_dir / "manifest.json").read_text())


def _portraits(labels):
    return [im for im in labels["images"] if im["category"] == "portrait"]


def test_face_counts_match_the_labels(engine, labels, testdata_dir):
    checked = 0
    for im in labels["images"]:
        if "faces" not in im or im["category"] == "aligned_crop_112":
            continue
        path = testdata_dir / im["file"]
        if not path.exists():  # listed in the labels but not shipped in this copy of shared/
            continue
        if im["faces"] == 0:
            with pytest.raises(FaceEdgeError) as err:
                engine.detect(path, max_face_num=120)
            assert err.value.error_code == 222202, im["file"]
            continue
        result = engine.detect(path, max_face_num=120)
        assert result.face_num == im["faces"], im["file"]
        height, width = load_image(path).shape[:2]  # upright size (EXIF applied)
        for face in result.face_list:
            loc = face.location
            assert 0 <= loc.left and loc.left + loc.width <= width + 2, im["file"]
            assert 0 <= loc.top and loc.top + loc.height <= height + 2, im["file"]
            for p in face.landmark5:
                assert loc.left <= p.x <= loc.left + loc.width, im["file"]
                assert loc.top <= p.y <= loc.top + loc.height, im["file"]
        checked += 1
    assert checked >= 10


def test_voc_boxes_agree_with_the_human_labels(engine, labels, testdata_dir):
    im = next(i for i in labels["images"] if i["file"].startswith("groups/voc"))
    found = engine.detect(testdata_dir / im["file"], max_face_num=10).face_list
    for (x, y, w, h), points in zip(im["boxes_xywh"], im["landmarks5_model"]):
        cx, cy = x + w / 2, y + h / 2
        hit = [f for f in found if f.location.left <= cx <= f.location.left + f.location.width
               and f.location.top <= cy <= f.location.top + f.location.height]
        assert len(hit) == 1, (x, y, w, h)
        # Both lists run image-left eye, image-right eye, nose, mouth left, mouth right.
        for ours, theirs in zip(hit[0].landmark5, points):
            assert abs(ours.x - theirs[0]) < 0.15 * w and abs(ours.y - theirs[1]) < 0.15 * w


def test_exif_rotated_photos_come_out_upright(engine, testdata_dir):
    for name in ("live_T1.jpg", "spoof_F1_print.jpg", "spoof_F2_screen.jpg"):
        face = engine.detect(testdata_dir / "liveness" / name).face_list[0]
        eyes_y = (face.landmark5[0].y + face.landmark5[1].y) / 2
        mouth_y = (face.landmark5[3].y + face.landmark5[4].y) / 2
        assert mouth_y - eyes_y > 0.5 * face.location.height * 0.4, name  # eyes above mouth
        assert abs(face.angle.roll) < 30, name


def test_every_labelled_pair_is_judged_right(engine, labels, testdata_dir):
    portraits = _portraits(labels)  # the 3061x4600 camera photo included
    same_pairs = {tuple(sorted(p)) for p in labels["same_person_pairs"]}
    judged = 0
    for a, b in itertools.combinations(portraits, 2):
        result = engine.match(testdata_dir / a["file"], testdata_dir / b["file"])
        key = tuple(sorted((a["file"], b["file"])))
        if a["identity"] == b["identity"]:
            assert key in same_pairs
            assert result.score > 80, (key, result.score)
        else:
            assert result.score < 80, (key, result.score)
        judged += 1
    assert judged >= 21


def test_four_threads_get_the_same_answers_as_one(engine, testdata_dir):
    photos = sorted((testdata_dir / "faces").glob("*_[12].*"))
    pairs = list(zip(photos[::2], photos[1::2]))

    def work(i):
        photo = photos[i % len(photos)]
        det = engine.detect(photo, max_face_num=5).to_dict()
        a, b = pairs[i % len(pairs)]
        return det, engine.match(a, b).to_dict()

    serial = [work(i) for i in range(12)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(work, range(12)))
    assert parallel == serial


def test_frontal_portraits_read_a_small_pitch(engine, labels, testdata_dir):
    """The testdata portraits face the camera: none may fail NORMAL's 20 degree pitch gate."""
    pitches = [engine.detect(testdata_dir / im["file"]).face_list[0].angle.pitch
               for im in _portraits(labels)]
    assert len(pitches) >= 8
    assert max(abs(p) for p in pitches) < 20, pitches
