"""Batched forward-backward and EM for two-state hidden Markov knowledge tracing.

Every (learner, skill) history is one sequence. Instead of looping over sequences, the
engine lays all sequences out *time-major*: sequences are ranked by length, longest
first, so the sequences still running at step ``t`` are always a prefix of the ranking
and step ``t`` is one contiguous slice of every array. One Python loop over time then
advances every learner of every skill at once with a handful of numpy operations, and
the M-step is a few ``bincount`` calls. That is what makes it fast; the maths is the
textbook scaled forward-backward, with parameters gathered per row so that per-class
guess/slip, per-class learn/forget and per-class priors cost nothing extra.

Written here rather than taken from a library because no maintained package offers a
vectorized BKT with the usual knowledge-tracing parameterization (see ``models.bkt``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

EPS = 1e-12
#: Parameters are kept inside (CLIP, 1 - CLIP) so that no likelihood is exactly zero.
CLIP = 1e-10


@dataclass(frozen=True)
class Layout:
    """Rows of many sequences arranged time-major (see module docstring).

    ``order[k]`` is the original row at time-major position ``k``; ``offsets[t]`` is where
    step ``t`` starts; ``rank_of_row`` ranks each position's sequence; ``seq_of_pos`` gives
    the original sequence id at each position.
    """

    order: np.ndarray
    offsets: np.ndarray
    seq_of_pos: np.ndarray
    first_seq: np.ndarray  # original sequence id for each rank (sequences at t = 0)
    has_next: np.ndarray  # bool per position: its sequence continues after it
    n_rows: int

    @property
    def steps(self) -> int:
        return len(self.offsets) - 1

    def width(self, t: int) -> int:
        return int(self.offsets[t + 1] - self.offsets[t])


def build_layout(seq_ids: np.ndarray) -> Layout:
    """Lay out rows whose sequence ids are ``seq_ids`` (rows already in time order per sequence).

    ``seq_ids`` must be dense integers ``0..S-1``; rows of one sequence may be interleaved
    with other sequences' rows, their relative order is their time order.
    """
    seq_ids = np.asarray(seq_ids, dtype=np.int64)
    n = len(seq_ids)
    n_seq = int(seq_ids.max()) + 1 if n else 0
    lengths = np.bincount(seq_ids, minlength=n_seq)
    # rows grouped by sequence, time order kept (stable sort)
    by_seq = np.argsort(seq_ids, kind="stable")
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    position = np.arange(n) - np.repeat(starts, lengths)  # position within its sequence, in by_seq order
    rank_order = np.argsort(-lengths, kind="stable")  # rank -> sequence
    rank = np.empty(n_seq, dtype=np.int64)
    rank[rank_order] = np.arange(n_seq)
    t_max = int(lengths.max()) if n else 0
    sorted_lengths = lengths[rank_order]
    counts = np.bincount(sorted_lengths, minlength=t_max + 1)  # how many sequences have each length
    widths = n_seq - np.cumsum(counts)[:t_max]  # sequences with length > t
    offsets = np.concatenate(([0], np.cumsum(widths))).astype(np.int64)
    seq_sorted = seq_ids[by_seq]
    tm_pos = offsets[position] + rank[seq_sorted]
    order = np.empty(n, dtype=np.int64)
    order[tm_pos] = by_seq
    has_next = np.empty(n, dtype=bool)
    has_next[tm_pos] = position < lengths[seq_sorted] - 1
    return Layout(
        order=order,
        offsets=offsets,
        seq_of_pos=seq_ids[order],
        first_seq=rank_order,
        has_next=has_next,
        n_rows=n,
    )


@dataclass
class RowParams:
    """Per-position (time-major) parameters; ``learn``/``forget`` govern the step *after* the row."""

    prior: np.ndarray  # per rank (sequence), length width(0)
    learn: np.ndarray
    forget: np.ndarray
    guess: np.ndarray
    slip: np.ndarray


@dataclass
class ForwardResult:
    """Both state probabilities are kept, not ``p`` and ``1 - p``: long runs of correct answers
    drive P(unknown) far below machine epsilon, and a later wrong answer must still be able
    to raise it again (``1 - p`` would have rounded it to exactly zero)."""

    known_minus: np.ndarray  # P(known before answering row | earlier rows)
    unknown_minus: np.ndarray
    known_filtered: np.ndarray  # P(known after answering row | rows up to it)
    unknown_filtered: np.ndarray
    scale: np.ndarray  # P(observed answer | earlier rows)


def forward(layout: Layout, obs: np.ndarray, rp: RowParams) -> ForwardResult:
    """Filter all sequences at once; ``obs`` is 0/1 in time-major order.

    Everything that does not depend on the previous step is computed once, vectorized,
    so each step is a few in-place ufunc calls on contiguous slices.
    """
    n = layout.n_rows
    e1 = np.where(obs > 0, 1.0 - rp.slip, rp.slip)  # P(answer | known)
    e0 = np.where(obs > 0, rp.guess, 1.0 - rp.guess)  # P(answer | unknown)
    learn, forget = rp.learn, rp.forget
    keep, stay_unknown = 1.0 - forget, 1.0 - learn
    with_forgets = bool(np.any(forget > 0))
    k_minus, u_minus = np.empty(n), np.empty(n)
    k_filt, u_filt = np.empty(n), np.empty(n)
    scale = np.empty(n)
    tmp = np.empty(n)
    off = layout.offsets.tolist()
    w0 = off[1]
    k_minus[:w0] = rp.prior[:w0]
    u_minus[:w0] = 1.0 - rp.prior[:w0]
    for t in range(layout.steps):
        a, b = off[t], off[t + 1]
        km, um = k_minus[a:b], u_minus[a:b]
        if t:
            pa = off[t - 1]
            pe = pa + b - a
            kp, up = k_filt[pa:pe], u_filt[pa:pe]
            tm = tmp[a:b]
            np.multiply(up, learn[pa:pe], out=km)  # unknown -> known
            if with_forgets:
                np.multiply(kp, keep[pa:pe], out=tm)
                km += tm
                np.multiply(kp, forget[pa:pe], out=um)
                np.multiply(up, stay_unknown[pa:pe], out=tm)
                um += tm
            else:
                km += kp
                np.multiply(up, stay_unknown[pa:pe], out=um)
        kf, uf, c = k_filt[a:b], u_filt[a:b], scale[a:b]
        np.multiply(km, e1[a:b], out=kf)
        np.multiply(um, e0[a:b], out=uf)
        np.add(kf, uf, out=c)
        kf /= c
        uf /= c
    return ForwardResult(k_minus, u_minus, k_filt, u_filt, scale)


@dataclass
class Posterior:
    smoothed: np.ndarray  # P(known at row | whole sequence)
    smoothed_unknown: np.ndarray  # P(unknown at row | whole sequence), kept precise on its own
    learn_events: np.ndarray  # expected unknown -> known transitions after the row
    forget_events: np.ndarray  # expected known -> unknown transitions after the row
    has_next: np.ndarray  # bool: the row has a successor in its sequence


def backward(layout: Layout, fw: ForwardResult, rp: RowParams) -> Posterior:
    """Two-state smoother in probability form (no underflow, no scaling bookkeeping).

    With ``u = g1_{t+1} / pm1_{t+1}`` and ``v = g0_{t+1} / pm0_{t+1}`` (smoothed over predicted
    probability of each state at the next row), ``g1_t = pf1_t ((1 - f) u + f v)`` and
    ``g0_t = pf0_t (l u + (1 - l) v)``; ``u`` and ``v`` are kept per row so the expected
    transition counts follow without another loop.
    """
    n = layout.n_rows
    tiny = np.finfo(float).tiny
    inv_known = 1.0 / np.maximum(fw.known_minus, tiny)
    inv_unknown = 1.0 / np.maximum(fw.unknown_minus, tiny)
    pf1, pf0 = fw.known_filtered, fw.unknown_filtered
    k_keep, k_lose = pf1 * (1.0 - rp.forget), pf1 * rp.forget
    u_learn, u_stay = pf0 * rp.learn, pf0 * (1.0 - rp.learn)
    with_forgets = bool(np.any(rp.forget > 0))
    g1, g0 = pf1.copy(), pf0.copy()  # the last row of every sequence keeps its filtered value
    up, down = np.zeros(n), np.zeros(n)
    tmp = np.empty(n)
    off = layout.offsets.tolist()
    for t in range(layout.steps - 2, -1, -1):
        a, na, nb = off[t], off[t + 1], off[t + 2]
        e = a + nb - na  # rows at t whose sequence continues
        u, v, tm = up[a:e], down[a:e], tmp[a:e]
        np.multiply(g1[na:nb], inv_known[na:nb], out=u)
        np.multiply(g0[na:nb], inv_unknown[na:nb], out=v)
        h1, h0 = g1[a:e], g0[a:e]
        np.multiply(k_keep[a:e], u, out=h1)
        if with_forgets:
            np.multiply(k_lose[a:e], v, out=tm)
            h1 += tm
        np.multiply(u_learn[a:e], u, out=h0)
        np.multiply(u_stay[a:e], v, out=tm)
        h0 += tm
    return Posterior(g1, g0, u_learn * up, k_lose * down, layout.has_next)


def _ratio(num: np.ndarray, den: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """num / den where there is evidence, else the previous value; kept inside (0, 1)."""
    out = previous.copy()
    ok = den > EPS
    out[ok] = num[ok] / den[ok]
    return np.clip(out, CLIP, 1.0 - CLIP)


@dataclass
class ParamTables:
    """Flat parameter tables; rows point into them through index arrays."""

    prior: np.ndarray
    learn: np.ndarray
    forget: np.ndarray
    guess: np.ndarray
    slip: np.ndarray

    def copy(self) -> ParamTables:
        return ParamTables(*(getattr(self, f).copy() for f in ("prior", "learn", "forget", "guess", "slip")))


@dataclass
class Indices:
    """Where each original row / sequence looks up its parameters, plus its skill."""

    row_learn: np.ndarray  # per original row -> learn/forget table index
    row_gs: np.ndarray  # per original row -> guess/slip table index
    seq_prior: np.ndarray  # per sequence -> prior table index
    seq_skill: np.ndarray  # per sequence -> skill index
    # owning skill of every table entry (to freeze converged skills)
    learn_skill: np.ndarray
    gs_skill: np.ndarray
    prior_skill: np.ndarray


def gather(layout: Layout, idx: Indices, tables: ParamTables) -> RowParams:
    return _Batch(layout, idx, np.zeros(layout.n_rows)).params(tables)


class _Batch:
    """A layout plus everything per-row that stays fixed across EM iterations."""

    def __init__(self, layout: Layout, idx: Indices, correct: np.ndarray) -> None:
        self.layout = layout
        self.idx = idx
        rows = layout.order
        self.learn_i = idx.row_learn[rows]
        self.gs_i = idx.row_gs[rows]
        self.first_prior = idx.seq_prior[layout.first_seq]
        self.obs = correct[rows]
        self.pos_skill = idx.seq_skill[layout.seq_of_pos]
        self.has_next = layout.has_next.astype(np.float64)

    def params(self, tables: ParamTables) -> RowParams:
        return RowParams(
            prior=tables.prior[self.first_prior],
            learn=tables.learn[self.learn_i],
            forget=tables.forget[self.learn_i],
            guess=tables.guess[self.gs_i],
            slip=tables.slip[self.gs_i],
        )


@dataclass
class EMResult:
    tables: ParamTables
    log_likelihood: np.ndarray  # per skill, at the returned parameters
    iterations: np.ndarray  # per skill
    history: list[float] = field(default_factory=list)


def em_fit(
    seq_ids: np.ndarray,
    correct: np.ndarray,
    idx: Indices,
    init: ParamTables,
    n_skills: int,
    *,
    fit_forgets: bool,
    tol: float = 0.005,
    max_iter: int = 100,
    progress: Callable[[int, int], None] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> EMResult:
    """EM for every skill at once, each skill stopping on its own.

    A skill stops when its log-likelihood changes by at most ``tol`` between iterations
    (after the third), keeping the parameters that produced that likelihood; skills that
    stop are dropped from the batch so the remaining iterations get cheaper. ``bounds``
    keeps named tables inside a range after every M-step (a guard against degenerate
    solutions where "known" means "answers wrong").
    """
    tables = init.copy()
    if not fit_forgets:
        tables.forget[:] = 0.0
    _clip(tables, bounds)
    seq_ids = np.asarray(seq_ids, dtype=np.int64)
    correct = np.asarray(correct, dtype=np.float64)
    active = np.ones(n_skills, dtype=bool)
    ll_prev = np.full(n_skills, np.nan)
    ll_now = np.zeros(n_skills)
    iterations = np.zeros(n_skills, dtype=np.int64)
    history: list[float] = []

    row_skill = idx.seq_skill[seq_ids]
    rows_kept = np.arange(len(seq_ids))
    batch = _Batch(build_layout(seq_ids), idx, correct)
    for it in range(max_iter):
        # shrink the batch when enough skills have stopped
        kept_active = active[row_skill[rows_kept]]
        if kept_active.mean() < 0.7:
            rows_kept = rows_kept[kept_active]
            sub_seq, dense = np.unique(seq_ids[rows_kept], return_inverse=True)
            sub_idx = Indices(
                row_learn=idx.row_learn[rows_kept],
                row_gs=idx.row_gs[rows_kept],
                seq_prior=idx.seq_prior[sub_seq],
                seq_skill=idx.seq_skill[sub_seq],
                learn_skill=idx.learn_skill,
                gs_skill=idx.gs_skill,
                prior_skill=idx.prior_skill,
            )
            batch = _Batch(build_layout(dense), sub_idx, correct[rows_kept])
        rp = batch.params(tables)
        fw = forward(batch.layout, batch.obs, rp)
        ll = np.bincount(batch.pos_skill, weights=np.log(np.maximum(fw.scale, EPS)), minlength=n_skills)
        ll_now = np.where(active, ll, ll_now)
        history.append(float(ll_now.sum()))
        iterations[active] = it + 1
        if it > 1:
            stopped = active & (np.abs(ll_now - ll_prev) <= tol)
            active &= ~stopped
        ll_prev = ll_now.copy()
        if progress is not None:
            progress(it + 1, int(active.sum()))
        if not active.any():
            break
        post = backward(batch.layout, fw, rp)
        _m_step(batch, post, tables, active, fit_forgets)
        _clip(tables, bounds)
    return EMResult(tables=tables, log_likelihood=ll_now, iterations=iterations, history=history)


def _clip(tables: ParamTables, bounds: Mapping[str, tuple[float, float]] | None) -> None:
    for name, (low, high) in (bounds or {}).items():
        values = getattr(tables, name)
        np.clip(values, low, high, out=values)


def _m_step(batch: _Batch, post: Posterior, tables: ParamTables, active: np.ndarray, fit_forgets: bool) -> None:
    """Expected counts per table entry (``bincount``), then ratios; stopped skills keep theirs."""
    idx, learn_i, gs_i, obs = batch.idx, batch.learn_i, batch.gs_i, batch.obs
    g, g0 = post.smoothed, post.smoothed_unknown
    nk = len(tables.learn)
    # transition counts only for rows that have a successor (the event arrays are 0 elsewhere)
    unknown_before = np.bincount(learn_i, weights=g0 * batch.has_next, minlength=nk)
    learned = np.bincount(learn_i, weights=post.learn_events, minlength=nk)
    upd = active[idx.learn_skill]
    tables.learn[upd] = _ratio(learned, unknown_before, tables.learn)[upd]
    if fit_forgets:
        known_before = np.bincount(learn_i, weights=g * batch.has_next, minlength=nk)
        forgot = np.bincount(learn_i, weights=post.forget_events, minlength=nk)
        tables.forget[upd] = _ratio(forgot, known_before, tables.forget)[upd]

    ng = len(tables.guess)
    unknown = np.bincount(gs_i, weights=g0, minlength=ng)
    guessed = np.bincount(gs_i, weights=g0 * obs, minlength=ng)
    known = np.bincount(gs_i, weights=g, minlength=ng)
    slipped = known - np.bincount(gs_i, weights=g * obs, minlength=ng)
    upd = active[idx.gs_skill]
    tables.guess[upd] = _ratio(guessed, unknown, tables.guess)[upd]
    tables.slip[upd] = _ratio(slipped, known, tables.slip)[upd]

    w0 = batch.layout.width(0)
    npr = len(tables.prior)
    starts = np.bincount(batch.first_prior, minlength=npr).astype(float)
    known0 = np.bincount(batch.first_prior, weights=g[:w0], minlength=npr)
    upd = active[idx.prior_skill]
    tables.prior[upd] = _ratio(known0, starts, tables.prior)[upd]


def filter_sequences(
    seq_ids: np.ndarray,
    correct: np.ndarray,
    idx: Indices,
    tables: ParamTables,
) -> tuple[np.ndarray, np.ndarray]:
    """Next-answer predictions: P(correct) and P(known) before each row, in original row order."""
    layout = build_layout(seq_ids)
    rp = gather(layout, idx, tables)
    obs = np.asarray(correct, dtype=np.float64)[layout.order]
    fw = forward(layout, obs, rp)
    p_correct_tm = fw.known_minus * (1.0 - rp.slip) + fw.unknown_minus * rp.guess
    p_correct = np.empty(layout.n_rows)
    p_known = np.empty(layout.n_rows)
    p_correct[layout.order] = p_correct_tm
    p_known[layout.order] = fw.known_minus
    return p_correct, p_known


def final_states(seq_ids: np.ndarray, correct: np.ndarray, idx: Indices, tables: ParamTables) -> np.ndarray:
    """P(known) after the last row of every sequence, ready for the next question."""
    layout = build_layout(seq_ids)
    rp = gather(layout, idx, tables)
    obs = np.asarray(correct, dtype=np.float64)[layout.order]
    fw = forward(layout, obs, rp)
    last = np.zeros(len(layout.first_seq), dtype=np.int64)
    np.maximum.at(last, layout.seq_of_pos, np.arange(layout.n_rows))  # time-major: later is larger
    known, unknown = fw.known_filtered[last], fw.unknown_filtered[last]
    return known * (1.0 - rp.forget[last]) + unknown * rp.learn[last]
