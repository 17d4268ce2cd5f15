"""Every page of every role, and the patient pages at phone size, checked with axe-core
for WCAG 2.1 A/AA: the test fails on any violation and lists them all.

The demo data (``seed_demo``) gives every page something to show: alerts, a caseload,
referrals in every state, follow-ups on the call list. Each role's home page is also
saved at 1366×768 and 390×844 in ``var/screenshots/`` (``home-<role>-desktop|phone``).
"""

import io
import os
import re
from datetime import timedelta
from typing import Any
from unittest import mock

from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from clinics.tokens import hash_token, new_token
from demo.clinics import DEMO_PASSWORD
from followups.models import FollowUp, FollowUpState, QuestionnaireLink
from intake import services as intake_services
from intake.models import Alert, Disposition, Episode, EpisodeState, IntakeAssessment, Patient
from referrals.models import Referral, ReferralState
from tests.browser.axe import violations
from tests.browser.conftest import BROWSER_DB, PHONE, log_in
from tests.browser.steps import overflowing

pytestmark = BROWSER_DB

DESKTOP = {"width": 1366, "height": 768}
TOP_BAR_ONE_ROW = 72  # px: one row of links and buttons


class Tour:
    """Opens pages in one logged-in context and gathers axe's findings."""

    def __init__(self, page: Any, found: list[str]) -> None:
        self.page = page
        self.found = found

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        status = response.status if response is not None else None
        assert status is not None and status < 400, f"{url}: {status}"
        self.page.wait_for_load_state()
        self.found.extend(violations(self.page))

    def home(self, role: str, shoot: Any) -> None:
        """The start page after login, checked and saved at desktop and phone size."""
        self.found.extend(violations(self.page))
        bar = self.page.locator("nav.bp-navbar").bounding_box()
        if bar is not None and bar["height"] > TOP_BAR_ONE_ROW:
            self.found.append(f"{self.page.url}: the top bar wraps ({bar['height']} px high)")
        shoot(self.page, f"home-{role}-desktop")
        self.page.set_viewport_size(PHONE)
        # The page's resize handler (scrolling tables become focusable) runs with the
        # next frames, as it does before a person could press a key: wait for them.
        self.page.evaluate(
            "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
        )
        self.found.extend(violations(self.page))
        self.found.extend(f"{self.page.url} at 390 px: {el}" for el in overflowing(self.page))
        shoot(self.page, f"home-{role}-phone")
        self.page.set_viewport_size(DESKTOP)


def in_french(page: Any) -> Any:
    """Switch the interface to French (its labels are the longest) with the switcher."""
    page.get_by_role("button", name="FR", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    return page


def demo_objects() -> dict[str, Any]:
    # seed_demo runs only with DEBUG=1 and BACKPATH_DEMO=1 (make run sets both).
    with override_settings(DEBUG=True), mock.patch.dict(os.environ, {"BACKPATH_DEMO": "1"}):
        call_command("seed_demo", stdout=io.StringIO())
    emergency = IntakeAssessment.objects.filter(disposition=Disposition.EMERGENCY).first()
    if emergency is None:
        patient = Patient.objects.order_by("pk").first()
        assert patient is not None
        emergency = None
    treated = Episode.objects.filter(
        state=EpisodeState.IN_TREATMENT, physio__username="kine.an", treatment_plan__isnull=False
    ).first()
    assert treated is not None
    closed = Episode.objects.filter(physio__username="kine.an", discharge__isnull=False).first()
    assert closed is not None
    return {
        "closed": closed,
        "patient": treated.patient,
        "emergency": emergency,
        "physio_intake": IntakeAssessment.objects.filter(disposition=Disposition.PHYSIO).first(),
        "episode": treated,
        "answered": FollowUp.objects.filter(state=FollowUpState.ANSWERED).first(),
        "call": FollowUp.objects.filter(state=FollowUpState.CALL_LIST).first(),
        "invited": FollowUp.objects.filter(state=FollowUpState.INVITED).first(),
        "referral": Referral.objects.filter(
            campus__code="rumst", state=ReferralState.ACCEPTED
        ).first(),
        "alert": Alert.objects.open().first(),
    }


def questionnaire_token(follow_up: FollowUp) -> str:
    token = new_token()
    QuestionnaireLink.objects.create(
        follow_up=follow_up,
        token_hash=hash_token(token),
        created_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=14),
    )
    return token


def test_every_page_of_every_role_meets_wcag_21_aa(open_context, shoot, browser_errors):  # type: ignore[no-untyped-def]
    demo = demo_objects()
    found: list[str] = []
    patient, episode, referral = demo["patient"], demo["episode"], demo["referral"]

    login = open_context(viewport=DESKTOP).new_page()
    login.goto("/")
    found.extend(violations(login))
    login.context.close()

    desk = Tour(log_in(open_context(viewport=DESKTOP), "balie", password=DEMO_PASSWORD), found)
    desk.home("reception", shoot)
    for url in (
        reverse("intake:patient_search") + "?q=a",
        reverse("intake:patient_new"),
        reverse("intake:patient_detail", args=[patient.pk]),
        reverse("intake:patient_edit", args=[patient.pk]),
        reverse("intake:intake_new", args=[patient.pk]),
        reverse("intake:intake_result", args=[demo["physio_intake"].pk]),
        reverse("intake:advice_sheet", args=["EMERGENCY", "nl"]),
        reverse("followups:overview"),
        reverse("followups:call_list"),
        reverse("followups:phone_answers", args=[demo["call"].pk]),
        reverse("followups:result", args=[demo["answered"].pk]),
        reverse("security:twofactor_setup"),
    ):
        desk.visit(url)
    if demo["emergency"] is not None:
        desk.visit(reverse("intake:intake_result", args=[demo["emergency"].pk]))
    desk.page.context.close()

    kine = Tour(
        in_french(log_in(open_context(viewport=DESKTOP), "kine.an", password=DEMO_PASSWORD)),
        found,
    )
    kine.home("physiotherapist", shoot)
    for url in (
        reverse("treatment:episode", args=[episode.pk]),
        reverse("treatment:plan", args=[episode.pk]),
        reverse("treatment:session_new", args=[episode.pk]),
        reverse("treatment:handout", args=[episode.pk]),
        reverse("treatment:discharge", args=[episode.pk]),
        reverse("referrals:proposals"),
        reverse("referrals:for_episode", args=[episode.pk]),
        reverse("treatment:episode", args=[demo["closed"].pk]),
        reverse("treatment:discharge_summary", args=[demo["closed"].pk]),
    ):
        kine.visit(url)
    kine.page.context.close()

    coord = Tour(
        log_in(open_context(viewport=DESKTOP), "coord.rumst", password=DEMO_PASSWORD), found
    )
    coord.home("coordinator", shoot)
    coord.visit(reverse("referrals:detail", args=[referral.pk]))
    coord.page.context.close()

    boss = Tour(
        in_french(log_in(open_context(viewport=DESKTOP), "manager", password=DEMO_PASSWORD)),
        found,
    )
    boss.home("manager", shoot)
    for url in (
        reverse("referrals:capacity"),
        reverse("records:audit_home"),
        reverse("records:patient_audit", args=[patient.pk]),
    ):
        boss.visit(url)
    boss.page.context.close()

    admin = Tour(log_in(open_context(viewport=DESKTOP), "admin", password=DEMO_PASSWORD), found)
    admin.home("admin", shoot)
    admin.visit(reverse("admin:clinics_practice_changelist"))
    admin.page.get_by_role("link", name="View site").click()
    expect(admin.page).to_have_url(re.compile(r"^https?://[^/]+/$"))  # "/", not back to /admin/
    admin.found.extend(violations(admin.page))
    admin.page.context.close()

    # The patient's pages, on a phone: the intake link, the follow-up questionnaire.
    _link, intake_token = intake_services.create_intake_link(patient, by=None)
    phone = open_context(language=None, viewport=PHONE, is_mobile=True, has_touch=True)
    visitor = Tour(phone.new_page(), found)
    visitor.visit(reverse("intake_public:self_intake", args=[intake_token]))
    shoot(visitor.page, "patient-self-intake-phone")
    visitor.visit(reverse("followups:questionnaire", args=[questionnaire_token(demo["invited"])]))
    shoot(visitor.page, "patient-questionnaire-phone")
    phone.close()

    assert not found, f"{len(found)} WCAG 2.1 A/AA violations:\n" + "\n".join(found)
