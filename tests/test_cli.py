"""The faceedge command line: tables or --json out, Baidu errors on stderr, exit codes 0 / 1 / 2 / 3."""
import json
import subprocess
import sys

from faceedge.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_models_list_and_verify(capsys, models_dir):
    code, out, _ = run(capsys, "models", "list", "--models", models_dir, "--json")
    rows = json.loads(out)
    assert code == 0 and {r["id"] for r in rows} >= {"yunet_dynamic", "sface_int8bq_ortfix"}
    code, out, _ = run(capsys, "models", "verify", "--models", models_dir)
    assert code == 0 and "yunet_dynamic" in out and "ok" in out


def test_models_verify_missing_is_exit_3(capsys, tmp_path, monkeypatch, without_packaged_models):
    monkeypatch.delenv("FACEEDGE_MODELS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    code, out, err = run(capsys, "models", "verify", "yunet_dynamic", "--models", tmp_path)
    assert code == 3 and "missing" in out
    assert json.loads(err.strip().splitlines()[-1])["error_code"] == 229001


def test_bad_parameter_is_exit_2_with_baidu_error(capsys, testdata_dir):
    code, out, err = run(capsys, "detect", testdata_dir / "faces" / "obama_1.jpg", "--max-face-num", "500")
    assert code == 2 and out == ""
    assert json.loads(err) == {"error_code": 222016, "error_msg": json.loads(err)["error_msg"]}
    assert "500" in json.loads(err)["error_msg"]


def test_missing_model_is_exit_3(capsys, tmp_path, monkeypatch, testdata_dir,
                                 without_packaged_models):
    monkeypatch.delenv("FACEEDGE_MODELS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    code, _, err = run(capsys, "detect", testdata_dir / "faces" / "obama_1.jpg", "--models", tmp_path)
    assert code == 3 and json.loads(err)["error_code"] in (229001, 229010)


def test_stderr_is_quiet_unless_verbose(capsys, testdata_dir, monkeypatch):
    monkeypatch.delenv("FACEEDGE_MODELS", raising=False)
    photo = testdata_dir / "faces" / "obama_1.jpg"
    code, _, err = run(capsys, "detect", photo)  # may prepare SFace, once, and say so
    assert code == 0 and all("preparing" in line for line in err.splitlines())
    code, _, err = run(capsys, "detect", photo)
    assert code == 0 and err == ""
    code, _, err = run(capsys, "detect", photo, "-v")
    lines = err.splitlines()
    assert code == 0 and len(lines) == 2
    assert "detector yunet_dynamic" in lines[0] and "found in: packaged" in lines[0]
    assert "embedder sface_int8bq_ortfix" in lines[1] and "runs " in lines[1]  # the prepared copy


def test_detect_prints_baidu_json(capsys, models_dir, testdata_dir):
    code, out, _ = run(capsys, "detect", testdata_dir / "faces" / "obama_1.jpg", "--models", models_dir,
                       "--json")
    result = json.loads(out)
    assert code == 0 and result["face_num"] == 1 and len(result["face_list"][0]["face_token"]) == 32


def test_detect_prints_a_table_of_faces(capsys, models_dir, testdata_dir):
    photo = testdata_dir / "groups" / "obama_and_biden.jpg"
    code, out, _ = run(capsys, "detect", photo, "--max-face-num", "5", "--face-field", "quality",
                       "--models", models_dir)
    lines = out.strip().splitlines()
    header = lines[0].split()
    assert code == 0 and header[:7] == ["face", "left", "top", "width", "height", "size", "score"]
    assert "blur" in header and len(lines) == 1 + 3  # the three faces of the photo, one row each
    code, out, _ = run(capsys, "detect", photo, "--max-face-num", "5", "--json",
                       "--models", models_dir)
    boxes = [f["location"] for f in json.loads(out)["face_list"]]
    first = dict(zip(header, lines[1].split()))
    assert int(first["width"]) == round(boxes[0]["width"]) and int(first["left"]) == round(boxes[0]["left"])


def test_detect_errors(capsys, models_dir, testdata_dir, tmp_path):
    code, _, err = run(capsys, "detect", testdata_dir / "noface" / "rocket.jpg", "--models", models_dir)
    assert code == 1 and json.loads(err)["error_code"] == 222202
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    code, _, err = run(capsys, "detect", bad, "--models", models_dir)
    assert code == 2 and json.loads(err)["error_code"] == 216201


def test_match_prints_score(capsys, models_dir, testdata_dir):
    faces = testdata_dir / "faces"
    code, out, _ = run(capsys, "match", faces / "obama_1.jpg", faces / "obama_2.jpg", "--models", models_dir,
                       "--json")
    result = json.loads(out)
    assert code == 0 and result["score"] > 80 and len(result["face_list"]) == 2


def test_match_table_gives_the_verdict(capsys, models_dir, testdata_dir):
    faces = testdata_dir / "faces"
    code, out, _ = run(capsys, "match", faces / "obama_1.jpg", faces / "obama_2.jpg", "--models", models_dir)
    assert code == 0 and "same person" in out and float(out.splitlines()[1].split()[0]) > 80
    code, out, _ = run(capsys, "match", faces / "obama_1.jpg", faces / "biden_1.jpg", "--models", models_dir)
    assert code == 0 and "different people" in out and float(out.splitlines()[1].split()[0]) < 80
    code, _, err = run(capsys, "match", faces / "obama_1.jpg", faces / "biden_1.jpg", "--threshold", "101",
                       "--models", models_dir)
    assert code == 2 and json.loads(err)["error_code"] == 222030


def test_info_reports_runtime_and_simd(capsys):
    code, out, _ = run(capsys, "info")
    info = json.loads(out)
    assert code == 0 and info["version"] and info["simd_level"] in info["available_simd_levels"]


def test_python_dash_m(models_dir):
    proc = subprocess.run([sys.executable, "-m", "faceedge", "models", "list", "--json",
                           "--models", str(models_dir)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and json.loads(proc.stdout)


def test_faceverify_and_liveness_control(capsys, models_dir, testdata_dir):
    live = testdata_dir / "liveness"
    code, out, _ = run(capsys, "faceverify", live / "live_T1.jpg", "--models", models_dir, "--json")
    result = json.loads(out)
    assert code == 0 and result["face_liveness"] > result["thresholds"]["frr_1e-3"]
    code, out, _ = run(capsys, "faceverify", live / "live_T1.jpg", "--models", models_dir)
    assert code == 0 and "frr_1e-3" in out and f"face_liveness {result['face_liveness']:.4f}" in out
    code, _, err = run(capsys, "faceverify", live / "live_T1.jpg", live / "live_T1.jpg",
                       "--models", models_dir)
    assert code == 2 and json.loads(err)["error_code"] == 222208
    code, _, err = run(capsys, "detect", live / "spoof_F2_screen.jpg", "--liveness-control",
                       "NORMAL", "--models", models_dir)
    assert code == 1 and json.loads(err)["error_code"] == 223120
