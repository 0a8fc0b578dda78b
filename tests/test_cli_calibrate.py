"""``faceedge calibrate faces|liveness|detection DIR``: the file, the table, --json, the DET plot,
and ``--calibration`` on the other commands (the same tiny layouts as test_calibration.py)."""
import json
import shutil
import sys

import pytest

from faceedge.cli import build_parser, main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def layouts(testdata_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_cal")
    people = {"obama": ["obama_1.jpg", "obama_2.jpg"], "biden": ["biden_1.jpg", "biden_2.jpg"],
              "lin": ["lin_manuel_miranda.png"]}
    for person, files in people.items():
        (root / "faces" / person).mkdir(parents=True)
        for f in files:
            shutil.copy(testdata_dir / "faces" / f, root / "faces" / person)
    for kind, files in (("live", ["live_T1.jpg"]),
                        ("spoof", ["spoof_F1_print.jpg", "spoof_F2_screen.jpg"])):
        (root / "liveness" / kind).mkdir(parents=True)
        for f in files:
            shutil.copy(testdata_dir / "liveness" / f, root / "liveness" / kind)
    (root / "detection").mkdir()
    for f in ("faces/obama_1.jpg", "faces/biden_2.jpg"):
        shutil.copy(testdata_dir / f, root / "detection")
    return root


@pytest.mark.parametrize("kind,header", [("faces", "FAR target"), ("liveness", "APCER"),
                                         ("detection", "recall")])
def test_each_mode_writes_the_file_table_and_plot(capsys, models_dir, layouts, tmp_path, kind,
                                                  header):
    pytest.importorskip("matplotlib")
    out_file, png = tmp_path / f"{kind}.json", tmp_path / f"{kind}.png"
    code, out, err = run(capsys, "calibrate", kind, layouts / kind, "--models", models_dir,
                         "--out", out_file, "--plot", png)
    assert code == 0 and header in out and "refused:" in out, err
    assert f"wrote {out_file}" in err
    raw = json.loads(out_file.read_text())
    assert raw["kind"] == kind and raw["refused"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    code, out, _ = run(capsys, "calibrate", kind, layouts / kind, "--models", models_dir,
                       "--out", out_file, "--json")
    assert code == 0 and json.loads(out)["id"] == raw["id"]  # same data, same id


def test_faces_json_refuses_1e4_and_match_uses_the_file(capsys, models_dir, layouts, tmp_path,
                                                        testdata_dir):
    out_file = tmp_path / "faces.json"
    code, out, _ = run(capsys, "calibrate", "faces", layouts / "faces", "--models", models_dir,
                       "--out", out_file, "--json")
    raw = json.loads(out)
    assert code == 0 and raw["counts"] == {"genuine_pairs": 2, "impostor_pairs": 8}
    assert raw["points"]["0.0001"]["supported"] is False
    with pytest.warns(UserWarning, match="stays at"):
        code, out, _ = run(capsys, "match", testdata_dir / "faces/obama_1.jpg",
                           testdata_dir / "faces/obama_2.jpg", "--models", models_dir,
                           "--calibration", out_file, "--json")
    # 8 pairs cannot lower score 80 below the measured anchor: the file is reported, 0.443 stays.
    assert code == 0 and json.loads(out)["calibration"]["score80_cosine"] == 0.443
    code, out, _ = run(capsys, "info", "--calibration", out_file)
    info = json.loads(out)
    assert info["score_scale"]["score80_cosine"] == 0.443
    assert info["calibration_files"][0]["id"] == raw["id"]


def test_info_says_what_scores_mean(capsys):
    code, out, _ = run(capsys, "info")
    scale = json.loads(out)["score_scale"]
    assert code == 0 and scale["score80_cosine"] == 0.443 and scale["calibrated"] is True
    assert [s["score"] for s in scale["scores"]] == [60, 70, 80, 90]
    code, out, _ = run(capsys, "info", "--pack", "fast")
    assert json.loads(out)["score_scale"]["calibrated"] is False


def test_another_embedder_is_exit_3_with_229030(capsys, models_dir, layouts, tmp_path,
                                                testdata_dir):
    out_file = tmp_path / "faces.json"
    assert run(capsys, "calibrate", "faces", layouts / "faces", "--models", models_dir,
               "--out", out_file)[0] == 0
    code, _, err = run(capsys, "match", testdata_dir / "faces/obama_1.jpg",
                       testdata_dir / "faces/obama_2.jpg", "--models", models_dir,
                       "--pack", "fast", "--calibration", out_file)
    assert code == 3 and json.loads(err)["error_code"] == 229030


def test_plot_without_matplotlib_is_a_clear_error(capsys, models_dir, layouts, tmp_path,
                                                  monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    code, _, err = run(capsys, "calibrate", "faces", layouts / "faces", "--models", models_dir,
                       "--out", tmp_path / "f.json", "--plot", tmp_path / "f.png")
    assert code == 2 and json.loads(err)["error_code"] == 229014 and "[plot]" in err
    assert not (tmp_path / "f.json").exists()  # refused before the long run


def test_serve_and_library_commands_take_calibration():
    args = build_parser().parse_args(["serve", "--library", "x.db", "--calibration", "a.json",
                                      "--det-threshold", "0.7"])
    assert args.calibration == ["a.json"] and args.det_threshold == 0.7
    args = build_parser().parse_args(["search", "p.jpg", "--library", "x.db", "--group", "g",
                                      "--calibration", "a.json"])
    assert args.calibration == ["a.json"]
