"""The one-time model preparation: exact rewrites, proven on probe inputs, done once per file."""
import json

import numpy as np
import pytest

from faceedge import _core
from faceedge.errors import ModelError
from faceedge.images import load_image
from faceedge.prepare import prepare_model

SFACE = "recognition/face_recognition_sface_2021dec_int8bq_ortfix.onnx"
SFACE_UPSTREAM = "recognition/face_recognition_sface_2021dec_int8bq.onnx"


@pytest.fixture(scope="module")
def aligned_face(engine, testdata_dir):
    """A real 112x112 face crop as SFace's NCHW RGB float input."""
    img = load_image(testdata_dir / "faces" / "obama_1.jpg")
    face = engine.detect(img).face_list[0]
    points = np.array([[p.x, p.y] for p in face.landmark5], np.float32)
    crop = _core.align_face(img, points)
    return np.ascontiguousarray(crop[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32))


def _embedding(path, feed):
    session = _core.OrtSession(str(path))
    feeds = {"data": feed}
    for name, _, shape in session.inputs:  # the upstream file's unread inputs
        feeds.setdefault(name, np.zeros([max(d, 1) for d in shape], np.float32))
    v = session.run(feeds, ["fc1"])["fc1"][0]
    return v / np.linalg.norm(v)


def test_sface_prepared_once_and_equal(models_dir, tmp_path, aligned_face):
    messages = []
    prepared = prepare_model(models_dir / SFACE, tmp_path, log=messages.append)
    assert prepared != models_dir / SFACE and prepared.exists()
    record = json.loads(prepared.with_suffix(".json").read_text())
    assert record["min_cosine"] >= 0.9999
    assert any("PRelu" in step for step in record["steps"])
    assert len(messages) == 1 and "preparing" in messages[0]

    cos = float(_embedding(prepared, aligned_face) @ _embedding(models_dir / SFACE, aligned_face))
    assert cos >= 0.9999

    mtime = prepared.stat().st_mtime_ns
    again = prepare_model(models_dir / SFACE, tmp_path, log=messages.append)
    assert again == prepared and prepared.stat().st_mtime_ns == mtime
    assert len(messages) == 1  # no second preparation, no second message


def test_upstream_sface_runs_without_its_dummy_inputs(models_dir, tmp_path, aligned_face):
    prepared = prepare_model(models_dir / SFACE_UPSTREAM, tmp_path, log=lambda m: None)
    session = _core.OrtSession(str(prepared))
    assert [name for name, _, _ in session.inputs] == ["data"]
    cos = float(_embedding(prepared, aligned_face) @ _embedding(models_dir / SFACE, aligned_face))
    assert cos >= 0.9999


def test_a_damaged_prepared_file_is_redone(models_dir, tmp_path):
    prepared = prepare_model(models_dir / SFACE, tmp_path, log=lambda m: None)
    prepared.write_bytes(b"truncated")
    redone = prepare_model(models_dir / SFACE, tmp_path, log=lambda m: None)
    assert redone == prepared and redone.stat().st_size > 1_000_000


def test_a_file_that_cannot_be_proven_is_refused(models_dir, tmp_path):
    # Upstream YuNet int8bq does not run in ONNX Runtime as shipped, so nothing can vouch for
    # the rewrite: refuse rather than run an unproven model.
    with pytest.raises(ModelError) as err:
        prepare_model(models_dir / "detection/face_detection_yunet_2023mar_int8bq.onnx", tmp_path,
                      log=lambda m: None)
    assert "face_detection_yunet_2023mar_int8bq" in str(err.value)
    assert not list(tmp_path.glob("*.onnx"))  # nothing half-written left behind


def test_a_model_without_rewrites_is_used_as_is(models_dir, tmp_path):
    source = models_dir / "detection/yunet_s_dynamic.onnx"
    assert prepare_model(source, tmp_path, log=lambda m: None) == source
