"""The statistics behind every letter and arrow: effective bases under weights (Kish), the two-sample
z-test of proportions and Welch's t-test on effective bases, weighted means, variances and medians,
and the correction for many tests (Holm, Benjamini-Hochberg)."""

from __future__ import annotations

import numpy as np
from scipy import stats


def effective_base(w: np.ndarray) -> float:
    """Kish's effective sample size (Σw)² / Σw²."""
    s2 = float(np.sum(w**2))
    return float(np.sum(w)) ** 2 / s2 if s2 > 0 else 0.0


def proportion_z(
    p1: np.ndarray, n1: np.ndarray, p2: np.ndarray, n2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pooled two-proportion z-test (no continuity correction): z and two-sided p-values."""
    p1, n1, p2, n2 = (np.asarray(a, dtype=float) for a in (p1, n1, p2, n2))
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (p1 - p2) / se, 0.0)
    return z, 2 * stats.norm.sf(np.abs(z))


def welch_t(m1: float, v1: float, n1: float, m2: float, v2: float, n2: float) -> tuple[float, float]:
    """Welch's unequal-variance t-test from means, variances and (effective) bases."""
    a, b = v1 / n1, v2 / n2
    se = np.sqrt(a + b)
    if not se > 0 or n1 < 2 or n2 < 2:
        return 0.0, 1.0
    t = (m1 - m2) / se
    df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
    return float(t), float(2 * stats.t.sf(abs(t), df))


def weighted_mean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """Weighted mean, variance (weights rescaled to the effective base) and effective base."""
    ok = ~np.isnan(x)
    x, w = x[ok], w[ok]
    if not len(x) or w.sum() <= 0:
        return np.nan, np.nan, 0.0
    n_eff = effective_base(w)
    mean = float(np.average(x, weights=w))
    scaled = w * n_eff / w.sum()
    var = float(np.sum(scaled * (x - mean) ** 2) / (n_eff - 1)) if n_eff > 1 else np.nan
    return mean, var, n_eff


def weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    """The value below which half the weight lies."""
    ok = ~np.isnan(x)
    x, w = x[ok], w[ok]
    if not len(x):
        return np.nan
    order = np.argsort(x)
    cum = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cum, cum[-1] / 2)])


def adjust(pvalues: np.ndarray, method: str) -> np.ndarray:
    """Multiple-comparison correction of one family of p-values (Holm, Bonferroni or BH)."""
    # Written out rather than calling statsmodels' multipletests, which runs a full garbage
    # collection on every call (~90 ms); a banner report corrects thousands of small families.
    # tests/test_crosstab.py checks these against multipletests.
    p = np.asarray(pvalues, dtype=float)
    m = len(p)
    if method == "none" or m == 0:
        return p
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    if method == "fdr_bh":
        return stats.false_discovery_control(p, method="bh")
    order = np.argsort(p)  # holm: step-down, monotone
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out
