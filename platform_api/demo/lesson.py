"""The demo lesson the web app plays end to end: "Getting started with fractions".

One lesson, next to the demo quiz's, with one activity of each kind the learner app renders:
a page (Markdown with an image), a video (xAPI Video Profile statements feed the skill's watch
share), a Jupyter notebook, the formative quiz (a link to the existing assessment), a code exercise
and an essay (assignments whose items the sandbox and the essay model grade). The media files live
in ``platform_api/demo/media`` (see its README) and are copied into the media store of
``PATHWISE_HOME``. Idempotent: a second run finds the lesson and only restores missing media files.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from platform_api.core.db import utcnow
from platform_api.demo.quiz import QUIZ_TITLE, SKILL_CODE
from platform_api.domain.assessment.models import Assessment
from platform_api.domain.assignments.models import Assignment
from platform_api.domain.content.models import Activity, ActivityItem, ActivitySkill, Course, Lesson
from platform_api.domain.content.sanitize import to_safe_html
from platform_api.domain.content.service import latest_version, publish
from platform_api.domain.items.models import Item
from platform_api.domain.learning.media import add_media, media_store
from platform_api.domain.learning.models import MediaAsset
from platform_api.domain.skills.models import Skill

LESSON_TITLE = "Getting started with fractions"
#: The lesson reuses the course's demo quiz under a title of its own (the quiz's own activity keeps its title).
LESSON_QUIZ_TITLE = "Quiz: adding and subtracting fractions"
#: Items the lesson adds to the bank: its code exercise and its essay.
LESSON_ITEMS = 2
MEDIA_DIR = Path(__file__).parent / "media"
#: media key → (file in MEDIA_DIR, content type)
MEDIA = {
    "demo-fraction-bars.png": ("fraction-bars.png", "image/png"),
    "demo-fractions-intro.webm": ("fractions-intro.webm", "video/webm"),
    "demo-equivalent-fractions.ipynb": ("equivalent-fractions.ipynb", "application/x-ipynb+json"),
}
PAGE = """# What is a fraction?

A fraction names part of a whole: the **denominator** (bottom) says into how many equal parts the
whole is cut, the **numerator** (top) how many of those parts you take.

![Bars cut into halves, quarters and eighths, half of each shaded](demo-fraction-bars.png)

One half, two quarters and four eighths cover the same length: they are *equivalent fractions*.
"""
CODE_TESTS = (
    "from fractions import Fraction\nfrom solution import add_fractions\n\n"
    "def test_halves():\n    assert add_fractions(1, 2, 1, 2) == Fraction(1)\n"
)
CODE_HIDDEN = (
    "from fractions import Fraction\nfrom solution import add_fractions\n\n"
    "def test_thirds_and_sixths():\n    assert add_fractions(1, 3, 1, 6) == Fraction(1, 2)\n"
)


def ensure_demo_lesson(session: Session, tenant_id: int, course_id: int, home: Path) -> bool:
    """Create the lesson once (publishing the course again if it was published without it); True when
    it was created now."""
    _ensure_media_files(session, course_id, home)
    if session.scalar(select(Lesson.id).where(Lesson.title == LESSON_TITLE)) is not None:
        return False
    skill = session.scalar(select(Skill).where(Skill.tenant_id == tenant_id, Skill.code == SKILL_CODE))
    quiz = session.scalar(select(Assessment).where(Assessment.course_id == course_id, Assessment.title == QUIZ_TITLE))
    quiz_lesson = session.scalar(
        select(Lesson).join(Activity, Activity.lesson_id == Lesson.id).where(Activity.title == QUIZ_TITLE)
    )
    if skill is None or quiz is None or quiz_lesson is None:
        return False
    position = (session.scalar(select(func.max(Lesson.position)).where(Lesson.unit_id == quiz_lesson.unit_id)) or 0) + 1
    lesson = Lesson(unit_id=quiz_lesson.unit_id, position=position, title=LESSON_TITLE, details={"demo": True})
    session.add(lesson)
    session.flush()
    code_item, essay_item = _items(session, tenant_id, skill.id)
    activities: list[tuple[str, str, str, dict[str, Any]]] = [
        (
            "reading",
            "What is a fraction?",
            to_safe_html(PAGE, "markdown"),
            {"format": "markdown", "markdown": PAGE, "media": ["demo-fraction-bars.png"], "estimated_minutes": 5},
        ),
        (
            "video",
            "Fractions in five seconds",
            "<p>A short clip: watch it to the end.</p>",
            {"media": ["demo-fractions-intro.webm"], "duration_s": 5, "xapi_profile": "https://w3id.org/xapi/video"},
        ),
        (
            "notebook",
            "Equivalent fractions notebook",
            "<p>Read the notebook, then try the last cell.</p>",
            {"media": ["demo-equivalent-fractions.ipynb"], "format": "jupyter"},
        ),
        ("quiz", LESSON_QUIZ_TITLE, "<p>Six questions, with hints and feedback.</p>", {"assessment_id": quiz.id}),
        (
            "practice",
            "Code: add two fractions",
            "<p>Write <code>add_fractions(a, b, c, d)</code> returning a/b + c/d as a <code>Fraction</code>.</p>",
            {"item_kind": "code"},
        ),
        (
            "practice",
            "Essay: explain equivalent fractions",
            "<p>In a short paragraph, explain why 1/2 and 2/4 name the same amount.</p>",
            {"item_kind": "essay"},
        ),
    ]
    rows = []
    for index, (kind, title, content, details) in enumerate(activities):
        row = Activity(lesson_id=lesson.id, position=index, kind=kind, title=title, content=content, details=details)
        session.add(row)
        rows.append(row)
    session.flush()
    session.add_all(ActivitySkill(activity_id=row.id, skill_id=skill.id) for row in rows)
    due = utcnow() + timedelta(days=14)
    for row, item, title in ((rows[4], code_item, "Add two fractions"), (rows[5], essay_item, "Equivalent fractions")):
        session.add(ActivityItem(activity_id=row.id, item_id=item.id))
        session.add(
            Assignment(
                course_id=course_id, item_id=item.id, activity_id=row.id, title=title, due_at=due, max_attempts=3
            )
        )
    session.flush()
    for row, item in ((rows[4], code_item), (rows[5], essay_item)):
        row.details = {**row.details, "assignment_id": _assignment_of(session, item.id)}
    if latest_version(session, course_id) is not None:  # a demo published before the lesson: publish it now
        course = session.get(Course, course_id)
        assert course is not None
        publish(session, course, None)
    return True


def _assignment_of(session: Session, item_id: int) -> int:
    found = session.scalar(select(Assignment.id).where(Assignment.item_id == item_id))
    assert found is not None
    return found


def _items(session: Session, tenant_id: int, skill_id: int) -> tuple[Item, Item]:
    code = Item(
        tenant_id=tenant_id,
        skill_id=skill_id,
        external_id="demo-lesson-code-add",
        kind="code",
        stem="Write add_fractions(a, b, c, d) that returns a/b + c/d as a fractions.Fraction.",
        answer_key={"kind": "code", "visible_tests": CODE_TESTS, "hidden_tests": CODE_HIDDEN},
    )
    essay = Item(
        tenant_id=tenant_id,
        skill_id=skill_id,
        external_id="demo-lesson-essay-equivalent",
        kind="essay",
        stem="Explain why 1/2 and 2/4 name the same amount.",
        answer_key={"kind": "essay"},
    )
    session.add_all([code, essay])
    session.flush()
    return code, essay


def _ensure_media_files(session: Session, course_id: int, home: Path) -> None:
    """Every demo media key registered for the course, and its file present in this home's store."""
    store = media_store(home)
    for key, (filename, content_type) in MEDIA.items():
        row = session.get(MediaAsset, key)
        if row is not None and store.path_of(row.sha256).is_file():
            continue
        add_media(session, home, key, course_id, (MEDIA_DIR / filename).read_bytes(), content_type)
