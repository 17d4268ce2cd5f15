"""Issue 16 in a real browser: a booked appointment reaches the patient (the e-mail
read from the SMTP sink, its .ics parsed with the icalendar library), the emergency
fast path at the desk, and the kiosk tablet that holds no staff rights."""

import re
from datetime import date, datetime, time

import icalendar
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from clinics.models import Campus
from intake.forms import RED_FLAG_LABELS, IntakeForm
from intake.models import Alert, AlertAction, Disposition, IntakeAssessment, StaffAction
from referrals import services as referrals
from referrals.models import AppointmentSlot, ReferralState
from tests.browser.conftest import BROWSER_DB, log_in, text_of
from tests.browser.steps import choose, field, fill_intake, text
from tests.factories import PatientFactory, make_referral

pytestmark = BROWSER_DB

RUMST_PHONE = "03 880 90 11"


def test_a_booked_appointment_reaches_the_patient_with_a_calendar_file(  # type: ignore[no-untyped-def]
    open_context, staff, mail_sink, background, shoot
):
    rumst = Campus.objects.get(code="rumst")
    for weekday in range(7):
        AppointmentSlot.objects.create(campus=rumst, weekday=weekday, start=time(10, 0))
    patient = PatientFactory(
        first_name="Lotte", last_name="Claes", postcode="2840", email="lotte.claes@example.org"
    )
    referral = referrals.send_referral(make_referral(patient), by=staff["physio"])
    referrals.accept_referral(referral, by=staff["coord_rumst"])
    mail_sink.wait_for(patient.email, pump=background.pump)  # the referral e-mail

    page = log_in(open_context(), "pieter.rumst")
    page.goto(f"/coordinator/referrals/{referral.pk}/")
    week = page.locator(".bp-slot-week")
    expect(week).to_contain_text("Free slots at Rumst")
    week.get_by_role("link", name="Next week").click()
    first_free = page.locator(".bp-slot-week button[name='book-slot']").first
    slot = first_free.get_attribute("value")
    shoot(page, "coordinator-04-slot-week")
    first_free.click()
    expect(page.get_by_role("alert").filter(has_text="Appointment booked.")).to_be_visible()

    booked_day = date.fromisoformat(slot[:10])
    referral.refresh_from_db()
    assert (referral.state, referral.appointment_date) == (ReferralState.BOOKED, booked_day)
    message = mail_sink.wait_for(patient.email, count=2, pump=background.pump)[-1]
    body = text_of(message)
    with translation.override("nl"):
        assert formats.date_format(booked_day, "l j F Y") in body, body
    assert "10:00" in body and RUMST_PHONE in body, body
    (attachment,) = [part for part in message.iter_attachments()]
    assert attachment.get_filename() == "appointment.ics"
    assert attachment.get_content_type() == "text/calendar"
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    (event,) = calendar.walk("VEVENT")
    start = timezone.make_aware(datetime.combine(booked_day, time(10, 0)))
    assert event.decoded("dtstart") == start
    assert RUMST_PHONE in str(event["description"])

    desk = log_in(open_context(), "sofie.reception")
    desk.goto(f"/reception/patients/{patient.pk}/")
    expect(desk.locator("[data-appointment]")).to_contain_text(booked_day.strftime("%d/%m/%Y"))
    expect(desk.get_by_text("waiting for a physiotherapist")).to_have_count(0)


def test_an_emergency_is_saved_after_step_two_and_what_staff_did_is_recorded(  # type: ignore[no-untyped-def]
    open_context, staff, shoot
):
    patient = PatientFactory(first_name="Jef", last_name="Wouters")
    desk = log_in(open_context(), "sofie.reception")
    desk.goto(f"/reception/patients/{patient.pk}/")
    desk.get_by_role("link", name="Start intake at the desk").click()
    fields = IntakeForm(sex="F").fields
    field(desk, fields["duration_days"].label).fill("2")
    choose(desk, fields["pain_now"].label, "8")
    desk.get_by_role("button", name="Next").click()

    banner = desk.locator("[data-emergency-banner]")
    expect(banner).to_be_hidden()
    choose(desk, RED_FLAG_LABELS["bladder_bowel"], "yes")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("EMERGENCY")
    shoot(desk, "reception-06-emergency-fast-path")
    banner.get_by_role("button", name="Save now and show the emergency advice").click()

    expect(desk.locator(".bp-result h2")).to_have_text(
        "EMERGENCY: send the patient to the emergency department now"
    )
    assessment = IntakeAssessment.objects.get(episode__patient=patient)
    assert assessment.disposition == Disposition.EMERGENCY
    assert assessment.scores_pending and assessment.answers["bladder_bowel"] is True
    expect(desk.get_by_role("link", name="Complete the scores")).to_be_visible()

    record = desk.get_by_role("region", name="What staff did")
    record.get_by_role("radio", name=text(StaffAction.CALLED_112.label)).check()
    record.get_by_role("button", name="Record and close the alert").click()
    expect(desk.get_by_role("alert").filter(has_text="the alert is closed")).to_be_visible()
    record = desk.get_by_role("region", name="What staff did")
    expect(record).to_contain_text("112 called")
    expect(record).to_contain_text("Sofie Balie")
    shoot(desk, "reception-07-staff-action")
    action = AlertAction.objects.get()
    assert (action.action, action.recorded_by) == (StaffAction.CALLED_112, staff["reception"])
    assert Alert.objects.get(episode__patient=patient).acknowledged_at is not None


def test_the_kiosk_tablet_reaches_no_staff_page_after_the_submit(  # type: ignore[no-untyped-def]
    open_context, staff, shoot
):
    patient = PatientFactory(first_name="Mia", last_name="Goossens", language="en")
    desk = log_in(open_context(), "sofie.reception")
    desk.goto(f"/reception/patients/{patient.pk}/")
    desk.get_by_role("button", name="Open on the kiosk tablet").click()
    pin = desk.locator("[data-kiosk-pin]").inner_text().replace(" ", "")
    assert re.fullmatch(r"\d{6}", pin)
    shoot(desk, "reception-08-kiosk-pin")
    expect(desk.get_by_role("link", name="Back to the patient")).to_be_visible()  # still staff

    tablet = open_context(language=None).new_page()
    tablet.goto("/kiosk/")
    tablet.get_by_label(re.compile("code", re.I)).fill(pin)
    tablet.get_by_role("button", name="Start").click()
    expect(tablet.get_by_role("heading", level=1)).to_have_text(
        "Questionnaire about your back pain"
    )
    shoot(tablet, "kiosk-01-questionnaire")
    fill_intake(tablet, submit="Send my answers")
    expect(tablet.get_by_role("heading", level=1)).to_contain_text("Thank you")
    assert IntakeAssessment.objects.get(episode__patient=patient).source == "kiosk"

    tablet.goto("/reception/")
    expect(tablet).to_have_url(re.compile(r"/accounts/login/"))
    expect(tablet.locator("input[type=password]")).to_be_visible()  # a staff login
    tablet.goto("/kiosk/intake/")
    expect(tablet).to_have_url(re.compile(r"/kiosk/$"))
