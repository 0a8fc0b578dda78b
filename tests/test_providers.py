"""Execution providers as a setting: option parsing per provider, errors, big cores, affinity.

This machine is CPU-only (the PyPI onnxruntime: CPU and Azure providers). CUDA, TensorRT and
OpenVINO are therefore tested for their option checks and for the error / fallback a user gets
when the runtime lacks them, never for running on a GPU. The thread pool is process-wide, so the
affinity tests start a fresh interpreter each.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

import faceedge
from faceedge import FaceEngine
from faceedge._runtime import core
from faceedge.cpu_topology import cpu_topology, format_cpulist, parse_cpulist
from faceedge.errors import FaceEdgeError, InvalidParameterError
from faceedge.providers import known_options, normalize_providers, provider_options

GIB = 1024 ** 3


# ---- option parsing, provider by provider ----------------------------------------------------

@pytest.mark.parametrize("name, options, expected", [
    ("cuda", {"device_id": 0, "gpu_mem_limit": 2 * GIB, "arena_extend_strategy": "kSameAsRequested",
              "cudnn_conv_algo_search": "heuristic", "do_copy_in_default_stream": False},
     {"device_id": "0", "gpu_mem_limit": str(2 * GIB), "arena_extend_strategy": "kSameAsRequested",
      "cudnn_conv_algo_search": "HEURISTIC", "do_copy_in_default_stream": "0"}),
    ("CUDAExecutionProvider", {"device": 1, "mem_limit_mb": 512, "tf32": "false", "cuda_graph": 1},
     {"device_id": "1", "gpu_mem_limit": str(512 * 1024 ** 2), "use_tf32": "0",
      "enable_cuda_graph": "1"}),
    ("tensorrt", {"trt_fp16_enable": True, "trt_int8_enable": "0", "trt_max_workspace_size": "1073741824",
                  "trt_builder_optimization_level": 3, "device_id": "0"},
     {"trt_fp16_enable": "1", "trt_int8_enable": "0", "trt_max_workspace_size": "1073741824",
      "trt_builder_optimization_level": "3", "device_id": "0"}),
    ("XnnpackExecutionProvider", {"threads": 4}, {"intra_op_num_threads": "4"}),
    ("xnnpack", {"intra_op_num_threads": "2"}, {"intra_op_num_threads": "2"}),
    ("openvino", {"device": "GPU.0", "precision": "fp16", "threads": 4, "streams": 2,
                  "enable_qdq_optimizer": True, "disable_dynamic_shapes": 0},
     {"device_type": "GPU.0", "precision": "FP16", "num_of_threads": "4", "num_streams": "2",
      "enable_qdq_optimizer": "true", "disable_dynamic_shapes": "false"}),
    ("cpu", {"threads": 3, "arena": False}, {"intra_op_num_threads": "3", "enable_cpu_mem_arena": "0"}),
    ("CPUExecutionProvider", {"intra_op_num_threads": 2, "session.intra_op_thread_affinities": "2"},
     {"intra_op_num_threads": "2", "session.intra_op_thread_affinities": "2"}),
])
def test_aliases_and_runtime_keys_become_the_runtime_strings(name, options, expected):
    assert provider_options(name, options) == expected


def test_tensorrt_friendly_form_sets_the_cache_the_workspace_and_fp16(tmp_path):
    cache = tmp_path / "var" / "cache" / "trt"  # does not exist yet: created, so the first start can write
    got = provider_options("tensorrt", {"fp16": True, "engine_cache": cache, "workspace_mb": 1024,
                                        "timing_cache": True})
    assert got == {"trt_fp16_enable": "1", "trt_engine_cache_enable": "1",
                   "trt_engine_cache_path": str(cache), "trt_max_workspace_size": str(GIB),
                   "trt_timing_cache_enable": "1"}
    assert cache.is_dir()
    assert provider_options("tensorrt", {"engine_cache": False}) == {"trt_engine_cache_enable": "0"}


def test_openvino_cache_dir_is_created(tmp_path):
    got = provider_options("openvino", {"cache": tmp_path / "ov"})
    assert got == {"cache_dir": str(tmp_path / "ov")} and (tmp_path / "ov").is_dir()


def test_a_cache_dir_that_cannot_be_made_is_a_parameter_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    for name, options in (("tensorrt", {"engine_cache": blocker / "trt"}),
                          ("openvino", {"cache_dir": blocker / "ov"})):
        with pytest.raises(InvalidParameterError) as err:
            provider_options(name, options)
        assert err.value.error_code == 229014 and "cannot create directory" in err.value.error_msg


@pytest.mark.parametrize("name, options, words", [
    ("tensorrt", {"fp16": "yes"}, "trt_fp16_enable (fp16) must be a bool"),
    ("tensorrt", {"trt_builder_optimization_level": 9}, "in 0..5"),
    ("tensorrt", {"workspace_mb": 0}, "integer >= 1"),
    ("cuda", {"device_id": -1}, "device_id must be an integer >= 0"),
    ("cuda", {"device_id": True}, "device_id must be an integer"),
    ("cuda", {"gpu_mem_limit": "2GB"}, "gpu_mem_limit must be an integer >= 1"),
    ("cuda", {"cudnn_conv_algo_search": "FASTEST"}, "one of EXHAUSTIVE, HEURISTIC, DEFAULT"),
    ("openvino", {"precision": "INT4"}, "one of FP32, FP16, ACCURACY"),
    ("openvino", {"num_of_threads": 0}, "num_of_threads must be an integer >= 1"),
    ("openvino", {"device_type": ""}, "non-empty string"),
    ("xnnpack", {"threads": 1.5}, "intra_op_num_threads (threads) must be an integer"),
    ("cpu", {"arena": "sometimes"}, "enable_cpu_mem_arena (arena) must be a bool"),
    ("cpu", {"threads": -2}, "intra_op_num_threads (threads) must be an integer >= 0"),
    ("cpu", {"cores": "little"}, "cores must be one of big"),
    ("cpu", {"affinity": "4-1", "threads": 2}, "affinity must be CPU numbers"),
    ("cpu", {"affinity": [0, -1], "threads": 2}, "affinity must be CPU numbers"),
    ("cpu", {"affinity": [99], "threads": 2}, "CPU [99] not usable here"),
    ("cpu", {"affinity": [0]}, "affinity needs threads >= 2"),
    ("cpu", {"affinity": [0, 1], "cores": "big"}, "affinity or cores, not both"),
    ("cpu", {"cores": "big", "session.intra_op_thread_affinities": "2"}, "not both"),
    ("tensorrt", {"fp16": True, "trt_fp16_enable": False}, "to different values"),
])
def test_bad_values_are_229014_naming_the_option(name, options, words):
    with pytest.raises(InvalidParameterError) as err:
        provider_options(name, options)
    assert err.value.error_code == 229014
    assert words in err.value.error_msg


@pytest.mark.parametrize("name, some_known", [
    ("cuda", ["device_id", "gpu_mem_limit", "cudnn_conv_algo_search", "mem_limit_mb"]),
    ("tensorrt", ["trt_fp16_enable", "trt_engine_cache_path", "trt_timing_cache_enable",
                  "trt_max_workspace_size", "engine_cache", "workspace_mb"]),
    ("openvino", ["device_type", "num_of_threads", "cache_dir", "precision"]),
    ("xnnpack", ["intra_op_num_threads", "threads"]),
    ("cpu", ["intra_op_num_threads", "session.intra_op_thread_affinities", "affinity", "cores"]),
])
def test_unknown_keys_are_229014_listing_the_known_ones(name, some_known):
    with pytest.raises(InvalidParameterError) as err:
        normalize_providers([(name, {"trt_fp61_enable": True})])
    msg = err.value.error_msg
    assert err.value.error_code == 229014 and "'trt_fp61_enable'" in msg
    listed = msg.split("known options: ", 1)[1].split(", ")
    assert set(some_known) <= set(listed) and listed == known_options(name)


def test_providers_without_a_table_pass_their_options_through():
    assert normalize_providers(("CoreML", {"ModelFormat": "MLProgram", "flag": True})) == [
        ("CoreML", {"ModelFormat": "MLProgram", "flag": "1"})]
    assert known_options("CoreML") == []


# ---- unavailable providers on this CPU-only machine --------------------------------------------

@pytest.fixture(scope="module")
def available():
    names = faceedge.runtime_info()["available_providers"]
    gpu = {"CUDAExecutionProvider", "TensorrtExecutionProvider", "OpenVINOExecutionProvider"}
    assert not gpu & set(names), f"these tests expect a CPU-only ONNX Runtime; this one has {names}"
    return names


@pytest.mark.parametrize("request_", [
    ("cuda", {"device_id": 0, "mem_limit_mb": 512}),
    ("tensorrt", {"fp16": True, "workspace_mb": 256}),
    ("OpenVINO", {"device": "CPU", "precision": "FP32"}),
])
def test_unavailable_provider_error_names_what_the_runtime_has(models_dir, available, request_):
    with pytest.raises(FaceEdgeError) as err:
        FaceEngine(models=models_dir, providers=[request_])
    assert err.value.error_code == 229012
    assert "not in this ONNX Runtime build" in err.value.error_msg
    for name in available:
        assert name in err.value.error_msg


def test_allow_fallback_runs_on_cpu_with_a_warning(models_dir, testdata_dir, available, tmp_path):
    wanted = normalize_providers([("tensorrt", {"engine_cache": tmp_path / "trt", "fp16": True}),
                                  ("cuda", {"device": 0}), ("openvino", {"device": "CPU"}), "cpu"])
    session = core().OrtSession(str(models_dir / "detection" / "face_detection_yunet_2023mar.onnx"),
                                providers=wanted, allow_fallback=True)
    assert session.providers == ["CPUExecutionProvider"]
    assert [w.split(" ")[0] for w in session.warnings] == [
        "TensorrtExecutionProvider", "CUDAExecutionProvider", "OpenVINOExecutionProvider"]
    assert all("falling back" in w for w in session.warnings)
    with pytest.warns(RuntimeWarning, match="skipped: TensorrtExecutionProvider, "
                                            "CUDAExecutionProvider, OpenVINOExecutionProvider"):
        engine = FaceEngine(models=models_dir, providers=wanted, allow_fallback=True)
    assert engine.providers == ["CPUExecutionProvider"]
    assert engine.detect(str(testdata_dir / "faces" / "biden_1.jpg")).face_num == 1


# ---- the core's own checks of the CPU options ---------------------------------------------------

def test_core_rejects_unknown_cpu_options_and_conflicting_thread_counts(models_dir):
    model = str(models_dir / "detection" / "face_detection_yunet_2023mar.onnx")
    with pytest.raises(InvalidParameterError) as err:
        core().OrtSession(model, providers=[("cpu", {"use_turbo": "1"})])
    assert "known options: intra_op_num_threads" in err.value.error_msg
    with pytest.raises(InvalidParameterError) as err:
        core().OrtSession(model, providers=[("cpu", {"intra_op_num_threads": "2"})], threads=1)
    assert "disagrees" in err.value.error_msg
    with pytest.raises(InvalidParameterError) as err:
        core().OrtSession(model, providers=[("cpu", {"session.intra_op_thread_affinities": "1"})])
    assert "needs intra_op_num_threads >= 2" in err.value.error_msg


def test_cpu_arena_off_still_runs_the_detector(models_dir, testdata_dir):
    engine = FaceEngine(models=models_dir, providers=[("cpu", {"arena": False})])
    assert engine.detect(str(testdata_dir / "faces" / "biden_1.jpg")).face_num == 1


# ---- big cores from sysfs ----------------------------------------------------------------------

def make_cpu_tree(root, capacity=None, max_freq=None, online=None):
    """A fake /sys/devices/system/cpu: one cpuN directory per entry of capacity or max_freq."""
    n = len(capacity or max_freq)
    for cpu in range(n):
        d = root / f"cpu{cpu}"
        (d / "cpufreq").mkdir(parents=True)
        if capacity and capacity[cpu] is not None:
            (d / "cpu_capacity").write_text(f"{capacity[cpu]}\n")
        if max_freq and max_freq[cpu] is not None:
            (d / "cpufreq" / "cpuinfo_max_freq").write_text(f"{max_freq[cpu]}\n")
    (root / "cpufreq").mkdir()  # sysfs has non-CPU entries beside the cpuN ones
    (root / "online").write_text(online or f"0-{n - 1}\n")
    return root


RK3588_CAPACITY = [414] * 4 + [1024] * 4  # 4x Cortex-A55, 4x Cortex-A76
RK3588_FREQ = [1800000] * 4 + [2256000, 2256000, 2304000, 2304000]  # A76 pairs binned apart


def test_rk3588_big_cores_from_cpu_capacity(tmp_path):
    topo = cpu_topology(make_cpu_tree(tmp_path, capacity=RK3588_CAPACITY, max_freq=RK3588_FREQ))
    assert topo.cpus == tuple(range(8)) and topo.big == (4, 5, 6, 7)
    assert topo.source == "cpu_capacity"


def test_rk3588_big_cores_from_cpufreq_when_capacity_is_missing(tmp_path):
    topo = cpu_topology(make_cpu_tree(tmp_path, capacity=[None] * 8, max_freq=RK3588_FREQ))
    assert topo.big == (4, 5, 6, 7) and topo.source == "cpuinfo_max_freq"


def test_partial_capacity_falls_back_to_cpufreq(tmp_path):
    capacity = [414, 414, 414, 414, 1024, 1024, None, 1024]  # one unreadable file
    topo = cpu_topology(make_cpu_tree(tmp_path, capacity=capacity, max_freq=RK3588_FREQ))
    assert topo.big == (4, 5, 6, 7) and topo.source == "cpuinfo_max_freq"


def test_offline_cpus_are_left_out(tmp_path):
    topo = cpu_topology(make_cpu_tree(tmp_path, capacity=RK3588_CAPACITY, online="0-5\n"))
    assert topo.cpus == tuple(range(6)) and topo.big == (4, 5)


@pytest.mark.parametrize("capacity, max_freq", [
    ([1024] * 4, None),                          # x86 with cpu_capacity: all equal
    (None, [4900000, 4700000, 4900000, 4700000]),  # turbo-favoured cores: 4 % apart, one group
    ([None] * 4, [None] * 4),                    # neither file (VMs, this machine's cpufreq)
])
def test_uniform_machines_have_every_cpu_big(tmp_path, capacity, max_freq):
    topo = cpu_topology(make_cpu_tree(tmp_path, capacity=capacity, max_freq=max_freq))
    assert topo.big == topo.cpus == (0, 1, 2, 3) and topo.source == "uniform"


def test_missing_sysfs_counts_every_cpu(tmp_path):
    import os

    topo = cpu_topology(tmp_path / "no-such-dir")
    assert topo.source == "unknown" and topo.big == tuple(range(os.cpu_count()))


def test_cores_big_pins_the_workers_to_the_a76s_and_sizes_the_pool(tmp_path):
    root = make_cpu_tree(tmp_path, capacity=RK3588_CAPACITY)
    assert provider_options("cpu", {"cores": "big"}, sysfs_root=root) == {
        "intra_op_num_threads": "4", "session.intra_op_thread_affinities": "5-8;5-8;5-8"}
    assert normalize_providers([("cpu", {"cores": "big", "threads": 2})], sysfs_root=root) == [
        ("CPUExecutionProvider", {"intra_op_num_threads": "2", "session.intra_op_thread_affinities": "5-8"})]
    # An explicit CPU set in Linux numbering; non-contiguous sets become ORT's comma form.
    assert provider_options("cpu", {"affinity": "4,6", "threads": 3}, sysfs_root=root) == {
        "intra_op_num_threads": "3", "session.intra_op_thread_affinities": "5,7;5,7"}


def test_cpulist_round_trip():
    assert parse_cpulist("0-3,6\n") == {0, 1, 2, 3, 6}
    assert format_cpulist({6, 0, 1, 2, 3}) == "0-3,6"
    for bad in ("", "a", "3-1", "1,,2"):
        with pytest.raises(ValueError):
            parse_cpulist(bad)


# ---- the affinity reaches ONNX Runtime (fresh process each: the pool is process-wide) ----------

def run_python(code):
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


THREAD_AFFINITIES = """
    import glob
    def thread_cpus():
        out = {}
        for status in glob.glob("/proc/self/task/*/status"):
            fields = dict(l.split(":", 1) for l in open(status).read().splitlines() if ":" in l)
            out[status.split("/")[4]] = fields["Cpus_allowed_list"].strip()
        return out
"""


def test_affinity_pins_every_sessions_workers_never_the_caller(engine, models_dir, testdata_dir):
    """Each session builds its own pool: with threads 2 and affinity [1], every worker the
    engine's sessions start sits on CPU 1, and the calling thread is left where it was."""
    import os

    assert os.sched_getaffinity(0) >= {0, 1}, "this test pins to CPU 1: it needs CPUs 0 and 1"
    got = run_python(THREAD_AFFINITIES + f"""
    import json, os, faceedge
    before = thread_cpus()
    engine = faceedge.FaceEngine(models={str(models_dir)!r},
                                 providers=[("cpu", {{"affinity": [1], "threads": 2}})])
    faces = engine.detect({str(testdata_dir / "faces" / "biden_1.jpg")!r}).face_num
    new = {{t: c for t, c in thread_cpus().items() if t not in before}}
    main = thread_cpus()[str(os.getpid())]
    print(json.dumps([faces, new, main]))
    """)
    faces, new, main = got
    assert faces == 1
    assert list(new.values()).count("1") >= 2  # the detector's and the embedder's worker ...
    assert main != "1" and 1 in parse_cpulist(main)  # ... the calling thread is never pinned


def test_sessions_with_different_placements_each_get_their_own_pool(models_dir):
    model = str(models_dir / "detection" / "face_detection_yunet_2023mar.onnx")
    got = run_python(THREAD_AFFINITIES + f"""
    import json
    from faceedge._runtime import core
    first = core().OrtSession({model!r}, providers=[("cpu", {{"intra_op_num_threads": "2"}})])
    before = thread_cpus()
    second = core().OrtSession({model!r}, providers=[("cpu", {{"intra_op_num_threads": "2",
                               "session.intra_op_thread_affinities": "2"}})])
    new = [c for t, c in thread_cpus().items() if t not in before]
    print(json.dumps(new))
    """)
    assert got == ["1"]


def test_workers_stop_spinning_when_a_run_returns(engine, testdata_dir):
    """Workers spin during a run (fast hand-offs between layers) and stop when it returns: an
    idle engine takes next to no CPU, where a pool left spinning burned tens of ms per call."""
    import resource
    import time

    def cpu_seconds():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    image = testdata_dir / "faces" / "obama_1.jpg"
    engine.embed(image)
    idle = []
    for _ in range(3):
        engine.embed(image)
        before = cpu_seconds()
        time.sleep(0.3)
        idle.append(cpu_seconds() - before)
    assert min(idle) < 0.01, idle  # spinning on would be ~0.04 s of CPU in this gap


def test_spin_option_is_checked_and_reaches_the_runtime(models_dir, testdata_dir):
    from faceedge.providers import cpu_workers_spin, normalize_providers

    assert cpu_workers_spin(normalize_providers(None))
    assert not cpu_workers_spin(normalize_providers(("cpu", {"spin": 0})))
    with pytest.raises(FaceEdgeError) as bad:
        normalize_providers(("cpu", {"spin": "sometimes"}))
    assert bad.value.error_code == 229014
    engine = faceedge.FaceEngine(models=models_dir, providers=[("cpu", {"spin": 0, "threads": 2})])
    assert engine.detect(testdata_dir / "faces" / "obama_1.jpg").face_num == 1


@pytest.mark.parametrize("affinity, ort_words", [
    ("0", "Processor id must start from 1"),
    ("1;2", "Number of affinities does not equal to thread_pool_size minus one"),
])
def test_onnx_runtime_rejects_a_bad_affinity_string_with_its_own_message(models_dir, affinity,
                                                                        ort_words):
    got = run_python(f"""
    import json, faceedge
    try:
        faceedge.FaceEngine(models={str(models_dir)!r}, providers=[("cpu", {{"threads": 2,
                            "session.intra_op_thread_affinities": {affinity!r}}})])
        print(json.dumps(None))
    except faceedge.errors.FaceEdgeError as exc:
        print(json.dumps([exc.error_code, exc.error_msg]))
    """)
    assert got is not None and got[0] == 229014
    assert ort_words in got[1] and f"affinity '{affinity}'" in got[1]


# ---- plugin execution providers (ONNX Runtime >= 1.22) ------------------------------------------

def _runtime_at_least(major_minor):
    return tuple(int(p) for p in faceedge.runtime_info()["version"].split(".")[:2]) >= major_minor


def test_runtime_lists_its_devices():
    devices = faceedge.runtime_info()["ep_devices"]
    if not _runtime_at_least((1, 22)):
        assert devices == []
        return
    # GetEpDevices (slot 303) and the EpDevice/HardwareDevice readers (307, 309, 312, 316).
    assert any(d.startswith("CPUExecutionProvider on CPU") for d in devices), devices


def test_openvino_without_the_ep_names_the_devices_found(models_dir, available):
    """Neither built in (the stock wheel) nor offered by a plugin on a device here (none
    installed, or onnxruntime-ep-openvino on a non-Intel CPU): the error says so and lists the
    devices the runtime does have."""
    with pytest.raises(FaceEdgeError) as err:
        FaceEngine(models=models_dir, providers="openvino")
    assert err.value.error_code == 229012
    message = err.value.error_msg
    assert "OpenVINOExecutionProvider is not in this ONNX Runtime build" in message
    if _runtime_at_least((1, 22)):
        assert "no plugin library offers it on this machine" in message
        assert "the devices the runtime lists: CPUExecutionProvider on CPU" in message
    else:
        assert "plugin execution providers need ONNX Runtime 1.22" in message


def test_a_plugin_library_that_does_not_load_is_named_in_the_error(models_dir, tmp_path):
    """FACEEDGE_ORT_EP_LIBRARIES goes to RegisterExecutionProviderLibrary (slot 301): a file
    that is no plugin is refused by the runtime, and the provider error names it and why."""
    if not _runtime_at_least((1, 22)):
        pytest.skip("plugin execution providers need ONNX Runtime >= 1.22")
    fake = tmp_path / "libonnxruntime_providers_fake_plugin.so"
    fake.write_bytes(b"not a shared library")
    script = textwrap.dedent("""
        import sys, faceedge
        try:
            faceedge.FaceEngine(models=sys.argv[1], providers="openvino")
        except faceedge.FaceEdgeError as exc:
            print(exc.error_code)
            print(exc.error_msg)
    """)
    env = dict(os.environ, FACEEDGE_ORT_EP_LIBRARIES=str(fake))
    proc = subprocess.run([sys.executable, "-c", script, str(models_dir)], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    code, message = proc.stdout.split("\n", 1)
    assert code == "229012"
    assert "plugin libraries that failed to register" in message and str(fake) in message


def test_an_accelerated_build_is_preferred_when_two_share_the_folder(tmp_path):
    """pip can leave the stock wheel's library and onnxruntime-openvino's side by side in
    onnxruntime/capi (faceedge[openvino] installs both): the one the accelerated build's RECORD
    owns comes first, even though its version is lower."""
    site = tmp_path / "site"
    capi = site / "onnxruntime" / "capi"
    capi.mkdir(parents=True)
    (site / "onnxruntime" / "__init__.py").write_text("")
    for version in ("1.32.0", "1.24.1"):
        (capi / f"libonnxruntime.so.{version}").write_bytes(b"")
    for dist, version, lib in (("onnxruntime", "1.32.0", "1.32.0"),
                               ("onnxruntime_openvino", "1.24.1", "1.24.1")):
        info = site / f"{dist}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist.replace('_', '-')}\n"
                                       f"Version: {version}\n")
        (info / "RECORD").write_text(f"onnxruntime/capi/libonnxruntime.so.{lib},,\n")
    script = ("import sys; sys.path.insert(0, sys.argv[1])\n"
              "from faceedge._runtime import find_runtime_libraries\n"
              "print('\\n'.join(find_runtime_libraries()))\n")
    proc = subprocess.run([sys.executable, "-c", script, str(site)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    found = [os.path.basename(p) for p in proc.stdout.split()]
    assert found == ["libonnxruntime.so.1.24.1", "libonnxruntime.so.1.32.0"]
