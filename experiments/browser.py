"""Debian's Chromium driven by Playwright, as the browser tests and ``pathwise bench web`` use it.

Playwright's own browser download does not work on these machines, so the system Chromium
(``apt-get install chromium``) is launched by path with the flags that keep it from calling out.
axe-core comes from the web app's own npm lockfile (``web/node_modules/axe-core``), so the rules
checked are those of the version the project pins.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.loop_bench import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
#: axe's WCAG 2.1 A and AA rules (plus its best-practice rules, reported but not counted as failures).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = ("serious", "critical")
THEMES = ("light", "dark")


def launch(playwright: Playwright) -> Browser:
    """A headless Chromium from ``playwright``; says how to install it when it is missing."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)


def persistent(playwright: Playwright, profile: Path, *extra_args: str) -> BrowserContext:
    """A headless Chromium with a profile on disk: installability and Lighthouse need one (a fresh
    context is incognito, where a web app is never installable)."""
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=[*LAUNCH_ARGS, *extra_args]
    )


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium for the block (one Playwright per thread: tests share theirs instead)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    """Through the form, as a person would; returns once the signed-in app has drawn its first page."""
    page.goto(f"{base}/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("^(Log in|Iniciar sesión)$")).click()
    page.get_by_role("navigation").wait_for()


def set_theme(page: Page, theme: str) -> None:
    """The device setting the app keeps (``pathwise.display``), applied by reloading."""
    page.evaluate(
        """theme => {
            const saved = JSON.parse(localStorage.getItem("pathwise.display") || "{}");
            localStorage.setItem("pathwise.display", JSON.stringify({...saved, theme}));
        }""",
        theme,
    )
    page.reload()
    page.wait_for_function(f"document.documentElement.dataset.theme === '{theme}'")


def settled(page: Page, timeout_ms: float = 15_000) -> None:
    """Wait until the page has a heading and nothing in it is still loading (``aria-busy``)."""
    page.wait_for_function(
        "document.querySelector('h1') && !document.querySelector('[aria-busy=\"true\"]')", timeout=timeout_ms
    )


def axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now: id, impact, help and the offending nodes."""
    if not AXE_JS.exists():
        raise RuntimeError(f"{AXE_JS} is missing: run `make web` (npm ci) first")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    found: list[dict[str, Any]] = page.evaluate(
        """async tags => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5),
            }));
        }""",
        AXE_TAGS,
    )
    return found


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in BLOCKING]


def audit_themes(
    page: Page, url: str, shot_stem: Path, prepare: Callable[[Page], None] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Open ``url`` and, in each theme, check axe and save ``<shot_stem>-<theme>.png``; the serious and
    critical violations by theme (empty when there are none). ``prepare`` brings the page to the state
    people see (a preview drawn, an error showing) before each check."""
    page.goto(url)
    settled(page)
    failures: dict[str, list[dict[str, Any]]] = {}
    for theme in THEMES:
        set_theme(page, theme)
        settled(page)
        if prepare is not None:
            prepare(page)
        found = blocking(axe(page))
        if found:
            failures[f"{shot_stem.name} ({theme})"] = found
        page.screenshot(path=f"{shot_stem}-{theme}.png", full_page=True)
    return failures
