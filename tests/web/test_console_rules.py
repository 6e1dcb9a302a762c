"""The visual rule builder in Chromium against ``pathwise up``: compose, see the text, break it, preview, save.

The demo data has no cohort, so the tests make one through the API as the instructor would (a cohort
of the demo course with three learners no other browser test uses) and then work only in the page:
the palette, the text, the preview and the save button. The effects are read where an operator would
look: the rules table, and the learner's own recommendations.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from experiments.browser import audit_themes, log_in, settled
from experiments.loop_bench import PASSWORD, Stack

pytestmark = pytest.mark.browser
#: The rest of a console's tests (its accessibility audit in both themes, further flows) run in `make test-all`.
MORE = pytest.mark.slow

INSTRUCTOR = "instructor@demo.pathwise.local"
ASSISTANT = "assistant@demo.pathwise.local"
COHORT = "Rules console cohort"


def _page(browser: Browser) -> Page:
    page = browser.new_context().new_page()
    page.set_default_timeout(20_000)
    return page


def _headers(stack: Stack, email: str) -> dict[str, str]:
    answer = httpx.post(f"{stack.api}/v1/auth/token", data={"username": email, "password": PASSWORD})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture(scope="module")
def cohort(stack: Stack) -> dict[str, Any]:
    """A cohort of the demo course with three learners from the end of the list (the learner tests take the front)."""
    staff = _headers(stack, INSTRUCTOR)
    with httpx.Client(base_url=stack.api, headers=staff, timeout=30) as client:
        course = client.get(f"/v1/courses/{stack.course}").json()
        found = [c for c in client.get("/v1/cohorts", params={"limit": 200}).json()["items"] if c["name"] == COHORT]
        if found:
            made = found[0]
        else:
            body = {"org_unit_id": course["org_unit_id"], "course_id": stack.course, "name": COHORT}
            answer = client.post("/v1/cohorts", json=body)
            assert answer.status_code == 201, answer.text
            made = answer.json()
        learners = stack.learners[-3:]
        for learner in learners:
            assert client.post(f"/v1/cohorts/{made['id']}/members", json={"user_id": learner}).status_code == 204
    return {"id": made["id"], "learners": learners}


def _preview(page: Page) -> Locator:
    return page.get_by_role("article").filter(has=page.get_by_role("heading", name="Preview on a cohort"))


def _builder(page: Page) -> Locator:
    return page.get_by_role("article").filter(has=page.get_by_role("heading", name="Builder", exact=True))


def _select(scope: Locator, label: str) -> Locator:
    return scope.locator(".pw-field").filter(has=scope.page.get_by_text(label, exact=True)).get_by_role("button")


def _pick(page: Page, scope: Locator, label: str, option: str) -> None:
    _select(scope, label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def _top_recommendation(stack: Stack, learner: int) -> str:
    headers = stack.login(httpx.Client(), learner)
    answer = httpx.get(
        f"{stack.api}/v1/learners/{learner}/recommendations", params={"course": stack.course}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["items"][0]["title"])


def test_an_instructor_builds_previews_and_saves_a_rule_a_learner_then_sees(
    stack: Stack, browser: Browser, cohort: dict[str, Any]
) -> None:
    learner = cohort["learners"][0]
    target = _top_recommendation(stack, learner)  # an activity open to the learner, so serving keeps it
    page = _page(browser)
    log_in(page, stack.api, INSTRUCTOR)
    page.goto(f"{stack.api}/rules/new?scope_kind=cohort&scope_id={cohort['id']}")
    settled(page)
    text = page.get_by_label("Rule text (DSL)")
    expect(text).to_have_value(re.compile(r"^if mastery\(.+\) < 60% then recommend "))

    # the palette: a streak condition replaces the starting one, and the action recommends the target
    builder = _builder(page)
    builder.get_by_role("button", name="Add: Attempts").click()
    builder.get_by_role("button", name="Remove condition 1").click()
    expect(builder.get_by_role("group", name="Condition 1: Attempts")).to_be_visible()
    builder.get_by_role("group", name="Condition 1: Attempts").get_by_role("textbox", name="Value").fill("0")
    _pick(page, builder.get_by_role("group", name="Action 1"), "Activity", target)
    source = f'if attempts() >= 0 then recommend "{target}"'
    expect(text).to_have_value(source)
    expect(page.get_by_text("The rule is valid:")).to_be_visible()

    # a broken text: the error names the column and marks the word; the field points at it
    text.fill(f'if attempts() >= 0 then recommnd "{target}"')
    error = page.get_by_role("alert").filter(has_text="Line 1, column 25:")
    expect(error).to_contain_text("unexpected 'recommnd'")
    expect(page.get_by_test_id("rule-error-mark")).to_have_text("recommnd")
    expect(text).to_have_attribute("aria-invalid", "true")
    described = text.get_attribute("aria-describedby") or ""
    assert (error.get_attribute("id") or "") in described.split()

    # the text drives the builder too
    text.fill(f'if attempts() >= 2 or streak() < 5 then recommend "{target}"')
    expect(builder.get_by_role("group", name="Condition 2: Streak")).to_be_visible()
    expect(
        builder.get_by_role("group", name="Condition 1: Attempts").get_by_role("textbox", name="Value")
    ).to_have_value("2")
    text.fill(source)
    expect(page.get_by_text("The rule is valid:")).to_be_visible()

    # preview on the cohort: every member is affected, each with their recommendations before and after
    preview = _preview(page)
    _pick(page, preview, "Cohort", COHORT)
    preview.get_by_role("button", name="Preview", exact=True).click()
    expect(preview.get_by_text(re.compile(r"^3 learners of 3 would be affected"))).to_be_visible()
    table = preview.get_by_role("table", name="Affected learners, before and after")
    row = table.get_by_role("row").filter(has=page.get_by_role("link", name=f"Learner {learner}"))
    expect(row).to_contain_text(f"Recommend: {target}")
    expect(row.get_by_role("cell").nth(1)).to_contain_text(f"1. {target}")

    # save, and the table of the cohort's rules lists it
    name = f"Warm-up {int(time.time())}"
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("button", name="Save the rule").click()
    expect(page.get_by_role("status").filter(has_text=f"Saved the rule “{name}”.")).to_be_visible()
    stored = stack.query("SELECT source, scope_kind, scope_id FROM instructor_rules WHERE name = ?", name)
    assert stored == [(source, "cohort", str(cohort["id"]))]
    page.get_by_role("link", name="Back to the rules").click()
    expect(page.get_by_role("grid", name="Rules in this scope")).to_contain_text(name)

    # the learner's recommendation now gives the rule as its reason (serving reloads the rules on the event)
    headers = stack.login(httpx.Client(), learner)
    reason = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and f'Instructor rule "{name}"' not in reason:
        answer = httpx.get(
            f"{stack.api}/v1/learners/{learner}/recommendations", params={"course": stack.course}, headers=headers
        ).json()
        reason = " | ".join(item["reason"] for item in answer["items"] if item["title"] == target)
        time.sleep(0.5)  # a poll with a deadline, not a timed assertion
    assert f'Instructor rule "{name}" (cohort scope, recommend): attempts() >= 0' in reason
    stack_rule = stack.query("SELECT id FROM instructor_rules WHERE name = ?", name)[0][0]
    httpx.delete(f"{stack.api}/v1/rules/{stack_rule}", headers=_headers(stack, INSTRUCTOR)).raise_for_status()


@MORE
def test_the_assistant_previews_but_has_no_save(stack: Stack, browser: Browser, cohort: dict[str, Any]) -> None:
    page = _page(browser)
    log_in(page, stack.api, ASSISTANT)
    page.goto(f"{stack.api}/rules/new?scope_kind=cohort&scope_id={cohort['id']}")
    settled(page)
    expect(page.get_by_text(re.compile("^You can try rules and preview them"))).to_be_visible()
    expect(page.get_by_text("The rule is valid:")).to_be_visible()
    preview = _preview(page)
    _pick(page, preview, "Cohort", COHORT)
    preview.get_by_role("button", name="Preview", exact=True).click()
    expect(preview.get_by_text(re.compile(r"learners? of 3 would be affected"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Save"))).to_have_count(0)
    page.goto(f"{stack.api}/rules/learners/{cohort['learners'][1]}")
    settled(page)
    expect(page.get_by_text("Changing overrides needs the rules:write permission")).to_be_visible()
    expect(page.get_by_role("button", name="Save the override")).to_have_count(0)


@MORE
def test_an_instructor_sets_and_removes_a_learner_override(
    stack: Stack, browser: Browser, cohort: dict[str, Any]
) -> None:
    learner = cohort["learners"][2]
    page = _page(browser)
    log_in(page, stack.api, INSTRUCTOR)
    page.goto(f"{stack.api}/rules/learners/{learner}")
    settled(page)
    expect(page.get_by_test_id("no-override")).to_be_visible()
    page.get_by_label("Recommend", exact=True).fill("Catch-up reading")
    page.get_by_label("Note", exact=True).fill("back from a long absence")
    page.get_by_role("button", name="Save the override").click()
    expect(page.get_by_role("definition").filter(has_text="Catch-up reading")).to_be_visible()
    assert stack.query("SELECT recommend, note FROM learner_overrides WHERE learner_id = ?", learner) == [
        ('["Catch-up reading"]', "back from a long absence")
    ]
    page.get_by_role("button", name="Remove the override").click()
    expect(page.get_by_test_id("no-override")).to_be_visible()
    assert stack.query("SELECT learner_id FROM learner_overrides WHERE learner_id = ?", learner) == []


@MORE
def test_rules_pages_pass_accessibility(stack: Stack, browser: Browser, cohort: dict[str, Any], shots: Path) -> None:
    page = _page(browser)
    log_in(page, stack.api, INSTRUCTOR)
    pages = {
        "list": f"/rules?scope_kind=cohort&scope_id={cohort['id']}",
        "builder": f"/rules/new?scope_kind=cohort&scope_id={cohort['id']}",
        "learner": f"/rules/learners/{cohort['learners'][1]}",
    }

    def builder_in_use(page: Page) -> None:
        """With the preview table and a parse error showing, as people see them."""
        page.get_by_text("The rule is valid:").wait_for()
        preview = _preview(page)
        _pick(page, preview, "Cohort", COHORT)
        preview.get_by_role("button", name="Preview", exact=True).click()
        preview.get_by_role("table").wait_for()
        text = page.get_by_label("Rule text (DSL)")
        text.fill(text.input_value().replace(" then ", " thn "))
        page.get_by_role("alert").filter(has_text="Line 1").wait_for()

    failures: dict[str, list[dict[str, Any]]] = {}
    for name, path in pages.items():
        prepare = builder_in_use if name == "builder" else None
        failures |= audit_themes(page, f"{stack.api}{path}", shots / f"rules-{name}", prepare)
    assert not failures, failures
