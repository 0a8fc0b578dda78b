"""faceedge.models: the manifest against the real files, resolver order, missing/corrupt models."""
import hashlib
import os
import shutil
from pathlib import Path

import pytest

from faceedge import models
from faceedge.errors import InvalidParameterError, ModelError

SMALL = "yunet_dynamic"  # 238 KB: cheap to copy around


@pytest.fixture(scope="module")
def manifest():
    return models.load_manifest()


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No FACEEDGE_MODELS, and a user cache inside tmp_path."""
    monkeypatch.delenv("FACEEDGE_MODELS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path


def place(models_dir, entry, root: Path, flat=False) -> Path:
    target = root / (Path(entry.file).name if flat else entry.file)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(models.find_model(entry.id, models_dir), target)
    return target


# ---- the manifest --------------------------------------------------------------------------------

def test_manifest_matches_the_real_files(manifest, models_dir):
    for entry in manifest.models.values():
        path = models_dir / entry.file
        if not path.is_file():  # the default pack lives only where faceedge packages it
            path = models.packaged_models_dir() / entry.file
        assert path.is_file(), entry.id
        assert path.stat().st_size == entry.bytes, entry.id
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry.sha256, entry.id


def test_every_model_file_is_in_the_manifest(manifest, models_dir):
    listed = {entry.file for entry in manifest.models.values()}
    packaged = models.packaged_models_dir()
    on_disk = [str(p.relative_to(folder)) for folder in (models_dir, packaged)
               for p in folder.glob("*/*.onnx")]
    assert len(on_disk) == len(set(on_disk))  # a test copy never shadows a packaged file
    assert set(on_disk) == listed


def test_manifest_fields(manifest, models_dir):
    for entry in manifest.models.values():
        raw = entry.raw
        assert entry.role in models.ROLES
        assert raw["input"]["name"] and raw["input"]["shape"] and raw["output"]["names"]
        assert "@" in entry.source or entry.source.startswith("derived from")
        assert (models_dir / raw["licence_file"]).is_file(), entry.id
    assert not manifest.get("sface_int8bq").runnable
    assert not manifest.get("yunet_640_int8bq").runnable


def test_packs(manifest):
    assert dict(manifest.pack("default")) == {"detector": "yunet_dynamic", "embedder": "sface_int8bq_ortfix",
                                              "liveness": "minifasnet_pair"}
    assert dict(manifest.pack("fast")) == {"detector": "yunet_dynamic", "embedder": "mobilefacenet_foamliu",
                                           "liveness": "minifasnet_pair"}
    assert dict(manifest.pack("embedded")) == {"detector": "yunet_640_int8bq", "embedder": "sface_int8bq",
                                               "liveness": "minifasnet_pair"}
    with pytest.raises(InvalidParameterError):
        manifest.pack("nope")


def test_every_usable_embedder_is_calibrated_and_sface_files_share_a_space(manifest):
    for entry in manifest.models.values():
        if entry.role == "embedder" and (entry.runnable or entry.prepare):
            assert 0 < entry.score80_cosine < 1, entry.id
    sface = manifest.get("sface_int8bq")
    assert sface.embedding_space == manifest.get("sface_int8bq_ortfix").embedding_space
    assert sface.score80_cosine == manifest.get("sface_int8bq_ortfix").score80_cosine
    assert sface.embedding_space != manifest.get("mobilefacenet_foamliu").embedding_space


def test_download_sources(manifest):
    """Each file can be pulled from upstream, is derived from one that can, or was converted for
    faceedge (no upstream ONNX: import only)."""
    for entry in manifest.models.values():
        if entry.derived_from:
            assert manifest.get(entry.derived_from).downloads and not entry.downloads, entry.id
        elif not entry.downloads:
            assert "converted" in entry.source, entry.id
        for source in entry.downloads:
            assert source["url"].startswith("https://"), entry.id
            if "member" in source:  # an archive: its own hash is checked too
                assert len(source["sha256"]) == 64 and source["bytes"] > 0


def test_runnable_detectors_and_embedders_name_a_core_family(manifest):
    families = {"detector": {"yunet_detector"},
                "embedder": {"sface_embedder", "mobilefacenet_embedder"}}
    for entry in manifest.models.values():
        if entry.role in families:
            assert entry.family in families[entry.role], entry.id


def test_embedder_calibration(manifest):
    sface = manifest.get("sface_int8bq_ortfix")
    # Issue 12: score 80 sits at the FAR 1e-4 cosine measured on 24,307 impostor pairs.
    assert sface.score80_cosine == pytest.approx(0.443)
    assert sface.calibration["calibrated"] and sface.calibration["far"] == 1e-4
    measured = sface.calibration["measured"]
    assert measured["impostor_pairs"] == 24307 and measured["genuine_pairs"] == 669
    assert {p["far"]: p["cosine"] for p in measured["points"]}[1e-4] == sface.score80_cosine
    # The upstream twin shares the network, so the same anchor.
    assert manifest.get("sface_int8bq").score80_cosine == sface.score80_cosine
    mfn = manifest.get("mobilefacenet_foamliu")
    assert 0.181 < mfn.score80_cosine < 0.547 and mfn.calibration["calibrated"] is False
    with pytest.raises(ModelError):
        manifest.get("yunet_dynamic").score80_cosine  # noqa: B018


def test_liveness_pair(manifest):
    pair = manifest.model_set("minifasnet_pair")
    assert pair.role == "liveness"
    assert [(e.file, e.family, e.crop_scale) for e in pair.members] == [
        ("liveness/minifasnet_v2_2.7_80x80.onnx", "minifasnet_liveness", 2.7),
        ("liveness/minifasnet_v1se_4.0_80x80.onnx", "minifasnet_liveness", 4.0)]
    cal = pair.calibration
    points = [cal[k] for k in ("frr_1e-4", "frr_1e-3", "frr_1e-2")]
    gate = [cal["gate"][k] for k in ("frr_1e-4", "frr_1e-3", "frr_1e-2")]
    # most permissive first; GATE never more permissive than COMMON; all provisional
    assert points == sorted(points) and gate == sorted(gate) and all(0 < p < 1 for p in points + gate)
    assert all(g >= p for g, p in zip(gate, points)) and cal["provisional"]
    # a single liveness model is a set of one
    assert manifest.model_set("minifasnet_v2_2.7").members == (manifest.get("minifasnet_v2_2.7"),)


def test_unknown_model_id(manifest):
    with pytest.raises(InvalidParameterError) as info:
        manifest.get("no_such_model")
    assert info.value.error_code == 229014 and "yunet_dynamic" in info.value.error_msg


# ---- resolver order ------------------------------------------------------------------------------

def test_resolver_order_argument_env_cache(manifest, models_dir, clean_env, monkeypatch):
    entry = manifest.get(SMALL)
    explicit = place(models_dir, entry, clean_env / "explicit")
    env = place(models_dir, entry, clean_env / "env")
    cache = place(models_dir, entry, clean_env / "xdg" / "faceedge" / "models")
    monkeypatch.setenv("FACEEDGE_MODELS", str(clean_env / "env"))

    assert models.find_model(SMALL, clean_env / "explicit") == explicit
    assert models.find_model(SMALL) == env
    explicit.unlink()
    assert models.find_model(SMALL, clean_env / "explicit") == env
    env.unlink()
    assert models.find_model(SMALL, clean_env / "explicit") == cache


def test_home_cache_when_xdg_is_unset(manifest, models_dir, monkeypatch, tmp_path):
    monkeypatch.delenv("FACEEDGE_MODELS", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    entry = manifest.get(SMALL)
    cached = place(models_dir, entry, tmp_path / ".cache" / "faceedge" / "models")
    assert models.find_model(SMALL) == cached


def test_flat_layout_file_argument_and_path_lists(manifest, models_dir, clean_env, monkeypatch):
    entry = manifest.get(SMALL)
    flat = place(models_dir, entry, clean_env / "flat", flat=True)
    assert models.find_model(SMALL, clean_env / "flat") == flat
    assert models.find_model(SMALL, flat) == flat  # the file itself
    assert models.find_model(SMALL, [clean_env / "empty", str(clean_env / "flat")]) == flat
    monkeypatch.setenv("FACEEDGE_MODELS", os.pathsep.join([str(clean_env / "empty"), str(clean_env / "flat")]))
    assert models.find_model(SMALL) == flat


def test_shared_models_dir_resolves_every_model(manifest, models_dir, clean_env):
    for model_id in manifest.models:
        assert models.find_model(model_id, models_dir).is_file()


# ---- missing and corrupt -------------------------------------------------------------------------

def test_missing_model_names_file_hash_and_places(manifest, clean_env, monkeypatch,
                                                  without_packaged_models):
    monkeypatch.setenv("FACEEDGE_MODELS", str(clean_env / "env"))
    entry = manifest.get(SMALL)
    with pytest.raises(ModelError) as info:
        models.find_model(SMALL, clean_env / "explicit")
    err = info.value
    assert err.error_code == 229001 and isinstance(err, OSError)
    for needle in (entry.file, entry.sha256, str(clean_env / "explicit"), str(clean_env / "env"),
                   str(clean_env / "xdg" / "faceedge" / "models")):
        assert needle in err.error_msg


def test_corrupt_copy_is_229002_and_does_not_fall_through(manifest, models_dir, clean_env, monkeypatch):
    entry = manifest.get(SMALL)
    bad = place(models_dir, entry, clean_env / "explicit")
    data = bytearray(bad.read_bytes())
    data[1000] ^= 0xFF
    bad.write_bytes(bytes(data))
    actual = hashlib.sha256(bytes(data)).hexdigest()
    place(models_dir, entry, clean_env / "env")  # a good copy later in the order is not used
    monkeypatch.setenv("FACEEDGE_MODELS", str(clean_env / "env"))
    with pytest.raises(ModelError) as info:
        models.find_model(SMALL, clean_env / "explicit")
    err = info.value
    assert err.error_code == 229002
    assert entry.sha256 in err.error_msg and actual in err.error_msg and str(bad) in err.error_msg


def test_truncated_copy_is_229002(manifest, models_dir, clean_env):
    entry = manifest.get(SMALL)
    bad = place(models_dir, entry, clean_env / "explicit")
    bad.write_bytes(bad.read_bytes()[:-10])
    with pytest.raises(ModelError) as info:
        models.find_model(SMALL, clean_env / "explicit")
    assert info.value.error_code == 229002 and entry.sha256 in info.value.error_msg


def test_verification_is_cached_per_path_mtime_size(manifest, models_dir, clean_env, monkeypatch):
    entry = manifest.get(SMALL)
    path = place(models_dir, entry, clean_env / "explicit")
    calls = []
    real = models.sha256_file
    monkeypatch.setattr(models, "sha256_file", lambda p: calls.append(p) or real(p))
    for _ in range(3):
        models.find_model(SMALL, clean_env / "explicit")
    assert len(calls) == 1
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))  # touched: hash again
    models.find_model(SMALL, clean_env / "explicit")
    assert len(calls) == 2


# ---- list / verify -------------------------------------------------------------------------------

def test_list_and_verify(manifest, models_dir, clean_env):
    rows = models.list_models(models_dir)
    assert [r["id"] for r in rows] == list(manifest.models)
    assert all(r["status"] == "found" and r["path"] for r in rows)
    assert all(r["status"] == "ok" for r in models.verify_models(models=models_dir))

    entry = manifest.get(SMALL)
    bad = place(models_dir, entry, clean_env / "some")
    bad.write_bytes(b"\0" * entry.bytes)  # right size, wrong content
    rows = {r["id"]: r for r in models.verify_models(models=clean_env / "some")}
    assert rows[SMALL]["status"] == "corrupt" and rows[SMALL]["expected_sha256"] == entry.sha256
    assert rows["mobilefacenet_foamliu"]["status"] == "missing"
    assert rows["mobilefacenet_foamliu"]["path"] is None
    only = models.verify_models([SMALL], models=clean_env / "some")
    assert [r["id"] for r in only] == [SMALL]


# ---- the packaged default pack ------------------------------------------------------------------

def test_packaged_files_are_searched_after_the_cache(manifest, clean_env):
    folder = models.packaged_models_dir()
    labels = [label for label, _ in models.search_dirs()]
    assert labels == ["user cache", "packaged"]
    for model_id in ("yunet_dynamic", "sface_int8bq_ortfix", "minifasnet_v2_2.7"):
        where, path = models.locate_model(model_id)
        assert where == "packaged" and path == folder / manifest.get(model_id).file
    rows = {r["id"]: r for r in models.list_models()}
    assert rows["sface_int8bq_ortfix"]["found_in"] == "packaged"
    assert rows["mobilefacenet_foamliu"]["status"] == "missing"  # not in the wheel


def test_a_copy_in_the_cache_wins_over_the_package(manifest, models_dir, clean_env):
    entry = manifest.get("yunet_dynamic")
    cached = place(models_dir, entry, clean_env / "xdg" / "faceedge" / "models")
    assert models.locate_model(entry.id) == ("user cache", cached)
