"""The ML engineer console in headless Chromium, against ``pathwise up`` with the demo data.

As the demo ML engineer: the registry shows the knowledge-tracing model ``pathwise up`` registered;
a canary started from the console serves learners whose recommendations we ask for through the
platform API, and the page's live gate metrics follow; a promote the server refuses shows its reason;
an abort is logged. The instructor has no way in. Then every page through axe in both themes.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from experiments.browser import audit_themes, log_in, settled
from experiments.loop_bench import PASSWORD, Stack, answer_xapi
from pathwise.contract.rollout.assign import Variant, assign

pytestmark = pytest.mark.browser
#: The rest of a console's tests (its accessibility audit in both themes, further flows) run in `make test-all`.
MORE = pytest.mark.slow

ML = "ml@demo.pathwise.local"
INSTRUCTOR = "instructor@demo.pathwise.local"
MODEL = "pathwise-bkt"

#: Registers a second version of the champion's files (what a retraining would add), printing its number.
REGISTER = textwrap.dedent(
    """
    from pathwise.config import CommonSettings
    from pathwise.registry import configure_mlflow
    client = configure_mlflow(CommonSettings())
    champion = client.get_model_version_by_alias("pathwise-bkt", "champion")
    source = client.get_model_version_download_uri("pathwise-bkt", champion.version)
    made = client.create_model_version("pathwise-bkt", source, champion.run_id)
    print(champion.version, made.version)
    """
)


@pytest.fixture(scope="module")
def versions(stack: Stack) -> tuple[str, str]:
    """(champion, challenger): the version ``pathwise up`` trained and a second one registered here."""
    done = subprocess.run([sys.executable, "-c", REGISTER], env=stack.env, capture_output=True, text=True, check=True)
    champion, challenger = done.stdout.split()[-2:]
    return champion, challenger


def _page(browser: Browser) -> Page:
    page = browser.new_context().new_page()
    page.set_default_timeout(20_000)
    return page


@pytest.fixture
def ml_page(stack: Stack, browser: Browser) -> Iterator[Page]:
    page = _page(browser)
    log_in(page, stack.api, ML)
    yield page
    page.context.close()


def _token(stack: Stack, email: str) -> dict[str, str]:
    answer = httpx.post(f"{stack.api}/v1/auth/token", data={"username": email, "password": PASSWORD})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _kt_card(page: Page) -> Any:
    return page.get_by_role("article").filter(has=page.get_by_role("heading", name="Knowledge tracing (kt)"))


def _drive(stack: Stack, learners: list[int], rounds: int) -> None:
    """Recommendations for each learner through the platform API (serving answers them), and an answer each."""
    with httpx.Client(timeout=30) as client:
        for learner in learners:
            headers = stack.login(client, learner)
            for n in range(rounds):
                got = client.get(
                    f"{stack.api}/v1/learners/{learner}/recommendations",
                    params={"course": stack.course, "k": 5},
                    headers=headers,
                )
                got.raise_for_status()
                answer_xapi(client, stack, learner, 9000 + n, correct=n % 2 == 0)


def test_an_ml_engineer_runs_a_canary_from_the_console(stack: Stack, ml_page: Page, versions: tuple[str, str]) -> None:
    champion, challenger = versions
    page = ml_page
    expect(page.get_by_role("navigation").first.get_by_role("link", name="Models")).to_be_visible()
    page.goto(f"{stack.api}/ml")
    settled(page)
    page.get_by_role("link", name=MODEL).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Model {MODEL}")
    expect(page.get_by_role("heading", name=f"Version {challenger}")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Version {champion}")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(f"^ROC curve of {MODEL} version {champion}"))).to_be_visible()

    page.goto(f"{stack.api}/ml/rollouts")
    settled(page)
    card = _kt_card(page)
    if card.get_by_role("button", name="Abort").count():  # a rollout left by an earlier run of this test
        card.get_by_role("button", name="Abort").click()
        page.get_by_role("button", name="Abort the rollout").click()
    card.get_by_role("button", name="Start a rollout").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name=re.compile("Challenger"))).to_contain_text(f"Version {challenger}")
    expect(dialog.get_by_role("button", name=re.compile("Mode"))).to_contain_text("Canary")
    dialog.get_by_role("button", name="Start", exact=True).click()
    expect(card.get_by_role("status").filter(has_text="Started")).to_contain_text(f"version {challenger}")
    expect(card.get_by_test_id("state-kt")).to_have_text("running")
    [(state, stored_challenger, traffic)] = stack.query(
        "SELECT state, challenger, traffic_percent FROM rollouts WHERE slot = 'kt'"
    )
    assert (state, stored_challenger, traffic) == ("running", challenger, 5.0)

    # learners the 5 % canary serves, by the same sticky hash the Router uses
    served = [learner for learner in stack.learners if assign(str(learner), 5.0, slot="kt") == Variant.CHALLENGER]
    assert len(served) >= 3, "the demo has learners in the canary's 5 %"
    requests = card.get_by_test_id("requests-kt-challenger")
    expect(requests).to_have_text(re.compile(r"^\d+$"), timeout=30_000)
    before = requests.inner_text()
    _drive(stack, served[:4], rounds=3)
    expect(requests).not_to_have_text(before, timeout=60_000)  # the page polls; the replicas flush their metrics
    seen = int(requests.inner_text())
    assert seen > int(before)
    pooled = stack.query(
        "SELECT sum(requests) FROM rollout_metrics WHERE slot = 'kt' AND variant = 'challenger' AND version = ?",
        challenger,
    )
    assert int(pooled[0][0] or 0) >= seen
    expect(card.get_by_role("img", name="Error rate")).to_be_visible()  # the charts, with their table alternative
    card.get_by_text("Show the numbers as a table").first.click()
    expect(card.get_by_role("table", name="Error rate")).to_be_visible()

    card.get_by_role("button", name="Promote").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Promote").click()
    refusal = dialog.get_by_role("alert")
    expect(refusal).to_contain_text("The server refused the promotion")
    expect(refusal).to_contain_text(re.compile(r"has served \d+ of the 200 requests its gates need"))
    dialog.get_by_role("button", name="Cancel").click()
    assert stack.query("SELECT state, champion FROM rollouts WHERE slot = 'kt'") == [("running", champion)]

    card.get_by_role("button", name="Abort").click()
    page.get_by_role("dialog").get_by_role("button", name="Abort the rollout").click()
    expect(card.get_by_test_id("state-kt")).to_have_text("aborted")
    log = card.get_by_role("grid", name=re.compile("Decisions on Knowledge tracing"))
    expect(log.get_by_role("row").nth(1)).to_contain_text(f"aborted by hand by {ML}")
    [(action, reason)] = stack.query(
        "SELECT action, reason FROM rollout_decisions WHERE slot = 'kt' ORDER BY id DESC LIMIT 1"
    )
    assert (action, reason) == ("abort", f"aborted by hand by {ML}")
    expect(card.get_by_role("button", name="Promote")).to_have_count(0)  # nothing runs: nothing to promote


@MORE
def test_the_instructor_has_no_models_console(stack: Stack, browser: Browser) -> None:
    page = _page(browser)
    log_in(page, stack.api, INSTRUCTOR)
    expect(page.get_by_role("navigation").first.get_by_role("link", name="Rules")).to_be_visible()
    expect(page.get_by_role("link", name="Models")).to_have_count(0)
    refused = httpx.post(f"{stack.api}/v1/rollouts/kt/abort", headers=_token(stack, INSTRUCTOR))
    assert refused.status_code == 403 and refused.json()["required_permission"] == "models:write"
    page.context.close()


@MORE
def test_ml_pages_pass_accessibility(stack: Stack, ml_page: Page, versions: tuple[str, str], shots: Path) -> None:
    champion, challenger = versions
    pages = {
        "registry": "/ml",
        "model": f"/ml/models/{MODEL}",
        "rollouts": "/ml/rollouts",
        "experiment": f"/ml/experiments/kt-v{champion}-vs-v{challenger}",
    }
    failures: dict[str, list[dict[str, Any]]] = {}
    for name, path in pages.items():
        failures |= audit_themes(ml_page, f"{stack.api}{path}", shots / f"ml-{name}")
    assert not failures, failures
