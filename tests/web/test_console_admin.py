"""The admin console in headless Chromium, against ``pathwise up`` with the demo data, as the demo
administrator uses it: bulk onboarding by CSV (a bad row caught by the dry run, fixed, applied), the
org-unit tree, granting a role, and an LRS credential issued and revoked. The database and the API
are read directly only to check the effects where an operator would look.
"""

from __future__ import annotations

import re
import uuid
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

ADMIN = "admin@demo.pathwise.local"
INSTRUCTOR = "instructor@demo.pathwise.local"
XAPI = {"X-Experience-API-Version": "1.0.3"}


def _page(browser: Browser, **context: Any) -> Page:
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(20_000)
    return page


def _admin_token(stack: Stack) -> str:
    answer = httpx.post(f"{stack.api}/v1/auth/token", data={"username": ADMIN, "password": PASSWORD}, timeout=30)
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def _open(page: Page, section: str) -> None:
    """From the banner's navigation into the console, then to one of its sections."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Administration").click()
    page.get_by_role("navigation", name="Administration sections").get_by_role("link", name=section).click()
    settled(page)


def _csv(run: str, bad_row: int | None) -> bytes:
    lines = ["email,display_name,role"]
    for n in range(1, 51):
        email = "not-an-email" if n == bad_row else f"csv-{run}-{n}@demo.pathwise.local"
        lines.append(f"{email},CSV person {n},Learner")
    return ("\n".join(lines) + "\n").encode()


def _upload(page: Page, name: str, data: bytes) -> None:
    page.get_by_label("CSV file").set_input_files(files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name="Check the file (dry run)").click()


def test_admin_onboards_fifty_people_by_csv_after_fixing_the_row_the_dry_run_shows(
    stack: Stack, browser: Browser
) -> None:
    run = uuid.uuid4().hex[:8]
    page = _page(browser)
    log_in(page, stack.api, ADMIN)
    _open(page, "Bulk onboarding")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bulk onboarding")

    _upload(page, "people.csv", _csv(run, bad_row=17))
    errors = page.get_by_role("table", name=re.compile("row has an error"))
    expect(errors).to_be_visible()
    rows = errors.get_by_role("row")
    expect(rows).to_have_count(2)  # the header and the one bad row
    expect(rows.nth(1).get_by_role("rowheader")).to_have_text("17")
    expect(rows.nth(1)).to_contain_text("email")
    expect(rows.nth(1)).to_contain_text("invalid e-mail address 'not-an-email'")
    expect(page.get_by_role("button", name="Apply")).to_be_disabled()
    assert stack.query("SELECT count(*) FROM users WHERE email LIKE ?", f"csv-{run}-%") == [(0,)]

    _upload(page, "people-fixed.csv", _csv(run, bad_row=None))
    expect(page.get_by_role("status").filter(has_text="The file is clean")).to_contain_text("50 would create")
    assert stack.query("SELECT count(*) FROM users WHERE email LIKE ?", f"csv-{run}-%") == [(0,)]
    page.get_by_role("button", name="Apply").click()
    invitations = page.get_by_role("table", name=re.compile("50 people created"))
    expect(invitations.get_by_role("row")).to_have_count(51)
    expect(invitations).to_contain_text(f"csv-{run}-17@demo.pathwise.local")
    link = invitations.get_by_role("row", name=re.compile(f"csv-{run}-17@")).get_by_role("cell").first.inner_text()
    _invited_person_sets_a_password_and_is_in(browser, link.strip(), f"csv-{run}-17@demo.pathwise.local")

    assert stack.query("SELECT count(*) FROM users WHERE email LIKE ? AND is_active", f"csv-{run}-%") == [(50,)]
    listed = httpx.get(
        f"{stack.api}/v1/users",
        params={"q": f"csv-{run}-", "limit": 100},
        headers={"Authorization": f"Bearer {_admin_token(stack)}"},
        timeout=30,
    ).json()
    assert listed["total"] == 50
    granted = stack.query(
        "SELECT count(*) FROM grants g JOIN users u ON u.id = g.user_id JOIN roles r ON r.id = g.role_id "
        "WHERE u.email LIKE ? AND r.name = 'Learner' AND g.scope_type = 'org_unit'",
        f"csv-{run}-%",
    )
    assert granted == [(50,)]


def _invited_person_sets_a_password_and_is_in(browser: Browser, link: str, email: str) -> None:
    """The person opens the link the administrator sent them, on a browser that never signed in."""
    assert re.fullmatch(r"http://[^#?]+/invite#token=[A-Za-z0-9_-]{20,}", link), link
    page = _page(browser)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Pathwise")
    page.get_by_label("New password").fill("first-password-17")
    page.get_by_label("The same password again").fill("first-password-71")
    expect(page.get_by_text("The two passwords differ.")).to_be_visible()
    page.get_by_label("The same password again").fill("first-password-17")
    page.get_by_role("button", name="Set password and sign in").click()
    page.get_by_role("navigation", name="Main").wait_for()
    expect(page).to_have_url(re.compile(r"/$"))  # the token is gone from the address bar
    assert _login_works(link, email, "first-password-17")

    again = _page(browser)
    again.goto(link)
    again.get_by_label("New password").fill("someone-else-now")
    again.get_by_label("The same password again").fill("someone-else-now")
    again.get_by_role("button", name="Set password and sign in").click()
    expect(again.get_by_role("alert")).to_contain_text("already been used")
    assert not _login_works(link, email, "someone-else-now")


def _login_works(link: str, email: str, password: str) -> bool:
    api = link.split("/invite#", 1)[0]
    form = {"username": email, "password": password}
    return httpx.post(f"{api}/v1/auth/token", data=form, timeout=30).status_code == 200


@MORE
def test_admin_creates_a_child_unit_and_grants_a_role_on_it(stack: Stack, browser: Browser) -> None:
    run = uuid.uuid4().hex[:8]
    email = f"grantee-{run}@demo.pathwise.local"
    created = httpx.post(
        f"{stack.api}/v1/users",
        json={"email": email, "display_name": f"Grantee {run}"},
        headers={"Authorization": f"Bearer {_admin_token(stack)}"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]

    page = _page(browser)
    log_in(page, stack.api, ADMIN)
    _open(page, "Org units")
    tree = page.get_by_role("treegrid", name="Org units")
    expect(tree).to_be_visible()
    page.get_by_label("Name of the new unit").fill(f"Annex {run}")
    page.get_by_label("Slug").fill(f"annex-{run}")
    page.get_by_label("Kind").fill("school")
    page.get_by_role("button", name="Create the unit").click()
    expect(page.get_by_role("status").filter(has_text=f"Created Annex {run}")).to_be_visible()
    expect(tree.get_by_role("row", name=re.compile(f"Annex {run}"))).to_be_visible()
    [(unit_id, path)] = stack.query("SELECT id, path FROM org_units WHERE slug = ?", f"annex-{run}")
    assert str(path).endswith(f"/{unit_id}/")

    _open(page, "Users and roles")
    page.get_by_role("searchbox", name="Search users").fill(email)
    page.get_by_role("searchbox", name="Search users").press("Enter")
    page.get_by_role("link", name=f"Grantee {run}").click()
    settled(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Grantee {run}")
    page.get_by_role("button", name=re.compile(r"(^|\s)Place(\s|$)")).click()
    page.get_by_role("option", name=f"Annex {run}").click()
    page.get_by_role("button", name=re.compile(r"(^|\s)Role(\s|$)")).click()
    page.get_by_role("option", name="Assistant Instructor").click()
    page.get_by_role("button", name="Grant the role").click()
    expect(page.get_by_role("status").filter(has_text="Granted Assistant Instructor")).to_be_visible()
    expect(page.get_by_role("table", name="Roles")).to_contain_text(f"Annex {run}")
    grants = stack.query(
        "SELECT r.name, g.scope_type, g.scope_id FROM grants g JOIN roles r ON r.id = g.role_id WHERE g.user_id = ?",
        user_id,
    )
    assert grants == [("Assistant Instructor", "org_unit", unit_id)]


@MORE
def test_admin_issues_an_lrs_credential_that_works_until_revoked(stack: Stack, browser: Browser) -> None:
    name = f"District LMS {uuid.uuid4().hex[:8]}"
    page = _page(browser)
    log_in(page, stack.api, ADMIN)
    _open(page, "LRS credentials")
    page.get_by_label("Client name").fill(name)
    page.get_by_role("button", name="Issue the credential").click()
    secret = page.locator("#lrs-secret")
    expect(secret).to_be_visible()
    key, value = page.locator("#lrs-key").inner_text().strip(), secret.inner_text().strip()

    def statements() -> int:
        answer = httpx.get(f"{stack.api}/xAPI/statements", params={"limit": 1}, headers=XAPI, auth=(key, value))
        return answer.status_code

    assert statements() == 200
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("Active")
    page.get_by_role("button", name=f"Revoke the credential of {name}").click()
    expect(page.get_by_role("status").filter(has_text=f"Revoked the credential of {name}")).to_be_visible()
    expect(row).to_contain_text("Revoked")
    expect(page.locator("#lrs-secret")).to_have_count(0)  # the secret is gone from the page with it
    assert statements() == 401
    [(revoked,)] = stack.query("SELECT revoked_at FROM lrs_credentials WHERE key = ?", key)
    assert revoked is not None


@MORE
def test_the_instructor_has_no_admin_console(stack: Stack, browser: Browser) -> None:
    page = _page(browser)
    log_in(page, stack.api, INSTRUCTOR)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Home")).to_be_visible()
    expect(nav.get_by_role("link", name="Administration")).to_have_count(0)
    page.goto(f"{stack.api}/admin/onboarding")
    settled(page)
    expect(page.get_by_role("heading", name="Bulk onboarding")).to_have_count(0)


@MORE
def test_admin_pages_pass_accessibility(stack: Stack, browser: Browser, shots: Path) -> None:
    token = _admin_token(stack)
    headers = {"Authorization": f"Bearer {token}"}
    admin_id = httpx.get(f"{stack.api}/v1/auth/me", headers=headers, timeout=30).json()["id"]
    pages = {
        "units": "/admin",
        "users": "/admin/users",
        "user": f"/admin/users/{admin_id}",
        "onboarding": "/admin/onboarding",
        "lrs": "/admin/lrs",
        "schedules": "/admin/schedules",
    }
    page = _page(browser)
    log_in(page, stack.api, ADMIN)
    failures: dict[str, list[dict[str, Any]]] = {}
    for name, path in pages.items():
        failures |= audit_themes(page, f"{stack.api}{path}", shots / f"admin-{name}")
    # the page an invitation link opens, on a browser that never signed in (the token is checked on submit)
    failures |= audit_themes(_page(browser), f"{stack.api}/invite#token={'x' * 43}", shots / "invite")
    assert not failures, failures
