"""faceedge bench runs and reports every stage; no timing is asserted (speed lives in benchmarks/)."""
import json

from faceedge.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_bench_json_has_every_stage(capsys, models_dir, testdata_dir):
    code, out, _ = run(capsys, "bench", testdata_dir / "faces" / "obama_1.jpg", "--iterations", 2,
                       "--gallery", 1000, "--models", models_dir, "--json")
    result = json.loads(out)
    assert code == 0 and result["faces"] == 1 and result["iterations"] == 2
    assert result["gallery"] == {"size": 1000, "dim": 128, "storage": "float32"}
    assert set(result["median_ms"]) == set(result["per_second"]) == {"detect", "embed", "search",
                                                                      "photo"}
    assert all(v > 0 for v in result["median_ms"].values())
    assert result["simd_level"] and result["detector"] and result["embedder"]


def test_bench_table_and_synthetic_frame(capsys, models_dir):
    code, out, _ = run(capsys, "bench", "--iterations", 2, "--gallery", 1000, "--storage", "int8",
                       "--models", models_dir)
    lines = out.strip().splitlines()
    assert code == 0 and "synthetic frame" in lines[0] and "int8" in lines[0]
    assert lines[1].split() == ["stage", "median_ms", "per_second"]
    assert [line.split()[0] for line in lines[2:]] == ["detect", "embed", "search"]


def test_bench_needs_a_face_in_the_photo(capsys, models_dir, testdata_dir):
    code, _, err = run(capsys, "bench", testdata_dir / "noface" / "rocket.jpg", "--iterations", 2,
                       "--gallery", 1000, "--models", models_dir)
    assert code == 1 and json.loads(err)["error_code"] == 222202
    code, _, err = run(capsys, "bench", "--iterations", 0, "--models", models_dir)
    assert code == 2 and json.loads(err)["error_code"] == 229014
