"""The demo course's assessments: a formative fractions quiz inside its lesson and a drawn unit test.

The quiz's six items cover every objective item type with hints, distractor feedback and
partial credit. The unit test draws 4 of its own 10 items (never the quiz's, which learners
practised with hints), so a retake gets a form with none of the first form's items; it allows
two attempts and keeps the higher score. Idempotent: the quiz activity's title is the marker,
and a unit test seeded before it had its own bank gets one.
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
UNIT_TEST_DRAW = 4
UNIT_TEST_ATTEMPTS = 2
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


def _numeric(external_id: str, stem: str, value: float, hint: str) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    return external_id, stem, {"unit": ""}, {"kind": "numeric", "value": value, "tolerance": 0.005, "hints": [hint]}


def _choice(
    external_id: str, stem: str, choices: dict[str, str], correct: str
) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    key = {"kind": "multiple_choice", "choices": [{"id": c} for c in choices], "correct": correct}
    return external_id, stem, {"choices": choices}, key


#: The unit test's own bank: enough for two forms that share no item.
UNIT_TEST_ITEMS: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    _numeric("demo-unit-1", "Compute 1/3 + 1/6 as a decimal (two decimal places).", 0.5, "1/3 = 2/6."),
    _numeric("demo-unit-2", "Compute 5/8 - 1/4 as a decimal (three decimal places).", 0.375, "1/4 = 2/8."),
    _numeric("demo-unit-3", "Compute 2/5 + 3/10 as a decimal (one decimal place).", 0.7, "2/5 = 4/10."),
    _numeric("demo-unit-4", "Compute 7/12 - 1/3 as a decimal (two decimal places).", 0.25, "1/3 = 4/12."),
    _numeric("demo-unit-5", "Compute 1/2 + 1/3 as a decimal (two decimal places).", 0.8333, "Use sixths."),
    _choice("demo-unit-6", "What is 3/4 - 1/2?", {"a": "1/4", "b": "2/2", "c": "1/2", "d": "2/4"}, "a"),
    _choice("demo-unit-7", "What is 2/3 + 1/6?", {"a": "3/9", "b": "5/6", "c": "3/6", "d": "1/2"}, "b"),
    _choice("demo-unit-8", "What is 4/5 - 3/10?", {"a": "1/5", "b": "1/10", "c": "1/2", "d": "7/10"}, "c"),
    _choice("demo-unit-9", "What is 1/4 + 3/8?", {"a": "4/12", "b": "5/8", "c": "4/8", "d": "3/32"}, "b"),
    _choice("demo-unit-10", "What is 5/6 - 1/4?", {"a": "4/2", "b": "1/2", "c": "7/12", "d": "4/24"}, "c"),
]


def _items(tenant_id: int, skill_id: int, rows: list[tuple[str, str, dict[str, Any], dict[str, Any]]]) -> list[Item]:
    items = []
    for external_id, stem, body, key in rows:
        checked = parse_bank_key(key).model_dump(mode="json")
        items.append(
            Item(
                tenant_id=tenant_id,
                skill_id=skill_id,
                external_id=external_id,
                kind=checked["kind"],
                stem=stem,
                body=body,
                answer_key=checked,
            )
        )
    return items


def ensure_unit_test_bank(session: Session, tenant_id: int, course_id: int) -> int:
    """Give a unit test seeded before it had its own bank that bank, two attempts and the higher score."""
    test = session.scalar(
        select(Assessment).where(Assessment.course_id == course_id, Assessment.title == UNIT_TEST_TITLE)
    )
    if test is None or test.spec.get("item_ids"):
        return 0
    skill_id = test.spec["blueprint"][0]["skill_id"]
    items = _items(tenant_id, skill_id, UNIT_TEST_ITEMS)
    session.add_all(items)
    session.flush()
    test.spec = {**test.spec, "item_ids": [item.id for item in items]}
    test.max_attempts, test.grade_policy = UNIT_TEST_ATTEMPTS, "highest"
    return len(items)


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
    items = _items(tenant_id, skill.id, DEMO_ITEMS)
    unit_items = _items(tenant_id, skill.id, UNIT_TEST_ITEMS)
    position = (session.scalar(select(func.max(Activity.position)).where(Activity.lesson_id == lesson.id)) or 0) + 1
    quiz = Activity(lesson_id=lesson.id, position=position, kind="quiz", title=QUIZ_TITLE, details={})
    session.add_all([*items, *unit_items, quiz])
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
                spec={
                    "blueprint": [{"skill_id": skill.id, "band": "any", "count": UNIT_TEST_DRAW}],
                    "item_ids": [item.id for item in unit_items],
                },
                max_tries=1,
                max_attempts=UNIT_TEST_ATTEMPTS,
                grade_policy="highest",
            ),
        ]
    )
    session.flush()
    return len(items) + len(unit_items)
