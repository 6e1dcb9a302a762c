"""``SequencingEnv``: one simulated learner per episode, one activity per step.

Hidden state (never observed): which skills the learner has truly mastered, their personal
learning rate, guess/slip, forgetting, speed, stamina, boredom and frustration
sensitivities, and latent engagement. The observation is the tutor's view: the online BKT
estimate (:mod:`models.simulator.estimator`), activity counts and recency, badges and
progress, which skills are unlocked, the last answer and the smoothed share of right answers
on each skill and overall, and observable engagement signals (recent accuracy, time-on-task
ratio, a noisy engagement signal, session minutes) and, last, the belief planner's advice: a
one-hot of the action :mod:`models.simulator.planner` would take next from the same estimate.

With ``config.randomization`` set (training), each episode first draws a population from ranges
around ``config.population`` and per-skill jitter of the true BKT parameters
(:mod:`models.simulator.randomization`), all from the episode's seed.

Engagement and dropout: each activity changes engagement by its own bonus, boredom when
the learner would almost surely succeed (p > 0.85), frustration when they would probably
fail (p < 0.4), a small flow bonus in between, fatigue (minutes over stamina), monotony (the
same skill five times running), badges (+0.04) and a pull back to the learner's usual level.
The dropout hazard per activity is
``base + disengaged · (max(0, 0.5 - engagement) / 0.5)²``.

A skill earns its badge the first time the estimate reaches the mastery threshold right
after an answer on that skill (the tutor declares mastery on evidence, as cognitive tutors do;
lessons alone never earn a badge). An episode ends when every skill has its
badge (``completed``), when the learner drops out, or after ``max_activities`` (truncated). The
final ``info["episode"]`` carries the post-test score: the expected share of a one-item-per-
skill medium post-test the learner answers right, from the hidden state.

Actions are ``skill_index * 7 + activity`` (:mod:`models.simulator.activities`). A masked
action raises :class:`MaskedActionError`; ``observation["action_mask"]`` tells which are open.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from scipy.special import expit, logit

from models.simulator.activities import EFFECTS, MAX_STABILITY, N_ACTIVITIES, Activity, decode_action
from models.simulator.config import SimulatorConfig
from models.simulator.estimator import OnlineBKT
from models.simulator.params import BKTParams, load_bundled
from models.simulator.planner import BeliefPlanner, PlanSpec, advice_vector, topological_order
from models.simulator.randomization import BKTJitter, draw_bkt_jitter, draw_population

SKILL_FEATURES = 8
GLOBAL_FEATURES = 9
RECENT_ANSWERS = 5


class MaskedActionError(ValueError):
    """The policy chose an activity the mask forbids (locked prerequisite or unavailable)."""


class MaskedDiscrete(gym.spaces.Discrete):
    """A ``Discrete`` space whose ``sample()`` draws among the currently open actions.

    The environment keeps ``current_mask`` up to date, so generic tools that sample the
    action space (gymnasium's env checker, smoke tests) respect the mask too.
    """

    def __init__(self, n: int, seed: int | None = None) -> None:
        super().__init__(n, seed=seed)
        self.current_mask: np.ndarray | None = None

    def sample(self, mask: Any = None, probability: Any = None) -> np.int64:
        if mask is None and probability is None and self.current_mask is not None:
            mask = self.current_mask.astype(np.int8)
        return super().sample(mask=mask, probability=probability)


@dataclass
class Learner:
    """One learner's hidden traits, drawn per episode."""

    known: np.ndarray
    ever_known: np.ndarray
    learn: np.ndarray
    guess: np.ndarray
    slip: np.ndarray
    forget: np.ndarray
    speed: float
    stamina: float
    engagement: float
    engagement_start: float
    boredom: float
    frustration: float


def smoothed_accuracy(right: Any, answered: Any) -> Any:
    """Share of answers right, smoothed towards one half: ``(right + 1) / (answered + 2)``.

    Next to the estimate it lets the policy see how far the tutor's KT model is off for this
    learner (a slow learner answers worse than the estimate predicts), from answers alone.
    """
    return (np.asarray(right) + 1.0) / (np.asarray(answered) + 2.0)


def observation_size(n_skills: int) -> int:
    """Per-skill features, global ones, the last activity one-hot and the planner's advice (one per action)."""
    return n_skills * SKILL_FEATURES + GLOBAL_FEATURES + N_ACTIVITIES + n_skills * N_ACTIVITIES


def _lognormal(rng: np.random.Generator, mean: float, logsd: float) -> float:
    return float(mean * np.exp(rng.normal(-0.5 * logsd**2, logsd)))


class SequencingEnv(gym.Env[dict[str, np.ndarray], np.int64]):
    """The learner simulator as a gymnasium environment (Dict observation with ``action_mask``)."""

    metadata = {"render_modes": []}

    def __init__(self, config: SimulatorConfig | dict[str, Any] | None = None) -> None:
        super().__init__()
        if config is None:
            config = SimulatorConfig()
        elif isinstance(config, dict):
            config = SimulatorConfig.model_validate(dict(config))
        self.config = config
        truth = load_bundled(config.learner_params)
        belief = load_bundled(config.estimator_params)
        skills = truth.skills[: config.skills] if config.skills else list(truth.skills)
        missing = [s for s in skills if s not in belief.params]
        if missing:
            raise ValueError(f"estimator parameters {config.estimator_params!r} lack skills {missing}")
        self.skills = skills
        self.n_skills = len(skills)
        index = {s: i for i, s in enumerate(skills)}
        self.prereq = np.zeros((self.n_skills, self.n_skills), dtype=bool)  # prereq[b, a]: a before b
        for a, b in truth.prerequisites:
            if a in index and b in index:
                self.prereq[index[b], index[a]] = True
        self.true_params: list[BKTParams] = [truth.params[s] for s in skills]
        self.estimator = OnlineBKT([belief.params[s] for s in skills], config.forget_per_activity)
        self.n_actions = self.n_skills * N_ACTIVITIES
        self.masked_space = MaskedDiscrete(self.n_actions)
        self.action_space = self.masked_space
        self.planner = BeliefPlanner(self.plan_spec())
        n_obs = observation_size(self.n_skills)
        self.observation_space = gym.spaces.Dict(
            {
                "observations": gym.spaces.Box(0.0, 1.0, shape=(n_obs,), dtype=np.float32),
                "action_mask": gym.spaces.Box(0.0, 1.0, shape=(self.n_actions,), dtype=np.float32),
            }
        )
        self._learner: Learner | None = None
        self._reset_counters()

    def plan_spec(self) -> PlanSpec:
        """The tutor's side of this simulator, as the belief planner (and a served policy) needs it."""
        est = self.estimator
        return PlanSpec(
            learn=tuple(float(x) for x in est.learn),
            guess=tuple(float(x) for x in est.guess),
            slip=tuple(float(x) for x in est.slip),
            order=tuple(topological_order(self.prereq)),
            mastery_threshold=self.config.mastery_threshold,
            challenge_min_mastery=self.config.challenge_min_mastery,
        )

    # ------------------------------------------------------------------ episode state
    def _reset_counters(self) -> None:
        self.t = 0
        self.minutes = 0.0
        self.attempts = np.zeros(self.n_skills, dtype=np.int64)
        self.last_practiced = np.full(self.n_skills, -1, dtype=np.int64)
        self.badges = np.zeros(self.n_skills, dtype=bool)
        self.last_answer = np.full(self.n_skills, 0.5, dtype=np.float32)  # 1 right, 0 wrong, 0.5 none yet
        self.answered = np.zeros(self.n_skills, dtype=np.int64)
        self.right = np.zeros(self.n_skills, dtype=np.int64)
        self.unlocked = np.zeros(self.n_skills, dtype=bool)
        self.last_peer = -(10**6)
        self.last_activity: Activity | None = None
        self.last_skill = -1
        self.streak = 0
        self.recent: deque[int] = deque(maxlen=RECENT_ANSWERS)
        self.time_ratio = 1.0
        self.engagement_signal = 1.0
        self.mask = np.zeros(self.n_actions, dtype=np.float32)

    def _draw_learner(self) -> Learner:
        pop, rng = self.config.population, self.np_random
        bkt = BKTJitter.none(self.n_skills)
        if self.config.randomization is not None:  # the population first, then the learner from it
            pop = draw_population(pop, self.config.randomization, rng)
            bkt = draw_bkt_jitter(self.config.randomization, self.n_skills, rng)

        def logits(name: str) -> np.ndarray:
            return np.asarray(logit(np.clip([getattr(p, name) for p in self.true_params], 0.01, 0.99)))

        shift = pop.prior_logit_shift + rng.normal(0.0, pop.prior_logit_sd)
        prior = expit(logits("prior") + bkt.prior_logit + shift + rng.normal(0.0, 0.3, self.n_skills))
        known = rng.random(self.n_skills) < prior
        jitter = rng.normal(0.0, pop.guess_slip_logit_sd, size=(2, self.n_skills))
        guess = expit(logits("guess") + bkt.guess_logit + jitter[0])
        slip = expit(logits("slip") + bkt.slip_logit + jitter[1])
        engagement = float(rng.beta(pop.engagement_alpha, pop.engagement_beta))
        learn = np.array([p.learn for p in self.true_params])
        if self.config.randomization is not None:
            learn = expit(logits("learn") + bkt.learn_logit)
        forget = np.array([p.forget for p in self.true_params]) * bkt.forget_factor
        return Learner(
            known=known,
            ever_known=known.copy(),
            learn=learn * _lognormal(rng, pop.learn_mean, pop.learn_logsd),
            guess=guess,
            slip=slip,
            forget=forget * pop.forget_mean * self.config.forget_per_activity,
            speed=_lognormal(rng, pop.speed_mean, pop.speed_logsd),
            stamina=_lognormal(rng, pop.stamina_minutes_mean, pop.stamina_logsd),
            engagement=engagement,
            engagement_start=engagement,
            boredom=_lognormal(rng, pop.boredom_mean, pop.sensitivity_logsd),
            frustration=_lognormal(rng, pop.frustration_mean, pop.sensitivity_logsd),
        )

    @property
    def learner(self) -> Learner:
        if self._learner is None:
            raise RuntimeError("call reset() before step()")
        return self._learner

    # ------------------------------------------------------------------ observation
    def _update_mask(self) -> None:
        est = self.estimator.mastery
        prereq_met = est >= self.config.unlock_threshold
        opens = ~self.prereq | prereq_met[None, :]
        self.unlocked |= opens.all(axis=1)
        mask = np.zeros((self.n_skills, N_ACTIVITIES), dtype=bool)
        u = self.unlocked
        mask[:, Activity.PRACTICE_EASY] = u
        mask[:, Activity.PRACTICE_MEDIUM] = u
        mask[:, Activity.PRACTICE_HARD] = u
        mask[:, Activity.REMEDIAL] = u & (est < self.config.mastery_threshold)
        mask[:, Activity.CHALLENGE] = u & (est >= self.config.challenge_min_mastery)
        spaced = (self.last_practiced >= 0) & (self.t - self.last_practiced >= self.config.review_spacing)
        mask[:, Activity.REVIEW] = u & spaced
        mask[:, Activity.PEER] = u & (self.t - self.last_peer >= self.config.peer_cooldown)
        self.mask = mask.reshape(-1).astype(np.float32)
        self.masked_space.current_mask = self.mask

    def _observation(self) -> dict[str, np.ndarray]:
        k = self.n_skills
        obs = np.zeros(observation_size(k), dtype=np.float32)
        since = np.where(self.last_practiced >= 0, self.t - self.last_practiced, 50)
        per_skill = obs[: k * SKILL_FEATURES].reshape(k, SKILL_FEATURES)
        per_skill[:, 0] = self.estimator.mastery
        per_skill[:, 1] = self.attempts / 20.0
        per_skill[:, 2] = since / 50.0
        per_skill[:, 3] = self.badges
        per_skill[:, 4] = np.log(self.estimator.stability) / np.log(MAX_STABILITY)
        per_skill[:, 5] = self.unlocked
        per_skill[:, 6] = self.last_answer
        per_skill[:, 7] = smoothed_accuracy(self.right, self.answered)
        g = k * SKILL_FEATURES
        obs[g : g + GLOBAL_FEATURES] = (
            sum(self.recent) / len(self.recent) if self.recent else 0.5,
            self.time_ratio / 2.0,
            self.engagement_signal,
            self.minutes / 300.0,
            self.t / self.config.max_activities,
            self.streak / 5.0,
            self.badges.sum() / k,
            (self.t - self.last_peer) / 10.0,
            smoothed_accuracy(self.right.sum(), self.answered.sum()),
        )
        if self.last_activity is not None:
            obs[g + GLOBAL_FEATURES + int(self.last_activity)] = 1.0
        obs[-self.n_actions :] = advice_vector(self.planner, self.estimator.mastery, self.badges, self.mask)
        np.clip(obs, 0.0, 1.0, out=obs)
        return {"observations": obs, "action_mask": self.mask.copy()}

    def _info(self) -> dict[str, Any]:
        return {"t": self.t, "minutes": self.minutes, "badges": int(self.badges.sum())}

    # ------------------------------------------------------------------ gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        self._reset_counters()
        self.estimator.reset()
        self._learner = self._draw_learner()
        self._update_mask()
        return self._observation(), self._info()

    def step(self, action: Any) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        learner = self.learner
        a = int(action)
        if not 0 <= a < self.n_actions:
            raise MaskedActionError(f"action {a} is outside 0..{self.n_actions - 1}")
        if not self.mask[a]:
            skill_index, kind = decode_action(a)
            reason = "locked by prerequisites" if not self.unlocked[skill_index] else "not available now"
            raise MaskedActionError(
                f"action {a} ({kind.name.lower()} on skill {self.skills[skill_index]}) is masked: {reason}"
            )
        skill, kind = decode_action(a)
        effect = EFFECTS[kind]
        rng = self.np_random
        potential_before = self._potential()
        fatigue = min(1.0, self.minutes / learner.stamina)

        # Answer, from the hidden state.
        g, s = effect.item_guess(learner.guess[skill]), effect.item_slip(learner.slip[skill])
        p_success = (1 - s) if learner.known[skill] else g
        correct: bool | None = None
        if effect.answered:
            correct = bool(rng.random() < p_success)
            self.recent.append(int(correct))
            self.last_answer[skill] = float(correct)
            self.answered[skill] += 1
            self.right[skill] += int(correct)
        else:
            p_success = 0.95 if learner.known[skill] else 0.6

        # Learning and forgetting on the hidden state.
        prereqs = self.prereq[skill]
        gap = bool((prereqs & ~learner.known).any())
        factor = effect.learn_factor
        if effect.relearn_factor is not None and learner.ever_known[skill]:
            factor = effect.relearn_factor
        if gap and not effect.scaffolds:
            factor *= 0.25
        rate = learner.learn[skill] * factor * (1 - fatigue / 2) * (0.5 + learner.engagement / 2)
        others = np.arange(self.n_skills) != skill
        forgets = others & learner.known & (rng.random(self.n_skills) < learner.forget / self.estimator.stability)
        learner.known[forgets] = False
        if not learner.known[skill] and rng.random() < min(1.0, rate):
            learner.known[skill] = True
        if effect.scaffolds and gap:
            missing = np.flatnonzero(prereqs & ~learner.known)
            target = int(rng.choice(missing))
            if rng.random() < learner.learn[target] * 0.5:
                learner.known[target] = True
        learner.ever_known |= learner.known

        # The tutor's estimate and the observable bookkeeping.
        self.estimator.update(skill, kind, correct)
        minutes = effect.minutes * learner.speed * (1 + 0.3 * fatigue) * float(np.exp(rng.normal(0, 0.2)))
        self.minutes += minutes
        self.time_ratio = minutes / effect.minutes
        self.attempts[skill] += 1
        self.streak = self.streak + 1 if skill == self.last_skill else 1
        self.last_skill, self.last_activity = skill, kind
        self.last_practiced[skill] = self.t
        if kind is Activity.PEER:
            self.last_peer = self.t
        self.t += 1
        new_badges = np.zeros(self.n_skills, dtype=bool)
        if correct is not None:
            new_badges[skill] = (
                self.estimator.mastery[skill] >= self.config.mastery_threshold and not self.badges[skill]
            )
        self.badges |= new_badges

        # Engagement.
        delta = effect.engagement_bonus
        if kind is Activity.CHALLENGE and correct:
            delta += 0.02
        delta -= 0.02 * learner.boredom * min(1.0, max(0.0, (p_success - 0.85) / 0.15))
        delta -= 0.025 * learner.frustration * min(1.0, max(0.0, (0.4 - p_success) / 0.4))
        if 0.5 <= p_success <= 0.85:
            delta += 0.01
        delta -= 0.01 * fatigue + 0.0025 * min(4, max(0, self.streak - 4))
        delta += 0.04 * int(new_badges.sum())
        delta += 0.03 * (learner.engagement_start - learner.engagement)
        learner.engagement = min(1.0, max(0.0, learner.engagement + delta))
        self.engagement_signal = min(1.0, max(0.0, learner.engagement + float(rng.normal(0, 0.1))))

        # Outcome.
        cfg = self.config
        hazard = (
            cfg.base_dropout_hazard + cfg.disengaged_dropout_hazard * (max(0.0, 0.5 - learner.engagement) / 0.5) ** 2
        )
        dropped = bool(rng.random() < hazard)
        completed = bool(self.badges.all())
        terminated = completed or dropped
        truncated = not terminated and self.t >= cfg.max_activities
        reward = cfg.reward_activity + cfg.reward_badge * int(new_badges.sum())
        potential_after = 0.0 if terminated else self._potential()
        reward += cfg.shaping_gamma * potential_after - potential_before
        info = self._info() | {
            "skill": self.skills[skill],
            "skill_index": skill,
            "activity": kind.name.lower(),
            "correct": correct,
        }
        if terminated or truncated:
            post_test = self.post_test()
            if completed:
                reward += cfg.reward_completion * post_test
            if dropped and not completed:
                reward += cfg.reward_dropout
            info["episode"] = {
                "activities": self.t,
                "minutes": self.minutes,
                "completed": completed,
                "dropped_out": dropped and not completed,
                "post_test": post_test,
                "true_mastered": float(learner.known.mean()),
            }
        self._update_mask()
        return self._observation(), float(reward), terminated, truncated, info

    def _potential(self) -> float:
        """Progress as the tutor sees it (badges count in full), for potential-based shaping.

        Shaping of the form ``gamma * phi(s') - phi(s)`` leaves the optimal policy unchanged
        while giving PPO a signal on every step instead of only at the end.
        """
        progress = np.where(self.badges, 1.0, self.estimator.mastery).mean()
        return float(self.config.reward_progress * progress)

    def post_test(self) -> float:
        """Expected score on a medium post-test item per skill, from the hidden state."""
        learner = self.learner
        return float(np.where(learner.known, 1 - learner.slip, learner.guess).mean())
