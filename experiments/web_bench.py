"""``pathwise bench web``: what a person's browser sees of each page, on the demo data.

For every page: largest contentful paint and the time until the page is *interactive* (its heading is
drawn and no part of it is still loading: nothing left ``aria-busy``), both from the start of a cold
navigation (a new browser context, no HTTP cache and no service worker, holding only the signed-in
session); and axe-core's serious and critical violations in the light and the dark theme. For the
learner home also the entry bundle's size as served (gzip, every script and stylesheet the shell
loads before any lazy chunk) and Lighthouse's performance and accessibility scores. The staff consoles'
pages are measured the same way, each seen as the demo account whose role opens it; two large views
add their own row: the grade book of 1,000 learners x 50 columns and a rule preview over 1,000 learners,
each timed from its data's arrival to the painted table (marks the pages set themselves).

Lighthouse (12.2, the web app's own npm lockfile) drives the same Chromium through its debugging port,
so it opens the home page signed in; it runs with its desktop preset because the page is served from
localhost: its default mobile preset simulates a slow 4G network that does not exist here.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from experiments.browser import (
    CHROMIUM,
    ROOT,
    THEMES,
    axe,
    chromium,
    log_in,
    persistent,
    set_theme,
    settled,
)
from experiments.loop_bench import free_port, running_stack
from pathwise.commands import bench_app

DIST = ROOT / "web" / "dist"
LIGHTHOUSE = ROOT / "web" / "node_modules" / ".bin" / "lighthouse"
LEARNER = "learner90895@demo.pathwise.local"
GUARDIAN = "guardian@demo.pathwise.local"
INSTRUCTOR = "instructor@demo.pathwise.local"
ADMIN = "admin@demo.pathwise.local"
ML_ENGINEER = "ml@demo.pathwise.local"

#: Marks the moment the page is ready to use, measured in the page from the navigation's start.
INTERACTIVE_PROBE = """
(() => {
  const check = () => {
    if (window.__pwInteractive) return;
    if (document.querySelector("h1") && !document.querySelector('[aria-busy="true"]')) {
      window.__pwInteractive = performance.now();
    } else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();
"""
LCP = """
() => new Promise(resolve => {
  new PerformanceObserver(list => {
    const entries = list.getEntries();
    const last = entries[entries.length - 1];
    resolve(last ? last.startTime : null);
  }).observe({type: "largest-contentful-paint", buffered: true});
  setTimeout(() => resolve(null), 3000);
})
"""


@dataclass(frozen=True)
class WebPage:
    name: str
    path: str
    who: str | None  # the demo account it is seen as; None: signed out


#: Each console's landing page and the demo account whose role opens it.
CONSOLE_PAGES = [
    WebPage("studio", "/studio", INSTRUCTOR),
    WebPage("publishing", "/publishing", INSTRUCTOR),
    WebPage("rules", "/rules", INSTRUCTOR),
    WebPage("review", "/review", INSTRUCTOR),
    WebPage("admin", "/admin", ADMIN),
    WebPage("admin-onboarding", "/admin/onboarding", ADMIN),
    WebPage("ml", "/ml", ML_ENGINEER),
    WebPage("ml-rollouts", "/ml/rollouts", ML_ENGINEER),
]


class _Entry(HTMLParser):
    """The files the shell (index.html) loads before any script runs: its entry and what it preloads."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("type") == "module" and a.get("src"):
            self.files.append(str(a["src"]))
        if tag == "link" and a.get("rel") in {"modulepreload", "stylesheet"} and a.get("href"):
            self.files.append(str(a["href"]))


def entry_bundle_gzip_kb(dist: Path = DIST) -> float:
    """The entry's scripts and styles, compressed as the API sends them (gzip level 9), in KB."""
    parser = _Entry()
    parser.feed((dist / "index.html").read_text())
    if not parser.files:
        raise RuntimeError(f"{dist / 'index.html'} names no entry script: is it a Vite build?")
    sizes = [len(gzip.compress((dist / name.lstrip("/")).read_bytes(), compresslevel=9)) for name in parser.files]
    return round(sum(sizes) / 1000, 1)


def pages_of(base: str, token: str) -> list[WebPage]:
    """The app's shared pages on the demo data: log-in, the learner's home, each course's outline, one
    activity for each player (by kind, or by the kind of item a practice activity holds), the staff home,
    a console address refused, and the guardian's pages."""
    headers = {"Authorization": f"Bearer {token}"}
    pages = [WebPage("login", "/", None), WebPage("learner-home", "/", LEARNER)]
    courses = httpx.get(f"{base}/v1/courses", headers=headers, timeout=30).json()["items"]
    seen: set[str] = set()
    for course in courses:
        pages.append(WebPage(f"course-{course['id']}", f"/courses/{course['id']}", LEARNER))
        tree = httpx.get(f"{base}/v1/courses/{course['id']}/tree", headers=headers, timeout=30).json()
        for unit in tree.get("units", []):
            for lesson in unit.get("lessons", []):
                for activity in lesson.get("activities", []):
                    player = (activity.get("metadata") or {}).get("item_kind") or activity["kind"]
                    if player not in seen:
                        seen.add(player)
                        pages.append(WebPage(f"activity-{player}", f"/learn/{activity['id']}", LEARNER))
    pages.append(WebPage("staff-home", "/", INSTRUCTOR))
    pages.append(WebPage("no-access", "/admin", INSTRUCTOR))  # a console the instructor's role does not open
    pages.append(WebPage("guardian-learners", "/learners", GUARDIAN))
    guardian = _token(base, GUARDIAN)
    linked = httpx.get(f"{base}/v1/me/learners", headers={"Authorization": f"Bearer {guardian}"}, timeout=30)
    for learner in linked.json()["items"][:1]:
        pages.append(WebPage("guardian-learner", f"/learners/{learner['id']}", GUARDIAN))
    return pages


def _token(base: str, email: str) -> str:
    from experiments.loop_bench import PASSWORD

    answer = httpx.post(f"{base}/v1/auth/token", data={"username": email, "password": PASSWORD}, timeout=30)
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def measure_page(browser: Any, base: str, page_def: WebPage, states: dict[str, Any]) -> dict[str, Any]:
    """One cold navigation for the timings, then axe in each theme."""
    state = states.get(page_def.who) if page_def.who else None
    context = browser.new_context(storage_state=state, service_workers="block")
    page = context.new_page()
    page.add_init_script(INTERACTIVE_PROBE)
    page.goto(f"{base}{page_def.path}")
    settled(page, 30_000)
    page.wait_for_function("window.__pwInteractive !== undefined", timeout=30_000)
    interactive = float(page.evaluate("window.__pwInteractive"))
    lcp = page.evaluate(LCP)
    row: dict[str, Any] = {
        "page": page_def.name,
        "path": page_def.path,
        "lcp_ms": round(float(lcp), 1) if lcp is not None else None,
        "interactive_ms": round(interactive, 1),
    }
    serious = critical = 0
    by_theme: dict[str, list[str]] = {}
    for theme in THEMES:
        set_theme(page, theme)
        settled(page, 30_000)
        found = axe(page)
        serious += sum(v["impact"] == "serious" for v in found)
        critical += sum(v["impact"] == "critical" for v in found)
        by_theme[theme] = sorted(f"{v['id']} ({v['impact']})" for v in found if v["impact"] in {"serious", "critical"})
    row.update(axe_serious=serious, axe_critical=critical, axe_findings=by_theme)
    context.close()
    return row


def lighthouse(base: str, path: str, email: str) -> dict[str, Any]:
    """Lighthouse's performance and accessibility scores for a signed-in page (desktop preset)."""
    if not LIGHTHOUSE.exists():
        raise RuntimeError(f"{LIGHTHOUSE} is missing: run `make web` (npm ci) first")
    from playwright.sync_api import sync_playwright

    port = free_port()
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = persistent(playwright, Path(profile) / "chromium", f"--remote-debugging-port={port}")
        log_in(context.new_page(), base, email)
        out = Path(profile) / "report.json"
        subprocess.run(
            [
                str(LIGHTHOUSE),
                f"{base}{path}",
                f"--port={port}",
                "--preset=desktop",
                "--only-categories=performance,accessibility",
                "--disable-storage-reset",
                "--output=json",
                f"--output-path={out}",
                "--quiet",
            ],
            check=True,
            env={"CHROME_PATH": CHROMIUM, "PATH": "/usr/bin:/bin"},
            timeout=240,
        )
        report = json.loads(out.read_text())
        context.close()
    categories = report["categories"]
    return {
        "lighthouse_performance": categories["performance"]["score"],
        "lighthouse_accessibility": categories["accessibility"]["score"],
        "lighthouse_version": report["lighthouseVersion"],
    }


def run_web_bench(
    base: str, db_url: str, *, with_lighthouse: bool = True, large_views: bool = True
) -> list[dict[str, Any]]:
    from experiments.web_bench_gradebook import run_gradebook_bench
    from experiments.web_bench_rules import bench_rule_preview

    token = _token(base, LEARNER)
    pages = pages_of(base, token) + CONSOLE_PAGES
    rows: list[dict[str, Any]] = []
    with chromium() as browser:
        states: dict[str, Any] = {}
        for who in {p.who for p in pages if p.who}:
            context = browser.new_context()
            log_in(context.new_page(), base, who)
            states[who] = context.storage_state()
            context.close()
        for page_def in pages:
            rows.append(measure_page(browser, base, page_def, states))
        if large_views:
            rows.append(run_gradebook_bench(base, db_url, browser=browser))
            rows.append(bench_rule_preview(base, browser))
    home = next(row for row in rows if row["page"] == "learner-home")
    home["bundle_gzip_kb"] = entry_bundle_gzip_kb()
    if with_lighthouse:
        home.update(lighthouse(base, "/", LEARNER))
    return rows


@contextmanager
def _stack_at(url: str | None) -> Iterator[tuple[str, str]]:
    """The stack at ``url`` (its database is the one this environment's settings name, as for `make up`),
    or a fresh ``pathwise up`` on a throw-away home when none is given: its API and database URLs."""
    if url:
        from pathwise.config import CommonSettings

        try:
            httpx.get(f"{url}/healthz", timeout=5).raise_for_status()
        except httpx.HTTPError as error:
            raise typer.BadParameter(f"nothing answers at {url}/healthz ({error}); start it with `make up`") from None
        yield url.rstrip("/"), CommonSettings().db_url
        return
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp) / "home") as stack:
        yield stack.api, stack.db_url


def bench_web(
    url: Annotated[
        str | None, typer.Option(help="a running stack (e.g. http://127.0.0.1:8000); default: start a fresh one")
    ] = None,
    lighthouse_run: Annotated[bool, typer.Option("--lighthouse/--no-lighthouse", help="also run Lighthouse")] = True,
    large_views: Annotated[
        bool, typer.Option("--large/--no-large", help="also the 1,000-learner grade book and rule preview")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per page")] = False,
) -> None:
    """Page timings, axe results, the entry bundle and Lighthouse scores of the web app; large-view render times."""
    started = time.monotonic()
    with _stack_at(url) as (base, db_url):
        rows = run_web_bench(base, db_url, with_lighthouse=lighthouse_run, large_views=large_views)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row))
        return
    for row in rows:
        if "render_ms" in row:
            verdict = "within" if row["within_budget"] else "OVER"
            typer.echo(f"{row['page']:<22} rendered {row['render_ms']} ms after its data ({verdict} the 1 s budget)")
            continue
        extra = "".join(
            f", {key.removeprefix('lighthouse_')} {row[key]}"
            for key in ("bundle_gzip_kb", "lighthouse_performance", "lighthouse_accessibility")
            if key in row
        )
        typer.echo(
            f"{row['page']:<22} LCP {row['lcp_ms']} ms, interactive {row['interactive_ms']} ms, "
            f"axe serious {row['axe_serious']} critical {row['axe_critical']}{extra}"
        )
    typer.echo(f"({time.monotonic() - started:.0f} s)")


def register_bench() -> None:
    if "web" not in {c.name for c in bench_app.registered_commands}:
        bench_app.command("web")(bench_web)
