"""Always-valid inference for A/B experiments: normal-mixture confidence sequences (mSPRT).

Why this and not a t-test: people look at experiment reports every day and stop when the
result looks good. A fixed-sample test checked at every look rejects a true null far more
often than its nominal level. The mixture sequential probability ratio test of Johari,
Pekelis and Walsh ("Always valid inference", 2017), the normal-mixture boundary of Howard,
Ramdas, McAuliffe and Sekhon ("Time-uniform, nonparametric, nonasymptotic confidence
sequences", 2021), stays valid at *every* look: its likelihood ratio, mixed over a normal
prior N(0, tau^2) on the effect, is a nonnegative martingale under the null, so by Ville's
inequality it ever exceeds 1/alpha with probability at most alpha.

For an estimate with (plug-in) sampling variance V, the mixture ratio against theta0 is

    Lambda = sqrt(V / (V + tau^2)) * exp(tau^2 (theta_hat - theta0)^2 / (2 V (V + tau^2)))

and inverting ``Lambda < 1/alpha`` gives the confidence sequence

    theta_hat +- sqrt(V (V + tau^2) / tau^2 * (2 log(1/alpha) + log((V + tau^2) / V))).

``1/Lambda`` is an always-valid p-value. Means use V = s^2/n, differences of two arms
V = s_a^2/n_a + s_b^2/n_b (the CLT version Johari et al. use for two-sample tests).
``tau`` is set from a standardized effect (``effect`` times the pooled standard deviation):
it is the effect size the test is most sensitive to; any value keeps the guarantee.
No library in the lock implements this, and the formula is three lines, so it is here.
Functions take NumPy arrays, so the simulation tests run the same code the report runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

ALPHA = 0.05
EFFECT = 0.25  # standardized effect the mixture is tuned to
MIN_N = 20  # per arm, before any interval is reported: plug-in variances need a few samples


def halfwidth(variance: ArrayLike, tau2: ArrayLike, alpha: float = ALPHA) -> NDArray[np.float64]:
    """Half-width of the normal-mixture confidence sequence; infinite where there is no variance yet."""
    v = np.asarray(variance, dtype=float)
    t = np.asarray(tau2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        width = np.sqrt(v * (v + t) / t * (2 * np.log(1 / alpha) + np.log((v + t) / v)))
    return np.where((v > 0) & (t > 0), width, np.inf)


def log_mixture_ratio(estimate: ArrayLike, variance: ArrayLike, tau2: ArrayLike) -> NDArray[np.float64]:
    """log Lambda against a zero effect (0 where there is no variance yet: no evidence)."""
    x = np.asarray(estimate, dtype=float)
    v = np.asarray(variance, dtype=float)
    t = np.asarray(tau2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = 0.5 * np.log(v / (v + t)) + t * x**2 / (2 * v * (v + t))
    return np.where((v > 0) & (t > 0), value, 0.0)


def difference(
    n_a: ArrayLike,
    mean_a: ArrayLike,
    var_a: ArrayLike,
    n_b: ArrayLike,
    mean_b: ArrayLike,
    var_b: ArrayLike,
    *,
    alpha: float = ALPHA,
    effect: float = EFFECT,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(b - a, half-width, always-valid p-value) for two arms given their sizes, means and variances."""
    na, nb = np.asarray(n_a, dtype=float), np.asarray(n_b, dtype=float)
    va, vb = np.asarray(var_a, dtype=float), np.asarray(var_b, dtype=float)
    estimate = np.asarray(mean_b, dtype=float) - np.asarray(mean_a, dtype=float)
    enough = (na >= MIN_N) & (nb >= MIN_N)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.where(enough, va / na + vb / nb, 0.0)
    pooled = np.where(enough, (va * na + vb * nb) / np.maximum(na + nb, 1), 0.0)
    tau2 = effect**2 * pooled
    p_value = np.minimum(1.0, np.exp(-log_mixture_ratio(estimate, variance, tau2)))
    return estimate, halfwidth(variance, tau2, alpha), p_value


@dataclass(frozen=True)
class Interval:
    """A mean (or a difference) with its always-valid confidence interval."""

    n: int
    estimate: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float | int | None]:
        finite = np.isfinite(self.low)
        return {
            "n": self.n,
            "estimate": round(self.estimate, 6),
            "low": round(self.low, 6) if finite else None,
            "high": round(self.high, 6) if finite else None,
        }


def mean_interval(values: ArrayLike, *, alpha: float = ALPHA, effect: float = EFFECT) -> Interval:
    """Always-valid interval for one arm's mean (tau from the arm's own standard deviation)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return Interval(0, float("nan"), -np.inf, np.inf)
    mean = float(x.mean())
    var = float(x.var(ddof=1)) if n > 1 else 0.0
    variance = var / n if n >= MIN_N else 0.0
    width = float(halfwidth(variance, effect**2 * var, alpha))
    return Interval(n, mean, mean - width, mean + width)


@dataclass(frozen=True)
class Comparison:
    """Treatment minus control for one metric, with the always-valid p-value and the decision."""

    difference: Interval
    p_value: float
    alpha: float

    @property
    def significant(self) -> bool:
        return self.p_value <= self.alpha

    def to_dict(self) -> dict[str, object]:
        return {**self.difference.to_dict(), "p_value": round(self.p_value, 6), "significant": self.significant}


def compare(control: ArrayLike, treatment: ArrayLike, *, alpha: float = ALPHA, effect: float = EFFECT) -> Comparison:
    a, b = np.asarray(control, dtype=float), np.asarray(treatment, dtype=float)
    var_a = float(a.var(ddof=1)) if len(a) > 1 else 0.0
    var_b = float(b.var(ddof=1)) if len(b) > 1 else 0.0
    mean_a = float(a.mean()) if len(a) else 0.0
    mean_b = float(b.mean()) if len(b) else 0.0
    estimate, width, p_value = difference(len(a), mean_a, var_a, len(b), mean_b, var_b, alpha=alpha, effect=effect)
    est, w = float(estimate), float(width)
    return Comparison(Interval(len(a) + len(b), est, est - w, est + w), float(p_value), alpha)


LOOKS = tuple(range(50, 2001, 50))


def peeking_rejections(
    a: NDArray[np.float64], b: NDArray[np.float64], looks: tuple[int, ...] = LOOKS, alpha: float = ALPHA
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """For experiments in rows (outcomes of arm a and arm b): rejected at *any* look by this test, and by a
    fixed-sample z-test read the same way."""
    mixture, naive = np.zeros(len(a), bool), np.zeros(len(a), bool)
    z_crit = float(norm.ppf(1 - alpha / 2))
    for n in looks:
        xa, xb = a[:, :n], b[:, :n]
        ma, mb, va, vb = xa.mean(1), xb.mean(1), xa.var(1, ddof=1), xb.var(1, ddof=1)
        _, _, p_value = difference(n, ma, va, n, mb, vb, alpha=alpha)
        mixture |= p_value <= alpha
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.nan_to_num(np.abs(mb - ma) / np.sqrt((va + vb) / n))
        naive |= z > z_crit
    return mixture, naive


def simulate_peeking(
    p_control: float, p_treatment: float, *, experiments: int = 600, alpha: float = ALPHA, seed: int = 0
) -> dict[str, float]:
    """Share of simulated binary experiments rejected at any of 40 looks, by this test and by a z-test.

    With equal rates this is the false-positive rate under peeking; with different ones, the power.
    """
    rng = np.random.default_rng(seed)
    shape = (experiments, max(LOOKS))
    a = (rng.random(shape) < p_control).astype(float)
    b = (rng.random(shape) < p_treatment).astype(float)
    mixture, naive = peeking_rejections(a, b, LOOKS, alpha)
    return {"mixture": float(mixture.mean()), "fixed_sample_z": float(naive.mean()), "looks": float(len(LOOKS))}
