"""The pages in Dutch (the default) and French: staff switch with the language buttons,
patients get their own language on their link.

The expected words are taken from the project's translation catalogues at run time and
must differ from the English source text, so a missing translation fails here.
"""

import re
from datetime import date

from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from intake.services import create_intake_link
from tests.browser.conftest import BROWSER_DB, PHONE
from tests.browser.steps import fits_the_screen
from tests.factories import PatientFactory

pytestmark = BROWSER_DB


def translated(msgid: str, language: str) -> str:
    with translation.override(language):
        text = translation.gettext(msgid)
    assert text != msgid, f"{msgid!r} has no {language} translation"
    return text


def switcher(page, code: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("form", name=re.compile("Language|Taal|Langue")).locator(
        f"button[value={code}]"
    )


def test_staff_pages_in_dutch_and_french(open_context, staff, shoot):  # type: ignore[no-untyped-def]
    # No language chosen: a Belgian browser gets Dutch, the first language.
    page = open_context(language=None).new_page()
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        translated("Log in to Backpath", "nl")
    )
    expect(switcher(page, "nl")).to_have_attribute("aria-current", "true")
    shoot(page, "language-01-login-nl")

    # The FR button switches the page to French.
    switcher(page, "fr").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        translated("Log in to Backpath", "fr")
    )
    expect(switcher(page, "fr")).to_have_attribute("aria-current", "true")
    expect(switcher(page, "nl")).not_to_have_attribute("aria-current", "true")
    shoot(page, "language-02-login-fr")

    # Logged in, the choice stays: reception's pages in French.
    page.get_by_role("textbox").first.fill("sofie.reception")
    page.locator("input[type=password]").fill("test-password-123")
    page.get_by_role("button", name=translated("Log in", "fr"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/reception/$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    nav = page.get_by_role("navigation", name=translated("Main navigation", "fr"))
    expect(nav.get_by_role("link", name=translated("Reception", "fr"), exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=translated("Log out", "fr"))).to_be_visible()
    shoot(page, "language-03-reception-fr")

    # And back to Dutch on the same page.
    switcher(page, "nl").click()
    expect(page).to_have_url(re.compile(r"/reception/$"))
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    nav = page.get_by_role("navigation", name=translated("Main navigation", "nl"))
    expect(nav.get_by_role("link", name=translated("Reception", "nl"), exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=translated("Log out", "nl"))).to_be_visible()
    shoot(page, "language-04-reception-nl")


def test_a_patient_link_opens_in_the_patients_language(open_context, staff, shoot):  # type: ignore[no-untyped-def]
    patients = {
        language: PatientFactory(language=language, birth_date=date(1970, 1, 2))
        for language in ("fr", "nl")
    }
    for language, patient in patients.items():
        _, token = create_intake_link(patient, by=staff["reception"])
        # A staff member's language cookie does not matter: the link speaks the patient's.
        phone = open_context(language="en", viewport=PHONE, is_mobile=True, has_touch=True)
        page = phone.new_page()
        page.goto(reverse("intake_public:self_intake", args=[token]))
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("button", name=translated("Next", language))).to_be_visible()
        assert fits_the_screen(page)
        shoot(page, f"patient-03-self-intake-{language}-phone")
        phone.close()
