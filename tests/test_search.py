"""FaceLibrary.search (Baidu 1:N): enrol one photo per person, identify their other photos; a
stranger is 222207; the user_id, group and threshold filters; search while another thread
enrols."""
import threading

import cv2
import numpy as np
import pytest

from faceedge import FaceLibrary, cosine_from_score, score_from_cosine
from faceedge.errors import InvalidParameterError, NotFoundError

ENROL = {  # user_id -> the one photo enrolled
    "obama": "faces/obama_1.jpg",
    "biden": "faces/biden_1.jpg",
    "alex": "faces/alex_lacamoire_1.jpg",
    "lin": "faces/lin_manuel_miranda.png",
    "eileen": "faces/eileen_collins_astronaut.png",
}
OTHER_PHOTOS = [("faces/obama_2.jpg", "obama"), ("faces/biden_2.jpg", "biden"),
                ("faces/alex_lacamoire_2.png", "alex")]
STRANGER = "liveness/live_T1.jpg"  # a young woman who is none of the enrolled people


def code_of(excinfo):
    return excinfo.value.error_code


@pytest.fixture(scope="module")
def lib(engine, testdata_dir, tmp_path_factory):
    library = FaceLibrary(tmp_path_factory.mktemp("search") / "lib.db", engine)
    for user, rel in ENROL.items():
        library.add_user(testdata_dir / rel, "people", user, user_info=f"info of {user}")
    library.add_user(testdata_dir / "faces/biden_2.jpg", "other", "biden_again")
    yield library
    library.close()


@pytest.fixture(scope="module")
def token(engine, testdata_dir):
    """Face token (embedding cached in the engine) of a photo."""
    cache = {}

    def get(rel):
        if rel not in cache:
            engine.embed(testdata_dir / rel)
            cache[rel] = engine.detect(testdata_dir / rel).face_list[0].face_token
        return cache[rel]
    return get


@pytest.mark.parametrize("photo,user", OTHER_PHOTOS)
def test_other_photos_are_identified(lib, testdata_dir, photo, user):
    result = lib.search(testdata_dir / photo, "people", max_user_num=5, match_threshold=0)
    first = result.user_list[0]
    assert (first.group_id, first.user_id, first.user_info) == ("people", user, f"info of {user}")
    assert first.score > 80
    assert all(u.score < 70 for u in result.user_list[1:])  # everyone else is far below
    scores = [u.score for u in result.user_list]
    assert scores == sorted(scores, reverse=True) and len(scores) == 5
    assert abs(first.score - score_from_cosine(first.cosine, lib._threshold)) < 1e-9


def test_default_search_returns_the_one_user_and_baidus_shape(lib, testdata_dir):
    result = lib.search(testdata_dir / "faces/obama_2.jpg", "people")
    d = result.to_dict()
    # Baidu's keys, plus faceedge's "calibration": which score scale made the scores.
    assert set(d) == {"face_token", "user_list", "calibration"} and len(d["face_token"]) == 32
    assert d["calibration"]["id"] == "manifest:sface_int8bq_ortfix"
    assert d["calibration"]["calibrated"] is True and d["calibration"]["score80_cosine"] == 0.443
    assert len(d["user_list"]) == 1
    assert set(d["user_list"][0]) == {"group_id", "user_id", "user_info", "score"}
    assert d["user_list"][0]["user_id"] == "obama"


def test_a_stranger_is_222207(lib, testdata_dir):
    with pytest.raises(NotFoundError) as err:
        lib.search(testdata_dir / STRANGER, "people,other")
    assert code_of(err) == 222207
    # ... though with no threshold everyone is someone's nearest.
    assert len(lib.search(testdata_dir / STRANGER, "people", match_threshold=0,
                          max_user_num=50).user_list) == 5


def test_the_threshold_is_a_score_bound(lib, token):
    t = token("faces/obama_2.jpg")
    best = lib.search(t, "people", image_type="FACE_TOKEN").user_list[0]
    at = lib.search(t, "people", match_threshold=best.score, image_type="FACE_TOKEN")
    assert at.user_list[0].user_id == "obama"
    with pytest.raises(NotFoundError) as err:
        lib.search(t, "people", match_threshold=min(100, best.score + 0.01),
                   image_type="FACE_TOKEN")
    assert code_of(err) == 222207
    some = lib.search(t, "people", match_threshold=30, max_user_num=50, image_type="FACE_TOKEN")
    assert all(u.score >= 30 for u in some.user_list) and 1 <= len(some.user_list) < 5
    for bad in (-1, 100.5, "high", None, True, float("nan")):
        with pytest.raises(InvalidParameterError) as err:
            lib.search(t, "people", match_threshold=bad, image_type="FACE_TOKEN")
        assert code_of(err) == 222030


def test_score_and_cosine_thresholds_are_inverse():
    for t in (0.363, 0.5):
        for s in (0.5, 30, 79.9, 80, 80.1, 95, 100):
            c = cosine_from_score(s, t)
            assert abs(score_from_cosine(c, t) - s) < 1e-9
    assert cosine_from_score(0, 0.363) == -1.0


def test_max_user_num(lib, token):
    t = token("faces/biden_2.jpg")
    for n in (1, 3, 50):
        users = lib.search(t, "people,other", match_threshold=0, max_user_num=n,
                           image_type="FACE_TOKEN").user_list
        assert len(users) == min(n, 6)
        assert len({(u.group_id, u.user_id) for u in users}) == len(users)
    for bad in (0, 51, "2x", 1.5):
        with pytest.raises(InvalidParameterError) as err:
            lib.search(t, "people", max_user_num=bad, image_type="FACE_TOKEN")
        assert code_of(err) == 222021


def test_user_id_compares_only_that_user(lib, token):
    t = token("faces/obama_2.jpg")
    only = lib.search(t, "people", user_id="biden", match_threshold=0, max_user_num=5,
                      image_type="FACE_TOKEN")
    assert [u.user_id for u in only.user_list] == ["biden"]
    with pytest.raises(NotFoundError) as err:
        lib.search(t, "people", user_id="biden", image_type="FACE_TOKEN")
    assert code_of(err) == 222207
    assert lib.search(t, "people", user_id="obama", image_type="FACE_TOKEN").user_list[0].score > 80
    with pytest.raises(NotFoundError) as err:
        lib.search(t, "people", user_id="nobody", image_type="FACE_TOKEN")
    assert code_of(err) == 223103
    with pytest.raises(NotFoundError) as err:  # biden_again is in "other", not in "people"
        lib.search(t, "people", user_id="biden_again", image_type="FACE_TOKEN")
    assert code_of(err) == 223103


def test_groups_filter_the_search(lib, token):
    t = token("faces/biden_1.jpg")
    both = lib.search(t, ["people", "other"], max_user_num=2, image_type="FACE_TOKEN").user_list
    assert {(u.group_id, u.user_id) for u in both} == {("people", "biden"),
                                                        ("other", "biden_again")}
    assert [u.group_id for u in lib.search(t, "other", max_user_num=5,
                                           image_type="FACE_TOKEN").user_list] == ["other"]
    with pytest.raises(NotFoundError) as err:
        lib.search(token("faces/obama_2.jpg"), "other", image_type="FACE_TOKEN")
    assert code_of(err) == 222207
    for groups, code in [("people,nogroup", 223100), ([f"g{i}" for i in range(11)], 223104),
                         ("", 222005), ("people,", 222005), ("a b", 222005),
                         (["people", 3], 222005), (5, 222005)]:
        with pytest.raises((NotFoundError, InvalidParameterError)) as err:
            lib.search(t, groups, image_type="FACE_TOKEN")
        assert code_of(err) == code, groups


def test_searching_by_pixels_token_or_array_agrees(lib, testdata_dir, token):
    path = testdata_dir / "faces/alex_lacamoire_2.png"
    by_path = lib.search(path, "people").to_dict()
    assert lib.search(token("faces/alex_lacamoire_2.png"), "people",
                      image_type="FACE_TOKEN").to_dict() == by_path
    assert lib.search(cv2.imread(str(path), cv2.IMREAD_UNCHANGED), "people").to_dict() == by_path


def test_int8_storage_finds_the_same_people(engine, testdata_dir, token, tmp_path):
    with FaceLibrary(tmp_path / "int8.db", engine, storage="int8") as lib8:
        assert lib8.storage == "int8"
        for user, rel in ENROL.items():
            lib8.add_user(token(rel), "people", user, image_type="FACE_TOKEN")
        for photo, user in OTHER_PHOTOS:
            hit = lib8.search(token(photo), "people", image_type="FACE_TOKEN").user_list[0]
            assert hit.user_id == user and hit.score > 80


def quantized_scores(p, x):
    """What an int8 scan alone ranks by: the gallery's per-vector symmetric quantisation
    (scale = max|v| / 127), modelled in numpy."""
    def q8(v):
        scale = np.abs(v).max(axis=1, keepdims=True) / 127
        return np.round(v / scale).astype(np.int64), scale
    (qi, qs), (xi, xs) = q8(p), q8(x)
    return (qi @ xi.T) * qs * xs.T


def real_embeddings(engine, testdata_dir):
    """SFace embeddings of real faces: every face of the test photos and of their mirror images,
    and of every 4th frame of the video clip."""
    images = [cv2.imread(str(p), cv2.IMREAD_COLOR) for sub in ("faces", "groups", "liveness")
              for p in sorted((testdata_dir / sub).iterdir()) if p.suffix in (".jpg", ".png")]
    clip = cv2.VideoCapture(str(testdata_dir / "video/short_hamilton_clip.mp4"))
    for i in range(200):
        ok, frame = clip.read()
        if not ok:
            break
        if i % 4 == 0:
            images.append(frame)
    clip.release()
    out = []
    for img in images:
        for im in (img, np.ascontiguousarray(img[:, ::-1])):
            try:
                out.append(engine.embed(im, max_face_num=10))
            except Exception:  # no face (the aligned crop, a mirrored profile): skip it
                pass
    return np.vstack(out)


def test_int8_recall_on_real_embeddings_read_back_from_the_library_file(engine, testdata_dir,
                                                                        tmp_path):
    """Identities are ~150 real SFace embeddings; 20k enrolled faces are them plus noise (cosine
    ~0.6 to their source, like other photos of the same person), each its own user. Probes: an
    enrolled face plus noise (the best match well ahead), and a new noisy sample of an identity
    (~130 look-alikes, the best a hundredth of cosine ahead: ranking by the int8 scores alone
    misses ~2.5%). The int8 gallery, re-ranking with vectors read back from the library's SQLite
    file (Store.vectors), must name the exact search's best face for >= 99.9% of probes, with its
    exact cosine."""
    from faceedge import _core
    from faceedge.library.store import Store

    centers = real_embeddings(engine, testdata_dir)
    d = centers.shape[1]
    assert len(centers) >= 40  # enough distinct real faces for the test to mean something
    rng = np.random.default_rng(21)

    def noisy(x, scale):
        y = x + scale * rng.standard_normal(x.shape).astype(np.float32) / np.sqrt(d)
        return (y / np.linalg.norm(y, axis=1, keepdims=True)).astype(np.float32)

    n = 20000
    x = noisy(centers[rng.integers(0, len(centers), n)], 1.3)
    store = Store(tmp_path / "real.db", engine.embedder_id, d)
    try:
        store.bulk_insert("people", [f"u{i}" for i in range(n)], x)
        snap = store.load()
        exact = _core.Gallery(d, "float32")
        compressed = _core.Gallery(d, "int8", store.vectors)
        for g in (exact, compressed):
            g.add(snap.face_ids, snap.user_keys, snap.group_keys, snap.vectors)
        probes = np.vstack([noisy(snap.vectors[rng.integers(0, n, 1000)], 0.9),
                            noisy(centers[rng.integers(0, len(centers), 2000)], 1.0)])
        a = np.array([r["face_ids"][0] for r in exact.search(probes)])
        # The hard half has teeth: int8 ranking alone (numpy model) gets it wrong too often.
        hard = probes[1000:1500]
        int8_only = snap.face_ids[quantized_scores(hard, snap.vectors).argmax(axis=1)]
        assert np.mean(int8_only == a[1000:1500]) < 0.995
        b = compressed.search(probes)
        top_b = np.array([r["face_ids"][0] for r in b])
        assert np.mean(a == top_b) >= 0.999, np.mean(a == top_b)
        row = {int(f): i for i, f in enumerate(snap.face_ids)}
        want = np.einsum("ij,ij->i", snap.vectors[[row[int(f)] for f in top_b]].astype(np.float64),
                         probes.astype(np.float64))
        np.testing.assert_allclose([r["cosines"][0] for r in b], want, atol=1e-5)
        assert compressed.memory_bytes <= 0.4 * exact.memory_bytes
    finally:
        store.close()


def test_search_while_another_thread_enrols(lib, testdata_dir, token):
    """Searches stay right and error-free while a writer adds and removes other people."""
    img = cv2.imread(str(testdata_dir / "faces/lin_manuel_miranda.png"))
    crop = np.ascontiguousarray(img[100:550, 220:570])
    queries = [(token(p), u) for p, u in OTHER_PHOTOS]
    lib.group_add("crowd_a")
    lib.group_add("crowd_b")
    expected = {t: lib.search(t, "people,crowd_a,crowd_b", image_type="FACE_TOKEN").to_dict()
                for t, _ in queries}
    stop = threading.Event()
    errors, searched = [], [0]

    def writer():
        try:
            for i in range(12):
                frame = crop.copy()
                frame[0, 0, 0] = i
                lib.add_user(frame, "crowd_a" if i % 2 else "crowd_b", f"lin_{i}")
                if i % 3 == 2:
                    lib.delete_user("crowd_a" if (i - 1) % 2 else "crowd_b", f"lin_{i - 1}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            stop.set()

    def reader():
        try:
            while not stop.is_set():
                for t, user in queries:
                    got = lib.search(t, "people,crowd_a,crowd_b", image_type="FACE_TOKEN")
                    assert got.to_dict() == expected[t], user
                    searched[0] += 1
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert searched[0] > 10
    assert len(lib.get_group_users("crowd_a").user_id_list) + len(
        lib.get_group_users("crowd_b").user_id_list) == 8
    lib.group_delete("crowd_a")
    lib.group_delete("crowd_b")
