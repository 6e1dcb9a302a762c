"""Every experiment stored: what ``pathwise experiments list`` shows.

An experiment is one challenger version tried against one champion on a model slot, named as
:func:`pathwise.contract.rollout.spec.experiment_name` spells it (``kt-v1-vs-v2``, what ``experiments
report`` is asked for). Three tables know about experiments, each only in part:

- ``rollouts``: each slot's current spec, so the running experiment's traffic and mode;
- ``rollout_decisions``: every start, step and ending, each naming the pair it concerned
  (decisions made before migration 0013 do not, and are only read through the current spec);
- ``experiment_exposures``: who was served which variant, also of experiments whose decisions
  were never stored (older databases, exposures recorded directly).

Each experiment is the union of what they say, read with SQLAlchemy Core on the shared tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, case, func, select

from pathwise.contract.rollout.spec import Mode, RolloutSpec, RolloutState, experiment_name
from pathwise.contract.tables import experiment_exposures, rollout_decisions, rollouts

#: The status of an experiment whose exposures are stored but no decision says how it ended.
ENDED = "ended"


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands stored UTC times back naive."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class Variant:
    variant: str
    version: str | None
    traffic_percent: float | None = None  # its share of learners while the experiment runs, else None
    exposures: int = 0


@dataclass
class Experiment:
    name: str
    slot: str
    status: str  # running, promoted, rolled_back, aborted, or ended when only exposures are stored
    mode: str | None = None
    model_name: str | None = None
    started_at: datetime | None = None
    first_exposure_at: datetime | None = None
    variants: dict[str, Variant] = field(default_factory=dict)

    @property
    def exposures(self) -> int:
        return sum(v.exposures for v in self.variants.values())

    @property
    def running(self) -> bool:
        return self.status == RolloutState.RUNNING

    def variant(self, name: str, version: str | None = None) -> Variant:
        found = self.variants.setdefault(name, Variant(name, version))
        found.version = found.version or version
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "slot": self.slot,
            "model_name": self.model_name,
            "mode": self.mode,
            "status": self.status,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "first_exposure_at": self.first_exposure_at.isoformat() if self.first_exposure_at else None,
            "exposures": self.exposures,
            "variants": [v.__dict__ for v in self.variants.values()],
        }


def _pair(found: dict[str, Experiment], slot: str, champion: str, challenger: str, status: str) -> Experiment:
    name = experiment_name(slot, champion, challenger)
    experiment = found.setdefault(name, Experiment(name=name, slot=slot, status=status))
    experiment.variant("champion", champion)
    experiment.variant("challenger", challenger)
    return experiment


def _from_decisions(conn: Connection, found: dict[str, Experiment]) -> None:
    """Each pair's latest start, and how its latest decision left it."""
    d = rollout_decisions
    pairs = conn.execute(
        select(
            d.c.slot,
            d.c.champion,
            d.c.challenger,
            func.max(d.c.id).label("last_id"),
            func.max(case((d.c.action == "start", d.c.at))).label("started_at"),
        )
        .where(d.c.champion.is_not(None), d.c.challenger.is_not(None))
        .group_by(d.c.slot, d.c.champion, d.c.challenger)
    ).all()
    last = {row.id: row for row in conn.execute(select(d).where(d.c.id.in_([p.last_id for p in pairs])))}
    for pair in pairs:
        decision = last[pair.last_id]
        experiment = _pair(found, pair.slot, pair.champion, pair.challenger, decision.to_state)
        experiment.mode = decision.mode
        experiment.started_at = _aware(pair.started_at)


def _from_current_specs(conn: Connection, found: dict[str, Experiment]) -> None:
    """The spec each slot serves now: authoritative for its experiment's status, traffic and mode."""
    latest_start = {
        row.slot: _aware(row.at)
        for row in conn.execute(
            select(rollout_decisions.c.slot, func.max(rollout_decisions.c.at).label("at"))
            .where(rollout_decisions.c.action == "start")
            .group_by(rollout_decisions.c.slot)
        )
    }
    models = {}
    for raw in conn.execute(select(rollouts.c.spec)).scalars():
        spec = RolloutSpec.model_validate(raw)
        slot = str(spec.slot)
        models[slot] = spec.model_name
        if spec.challenger is None:  # idle, or promoted: its pair is in its decisions
            continue
        experiment = _pair(found, slot, spec.champion, spec.challenger, str(spec.state))
        experiment.status, experiment.mode = str(spec.state), str(spec.mode)
        experiment.started_at = experiment.started_at or latest_start.get(slot)  # the start that set this challenger
        if spec.state == RolloutState.RUNNING:
            shadow = spec.mode == Mode.SHADOW
            experiment.variants["champion"].traffic_percent = 100.0 - spec.traffic_percent
            experiment.variants["challenger"].traffic_percent = None if shadow else spec.traffic_percent
    for experiment in found.values():
        experiment.model_name = models.get(experiment.slot)


def _from_exposures(conn: Connection, found: dict[str, Experiment]) -> None:
    e = experiment_exposures
    rows = conn.execute(
        select(
            e.c.experiment,
            e.c.variant,
            func.max(e.c.slot).label("slot"),
            func.max(e.c.version).label("version"),
            func.count().label("exposures"),
            func.min(e.c.exposed_at).label("first"),
        ).group_by(e.c.experiment, e.c.variant)
    ).all()
    for row in rows:
        experiment = found.setdefault(row.experiment, Experiment(name=row.experiment, slot=row.slot, status=ENDED))
        experiment.variant(row.variant, row.version or None).exposures = int(row.exposures)
        first = _aware(row.first)
        if first is not None and (experiment.first_exposure_at is None or first < experiment.first_exposure_at):
            experiment.first_exposure_at = first


def list_experiments(conn: Connection) -> list[Experiment]:
    """Every stored experiment: running ones first, then the most recently started (or first exposed)."""
    found: dict[str, Experiment] = {}
    _from_decisions(conn, found)
    _from_current_specs(conn, found)
    _from_exposures(conn, found)
    for experiment in found.values():  # the control first, as reports compare with it
        order = sorted(experiment.variants, key=lambda v: (v != "champion", v != "challenger", v))
        experiment.variants = {name: experiment.variants[name] for name in order}
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(
        found.values(),
        key=lambda x: (not x.running, -(x.started_at or x.first_exposure_at or oldest).timestamp(), x.name),
    )
