"""FaceEngine.embed_stream: embed() over a stream of frames, next detection overlapping."""
import threading

import numpy as np
import pytest

from faceedge.errors import FaceEdgeError
from faceedge.frame_overlap import overlapped
from faceedge.images import load_image


@pytest.fixture(scope="module")
def frames(testdata_dir):
    faces = sorted(p for p in (testdata_dir / "faces").iterdir()
                   if p.suffix in (".jpg", ".png") and "aligned_112" not in p.name)
    noface = sorted((testdata_dir / "noface").iterdir())[:1]
    # A face, no face, then the rest: the empty frame sits between two real ones.
    return [load_image(p) for p in faces[:1] + noface + faces[1:]]


def test_same_embeddings_in_frame_order_as_embed(engine, frames):
    got = list(engine.embed_stream(frames, max_face_num=2))
    assert len(got) == len(frames)
    for img, vectors in zip(frames, got):
        try:
            expected = engine.embed(img, max_face_num=2)
        except FaceEdgeError as exc:
            assert exc.error_code == 222202
            assert vectors.shape == (0, engine.embedding_dim) and vectors.dtype == np.float32
            continue
        np.testing.assert_array_equal(vectors, expected)
    assert sum(v.shape[0] == 0 for v in got) == 1


def test_a_bad_frame_raises_at_its_turn(engine, frames):
    empty = np.zeros((0, 0, 3), np.uint8)
    with pytest.raises(FaceEdgeError) as expected:
        engine.embed(empty)
    stream = engine.embed_stream([frames[0], empty, frames[2]])
    assert next(stream).shape == (1, engine.embedding_dim)
    with pytest.raises(FaceEdgeError) as err:
        next(stream)
    assert err.value.error_code == expected.value.error_code == 216200  # empty image


def test_bad_options_are_refused_before_any_frame_is_read(engine):
    def never():
        raise AssertionError("a frame was read")
        yield  # pragma: no cover
    with pytest.raises(FaceEdgeError) as err:
        engine.embed_stream(never(), max_face_num=0)
    assert err.value.error_code // 100 == 2220  # a parameter format error


def test_detection_of_the_next_frame_overlaps_and_reads_ahead_one_frame():
    """The first stage of frame i+1 runs on another thread while the second stage of frame i
    runs; the source is read at most one frame ahead of what was yielded."""
    read, first_threads, overlaps = [], set(), []
    busy = threading.Event()

    def source():
        for i in range(5):
            read.append(i)
            yield i

    def first(i):
        first_threads.add(threading.get_ident())
        overlaps.append(busy.is_set())
        return i * 10

    def second(x):
        busy.set()
        threading.Event().wait(0.02)  # long enough for the helper to start the next frame
        busy.clear()
        return x + 1

    stream = overlapped(source(), first, second)
    assert next(stream) == 1
    assert read == [0, 1]
    assert list(stream) == [11, 21, 31, 41]
    assert threading.get_ident() not in first_threads
    assert any(overlaps[1:])
