"""The fuzz harnesses (fuzz/, see fuzz/README.md) on a short budget, and each of their findings
as a regression test. The long runs (>= 100,000 inputs per harness) are a documented command,
not CI."""
import os
import re
import sys

import pytest

from faceedge.errors import FaceEdgeError

# Inputs per harness here: about 20 s in all on the project's 2-core machine.
BUDGET = {"body": 3000, "images": 2000, "options": 800, "library": 400}


@pytest.fixture(scope="module")
def fuzz_run(repo_dir):
    os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")
    sys.path.insert(0, str(repo_dir))
    from fuzz.run import run

    yield run
    sys.path.remove(str(repo_dir))


@pytest.mark.parametrize("name", sorted(BUDGET))
def test_a_short_fuzz_run_finds_nothing(fuzz_run, name):
    outcomes, findings = fuzz_run(name, BUDGET[name], seed=16)
    assert not findings, findings[:5]
    # The harness reached both sides: inputs accepted and inputs refused with a code.
    assert any(isinstance(k, str) for k in outcomes), outcomes
    assert any(isinstance(k, int) for k in outcomes), outcomes


def test_replaying_an_index_gives_the_same_input(fuzz_run):
    from fuzz.mutate import mutate_bytes, rng_for

    first = mutate_bytes(rng_for(3, 12345), b"some seed bytes" * 20)
    assert first == mutate_bytes(rng_for(3, 12345), b"some seed bytes" * 20)
    assert first != mutate_bytes(rng_for(3, 12346), b"some seed bytes" * 20)


# ---- findings --------------------------------------------------------------------------------------

def test_finding_a_token_request_with_a_lone_surrogate_is_a_wrong_secret():
    """fuzz body, seed 0, index 279: TokenStore.issue raised UnicodeEncodeError."""
    from faceedge.server.tokens import OAuthError, TokenStore

    store = TokenStore({"key": "secret"})
    with pytest.raises(OAuthError) as err:
        store.issue("client_credentials", "key", "\ud800")
    assert err.value.status == 401


def test_finding_a_library_whose_schema_text_is_not_utf8_is_229022(tmp_path, engine):
    """fuzz library, seed 0, indices 87/124/168: one non-UTF-8 byte in the schema SQL made
    SQLite's error message undecodable, and opening raised UnicodeDecodeError."""
    from faceedge import FaceLibrary

    path = tmp_path / "lib.db"
    with FaceLibrary(path, engine) as lib:
        lib.group_add("staff")
    data = bytearray(path.read_bytes())
    at = re.search(rb"ON users\(user_id\)", bytes(data[:8192])).start()
    data[at + len("ON users(user_i")] = 0xBB
    path.write_bytes(bytes(data))
    with pytest.raises(FaceEdgeError) as err:
        FaceLibrary(path, engine)
    assert err.value.error_code == 229022 and "damaged" in err.value.error_msg


def test_finding_get_user_with_an_array_as_group_id_is_222006(tmp_path, engine):
    """fuzz options, seed 1, index 19628 (and 19 more): get_user(group_id=np.array([1, 2]))
    raised numpy's ValueError from `group_id == "@ALL"` instead of 222006."""
    import numpy as np

    from faceedge import FaceLibrary

    with FaceLibrary(tmp_path / "lib.db", engine) as lib:
        lib.group_add("staff")
        for bad in (np.array([1, 2]), np.array(["@ALL", "x"]), ["@ALL"]):
            with pytest.raises(FaceEdgeError) as err:
                lib.get_user("u1", bad)
            assert err.value.error_code == 222006, bad


@pytest.mark.parametrize("damage, when", [
    ("UPDATE meta SET value = '12I' WHERE key = 'dim'", "open"),          # seed 1, index 65414
    ("UPDATE meta SET value = X'00' WHERE key = 'schema_version'", "open"),  # index 64503
    ("UPDATE faces SET embedding = 5", "open"),                            # index 39673
    ("UPDATE faces SET embedding = 'text'", "open"),                       # index 72183
    ("UPDATE faces SET ctime = 1e300", "face_getlist"),                    # index 14096
    ("UPDATE faces SET ctime = X'0102'", "face_getlist"),                  # index 37663
])
def test_finding_values_of_the_wrong_type_in_a_damaged_library_are_229022(tmp_path, engine,
                                                                          testdata_dir, damage,
                                                                          when):
    """fuzz library, seed 1 (19 findings in 100,000): SQLite's dynamic typing let a damaged
    file hand back text, NULL or bytes where numbers and blobs were written, and int(),
    b"".join and time.localtime raised ValueError / TypeError / OverflowError."""
    import sqlite3

    from faceedge import FaceLibrary

    path = tmp_path / "lib.db"
    with FaceLibrary(path, engine) as lib:
        lib.add_user(str(testdata_dir / "faces" / "obama_1.jpg"), "staff", "obama")
    raw = sqlite3.connect(path)
    with raw:
        raw.execute(damage)
    raw.close()
    with pytest.raises(FaceEdgeError) as err:
        with FaceLibrary(path, engine) as lib:
            assert when == "face_getlist", "opening should have failed"
            lib.face_getlist("obama", "staff")
    assert err.value.error_code == 229022, err.value
