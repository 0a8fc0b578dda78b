"""The C++ tracking core (cpp/src/tracking/) through its thin binding: association, the
constant-velocity motion model, the track lifecycle, scene cuts. Synthetic boxes: exact."""
import numpy as np
import pytest

from faceedge import _core
from faceedge.errors import FaceEdgeError


def face(x, y, w=60.0, h=80.0):
    """A box and landmarks placed in it the way a frontal face's are."""
    rel = np.array([[0.3, 0.4], [0.7, 0.4], [0.5, 0.6], [0.35, 0.8], [0.65, 0.8]])
    return np.array([x, y, w, h], np.float32), (rel * [w, h] + [x, y]).astype(np.float32)


def step(tracker, faces, covered=None):
    tracker.predict()
    boxes = np.array([f[0] for f in faces], np.float32).reshape(-1, 4)
    lms = np.array([f[1] for f in faces], np.float32).reshape(-1, 5, 2)
    scores = np.full(len(faces), 0.9, np.float32)
    return tracker.update(boxes, scores, lms, covered)


def test_a_moving_face_keeps_its_id_and_its_velocity_is_learnt():
    t = _core.Tracker(min_hits=3)
    ids = []
    for i in range(20):
        out = step(t, [face(10 + 12 * i, 50 + 3 * i)])
        ids.append(int(out["detection_track"][0]))
        if i == 2:
            assert list(out["confirmed"]) == [ids[0]]
    assert len(set(ids)) == 1
    vx, vy, vw, vh = t.tracks["velocity"][0]
    assert vx == pytest.approx(12, abs=1e-3) and vy == pytest.approx(3, abs=1e-3)
    # Coasting: without detections the box keeps moving at that velocity.
    x0 = float(t.tracks["boxes"][0][0])
    step(t, [])
    step(t, [])
    assert float(t.tracks["boxes"][0][0]) == pytest.approx(x0 + 24, abs=1e-3)
    assert int(t.tracks["missed"][0]) == 2
    # ... and a detection where the prediction says picks the same track up again.
    out = step(t, [face(10 + 12 * 22, 50 + 3 * 22)])
    assert int(out["detection_track"][0]) == ids[0] and int(t.tracks["missed"][0]) == 0


def test_a_fast_face_is_followed_only_thanks_to_the_motion_model():
    # It speeds up to 40 px a frame with a 60 px box: from then on consecutive boxes overlap by
    # IoU 0.2 < min_iou 0.3, but the predicted box overlaps the next detection fully.
    xs = [0, 20, 60] + [60 + 40 * k for k in range(1, 12)]
    assert _core.box_iou(np.array([face(xs[-2], 0)[0]]), np.array([face(xs[-1], 0)[0]]))[0, 0] < 0.3
    t = _core.Tracker(min_hits=1, velocity_gain=1.0)
    ids = {int(step(t, [face(x, 0)])["detection_track"][0]) for x in xs}
    assert len(ids) == 1 and len(t) == 1


def test_lifecycle_ends_and_never_reuses_ids():
    t = _core.Tracker(max_missed=2, min_hits=2)
    first = int(step(t, [face(0, 0)])["detection_track"][0])
    out = step(t, [face(1, 0)])
    assert list(out["confirmed"]) == [first]
    ended = []
    for _ in range(3):
        ended += list(step(t, [])["ended"])
    assert ended == [first] and len(t) == 0
    again = int(step(t, [face(1, 0)])["detection_track"][0])
    assert again > first


def test_flicker_is_dropped_silently():
    t = _core.Tracker(min_hits=3)
    step(t, [face(0, 0)])
    out = step(t, [])
    assert list(out["dropped"]) and not list(out["ended"]) and len(t) == 0


def test_gates_split_a_different_face_in_the_same_place():
    t = _core.Tracker(min_hits=1)
    a = int(step(t, [face(100, 100)])["detection_track"][0])
    # Same place, twice the size: the size gate refuses the match.
    b = int(step(t, [face(85, 80, 120, 160)])["detection_track"][0])
    assert b != a
    t2 = _core.Tracker(min_hits=1)
    a = int(step(t2, [face(100, 100)])["detection_track"][0])
    box, lms = face(100, 100)
    lms = lms[::-1].copy()  # the points arranged another way in the same box
    b = int(step(t2, [(box, lms)])["detection_track"][0])
    assert b != a


def test_duplicates_from_overlapping_crops_are_one_face():
    t = _core.Tracker(min_hits=1)
    out = step(t, [face(10, 10), face(12, 11)])
    assert int(out["detection_track"][0]) > 0 and int(out["detection_track"][1]) == 0
    assert len(t) == 1


def test_uncovered_tracks_neither_match_nor_miss():
    t = _core.Tracker(min_hits=1, max_missed=0)
    step(t, [face(0, 0)])
    step(t, [face(300, 0)])  # track 1 missed once with max_missed 0: ended
    assert len(t) == 1
    out = step(t, [], covered=[False])
    assert len(t) == 1 and not list(out["ended"])
    with pytest.raises(FaceEdgeError):
        step(t, [], covered=[True, False])


def test_end_all_and_end_track():
    t = _core.Tracker(min_hits=1)
    step(t, [face(0, 0), face(300, 0)])
    ids = list(t.tracks["ids"])
    assert t.end_track(int(ids[0])) and not t.end_track(999)
    assert list(t.end_all()) == [ids[1]] and len(t) == 0


def test_bad_settings_and_arrays():
    with pytest.raises(FaceEdgeError):
        _core.Tracker(min_iou=1.5)
    with pytest.raises(FaceEdgeError):
        _core.Tracker(min_hits=0)
    t = _core.Tracker()
    with pytest.raises(FaceEdgeError):
        t.update(np.zeros((2, 4), np.float32), np.zeros(1, np.float32),
                 np.zeros((2, 5, 2), np.float32))
    with pytest.raises(FaceEdgeError):
        t.update(np.zeros((1, 3), np.float32), np.zeros(1, np.float32),
                 np.zeros((1, 5, 2), np.float32))


def test_scene_cut_detector():
    cut = _core.SceneCutDetector(0.1)
    rng = np.random.default_rng(0)
    # A scene of flat patches (10x10 px blocks), as real frames are, not pixel noise.
    room = np.kron(rng.integers(0, 120, (9, 16, 3)), np.ones((10, 10, 1))).astype(np.uint8)
    assert not cut.observe(room) and cut.last_distance == 0
    panned = np.roll(room, 7, axis=1)  # same scene, moved
    assert not cut.observe(panned) and cut.last_distance < 0.1
    other = np.kron(rng.integers(130, 255, (9, 16, 3)), np.ones((10, 10, 1))).astype(np.uint8)
    assert cut.observe(other) and cut.last_distance > 0.9
    cut.reset()
    assert not cut.observe(room)
    with pytest.raises(FaceEdgeError):
        _core.SceneCutDetector(0.0)
