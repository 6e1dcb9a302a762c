"""Item analysis of an assessment from the ``answers`` mart: each learner's first answer to each item.

Moodle's quiz statistics read first attempts too: a second try after feedback says more about the
feedback than about the item. ``source`` chooses the answers: those given in the assessment's own
sittings (``assessment``, what the report is about), or every answer to its items wherever given
(``all``: practice, imported histories), which says how the items behave before a test has sat.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from analytics.store import AnalyticsStore
from models.item_analysis import ItemAnalysis, analyze_items

Source = Literal["assessment", "all"]
#: A correlation needs two learners at least; fewer gives the count of answers and no figures.
MIN_LEARNERS = 2

_FIRST_ANSWERS = """
SELECT learner_id, item_id, arg_min(score, ts) AS score, arg_min(response, ts) AS response
FROM answers
WHERE item_id IN (SELECT unnest(?)) AND score IS NOT NULL {where}
GROUP BY learner_id, item_id
"""


def item_analysis(
    store: AnalyticsStore,
    assessment_id: int,
    item_ids: Sequence[int],
    *,
    source: Source = "assessment",
    keys: Sequence[str | None] | None = None,
    options: Sequence[Sequence[str] | None] | None = None,
    irt: bool = False,
) -> tuple[ItemAnalysis | None, int]:
    """The analysis of ``item_ids`` (in that order) and the number of answers it read; None with answers from
    fewer than :data:`MIN_LEARNERS` learners."""
    items = [str(i) for i in item_ids]
    params: list[object] = [items]
    where = ""
    if source == "assessment":
        where, params = "AND assessment_id = ?", [items, str(assessment_id)]
    if not store.path.exists():
        return None, 0
    with store.connect() as db:
        rows = db.execute(_FIRST_ANSWERS.format(where=where), params).fetchall()
    if not rows:
        return None, 0
    learners = sorted({str(row[0]) for row in rows})
    if len(learners) < MIN_LEARNERS:
        return None, len(rows)
    row_of = {learner: n for n, learner in enumerate(learners)}
    column_of = {item: n for n, item in enumerate(items)}
    scores = np.full((len(learners), len(items)), np.nan)
    choices = np.full((len(learners), len(items)), None, dtype=object)
    for learner, item, score, response in rows:
        r, c = row_of[str(learner)], column_of[str(item)]
        scores[r, c] = min(max(float(score), 0.0), 1.0)
        choices[r, c] = response
    with_choices = keys is not None and any(key is not None for key in keys)
    analysis = analyze_items(
        scores,
        choices if with_choices else None,
        list(keys) if with_choices and keys is not None else None,
        options=list(options) if with_choices and options is not None else None,
        item_ids=items,
        irt=irt,
    )
    return analysis, len(rows)


def items_answered_in(store: AnalyticsStore, assessment_id: int) -> list[int]:
    """The items the assessment's sittings hold answers to (a blueprint or adaptive test's drawn items)."""
    if not store.path.exists():
        return []
    with store.connect() as db:
        rows = db.execute(
            "SELECT DISTINCT item_id FROM answers WHERE assessment_id = ? ORDER BY item_id", [str(assessment_id)]
        ).fetchall()
    return sorted(int(row[0]) for row in rows if str(row[0]).isdigit())
