"""The demo course's assessments: a formative fractions quiz inside its lesson and a drawn unit test.

The six items cover every objective item type with hints, distractor feedback and
partial credit. Idempotent: the quiz activity's title is the marker.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from platform_api.domain.assessment.bank import parse_bank_key
from platform_api.domain.assessment.models import Assessment
from platform_api.domain.content.models import Activity, ActivityItem, ActivitySkill, Lesson
from platform_api.domain.items.models import Item
from platform_api.domain.skills.models import Skill

QUIZ_TITLE = "Check your understanding: adding and subtracting fractions"
UNIT_TEST_TITLE = "Fractions unit check (4 items drawn per learner)"
SKILL_CODE = "71"  # ASSISTments: Addition and Subtraction Fractions

#: (external id, stem, display body, answer key)
DEMO_ITEMS: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    (
        "demo-frac-mc",
        "What is 1/2 + 1/4?",
        {"choices": {"a": "2/6", "b": "3/4", "c": "1/8", "d": "2/4"}},
        {
            "kind": "multiple_choice",
            "choices": [
                {"id": "a", "feedback": "Add numerators only after finding a common denominator."},
                {"id": "b"},
                {"id": "c", "feedback": "That is the product, not the sum."},
                {"id": "d", "feedback": "2/4 is just 1/2 again; the 1/4 is missing."},
            ],
            "correct": "b",
            "hints": ["Write both fractions with denominator 4.", "1/2 = 2/4."],
        },
    ),
    (
        "demo-frac-mr",
        "Which fractions are equal to 1/2? Select all that apply.",
        {"choices": {"a": "2/4", "b": "3/6", "c": "2/3", "d": "5/10"}},
        {
            "kind": "multiple_response",
            "choices": [{"id": "a"}, {"id": "b"}, {"id": "c", "feedback": "2/3 is more than a half."}, {"id": "d"}],
            "correct": ["a", "b", "d"],
            "hints": ["A fraction equals 1/2 when the denominator is twice the numerator."],
        },
    ),
    (
        "demo-frac-num",
        "Compute 3/4 - 1/3 as a decimal (two decimal places).",
        {"unit": ""},
        {
            "kind": "numeric",
            "value": 0.4167,
            "tolerance": 0.005,
            "hints": ["Use the common denominator 12.", "9/12 - 4/12 = 5/12."],
        },
    ),
    (
        "demo-frac-text",
        "What do we call the bottom number of a fraction?",
        {},
        {
            "kind": "short_text",
            "accepted": ["denominator"],
            "wrong_answers": {"numerator": "The numerator is the top number."},
            "hints": ["It names how many equal parts the whole has."],
        },
    ),
    (
        "demo-frac-order",
        "Order from smallest to largest.",
        {"items": {"a": "1/3", "b": "1/2", "c": "2/3", "d": "5/6"}},
        {"kind": "ordering", "order": ["a", "b", "c", "d"], "hints": ["Rewrite all with denominator 6."]},
    ),
    (
        "demo-frac-match",
        "Match each sum to its result.",
        {"prompts": {"p1": "1/4 + 1/4", "p2": "1/3 + 1/3", "p3": "1/5 + 2/5"}},
        {
            "kind": "matching",
            "pairs": {"p1": "1/2", "p2": "2/3", "p3": "3/5"},
            "distractors": ["2/8"],
            "hints": ["With equal denominators, add the numerators only."],
        },
    ),
]


def ensure_demo_assessments(session: Session, tenant_id: int, course_id: int) -> int:
    """Create the demo quiz and unit test once; returns how many items were added (0 when present)."""
    skill = session.scalar(select(Skill).where(Skill.tenant_id == tenant_id, Skill.code == SKILL_CODE))
    if skill is None:
        return 0
    lesson = session.scalar(
        select(Lesson)
        .join(Activity, Activity.lesson_id == Lesson.id)
        .join(ActivitySkill, ActivitySkill.activity_id == Activity.id)
        .where(ActivitySkill.skill_id == skill.id)
    )
    if lesson is None or session.scalar(select(Activity.id).where(Activity.title == QUIZ_TITLE)) is not None:
        return 0
    items = []
    for external_id, stem, body, key in DEMO_ITEMS:
        checked = parse_bank_key(key).model_dump(mode="json")
        items.append(
            Item(
                tenant_id=tenant_id,
                skill_id=skill.id,
                external_id=external_id,
                kind=checked["kind"],
                stem=stem,
                body=body,
                answer_key=checked,
            )
        )
    position = (session.scalar(select(func.max(Activity.position)).where(Activity.lesson_id == lesson.id)) or 0) + 1
    quiz = Activity(lesson_id=lesson.id, position=position, kind="quiz", title=QUIZ_TITLE, details={})
    session.add_all([*items, quiz])
    session.flush()
    session.add(ActivitySkill(activity_id=quiz.id, skill_id=skill.id))
    session.add_all(ActivityItem(activity_id=quiz.id, item_id=item.id) for item in items)
    common = {"tenant_id": tenant_id, "course_id": course_id, "pass_mark": 0.6}
    session.add_all(
        [
            Assessment(
                **common,
                activity_id=quiz.id,
                kind="formative",
                selection="fixed",
                title=QUIZ_TITLE,
                spec={"item_ids": [item.id for item in items]},
                max_tries=3,
            ),
            Assessment(
                **common,
                kind="summative",
                selection="blueprint",
                title=UNIT_TEST_TITLE,
                spec={"blueprint": [{"skill_id": skill.id, "band": "any", "count": 4}]},
                max_tries=1,
            ),
        ]
    )
    session.flush()
    return len(items)
