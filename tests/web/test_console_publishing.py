"""The publishing console in Chromium against ``pathwise up``: a review request goes through changes
requested and approval, the draft is scheduled, the schedule cancelled, the draft published and then
rolled back, each step visible in the page's history and checked in the API and the database.

Each test makes its own course (through the API), so that the shared stack's demo course and the
other consoles' tests never see these versions.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
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
ADMIN = "admin@demo.pathwise.local"
ASSISTANT = "assistant@demo.pathwise.local"


def _page(browser: Browser) -> Page:
    page = browser.new_context().new_page()
    page.set_default_timeout(20_000)
    return page


class Api:
    """The API as one demo user, for setting a course up and checking effects."""

    def __init__(self, stack: Stack, email: str) -> None:
        token = httpx.post(f"{stack.api}/v1/auth/token", data={"username": email, "password": PASSWORD})
        token.raise_for_status()
        self.client = httpx.Client(
            base_url=stack.api, headers={"Authorization": f"Bearer {token.json()['access_token']}"}, timeout=30
        )

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        response = self.client.request(method, path, json=body)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None


def _course_with_a_draft_change(stack: Stack, api: Api) -> int:
    """A new course in the demo course's unit, published once, then its practice text edited in the draft."""
    unit_id = api("GET", f"/v1/courses/{stack.course}")["org_unit_id"]
    code = f"PUB-{uuid.uuid4().hex[:8]}"
    course = api("POST", "/v1/courses", {"org_unit_id": unit_id, "code": code, "title": f"Publishing {code}"})["id"]
    unit = api("POST", f"/v1/courses/{course}/units", {"title": "Ratios"})["id"]
    lesson = api("POST", f"/v1/units/{unit}/lessons", {"title": "Equivalent ratios"})["id"]
    activity = api(
        "POST", f"/v1/lessons/{lesson}/activities", {"title": "Practice", "content": "Find two equal ratios."}
    )["id"]
    api("POST", f"/v1/courses/{course}/versions")
    api("PATCH", f"/v1/activities/{activity}", {"content": "Find three equal ratios and explain why."})
    return int(course)


def test_review_schedule_cancel_publish_and_roll_back(stack: Stack, browser: Browser) -> None:
    instructor_api = Api(stack, INSTRUCTOR)
    course = _course_with_a_draft_change(stack, instructor_api)
    url = f"{stack.api}/publishing/courses/{course}"

    author = _page(browser)
    log_in(author, stack.api, INSTRUCTOR)
    author.get_by_role("navigation", name="Main").get_by_role("link", name="Publishing").click()
    expect(author.get_by_role("heading", level=1)).to_have_text("Publishing")
    title = instructor_api("GET", f"/v1/courses/{course}")["title"]
    expect(author.get_by_role("row").filter(has_text=title)).to_contain_text("Changed since the last version")
    author.get_by_role("link", name=title, exact=True).click()
    settled(author)

    # the author asks for a review; they cannot approve their own request
    author.get_by_label("Title").fill("Clearer practice")
    author.get_by_role("button", name="Open the review request").click()
    expect(author.get_by_role("heading", name="Review request: Clearer practice")).to_be_visible()
    expect(
        author.get_by_text("Find three equal ratios and explain why.").or_(author.locator("ins").first)
    ).to_be_visible()
    expect(author.get_by_role("radio", name="Approve")).to_be_disabled()
    expect(author.get_by_text("Publishing needs a reviewer's approval")).to_be_visible()

    # the administrator asks for changes, then approves
    reviewer = _page(browser)
    log_in(reviewer, stack.api, ADMIN)
    reviewer.goto(url)
    settled(reviewer)
    reviewer.get_by_label("Comment", exact=True).fill("Say which ratios.")
    reviewer.get_by_text("Request changes", exact=True).click()
    reviewer.get_by_role("button", name="Send").click()
    expect(reviewer.get_by_text("Changes requested.", exact=True)).to_be_visible()

    author.reload()
    settled(author)
    expect(author.get_by_text("Say which ratios.")).to_be_visible()
    expect(author.locator(".pw-card .pw-pub-badge").first).to_have_text("Changes requested")

    reviewer.get_by_text("Approve", exact=True).click()
    reviewer.get_by_role("button", name="Send").click()
    expect(reviewer.get_by_text("Approved.", exact=True)).to_be_visible()

    # the author schedules publishing a couple of minutes ahead, sees it pending, cancels it
    author.reload()
    settled(author)
    author.get_by_role("button", name="Schedule publishing").click()
    expect(author.get_by_text("Publishing scheduled.")).to_be_visible()
    cancel = author.get_by_role("button", name=re.compile("^Cancel publishing at"))
    expect(cancel).to_have_count(1)
    pending = instructor_api("GET", f"/v1/courses/{course}/schedules")
    assert [s["status"] for s in pending] == ["pending"]
    ahead = datetime.fromisoformat(pending[0]["publish_at"]) - datetime.now(UTC)
    assert 30 < ahead.total_seconds() <= 180
    cancel.click()
    expect(author.get_by_text("Nothing is scheduled.")).to_be_visible()
    assert stack.query("SELECT status FROM publish_schedules WHERE course_id = ?", course) == [("cancelled",)]

    # the approval still stands: publish now
    author.get_by_role("button", name="Publish now").click()
    expect(author.get_by_text("Published.", exact=True)).to_be_visible()
    expect(author.get_by_role("rowheader", name="version 2")).to_be_visible()
    assert [v["version"] for v in instructor_api("GET", f"/v1/courses/{course}/versions")["items"]] == [1, 2]

    # roll back to version 1, confirming in the dialog
    author.get_by_role("button", name="Roll back to version 1").click()
    dialog = author.get_by_role("alertdialog")
    expect(dialog).to_contain_text("published as version 3")
    dialog.get_by_role("button", name="Roll back to version 1").click()
    expect(author.get_by_text("Rolled back to version 1: published as version 3.")).to_be_visible()
    assert instructor_api("GET", f"/v1/courses/{course}/versions/3/diff?against=1")["changes"] == []
    rows = stack.query("SELECT version FROM course_versions WHERE course_id = ? ORDER BY version", course)
    assert rows == [(1,), (2,), (3,)]

    # every step is in the history, on the page and in the write-once audit table
    history = author.get_by_role("list", name="History")
    for step in (
        "opened a review request",
        "requested changes",
        "approved a review request",
        "scheduled publishing",
        "cancelled a schedule",
        "published (version 2)",
        "rolled back (version 3)",
    ):
        expect(history).to_contain_text(step)
    actions = [a for (a,) in stack.query("SELECT action FROM publishing_audit WHERE course_id = ? ORDER BY id", course)]
    assert actions == [
        "version.published",  # version 1, published by the setup through the API
        "review.opened",
        "review.changes_requested",
        "review.approved",
        "schedule.created",
        "schedule.cancelled",
        "version.published",
        "version.rolled_back",
    ]
    for page in (author, reviewer):
        page.context.close()


@MORE
def test_the_assistant_instructor_never_sees_publishing(stack: Stack, browser: Browser) -> None:
    page = _page(browser)
    log_in(page, stack.api, ASSISTANT)
    expect(page.get_by_role("navigation").get_by_role("link", name="Publishing")).to_have_count(0)
    page.goto(f"{stack.api}/publishing")
    settled(page)
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Publishing")
    refused = Api(stack, ASSISTANT).client.get("/v1/publishing/courses")
    assert refused.status_code == 403
    page.context.close()


@MORE
def test_publishing_pages_pass_accessibility(stack: Stack, browser: Browser, shots: Path) -> None:
    api = Api(stack, INSTRUCTOR)
    course = _course_with_a_draft_change(stack, api)
    api("POST", f"/v1/courses/{course}/review-requests", {"title": "Clearer practice"})
    api("POST", f"/v1/courses/{course}/branches", {})
    page = _page(browser)
    log_in(page, stack.api, INSTRUCTOR)
    failures: dict[str, list[dict[str, Any]]] = {}
    for name, path in (("courses", "/publishing"), ("course", f"/publishing/courses/{course}")):
        failures |= audit_themes(page, f"{stack.api}{path}", shots / f"publishing-{name}")
    page.context.close()
    assert not failures, failures
