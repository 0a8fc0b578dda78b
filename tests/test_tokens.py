"""faceedge.tokens: deterministic face tokens and the bounded, thread-safe token cache."""
import threading

import numpy as np

from faceedge.results import Angle, FaceInfo, Location, Point
from faceedge.tokens import FaceTokenCache, image_digest, make_face_token


def face(token="t"):
    return FaceInfo(token, Location(1, 2, 3, 4), 0.9, Angle(0, 0, 0), tuple(Point(i, i) for i in range(5)))


def test_tokens_are_deterministic_32_hex():
    img = np.arange(60 * 80 * 3, dtype=np.uint8).reshape(60, 80, 3)
    d = image_digest(img)
    t = make_face_token(d, (10.0, 20.0, 30.0, 40.0))
    assert len(t) == 32 and int(t, 16) >= 0
    assert t == make_face_token(image_digest(img.copy()), (10.0, 20.0, 30.0, 40.0))
    assert t == make_face_token(d, (10.001, 20.0, 30.0, 40.0))  # rounded to 0.01 px
    assert t != make_face_token(d, (10.02, 20.0, 30.0, 40.0))
    changed = img.copy()
    changed[0, 0, 0] ^= 1
    assert t != make_face_token(image_digest(changed), (10.0, 20.0, 30.0, 40.0))
    assert image_digest(img) != image_digest(img.reshape(80, 60, 3))  # shape is hashed too


def test_lru_bound_and_order():
    cache = FaceTokenCache(maxsize=3)
    for t in "abc":
        cache.put(t, face(t), "emb", embedding=np.zeros(2, np.float32))
    assert cache.get("a") is not None  # a becomes most recent
    cache.put("d", face("d"), "emb", embedding=np.zeros(2, np.float32))
    assert "b" not in cache and all(t in cache for t in "acd") and len(cache) == 3


def test_crops_are_bounded_separately_and_dropped_once_embedded():
    cache = FaceTokenCache(maxsize=10, max_crops=2)
    crop = np.zeros((112, 112, 3), np.uint8)
    for t in "abc":
        cache.put(t, face(t), "emb", crop=crop)
    assert cache.get("a").crop is None and cache.get("b").crop is not None
    cache.set_embedding("b", "emb", np.ones(2, np.float32))
    entry = cache.get("b")
    assert entry.crop is None and entry.embedding is not None
    cache.put("b", face("b"), "emb", crop=crop)  # a later detect keeps the embedding
    assert cache.get("b").embedding is not None and cache.get("b").crop is None


def test_thread_safety():
    cache = FaceTokenCache(maxsize=100)
    emb = np.zeros(2, np.float32)

    def work(k):
        for i in range(2000):
            t = f"{k}-{i % 150}"
            cache.put(t, face(t), "emb", embedding=emb)
            cache.get(f"{k}-{(i * 7) % 150}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(cache) == 100
