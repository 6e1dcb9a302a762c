"""The learner web app in headless Chromium, against ``pathwise up`` on a fresh home, as people use it.

Everything goes through the pages: the form to log in, the buttons and links a person presses, what
the page then shows. The API is read directly only to find the demo's ids and to check an effect
where an operator would look.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from experiments.browser import THEMES, axe, blocking, log_in, persistent_chromium, set_theme, settled
from experiments.loop_bench import PASSWORD, Stack
from experiments.web_bench import GUARDIAN, LEARNER, pages_of

pytestmark = pytest.mark.browser


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


def test_every_page_has_no_serious_accessibility_violation_in_either_theme(
    stack: Stack, browser: Browser, shots: Path
) -> None:
    token = httpx.post(f"{stack.api}/v1/auth/token", data={"username": LEARNER, "password": PASSWORD}).json()
    pages = pages_of(stack.api, token["access_token"])
    assert {p.name for p in pages} >= {"login", "learner-home", "activity-quiz", "guardian-learners"}
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
        page.goto(f"{stack.api}{page_def.path}")
        settled(page)
        for theme in THEMES:
            set_theme(page, theme)
            settled(page)
            found = blocking(axe(page))
            if found:
                failures[f"{page_def.name} ({theme})"] = found
            page.screenshot(path=str(shots / f"{page_def.name}-{theme}.png"), full_page=True)
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


def test_the_app_is_an_installable_pwa_that_opens_offline(stack: Stack, tmp_path: Path) -> None:
    with persistent_chromium(tmp_path / "profile") as context:
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
