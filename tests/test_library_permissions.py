"""Biometric files are the owner's only: the library, its -wal and -shm, and the enrolment
journal are created 0600 under the usual umask 022; an existing wider file is warned about
(once) and `faceedge library protect` narrows it."""
import os
import shutil
import stat
import warnings

import pytest

from faceedge.cli import main
from faceedge.library import FaceLibrary
from faceedge.library.permissions import InsecureFileWarning


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_library_wal_shm_and_journal_are_created_owner_only(umask_022, tmp_path, models_dir,
                                                           testdata_dir, engine, capsys):
    (tmp_path / "photos" / "obama").mkdir(parents=True)
    shutil.copy(testdata_dir / "faces" / "obama_1.jpg", tmp_path / "photos" / "obama")
    lib = tmp_path / "lib.db"
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureFileWarning)
        assert main(["enroll", "--library", str(lib), "--group", "staff", "--models",
                     str(models_dir), str(tmp_path / "photos")]) == 0
    capsys.readouterr()
    assert mode(lib) == 0o600
    assert mode(str(lib) + ".enrolled.jsonl") == 0o600
    # A library held open has its WAL: owner-only too (no -shm: in EXCLUSIVE locking mode
    # SQLite keeps the WAL index in memory; one made by another SQLite tool gets the same mode).
    with FaceLibrary(lib, engine) as held:
        held.group_add("visitors")
        assert os.path.exists(str(lib) + "-wal")
        for suffix in ("-wal", "-shm"):
            if os.path.exists(str(lib) + suffix):
                assert mode(str(lib) + suffix) == 0o600, suffix


def test_an_existing_world_readable_library_is_warned_about_once_and_protect_fixes_it(
        umask_022, tmp_path, engine, models_dir, capsys):
    lib = tmp_path / "shared.db"
    with FaceLibrary(lib, engine) as first:
        first.group_add("staff")
    os.chmod(lib, 0o644)
    with pytest.warns(InsecureFileWarning, match="readable by other local users") as record:
        FaceLibrary(lib, engine).close()
    assert str(lib) in str(record[0].message) and "-rw-r--r--" in str(record[0].message)
    assert "faceedge library protect" in str(record[0].message)
    assert mode(lib) == 0o644  # left as it was: the warning says how to change it
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureFileWarning)
        FaceLibrary(lib, engine).close()  # said once per file and process

    assert main(["library", "protect", "--library", str(lib)]) == 0
    assert "now owner-only" in capsys.readouterr().out
    assert mode(lib) == 0o600
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureFileWarning)
        with FaceLibrary(lib, engine) as again:
            assert again.get_group_list().group_id_list == ["staff"]


def test_protect_refuses_a_missing_library(tmp_path, capsys):
    assert main(["library", "protect", "--library", str(tmp_path / "none.db")]) != 0
    assert "229022" in capsys.readouterr().err
