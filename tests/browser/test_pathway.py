"""The whole pathway in a real browser, as its users walk it.

Reception registers two patients and records their intakes (one emergency, one for the
physiotherapist); once the doctor has seen the emergency, reception records that the
pathway continues, and at six weeks that patient's contradictory answers ("no back pain",
pain 7) land on the call list to confirm, while a patient with a cancer history who has
recovered raises no alert; a physiotherapist takes the second, writes a plan and records a
session; six weeks later the sweep e-mails the questionnaire, which the patient answers
on a phone as a persistent case; the physiotherapist approves the proposed referral, the
patient is e-mailed the Bornem campus's number, Bornem's coordinator accepts and books
it, and the manager's figures count it all.
"""

import re
from datetime import date, timedelta

from django.utils import timezone, translation
from playwright.sync_api import expect
from stdnum import exceptions as stdnum_errors

from followups.models import CallReason, FollowUp
from intake import triage
from intake.forms import INSZ_ERRORS, PatientForm
from intake.models import Alert, Disposition, Episode, Patient
from pathway import services as pathway
from referrals.models import Referral, ReferralState
from tests.browser.conftest import BROWSER_DB, PHONE, link_in, log_in, text_of
from tests.browser.steps import (
    answer_follow_up,
    field,
    fill_intake,
    fits_the_screen,
    insz,
    is_red,
    row,
    see_message,
    text,
    totp_now,
)
from tests.factories import PatientFactory, make_intake
from treatment.models import (
    Exercise,
    TreatmentPlan,
    rule_strengthening_from,
    strengthening_too_early_message,
)

pytestmark = BROWSER_DB

PHYSIO_PATIENT = {
    "first_name": "Marleen",
    "last_name": "Verstraeten",
    "birth": date(1975, 3, 14),
    "postcode": "2880",  # Bornem's catchment
    "email": "marleen.verstraeten@example.org",
}
EMERGENCY_PATIENT = {
    "first_name": "Jozef",
    "last_name": "Peeters",
    "birth": date(1958, 11, 2),
    "postcode": "2840",  # Rumst's catchment
    "email": "jozef.peeters@example.org",
}
BORNEM_PHONE = "03 890 59 23"
SURVIVOR_EMAIL = "greet.wouters@example.org"


def register(page, shoot, person, *, first_insz: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Reception registers ``person``; with ``first_insz`` a typing error comes first."""
    fields = PatientForm().fields
    page.get_by_role("link", name="Register a patient").click()
    insz_box = field(page, fields["insz"].label)
    insz_box.fill(first_insz or insz(person["birth"]))
    field(page, fields["last_name"].label).fill(person["last_name"])
    field(page, fields["first_name"].label).fill(person["first_name"])
    field(page, fields["birth_date"].label).fill(person["birth"].isoformat())
    field(page, fields["sex"].label).select_option("F")
    field(page, fields["email"].label).fill(person["email"])
    field(page, fields["phone"].label).fill("0470 12 34 56")
    field(page, fields["postcode"].label).fill(person["postcode"])
    field(page, fields["gp_name"].label).fill("Dr. Vermeulen")
    field(page, fields["email_consent"].label).check()
    page.get_by_role("button", name="Register patient").click()
    if first_insz:
        # The error stands beside the number, and nothing typed is lost.
        message = text(INSZ_ERRORS[stdnum_errors.InvalidChecksum])
        expect(page.locator("#div_id_insz")).to_contain_text(message)
        expect(insz_box).to_have_attribute("aria-invalid", "true")
        expect(field(page, fields["last_name"].label)).to_have_value(person["last_name"])
        expect(field(page, fields["postcode"].label)).to_have_value(person["postcode"])
        shoot(page, "reception-02-register-insz-error")
        insz_box.fill(insz(person["birth"]))
        page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{person['last_name']}, {person['first_name']}"
    )
    see_message(page, "Patient registered.")


def test_the_whole_pathway(  # type: ignore[no-untyped-def]
    open_context, staff, mail_sink, background, shoot, settings, time_machine, browser_errors
):
    # --- reception ------------------------------------------------------------------------
    desk = log_in(open_context(), "sofie.reception")
    expect(desk).to_have_url(re.compile(r"/reception/$"))
    expect(desk.get_by_role("heading", name="Reception", level=1)).to_be_visible()
    shoot(desk, "reception-01-home")

    register(desk, shoot, EMERGENCY_PATIENT)
    shoot(desk, "reception-03-patient")
    desk.get_by_role("link", name="Start intake at the desk").click()
    shoot(desk, "reception-04-intake-form")
    fill_intake(desk, red_flags=("saddle_numbness",))
    result = desk.locator(".bp-result")
    expect(result.get_by_role("heading", level=2)).to_have_text(
        "EMERGENCY: send the patient to the emergency department now"
    )
    expect(result).to_have_attribute("role", "alert")
    expect(result).to_contain_text(triage.reason_text("E-SADDLE", "en"))  # and why
    assert is_red(desk, result), "the emergency result must be shown in red"
    shoot(desk, "reception-05-result-emergency")

    desk.get_by_role("link", name="Reception", exact=True).click()
    # The emergency waits on the alert list, and is in today's intakes.
    alerts = desk.get_by_role("region", name="Alerts to acknowledge")
    expect(row(alerts, "Peeters")).to_contain_text(text(Disposition.EMERGENCY.label))
    today = desk.get_by_role("region", name="Today's intakes")
    expect(row(today, "Peeters")).to_contain_text(text(Disposition.EMERGENCY.label))
    register(
        desk,
        shoot,
        PHYSIO_PATIENT,
        first_insz=insz(PHYSIO_PATIENT["birth"], wrong=True),
    )
    desk.get_by_role("link", name="Start intake at the desk").click()
    fill_intake(desk)
    result = desk.locator(".bp-result")
    expect(result.get_by_role("heading", level=2)).to_have_text("Start the physiotherapy pathway")
    expect(result).to_contain_text("STarT Back risk group: low")
    assert not is_red(desk, result)
    shoot(desk, "reception-06-result-physio")
    patient = Patient.objects.get(last_name=PHYSIO_PATIENT["last_name"])
    assert patient.insz == re.sub(r"\D", "", insz(PHYSIO_PATIENT["birth"]))
    episode = Episode.objects.get(patient=patient)

    desk.get_by_role("link", name="Call list").click()
    expect(desk.get_by_role("heading", level=1)).to_be_visible()
    shoot(desk, "reception-07-call-list")
    desk.get_by_role("link", name="Follow-ups").click()
    expect(desk.get_by_role("heading", level=1)).to_be_visible()
    shoot(desk, "reception-08-follow-ups")
    desk.context.close()

    # --- physiotherapist ------------------------------------------------------------------
    kine = log_in(open_context(), "an.physio")
    expect(kine).to_have_url(re.compile(r"/physio/$"))
    queue = kine.get_by_role("region", name="Waiting for a physiotherapist")
    expect(row(queue, "Verstraeten")).to_have_count(1)
    expect(row(queue, "Peeters")).to_have_count(0)  # an emergency is not the physio's
    shoot(kine, "physio-01-caseload")
    row(queue, "Verstraeten").get_by_role("button", name="Take this patient").click()
    see_message(kine, "is now on your caseload")

    kine.get_by_label("Sessions per week").fill("2")
    kine.get_by_label("Planned number of sessions").fill("8")
    kine.locator("[name='goals-0-description']").fill("Walk 30 minutes without pain")
    kine.locator("[name='goals-0-target_date']").fill(
        (episode.intake_date + timedelta(days=42)).isoformat()
    )
    curl_up = Exercise.objects.get(code="abdominal-curl-up")
    knee_to_chest = Exercise.objects.get(code="knee-to-chest")
    kine.get_by_role("checkbox", name=re.compile(re.escape(curl_up.name_in("en")))).check()
    kine.get_by_role("button", name="Save the plan").click()
    # Refused: strengthening only from week 6 after the pain began (the intake date minus
    # the 5 days the pain had lasted), and the page says from when.
    assert rule_strengthening_from(episode) == episode.intake_date + timedelta(days=42 - 5)
    with translation.override("en"):
        reason = strengthening_too_early_message(rule_strengthening_from(episode))
    error = kine.locator("#div_id_exercises .invalid-feedback")  # not the help text
    expect(error).to_have_text(reason)
    expect(kine.locator("[name='goals-0-description']")).to_have_value(
        "Walk 30 minutes without pain"
    )
    assert not TreatmentPlan.objects.filter(episode=episode).exists()
    shoot(kine, "physio-02-plan-refused")
    kine.get_by_role("checkbox", name=re.compile(re.escape(curl_up.name_in("en")))).uncheck()
    kine.get_by_role("checkbox", name=re.compile(re.escape(knee_to_chest.name_in("en")))).check()
    kine.get_by_role("button", name="Save the plan").click()
    see_message(kine, "The treatment plan is saved.")
    expect(kine.get_by_text(knee_to_chest.name_in("en"))).to_be_visible()

    kine.get_by_role("link", name="Record a session").first.click()
    kine.get_by_label("Pain now (0-10)").fill("4")
    kine.get_by_label("What was done").fill("Education, knee to chest, walking advice")
    kine.get_by_label("Exercise adherence").select_option("all")
    shoot(kine, "physio-03-session-form")
    kine.get_by_role("button", name="Save the session").click()
    see_message(kine, "The session is recorded.")
    shoot(kine, "physio-04-episode")
    kine.context.close()

    # --- the doctor has seen the emergency: reception records that the pathway goes on --
    emergency = Episode.objects.get(patient__last_name=EMERGENCY_PATIENT["last_name"])
    assert not emergency.follow_ups.exists()  # no follow-up until the pathway continues
    desk = log_in(open_context(), "sofie.reception")
    alerts = desk.get_by_role("region", name="Alerts to acknowledge")
    row(alerts, "Peeters").get_by_role("button", name="Safe to continue").click()
    see_message(desk, "Alert closed: the pathway continues.")
    desk.context.close()
    emergency_follow_up = FollowUp.objects.get(episode=emergency, number=1)
    # A patient who once had cancer, sent to the GP at intake, then on the pathway too.
    survivor = PatientFactory(
        first_name="Greet", last_name="Wouters", postcode="9000", email=SURVIVOR_EMAIL
    )
    survivor_episode = make_intake(survivor, cancer_history=True).episode
    pathway.close_alert_safe_to_continue(Alert.objects.get(episode=survivor_episode), by=None)

    # --- six weeks later: the follow-up e-mail, answered on a phone ----------------------
    follow_up = FollowUp.objects.get(episode=episode, number=1)
    time_machine.move_to(follow_up.due_at + timedelta(minutes=1), tick=True)
    background.sweep(follow_up.due_at)
    invitation = mail_sink.wait_for(PHYSIO_PATIENT["email"], pump=background.pump)[0]
    assert PHYSIO_PATIENT["last_name"] not in str(invitation["Subject"])
    link = link_in(invitation)

    phone = open_context(language=None, viewport=PHONE, is_mobile=True, has_touch=True)
    answer = phone.new_page()
    answer.goto(link)
    expect(answer.locator("html")).to_have_attribute("lang", "nl")  # the patient's language
    assert fits_the_screen(answer)
    shoot(answer, "patient-01-questionnaire-phone")
    answer_follow_up(answer, intake_date=episode.intake_date)  # the same: persistent
    expect(answer.get_by_role("heading", level=1)).to_have_text(
        text("Thank you, we have received your answers", "nl")
    )
    assert fits_the_screen(answer)
    shoot(answer, "patient-02-thanks-phone")
    browser_errors.allow("status of 410")
    answer.goto(link)  # single use: a second visit is a friendly "already answered"
    expect(answer.get_by_role("heading", level=1)).to_have_text(
        text("You have already answered these questions", "nl")
    )
    phone.close()

    # --- answers that contradict: "no back pain" but pain 7 -------------------------------
    phone = open_context(language=None, viewport=PHONE, is_mobile=True, has_touch=True)
    answer = phone.new_page()
    answer.goto(link_in(mail_sink.wait_for(EMERGENCY_PATIENT["email"], pump=background.pump)[0]))
    answer_follow_up(
        answer,
        intake_date=emergency.intake_date,
        still_back_pain=False,
        pain=7,
        global_change="same",
        painkillers=False,
    )
    expect(answer.get_by_role("heading", level=1)).to_have_text(
        text("Thank you, we have received your answers", "nl")
    )
    # --- the cancer survivor has recovered: no alert -------------------------------------
    answer.goto(link_in(mail_sink.wait_for(SURVIVOR_EMAIL, pump=background.pump)[0]))
    answer_follow_up(
        answer,
        intake_date=survivor_episode.intake_date,
        still_back_pain=False,
        pain=0,
        global_change="much_better",
        painkillers=False,
    )
    expect(answer.get_by_role("heading", level=1)).to_have_text(
        text("Thank you, we have received your answers", "nl")
    )
    phone.close()
    emergency_follow_up.refresh_from_db()
    assert "CHECK-ANSWERS" in emergency_follow_up.outcome_reasons
    survived = FollowUp.objects.get(episode=survivor_episode, number=1)
    assert (survived.outcome, survived.course) == ("recovered", "recovered")
    assert not Alert.objects.open().filter(episode=survivor_episode).exists()

    desk = log_in(open_context(), "sofie.reception")
    alerts = desk.get_by_role("region", name="Alerts to acknowledge")
    expect(row(alerts, "Wouters")).to_have_count(0)
    desk.get_by_role("link", name="Call list").click()
    expect(row(desk, "Peeters")).to_contain_text(text(CallReason.CHECK_ANSWERS.label))
    shoot(desk, "reception-09-call-list-to-confirm")
    desk.context.close()

    referral = Referral.objects.select_related("campus").get(episode=episode)
    assert referral.state == ReferralState.PROPOSED
    assert referral.campus.code == "bornem"  # postcode 2880

    # --- the physiotherapist approves and sends the referral -----------------------------
    kine = log_in(open_context(), "an.physio")
    kine.get_by_role("link", name="Pain-clinic referrals").click()
    proposal = row(kine, "Verstraeten")
    expect(proposal).to_contain_text("Bornem")
    shoot(kine, "physio-05-proposals")
    proposal.get_by_role("button", name="Approve and send").click()
    expect(row(kine, "Verstraeten")).to_contain_text("Referral approved and sent.")
    kine.context.close()

    referral_mail = mail_sink.wait_for(PHYSIO_PATIENT["email"], count=2, pump=background.pump)[-1]
    body = text_of(referral_mail)
    assert BORNEM_PHONE in body and "Bornem" in body, body
    assert "03 880 90 11" not in body

    # --- the coordinators ----------------------------------------------------------------
    rumst = log_in(open_context(), "pieter.rumst")
    expect(rumst.get_by_role("heading", level=1)).to_contain_text("Rumst")
    expect(row(rumst, "Verstraeten")).to_have_count(0)
    rumst.context.close()

    bornem = log_in(open_context(), "els.bornem")
    expect(bornem).to_have_url(re.compile(r"/coordinator/$"))
    expect(bornem.get_by_role("heading", level=1)).to_contain_text("Bornem")
    shoot(bornem, "coordinator-01-incoming")
    row(bornem, "Verstraeten").get_by_role("button", name="Accept").click()
    expect(row(bornem, "Verstraeten")).to_contain_text("Referral accepted.")
    row(bornem, "Verstraeten").get_by_role("link", name="Book").click()
    appointment = timezone.localdate() + timedelta(days=10)
    booking = row(bornem, "Verstraeten")
    booking.get_by_label("Date").fill(appointment.isoformat())
    booking.get_by_label("Time").fill("10:30")
    shoot(bornem, "coordinator-02-booking")
    booking.get_by_role("button", name="Save").click()
    expect(row(bornem, "Verstraeten")).to_contain_text("Appointment booked.")
    expect(row(bornem, "Verstraeten")).to_contain_text(appointment.strftime("%d/%m/%Y"))
    row(bornem, "Verstraeten").get_by_role("link", name=re.compile("Verstraeten")).click()
    expect(bornem.get_by_role("heading", level=1)).to_contain_text("Verstraeten")
    expect(bornem.get_by_text(BORNEM_PHONE).first).to_be_visible()
    shoot(bornem, "coordinator-03-referral")
    bornem.context.close()
    referral.refresh_from_db()
    assert referral.state == ReferralState.BOOKED
    assert referral.appointment_date == appointment

    # --- the manager, with two-step login ------------------------------------------------
    settings.BACKPATH_2FA_REQUIRED_ROLES = ["manager", "admin"]
    boss = log_in(open_context(), "karin.manager")
    expect(boss).to_have_url(re.compile(r"/security/two-step/"))
    shoot(boss, "manager-01-two-step-setup")
    code = totp_now(boss.locator("#bp-secret").inner_text())
    boss.get_by_label("Code from your authenticator app").fill(code)
    boss.get_by_role("button", name="Turn on").click()
    expect(boss).to_have_url(re.compile(r"/manager/$"))
    totals = boss.get_by_role("region", name="Totals for the period")
    new_intakes = totals.locator(".card-body").filter(has_text="new intakes").locator(".stat")
    assert int(new_intakes.inner_text()) >= 2
    sent = totals.locator(".card-body").filter(has_text="referrals sent").locator(".stat")
    assert int(sent.inner_text()) == 1
    per_campus = boss.locator("section[aria-labelledby=campus-table]")
    bornem_row = per_campus.locator("tr").filter(has=boss.locator("th", has_text="Bornem"))
    cells = bornem_row.locator("td")
    expect(cells.nth(0)).to_have_text("1")  # intakes from Bornem's catchment
    expect(cells.nth(3)).to_have_text("1")  # persistent at six weeks
    expect(cells.nth(4)).to_have_text("1")  # referrals sent to Bornem
    rumst_row = per_campus.locator("tr").filter(has=boss.locator("th", has_text="Rumst"))
    expect(rumst_row.locator("td").nth(0)).to_have_text("1")
    expect(rumst_row.locator("td").nth(4)).to_have_text("0")
    shoot(boss, "manager-02-figures")
    boss.get_by_role("link", name="Pain-clinic capacity").click()
    expect(boss.get_by_role("heading", level=1)).to_be_visible()
    shoot(boss, "manager-03-capacity")
    boss.get_by_role("link", name="Privacy and audit").click()
    expect(boss.get_by_role("heading", level=1)).to_be_visible()
    shoot(boss, "manager-04-audit")
