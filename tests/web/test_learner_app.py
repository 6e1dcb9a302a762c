"""The learner web app in headless Chromium, against ``pathwise up`` on a fresh home, as people use it.

Everything goes through the pages: the form to log in, the buttons and links a person presses, what
the page then shows. The API is read directly only to find the demo's ids and to check an effect
where an operator would look.
"""

from __future__ import annotations

import contextlib
import re
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from experiments.browser import audit_themes, log_in, persistent, settled
from experiments.loop_bench import PASSWORD, Stack
from experiments.web_bench import GUARDIAN, LEARNER, pages_of

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def stack(seeded_stack: Stack) -> Stack:
    """The demo exactly as seeded: no console test has published, ruled or rolled anything out on it."""
    return seeded_stack


def _page(browser: Browser, **context: Any) -> Page:
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(20_000)
    return page


def test_a_learner_logs_in_stays_in_across_a_reload_and_logs_out(stack: Stack, browser: Browser) -> None:
    page = _page(browser)
    page.goto(f"{stack.api}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Pathwise")

    page.get_by_label("E-mail").fill(LEARNER)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Log-in failed")

    log_in(page, stack.api, LEARNER)
    expect(page.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    tokens = page.evaluate("Object.keys(localStorage).join(' ') + document.cookie")
    assert "refresh" not in tokens and "token" not in tokens, "no token is in script reach"

    page.reload()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Pathwise")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Pathwise")


QUIZ = "Quiz: adding and subtracting fractions"
SKILL = "Addition and Subtraction Fractions"


def _fresh_learner(stack: Stack, index: int) -> str:
    """A seeded learner the knowledge-tracing model is not yet certain about (each test takes its own)."""
    return stack.emails[stack.learners[index]]


def _percent(text: str) -> float:
    found = re.search(r"(\d+(?:\.\d+)?)\s*%", text)
    assert found, f"no percentage in {text!r}"
    return float(found.group(1))


def _heatmap_cell(page: Page, skill: str) -> float:
    cell = page.get_by_role("list", name="Mastery heatmap").get_by_role("listitem").filter(has_text=skill).first
    return _percent(cell.inner_text())


def _open_the_lesson_quiz(page: Page) -> None:
    """From the home page, as a learner finds it: the course outline, then the lesson's quiz."""
    page.get_by_role("link", name=re.compile("^Course outline: ")).first.click()
    expect(page.get_by_role("heading", name="Getting started with fractions")).to_be_visible()
    page.get_by_role("link", name=QUIZ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(QUIZ)
    expect(page.get_by_text("Question 1 of 6").first).to_be_visible()


def test_a_learner_follows_a_recommendation_answers_and_sees_the_change(stack: Stack, browser: Browser) -> None:
    page = _page(browser)
    log_in(page, stack.api, _fresh_learner(stack, 2))
    settled(page)
    cards = page.get_by_role("list", name="Recommendations").get_by_role("listitem")
    expect(cards.first).to_be_visible()
    for index in range(cards.count()):  # each says what it is and why, in words
        card = cards.nth(index)
        assert card.locator(".pw-tag").inner_text().strip(), "a recommendation names its type"
        assert re.search(r"Why: \S", card.inner_text() + card.text_content()), "a recommendation gives its reason"
    before = _heatmap_cell(page, SKILL)

    first = cards.first.get_by_role("link")
    title = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    page.get_by_role("link", name="Home").click()
    settled(page)
    _open_the_lesson_quiz(page)
    page.get_by_role("radio", name="2/6").check()
    page.get_by_role("button", name="Check answer").click()
    expect(page.get_by_role("heading", name="Not quite")).to_be_visible()
    expect(page.get_by_text("Add numerators only after finding a common denominator.")).to_be_visible()
    expect(page.get_by_text("2 tries left.")).to_be_visible()
    page.get_by_role("button", name="Show a hint").click()
    expect(page.get_by_text(re.compile("^Hint: "))).to_be_visible()

    # the wrong answer travels the spine: the next step names the skill's new, lower mastery
    next_step = page.get_by_role("region", name="Your next step")
    mastery = next_step.get_by_text(re.compile(f"^Your mastery of {SKILL}: "))
    expect(mastery).to_be_visible(timeout=10_000)
    # the panel shows the ranking it has at once, then asks again once the answer has reached serving
    deadline = time.monotonic() + 10
    while _percent(mastery.inner_text()) >= before and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert _percent(mastery.inner_text()) < before, (mastery.inner_text(), before)

    page.get_by_role("link", name="Home").click()
    settled(page)
    assert _heatmap_cell(page, SKILL) < before, "the home page's heatmap shows the answer too"


#: The demo quiz's matching item: each sum and the fraction it equals.
MATCHES = {"1/4 + 1/4": "1/2", "1/3 + 1/3": "2/3", "1/5 + 2/5": "3/5"}


def _put_in_order(page: Page) -> None:
    """The ordering item, smallest first, with its Move up buttons (a bubble sort a person could do)."""
    ups = page.get_by_role("grid").get_by_role("button", name=re.compile(r"^Move .+ up$"))
    for _ in range(12):
        names = [
            re.sub(r"^Move (.+) up$", r"\1", b.evaluate("e => (e.getAttribute('aria-label') || e.textContent).trim()"))
            for b in ups.all()
        ]
        values = [Fraction(name) for name in names]
        out_of_place = next((i for i in range(1, len(values)) if values[i] < values[i - 1]), None)
        if out_of_place is None:
            return
        ups.nth(out_of_place).click()
    raise AssertionError("the ordering did not settle")


def test_a_learner_takes_a_quiz_offline_closes_the_tab_and_sees_it_graded_on_reconnect(
    stack: Stack, playwright: Playwright, tmp_path: Path
) -> None:
    with contextlib.closing(persistent(playwright, tmp_path / "profile")) as context:
        page = context.new_page()
        page.set_default_timeout(20_000)
        log_in(page, stack.api, _fresh_learner(stack, 3))
        settled(page)
        before = _heatmap_cell(page, SKILL)
        _open_the_lesson_quiz(page)
        page.get_by_role("button", name="Make available offline").click()
        expect(page.get_by_text(re.compile("^Available offline"))).to_be_visible()
        page.get_by_role("radio", name="3/4").check()
        page.get_by_role("button", name="Check answer").click()
        expect(page.get_by_role("heading", name="Correct")).to_be_visible()
        page.get_by_role("button", name="Next question").click()

        context.set_offline(True)
        for choice in ("2/4", "3/6", "5/10"):
            page.get_by_role("checkbox", name=choice).check()
        page.get_by_role("button", name="Save answer").click()
        expect(page.get_by_role("heading", name="Answer saved on this device")).to_be_visible()
        page.get_by_role("button", name="Next question").click()
        quiz_url = page.url
        page.close()  # the tab is closed with the answer still on the device

        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(quiz_url)  # still offline: the shell comes from the service worker
        expect(page.get_by_text("Question 3 of 6").first).to_be_visible()
        expect(page.get_by_text(re.compile("You are offline")).first).to_be_visible()
        page.get_by_label("Your answer (a number)").fill("0.42")
        page.get_by_role("button", name="Save answer").click()
        page.get_by_role("button", name="Next question").click()
        page.get_by_label("Your answer").fill("denominator")
        page.get_by_role("button", name="Save answer").click()
        page.get_by_role("button", name="Next question").click()
        _put_in_order(page)
        page.get_by_role("button", name="Save answer").click()
        page.get_by_role("button", name="Next question").click()
        for prompt, match in MATCHES.items():
            page.get_by_role("button", name=prompt).click()
            page.get_by_role("option", name=match, exact=True).click()
        page.get_by_role("button", name="Save answer").click()
        page.get_by_role("button", name="Next question").click()
        expect(page.get_by_role("heading", name="Your answers")).to_be_visible()
        expect(page.get_by_text(re.compile("^Waiting to be graded"))).to_have_count(5)
        expect(page.get_by_role("button", name=re.compile("changes? waiting to sync"))).to_be_visible()

        context.set_offline(False)
        expect(page.get_by_role("button", name="All changes synced")).to_be_visible(timeout=30_000)
        expect(page.get_by_text(re.compile(r"^Correct \(100\s?%\)"))).to_have_count(6, timeout=30_000)
        expect(page.get_by_text(re.compile("^Waiting to be graded"))).to_have_count(0)
        page.get_by_role("button", name="Finish quiz").click()
        expect(page.get_by_text(re.compile("^Your score: "))).to_be_visible()

        page.get_by_role("link", name="Home").click()
        settled(page)
        assert _heatmap_cell(page, SKILL) != before, "the answers made offline reached the recommendations"
    answered = stack.query(
        "SELECT count(*) FROM attempts a JOIN users u ON u.id = a.user_id JOIN items i ON i.id = a.item_id "
        "WHERE u.email = ? AND i.external_id LIKE 'demo-frac-%'",
        _fresh_learner(stack, 3),
    )
    assert answered == [(6,)], "each of the six answers was graded exactly once: none lost, none twice"


def test_every_page_has_no_serious_accessibility_violation_in_either_theme(
    stack: Stack, browser: Browser, shots: Path
) -> None:
    token = httpx.post(f"{stack.api}/v1/auth/token", data={"username": LEARNER, "password": PASSWORD}).json()
    pages = pages_of(stack.api, token["access_token"])
    players = {"reading", "video", "notebook", "quiz", "code", "essay"}
    shared = {"login", "learner-home", "staff-home", "no-access", "guardian-learners", "guardian-learner"}
    assert {p.name for p in pages} >= shared | {f"activity-{player}" for player in players}
    signed_in: dict[str, Page] = {}
    failures: dict[str, list[dict[str, Any]]] = {}
    for page_def in pages:
        if page_def.who is None:
            page = _page(browser)
        elif page_def.who not in signed_in:
            page = signed_in[page_def.who] = _page(browser)
            log_in(page, stack.api, page_def.who)
        else:
            page = signed_in[page_def.who]
        failures |= audit_themes(page, f"{stack.api}{page_def.path}", shots / page_def.name)
    assert not failures, failures


def test_the_keyboard_alone_reaches_the_settings_and_the_skip_link_moves_focus(stack: Stack, browser: Browser) -> None:
    page = _page(browser)
    log_in(page, stack.api, LEARNER)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    settings = page.get_by_role("button", name="Display and language")
    settings.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Display and language")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(settings).to_be_focused()  # focus returns to what opened the dialog


def _choose(page: Page, label: str, option: str) -> None:
    """Pick a value in one of the settings' selects with the keyboard, as a screen-reader user would."""
    page.get_by_role("button", name=re.compile(label)).focus()
    page.keyboard.press("Enter")
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    page.get_by_role("option", name=option).focus()
    page.keyboard.press("Enter")
    expect(listbox).to_be_hidden()


#: The focused element's name as a screen reader would say it, near enough: its label, else its text.
FOCUSED_NAME = """() => {
    const e = document.activeElement;
    const labelledBy = (e.getAttribute("aria-labelledby") || "").split(" ")
        .map(id => (document.getElementById(id) || {}).innerText || "").join(" ").trim();
    const label = e.labels && e.labels.length ? e.labels[0].innerText : "";
    return (e.getAttribute("aria-label") || labelledBy || label || e.innerText || "").trim();
}"""


def _tab_to(page: Page, name: str, *, limit: int = 120, key: str = "Tab") -> None:
    """Press Tab (or ``key``) until the focused element's text or label is ``name``, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press(key)
        focused = page.evaluate(FOCUSED_NAME)
        if focused == name:
            return
    raise AssertionError(f"{name!r} is not reachable with Tab")


def test_the_keyboard_alone_carries_a_learner_from_log_in_to_feedback(stack: Stack, browser: Browser) -> None:
    page = _page(browser)
    page.goto(f"{stack.api}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Pathwise")
    page.keyboard.press("Tab")
    page.keyboard.type(_fresh_learner(stack, 4))
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("navigation")).to_be_visible()
    settled(page)

    first = page.get_by_role("list", name="Recommendations").get_by_role("link").first.inner_text()
    _tab_to(page, first)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(first)

    _tab_to(page, "Home", key="Shift+Tab")  # back up to the banner's navigation
    page.keyboard.press("Enter")
    settled(page)
    _tab_to(page, page.get_by_role("link", name=re.compile("^Course outline: ")).first.inner_text())
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Getting started with fractions")).to_be_visible()
    _tab_to(page, QUIZ)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Question 1 of 6").first).to_be_visible()
    _tab_to(page, "2/6")
    page.keyboard.press("Space")
    expect(page.get_by_role("radio", name="2/6")).to_be_checked()
    _tab_to(page, "Check answer")
    page.keyboard.press("Enter")
    feedback = page.get_by_role("heading", name="Not quite")
    expect(feedback).to_be_visible()
    expect(feedback).to_be_focused()  # the feedback takes focus, so a screen reader reads it next
    _tab_to(page, "Show a hint")
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile("^Hint: "))).to_be_visible()


def test_a_learner_switches_to_spanish_and_right_to_left(stack: Stack, browser: Browser) -> None:
    page = _page(browser, locale="en-GB")
    log_in(page, stack.api, LEARNER)
    page.get_by_role("button", name="Display and language").click()
    _choose(page, "Language", "Español")
    expect(page.get_by_role("heading", name="Pantalla e idioma")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name="Inicio")).to_be_visible()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "es"

    page.reload()  # the choice is the device's and outlives the page
    expect(page.get_by_role("link", name="Inicio")).to_be_visible()

    page.get_by_role("button", name="Pantalla e idioma").click()
    _choose(page, "Idioma", "RTL pseudo-locale")
    page.keyboard.press("Escape")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    brand = page.locator(".pw-brand").bounding_box()
    logout = page.get_by_role("button", name=re.compile("Log out")).bounding_box()
    assert brand and logout and brand["x"] > logout["x"], "the banner mirrors: the brand moves to the right"


def test_a_browser_that_speaks_spanish_gets_the_app_in_spanish(stack: Stack, browser: Browser) -> None:
    page = _page(browser, locale="es-ES")
    page.goto(f"{stack.api}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inicia sesión en Pathwise")
    page.get_by_label("Correo electrónico").fill(LEARNER)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page.get_by_role("link", name="Inicio")).to_be_visible()


def test_the_app_is_an_installable_pwa_that_opens_offline(stack: Stack, playwright: Playwright, tmp_path: Path) -> None:
    with contextlib.closing(persistent(playwright, tmp_path / "profile")) as context:
        page = context.new_page()
        page.goto(f"{stack.api}/")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        session = context.new_cdp_session(page)
        errors = session.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == [], errors
        manifest = httpx.get(f"{stack.api}/manifest.webmanifest").json()
        assert manifest["display"] == "standalone" and any(i["sizes"] == "512x512" for i in manifest["icons"])

        page.reload()  # now the worker controls the page
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        context.set_offline(True)
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Pathwise")
        context.set_offline(False)


def test_a_guardian_sees_their_learners_read_only(stack: Stack, browser: Browser) -> None:
    page = _page(browser)
    log_in(page, stack.api, GUARDIAN)
    page.get_by_role("link", name="My learners").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My learners")
    learners = page.get_by_role("list", name="Linked learners").get_by_role("link")
    expect(learners).to_have_count(2)  # the demo links the guardian to the first two learners
    name = learners.first.inner_text()
    learners.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Learning of {name}")
    settled(page)
    for region in ("Progress summary", "Mastery by competency", "Time spent learning"):
        expect(page.get_by_role("region", name=region)).to_be_visible()
    expect(page.get_by_role("button", name="Save preferences")).to_have_count(0)
    assert page.locator("main a[href^='/learn/']").count() == 0, "a guardian cannot open activities as the learner"
