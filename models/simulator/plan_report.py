"""What the belief planner does, for people: a table per skill and a picture of the plan.

The picture has one row per skill: the planned activity as a colour band over the estimate
(0 to 1) and the expected activities to the badge as a curve, so an engineer can see at a
glance where the plan switches from lessons to hard practice to challenge problems.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from models.simulator.planner import PLANNED, BeliefPlanner

#: Estimates at which the table reports the plan.
CHECKPOINTS = (0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9)


def plan_table(planner: BeliefPlanner, skills: list[str], priors: list[float]) -> list[dict[str, Any]]:
    """Per skill: expected activities from the prior, and the planned activity at a few estimates."""
    return [
        {
            "skill": skill,
            "prior": round(prior, 4),
            "expected_activities_from_prior": round(planner.expected_activities(i, prior), 2),
            "plan": {f"{m:.1f}": planner.activity(i, m).name.lower() for m in CHECKPOINTS},
        }
        for i, (skill, prior) in enumerate(zip(skills, priors, strict=True))
    ]


def plot_plan(planner: BeliefPlanner, skills: list[str], path: Path) -> Path:
    """Write the plan map (activity by estimate per skill, with the expected cost) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    grid = np.linspace(0.0, 0.94, 300)
    colours = ListedColormap(["#c7e9c0", "#74c476", "#238b45", "#fdae6b", "#d94801"])
    fig, axes = plt.subplots(len(skills), 1, figsize=(7, 0.8 * len(skills) + 1), sharex=True, squeeze=False)
    for i, (ax, skill) in enumerate(zip(axes[:, 0], skills, strict=True)):
        kinds = np.array([[PLANNED.index(planner.activity(i, m)) for m in grid]])
        ax.imshow(kinds, aspect="auto", cmap=colours, vmin=0, vmax=len(PLANNED) - 1, extent=(0, 0.94, 0, 1))
        cost = ax.twinx()
        cost.plot(grid, [planner.expected_activities(i, m) for m in grid], color="black", linewidth=1)
        cost.tick_params(labelsize=7)
        ax.set_yticks([])
        ax.set_ylabel(skill, rotation=0, ha="right", va="center", fontsize=8)
    axes[-1, 0].set_xlabel("tutor's estimate P(mastered); curve: expected activities to the badge")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours(k)) for k in range(len(PLANNED))]
    fig.legend(handles, [k.name.lower() for k in PLANNED], loc="upper center", ncol=len(PLANNED), fontsize=7)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
