"""Action liveness: the talking Miranda of the Hamilton clip is live; printed-photo and
phone-screen attacks synthesised from the stills (tests/stream_clips.py: moved, rotated,
scaled and tilted rigidly, with moire and glare for the screen) are refused, by the action
evidence alone as well as with the passive MiniFASNet score."""
import cv2
import numpy as np
import pytest

from faceedge.errors import FaceEdgeError
from faceedge.stream import ActionLiveness, ActionLivenessSettings, FaceTracker, VideoSource
from faceedge.stream.face_motion import (eye_aspect_ratio, mouth_opening, nonrigid_residual)

from stream_clips import printed_photo_clip, screen_replay_clip

STILLS = ["lin_manuel_miranda.png", "alex_lacamoire_1.jpg", "obama_1.jpg", "biden_1.jpg"]
ATTACKS = {"printed_photo": printed_photo_clip, "screen_replay": screen_replay_clip}
# Passive score ignored: what the landmarks alone decide.
ACTION_ONLY = ActionLivenessSettings(min_live_score=0.0)


@pytest.fixture(scope="module")
def hamilton(testdata_dir):
    cap = cv2.VideoCapture(str(testdata_dir / "video" / "short_hamilton_clip.mp4"))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            return frames
        frames.append(frame)


def attack_frames(engine, testdata_dir, still, attack):
    img = cv2.imread(str(testdata_dir / "faces" / still))
    box = engine.core.detect(img, 1, 0, 0.0)["boxes"][0]
    return ATTACKS[attack](img, box, frames=100)


def verdicts(engine, models_dir, frames, action=ActionLivenessSettings()):
    tracker = FaceTracker(engine, models=models_dir, action=action)
    events = [e for r in tracker.run(frames) for e in r.events]
    return [e for e in events if e.kind in ("live", "spoof")], events


# ---- the measures -----------------------------------------------------------------------

def test_residual_is_zero_for_an_affine_motion_and_not_for_a_mouth_opening():
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 100, (66, 2))
    points[36:42] = [[20, 40], [25, 37], [30, 37], [35, 40], [30, 43], [25, 43]]
    points[42:48] = points[36:42] + [40, 0]
    affine = np.array([[1.1, 0.2], [-0.15, 0.95]])
    moved = points @ affine.T + [13, -7]
    assert nonrigid_residual(points, moved) < 1e-9
    talking = moved.copy()
    talking[59:66] += [0, 6]  # the inner lips move, nothing else
    assert nonrigid_residual(points, talking) > 0.03


def test_eye_and_mouth_measures_on_a_photo(engine, model_file, testdata_dir):
    from faceedge import _core

    lm = _core.Landmarks("openseeface_landmarker",
                         str(model_file("openseeface_lm0")))
    assert lm.points == 66
    img = cv2.imread(str(testdata_dir / "faces" / "obama_1.jpg"))
    raw = engine.core.detect(img, 1, 0, 0.0)
    points, confidence = lm.locate(img, raw["boxes"])
    assert points.shape == (1, 66, 2) and confidence.shape == (1, 66)
    # The eye centres of the 66-point model sit on YuNet's eye points (within 5 % of the box).
    width = raw["boxes"][0][2]
    assert np.linalg.norm(points[0, 36:42].mean(0) - raw["landmarks"][0][0]) < 0.05 * width
    assert np.linalg.norm(points[0, 42:48].mean(0) - raw["landmarks"][0][1]) < 0.05 * width
    assert 0.12 < eye_aspect_ratio(points[0]) < 0.4  # open eyes
    assert 0.0 <= mouth_opening(points[0]) < 0.5


def test_landmarks_reject_bad_boxes(model_file):
    from faceedge import _core

    lm = _core.Landmarks("openseeface_landmarker",
                         str(model_file("openseeface_lm0")))
    img = np.zeros((50, 50, 3), np.uint8)
    with pytest.raises(FaceEdgeError):
        lm.locate(img, np.array([[0, 0, 0, 10]], np.float32))
    with pytest.raises(FaceEdgeError):
        lm.locate(img, np.array([[np.nan, 0, 10, 10]], np.float32))
    points, _ = lm.locate(img, np.zeros((0, 4), np.float32))
    assert points.shape == (0, 66, 2)


def test_settings_are_checked():
    with pytest.raises(FaceEdgeError) as exc:
        ActionLivenessSettings(lag=0)
    assert exc.value.error_code == 229014
    with pytest.raises(FaceEdgeError):
        ActionLivenessSettings(min_frames=10, max_frames=5)
    with pytest.raises(FaceEdgeError):
        ActionLivenessSettings(blink_ratio=1.5)


def test_a_still_face_never_becomes_live():
    live = ActionLiveness(ActionLivenessSettings(min_frames=12, max_frames=30))
    rng = np.random.default_rng(1)
    face = rng.uniform(0, 100, (66, 2))
    face[36:42] = [[20, 40], [25, 36], [30, 36], [35, 40], [30, 44], [25, 44]]
    face[42:48] = face[36:42] + [40, 0]
    verdicts = {live.observe(face + rng.normal(0, 0.05, face.shape), 0.99) for _ in range(30)}
    assert "live" not in verdicts and live.verdict == "spoof" and live.reason == "rigid_no_blink"


# ---- the live case: the talking clip ----------------------------------------------------

@pytest.mark.parametrize("action", [ActionLivenessSettings(), ACTION_ONLY],
                         ids=["with_passive", "action_only"])
def test_the_talking_close_up_is_live(engine, models_dir, hamilton, action):
    found, _ = verdicts(engine, models_dir, hamilton[82:211], action)
    assert [e.kind for e in found] == ["live"]
    assert found[0].details["nonrigid"] >= action.min_nonrigid
    assert found[0].live_score >= 0.5


@pytest.mark.parametrize("start", range(82, 200, 12))
def test_the_close_up_is_live_wherever_the_track_starts(engine, models_dir, hamilton, start):
    # MiniFASNet dips to 0.33..0.6 on frames 101-117; the median over the window holds.
    found, _ = verdicts(engine, models_dir, hamilton[start:211])
    assert [e.kind for e in found] == ["live"]


@pytest.mark.parametrize("action", [ActionLivenessSettings(), ACTION_ONLY],
                         ids=["with_passive", "action_only"])
def test_every_face_of_the_clip_is_live_when_big_enough(engine, models_dir, hamilton, action):
    found, events = verdicts(engine, models_dir, hamilton, action)
    assert found and all(e.kind == "live" for e in found)
    assert len({e.track_id for e in found}) >= 5  # Lacamoire, Miranda, the audience


# ---- the attacks ------------------------------------------------------------------------

@pytest.mark.parametrize("attack", sorted(ATTACKS))
@pytest.mark.parametrize("still", STILLS)
def test_rigid_attacks_are_refused_by_action_evidence_alone(engine, models_dir, testdata_dir,
                                                            still, attack):
    frames = attack_frames(engine, testdata_dir, still, attack)
    found, events = verdicts(engine, models_dir, frames, ACTION_ONLY)
    assert [e.kind for e in found] == ["spoof"], [e.to_dict() for e in found]
    assert found[0].reason == "rigid_no_blink"
    assert found[0].details["nonrigid"] < ACTION_ONLY.min_nonrigid
    assert not found[0].details["blink"]
    # The track was followed throughout: one track, not a new one per frame.
    assert len({e.track_id for e in events if e.kind == "track_started"}) == 1


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attacks_on_an_enrolled_user_never_open_the_gate(engine, models_dir, testdata_dir,
                                                         tmp_path, attack):
    from faceedge import FaceLibrary

    lib = FaceLibrary(tmp_path / "gate.db", engine)
    lib.group_add("staff")
    lib.add_user(str(testdata_dir / "faces" / "lin_manuel_miranda.png"), "staff", "miranda")
    frames = attack_frames(engine, testdata_dir, "lin_manuel_miranda.png", attack)
    tracker = FaceTracker(engine, lib, "staff", models=models_dir)
    opened = []
    tracker.on_access(opened.append)
    events = [e for r in tracker.run(frames) for e in r.events]
    lib.close()
    kinds = [e.kind for e in events]
    assert "recognised" in kinds  # the photo is of the enrolled user ...
    assert "spoof" in kinds and "live" not in kinds  # ... but refused as a spoof
    assert not opened and "access" not in kinds
