"""The C++ Gallery: search against numpy brute force, the int8 mode's recall, add/remove
semantics, bad input, memory accounting, and searches racing enrolment."""
import threading
import time

import numpy as np
import pytest

from faceedge import _core
from faceedge.errors import InvalidParameterError

TIE = 1e-5  # float32 kernels vs float64 numpy: scores closer than this may swap places


@pytest.fixture(autouse=True)
def restore_simd_level():
    yield
    _core.set_simd_level(None)


class Gallery(_core.Gallery):
    """A _core.Gallery whose int8 vector source is a dict of every vector added, as a
    FaceLibrary's file would be (a face it was never given reads back as NaN)."""

    def __init__(self, dim, storage="float32"):
        kept = {}

        def vectors(face_ids):
            out = np.full((len(face_ids), dim), np.nan, np.float32)
            for i, f in enumerate(face_ids.tolist()):
                if f in kept:
                    out[i] = kept[f]
            return out

        super().__init__(dim, storage, vectors)
        self.kept = kept

    def add(self, face_ids, user_keys, group_keys, vectors):
        super().add(face_ids, user_keys, group_keys, vectors)
        self.kept.update(zip(np.asarray(face_ids).tolist(), np.asarray(vectors, np.float32)))


def unit(rng, n, d):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def make(rng, n, d, n_users=None, n_groups=3, storage="float32"):
    """A gallery of n random unit vectors; users own several faces when n_users < n."""
    x = unit(rng, n, d)
    face_ids = rng.permutation(10 * n + 10)[:n].astype(np.int64) + 1000
    users = rng.integers(0, n_users or n, n).astype(np.int64)
    groups = rng.integers(0, n_groups, n).astype(np.int32)
    g = Gallery(d, storage)
    g.add(face_ids, users, groups, x)
    return g, dict(x=x, face_ids=face_ids, users=users, groups=groups)


def brute(data, q, k, group_keys=None, user_key=-1, min_cosine=-1.0):
    """Top-k users by best face: [(user, face_id, group, score)], best first."""
    s = data["x"].astype(np.float64) @ q.astype(np.float64)
    keep = s >= min_cosine
    if group_keys:
        keep &= np.isin(data["groups"], group_keys)
    if user_key >= 0:
        keep &= data["users"] == user_key
    out, seen = [], set()
    for i in np.argsort(-s, kind="stable"):
        if not keep[i] or data["users"][i] in seen:
            continue
        seen.add(data["users"][i])
        out.append((int(data["users"][i]), int(data["face_ids"][i]), int(data["groups"][i]), s[i]))
        if len(out) == k:
            break
    return out


def check_against_brute(result, data, q, k, **filters):
    ref = brute(data, q, k, **filters)
    got_users = result["user_keys"]
    assert result["face_ids"].dtype == np.int64 and result["user_keys"].dtype == np.int64
    assert result["group_keys"].dtype == np.int32 and result["cosines"].dtype == np.float32
    assert len(got_users) == len(ref), (len(got_users), len(ref))
    # Same scores in the same order (up to float32 rounding)...
    np.testing.assert_allclose(result["cosines"], [r[3] for r in ref], atol=TIE)
    assert np.all(np.diff(result["cosines"]) <= 0)
    # ... and the same users, except where two scores tie within rounding.
    score_of = {}  # user -> best score over allowed faces
    for u, f, g, s in brute(data, q, 10**9, **filters):
        score_of[u] = s
    x64 = data["x"].astype(np.float64)
    index = {int(f): i for i, f in enumerate(data["face_ids"])}
    for u, f, g, c in zip(got_users, result["face_ids"], result["group_keys"], result["cosines"]):
        i = index[int(f)]
        assert data["users"][i] == u and data["groups"][i] == g  # the face belongs to that user
        assert abs(x64[i] @ q - c) <= TIE  # its score is the cosine reported
        assert abs(score_of[int(u)] - c) <= TIE  # and it is the user's best face
    assert len(set(got_users.tolist())) == len(got_users)
    for u, f, g, s in ref:
        if s > ref[-1][3] + TIE:
            assert u in got_users


@pytest.mark.parametrize("n,d,n_users", [(1, 8, None), (50, 3, 20), (1000, 128, 300),
                                         (3000, 512, 1000), (777, 17, 777), (2049, 65, 40)])
@pytest.mark.parametrize("storage", ["float32", "int8"])
def test_search_equals_brute_force(n, d, n_users, storage):
    rng = np.random.default_rng(n * 31 + d)
    g, data = make(rng, n, d, n_users, storage=storage)
    assert len(g) == n and g.dim == d and g.storage == storage
    # random queries and queries near stored faces (so the top is well separated)
    near = data["x"][rng.integers(0, n, 6)] + 0.1 * unit(rng, 6, d)
    queries = np.vstack([unit(rng, 6, d), near / np.linalg.norm(near, axis=1, keepdims=True)])
    for k in (1, 5, 50):
        results = g.search(queries, max_users=k)
        assert len(results) == len(queries)
        for q, r in zip(queries, results):
            if storage == "float32" or k <= 5:  # int8: exact unless the top-k is huge vs 64
                check_against_brute(r, data, q, k)


@pytest.mark.parametrize("storage", ["float32", "int8"])
def test_filters(storage):
    rng = np.random.default_rng(5)
    g, data = make(rng, 4000, 64, n_users=500, n_groups=6, storage=storage)
    queries = unit(rng, 8, 64)
    for q in queries:
        for groups in ([2], [0, 5], [1, 2, 3, 4], []):
            r = g.search(q[None], max_users=10, group_keys=groups)[0]
            check_against_brute(r, data, q, 10, group_keys=groups)
            assert set(r["group_keys"].tolist()) <= set(groups or range(6))
        for min_cos in (0.1, 0.3, 0.99):
            r = g.search(q[None], max_users=20, min_cosine=min_cos)[0]
            check_against_brute(r, data, q, 20, min_cosine=min_cos)
            assert np.all(r["cosines"] >= min_cos)
        user = int(data["users"][rng.integers(0, 4000)])
        r = g.search(q[None], max_users=5, user_key=user)[0]
        check_against_brute(r, data, q, 5, user_key=user)
        assert r["user_keys"].tolist() == [user]  # 1:N authentication: only that user
        r = g.search(q[None], max_users=5, user_key=user, group_keys=[99])[0]
        assert len(r["user_keys"]) == 0
        assert len(g.search(q[None], user_key=10**12)[0]["user_keys"]) == 0  # no such user


def test_user_with_many_faces_does_not_hide_others():
    """One user owns the 200 best faces: top-3 must still return three distinct users."""
    rng = np.random.default_rng(11)
    d = 32
    q = unit(rng, 1, d)[0]
    close = q + 0.05 * unit(rng, 200, d)
    x = np.vstack([close / np.linalg.norm(close, axis=1, keepdims=True), unit(rng, 1000, d)])
    users = np.concatenate([np.zeros(200, np.int64), np.arange(1, 1001, dtype=np.int64)])
    for storage in ("float32", "int8"):
        g = Gallery(d, storage)
        g.add(np.arange(1200, dtype=np.int64), users, np.zeros(1200, np.int32), x)
        r = g.search(q, max_users=3)[0]
        data = dict(x=x, face_ids=np.arange(1200), users=users, groups=np.zeros(1200, np.int32))
        check_against_brute(r, data, q, 3)
        assert r["user_keys"][0] == 0 and len(set(r["user_keys"].tolist())) == 3


def test_batch_equals_one_by_one_and_every_level_agrees():
    rng = np.random.default_rng(3)
    x = unit(rng, 3000, 128)
    users = rng.integers(0, 1000, 3000).astype(np.int64)
    queries = unit(rng, 71, 128)  # more than one chunk of 32, and a ragged tail
    args = (np.arange(3000, dtype=np.int64), users, np.zeros(3000, np.int32), x)
    reference = None
    for level in _core.available_simd_levels():
        _core.set_simd_level(level)
        for storage in ("float32", "int8"):
            g = Gallery(128, storage)
            g.add(*args)
            assert g.simd_level == level
            batch = g.search(queries, max_users=4)
            single = [g.search(q, max_users=4)[0] for q in queries]
            for a, b in zip(batch, single):
                np.testing.assert_array_equal(a["user_keys"], b["user_keys"])
                np.testing.assert_allclose(a["cosines"], b["cosines"], atol=1e-6)
            top1 = np.array([r["user_keys"][0] for r in batch])
            if reference is None:
                reference = top1
            np.testing.assert_array_equal(top1, reference)


def clustered(rng, n_clusters, per_cluster, d, spread):
    centers = unit(rng, n_clusters, d)
    x = np.repeat(centers, per_cluster, axis=0) + spread * unit(rng, n_clusters * per_cluster, d)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def quantized_scores(p, x):
    """What an int8 scan alone would rank by (numpy model of the per-vector quantisation)."""
    def q8(v):
        scale = np.abs(v).max(axis=1, keepdims=True) / 127
        return np.round(v / scale).astype(np.int64), scale
    (qi, qs), (xi, xs) = q8(p), q8(x)
    return (qi @ xi.T) * qs * xs.T


@pytest.mark.parametrize("d", [128, 512])
@pytest.mark.parametrize("spread,noise,hard", [(0.35, 0.2, False), (0.03, 0.02, True)])
def test_int8_recall_at_1(d, spread, noise, hard):
    """20k faces in 2k clusters (identities photographed ten times), every face its own user.
    The first setting is like real embeddings (the best match a few hundredths of cosine ahead);
    the second holds near-duplicates (best match ~1e-3 ahead), where ranking by int8 scores alone
    gets many wrong, so only the exact fp32 re-rank passes it."""
    rng = np.random.default_rng(d)
    n = 20000
    x = clustered(rng, 2000, 10, d, spread)
    ids = np.arange(n, dtype=np.int64)
    exact, compressed = Gallery(d, "float32"), Gallery(d, "int8")
    for g in (exact, compressed):
        g.add(ids, ids, np.zeros(n, np.int32), x)
    probe = x[rng.integers(0, n, 2000)] + noise * unit(rng, 2000, d)
    probe /= np.linalg.norm(probe, axis=1, keepdims=True)
    a = np.array([r["face_ids"][0] for r in exact.search(probe)])
    b = compressed.search(probe)
    top_b = np.array([r["face_ids"][0] for r in b])
    recall = np.mean(a == top_b)
    assert recall >= 0.999, recall
    # Re-ranked scores are exact fp32 scores.
    cos_b = np.array([r["cosines"][0] for r in b])
    ref = np.einsum("ij,ij->i", x[top_b].astype(np.float64), probe.astype(np.float64))
    np.testing.assert_allclose(cos_b, ref, atol=1e-5)
    if hard:  # the test has teeth: int8 ranking alone fails it
        int8_only = quantized_scores(probe[:500], x).argmax(axis=1)
        assert np.mean(int8_only == a[:500]) < 0.99


def test_duplicate_id_changes_nothing():
    rng = np.random.default_rng(8)
    g, data = make(rng, 100, 16, n_users=30)
    q = unit(rng, 5, 16)
    before = g.search(q, max_users=5)
    mem = g.memory_bytes
    new = unit(rng, 3, 16)
    existing = data["face_ids"][7]
    for ids in ([1, 2, existing], [1, 2, 1]):
        with pytest.raises(InvalidParameterError) as e:
            g.add(np.array(ids, np.int64), np.array([1, 2, 3], np.int64), np.zeros(3, np.int32), new)
        assert str(min(ids[2], ids[0])) in str(e.value) or str(existing) in str(e.value)
        assert len(g) == 100
        for a, b in zip(before, g.search(q, max_users=5)):
            for key in a:
                np.testing.assert_array_equal(a[key], b[key])
    assert g.memory_bytes >= mem
    # the ids of the failed call were not kept: they can be added now
    g.add(np.array([1, 2], np.int64), np.array([1, 2], np.int64), np.zeros(2, np.int32), new[:2])
    assert len(g) == 102
    assert g.remove(np.array([1, 2], np.int64)) == 2


@pytest.mark.parametrize("storage", ["float32", "int8"])
def test_remove_semantics(storage):
    rng = np.random.default_rng(9)
    n, d = 2000, 48
    g, data = make(rng, n, d, n_users=400, storage=storage)
    gone = rng.choice(data["face_ids"], 700, replace=False)
    missing = np.array([-5, 10**15], np.int64)
    assert g.remove(np.concatenate([gone[:300], missing, gone[:10]])) == 300  # repeats and unknowns
    assert g.remove(gone[300:]) == 400
    assert g.remove(gone) == 0
    assert len(g) == n - 700
    keep = ~np.isin(data["face_ids"], gone)
    rest = {k: v[keep] for k, v in data.items()}
    queries = np.vstack([data["x"][np.isin(data["face_ids"], gone)][:20], unit(rng, 10, d)])
    for q, r in zip(queries, g.search(queries, max_users=30)):
        assert not np.isin(r["face_ids"], gone).any()
        check_against_brute(r, rest, q, 30)
    # removing a user's last face removes the user
    user = int(rest["users"][0])
    assert g.remove(rest["face_ids"][rest["users"] == user]) == int(np.sum(rest["users"] == user))
    assert len(g.search(queries[:1], user_key=user)[0]["user_keys"]) == 0
    # empty it, then use it again
    assert g.remove(data["face_ids"]) == len(g) + 0 or len(g) == 0
    assert len(g) == 0
    assert all(len(r["user_keys"]) == 0 for r in g.search(queries))
    g.add(data["face_ids"][:5], data["users"][:5], data["groups"][:5], data["x"][:5])
    assert len(g) == 5
    g.clear()
    assert len(g) == 0 and len(g.search(queries[0])[0]["face_ids"]) == 0


def test_bad_input_raises_and_changes_nothing():
    rng = np.random.default_rng(10)
    g, data = make(rng, 10, 8)
    x = unit(rng, 2, 8)
    ids, users, groups = np.array([1, 2], np.int64), np.array([1, 2], np.int64), np.zeros(2, np.int32)
    bad_vectors = x.copy()
    bad_vectors[1, 3] = np.nan
    cases = [
        (ids, users, groups, unit(rng, 2, 9)),                      # wrong dim
        (ids, users, groups, bad_vectors),                          # NaN
        (ids, users, groups, np.full((2, 8), np.inf, np.float32)),  # inf
        (ids[:1], users, groups, x),                                # lengths differ
        (ids.astype(np.float64), users, groups, x),                 # float ids
        (ids, np.array([1, -2], np.int64), groups, x),              # negative user key
        (ids, users, np.array([0, 2**40], np.int64), x),            # group key beyond int32
        (ids, users, groups, x[0]),                                 # 1-D vectors
        (ids, users, groups, x.astype(np.int32)),                   # integer vectors
    ]
    for args in cases:
        with pytest.raises(InvalidParameterError):
            g.add(*args)
        assert len(g) == 10
    q = unit(rng, 1, 8)
    for kwargs in (dict(max_users=0), dict(max_users=-3), dict(min_cosine=float("nan"))):
        with pytest.raises(InvalidParameterError):
            g.search(q, **kwargs)
    with pytest.raises(InvalidParameterError):
        g.search(np.full((1, 8), np.nan, np.float32))
    with pytest.raises(InvalidParameterError):
        g.search(unit(rng, 1, 7))
    with pytest.raises(InvalidParameterError):
        g.search(q, group_keys=[2**40])
    for dim, storage in ((0, "float32"), (-1, "float32"), (8, "fp16"), (10**6, "float32")):
        with pytest.raises(InvalidParameterError):
            _core.Gallery(dim, storage)
    # float64 vectors and int32 ids are converted; a non-contiguous view is copied
    g.add(np.array([1, 2], np.int32), users, groups, x.astype(np.float64))
    xt = np.asfortranarray(unit(rng, 2, 8))
    g.add(np.array([3, 4]), users, groups, xt)
    assert len(g) == 14
    assert g.search(xt[0])[0]["face_ids"][0] == 3  # a 1-D query is one query


@pytest.mark.parametrize("storage", ["float32", "int8"])
def test_empty_gallery_and_empty_batch(storage):
    g = Gallery(16, storage)
    assert len(g) == 0
    r = g.search(np.ones((2, 16), np.float32))
    assert len(r) == 2 and all(len(x["user_keys"]) == 0 for x in r)
    assert g.search(np.zeros((0, 16), np.float32)) == []
    g.add(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros((0, 16), np.float32))
    assert len(g) == 0 and g.remove(np.zeros(0, np.int64)) == 0
    # emptied by remove and by clear: the stores keep capacity but hold no rows
    rng = np.random.default_rng(16)
    x = unit(rng, 20, 16)
    for empty_it in (lambda: g.remove(np.arange(20)), g.clear):
        g.add(np.arange(20), np.arange(20) // 2, np.zeros(20, np.int32), x)
        empty_it()
        assert len(g) == 0
        assert all(len(r["face_ids"]) == 0 for r in g.search(x[:3], max_users=5))
        assert len(g.search(x[0], user_key=1)[0]["face_ids"]) == 0


@pytest.mark.parametrize("d", [128, 512])
def test_memory_per_face_int8_at_most_0_4_of_float32(d):
    """int8 keeps no fp32 copy (its re-rank reads the source), so a face costs its d code bytes
    plus ids and index; every face its own user (the costliest case for the user index)."""
    rng = np.random.default_rng(12)
    sizes = {}
    for storage in ("float32", "int8"):
        g = Gallery(d, storage)
        empty = g.memory_bytes
        last = empty
        for _ in range(4):
            n = 5000
            g.add(rng.integers(0, 2**62, n), rng.integers(0, 2**40, n), np.zeros(n, np.int32), unit(rng, n, d))
            assert g.memory_bytes > last
            last = g.memory_bytes
        sizes[storage] = (last - empty) / len(g)
    assert sizes["float32"] >= 4 * d  # at least the fp32 vector
    assert sizes["int8"] >= d  # at least the codes
    assert sizes["int8"] < 4 * d  # less than an fp32 copy alone: there is none
    assert sizes["int8"] <= 0.4 * sizes["float32"], sizes


def test_int8_needs_a_vector_source_that_answers_right():
    rng = np.random.default_rng(15)
    x = unit(rng, 100, 16)
    ids = np.arange(100, dtype=np.int64)
    with pytest.raises(InvalidParameterError, match="vector source"):
        _core.Gallery(16, "int8")
    with pytest.raises(InvalidParameterError, match="callable"):
        _core.Gallery(16, "int8", 42)
    assert _core.Gallery(16, "float32", lambda f: x[f]).storage == "float32"  # ignored
    for bad, error in ((lambda f: x[f][:, :8], InvalidParameterError),   # wrong shape
                       (lambda f: "no", InvalidParameterError),           # not an array
                       (lambda f: 1 / 0, ZeroDivisionError)):              # raises: propagates
        g = _core.Gallery(16, "int8", bad)
        g.add(ids, ids, np.zeros(100, np.int32), x)
        with pytest.raises(error):
            g.search(x[:3])
        assert len(g) == 100  # the lock was released on the way out
        g.remove(ids[:1])
    # A face the source no longer holds (NaN row: being removed from the file) is left out.
    gone = {int(i) for i in ids[:50]}

    def partial(f):
        out = x[f].copy()
        out[np.isin(f, list(gone))] = np.nan
        return out
    g = _core.Gallery(16, "int8", partial)
    g.add(ids, ids, np.zeros(100, np.int32), x)
    for q, r in zip(x, g.search(x, max_users=3)):
        assert not np.isin(r["face_ids"], list(gone)).any()
    assert g.search(x[60], max_users=3)[0]["face_ids"][0] == 60
    assert len(g.search(x[10], user_key=10)[0]["face_ids"]) == 0


@pytest.mark.parametrize("storage", ["float32", "int8"])
def test_concurrent_search_while_adding_and_removing(storage):
    """Anchors stay put while a writer adds and removes other faces; every search, whatever
    state it saw, must find each anchor as its own best match and return only faces that were
    added, each under its own user."""
    rng = np.random.default_rng(13)
    d = 64
    anchors = unit(rng, 50, d)
    g = Gallery(d, storage)
    g.add(np.arange(50, dtype=np.int64), np.arange(50, dtype=np.int64) * 7, np.zeros(50, np.int32), anchors)
    stop = threading.Event()
    errors = []
    churn = unit(rng, 4000, d)

    def writer():
        try:
            next_id = 1000
            local = np.random.default_rng(14)
            while not stop.is_set():
                n = int(local.integers(1, 200))
                ids = np.arange(next_id, next_id + n, dtype=np.int64)
                g.add(ids, ids * 7, np.ones(n, np.int32), churn[local.integers(0, 4000, n)])
                if local.random() < 0.7:
                    assert g.remove(ids[: n // 2 + 1]) == n // 2 + 1
                next_id += n
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    def reader(seed):
        try:
            local = np.random.default_rng(seed)
            while not stop.is_set():
                pick = local.integers(0, 50, 8)
                for i, r in zip(pick, g.search(anchors[pick], max_users=3)):
                    assert r["face_ids"][0] == i and r["user_keys"][0] == 7 * i
                    assert abs(r["cosines"][0] - 1.0) < 1e-5
                    assert np.all(r["user_keys"] == 7 * r["face_ids"])
                    assert np.all((r["face_ids"] < 50) | (r["face_ids"] >= 1000))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert len(g) > 50


def test_a_scan_split_over_threads_finds_exactly_what_one_thread_finds():
    """A float32 gallery large enough to be split (40k x 128 floats, 20 MB: up to 5 ranges of
    4 MB): every thread count returns the same users, faces and cosines as one thread, with
    users whose faces fall in different ranges, a group filter and a score floor."""
    rng = np.random.default_rng(7)
    n, d = 40_000, 128
    vectors = rng.standard_normal((n, d)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    users = (np.arange(n) * 7919) % 3000  # each user's faces spread over the whole gallery
    groups = (users % 3).astype(np.int32)
    g = _core.Gallery(d)
    g.add(np.arange(n, dtype=np.int64), users.astype(np.int64), groups, vectors)
    queries = vectors[[5, 17_000, 39_999]] + 0.05 * rng.standard_normal((3, d)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    def run(threads, **kw):
        g.search_threads = threads
        assert g.search_threads == threads
        return [{k: v.tolist() for k, v in r.items()} for r in g.search(queries, **kw)]

    for kw in ({"max_users": 20}, {"max_users": 5, "group_keys": [1, 2]},
               {"max_users": 50, "min_cosine": 0.2}):
        alone = run(1, **kw)
        assert alone[0]["face_ids"][0] == 5 and alone[1]["face_ids"][0] == 17_000
        for threads in (2, 3, 4):
            assert run(threads, **kw) == alone, (threads, kw)
    g.search_threads = 0  # automatic again
    assert 1 <= g.search_threads <= 4
    with pytest.raises(InvalidParameterError):
        g.search_threads = -1
