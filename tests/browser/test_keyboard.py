"""The intake form with the keyboard only: no mouse click from the login to the result.

Tab and Shift+Tab move between fields and buttons, the arrow keys choose in a radio
question, Space ticks the focused option or presses a button, Enter follows a link and
submits.
"""

import re
from datetime import date

from playwright.sync_api import Page, expect

from intake import scores
from intake.forms import RED_FLAG_LABELS, START_BACK_LABELS
from intake.models import IntakeAssessment
from tests.browser.conftest import BROWSER_DB
from tests.factories import PASSWORD, PatientFactory

pytestmark = BROWSER_DB

MAX_TABS = 80


def focused(page: Page, condition: str) -> bool:
    """``condition`` is a JavaScript expression about ``el``, the focused element."""
    return bool(
        page.evaluate(f"() => {{ const el = document.activeElement; return {condition}; }}")
    )


def tab_to(page: Page, condition: str, *, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element meets ``condition``."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if focused(page, condition):
            return
    raise AssertionError(f"{MAX_TABS} tabs and never on: {condition}")


def tab_to_field(page: Page, name: str) -> None:
    tab_to(page, f"el.name === {name!r}")


def tab_to_button(page: Page, attribute: str) -> None:
    tab_to(page, f"el.hasAttribute({attribute!r})")


def tab_to_text(page: Page, text: str, *, back: bool = False) -> None:
    tab_to(page, f"el.textContent.trim() === {text!r}", back=back)


def current_step(page: Page) -> str:
    return page.locator("[data-step]:visible").get_attribute("data-step") or ""


def test_an_intake_with_the_keyboard_only(open_context, staff, shoot):  # type: ignore[no-untyped-def]
    PatientFactory(first_name="Lotte", last_name="Claes", birth_date=date(1984, 6, 9))
    page = open_context().new_page()
    page.goto("/")

    # Log in: the user name has the focus; Tab to the password; Enter sends.
    assert focused(page, "el.name === 'username'")
    page.keyboard.type("sofie.reception")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/reception/$"))

    # Find the patient: the search box has the focus.
    assert focused(page, "el.name === 'q'")
    page.keyboard.type("claes")
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Claes, Lotte")).to_be_visible()
    tab_to_text(page, "Start intake")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Intake", level=1)).to_be_visible()

    # Step 1: the complaint. The step's title has the focus.
    assert current_step(page) == "1"
    assert focused(page, "el.tagName === 'LEGEND'")
    tab_to_field(page, "duration_days")
    page.keyboard.type("5")
    tab_to_field(page, "pain_now")  # on "0", nothing chosen yet
    for _ in range(4):
        page.keyboard.press("ArrowRight")  # 1, 2, 3, 4: each arrow chooses the next
    tab_to_field(page, "seen_by_doctor")  # on "yes"
    page.keyboard.press("ArrowRight")  # "no"
    tab_to_field(page, "radiation")  # on "not into the leg"
    page.keyboard.press("Space")
    tab_to_field(page, "leg_numbness")  # on "no"
    page.keyboard.press("Space")
    tab_to_field(page, "medication")
    page.keyboard.type("paracetamol")
    expect(page.locator("input[name=pain_now][value='4']")).to_be_checked()
    expect(page.locator("input[name=seen_by_doctor][value=False]")).to_be_checked()
    tab_to_button(page, "data-step-next")
    page.keyboard.press("Enter")

    # Step 2: warning signs, every one answered "no" with the arrow key.
    assert current_step(page) == "2"
    for key in RED_FLAG_LABELS:
        if key == "erectile_dysfunction":
            continue  # asked only of patients registered as male
        tab_to_field(page, key)
        page.keyboard.press("ArrowRight")
    # Back to step 1 with Shift+Tab and Space: the answers are still there.
    tab_to_button(page, "data-step-next")
    page.keyboard.press("Shift+Tab")
    assert focused(page, "el.hasAttribute('data-step-back')")
    page.keyboard.press("Space")
    assert current_step(page) == "1"
    expect(page.locator("input[name=duration_days]")).to_have_value("5")
    tab_to_button(page, "data-step-next")
    page.keyboard.press("Space")
    assert current_step(page) == "2"
    expect(page.locator("input[name=night_pain][value=False]")).to_be_checked()
    tab_to_button(page, "data-step-next")
    page.keyboard.press("Enter")

    # Step 3: STarT Back, "disagree" everywhere, bothered "not at all".
    assert current_step(page) == "3"
    for key in START_BACK_LABELS:
        tab_to_field(page, key)  # on "agree"
        page.keyboard.press("ArrowDown")  # "disagree"
    tab_to_field(page, "bothersomeness")
    page.keyboard.press("Space")
    tab_to_button(page, "data-step-next")
    page.keyboard.press("Enter")

    # Step 4: Oswestry, two sections on "2", the rest left empty: too few for a score,
    # so the form says so and keeps everything.
    assert current_step(page) == "4"
    for section in scores.ODI_SECTIONS[:2]:
        tab_to_field(page, f"odi_{section}")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
    shoot(page, "keyboard-01-intake-step-4")
    tab_to_text(page, "Save intake and show the result")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Oswestry")).to_be_visible()
    assert not IntakeAssessment.objects.exists()
    assert current_step(page) == "4"  # the step with the problem opens, its title focused
    assert focused(page, "el.tagName === 'LEGEND'")
    shoot(page, "keyboard-02-intake-odi-error")

    # Fill in the remaining sections and save.
    for section in scores.ODI_SECTIONS[2:]:
        tab_to_field(page, f"odi_{section}")
        page.keyboard.press("Space")  # "0 · no problem"
    tab_to_text(page, "Save intake and show the result")
    page.keyboard.press("Enter")

    expect(page.locator("#result-title")).to_have_text("Start the physiotherapy pathway")
    shoot(page, "keyboard-03-result")
    assessment = IntakeAssessment.objects.get()
    assert assessment.disposition == "PHYSIO"
    assert assessment.pain_now == 4
    assert assessment.answers["duration_days"] == 5
    assert assessment.medication == "paracetamol"
    assert assessment.odi_percent is not None
