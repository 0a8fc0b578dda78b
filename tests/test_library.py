"""FaceLibrary: every CRUD call, every limit and error code, persistence, and "a call that raises
changes nothing", on the real models and photos.

Most enrolments pass a face token (Baidu's image_type FACE_TOKEN) of a photo the session engine
has already embedded, so each costs a store transaction, not a model run; the calls that must
see a real image (no face, a broken file, variants of one photo) pass pixels."""
import sqlite3
import threading

import cv2
import numpy as np
import pytest

from faceedge import FaceLibrary
from faceedge.errors import (AlreadyExistsError, FaceEdgeError, InvalidParameterError, LibraryError,
                             NoFaceError, NotFoundError)
from faceedge.library.store import APPLICATION_ID, SCHEMA_VERSION, Store

PEOPLE = {
    "obama": "faces/obama_1.jpg",
    "obama2": "faces/obama_2.jpg",
    "biden": "faces/biden_1.jpg",
    "biden2": "faces/biden_2.jpg",
    "alex": "faces/alex_lacamoire_1.jpg",
    "lin": "faces/lin_manuel_miranda.png",
    "eileen": "faces/eileen_collins_astronaut.png",
}


def code_of(excinfo):
    return excinfo.value.error_code


@pytest.fixture(scope="module")
def tokens(engine, testdata_dir):
    """Face token of each photo's largest face, with its embedding cached in the engine."""
    out = {}
    for name, rel in PEOPLE.items():
        engine.embed(testdata_dir / rel)
        out[name] = engine.detect(testdata_dir / rel).face_list[0].face_token
    return out


@pytest.fixture(scope="module")
def small_face(testdata_dir):
    """A 300x300 crop around Obama's face: quick to detect, for enrolments that need pixels."""
    img = cv2.imread(str(testdata_dir / "faces" / "obama_1.jpg"))
    return np.ascontiguousarray(img[40:480, 270:710][::2, ::2][:300, :300])


def variant(img, i):
    """The same picture with two pixels changed: another image digest, so another face token."""
    out = img.copy()
    out[0, 0, 0], out[0, 1, 0] = i % 256, i // 256
    return out


@pytest.fixture
def lib(engine, tmp_path):
    library = FaceLibrary(tmp_path / "lib.db", engine)
    yield library
    library.close()


def counts(lib):
    info = lib.info()
    return info["groups"], info["users"], info["faces"], info["gallery_faces"]


def add(lib, tokens, name, group="g1", user=None, **kw):
    return lib.add_user(tokens[name], group, user or name, image_type="FACE_TOKEN", **kw)


# ---- enrolment ------------------------------------------------------------------------------

def test_add_user_creates_the_missing_group_and_user(lib, engine, testdata_dir):
    assert lib.get_group_list().group_id_list == []
    result = lib.add_user(testdata_dir / PEOPLE["obama"], "staff", "obama", user_info="Barack")
    d = result.to_dict()
    assert set(d) == {"face_token", "location"} and len(d["face_token"]) == 32
    assert set(d["location"]) == {"left", "top", "width", "height", "rotation"}
    assert d["location"]["width"] > 100
    assert lib.get_group_list().to_dict() == {"group_id_list": ["staff"]}
    assert lib.get_user("obama", "staff").to_dict() == {
        "user_list": [{"user_info": "Barack", "group_id": "staff"}]}
    faces = lib.face_getlist("obama", "staff").to_dict()["face_list"]
    assert [f["face_token"] for f in faces] == [d["face_token"]]
    ctime = faces[0]["ctime"]  # Baidu's "YYYY-MM-DD HH:MM:SS"
    assert len(ctime) == 19 and ctime[4] == "-" and ctime[10] == " " and ctime[13] == ":"
    assert counts(lib) == (1, 1, 1, 1)


def test_append_adds_and_replace_replaces(lib, tokens):
    a = add(lib, tokens, "obama", user="u").face_token
    b = add(lib, tokens, "obama2", user="u", action_type="APPEND").face_token
    assert [f.face_token for f in lib.face_getlist("u", "g1").face_list] == [a, b]
    c = add(lib, tokens, "biden", user="u", action_type="replace").face_token
    assert [f.face_token for f in lib.face_getlist("u", "g1").face_list] == [c]
    assert counts(lib) == (1, 1, 1, 1)


def test_the_same_face_twice_is_223105(lib, tokens):
    add(lib, tokens, "obama", user="u")
    with pytest.raises(AlreadyExistsError) as err:
        add(lib, tokens, "obama", user="u")
    assert code_of(err) == 223105
    add(lib, tokens, "obama", user="v")  # another user may hold the same photo
    assert counts(lib) == (1, 2, 2, 2)


def test_user_info_is_kept_updated_and_limited(lib, tokens):
    add(lib, tokens, "obama", user="u", user_info="first")
    add(lib, tokens, "obama2", user="u")  # None keeps it
    assert lib.get_user("u", "g1").user_list[0].user_info == "first"
    add(lib, tokens, "biden", user="u", user_info="second")
    assert lib.get_user("u", "g1").user_list[0].user_info == "second"
    add(lib, tokens, "alex", user="w", user_info="\u540d" * 85)  # 255 bytes in UTF-8
    for bad in ("x" * 257, "\u540d" * 86, 12):
        with pytest.raises(InvalidParameterError) as err:
            add(lib, tokens, "lin", user="u", user_info=bad)
        assert code_of(err) == 222010
    assert len(lib.face_getlist("u", "g1").face_list) == 3


@pytest.mark.parametrize("bad", ["", "a-b", "a b", "x" * 49, "\u540d\u5b57", 5, b"abc"])
def test_bad_ids_are_222006_and_222007(lib, tokens, bad):
    with pytest.raises(InvalidParameterError) as err:
        lib.add_user(tokens["obama"], bad, "u", image_type="FACE_TOKEN")
    assert code_of(err) == 222006
    with pytest.raises(InvalidParameterError) as err:
        lib.add_user(tokens["obama"], "g", bad, image_type="FACE_TOKEN")
    assert code_of(err) == 222007
    for call in (lambda: lib.get_group_users(bad), lambda: lib.group_add(bad),
                 lambda: lib.delete_user(bad, "u"),
                 lambda: lib.search(tokens["obama"], "g", user_id=bad)):
        with pytest.raises(InvalidParameterError):
            call()
    assert counts(lib) == (0, 0, 0, 0)


def test_ids_of_48_characters_and_missing_ids(lib, tokens):
    gid, uid = "G" * 48, "u_" + "9" * 46
    add(lib, tokens, "obama", group=gid, user=uid)
    assert lib.get_group_users(gid).user_id_list == [uid]
    with pytest.raises(InvalidParameterError) as err:
        lib.add_user(tokens["obama"], None, "u", image_type="FACE_TOKEN")
    assert code_of(err) == 222001


def test_twenty_faces_per_user_then_222210(lib, small_face):
    for i in range(20):
        lib.add_user(variant(small_face, i), "g1", "crowd")
    assert len(lib.face_getlist("crowd", "g1").face_list) == 20
    with pytest.raises(InvalidParameterError) as err:
        lib.add_user(variant(small_face, 20), "g1", "crowd")
    assert code_of(err) == 222210
    assert len(lib.face_getlist("crowd", "g1").face_list) == 20
    # REPLACE is always allowed: it replaces the 20 with one.
    lib.add_user(variant(small_face, 21), "g1", "crowd", action_type="REPLACE")
    assert counts(lib) == (1, 1, 1, 1)


def test_update_user(lib, tokens):
    with pytest.raises(NotFoundError) as err:
        lib.update_user(tokens["obama"], "nogroup", "u", image_type="FACE_TOKEN")
    assert code_of(err) == 223100
    add(lib, tokens, "obama", user="u", user_info="kept")
    add(lib, tokens, "obama2", user="u")
    with pytest.raises(NotFoundError) as err:
        lib.update_user(tokens["biden"], "g1", "nobody", image_type="FACE_TOKEN")
    assert code_of(err) == 223103
    new = lib.update_user(tokens["biden"], "g1", "u", image_type="FACE_TOKEN").face_token
    assert [f.face_token for f in lib.face_getlist("u", "g1").face_list] == [new]
    assert lib.get_user("u", "g1").user_list[0].user_info == "kept"
    # REPLACE registers a missing user (and group), like add_user.
    lib.update_user(tokens["alex"], "g2", "alex", user_info="x", action_type="REPLACE",
                    image_type="FACE_TOKEN")
    assert lib.get_user("alex", "g2").user_list[0].user_info == "x"
    with pytest.raises(InvalidParameterError) as err:
        lib.update_user(tokens["alex"], "g2", "alex", action_type="APPEND", image_type="FACE_TOKEN")
    assert code_of(err) == 229014
    assert counts(lib) == (2, 2, 2, 2)


def test_action_type_must_be_baidus(lib, tokens):
    with pytest.raises(InvalidParameterError) as err:
        add(lib, tokens, "obama", action_type="UPDATE")
    assert code_of(err) == 229014


@pytest.mark.parametrize("name,code", [("quality_control", 222019), ("liveness_control", 222020)])
def test_control_levels_are_validated(lib, tokens, name, code):
    # The levels themselves are exercised in test_quality_controls.py / test_faceverify.py.
    add(lib, tokens, "obama", user="u")
    query = tokens["obama2"]
    for bad in ("MEDIUM", "", None, 1):
        for call in (lambda: add(lib, tokens, "obama2", user="u", **{name: bad}),
                     lambda: lib.search(query, "g1", image_type="FACE_TOKEN", **{name: bad}),
                     lambda: lib.multi_search(query, "g1", image_type="FACE_TOKEN", **{name: bad})):
            with pytest.raises(InvalidParameterError) as err:
                call()
            assert code_of(err) == code
    add(lib, tokens, "obama2", user="u", **{name: "none"})
    assert counts(lib) == (1, 1, 2, 2)


# ---- deleting, copying, listing ----------------------------------------------------------------

def test_face_delete(lib, tokens):
    add(lib, tokens, "obama", user="u")
    add(lib, tokens, "obama2", user="u")
    for args, code in [(("u", "nogroup", tokens["obama"]), 223100),
                       (("nobody", "g1", tokens["obama"]), 223103),
                       (("u", "g1", tokens["biden"]), 223106)]:
        with pytest.raises(NotFoundError) as err:
            lib.face_delete(*args)
        assert code_of(err) == code
    for bad in ("xyz", "g" * 32, 7):
        with pytest.raises(InvalidParameterError) as err:
            lib.face_delete("u", "g1", bad)
        assert code_of(err) == 222025
    assert lib.face_delete("u", "g1", tokens["obama"].upper()) is None
    assert [f.face_token for f in lib.face_getlist("u", "g1").face_list] == [tokens["obama2"]]
    # As in Baidu, deleting a user's last face deletes the user.
    lib.face_delete("u", "g1", tokens["obama2"])
    with pytest.raises(NotFoundError) as err:
        lib.get_user("u", "g1")
    assert code_of(err) == 223103
    assert counts(lib) == (1, 0, 0, 0)


def test_delete_user(lib, tokens):
    add(lib, tokens, "obama", user="u")
    add(lib, tokens, "obama2", user="u")
    add(lib, tokens, "biden", user="v")
    with pytest.raises(NotFoundError) as err:
        lib.delete_user("nogroup", "u")
    assert code_of(err) == 223100
    with pytest.raises(NotFoundError) as err:
        lib.delete_user("g1", "nobody")
    assert code_of(err) == 223103
    assert lib.delete_user("g1", "u") is None
    assert lib.get_group_users("g1").user_id_list == ["v"]
    assert counts(lib) == (1, 1, 1, 1)


def test_groups(lib, tokens):
    assert lib.group_add("empty") is None
    with pytest.raises(AlreadyExistsError) as err:
        lib.group_add("empty")
    assert code_of(err) == 223101
    add(lib, tokens, "obama", group="full", user="u")
    add(lib, tokens, "biden", group="full", user="v")
    assert lib.get_group_list().group_id_list == ["empty", "full"]
    assert lib.get_group_users("empty").user_id_list == []
    lib.group_delete("full")
    with pytest.raises(NotFoundError) as err:
        lib.group_delete("full")
    assert code_of(err) == 223100
    for call in (lambda: lib.get_group_users("full"), lambda: lib.get_user("u", "full"),
                 lambda: lib.face_getlist("u", "full")):
        with pytest.raises(NotFoundError) as err:
            call()
        assert code_of(err) == 223100
    assert counts(lib) == (1, 0, 0, 0)


def test_paging_and_its_limits(lib):
    names = [f"g{i:02d}" for i in range(12)]
    for name in names:
        lib.group_add(name)
    assert lib.get_group_list().group_id_list == names
    assert lib.get_group_list(start=10).group_id_list == names[10:]
    assert lib.get_group_list(start="2", length="3").group_id_list == names[2:5]
    assert lib.get_group_list(length=1000).group_id_list == names
    for kw, code in [({"start": -1}, 222002), ({"start": 10**20}, 222002), ({"start": 1.5}, 222002),
                     ({"length": 0}, 222003), ({"length": 1001}, 222003), ({"length": "x"}, 222003)]:
        with pytest.raises(InvalidParameterError) as err:
            lib.get_group_list(**kw)
        assert code_of(err) == code
        with pytest.raises(InvalidParameterError) as err:
            lib.get_group_users("g00", **kw)
        assert code_of(err) == code


def test_group_users_in_enrolment_order_and_paged(lib, tokens):
    for i, name in enumerate(["obama", "biden", "alex", "lin", "eileen"]):
        add(lib, tokens, name, user=f"user{4 - i}")
    assert lib.get_group_users("g1").to_dict() == {
        "user_id_list": ["user4", "user3", "user2", "user1", "user0"]}
    assert lib.get_group_users("g1", start=1, length=2).user_id_list == ["user3", "user2"]


def test_user_copy(lib, tokens):
    add(lib, tokens, "obama", group="src", user="u", user_info="info")
    add(lib, tokens, "obama2", group="src", user="u")
    lib.group_add("dst")
    for args, cls, code in [(("u", "nogroup", "dst"), NotFoundError, 223100),
                            (("nobody", "src", "dst"), NotFoundError, 223103),
                            (("u", "src", "nogroup"), NotFoundError, 223111)]:
        with pytest.raises(cls) as err:
            lib.user_copy(*args)
        assert code_of(err) == code
    assert lib.user_copy("u", "src", "dst") is None
    with pytest.raises(AlreadyExistsError) as err:
        lib.user_copy("u", "src", "dst")
    assert code_of(err) == 223102
    assert lib.get_user("u", "dst").user_list[0].user_info == "info"
    assert ([f.face_token for f in lib.face_getlist("u", "dst").face_list]
            == [f.face_token for f in lib.face_getlist("u", "src").face_list])
    # The copy is searchable on its own, and deleting the source leaves it.
    lib.delete_user("src", "u")
    hit = lib.search(tokens["obama2"], "dst", image_type="FACE_TOKEN").user_list[0]
    assert (hit.group_id, hit.user_id, hit.user_info) == ("dst", "u", "info")
    assert counts(lib) == (2, 1, 2, 2)


def test_get_user_in_every_group(lib, tokens):
    add(lib, tokens, "obama", group="a", user="u", user_info="in a")
    add(lib, tokens, "obama", group="b", user="u", user_info="in b")
    assert lib.get_user("u", "@ALL").to_dict() == {"user_list": [
        {"user_info": "in a", "group_id": "a"}, {"user_info": "in b", "group_id": "b"}]}
    with pytest.raises(NotFoundError) as err:
        lib.get_user("nobody", "@ALL")
    assert code_of(err) == 223103


# ---- a call that raises changes nothing ---------------------------------------------------

def test_a_failed_enrolment_changes_nothing(lib, tokens, testdata_dir):
    add(lib, tokens, "obama", user="u")
    before = counts(lib)
    with pytest.raises(NoFaceError) as err:
        lib.add_user(testdata_dir / "noface" / "cat_chelsea.png", "newgroup", "cat")
    assert code_of(err) == 222202
    with pytest.raises(FaceEdgeError) as err:
        lib.add_user(b"\xff\xd8\xff\xe0 truncated jpeg", "newgroup", "junk")
    assert code_of(err) == 216201
    with pytest.raises(NotFoundError) as err:
        lib.add_user("0" * 32, "newgroup", "x", image_type="FACE_TOKEN")  # unknown token
    assert code_of(err) == 222209
    assert counts(lib) == before
    assert lib.get_group_list().group_id_list == ["g1"]  # the group was not auto-created


def test_an_error_inside_the_transaction_rolls_everything_back(lib, tokens, monkeypatch):
    from faceedge.library import store

    add(lib, tokens, "obama", user="u")
    before = counts(lib)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store.Txn, "add_face", broken)
    with pytest.raises(RuntimeError):
        add(lib, tokens, "biden", group="brand_new", user="v", user_info="never")
    with pytest.raises(RuntimeError):
        add(lib, tokens, "alex", user="u", action_type="REPLACE")  # would delete u's face first
    monkeypatch.undo()
    assert counts(lib) == before
    assert lib.get_group_list().group_id_list == ["g1"]
    assert [f.face_token for f in lib.face_getlist("u", "g1").face_list] == [tokens["obama"]]
    assert lib.search(tokens["obama2"], "g1", image_type="FACE_TOKEN").user_list[0].user_id == "u"


def test_a_gallery_failure_after_commit_rebuilds_from_the_store(lib, tokens, monkeypatch):
    add(lib, tokens, "obama", user="u")
    gallery = lib._gallery

    class Failing:
        def __getattr__(self, name):
            return getattr(gallery, name)

        def add(self, *args):
            raise MemoryError("simulated")

    monkeypatch.setattr(lib, "_gallery", Failing())
    result = add(lib, tokens, "biden", user="v")  # committed, so it must not raise
    assert lib._gallery is not gallery and not isinstance(lib._gallery, Failing)
    assert counts(lib) == (1, 2, 2, 2)
    hit = lib.search(tokens["biden2"], "g1", image_type="FACE_TOKEN").user_list[0]
    assert hit.user_id == "v" and len(result.face_token) == 32


# ---- persistence, ownership, the file ------------------------------------------------------------

def test_everything_survives_close_and_reopen(engine, tokens, tmp_path):
    path = tmp_path / "lib.db"
    with FaceLibrary(path, engine) as lib:
        add(lib, tokens, "obama", group="a", user="obama", user_info="44")
        add(lib, tokens, "obama2", group="a", user="obama")
        add(lib, tokens, "biden", group="b", user="biden")
        lib.group_add("empty")
        faces = lib.face_getlist("obama", "a").to_dict()
    assert lib.closed
    with pytest.raises(LibraryError) as err:
        lib.get_group_list()
    assert code_of(err) == 229023
    with FaceLibrary(str(path), engine) as again:
        assert again.get_group_list().group_id_list == ["a", "b", "empty"]
        assert again.get_user("obama", "a").user_list[0].user_info == "44"
        assert again.face_getlist("obama", "a").to_dict() == faces
        assert counts(again) == (3, 2, 3, 3)
        hit = again.search(tokens["biden2"], "a,b", image_type="FACE_TOKEN").user_list[0]
        assert (hit.group_id, hit.user_id) == ("b", "biden") and hit.score > 80
        assert again.integrity_check() == "ok"


def test_one_owner_at_a_time(engine, tmp_path, monkeypatch):
    from faceedge.library import store

    monkeypatch.setattr(store, "OPEN_TIMEOUT", 0.2)  # how long a second opener waits
    path = tmp_path / "lib.db"
    with FaceLibrary(path, engine):
        with pytest.raises(LibraryError) as err:
            FaceLibrary(path, engine)
        assert code_of(err) == 229022 and "in use" in err.value.error_msg
    FaceLibrary(path, engine).close()  # free again once closed


def test_a_library_of_another_embedder_is_refused(engine, tmp_path):
    path = tmp_path / "lib.db"
    Store(path, "some_other_embedder", 512).close()
    with pytest.raises(LibraryError) as err:
        FaceLibrary(path, engine)
    assert code_of(err) == 229021
    msg = err.value.error_msg
    assert "some_other_embedder" in msg and engine.embedder_id in msg


def test_files_that_are_not_libraries_are_refused_untouched(engine, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t(x)")
    conn.commit()
    conn.close()
    for path in (junk, foreign):
        with pytest.raises(LibraryError) as err:
            FaceLibrary(path, engine)
        assert code_of(err) == 229022
    conn = sqlite3.connect(foreign)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    conn.close()
    with pytest.raises(LibraryError) as err:
        FaceLibrary(tmp_path / "no" / "such" / "dir" / "lib.db", engine)
    assert code_of(err) == 229022
    with pytest.raises(InvalidParameterError) as err:
        FaceLibrary(tmp_path / "x.db", engine, storage="float16")
    assert code_of(err) == 229014


def test_the_file_remembers_its_storage(engine, tokens, tmp_path):
    path = tmp_path / "kept.db"
    with FaceLibrary(path, engine) as lib:
        assert lib.storage == "float32"  # a new file
        add(lib, tokens, "obama", user="u")
    with FaceLibrary(path, engine, storage="int8") as lib:
        assert lib.storage == "int8"
    with FaceLibrary(path, engine) as lib:  # not given: the last one given
        assert lib.storage == "int8" and lib.info()["storage"] == "int8"
        assert lib.search(tokens["obama"], "g1").user_list[0].user_id == "u"


def test_the_file_is_wal_full_sync_with_foreign_keys(lib, tokens):
    add(lib, tokens, "obama", user="u")
    conn = lib._store._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    assert meta["embedder"] == lib.info()["embedder"] and int(meta["dim"]) == lib.info()["dim"]
    blob, embedder = conn.execute("SELECT embedding, embedder FROM faces").fetchone()
    vec = np.frombuffer(blob, dtype="<f4")
    assert vec.shape == (lib.info()["dim"],) and abs(float(vec @ vec) - 1.0) < 1e-4
    assert embedder == meta["embedder"]


def test_enrolment_from_several_threads(lib, small_face):
    errors = []

    def enrol(t):
        try:
            for i in range(4):
                lib.add_user(variant(small_face, 100 * t + i), f"t{t % 2}", f"user{t}_{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=enrol, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert counts(lib) == (2, 16, 16, 16)
    assert sorted(lib.get_group_users("t0").user_id_list) == sorted(
        f"user{t}_{i}" for t in (0, 2) for i in range(4))
