"""The review console's grade book at scale: 1,000 learners x 50 grade columns in the browser.

:func:`seed_gradebook` builds a course of that size straight in the platform database (one bulk
insert per table, a few seconds): learners, their enrollments, 50 assignments of one essay item,
and a graded attempt with its submission in every cell. :func:`measure_gradebook` then opens the
course's grade book as the demo administrator in a cold browser context and reads two marks the
page itself sets (``web/src/features/review/GradeBookPage.tsx``): ``pw-gradebook-data`` when the
response's whole body has arrived, ``pw-gradebook-rendered`` after the frame that paints the
virtualized table. The issue's bar is the gap between them: at most 1 s.

A second run finds the seeded course by its code and measures it again.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, insert, select

from experiments.browser import chromium, log_in, settled
from experiments.loop_bench import PASSWORD

ADMIN = "admin@demo.pathwise.local"
COURSE_CODE = "BENCH-GRADEBOOK"
#: The issue's bar, data arrived → table painted.
BUDGET_MS = 1000.0
RENDERED_PROBE = "performance.getEntriesByName('pw-gradebook-rendered').length > 0"
MARKS = """() => {
  const at = name => (performance.getEntriesByName(name)[0] || {}).startTime ?? null;
  return {
    data: at("pw-gradebook-data"),
    rendered: at("pw-gradebook-rendered"),
    rows: document.querySelectorAll('[role="grid"] [role="row"]').length,
    cells: document.querySelectorAll('[role="grid"] [role="gridcell"]').length,
  };
}"""


def _admin_token(base: str) -> str:
    answer = httpx.post(f"{base}/v1/auth/token", data={"username": ADMIN, "password": PASSWORD}, timeout=30)
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def _course_and_item(base: str, token: str) -> tuple[int, int, bool]:
    """The bench course (made through the API, so it is a course like any other) and its essay item;
    True when the course already existed (and holds its grades)."""
    headers = {"Authorization": f"Bearer {token}"}
    courses = httpx.get(f"{base}/v1/courses", params={"limit": 200}, headers=headers, timeout=30).json()["items"]
    found = next((c for c in courses if c["code"] == COURSE_CODE), None)
    if found is not None:
        return int(found["id"]), 0, True
    org = httpx.get(f"{base}/v1/auth/me", headers=headers, timeout=30).json()["tenant_id"]
    made = httpx.post(
        f"{base}/v1/courses",
        json={"code": COURSE_CODE, "title": "Grade book benchmark", "org_unit_id": org},
        headers=headers,
        timeout=30,
    )
    made.raise_for_status()
    item = httpx.post(
        f"{base}/v1/items",
        json={"external_id": f"{COURSE_CODE}-essay", "stem": "Benchmark essay.", "key": {"kind": "essay"}},
        headers=headers,
        timeout=30,
    )
    item.raise_for_status()
    return int(made.json()["id"]), int(item.json()["id"]), False


def seed_gradebook(base: str, db_url: str, *, learners: int = 1000, columns: int = 50, seed: int = 7) -> int:
    """A course with ``learners`` enrolled learners x ``columns`` graded assignments; returns its id."""
    from platform_api.core.db import make_engine, make_session_factory, transaction, utcnow
    from platform_api.domain.models import Assignment, Attempt, Enrollment, Submission, User

    course_id, item_id, existed = _course_and_item(base, _admin_token(base))
    if existed:
        return course_id
    rng = random.Random(seed)
    engine = make_engine(db_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            tenant = session.scalar(select(User.tenant_id).where(User.email == ADMIN))
            first = (session.scalar(select(func.max(User.id))) or 0) + 1
            user_ids = session.scalars(
                insert(User).returning(User.id, sort_by_parameter_order=True),
                [
                    {
                        "tenant_id": tenant,
                        "email": f"bench{first + n}@gradebook.pathwise.local",
                        "display_name": f"Bench Learner {n + 1:04d}",
                    }
                    for n in range(learners)
                ],
            ).all()
            session.execute(insert(Enrollment), [{"user_id": u, "course_id": course_id} for u in user_ids])
            due = utcnow() + timedelta(days=7)
            assignment_ids = session.scalars(
                insert(Assignment).returning(Assignment.id, sort_by_parameter_order=True),
                [
                    {"course_id": course_id, "item_id": item_id, "title": f"Essay {c + 1:02d}", "due_at": due}
                    for c in range(columns)
                ],
            ).all()
            cells = [(u, a, round(rng.random(), 4)) for u in user_ids for a in assignment_ids]
            attempt_ids = session.scalars(
                insert(Attempt).returning(Attempt.id, sort_by_parameter_order=True),
                [{"user_id": u, "item_id": item_id, "score": s, "response": {"bench": True}} for u, _, s in cells],
            ).all()
            session.execute(
                insert(Submission),
                [
                    {
                        "assignment_id": a,
                        "user_id": u,
                        "attempt_id": attempt,
                        "attempt_no": 1,
                        "status": "graded",
                        "sha256": "0" * 64,
                        "size": 0,
                        "file_type": "text",
                        "raw_score": s,
                    }
                    for (u, a, s), attempt in zip(cells, attempt_ids, strict=True)
                ],
            )
    finally:
        engine.dispose()
    return course_id


def measure_gradebook(browser: Any, base: str, course_id: int) -> dict[str, Any]:
    """Open the grade book cold as the administrator; the page's marks give data → painted."""
    context = browser.new_context(service_workers="block")
    try:
        page = context.new_page()
        log_in(page, base, ADMIN)
        page.goto(f"{base}/review/courses/{course_id}/gradebook")
        settled(page, 60_000)
        page.wait_for_function(RENDERED_PROBE, timeout=60_000)
        marks = page.evaluate(MARKS)
    finally:
        context.close()
    if marks["data"] is None or marks["rendered"] is None:
        raise RuntimeError(f"the grade book page set no marks: {marks}")
    render_ms = round(float(marks["rendered"]) - float(marks["data"]), 1)
    return {
        "page": "review-gradebook",
        "path": f"/review/courses/{course_id}/gradebook",
        "data_arrived_ms": round(float(marks["data"]), 1),
        "render_ms": render_ms,
        "budget_ms": BUDGET_MS,
        "within_budget": render_ms <= BUDGET_MS,
        "rows_in_dom": int(marks["rows"]),
        "cells_in_dom": int(marks["cells"]),
    }


def run_gradebook_bench(
    base: str, db_url: str | None = None, *, learners: int = 1000, columns: int = 50, browser: Any = None
) -> dict[str, Any]:
    """Seed (once) and measure the grade book of ``learners`` x ``columns`` on the stack at ``base``.

    ``db_url`` is that stack's database (default: the one this environment's settings name, as for
    ``make up``); ``browser`` a Playwright Chromium to reuse (default: a new headless one).
    """
    if db_url is None:
        from pathwise.config import CommonSettings

        db_url = CommonSettings().db_url
    course_id = seed_gradebook(base, db_url, learners=learners, columns=columns)
    if browser is not None:
        row = measure_gradebook(browser, base, course_id)
    else:
        with chromium() as launched:
            row = measure_gradebook(launched, base, course_id)
    return {**row, "learners": learners, "columns": columns}
