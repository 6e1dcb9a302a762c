"""The course studio (/studio) in a real browser against a running `pathwise up` with the demo data.

The instructor builds a small course through the pages alone (drag and drop with the mouse, moves with
the keyboard), writes its metadata, a page, an uploaded image and a quiz; the database then holds what
the pages showed. The assistant instructor, who grades but does not edit structure, sees no studio.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from experiments.browser import audit_themes, log_in, settled
from experiments.loop_bench import PASSWORD, Stack

INSTRUCTOR = "instructor@demo.pathwise.local"
ASSISTANT = "assistant@demo.pathwise.local"
#: A PNG signature and enough bytes that the upload reports progress on its way.
PNG = b"\x89PNG\r\n\x1a\n" + bytes(3 * 1024 * 1024)


pytestmark = pytest.mark.browser
#: The rest of a console's tests (its accessibility audit in both themes, further flows) run in `make test-all`.
MORE = pytest.mark.slow


def _page(browser: Browser) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(20_000)
    return page


def _token(stack: Stack, email: str) -> str:
    form = {"username": email, "password": PASSWORD}
    return str(httpx.post(f"{stack.api}/v1/auth/token", data=form).json()["access_token"])


def _titles(stack: Stack, sql: str, *params: Any) -> list[str]:
    return [row[0] for row in stack.query(sql, *params)]


def _add(page: Page, label: str, title: str) -> None:
    """Fill one of the builder's one-line add forms and submit it with Enter; wait for the new row."""
    page.get_by_label(label, exact=True).fill(title)
    page.get_by_label(label, exact=True).press("Enter")
    expect(page.get_by_role("link", name=title, exact=True)).to_be_visible()


def _drag(page: Page, handle: Locator, target: Locator) -> None:
    """A mouse drag in small steps, as a hand would, dropped on the upper part of the target row (held by
    the row's text: the handle button is the keyboard's and screen readers' way in)."""
    start, end = handle.bounding_box(), target.bounding_box()
    assert start and end
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] * 0.25 * step / 10, steps=2)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] * 0.2, steps=3)
    page.mouse.up()


def _new_course(page: Page, stack: Stack) -> int:
    page.goto(f"{stack.api}/studio")
    settled(page)
    expect(page.get_by_role("heading", level=1, name="Course studio")).to_be_visible()
    page.get_by_label("Course title").fill("Studio fractions")
    page.get_by_label("Course code").fill(f"STUDIO-{uuid.uuid4().hex[:6]}")
    page.get_by_role("button", name="Create the draft").click()
    page.wait_for_url(re.compile(r"/studio/courses/\d+$"))
    expect(page.get_by_role("heading", level=1, name="Studio fractions")).to_be_visible()
    return int(page.url.rsplit("/", 1)[1])


def test_an_instructor_builds_and_reorders_a_course_with_mouse_and_keyboard(stack: Stack, browser: Browser) -> None:
    page = _page(browser)
    log_in(page, stack.api, INSTRUCTOR)
    expect(page.get_by_role("navigation").get_by_role("link", name="Course studio")).to_be_visible()
    course = _new_course(page, stack)
    expect(page.get_by_role("link", name="Versions, review and publishing of this course")).to_have_attribute(
        "href", f"/publishing/courses/{course}"
    )

    _add(page, "New unit title", "Unit A")
    _add(page, "New unit title", "Unit B")
    _add(page, "New lesson title in Unit A", "Lesson 1")
    _add(page, "New lesson title in Unit B", "Lesson 2")
    for title in ("Intro page", "Second page", "Third page"):
        _add(page, "New activity title in Lesson 1", title)
    lesson_sql = (
        "SELECT a.title FROM activities a JOIN lessons l ON l.id = a.lesson_id WHERE l.title = ?"
        " AND l.unit_id IN (SELECT id FROM units WHERE course_id = ?) ORDER BY a.position"
    )
    assert _titles(stack, lesson_sql, "Lesson 1", course) == ["Intro page", "Second page", "Third page"]

    # drag and drop with the mouse: Third page goes first
    activities = page.get_by_role("grid", name="Activities of Lesson 1")
    third = activities.get_by_role("row").filter(has_text="Third page")
    _drag(page, third.locator(".pw-studio__pos"), activities.get_by_role("row").first)
    expect(activities.get_by_role("row").first).to_contain_text("Third page")
    assert _titles(stack, lesson_sql, "Lesson 1", course) == ["Third page", "Intro page", "Second page"]

    # the keyboard alone: Move down on Third page, then Move to… Lesson 2 for Second page
    down = page.get_by_role("button", name="Move Third page down")
    down.focus()
    page.keyboard.press("Enter")
    expect(activities.get_by_role("row").first).to_contain_text("Intro page")
    assert _titles(stack, lesson_sql, "Lesson 1", course) == ["Intro page", "Third page", "Second page"]
    second = activities.get_by_role("row").filter(has_text="Second page")
    second.get_by_role("button", name="Move to… Second page").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Move Second page")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=re.compile("Into the lesson")).focus()
    page.keyboard.press("Enter")  # the list opens on the only other lesson
    expect(page.get_by_role("option", name="Unit B \u203a Lesson 2")).to_be_focused()
    page.keyboard.press("Enter")
    dialog.get_by_role("button", name="Move", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("grid", name="Activities of Lesson 2")).to_contain_text("Second page")
    assert _titles(stack, lesson_sql, "Lesson 2", course) == ["Second page"]
    assert _titles(stack, lesson_sql, "Lesson 1", course) == ["Intro page", "Third page"]

    # metadata: a bad standard code is refused with the server's words, then a good one is kept
    page.get_by_role("link", name="Intro page").click()
    settled(page)
    page.get_by_label("Learning objectives").fill("Add fractions with unlike denominators\nExplain why")
    page.get_by_label("Duration in minutes").fill("25")
    page.get_by_label("Standards alignment (Common Core codes)").fill("6.RP.1")
    skill_name, skill_code = stack.query("SELECT name, code FROM skills WHERE code = '71'")[0]
    search = page.get_by_role("combobox", name="Add a skill")
    search.click()
    search.fill(skill_name[:8])
    page.get_by_role("option", name=re.compile(re.escape(skill_name))).click()
    search.press("Escape")  # the list stays open for more picks until Escape
    expect(page.get_by_role("row", name=skill_name)).to_be_visible()
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("alert")).to_contain_text("not a Common Core code")
    page.get_by_label("Standards alignment (Common Core codes)").fill("CCSS.MATH.CONTENT.5.NF.A.1")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("Details saved.")).to_be_visible()
    intro_id, details = stack.query("SELECT id, metadata FROM activities WHERE title = 'Intro page' ORDER BY id DESC")[
        0
    ]
    meta = json.loads(details) if isinstance(details, str) else details
    assert meta["objectives"] == ["Add fractions with unlike denominators", "Explain why"]
    assert meta["duration_minutes"] == 25 and meta["skills"] == [skill_code]
    assert meta["standards"] == [{"framework": "CCSS.MATH", "code": "CCSS.MATH.CONTENT.5.NF.A.1"}]
    assert stack.query("SELECT count(*) FROM activity_skills WHERE activity_id = ?", intro_id)[0][0] == 1

    # the page editor: bold text and an autolinked address; the server's cleaning drops the link's target
    editor = page.get_by_role("textbox", name="Page text editor")
    editor.click()
    page.get_by_role("button", name="Bold").click()
    expect(editor).to_be_focused()  # the toolbar hands focus back to the text; keys typed before it would be lost
    page.keyboard.type("Fractions")
    page.get_by_role("button", name="Bold").click()
    expect(editor).to_be_focused()
    page.keyboard.type(" name parts of a whole: https://example.org/fractions ")
    page.get_by_role("button", name="Save the page").click()
    saved = page.get_by_test_id("sanitized")
    expect(saved.locator("strong")).to_have_text("Fractions")
    content = stack.query("SELECT content FROM activities WHERE id = ?", intro_id)[0][0]
    assert "<strong>Fractions</strong>" in content and 'href="https://example.org/fractions"' in content
    assert "target=" not in content and 'rel="noopener noreferrer"' in content

    # an image through the file button, with its progress shown on the way
    page.evaluate(
        """() => {
            window.__progress = [];
            new MutationObserver(() => {
                for (const bar of document.querySelectorAll('[role=progressbar]'))
                    window.__progress.push(bar.getAttribute('aria-valuenow'));
            }).observe(document.body, {subtree: true, childList: true, attributes: true});
        }"""
    )
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Choose files").click()
    chooser.value.set_files({"name": "Fraction bars.png", "mimeType": "image/png", "buffer": PNG})
    expect(page.get_by_text("Fraction bars.png uploaded.")).to_be_visible()
    assert page.evaluate("window.__progress.length") > 0
    key, size, kind = stack.query("SELECT key, size, content_type FROM media_assets WHERE course_id = ?", course)[0]
    assert key.startswith("fraction-bars-") and size == len(PNG) and kind == "image/png"
    expect(page.get_by_role("link", name=key)).to_be_visible()
    details = stack.query("SELECT metadata FROM activities WHERE id = ?", intro_id)[0][0]
    assert (json.loads(details) if isinstance(details, str) else details)["media"] == [key]

    # a quiz in Lesson 1 with a multiple-choice question and feedback on its distractor
    page.get_by_role("link", name="Course outline").click()
    page.get_by_label("New activity title in Lesson 1", exact=True).fill("Check yourself")
    page.get_by_role("button", name=re.compile("Activity kind")).first.click()
    page.get_by_role("option", name="Quiz").click()
    page.get_by_label("New activity title in Lesson 1", exact=True).press("Enter")
    page.get_by_role("link", name="Check yourself").click()
    settled(page)
    page.get_by_label("Question", exact=True).fill("What is 1/2 + 1/4?")
    page.get_by_role("textbox", name="Choice 1", exact=True).fill("2/6")
    page.get_by_label("Feedback for choice 1").fill("Find a common denominator first.")
    page.get_by_role("textbox", name="Choice 2", exact=True).fill("3/4")
    page.get_by_role("radiogroup", name="Correct choice").get_by_role("radio", name="3/4").check()
    preview = page.get_by_role("region", name="Preview: as the learner sees it")
    expect(preview.get_by_role("radio", name="2/6")).to_be_visible()
    expect(preview).to_contain_text("Find a common denominator first.")
    page.get_by_role("button", name="Add the question to the quiz").click()
    expect(page.get_by_text("the quiz has 1 question")).to_be_visible()
    quiz = stack.query(
        "SELECT s.spec, a.id FROM assessments s JOIN activities a ON a.id = s.activity_id"
        " WHERE a.title = 'Check yourself' ORDER BY s.id DESC"
    )[0]
    spec = json.loads(quiz[0]) if isinstance(quiz[0], str) else quiz[0]
    key_raw = stack.query("SELECT answer_key FROM items WHERE id = ?", spec["item_ids"][0])[0][0]
    answer_key = json.loads(key_raw) if isinstance(key_raw, str) else key_raw
    assert answer_key["correct"] == "b"
    assert answer_key["choices"][0] == {"id": "a", "feedback": "Find a common denominator first."}


@MORE
def test_the_assistant_instructor_sees_no_studio_and_no_edit_control(stack: Stack, browser: Browser) -> None:
    token = _token(stack, INSTRUCTOR)
    headers = {"Authorization": f"Bearer {token}"}
    course = httpx.get(f"{stack.api}/v1/courses", headers=headers).json()["items"][0]["id"]
    page = _page(browser)
    log_in(page, stack.api, ASSISTANT)
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link").first).to_be_visible()
    expect(nav.get_by_role("link", name="Course studio")).to_have_count(0)
    for path in ("/studio", f"/studio/courses/{course}"):
        page.goto(f"{stack.api}{path}")
        settled(page)
        expect(page.get_by_role("heading", level=1, name="Course studio")).to_have_count(0)
        for control in ("Create the draft", "Add", "Delete", "Save details", "Move to…"):
            expect(page.get_by_role("button", name=control)).to_have_count(0)
        expect(page.get_by_role("button", name=re.compile("^(Drag|Move) "))).to_have_count(0)


def _studio_pages(stack: Stack) -> list[tuple[str, str]]:
    """A course of its own with a page and a quiz, made through the API, and the studio's pages on it."""
    headers = {"Authorization": f"Bearer {_token(stack, INSTRUCTOR)}"}
    api = httpx.Client(base_url=stack.api, headers=headers)
    unit_id = api.get("/v1/org-units").json()["items"][-1]["id"]
    course = api.post(
        "/v1/courses",
        json={"org_unit_id": unit_id, "code": f"A11Y-{uuid.uuid4().hex[:6]}", "title": "Accessible studio"},
    ).json()["id"]
    unit = api.post(f"/v1/courses/{course}/units", json={"title": "Unit one"}).json()["id"]
    lesson = api.post(f"/v1/units/{unit}/lessons", json={"title": "Lesson one"}).json()["id"]
    page_activity = api.post(
        f"/v1/lessons/{lesson}/activities", json={"title": "A page", "kind": "reading", "content": "Some **text**"}
    ).json()["id"]
    quiz = api.post(f"/v1/lessons/{lesson}/activities", json={"title": "A quiz", "kind": "quiz"}).json()["id"]
    return [
        ("studio-courses", "/studio"),
        ("studio-course", f"/studio/courses/{course}"),
        ("studio-lesson", f"/studio/courses/{course}/lesson/{lesson}"),
        ("studio-page", f"/studio/courses/{course}/activity/{page_activity}"),
        ("studio-quiz", f"/studio/courses/{course}/activity/{quiz}"),
    ]


@MORE
def test_studio_pages_pass_accessibility(stack: Stack, browser: Browser, shots: Path) -> None:
    page = _page(browser)
    log_in(page, stack.api, INSTRUCTOR)
    failures: dict[str, list[dict[str, Any]]] = {}
    for name, path in _studio_pages(stack):
        failures |= audit_themes(page, f"{stack.api}{path}", shots / name)
    assert not failures, failures
