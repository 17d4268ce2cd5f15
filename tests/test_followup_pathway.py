"""Rules 2027.1 in the workflows: what happens after a follow-up is answered, the safety
net at discharge, the call list, and intakes sent to the doctor (clinical-rules.md 4)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from followups import services as followups
from followups.models import CallReason, CallResult, FollowUp, FollowUpState
from intake.models import Alert, AlertKind, Episode, EpisodeState
from outbox.models import OutboundEmail
from pathway import services as pathway
from referrals.models import Referral
from referrals.services import ReferralError, propose_referral
from tests.factories import PatientFactory, make_episode_in_treatment, make_intake

BRUSSELS = ZoneInfo("Europe/Brussels")
START_BACK = [1, 0, 0, 0, 0, 1, 0, 0, "slightly"]
QUIET = {"still_back_pain": True, "global_change": "better"}


def answers(**overrides):
    return {**QUIET, "pain_now": 3, **overrides}


def first_follow_up(**intake):
    """The first follow-up; an intake sent to the doctor continues the pathway first."""
    episode = make_intake(**intake).episode
    if not episode.follow_ups.exists():
        pathway.continue_pathway(episode, by=None)
    return episode.follow_ups.get(number=1)


def answer(follow_up, *, now=None, **overrides):
    """Answers by phone (the follow-up is put on the call list first when it is not due)."""
    FollowUp.objects.filter(pk=follow_up.pk, state=FollowUpState.SCHEDULED).update(
        state=FollowUpState.CALL_LIST, call_reason=CallReason.NO_EMAIL, next_action_at=None
    )
    return pathway.answer_follow_up(
        follow_up,
        answers(**overrides),
        channel="phone",
        start_back_items=START_BACK,
        now=now,
    )


@pytest.fixture
def patient(db):
    return PatientFactory()


# --- context from the record -------------------------------------------------------------


def test_the_outcome_context_comes_from_the_intake_and_the_birth_date(db):
    patient = PatientFactory(birth_date=date(1980, 3, 1))
    episode = make_intake(
        patient, intake_date=date(2026, 1, 5), cancer_history=True, radiation="below_knee"
    ).episode
    follow_up = pathway.continue_pathway(episode, by=None)
    context = followups.outcome_context(follow_up, date(2026, 2, 16))
    assert context == {
        "age": 45,
        "baseline_pain": 5,
        "baseline_odi": float(follow_up.episode.intake.odi_percent),
        "previous_pain": None,
        "cancer_history": True,
        "osteoporosis_or_steroids": False,
        "immunosuppressed": False,
        "intake_radiation": "below_knee",
    }


def test_age_is_worked_out_on_the_follow_up_date_not_copied_from_the_intake(db):
    # 17 at the intake, 18 on the day of the follow-up: no longer a child.
    patient = PatientFactory(birth_date=date(2008, 2, 1))
    intake = make_intake(patient, intake_date=date(2026, 1, 5))
    assert intake.answers["age"] == 17
    pathway.continue_pathway(intake.episode, by=None)
    follow_up = intake.episode.follow_ups.get(number=1)
    answered = answer(follow_up, now=datetime(2026, 2, 16, 10, tzinfo=BRUSSELS))
    assert answered.outcome_context["age"] == 18
    assert "U-CHILD" not in answered.outcome_reasons


def test_start_back_is_asked_again_and_stored(db):
    answered = answer(first_follow_up())
    assert answered.start_back_items == START_BACK
    assert (answered.start_back_total, answered.start_back_risk) == (2, "low")


# --- what the course asks for ------------------------------------------------------------


def test_a_cancer_history_patient_who_recovered_gets_no_alert_and_is_proposed_for_closing(db):
    follow_up = first_follow_up(cancer_history=True)
    Alert.objects.all().delete()  # the intake's own U-CANCER alert
    answered = answer(follow_up, still_back_pain=False, pain_now=0, global_change="much_better")
    assert (answered.outcome, answered.course) == ("recovered", "recovered")
    assert not Alert.objects.exists()
    assert FollowUp.objects.proposed_for_closing().filter(pk=answered.pk).exists()


def test_a_red_flag_keeps_the_course_and_waits_for_safe_to_continue(db):
    follow_up = first_follow_up()
    answered = answer(follow_up, pain_now=3, night_pain=True)
    assert (answered.outcome, answered.course) == ("red_flag", "improving")
    assert answered.alert.kind == AlertKind.FOLLOW_UP
    assert answered.alert.reasons == ["U-NIGHT"]
    assert not FollowUp.objects.filter(episode=follow_up.episode, number=2).exists()

    pathway.close_alert_safe_to_continue(answered.alert, by=None)

    answered.alert.refresh_from_db()
    assert answered.alert.acknowledged_at is not None
    assert FollowUp.objects.filter(episode=follow_up.episode, number=2).exists()


def test_safe_to_continue_carries_out_the_course_once(db):
    answered = answer(first_follow_up(), night_pain=True)
    pathway.close_alert_safe_to_continue(answered.alert, by=None)
    with pytest.raises(pathway.NothingToContinue):
        pathway.close_alert_safe_to_continue(answered.alert, by=None)


def test_a_red_flag_recovered_course_is_proposed_for_closing_only_after_safe_to_continue(db):
    answered = answer(
        first_follow_up(),
        still_back_pain=False,
        pain_now=0,
        global_change="much_better",
        fever=True,
    )
    assert answered.course == "recovered"
    assert not FollowUp.objects.proposed_for_closing().exists()
    pathway.close_alert_safe_to_continue(answered.alert, by=None)
    assert FollowUp.objects.proposed_for_closing().filter(pk=answered.pk).exists()


def test_improving_at_the_first_follow_up_schedules_the_second_42_days_after_the_answer(db):
    now = datetime(2026, 3, 2, 15, tzinfo=BRUSSELS)
    answered = answer(first_follow_up(), now=now)
    second = FollowUp.objects.get(episode=answered.episode, number=2)
    assert second.due_at == datetime(2026, 4, 13, 9, tzinfo=BRUSSELS)


def test_improving_at_the_second_follow_up_is_a_review_task_not_a_third_follow_up(db):
    first = answer(first_follow_up(), pain_now=3)
    second = FollowUp.objects.get(episode=first.episode, number=2)
    answered = answer(second, pain_now=1, global_change="better", painkillers_still=True)
    assert answered.course == "improving"
    assert not FollowUp.objects.filter(episode=first.episode, number=3).exists()
    review = Alert.objects.get(episode=first.episode, kind=AlertKind.REVIEW)
    assert review.disposition == "PHYSIO"


def test_persistent_proposes_a_referral(db):
    answered = answer(first_follow_up(), pain_now=6, global_change="same")
    assert answered.outcome == "persistent"
    assert Referral.objects.filter(episode=answered.episode, follow_up=answered).exists()


def test_a_minor_is_never_proposed_for_the_pain_clinic(db):
    minor = PatientFactory(birth_date=date.today().replace(year=date.today().year - 16))
    intake = make_intake(minor)
    with pytest.raises(ReferralError, match="18"):
        propose_referral(intake.episode, source="physio", reason="still in pain")
    assert not Referral.objects.exists()


def test_a_persistent_minor_is_sent_back_to_the_gp_not_referred(db):
    minor = PatientFactory(birth_date=date.today().replace(year=date.today().year - 16))
    intake = make_intake(minor)
    pathway.continue_pathway(intake.episode, by=None)
    answered = answer(intake.episode.follow_ups.get(number=1), pain_now=7, global_change="same")
    assert (answered.outcome, answered.course) == ("red_flag", "persistent")
    assert "U-CHILD" in answered.outcome_reasons
    pathway.close_alert_safe_to_continue(answered.alert, by=None)
    assert not Referral.objects.exists()


# --- CHECK-ANSWERS -----------------------------------------------------------------------


def test_contradictory_answers_go_on_the_call_list_to_confirm(db):
    answered = answer(first_follow_up(), still_back_pain=False, pain_now=7, global_change="same")
    assert "CHECK-ANSWERS" in answered.outcome_reasons
    assert answered.course == "persistent"
    assert answered.call_reason == CallReason.CHECK_ANSWERS
    assert list(FollowUp.objects.call_list()) == [answered]


def test_confirming_takes_it_off_the_call_list_and_keeps_the_answers(db, receptionist):
    answered = answer(first_follow_up(), still_back_pain=False, pain_now=7, global_change="same")
    followups.record_call(answered, result=CallResult.CONFIRMED, by=receptionist, note="yes, 7")
    answered.refresh_from_db()
    assert not FollowUp.objects.call_list().exists()
    assert (answered.state, answered.outcome, answered.call_note) == (
        "answered",
        "persistent",
        "yes, 7",
    )


# --- the call list -----------------------------------------------------------------------


def call_listed(**patient_fields):
    patient = PatientFactory(email="", email_consent=False, email_consent_at=None, **patient_fields)
    follow_up = make_intake(patient).episode.follow_ups.get(number=1)
    FollowUp.objects.filter(pk=follow_up.pk).update(
        state=FollowUpState.CALL_LIST, call_reason=CallReason.NO_EMAIL, next_action_at=None
    )
    follow_up.refresh_from_db()
    return follow_up


def test_declined_needs_the_reason(db, receptionist):
    follow_up = call_listed()
    with pytest.raises(ValueError, match="reason"):
        followups.record_call(follow_up, result=CallResult.DECLINED, by=receptionist, note=" ")
    done = followups.record_call(
        follow_up, result=CallResult.DECLINED, by=receptionist, note="Feels fine"
    )
    assert (done.state, done.call_note) == (FollowUpState.DONE, "Feels fine")


def test_reached_without_answers_is_no_longer_a_result(db, receptionist):
    with pytest.raises(ValueError):
        followups.record_call(call_listed(), result=CallResult.REACHED, by=receptionist)


def test_three_times_not_reached_closes_the_follow_up_as_lost(db, receptionist):
    follow_up = call_listed()
    for _ in range(2):
        follow_up = followups.record_call(follow_up, result=CallResult.NOT_REACHED, by=receptionist)
        assert follow_up.state == FollowUpState.CALL_LIST
    follow_up = followups.record_call(follow_up, result=CallResult.NOT_REACHED, by=receptionist)
    assert follow_up.state == FollowUpState.LOST
    assert Alert.objects.filter(episode=follow_up.episode, kind=AlertKind.LOST).exists()
    assert not OutboundEmail.objects.filter(template="followup_lost").exists()  # no e-mail


def test_a_lost_patient_with_e_mail_gets_the_safety_net_message(db, receptionist):
    patient = PatientFactory()
    follow_up = make_intake(patient).episode.follow_ups.get(number=1)
    FollowUp.objects.filter(pk=follow_up.pk).update(
        state=FollowUpState.EXPIRED, call_reason=CallReason.NO_RESPONSE, next_action_at=None
    )
    for _ in range(3):
        follow_up = followups.record_call(follow_up, result=CallResult.NOT_REACHED, by=receptionist)
    email = OutboundEmail.objects.get(template="followup_lost")
    assert (email.recipient, email.patient_id) == (patient.email, patient.pk)


# --- discharge keeps the safety net -------------------------------------------------------


def test_discharge_keeps_the_pending_follow_up(db, physio):
    episode = make_episode_in_treatment(physio)
    pathway.discharge(episode, by=physio, outcome="recovered")
    follow_up = episode.follow_ups.get(number=1)
    assert follow_up.state == FollowUpState.SCHEDULED


def test_discharge_as_referred_cancels_the_follow_up(db, physio):
    episode = make_episode_in_treatment(physio)
    pathway.discharge(episode, by=physio, outcome="referred")
    follow_up = episode.follow_ups.get(number=1)
    assert (follow_up.state, follow_up.cancel_reason) == ("cancelled", "discharged: referred")


def test_the_physio_may_cancel_the_follow_up_with_a_reason_kept_in_the_history(db, physio):
    episode = make_episode_in_treatment(physio)
    pathway.discharge(episode, by=physio, outcome="stopped", cancel_follow_up_reason="Moved abroad")
    follow_up = episode.follow_ups.get(number=1)
    assert (follow_up.state, follow_up.cancel_reason, follow_up.closed_by) == (
        "cancelled",
        "Moved abroad",
        physio,
    )


def test_the_sweep_invites_the_patient_of_a_closed_episode(db, physio):
    episode = make_episode_in_treatment(physio)
    pathway.discharge(episode, by=physio, outcome="recovered")
    follow_up = episode.follow_ups.get(number=1)
    followups.run_sweep(follow_up.due_at + timedelta(minutes=1))
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpState.INVITED


# --- intakes sent to the doctor -----------------------------------------------------------


@pytest.mark.parametrize("flag", [{"fever": True}, {"night_pain": True}])
def test_an_emergency_or_gp_urgent_intake_schedules_no_follow_up(db, flag):
    intake = make_intake(**flag)
    assert not intake.episode.follow_ups.exists()


def test_a_gp_soon_intake_keeps_its_follow_up(db):
    intake = make_intake(duration_days=30)
    assert intake.disposition == "GP_SOON"
    assert intake.episode.follow_ups.filter(number=1).exists()


def test_safe_to_continue_after_the_doctor_schedules_the_follow_up_42_days_later(db, receptionist):
    intake = make_intake(fever=True, intake_date=date(2026, 1, 5))
    alert = Alert.objects.get(episode=intake.episode, kind=AlertKind.INTAKE)
    assert alert.offers_safe_to_continue
    now = datetime(2026, 1, 9, 11, tzinfo=BRUSSELS)
    pathway.close_alert_safe_to_continue(alert, by=receptionist, now=now)
    episode = Episode.objects.get(pk=intake.episode.pk)
    assert (episode.state, episode.pathway_continued_by) == (EpisodeState.OPEN, receptionist)
    follow_up = episode.follow_ups.get(number=1)
    assert follow_up.due_at == datetime(2026, 2, 20, 9, tzinfo=BRUSSELS)


def test_the_alert_view_closes_an_alert_as_safe_to_continue(client, receptionist):
    intake = make_intake(night_pain=True)
    alert = Alert.objects.get(episode=intake.episode)
    client.force_login(receptionist)
    response = client.post(f"/reception/alerts/{alert.pk}/continue/", {"next": "/reception/"})
    assert response.status_code == 302
    assert intake.episode.follow_ups.filter(number=1).exists()
