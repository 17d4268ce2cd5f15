"""A patient referred to the Rumst campus sees Rumst and Rumst's phone number on their
questionnaire, on a phone, in the language they pick (the link keeps working)."""

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from clinics.models import Practice
from clinics.tokens import hash_token, new_token
from followups.models import FollowUpState, QuestionnaireLink
from referrals.services import send_referral
from tests.browser.axe import violations
from tests.browser.conftest import BROWSER_DB, PHONE
from tests.browser.steps import fits_the_screen
from tests.factories import PatientFactory, make_referral

pytestmark = BROWSER_DB

RUMST_PHONE = "03 880 90 11"
BORNEM_PHONE = "03 890 59 23"


def open_questionnaire_link(follow_up) -> str:  # type: ignore[no-untyped-def]
    """The follow-up invited now, with a fresh link; returns the link's path."""
    follow_up.state = FollowUpState.INVITED
    follow_up.save(update_fields=["state"])
    token = new_token()
    QuestionnaireLink.objects.create(
        follow_up=follow_up,
        token_hash=hash_token(token),
        created_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=14),
    )
    return reverse("followups:questionnaire", args=[token])


def test_a_rumst_patient_sees_rumsts_number(open_context, shoot):  # type: ignore[no-untyped-def]
    Practice.objects.create(name="Kinepraktijk De Schelde", phone="03 899 12 34")
    patient = PatientFactory(first_name="Julie", last_name="Denis", language="nl", postcode="2840")
    referral = send_referral(make_referral(patient), by=None)
    assert referral.campus.code == "rumst"
    path = open_questionnaire_link(referral.episode.follow_ups.get(number=1))

    page = open_context(language=None, viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(path)
    header = page.locator("header")
    expect(header).to_contain_text("Rumst")
    expect(header.get_by_role("link", name=RUMST_PHONE)).to_have_attribute("href", "tel:038809011")
    expect(page.locator("body")).not_to_contain_text(BORNEM_PHONE)
    assert fits_the_screen(page)
    shoot(page, "patient-rumst-questionnaire-nl-phone")

    # The patient switches to French: same questionnaire (the token stays), same campus.
    header.get_by_role("link", name=re.compile("FR")).click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_url(re.compile(re.escape(path) + r"\?lang=fr$"))
    expect(page.locator("header")).to_contain_text(RUMST_PHONE)
    expect(page.get_by_role("button", name=re.compile("Envoyer|envoyer"))).to_be_visible()
    assert violations(page) == []
    shoot(page, "patient-rumst-questionnaire-fr-phone")
