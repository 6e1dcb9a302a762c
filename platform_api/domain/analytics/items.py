"""The item-analysis report of one assessment: the analytics store's figures with the items' stems and keys."""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.freshness import lag
from analytics.items import MIN_LEARNERS, Source, item_analysis, items_answered_in
from analytics.store import AnalyticsStore
from models.item_analysis import Flag
from platform_api.domain.analytics.schemas import (
    FlagPublic,
    IrtPublic,
    ItemAnalysisItem,
    ItemAnalysisPublic,
    OptionPublic,
)
from platform_api.domain.assessment.models import Assessment
from platform_api.domain.items.models import Item


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 4)


def _flags(flags: tuple[Flag, ...]) -> list[FlagPublic]:
    return [FlagPublic(severity=severity, code=code, reason=reason) for severity, code, reason in flags]


def _key(item: Item) -> tuple[str | None, list[str] | None]:
    """A multiple-choice item's right option and every option it offers (a distractor nobody chose counts too)."""
    if item.kind != "multiple_choice":
        return None, None
    key = item.answer_key or {}
    offered = [str(choice["id"]) for choice in key.get("choices") or [] if isinstance(choice, dict) and "id" in choice]
    return (None if key.get("correct") is None else str(key["correct"])), offered or None


def item_analysis_report(
    session: Session, store: AnalyticsStore, assessment: Assessment, *, source: Source, irt: bool
) -> ItemAnalysisPublic:
    listed = [int(i) for i in (assessment.spec or {}).get("item_ids") or []]
    drawn = items_answered_in(store, assessment.id)
    item_ids = listed + [i for i in drawn if i not in set(listed)]
    items = {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(item_ids)))}
    item_ids = [i for i in item_ids if i in items]  # an item deleted since keeps its answers out of the report
    fresh = lag(session.get_bind(), store)  # type: ignore[arg-type]
    keys = [_key(items[i]) for i in item_ids]
    analysis, answers = item_analysis(
        store,
        assessment.id,
        item_ids,
        source=source,
        keys=[key for key, _ in keys],
        options=[offered for _, offered in keys],
        irt=irt,
    )
    report = ItemAnalysisPublic(
        assessment_id=assessment.id,
        title=assessment.title,
        source=source,
        answers=answers,
        learners=0,
        complete=0,
        alpha=None,
        kr20=None,
        flags=[],
        items=[],
        refreshed_at=fresh.refreshed_at,
        behind=fresh.behind,
    )
    if analysis is None:
        report.note = (
            f"Item analysis needs first answers from at least {MIN_LEARNERS} learners; "
            f"the store holds {answers} answer{'s' if answers != 1 else ''} for these items."
        )
        return report
    report.learners, report.complete = analysis.test.n_learners, analysis.test.n_complete
    report.alpha, report.kr20 = _number(analysis.test.alpha), _number(analysis.test.kr20)
    report.flags = _flags(analysis.test.flags)
    for stats in analysis.items:
        item = items[int(stats.item_id)]
        report.items.append(
            ItemAnalysisItem(
                item_id=item.id,
                stem=item.stem,
                kind=item.kind,
                answered=stats.n_answered,
                facility=_number(stats.facility),
                discrimination=_number(stats.discrimination),
                alpha_if_deleted=_number(stats.alpha_if_deleted),
                options=[
                    OptionPublic(
                        option=o.option,
                        is_key=o.is_key,
                        count=o.count,
                        share=round(o.share, 4),
                        share_top=round(o.share_top, 4),
                        share_bottom=round(o.share_bottom, 4),
                    )
                    for o in stats.options
                ],
                irt=None
                if stats.irt is None
                else IrtPublic(a=round(stats.irt.a, 4), b=round(stats.irt.b, 4), outfit=round(stats.irt.outfit, 4)),
                flags=_flags(stats.flags),
            )
        )
    return report
