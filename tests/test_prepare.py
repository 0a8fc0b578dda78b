"""The one-time model preparation: exact rewrites, proven on probe inputs, done once per file."""
import json

import numpy as np
import pytest

from faceedge import _core
from faceedge.errors import ModelError
from faceedge.images import load_image
from faceedge.models import load_manifest
from faceedge.prepare import prepare_model

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


def test_sface_prepared_once_and_equal(models_dir, model_file, tmp_path, aligned_face):
    messages = []
    prepared = prepare_model(model_file("sface_int8bq_ortfix"), tmp_path, log=messages.append)
    assert prepared != model_file("sface_int8bq_ortfix") and prepared.exists()
    record = json.loads(prepared.with_suffix(".json").read_text())
    assert record["min_cosine"] >= 0.9999
    assert any("PRelu" in step for step in record["steps"])
    assert len(messages) == 1 and "preparing" in messages[0]

    cos = float(_embedding(prepared, aligned_face) @ _embedding(model_file("sface_int8bq_ortfix"), aligned_face))
    assert cos >= 0.9999

    mtime = prepared.stat().st_mtime_ns
    again = prepare_model(model_file("sface_int8bq_ortfix"), tmp_path, log=messages.append)
    assert again == prepared and prepared.stat().st_mtime_ns == mtime
    assert len(messages) == 1  # no second preparation, no second message


def test_upstream_sface_runs_without_its_dummy_inputs(models_dir, model_file, tmp_path, aligned_face):
    prepared = prepare_model(models_dir / SFACE_UPSTREAM, tmp_path, log=lambda m: None)
    session = _core.OrtSession(str(prepared))
    assert [name for name, _, _ in session.inputs] == ["data"]
    cos = float(_embedding(prepared, aligned_face) @ _embedding(model_file("sface_int8bq_ortfix"), aligned_face))
    assert cos >= 0.9999


def test_a_damaged_prepared_file_is_redone(models_dir, model_file, tmp_path):
    prepared = prepare_model(model_file("sface_int8bq_ortfix"), tmp_path, log=lambda m: None)
    prepared.write_bytes(b"truncated")
    redone = prepare_model(model_file("sface_int8bq_ortfix"), tmp_path, log=lambda m: None)
    assert redone == prepared and redone.stat().st_size > 1_000_000


YUNET_UPSTREAM = "detection/face_detection_yunet_2023mar_int8bq.onnx"
YUNET_ORTFIX = "detection/face_detection_yunet_2023mar_int8bq_ortfix.onnx"


def test_upstream_yunet_is_proven_against_its_reference(models_dir, model_file, tmp_path):
    # The source does not run in ONNX Runtime ("block_size must be 0 for per-tensor
    # quantization"): the proof runs against the minimally edited reference, which must be
    # byte-identical to the shipped _ortfix copy.
    manifest = load_manifest()
    prepared = prepare_model(models_dir / YUNET_UPSTREAM, tmp_path, log=lambda m: None)
    record = json.loads(prepared.with_suffix(".json").read_text())
    assert record["proved_against"] == "reference" and record["min_cosine"] >= 0.9999
    assert record["reference_sha256"] == manifest.get("yunet_640_int8bq_ortfix").sha256
    assert record["reference_is"] == "yunet_640_int8bq_ortfix"
    assert record["source_sha256"] == manifest.get("yunet_640_int8bq").sha256
    assert not list(tmp_path.glob("*.tmp"))


def test_upstream_sface_reference_is_the_ortfix_copy(models_dir, model_file, tmp_path):
    prepared = prepare_model(models_dir / SFACE_UPSTREAM, tmp_path, log=lambda m: None)
    record = json.loads(prepared.with_suffix(".json").read_text())
    assert record["proved_against"] == "source"  # it runs (with its dummy inputs fed)
    assert record["reference_is"] == "sface_int8bq_ortfix"


def test_prepared_upstream_files_detect_and_embed_like_the_ortfix_copies(models_dir, model_file, tmp_path,
                                                                        testdata_dir):
    """Identical detections and embeddings on every labelled photo: the prepared upstream
    int8bq pair (the embedded pack) against the _ortfix pair run by ONNX Runtime unprepared."""
    yunet = prepare_model(models_dir / YUNET_UPSTREAM, tmp_path, log=lambda m: None)
    sface = prepare_model(models_dir / SFACE_UPSTREAM, tmp_path, log=lambda m: None)
    prepared = _core.Engine("yunet_detector", str(yunet), "sface_embedder", str(sface))
    shipped = _core.Engine("yunet_detector", str(models_dir / YUNET_ORTFIX),
                           "sface_embedder", str(model_file("sface_int8bq_ortfix")))
    photos = sorted(p for folder in ("faces", "groups", "noface") for p in
                    (testdata_dir / folder).iterdir() if p.suffix in (".jpg", ".png"))
    faces_seen = 0
    for photo in photos:
        img = load_image(photo)
        a = prepared.detect(img, 20, 0, 0.0)
        b = shipped.detect(img, 20, 0, 0.0)
        assert len(a["boxes"]) == len(b["boxes"]), photo.name
        np.testing.assert_allclose(a["boxes"], b["boxes"], atol=0.05, err_msg=photo.name)
        np.testing.assert_allclose(a["scores"], b["scores"], atol=1e-4, err_msg=photo.name)
        np.testing.assert_allclose(a["landmarks"], b["landmarks"], atol=0.05, err_msg=photo.name)
        if len(a["boxes"]):
            cos = np.sum(prepared.embed(img, b["landmarks"]) * shipped.embed(img, b["landmarks"]),
                         axis=1)
            assert cos.min() >= 0.9999, photo.name
            faces_seen += len(a["boxes"])
    assert faces_seen >= 12


def test_an_unproven_rewrite_is_refused(models_dir, model_file, tmp_path, monkeypatch):
    # The proof is the gate: a rewrite that changes the numbers (here: one weight scaled) is
    # refused, and nothing is left in the cache.
    from faceedge import prepare
    from onnx import numpy_helper

    real = prepare._rewrite

    def damaging(model, *args):
        steps = real(model, *args)
        weight = max(model.graph.initializer, key=lambda t: numpy_helper.to_array(t).size)
        weight.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weight) * 0.5, weight.name))
        return steps

    monkeypatch.setattr(prepare, "_rewrite", damaging)
    with pytest.raises(ModelError) as err:
        prepare_model(models_dir / YUNET_UPSTREAM, tmp_path, log=lambda m: None)
    assert err.value.error_code == 229003 and "differs from the reference" in str(err.value)
    assert not list(tmp_path.iterdir())  # no prepared file, no record, no temporary


def test_a_model_without_rewrites_is_used_as_is(models_dir, model_file, tmp_path):
    source = model_file("yunet_dynamic")
    assert prepare_model(source, tmp_path, log=lambda m: None) == source


# ---- the PRelu forms ----------------------------------------------------------------------------

def _optimized_op_counts(path, tmp_path):
    """Node counts of the graph ONNX Runtime's CPU provider actually runs (all optimisations,
    this machine's NCHWc blocking), from the runtime's own serialised optimised model."""
    import collections

    import onnx
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    model = onnx.load(str(tmp_path / "optimized.onnx"))
    return collections.Counter(node.op_type for node in model.graph.node)


def test_nchwc_prelu_keeps_the_convolutions_blocked(model_file, tmp_path):
    """On x86 with AVX2/AVX-512 the PRelu rewrite must leave no layout conversion between the
    convolutions: the element-wise form costs 26 ReorderInput + 54 ReorderOutput nodes."""
    from faceedge.prepare import prelu_form

    if prelu_form() != "nchwc":
        pytest.skip("ONNX Runtime has no NCHWc layout on this CPU")
    nchwc = prepare_model(model_file("sface_int8bq_ortfix"), tmp_path / "nchwc", log=lambda m: None)
    elementwise = prepare_model(model_file("sface_int8bq_ortfix"), tmp_path / "elementwise",
                                log=lambda m: None, provider="OpenVINOExecutionProvider")
    assert "v2-nchwc" in nchwc.name and "v2-elementwise" in elementwise.name
    blocked = _optimized_op_counts(nchwc, tmp_path)
    assert blocked["ReorderInput"] == 0 and blocked["ReorderOutput"] <= 1, blocked
    assert not {"PRelu", "Min", "Relu", "Add"} & set(blocked), blocked  # all fused into Conv
    plain = _optimized_op_counts(elementwise, tmp_path)
    assert plain["ReorderOutput"] > 20 and plain["Min"] == 27, plain


@pytest.mark.parametrize("provider", ["CPUExecutionProvider", "OpenVINOExecutionProvider"])
def test_both_prelu_forms_embed_like_the_source(model_file, tmp_path, aligned_face, provider):
    prepared = prepare_model(model_file("sface_int8bq_ortfix"), tmp_path, log=lambda m: None,
                             provider=provider)
    record = json.loads(prepared.with_suffix(".json").read_text())
    assert record["prelu_form"] in prepared.name and record["min_cosine"] >= 0.9999
    cos = float(_embedding(prepared, aligned_face)
                @ _embedding(model_file("sface_int8bq_ortfix"), aligned_face))
    assert cos >= 0.9999


def test_nchwc_form_is_exact_for_every_slope(tmp_path):
    """x + (1 - s) * relu(-x) equals PRelu for slopes below 0, in [0, 1] and above 1 (SFace's
    first layers have slopes up to 1.12), on a graph small enough to check by hand."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from faceedge.prepare_rewrites import rewrite_prelu

    slopes = np.array([-0.7, 0.0, 0.25, 1.0, 1.12], np.float32).reshape(5, 1, 1)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 5, 3, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5, 3, 4])
    graph = helper.make_graph([helper.make_node("PRelu", ["x", "s"], ["y"])], "prelu", [x], [y],
                              [numpy_helper.from_array(slopes, "s")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 9
    assert "depthwise" in rewrite_prelu(model, "nchwc")
    assert [n.op_type for n in model.graph.node] == ["Conv", "Relu", "Conv", "Add"]
    onnx.save(model, str(tmp_path / "rewritten.onnx"))
    feed = np.random.default_rng(3).standard_normal((1, 5, 3, 4)).astype(np.float32) * 10
    got = _core.OrtSession(str(tmp_path / "rewritten.onnx")).run({"x": feed})["y"]
    expected = np.where(feed > 0, feed, feed * slopes[None])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("levels, form", [
    (["serial", "sse", "avx2"], "nchwc"),
    (["serial", "sse", "avx2", "avx512", "avx512vnni"], "nchwc"),
    (["serial", "sse"], "elementwise"),          # x86 without AVX2: no NCHWc in ONNX Runtime
    (["serial", "neon", "neondotprod"], "elementwise"),
])
def test_prelu_form_follows_the_cpu(levels, form):
    from faceedge.prepare_rewrites import prelu_form

    assert prelu_form(levels) == form
