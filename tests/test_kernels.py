"""Every SIMD inner-product kernel against the serial reference and numpy.

Sweeps every level this CPU offers x dtype x the odd sizes around each vector width
(d in 1-17, 31-33, 63-65, 127-129, 511-513; rows in 0, 1, 3, 4, 5, 17), for the one-query kernels
(``dot_many_*``) and the register-blocked batch kernels (a 2-D query). Integer-valued float
inputs are exact in any summation order, so every level must equal serial bit for bit; random
floats must agree within a bound that grows with d; int8 must equal numpy's int64 products.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

from faceedge import _core

LEVELS = _core.available_simd_levels()
DIMS = [*range(1, 18), 31, 32, 33, 63, 64, 65, 127, 128, 129, 511, 512, 513]
ROWS = [0, 1, 3, 4, 5, 17]
QUERIES = [1, 3, 4, 5, 9]  # batch kernels: groups of four plus leftovers


@pytest.fixture(autouse=True)
def restore_simd_level():
    """Every test leaves the process at the detected level, whatever it changed."""
    yield
    _core.set_simd_level(None)


def test_levels_include_serial_and_detected_level():
    assert LEVELS[0] == "serial"
    assert _core.simd_level() in LEVELS
    assert len(set(LEVELS)) == len(LEVELS)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("d", DIMS)
def test_f32_integer_inputs_match_serial_exactly(level, d):
    rng = np.random.default_rng(d)
    for n in ROWS:
        q = rng.integers(-8, 9, d).astype(np.float32)
        rows = rng.integers(-8, 9, (n, d)).astype(np.float32)
        got = _core.dot_many_f32(q, rows, level)
        ref = _core.dot_many_f32(q, rows, "serial")
        assert got.dtype == np.float32 and got.shape == (n,)
        np.testing.assert_array_equal(got, ref)
        np.testing.assert_array_equal(got, rows.astype(np.float64) @ q.astype(np.float64))
        for m in QUERIES:
            qs = rng.integers(-8, 9, (m, d)).astype(np.float32)
            got = _core.dot_many_f32(qs, rows, level)
            assert got.shape == (m, n)
            np.testing.assert_array_equal(got, _core.dot_many_f32(qs, rows, "serial"))
            np.testing.assert_array_equal(got, qs.astype(np.float64) @ rows.T.astype(np.float64))


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("d", DIMS)
def test_f32_random_inputs_within_tolerance(level, d):
    rng = np.random.default_rng(1000 + d)
    for n in ROWS:
        q = rng.standard_normal(d).astype(np.float32)
        rows = rng.standard_normal((n, d)).astype(np.float32)
        ref = rows.astype(np.float64) @ q.astype(np.float64)
        # |error| of any float32 summation order <= ~d * eps * sum|q_i r_i|
        bound = 2 * d * np.finfo(np.float32).eps * (np.abs(rows) @ np.abs(q)).astype(np.float64) + 1e-30
        got = _core.dot_many_f32(q, rows, level)
        assert np.all(np.abs(got - ref) <= bound)
        serial = _core.dot_many_f32(q, rows, "serial")
        assert np.all(np.abs(got - serial) <= 2 * bound)
        qs = rng.standard_normal((5, d)).astype(np.float32)
        got = _core.dot_many_f32(qs, rows, level)
        ref = qs.astype(np.float64) @ rows.T.astype(np.float64)
        bound = 2 * d * np.finfo(np.float32).eps * (np.abs(qs) @ np.abs(rows).T) + 1e-30
        assert np.all(np.abs(got - ref) <= bound)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("d", DIMS)
def test_i8_exact_against_int64(level, d):
    rng = np.random.default_rng(2000 + d)
    for n in ROWS:
        # The full int8 range, -128 included: the kernels must not rely on symmetric values.
        q = rng.integers(-128, 128, d).astype(np.int8)
        rows = rng.integers(-128, 128, (n, d)).astype(np.int8)
        got = _core.dot_many_i8(q, rows, level)
        assert got.dtype == np.int32 and got.shape == (n,)
        np.testing.assert_array_equal(got, rows.astype(np.int64) @ q.astype(np.int64))
        np.testing.assert_array_equal(got, _core.dot_many_i8(q, rows, "serial"))
        for m in QUERIES:
            qs = rng.integers(-128, 128, (m, d)).astype(np.int8)
            got = _core.dot_many_i8(qs, rows, level)
            assert got.shape == (m, n)
            np.testing.assert_array_equal(got, qs.astype(np.int64) @ rows.T.astype(np.int64))


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("d", [4, 5, 64, 128, 513])
def test_i8_many_tiles(level, d):
    """int8 rows are scored in tiles of 16 and blocks of up to 4 tiles x 4 queries: row counts
    that fill several blocks and leave ragged tiles, with ragged query groups."""
    rng = np.random.default_rng(3000 + d)
    for n in (48, 63, 64, 65, 100, 129):
        rows = rng.integers(-128, 128, (n, d)).astype(np.int8)
        for m in (1, 2, 3, 4, 7, 8, 33):
            qs = rng.integers(-128, 128, (m, d)).astype(np.int8)
            np.testing.assert_array_equal(_core.dot_many_i8(qs, rows, level),
                                          qs.astype(np.int64) @ rows.T.astype(np.int64))


@pytest.mark.parametrize("level", LEVELS)
def test_i8_extremes(level):
    """All -128 (the largest products, 16384 each) and mixed extremes, long enough to matter."""
    d = 4099
    for qv, rv in [(-128, -128), (-128, 127), (127, 127)]:
        q = np.full(d, qv, np.int8)
        rows = np.full((5, d), rv, np.int8)
        assert np.all(_core.dot_many_i8(q, rows, level) == d * qv * rv)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("d", [1, 5, 17, 33, 65, 129])
def test_kernels_read_nothing_past_the_end(level, d):
    """Query and rows are prefixes of larger buffers filled with poison (NaN for floats): a kernel
    that loaded past d or past the last row and let it reach a sum would return NaN."""
    rng = np.random.default_rng(7 + d)
    for n in ROWS:
        qbuf = np.full(d + 64, np.nan, np.float32)
        qbuf[:d] = rng.integers(-4, 5, d)
        rbuf = np.full(n * d + 64, np.nan, np.float32)
        rbuf[:n * d] = rng.integers(-4, 5, n * d)
        q, rows = qbuf[:d], rbuf[:n * d].reshape(n, d)
        np.testing.assert_array_equal(_core.dot_many_f32(q, rows, level),
                                      rows.astype(np.float64) @ q.astype(np.float64))
        qs = np.full((4 * d + 64,), np.nan, np.float32)
        qs[:4 * d] = rng.integers(-4, 5, 4 * d)
        q4 = qs[:4 * d].reshape(4, d)
        np.testing.assert_array_equal(_core.dot_many_f32(q4, rows, level),
                                      q4.astype(np.float64) @ rows.T.astype(np.float64))
        ibuf = np.full(n * d + 64, 127, np.int8)
        ibuf[:n * d] = rng.integers(-3, 4, n * d)
        qi = np.full(d + 64, 127, np.int8)
        qi[:d] = rng.integers(-3, 4, d)
        ri = ibuf[:n * d].reshape(n, d)
        np.testing.assert_array_equal(_core.dot_many_i8(qi[:d], ri, level),
                                      ri.astype(np.int64) @ qi[:d].astype(np.int64))


@pytest.mark.parametrize("level", LEVELS)
def test_sum_f32_bandwidth_yardstick_is_exact_on_integers(level):
    """sum_f32 (the benchmarks' read-bandwidth reference) sums every value once, tails included:
    integer values are exact in any order; poison past the end must not be read."""
    rng = np.random.default_rng(11)
    for n in [0, 1, 3, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129, 1000, 4099]:
        buf = np.full(n + 64, np.nan, np.float32)
        buf[:n] = rng.integers(-50, 51, n)
        assert _core.sum_f32(buf[:n], level) == float(buf[:n].astype(np.int64).sum())
    assert _core.sum_f32(np.zeros((0, 8), np.float32), level) == 0.0
    x = rng.standard_normal((300, 7)).astype(np.float32)  # 2-D is summed whole
    assert abs(_core.sum_f32(x, level) - float(x.astype(np.float64).sum())) < 1e-3


@pytest.mark.parametrize("level", LEVELS)
def test_kernels_take_no_rows_and_no_queries(level):
    """Empty inputs return empty results (and hand memcpy no null buffer: the i8 glue used to)."""
    for d in (1, 16, 129):
        assert _core.dot_many_f32(np.ones(d, np.float32), np.zeros((0, d), np.float32), level).shape == (0,)
        assert _core.dot_many_i8(np.ones(d, np.int8), np.zeros((0, d), np.int8), level).shape == (0,)
        assert _core.dot_many_i8(np.ones((3, d), np.int8), np.zeros((0, d), np.int8), level).shape == (3, 0)
        assert _core.dot_many_i8(np.ones((0, d), np.int8), np.ones((5, d), np.int8), level).shape == (0, 5)
        assert _core.dot_many_f32(np.ones((0, d), np.float32), np.ones((5, d), np.float32), level).shape == (0, 5)


def test_set_simd_level_changes_active_level_and_new_galleries():
    detected = _core.simd_level()
    for level in LEVELS:
        _core.set_simd_level(level)
        assert _core.simd_level() == level
        assert _core.Gallery(8).simd_level == level
    _core.set_simd_level(None)
    assert _core.simd_level() == detected
    kept = _core.Gallery(8)
    _core.set_simd_level("serial")
    assert kept.simd_level == detected  # a gallery keeps the kernels it was built with
    assert _core.Gallery(8).simd_level == "serial"


def test_unknown_or_unavailable_level_is_an_error():
    from faceedge.errors import FaceEdgeError

    for name in ["avx1024", "", "AVX2", *[n for n in ("neon", "neondotprod", "sse", "avx2", "avx512",
                                                        "avx512vnni") if n not in LEVELS]]:
        with pytest.raises(FaceEdgeError):
            _core.set_simd_level(name)
        with pytest.raises(FaceEdgeError):
            _core.dot_many_f32(np.zeros(4, np.float32), np.zeros((1, 4), np.float32), name)


def test_kernel_argument_checks():
    from faceedge.errors import FaceEdgeError

    with pytest.raises(FaceEdgeError):  # d mismatch
        _core.dot_many_f32(np.zeros(4, np.float32), np.zeros((2, 5), np.float32))
    with pytest.raises(FaceEdgeError):  # float given to the int8 kernel
        _core.dot_many_i8(np.zeros(4, np.float32), np.zeros((2, 4), np.int8))
    with pytest.raises(FaceEdgeError):  # rows must be 2-D
        _core.dot_many_f32(np.zeros(4, np.float32), np.zeros(4, np.float32))


def test_env_override_caps_level_in_a_fresh_process():
    env = dict(os.environ, FACEEDGE_SIMD="serial")
    out = subprocess.run(
        [sys.executable, "-c", "from faceedge import _core; print(_core.simd_level()); "
         "print(_core.Gallery(4).simd_level)"],
        env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["serial", "serial"]


def test_env_override_never_raises_the_level():
    env = dict(os.environ, FACEEDGE_SIMD="no-such-level")
    out = subprocess.run([sys.executable, "-c", "from faceedge import _core; print(_core.simd_level())"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == LEVELS[-1]
