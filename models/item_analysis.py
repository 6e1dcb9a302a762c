"""Classical item analysis of an assessment (as Moodle's quiz statistics report does), plus optional IRT 2PL.

Input is a dense learners x items matrix of scores in [0, 1] (the fraction of the item's marks earned, NaN where
the learner did not see the item) and, for multiple-choice items, the option each learner chose and the key.

Per item: facility, corrected point-biserial discrimination (against the rest score), alpha-if-item-deleted,
distractor analysis against the top and bottom 27% of learners, and flags with a reason each. Per test:
Cronbach's alpha (and KR-20 when every score is 0/1). With ``irt=True``: 2PL ``a``/``b`` from the project's joint
MAP calibration (:class:`models.irt.model.IRT2PL`), linearly rescaled to unit-normal abilities, and an outfit
mean-square per item.

Missing data: facility and discrimination use every learner who answered the item (pairwise); alpha,
alpha-if-deleted and KR-20 use only learners who answered every item (listwise), so they are computed on one
common sample, as the alpha formula assumes.

Everything is vectorized numpy/scipy and does no I/O; importing builds only two small constant arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import expit, log_expit, logsumexp

Severity = Literal["high", "medium", "low"]
Flag = tuple[Severity, str, str]
"""(severity, code, human-readable reason)."""

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Flag thresholds. Alpha < 0.64: Moodle's "unsatisfactory" internal consistency. The discrimination cut-offs are
# Moodle-style (its report marks a question dubious below 15% discriminative efficiency, and its question bank says
# "needs checking" below 30% discrimination index); here both apply to the rest-score correlation. Facility and the
# 5% distractor rule are the usual item-writing rules of thumb and get a lower severity.
DISCRIMINATION_DUBIOUS = 0.15
DISCRIMINATION_CHECK = 0.30
ALPHA_UNSATISFACTORY = 0.64
FACILITY_TOO_EASY = 0.95
FACILITY_TOO_HARD = 0.05
DISTRACTOR_MIN_SHARE = 0.05
GROUP_FRACTION = 0.27
IRT_CORRECT_AT = 0.5  # a score at or above this counts as correct for the dichotomous 2PL

_THETA_GRID = np.linspace(-6.0, 6.0, 121)  # quadrature grid for abilities, in standard deviations
_LOG_PRIOR = -0.5 * _THETA_GRID**2 - math.log(np.sum(np.exp(-0.5 * _THETA_GRID**2)))  # normalized N(0, 1) weights


@dataclass(frozen=True, slots=True)
class OptionStats:
    """How often one option of a multiple-choice item was chosen, overall and in the extreme groups.

    Shares are of the learners who chose some option of this item (overall, in the top group, in the bottom
    group); NaN when that denominator is empty.
    """

    option: str
    is_key: bool
    count: int
    share: float
    share_top: float
    share_bottom: float
    non_functional: bool
    attracts_strong: bool


@dataclass(frozen=True, slots=True)
class IrtItemStats:
    """2PL discrimination ``a``, difficulty ``b`` and outfit mean-square (about 1 when the item fits)."""

    a: float
    b: float
    outfit: float


@dataclass(frozen=True, slots=True)
class ItemStats:
    """Statistics of one item; ``flags`` holds (severity, code, reason) for anything worth a look."""

    index: int
    item_id: str
    n_answered: int
    facility: float
    sd: float
    discrimination: float
    alpha_if_deleted: float
    options: tuple[OptionStats, ...]
    irt: IrtItemStats | None
    flags: tuple[Flag, ...]


@dataclass(frozen=True, slots=True)
class TestStats:
    """Whole-test statistics. ``alpha`` and ``kr20`` are listwise: over the ``n_complete`` learners who answered
    every item. ``group_size`` is the size of each 27% extreme group used for the distractor analysis."""

    __test__ = False  # not a pytest test class, despite the name

    n_learners: int
    n_items: int
    n_complete: int
    group_size: int
    alpha: float
    kr20: float
    dichotomous: bool
    flags: tuple[Flag, ...]


@dataclass(frozen=True, slots=True)
class ItemAnalysis:
    """The report: test statistics, one :class:`ItemStats` per item (in column order) and, with IRT, the EAP
    ability per learner row (NaN for a learner who answered nothing) and the calibration's L-BFGS iterations."""

    test: TestStats
    items: tuple[ItemStats, ...]
    theta: tuple[float, ...] | None = None
    irt_iterations: int | None = None


def _fmt(value: float, threshold: float) -> str:
    """Two decimals, or more when two would print the value equal to the threshold it is compared with."""
    for digits in range(2, 7):
        text = f"{value:.{digits}f}"
        if text != f"{threshold:.{digits}f}":
            return text
    return repr(value)


def item_flags(facility: float, discrimination: float) -> tuple[Flag, ...]:
    """Flags from an item's facility and discrimination (Moodle's cut-offs; strict inequalities)."""
    if math.isnan(facility):
        return (("low", "no_answers", "no learner answered this item"),)
    flags: list[Flag] = []
    if math.isnan(discrimination):
        flags.append(
            ("low", "discrimination_undefined", "discrimination is undefined: item or rest score does not vary")
        )
    elif discrimination < DISCRIMINATION_DUBIOUS:
        reason = f"discrimination {_fmt(discrimination, DISCRIMINATION_DUBIOUS)} is below {DISCRIMINATION_DUBIOUS:.2f}"
        flags.append(("high", "dubious", reason))
    elif discrimination < DISCRIMINATION_CHECK:
        reason = f"discrimination {_fmt(discrimination, DISCRIMINATION_CHECK)} is below {DISCRIMINATION_CHECK:.2f}"
        flags.append(("medium", "likely_needs_checking", reason))
    if facility > FACILITY_TOO_EASY:
        reason = f"facility {_fmt(facility, FACILITY_TOO_EASY)} is above {FACILITY_TOO_EASY:.2f} (too easy)"
        flags.append(("low", "too_easy", reason))
    elif facility < FACILITY_TOO_HARD:
        reason = f"facility {_fmt(facility, FACILITY_TOO_HARD)} is below {FACILITY_TOO_HARD:.2f} (too hard)"
        flags.append(("low", "too_hard", reason))
    return tuple(flags)


def reliability_flags(alpha: float) -> tuple[Flag, ...]:
    """Flags for the whole test: Moodle calls internal consistency below 64% unsatisfactory."""
    if math.isnan(alpha):
        reason = "Cronbach's alpha is undefined: fewer than 2 items or complete learners, or totals do not vary"
        return (("low", "alpha_undefined", reason),)
    if alpha < ALPHA_UNSATISFACTORY:
        reason = f"Cronbach's alpha {_fmt(alpha, ALPHA_UNSATISFACTORY)} is below {ALPHA_UNSATISFACTORY:.2f}"
        return (("high", "alpha_unsatisfactory", reason),)
    return ()


def _option_flags(options: Sequence[OptionStats]) -> list[Flag]:
    flags: list[Flag] = []
    for opt in options:
        if opt.non_functional:
            reason = f"distractor {opt.option!r} is chosen by {opt.share:.1%} of answerers, below 5%"
            flags.append(("low", "non_functional_distractor", reason))
        if opt.attracts_strong:
            reason = (
                f"distractor {opt.option!r} is chosen by {opt.share_top:.1%} of the top 27% "
                f"but {opt.share_bottom:.1%} of the bottom 27%"
            )
            flags.append(("medium", "distractor_attracts_strong", reason))
    return flags


# --------------------------------------------------------------------------------------------------- validation


def _as_scores(scores: npt.ArrayLike) -> FloatArray:
    try:
        matrix = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"scores must be numeric (fractions in [0, 1] or NaN): {error}") from None
    if matrix.ndim != 2:
        raise ValueError(f"scores must be a 2-D learners x items matrix, got {matrix.ndim}-D shape {matrix.shape}")
    n, k = matrix.shape
    if n < 2 or k < 1:
        raise ValueError(f"scores needs at least 2 learners and 1 item, got shape {matrix.shape}")
    bad = ~np.isnan(matrix) & ~((matrix >= 0.0) & (matrix <= 1.0))
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError(
            f"scores must lie in [0, 1] (the fraction of the item's marks) or be NaN; "
            f"found {float(matrix[row, col])!r} at learner {row}, item {col} ({int(bad.sum())} such value(s))"
        )
    return matrix


def _answered(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, float):
        return not math.isnan(value)
    return value != ""


def _as_choices(
    choices: npt.ArrayLike,
    keys: Sequence[str | None] | None,
    options: Sequence[Sequence[str] | None] | None,
    scores: FloatArray,
) -> tuple[npt.NDArray[np.object_], BoolArray, list[str | None]]:
    k = scores.shape[1]
    matrix = np.asarray(choices, dtype=object)
    if matrix.shape != scores.shape:
        raise ValueError(f"choices must have the shape of scores {scores.shape}, got {matrix.shape}")
    if keys is None:
        raise ValueError("choices were given without keys: pass one key per item (None for non-choice items)")
    if isinstance(keys, str) or len(keys) != k:
        raise ValueError(f"keys must be a sequence of one key per item ({k}), got {_length(keys)}")
    if options is not None and (isinstance(options, str) or len(options) != k):
        raise ValueError(f"options must be a sequence of one option list per item ({k}), got {_length(options)}")
    present = np.frompyfunc(_answered, 1, 1)(matrix).astype(bool)
    unseen = present & np.isnan(scores)
    if unseen.any():
        row, col = (int(v) for v in np.argwhere(unseen)[0])
        raise ValueError(f"learner {row} chose {matrix[row, col]!r} on item {col} but has no score there (NaN)")
    return matrix, present, [None if key is None else str(key) for key in keys]


def _length(value: object) -> str:
    return f"length {len(value)}" if isinstance(value, Sequence) and not isinstance(value, str) else repr(value)


# --------------------------------------------------------------------------------------------------- statistics


def _pairwise_item_stats(scores: FloatArray, answered: BoolArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Facility, SD and rest-score correlation per item over that item's answerers (two-pass, for accuracy)."""
    x = np.where(answered, scores, 0.0)
    count = answered.sum(axis=0).astype(np.float64)
    rest = x.sum(axis=1, keepdims=True) - x  # total on the other answered items
    with np.errstate(invalid="ignore", divide="ignore"):
        facility = x.sum(axis=0) / count
        rest_mean = np.where(answered, rest, 0.0).sum(axis=0) / count
        dx = np.where(answered, x - facility, 0.0)
        dr = np.where(answered, rest - rest_mean, 0.0)
        sxx = np.einsum("ij,ij->j", dx, dx)
        srr = np.einsum("ij,ij->j", dr, dr)
        sxr = np.einsum("ij,ij->j", dx, dr)
        sd = np.sqrt(sxx / (count - 1.0))
        discrimination = sxr / np.sqrt(sxx * srr)
    # Zero variance is decided exactly (max == min), not from rounded sums that may be 1e-30 instead of 0.
    flat_x = np.where(answered, x, np.inf).min(axis=0) == np.where(answered, x, -np.inf).max(axis=0)
    flat_r = np.where(answered, rest, np.inf).min(axis=0) == np.where(answered, rest, -np.inf).max(axis=0)
    discrimination[flat_x | flat_r | (count < 2)] = np.nan
    sd[count < 2] = np.nan
    return facility, sd, discrimination


def _reliability(scores: FloatArray, dichotomous: bool) -> tuple[int, float, float, FloatArray]:
    """Cronbach's alpha, KR-20 and alpha-if-deleted over complete rows (listwise deletion)."""
    k = scores.shape[1]
    complete = scores[~np.isnan(scores).any(axis=1)]
    n = complete.shape[0]
    alpha_deleted = np.full(k, np.nan)
    if n < 2 or k < 2:
        return n, math.nan, math.nan, alpha_deleted
    total = complete.sum(axis=1)
    item_var = complete.var(axis=0, ddof=1)
    alpha = kr20 = math.nan
    if np.ptp(total) > 0:
        alpha = k / (k - 1) * (1.0 - item_var.sum() / total.var(ddof=1))
        if dichotomous:
            p = complete.mean(axis=0)
            kr20 = k / (k - 1) * (1.0 - float(np.sum(p * (1.0 - p))) / total.var(ddof=0))
    if k >= 3:
        rest = total[:, None] - complete
        rest_var = rest.var(axis=0, ddof=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha_deleted = (k - 1) / (k - 2) * (1.0 - (item_var.sum() - item_var) / rest_var)
        alpha_deleted[np.ptp(rest, axis=0) == 0] = np.nan
    return n, float(alpha), float(kr20), alpha_deleted


def _extreme_groups(total: FloatArray, ranked: BoolArray) -> tuple[BoolArray, BoolArray, int]:
    """Top and bottom 27% of the ranked learners by total.

    A stable sort on the total, descending, ranks them: among learners with equal totals the earlier row ranks
    higher. Each group holds round(0.27 * ranked) learners (at least 1), so a tie at a boundary is split by row
    order rather than growing the group.
    """
    rows = np.flatnonzero(ranked)
    order = rows[np.argsort(-total[rows], kind="stable")]
    size = max(1, math.floor(GROUP_FRACTION * len(rows) + 0.5)) if len(rows) else 0
    top = np.zeros(total.shape[0], dtype=bool)
    bottom = np.zeros(total.shape[0], dtype=bool)
    top[order[:size]] = True
    bottom[order[len(order) - size :]] = True
    return top, bottom, size


def _share(part: npt.NDArray[np.int64], whole: int) -> FloatArray:
    return part / whole if whole > 0 else np.full(part.shape, np.nan)


def _option_stats(
    column: npt.NDArray[np.object_],
    present: BoolArray,
    top: BoolArray,
    bottom: BoolArray,
    key: str,
    offered: Sequence[str] | None,
    item: int,
) -> tuple[OptionStats, ...]:
    """Counts per option via one ``np.unique`` and three bincounts; shares are of learners who chose an option."""
    labels = column[present].astype(str)
    observed, inverse = np.unique(labels, return_inverse=True)
    if offered is None:
        names = sorted({*observed.tolist(), key})
    else:
        names = [str(name) for name in offered]
        if len(set(names)) != len(names):
            raise ValueError(f"item {item}: options repeat a name: {names}")
        if key not in names:
            raise ValueError(f"item {item}: key {key!r} is not one of its options {names}")
        unknown = sorted(set(observed.tolist()) - set(names))
        if unknown:
            raise ValueError(f"item {item}: chosen option(s) {unknown} are not among its options {names}")
    position = {name: i for i, name in enumerate(names)}
    codes = np.array([position[name] for name in observed.tolist()], dtype=np.int64)[inverse]
    in_top, in_bottom = top[present], bottom[present]
    m = len(names)
    count = np.bincount(codes, minlength=m)
    share = _share(count, len(codes))
    share_top = _share(np.bincount(codes[in_top], minlength=m), int(in_top.sum()))
    share_bottom = _share(np.bincount(codes[in_bottom], minlength=m), int(in_bottom.sum()))
    out = []
    for i, name in enumerate(names):
        distractor = name != key
        out.append(
            OptionStats(
                option=name,
                is_key=not distractor,
                count=int(count[i]),
                share=float(share[i]),
                share_top=float(share_top[i]),
                share_bottom=float(share_bottom[i]),
                non_functional=bool(distractor and share[i] < DISTRACTOR_MIN_SHARE),
                attracts_strong=bool(distractor and share_top[i] > share_bottom[i]),
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------------------------------------- IRT


def _grid_posterior(
    params: FloatArray, a: FloatArray, b: FloatArray, right: FloatArray, seen: FloatArray
) -> tuple[float, FloatArray, FloatArray]:
    """Marginal NLL of the responses, its gradient and the grid posterior, for abilities ``s * x + mu``.

    ``params`` is (log s, mu); ``x`` runs over the grid under a standard normal prior. ``a`` and ``b`` are on the
    calibration's own scale, so (s, mu) say where a unit-normal ability sits on that scale.
    """
    x = _THETA_GRID
    scale, shift = math.exp(params[0]), params[1]
    z = a[:, None] * ((scale * x + shift)[None, :] - b[:, None])  # items x grid
    loglik = right @ log_expit(z) + (seen - right) @ log_expit(-z) + _LOG_PRIOR  # learners x grid
    norm = logsumexp(loglik, axis=1, keepdims=True)
    post = np.exp(loglik - norm)
    slope = (right @ a)[:, None] - seen @ (a[:, None] * expit(z))  # d loglik / d ability, learners x grid
    weighted = post * slope
    grad = -np.array([scale * float(np.sum(weighted @ x)), float(weighted.sum())])
    return -float(norm.sum()), grad, post


def _irt(
    scores: FloatArray, answered: BoolArray, max_iter: int, rescale: bool
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, int]:
    """Calibrate with the project's joint-MAP 2PL, optionally put it on a unit-normal ability scale, then EAP
    abilities and outfit per item.

    Why rescale: a 2PL fixes its ability scale only up to a linear map, and joint MAP picks it through the
    priors. An N(0, 1) prior on each of n learners against a log-normal prior on k item slopes pulls the
    abilities together when n >> k (the likelihood does not change if theta shrinks by c while a grows by c),
    so raw ``a`` comes out inflated and ``b`` compressed: about 5x at 2,000 learners x 20 items, 1.5x at
    2,000 x 500 in simulation. The rescale keeps the calibration and only chooses the linear map (s, mu) that
    maximizes the marginal likelihood with abilities ~ N(0, 1), the usual identification:
    ``a' = a * s``, ``b' = (b - mu) / s``.

    :class:`IRT2PL` keeps no abilities (they stay inside ``fit``), so abilities are EAP on a grid given the
    item parameters; with ``rescale=False`` they use the calibration's own N(0, prior_sd_theta^2) prior.
    """
    import pandas as pd  # the classical path needs neither pandas nor the IRT module

    from models.irt.model import IRT2PL

    k = scores.shape[1]
    rows, cols = np.nonzero(answered)
    correct = scores[rows, cols] >= IRT_CORRECT_AT
    frame = pd.DataFrame(
        {
            "user_id": rows,
            "skill_id": "assessment",
            "item_id": cols,
            "correct": correct.astype(np.int64),
            "seq": cols.astype(np.int64),
        }
    )
    model = IRT2PL(item_column="item_id", max_iter=max_iter).fit(frame)
    table = model.item_table().reindex([str(j) for j in range(k)])
    a = table["a"].to_numpy(dtype=np.float64)
    b = table["b"].to_numpy(dtype=np.float64)
    a0, b0 = np.nan_to_num(a), np.nan_to_num(b)  # an unanswered item has no responses, so no weight below

    y = answered & (scores >= IRT_CORRECT_AT)
    right, seen = y.astype(np.float64), answered.astype(np.float64)
    params = np.array([math.log(model.prior_sd_theta), 0.0])
    if rescale:
        fitted = minimize(_grid_posterior, params, args=(a0, b0, right, seen), jac=True, method="L-BFGS-B")
        params = fitted.x
    _, _, post = _grid_posterior(params, a0, b0, right, seen)
    scale, shift = math.exp(params[0]), float(params[1])
    unit_theta = post @ _THETA_GRID  # EAP on the unit-normal scale
    if rescale:
        a, b, theta = a * scale, (b - shift) / scale, unit_theta
    else:
        theta = scale * unit_theta + shift
    theta[~answered.any(axis=1)] = np.nan

    # Squared standardized residual (y - p)^2 / (p (1 - p)) simplifies to exp(-z) when y = 1 and exp(z) when
    # y = 0 (z the logit): exact where p rounds to 0 or 1 and the textbook form would divide 0 by 0.
    z = np.nan_to_num(a)[None, :] * (np.nan_to_num(theta)[:, None] - np.nan_to_num(b)[None, :])
    z2 = np.where(answered, np.exp(np.where(y, -z, z)), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        outfit = z2.sum(axis=0) / answered.sum(axis=0)
    return a, b, outfit, theta, int(model.fit_info_.get("iterations", 0))


# --------------------------------------------------------------------------------------------------------- API


def analyze_items(
    scores: npt.ArrayLike,
    choices: npt.ArrayLike | None = None,
    keys: Sequence[str | None] | None = None,
    *,
    options: Sequence[Sequence[str] | None] | None = None,
    item_ids: Sequence[str] | None = None,
    irt: bool = False,
    irt_max_iter: int = 500,
    irt_rescale: bool = True,
) -> ItemAnalysis:
    """Item analysis of one assessment.

    ``scores``: learners x items, each the fraction of the item's marks earned in [0, 1], NaN where unseen.
    ``choices``/``keys``: for multiple-choice items, the option each learner chose (None, "" or NaN when none)
    and each item's key (None for items without options, which get no distractor analysis). ``options``
    optionally lists every option offered per item, so that a distractor nobody picked still shows up;
    otherwise the options are those chosen plus the key.

    Pairwise vs listwise: facility, SD and discrimination use each item's answerers; alpha, KR-20 and
    alpha-if-deleted use only learners who answered every item. The extreme groups rank learners who answered
    at least one item by their summed score (see :func:`_extreme_groups` for ties). ``irt=True`` adds the 2PL
    calibration (score >= 0.5 counts as correct), which is much slower than the rest; ``irt_rescale`` (default)
    reports ``a``/``b`` on a unit-normal ability scale rather than the raw joint-MAP scale (see :func:`_irt`).

    Raises ValueError on a malformed input, naming the problem.
    """
    matrix = _as_scores(scores)
    n, k = matrix.shape
    if item_ids is not None and (isinstance(item_ids, str) or len(item_ids) != k):
        raise ValueError(f"item_ids must name each of the {k} items, got {_length(item_ids)}")
    if choices is None and (keys is not None or options is not None):
        raise ValueError("keys/options were given without choices")
    if irt_max_iter < 1:
        raise ValueError(f"irt_max_iter must be positive, got {irt_max_iter}")
    ids = [str(v) for v in item_ids] if item_ids is not None else [str(j) for j in range(k)]

    answered = ~np.isnan(matrix)
    facility, sd, discrimination = _pairwise_item_stats(matrix, answered)
    observed = matrix[answered]
    dichotomous = bool(np.all((observed == 0.0) | (observed == 1.0)))
    n_complete, alpha, kr20, alpha_deleted = _reliability(matrix, dichotomous)

    total = np.where(answered, matrix, 0.0).sum(axis=1)
    ranked: BoolArray = np.any(answered, axis=1)
    top, bottom, group_size = _extreme_groups(total, ranked)

    option_stats: list[tuple[OptionStats, ...]] = [() for _ in range(k)]
    if choices is not None:
        chosen, present, key_list = _as_choices(choices, keys, options, matrix)
        for j, key in enumerate(key_list):
            if key is not None:
                offered = options[j] if options is not None else None
                option_stats[j] = _option_stats(chosen[:, j], present[:, j], top, bottom, key, offered, j)

    irt_items: list[IrtItemStats | None] = [None] * k
    theta: tuple[float, ...] | None = None
    iterations: int | None = None
    if irt:
        a, b, outfit, abilities, iterations = _irt(matrix, answered, irt_max_iter, irt_rescale)
        irt_items = [IrtItemStats(float(a[j]), float(b[j]), float(outfit[j])) for j in range(k)]
        theta = tuple(abilities.tolist())

    counts = answered.sum(axis=0)
    items = tuple(
        ItemStats(
            index=j,
            item_id=ids[j],
            n_answered=int(counts[j]),
            facility=float(facility[j]),
            sd=float(sd[j]),
            discrimination=float(discrimination[j]),
            alpha_if_deleted=float(alpha_deleted[j]),
            options=option_stats[j],
            irt=irt_items[j],
            flags=item_flags(float(facility[j]), float(discrimination[j])) + tuple(_option_flags(option_stats[j])),
        )
        for j in range(k)
    )
    test = TestStats(
        n_learners=n,
        n_items=k,
        n_complete=n_complete,
        group_size=group_size,
        alpha=alpha,
        kr20=kr20,
        dichotomous=dichotomous,
        flags=reliability_flags(alpha),
    )
    return ItemAnalysis(test=test, items=items, theta=theta, irt_iterations=iterations)
