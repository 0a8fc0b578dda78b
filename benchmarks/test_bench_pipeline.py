"""pytest-benchmark micro-benchmarks of faceedge (timings only: nothing here asserts a time).

Run from the repository root (a plain ``pytest`` collects only ``tests/``)::

    pytest benchmarks/ --benchmark-only
    FACEEDGE_BENCH_THREADS=1 pytest benchmarks/ --benchmark-only

Models and photos come from tests/data and the packaged default pack; the tests are skipped when
they are missing. The engine uses ``$FACEEDGE_BENCH_THREADS`` intra-op threads (default 2).
For the comparison with OpenCV's and plain-Python pipelines run ``bench_pipeline.py``.
"""
import os
from pathlib import Path

import numpy as np
import pytest

import cv2  # noqa: E402  (a dependency of faceedge; pytest-benchmark comes with [test])

REPO = Path(__file__).resolve().parents[1]
TESTDATA = REPO / "tests" / "data"
THREADS = int(os.environ.get("FACEEDGE_BENCH_THREADS", "2"))


def _photo(rel: str) -> np.ndarray:
    path = TESTDATA / rel
    assert path.is_file(), f"test photo {path} not found"
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert img is not None, f"cannot decode {path}"
    return img


@pytest.fixture(scope="module")
def engine():
    models = TESTDATA / "models"
    assert models.is_dir(), f"models folder {models} not found"
    from faceedge import FaceEngine

    eng = FaceEngine(models=str(models), threads=THREADS)
    return eng


@pytest.fixture(scope="module")
def obama1():
    return _photo("faces/obama_1.jpg")


@pytest.fixture(scope="module")
def obama2():
    return _photo("faces/obama_2.jpg")


@pytest.fixture(scope="module")
def aligned_crop(engine, obama1):
    """The 112x112 ArcFace crop of obama_1's face, as faceedge's core aligns it."""
    from faceedge import _runtime

    raw = engine.core.detect(obama1, 1, 0, 0.0)
    assert len(raw["boxes"]) == 1
    return _runtime.core().align_face(obama1, raw["landmarks"][0])


def test_detect(benchmark, engine, obama1):
    """engine.detect on a 910x1137 portrait (decoded array in, DetectResult out)."""
    result = benchmark(engine.detect, obama1)
    assert result.face_num == 1


def test_embed_image(benchmark, engine, obama1):
    """engine.embed on the portrait: detect + align + embed of its face."""
    emb = benchmark(engine.embed, obama1)
    assert emb.shape == (1, engine.embedding_dim)


def test_embed_one_face(benchmark, engine, aligned_crop):
    """The embedder alone on one already aligned 112x112 face (core call; identity alignment)."""
    from faceedge.engine import ARCFACE_TEMPLATE_112

    landmarks = np.ascontiguousarray(ARCFACE_TEMPLATE_112[None], dtype=np.float32)
    emb = benchmark(engine.core.embed, aligned_crop, landmarks)
    assert emb.shape == (1, engine.embedding_dim)


def test_match_two_images(benchmark, engine, obama1, obama2):
    """engine.match of two decoded photos of the same person (two detect + embed passes)."""
    result = benchmark(engine.match, obama1, obama2)
    assert result.score > 80
