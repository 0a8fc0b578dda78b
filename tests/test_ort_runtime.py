"""The ONNX Runtime C-ABI binding, on small graphs built here and on deliberately broken setups."""
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import onnx  # noqa: E402  (a dependency: faceedge.prepare uses it)
from onnx import TensorProto, helper  # noqa: E402

import faceedge  # noqa: E402,F401  (points the core at the installed runtime)
from faceedge import _core  # noqa: E402
from faceedge.errors import FaceEdgeError  # noqa: E402


def _save(model, path):
    model.ir_version = 9
    onnx.save(model, str(path))
    return str(path)


@pytest.fixture(scope="module")
def add_model(tmp_path_factory):
    """C = A + B with a dynamic batch N."""
    a = helper.make_tensor_value_info("A", TensorProto.FLOAT, ["N", 3])
    b = helper.make_tensor_value_info("B", TensorProto.FLOAT, ["N", 3])
    c = helper.make_tensor_value_info("C", TensorProto.FLOAT, ["N", 3])
    graph = helper.make_graph([helper.make_node("Add", ["A", "B"], ["C"])], "add", [a, b], [c])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return _save(model, tmp_path_factory.mktemp("ort") / "add.onnx")


@pytest.fixture(scope="module")
def two_output_model(tmp_path_factory):
    """Y = X @ W (float) and I = argmax(Y, axis=1) (int64), batch dimension dynamic."""
    w = np.array([[1, -1], [2, 0], [0, 3], [-1, 1]], dtype=np.float32)
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["batch", 2])
    i = helper.make_tensor_value_info("I", TensorProto.INT64, ["batch"])
    nodes = [
        helper.make_node("MatMul", ["X", "W"], ["Y"]),
        helper.make_node("ArgMax", ["Y"], ["I"], axis=1, keepdims=0),
    ]
    init = [helper.make_tensor("W", TensorProto.FLOAT, w.shape, w.flatten())]
    graph = helper.make_graph(nodes, "two", [x], [y, i], initializer=init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return _save(model, tmp_path_factory.mktemp("ort") / "two.onnx"), w


def test_runtime_info_reports_version_library_and_providers():
    info = faceedge.runtime_info()
    major, minor = (int(p) for p in info["version"].split(".")[:2])
    assert (major, minor) >= (1, 19)
    assert os.path.exists(info["library_path"])
    assert "CPUExecutionProvider" in info["available_providers"]
    assert info["simd_level"] in _core.available_simd_levels()


def test_status_round_trip():
    assert _core.status_round_trip(2, "bad thing") == "2:bad thing"


def test_dynamic_batch_sizes(add_model):
    session = _core.OrtSession(add_model)
    assert session.inputs == [("A", 1, [-1, 3]), ("B", 1, [-1, 3])]
    assert session.providers == ["CPUExecutionProvider"]
    rng = np.random.default_rng(0)
    for n in (1, 5, 7):
        a = rng.standard_normal((n, 3), dtype=np.float32)
        b = rng.standard_normal((n, 3), dtype=np.float32)
        out = session.run({"A": a, "B": b})
        np.testing.assert_allclose(out["C"], a + b, rtol=1e-6)


def test_several_outputs_and_types(two_output_model):
    path, w = two_output_model
    session = _core.OrtSession(path)
    x = np.arange(20, dtype=np.float32).reshape(5, 4) - 7
    out = session.run({"X": x})
    np.testing.assert_allclose(out["Y"], x @ w, rtol=1e-6)
    assert out["I"].dtype == np.int64
    np.testing.assert_array_equal(out["I"], np.argmax(x @ w, axis=1))
    only_i = session.run({"X": x}, ["I"])
    assert list(only_i) == ["I"]


def test_non_contiguous_input_is_copied(add_model):
    session = _core.OrtSession(add_model)
    big = np.arange(36, dtype=np.float32).reshape(6, 6)
    a = big[:, ::2]  # strided view
    out = session.run({"A": a, "B": np.zeros((6, 3), np.float32)})
    np.testing.assert_array_equal(out["C"], a)


def test_run_errors_carry_the_runtime_message(add_model):
    session = _core.OrtSession(add_model)
    a = np.zeros((2, 3), np.float32)
    with pytest.raises(FaceEdgeError, match="Invalid input name"):
        session.run({"A": a, "nope": a})
    with pytest.raises(FaceEdgeError, match="invalid dimensions"):
        session.run({"A": a, "B": np.zeros((2, 2), np.float32)})
    with pytest.raises(FaceEdgeError, match="Unexpected input data type"):
        session.run({"A": a, "B": a.astype(np.float64)})
    with pytest.raises(TypeError):
        session.run({"A": a, "B": a.astype(np.complex64)})


def test_missing_and_junk_model_files(tmp_path):
    with pytest.raises(FaceEdgeError) as missing:
        _core.OrtSession(str(tmp_path / "absent.onnx"))
    assert missing.value.error_code == 229001
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"this is not a model" * 10)
    with pytest.raises(FaceEdgeError) as bad:
        _core.OrtSession(str(junk))
    assert bad.value.error_code == 229003
    assert "protobuf" in bad.value.error_msg.lower()


def test_unavailable_provider_is_an_error_naming_what_the_runtime_has(add_model):
    with pytest.raises(FaceEdgeError) as err:
        _core.OrtSession(add_model, providers=[("CUDAExecutionProvider", {"device_id": "0"})])
    assert err.value.error_code == 229012
    assert "CPUExecutionProvider" in err.value.error_msg


def test_unavailable_provider_falls_back_when_allowed(add_model):
    session = _core.OrtSession(add_model, providers=[("TensorRT", {}), ("cuda", {})],
                               allow_fallback=True)
    assert session.providers == ["CPUExecutionProvider"]
    assert len(session.warnings) == 2 and "TensorrtExecutionProvider" in session.warnings[0]
    out = session.run({"A": np.ones((1, 3), np.float32), "B": np.ones((1, 3), np.float32)})
    np.testing.assert_array_equal(out["C"], 2 * np.ones((1, 3)))


def test_unknown_provider_name_is_a_parameter_error(add_model):
    with pytest.raises(FaceEdgeError) as err:
        _core.OrtSession(add_model, providers=[("WarpDrive", {})], allow_fallback=True)
    assert err.value.error_code == 229014
    assert "CUDAExecutionProvider" in err.value.error_msg  # lists the known names


def test_cpu_by_short_name_and_threads(add_model):
    session = _core.OrtSession(add_model, providers=[("cpu", {})], threads=1)
    assert session.providers == ["CPUExecutionProvider"]
    with pytest.raises(FaceEdgeError):
        _core.OrtSession(add_model, threads=-1)


def test_concurrent_runs_on_one_session(two_output_model):
    path, w = two_output_model
    session = _core.OrtSession(path)
    failures = []

    def worker(seed):
        rng = np.random.default_rng(seed)
        for _ in range(50):
            x = rng.standard_normal((int(rng.integers(1, 9)), 4), dtype=np.float32)
            out = session.run({"X": x})
            if not np.allclose(out["Y"], x @ w, rtol=1e-5, atol=1e-6):
                failures.append(seed)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def _run_isolated(code, env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("XDG_CACHE_HOME", "ORT_DISABLE_TELEMETRY", "FACEEDGE_ORT_LIBRARY")}
    env.update(HOME=str(tmp_path / "home"), **env_extra)
    (tmp_path / "home").mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_no_telemetry_files_in_a_fresh_home(add_model, tmp_path):
    result = _run_isolated(f"""
        import numpy as np
        from faceedge import _core
        import faceedge
        s = _core.OrtSession({add_model!r})
        s.run({{"A": np.ones((1, 3), np.float32), "B": np.ones((1, 3), np.float32)}})
        print(faceedge.runtime_info()["version"])
    """, {}, tmp_path)
    assert result.returncode == 0, result.stderr
    written = [os.path.join(d, f) for d, _, files in os.walk(tmp_path / "home") for f in files]
    assert written == [], f"the runtime wrote {written}"


def test_explicit_library_path_that_does_not_exist(tmp_path):
    result = _run_isolated("""
        import faceedge
        try:
            faceedge.runtime_info()
        except faceedge.errors.FaceEdgeError as e:
            print(e.error_code, e.error_msg)
    """, {"FACEEDGE_ORT_LIBRARY": str(tmp_path / "libnothing.so")}, tmp_path)
    assert result.stdout.startswith("229010"), result.stdout + result.stderr
    assert "FACEEDGE_ORT_LIBRARY" in result.stdout and "libnothing.so" in result.stdout


def _build_fake_runtime(tmp_path, version):
    """A shared library that exports OrtGetApiBase but claims another version."""
    src = tmp_path / "fake_ort.c"
    src.write_text(textwrap.dedent(f"""
        #include <stddef.h>
        static const void* get_api(unsigned v) {{ (void)v; return NULL; }}
        static const char* version(void) {{ return "{version}"; }}
        static const struct {{ const void* (*a)(unsigned); const char* (*b)(void); }} base = {{get_api, version}};
        const void* OrtGetApiBase(void) {{ return &base; }}
    """))
    lib = tmp_path / "libfake_ort.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    return lib


def test_too_old_runtime_is_refused_before_get_api(tmp_path):
    lib = _build_fake_runtime(tmp_path, "1.12.1")
    result = _run_isolated("""
        import faceedge
        try:
            faceedge.runtime_info()
        except faceedge.errors.FaceEdgeError as e:
            print(e.error_code, e.error_msg)
    """, {"FACEEDGE_ORT_LIBRARY": str(lib)}, tmp_path)
    assert result.stdout.startswith("229011"), result.stdout + result.stderr
    assert "1.12.1" in result.stdout


def test_library_without_the_entry_point(tmp_path):
    src = tmp_path / "empty.c"
    src.write_text("int nothing_here(void) { return 0; }\n")
    lib = tmp_path / "libempty.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    result = _run_isolated("""
        import faceedge
        try:
            faceedge.runtime_info()
        except faceedge.errors.FaceEdgeError as e:
            print(e.error_code, e.error_msg)
    """, {"FACEEDGE_ORT_LIBRARY": str(lib)}, tmp_path)
    assert result.stdout.startswith("229010") and "OrtGetApiBase" in result.stdout, result.stdout + result.stderr
