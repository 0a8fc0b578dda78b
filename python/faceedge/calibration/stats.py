"""Error rates and how far a count of trials supports them (no SciPy needed).

A measured rate is k errors in n trials. What it supports is its one-sided 95 % upper bound
(Clopper-Pearson: the largest p for which seeing k or fewer errors still has probability 5 %). With
k = 0 that bound is 1 - 0.05**(1/n), about 3/n: the "rule of three". A claim "rate <= r" is
supported only when the upper bound is <= r, so it needs at least :func:`trials_needed` trials.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

__all__ = ["CONFIDENCE", "upper_bound", "trials_needed", "supported", "threshold_at_rate",
           "count_at_or_above", "count_below"]

CONFIDENCE = 0.95  # one-sided


def _binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed in log space (k is small in practice)."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 1.0 if k >= n else 0.0
    lp, lq = math.log(p), math.log1p(-p)
    terms = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp + (n - i) * lq
             for i in range(0, k + 1)]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def upper_bound(errors: int, trials: int, confidence: float = CONFIDENCE) -> float:
    """One-sided Clopper-Pearson upper bound of a rate seen as ``errors`` in ``trials``."""
    k, n = int(errors), int(trials)
    if n <= 0:
        return 1.0
    if k >= n:
        return 1.0
    alpha = 1.0 - confidence
    if k == 0:
        return 1.0 - alpha ** (1.0 / n)
    lo, hi = k / n, 1.0
    for _ in range(100):  # bisection: the CDF falls as p grows
        mid = 0.5 * (lo + hi)
        if _binom_cdf(k, n, mid) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


def trials_needed(rate: float, confidence: float = CONFIDENCE) -> int:
    """The fewest error-free trials whose upper bound is <= ``rate`` (about 3 / rate)."""
    return int(math.ceil(math.log(1.0 - confidence) / math.log1p(-float(rate))))


def supported(errors: int, trials: int, rate: float, confidence: float = CONFIDENCE) -> bool:
    """Whether ``errors`` in ``trials`` supports the claim "rate <= ``rate``" at ``confidence``."""
    return trials > 0 and upper_bound(errors, trials, confidence) <= rate


def threshold_at_rate(scores: Sequence[float], rate: float, accept_above: bool = True) -> float:
    """The empirical operating point: the threshold t whose observed rate is at most ``rate``.

    ``accept_above``: the errors are the ``scores`` >= t (false accepts among impostor scores);
    t is the smallest value on a 1e-4 grid leaving at most floor(rate * n) of them at or above it.
    Otherwise the errors are the scores < t (false rejects among genuine scores); t is the
    largest grid value leaving at most floor(rate * n) of them below it.
    """
    s = np.sort(np.asarray(scores, dtype=np.float64))
    n = len(s)
    allowed = int(math.floor(rate * n + 1e-9))
    if accept_above:
        if allowed >= n:
            return round(math.floor(s[0] * 1e4) / 1e4, 4)
        worst_kept = s[n - 1 - allowed]  # the highest score that must be rejected
        return round(math.floor(worst_kept * 1e4) / 1e4 + 1e-4, 4)
    if allowed >= n:
        return round(math.ceil(s[-1] * 1e4) / 1e4 + 1e-4, 4)
    lowest_kept = s[allowed]  # the lowest score that must be accepted
    return round(math.floor(lowest_kept * 1e4) / 1e4, 4)


def count_at_or_above(scores: np.ndarray, t: float) -> int:
    """How many ``scores`` are >= t."""
    return int(np.count_nonzero(np.asarray(scores) >= t))


def count_below(scores: np.ndarray, t: float) -> int:
    """How many ``scores`` are < t."""
    return int(np.count_nonzero(np.asarray(scores) < t))
