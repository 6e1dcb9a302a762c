"""The review console in headless Chromium against ``pathwise up`` with the demo data, as graders use it.

Learners hand in essays through the API as the learner app does (a text file to an essay
assignment the instructor set up); the essay grader flags them (a course's own prompt has no instructor-scored
essays yet, so its score is provisional), and they wait in the queue. Everything a grader does then
goes through the pages; the database is read only to check what the pages claim.
"""

from __future__ import annotations

import csv
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from experiments.browser import audit_themes, log_in, settled
from experiments.loop_bench import PASSWORD, Stack

pytestmark = pytest.mark.browser
#: The rest of a console's tests (its accessibility audit in both themes, further flows) run in `make test-all`.
MORE = pytest.mark.slow

INSTRUCTOR = "instructor@demo.pathwise.local"
ASSISTANT = "assistant@demo.pathwise.local"
#: The essay assignment these tests hand work in to (made once per stack, as an instructor sets one up).
ESSAY = "Explain equivalent fractions"
ESSAY_KEY = {"kind": "essay"}


def _page(browser: Browser) -> Page:
    page = browser.new_context().new_page()
    page.set_default_timeout(20_000)
    return page


def _token(stack: Stack, email: str) -> dict[str, str]:
    answer = httpx.post(f"{stack.api}/v1/auth/token", data={"username": email, "password": PASSWORD}, timeout=30)
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _learner(stack: Stack, index: int) -> tuple[int, str, str]:
    """A seeded learner no other browser test uses: id, e-mail, display name."""
    user_id = stack.learners[index]
    [(name,)] = stack.query("SELECT display_name FROM users WHERE id = ?", user_id)
    return user_id, stack.emails[user_id], str(name)


def _essay_assignment(stack: Stack, title: str) -> int:
    """An essay assignment of the demo course that takes text files (the demo lesson's own takes none)."""
    found = stack.query("SELECT id FROM assignments WHERE course_id = ? AND title = ?", stack.course, title)
    if found:
        return int(found[0][0])
    staff = _token(stack, INSTRUCTOR)
    [(skill,)] = stack.query("SELECT skill_id FROM items WHERE external_id = 'demo-lesson-essay-equivalent'")
    item = httpx.post(
        f"{stack.api}/v1/items",
        json={"external_id": f"review-{time.time_ns()}", "skill_id": skill, "stem": "Why?", "key": ESSAY_KEY},
        headers=staff,
        timeout=30,
    ).json()["id"]
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    made = httpx.post(
        f"{stack.api}/v1/courses/{stack.course}/assignments",
        json={"item_id": item, "title": title, "due_at": due, "file_types": ["text"], "max_attempts": 3},
        headers=staff,
        timeout=30,
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _assignment(stack: Stack) -> int:
    return _essay_assignment(stack, ESSAY)


def _flagged_essay(stack: Stack, email: str, text: str, assignment: int | None = None) -> int:
    """The learner submits an essay as the learner app does; returns it once the grader has flagged it."""
    target = assignment or _assignment(stack)
    answer = httpx.post(
        f"{stack.api}/v1/assignments/{target}/submissions",
        files={"file": ("essay.txt", text.encode(), "text/plain")},
        headers=_token(stack, email),
        timeout=30,
    )
    assert answer.status_code in (201, 202), answer.text
    submission = int(answer.json()["id"])
    deadline = time.monotonic() + 240  # the essay model loads on first use
    while time.monotonic() < deadline:
        [(status,)] = stack.query("SELECT status FROM submissions WHERE id = ?", submission)
        if status in ("review", "graded"):
            break
        time.sleep(0.5)
    assert status == "review", f"the essay grader did not flag submission {submission}: {status}"
    return submission


def _course(stack: Stack) -> str:
    [(title,)] = stack.query("SELECT title FROM courses WHERE id = ?", stack.course)
    return str(title)


def _open_queue(page: Page, stack: Stack) -> None:
    """From the staff home, as a grader finds it: the console's link, then the course in the picker."""
    page.get_by_role("link", name="Review and grades").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review and grades")
    page.get_by_role("button", name=re.compile("Course")).click()
    page.get_by_role("option", name=re.compile(re.escape(_course(stack)))).click()
    expect(page).to_have_url(re.compile(f"/review/courses/{stack.course}$"))
    settled(page)


def _audit(stack: Stack, submission: int) -> list[tuple[Any, ...]]:
    return stack.query(
        "SELECT kind, new_score, reason, actor_id FROM score_audit WHERE attempt_id = "
        "(SELECT attempt_id FROM submissions WHERE id = ?) ORDER BY id",
        submission,
    )


def _adjust(page: Page, percent: str, reason: str) -> None:
    page.get_by_label("New score (%)").fill(percent)
    page.get_by_label("Reason (required)").fill(reason)
    page.get_by_role("button", name="Save the score").click()


def test_an_instructor_reviews_a_flagged_essay_and_finds_the_grade_in_the_book_and_the_csv(
    stack: Stack, browser: Browser
) -> None:
    learner, email, name = _learner(stack, 20)
    essay = "One half and two quarters cover the same length of the bar, so they name the same amount."
    submission = _flagged_essay(stack, email, essay)

    page = _page(browser)
    log_in(page, stack.api, INSTRUCTOR)
    _open_queue(page, stack)
    queue = page.get_by_role("region", name="Flagged submissions")
    entry = queue.get_by_role("row").filter(has=page.get_by_role("link", name=f"{ESSAY} by {name}"))
    expect(entry).to_have_count(1)
    expect(entry.get_by_role("cell").nth(0)).to_have_text("Essay")  # the kind; then score, confidence, reasons
    expect(entry.get_by_role("listitem").first).to_contain_text(re.compile("essay|grader_unavailable"))
    entry.get_by_role("link").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"{ESSAY} by {name}")
    expect(page.get_by_text(essay)).to_be_visible()
    flagged = page.get_by_role("region", name="What the grader said")
    expect(flagged.get_by_role("listitem").first).to_be_visible()  # why it was flagged, in the grader's words

    # no reason: the server refuses, and says so at the reason field
    page.get_by_label("New score (%)").fill("80")
    page.get_by_role("button", name="Save the score").click()
    reason = page.get_by_label("Reason (required)")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_be_focused()
    expect(page.locator(".pw-field__error").first).to_contain_text("reason")
    assert _audit(stack, submission) == [], "a refused adjustment changes nothing"

    _adjust(page, "80", "Clear explanation with the fraction bars")
    expect(page.get_by_role("status").filter(has_text="Score set to 80%")).to_be_visible()
    expect(page.get_by_test_id("current-score")).to_have_text("80%")
    history = page.get_by_role("region", name="Score history")
    row = history.get_by_role("row").filter(has_text="Clear explanation with the fraction bars")
    expect(row).to_contain_text("Adjusted by hand")
    expect(row).to_contain_text("80%")
    [(instructor,)] = stack.query("SELECT id FROM users WHERE email = ?", INSTRUCTOR)
    assert _audit(stack, submission)[-1] == ("manual", 0.8, "Clear explanation with the fraction bars", instructor)
    assert stack.query("SELECT status FROM submissions WHERE id = ?", submission) == [("graded",)]

    page.get_by_label("Your comment (the learner can read it)").fill("Good use of the fraction bars.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_role("list", name="Comments on this submission")).to_contain_text(
        "Good use of the fraction bars."
    )
    assert stack.query("SELECT body FROM submission_comments WHERE submission_id = ?", submission) == [
        ("Good use of the fraction bars.",)
    ]

    # the grade book: find the learner, read the cell, move to it with the keyboard
    page.get_by_role("link", name="Back to the review queue").click()
    page.get_by_role("link", name=f"Grade book of {_course(stack)}").click()
    settled(page)
    grid = page.get_by_role("grid")
    expect(grid).to_be_visible()
    page.get_by_label("Find a learner (name or e-mail)").fill(email)
    column = grid.get_by_role("columnheader", name=re.compile(f"^{ESSAY}")).get_attribute("aria-colindex")
    assert column is not None
    learner_row = grid.get_by_role("row").filter(has=page.get_by_role("rowheader", name=re.compile(re.escape(name))))
    expect(learner_row).to_have_count(1)
    cell = learner_row.locator(f'[aria-colindex="{column}"]')
    expect(cell).to_have_text("80%")
    learner_row.get_by_role("rowheader").click()
    for _ in range(int(column) - 1):
        page.keyboard.press("ArrowRight")
    expect(cell).to_be_focused()

    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    path = download.value.path()
    rows = list(csv.reader(Path(path).read_text(encoding="utf-8").splitlines()))
    header = rows[0]
    assignment = _assignment(stack)
    mine = next(r for r in rows[1:] if r[0] == str(learner))
    assert mine[1] == email and mine[2] == name
    assert float(mine[header.index(f"{ESSAY} [{assignment}]")]) == pytest.approx(0.8)
    assert all(cell[:1] not in ("=", "+", "-", "@") for r in rows for cell in r), "no cell reads as a formula"


@MORE
def test_an_assistant_instructor_grades_but_sees_nothing_that_edits_structure(stack: Stack, browser: Browser) -> None:
    _, email, name = _learner(stack, 21)
    submission = _flagged_essay(stack, email, "Two quarters is a half because two of four parts is one of two.")
    page = _page(browser)
    log_in(page, stack.api, ASSISTANT)
    nav = page.get_by_role("navigation").first
    expect(nav.get_by_role("link", name="Review and grades")).to_be_visible()
    for structure in ("Course studio", "Publishing"):
        expect(page.get_by_role("link", name=structure)).to_have_count(0)
    _open_queue(page, stack)
    page.get_by_role("link", name=f"{ESSAY} by {name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{ESSAY} by {name}")
    expect(page.get_by_role("link", name=re.compile("studio|Edit", re.IGNORECASE))).to_have_count(0)
    _adjust(page, "65", "Correct idea, no example")
    expect(page.get_by_test_id("current-score")).to_have_text("65%")
    expect(page.get_by_role("region", name="Score history").get_by_role("row").filter(has_text="You")).to_contain_text(
        "Correct idea, no example"
    )
    [(assistant,)] = stack.query("SELECT id FROM users WHERE email = ?", ASSISTANT)
    assert _audit(stack, submission)[-1] == ("manual", 0.65, "Correct idea, no example", assistant)

    learner = _page(browser)  # and a learner has no way in
    log_in(learner, stack.api, email)
    expect(learner.get_by_role("link", name="Review and grades")).to_have_count(0)


@MORE
def test_a_regrade_from_an_item_says_how_many_attempts_it_changed(stack: Stack, browser: Browser) -> None:
    """On an essay item of its own (a regrade sends every answer to the item back to the grader)."""
    assignment = _essay_assignment(stack, "Regrade check")
    _, email, name = _learner(stack, 22)
    submission = _flagged_essay(stack, email, "Because the parts are the same size.", assignment)

    page = _page(browser)
    log_in(page, stack.api, INSTRUCTOR)
    page.goto(f"{stack.api}/review/courses/{stack.course}/submissions/{submission}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Regrade check by {name}")
    regrade = page.get_by_role("region", name="Regrade after a key change")
    graded = stack.query("SELECT graded_at FROM submissions WHERE id = ?", submission)
    regrade.get_by_role("button", name="Regrade every answer to this item").click()
    expect(regrade.get_by_label("Why regrade")).to_have_attribute("aria-invalid", "true")  # the reason is required
    regrade.get_by_label("Why regrade").fill("The rubric now asks for an example")
    regrade.get_by_role("button", name="Regrade every answer to this item").click()
    expect(regrade.get_by_role("status")).to_contain_text(
        "0 attempts changed, 0 unchanged, 1 sent back to the graders, 0 skipped."
    )
    # the essay went back through the grader: it was graded again after the regrade
    deadline = time.monotonic() + 120
    while (
        stack.query("SELECT graded_at FROM submissions WHERE id = ?", submission) == graded
        and time.monotonic() < deadline
    ):
        time.sleep(0.5)
    assert stack.query("SELECT graded_at FROM submissions WHERE id = ?", submission) != graded


@MORE
def test_review_pages_pass_accessibility(stack: Stack, browser: Browser, shots: Path) -> None:
    _, email, name = _learner(stack, 23)
    submission = _flagged_essay(stack, email, "Halves and quarters: two quarters fill one half.")
    pages = {
        "home": "/review",
        "queue": f"/review/courses/{stack.course}",
        "item": f"/review/courses/{stack.course}/submissions/{submission}",
        "gradebook": f"/review/courses/{stack.course}/gradebook",
    }
    page = _page(browser)
    log_in(page, stack.api, INSTRUCTOR)
    failures: dict[str, list[dict[str, Any]]] = {}

    def item_shown(page: Page) -> None:
        expect(page.get_by_role("heading", level=1)).to_have_text(f"{ESSAY} by {name}")

    for key, path in pages.items():
        prepare = item_shown if key == "item" else None
        failures |= audit_themes(page, f"{stack.api}{path}", shots / f"review-{key}", prepare)
    assert not failures, failures
