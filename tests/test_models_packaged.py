"""The default pack ships with faceedge: a fresh process with no models directory, no
$FACEEDGE_MODELS and an empty cache finds YuNet, SFace and the MiniFASNet pair among the packaged
files, prepares SFace once (saying so once), and detects, matches and checks liveness correctly."""
import json
import os
import subprocess
import sys

import pytest

from faceedge import FaceEngine, FaceLibrary
from faceedge.errors import LibraryError
from faceedge.models import load_manifest, packaged_models_dir

SCRIPT = r"""
import json, sys
import faceedge
engine = faceedge.FaceEngine()
data = sys.argv[1]
faces = data + "/faces/"
same = [engine.match(faces + a, faces + b).score
        for a, b in (("obama_1.jpg", "obama_2.jpg"), ("biden_1.jpg", "biden_2.jpg"))]
different = [engine.match(faces + a, faces + b).score
             for a, b in (("obama_1.jpg", "biden_2.jpg"), ("alex_lacamoire_1.jpg", "lin_manuel_miranda.png"))]
live = engine.faceverify([data + "/liveness/live_T1.jpg"]).face_liveness
screen = engine.faceverify([data + "/liveness/spoof_F2_screen.jpg"]).face_liveness
info = engine.info()["models"]
print(json.dumps({"detector": info["detector"], "embedder": info["embedder"],
                  "liveness": info["liveness"], "same": same, "different": different,
                  "live": live, "screen": screen}))
"""


def _fresh_env(tmp_path):
    env = dict(os.environ)
    env.pop("FACEEDGE_MODELS", None)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["HOME"] = str(tmp_path / "home")
    return env


def _run(args, env, cwd):
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_every_default_pack_file_is_packaged_with_its_licence():
    manifest = load_manifest()
    folder = packaged_models_dir()
    assert folder is not None
    pack = manifest.pack("default")
    entries = [manifest.get(pack["detector"]), manifest.get(pack["embedder"]),
               *manifest.model_set(pack["liveness"]).members,
               manifest.get("openseeface_lm0")]  # the action liveness of streams
    for entry in entries:
        path = folder / entry.file
        assert path.is_file() and path.stat().st_size == entry.bytes, entry.id
        assert (folder / entry.raw["licence_file"]).is_file(), entry.id


def test_a_fresh_process_uses_the_packaged_default_pack(tmp_path, testdata_dir):
    env = _fresh_env(tmp_path)
    first = _run(["-c", SCRIPT, str(testdata_dir)], env, tmp_path)
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert out["detector"]["id"] == "yunet_dynamic"
    assert out["embedder"]["id"] == "sface_int8bq_ortfix"
    for model in (out["detector"], out["embedder"]):
        assert model["found_in"] == "packaged"
    assert min(out["same"]) > 80 > max(out["different"])
    assert out["live"] > 0.9 > 0.1 > out["screen"]
    # The one-time preparation of SFace is the only thing said, and only the first time.
    assert first.stderr.count("preparing") == 1, first.stderr
    assert [line for line in first.stderr.splitlines() if "preparing" not in line] == []

    second = _run(["-c", SCRIPT, str(testdata_dir)], env, tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stderr == ""
    assert json.loads(second.stdout)["same"] == out["same"]


def test_cli_detects_the_docs_example_quietly(tmp_path, repo_dir):
    photo = repo_dir / "docs" / "examples" / "eileen_collins_astronaut.png"
    env = _fresh_env(tmp_path)
    first = _run(["-m", "faceedge", "detect", str(photo), "--json"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["face_num"] == 1
    again = _run(["-m", "faceedge", "detect", str(photo), "--json"], env, tmp_path)
    assert again.returncode == 0 and again.stderr == ""


def test_a_models_dir_is_searched_before_the_packaged_files(tmp_path, monkeypatch):
    monkeypatch.delenv("FACEEDGE_MODELS", raising=False)
    # A directory without the default pack: the packaged files are found after it.
    engine = FaceEngine(models=tmp_path)
    assert engine.info()["models"]["detector"]["found_in"] == "packaged"
    # A damaged copy found first is reported, never skipped for the packaged one.
    entry = load_manifest().get("yunet_dynamic")
    bad = tmp_path / entry.file
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"\0" * entry.bytes)
    with pytest.raises(Exception) as err:
        FaceEngine(models=tmp_path)
    assert getattr(err.value, "error_code", None) == 229002


def test_a_library_enrolled_with_ortfix_opens_with_the_upstream_sface(tmp_path, models_dir,
                                                                      testdata_dir, monkeypatch):
    monkeypatch.delenv("FACEEDGE_MODELS", raising=False)
    faces = testdata_dir / "faces"
    path = tmp_path / "gate.db"
    with FaceLibrary(path, FaceEngine(models=models_dir)) as lib:  # sface_int8bq_ortfix
        lib.add_user(faces / "obama_1.jpg", "staff", "obama")
        lib.add_user(faces / "biden_1.jpg", "staff", "biden")
    embedded = FaceEngine(models=models_dir, pack="embedded")  # the upstream int8bq files
    assert embedded.embedder_id == "sface_int8bq"
    with FaceLibrary(path, embedded) as lib:
        hit = lib.search(faces / "obama_2.jpg", "staff").user_list[0]
        assert hit.user_id == "obama" and hit.score > 80
    with pytest.raises(LibraryError) as err:  # another network is still refused
        FaceLibrary(path, FaceEngine(models=models_dir, pack="fast"))
    assert err.value.error_code == 229021
