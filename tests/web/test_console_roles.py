"""Who sees which console: each demo role logs in and finds exactly the consoles its permissions open.

The navigation, the staff home's cards and the routes all read one table (web/src/features/staff/areas.ts);
this checks the result a person meets, including a console address typed by someone it is not for.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from experiments.browser import log_in
from experiments.loop_bench import Stack
from experiments.web_bench import GUARDIAN, LEARNER

pytestmark = pytest.mark.browser

CONSOLES = {
    "studio": "Course studio",
    "publishing": "Publishing",
    "rules": "Rules",
    "review": "Review and grades",
    "admin": "Administration",
    "ml": "Models",
}

#: The consoles each role's default permissions open (platform_api/domain/access/permissions.py).
ROLES = {
    "admin@demo.pathwise.local": set(CONSOLES),
    "instructor@demo.pathwise.local": {"studio", "publishing", "rules", "review"},
    "assistant@demo.pathwise.local": {"rules", "review"},
    "ml@demo.pathwise.local": {"ml"},
    GUARDIAN: set(),
    LEARNER: set(),
}


@pytest.mark.parametrize("email", list(ROLES))
def test_each_role_sees_only_the_consoles_it_may_use(stack: Stack, browser: Browser, email: str) -> None:
    page = browser.new_context().new_page()
    page.set_default_timeout(20_000)
    log_in(page, stack.api, email)
    navigation = page.get_by_role("navigation", name="Main")
    for key, name in CONSOLES.items():
        link = navigation.get_by_role("link", name=name, exact=True)
        if key in ROLES[email]:
            expect(link).to_have_attribute("href", f"/{key}")
        else:
            expect(link).to_have_count(0)
    if ROLES[email]:
        cards = page.get_by_role("list", name="Consoles").get_by_role("link")
        expect(cards).to_have_text([CONSOLES[key] for key in CONSOLES if key in ROLES[email]])
    barred = next((key for key in CONSOLES if key not in ROLES[email]), None)
    if barred is not None:
        page.goto(f"{stack.api}/{barred}")
        expect(page.get_by_role("heading", level=1)).to_have_text("You can't open this page")
    page.context.close()
