from datetime import UTC, date, datetime, time, timedelta

import pytest

from followups import services
from followups.models import CallReason, FollowUp, FollowUpState, QuestionnaireLink
from followups.schedule import local_at
from followups.services import follow_up_reference, run_sweep
from intake.models import Episode, EpisodeState, Patient
from outbox.models import EmailState, OutboundEmail
from outbox.sealing import unseal_context
from tests.factories import make_follow_up

pytestmark = pytest.mark.django_db

INTAKE = date(2026, 10, 20)  # due Tuesday 1 December 2026, 09:00
DUE = local_at(date(2026, 12, 1))


def at(day_offset: int, hour: int = 9, minute: int = 0) -> datetime:
    return local_at(date(2026, 12, 1) + timedelta(days=day_offset), time(hour, minute))


def reload(follow_up: FollowUp) -> FollowUp:
    return FollowUp.objects.get(pk=follow_up.pk)


def test_nothing_happens_before_the_due_time():
    follow_up = make_follow_up(intake_date=INTAKE)
    assert run_sweep(DUE - timedelta(minutes=1)).total == 0
    assert reload(follow_up).state == FollowUpState.SCHEDULED
    assert not OutboundEmail.objects.exists()


def test_at_the_due_time_the_sweep_invites_the_patient_through_the_outbox():
    follow_up = make_follow_up(intake_date=INTAKE, language="fr")
    report = run_sweep(DUE)
    follow_up = reload(follow_up)
    assert report["invited"] == 1
    assert follow_up.state == FollowUpState.INVITED
    assert follow_up.invited_at == DUE
    assert follow_up.link_expires_at == DUE + timedelta(days=14)
    email = OutboundEmail.objects.get()
    assert (email.recipient, email.language) == (follow_up.episode.patient.email, "fr")
    assert email.template == "followup_invitation"
    assert email.state == EmailState.QUEUED
    assert email.reference == follow_up_reference(follow_up)
    assert email.patient_id == follow_up.episode.patient_id
    assert email.idempotency_key == f"followup-{follow_up.pk}-invitation"
    assert QuestionnaireLink.objects.get().expires_at == follow_up.link_expires_at


def test_the_stored_link_is_a_hash_of_the_mailed_token():
    make_follow_up(intake_date=INTAKE)
    run_sweep(DUE)
    url = unseal_context(OutboundEmail.objects.get().context)["questionnaire_url"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    link = QuestionnaireLink.objects.get()
    assert token not in link.token_hash
    assert QuestionnaireLink.objects.for_token(token) == link


def test_running_the_sweep_again_sends_no_second_invitation():
    follow_up = make_follow_up(intake_date=INTAKE)
    run_sweep(DUE)
    assert run_sweep(DUE + timedelta(minutes=1)).total == 0
    assert OutboundEmail.objects.count() == 1
    assert reload(follow_up).state == FollowUpState.INVITED


def test_a_mail_already_in_the_outbox_under_the_same_key_is_not_written_twice():
    follow_up = make_follow_up(intake_date=INTAKE)
    OutboundEmail.objects.create(
        recipient="earlier@example.org",
        language="nl",
        template="followup_invitation",
        idempotency_key=f"followup-{follow_up.pk}-invitation",
    )
    assert run_sweep(DUE)["invited"] == 1
    assert list(OutboundEmail.objects.values_list("recipient", flat=True)) == [
        "earlier@example.org"
    ]
    assert reload(follow_up).state == FollowUpState.INVITED


def test_every_mail_of_a_batch_carries_its_own_link():
    follow_ups = [make_follow_up(intake_date=INTAKE) for _ in range(5)]
    run_sweep(DUE)
    for follow_up in follow_ups:
        email = OutboundEmail.objects.get(reference=follow_up_reference(follow_up))
        # The outbox keeps the link sealed until the mail is rendered (outbox/sealing.py).
        url = unseal_context(email.context)["questionnaire_url"]
        token = url.rstrip("/").rsplit("/", 1)[1]
        assert QuestionnaireLink.objects.for_token(token).follow_up == follow_up
    assert email.context["weeks"] == 6
    assert email.context["expires_on"] == "2026-12-15"


def test_no_mail_is_queued_in_the_evening_it_waits_for_eight_in_the_morning():
    follow_up = make_follow_up(intake_date=INTAKE)
    assert run_sweep(at(0, 20, 0)).total == 0
    assert run_sweep(at(1, 7, 59)).total == 0
    assert reload(follow_up).state == FollowUpState.SCHEDULED
    run_sweep(at(1, 8, 0))
    assert reload(follow_up).state == FollowUpState.INVITED


def test_reminders_go_out_on_day_three_and_day_seven():
    follow_up = make_follow_up(intake_date=INTAKE)
    run_sweep(DUE)
    assert run_sweep(at(3) - timedelta(minutes=1)).total == 0
    assert run_sweep(at(3))["reminded"] == 1
    assert reload(follow_up).reminders_sent == 1
    assert run_sweep(at(7) - timedelta(minutes=1)).total == 0
    assert run_sweep(at(7))["reminded"] == 1
    follow_up = reload(follow_up)
    assert (follow_up.state, follow_up.reminders_sent) == (FollowUpState.REMINDED, 2)
    keys = set(OutboundEmail.objects.values_list("idempotency_key", flat=True))
    assert keys == {
        f"followup-{follow_up.pk}-invitation",
        f"followup-{follow_up.pk}-reminder-1",
        f"followup-{follow_up.pk}-reminder-2",
    }
    assert QuestionnaireLink.objects.filter(follow_up=follow_up).count() == 3


def test_on_day_fourteen_the_link_expires_and_the_patient_goes_on_the_call_list():
    follow_up = make_follow_up(intake_date=INTAKE)
    for day in (0, 3, 7):
        run_sweep(at(day))
    assert run_sweep(at(14) - timedelta(minutes=1)).total == 0
    assert run_sweep(at(14))["expired"] == 1
    follow_up = reload(follow_up)
    assert follow_up.state == FollowUpState.EXPIRED
    assert follow_up.call_reason == CallReason.NO_RESPONSE
    assert list(FollowUp.objects.call_list()) == [follow_up]


def test_links_expire_outside_the_mail_window_too():
    follow_up = make_follow_up(intake_date=INTAKE)
    for day in (0, 3, 7):
        run_sweep(at(day))
    follow_up.refresh_from_db()
    FollowUp.objects.filter(pk=follow_up.pk).update(
        link_expires_at=at(13, 22), next_action_at=at(13, 22)
    )
    assert run_sweep(at(13, 23))["expired"] == 1


@pytest.mark.parametrize(
    ("patient_fields", "reason"),
    [
        ({"email": ""}, CallReason.NO_EMAIL),
        ({"email_consent": False, "email_consent_at": None}, CallReason.NO_CONSENT),
    ],
)
def test_patients_we_cannot_email_go_on_the_call_list_on_the_due_date(patient_fields, reason):
    follow_up = make_follow_up(intake_date=INTAKE, **patient_fields)
    assert run_sweep(DUE)["call_list"] == 1
    follow_up = reload(follow_up)
    assert (follow_up.state, follow_up.call_reason) == (FollowUpState.CALL_LIST, reason)
    assert not OutboundEmail.objects.exists()


def test_patients_we_cannot_email_are_listed_even_outside_the_mail_window():
    follow_up = make_follow_up(intake_date=INTAKE, email="")
    FollowUp.objects.filter(pk=follow_up.pk).update(next_action_at=at(0, 6))
    assert run_sweep(at(0, 6))["call_list"] == 1


def test_a_follow_up_of_a_closed_episode_is_still_sent_the_safety_net():
    # Rules 2027.1: discharge keeps the follow-up unless it was cancelled with a reason.
    follow_up = make_follow_up(intake_date=INTAKE)
    Episode.objects.filter(pk=follow_up.episode_id).update(state=EpisodeState.CLOSED)
    assert run_sweep(DUE)["invited"] == 1
    assert reload(follow_up).state == FollowUpState.INVITED
    assert OutboundEmail.objects.count() == 1


def test_the_sweep_works_through_every_batch(monkeypatch):
    monkeypatch.setattr(services, "SWEEP_BATCH_SIZE", 3)
    follow_ups = [make_follow_up(intake_date=INTAKE) for _ in range(7)]
    assert run_sweep(DUE)["invited"] == 7
    assert all(reload(f).state == FollowUpState.INVITED for f in follow_ups)
    assert OutboundEmail.objects.count() == 7


def test_a_batch_that_fails_half_way_leaves_nothing_behind(monkeypatch):
    follow_ups = [make_follow_up(intake_date=INTAKE) for _ in range(3)]
    original = services.advance
    calls = []

    def advance_then_crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker died")
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "advance", advance_then_crash)
    with pytest.raises(RuntimeError):
        run_sweep(DUE)
    assert all(reload(f).state == FollowUpState.SCHEDULED for f in follow_ups)
    assert not OutboundEmail.objects.exists()
    assert not QuestionnaireLink.objects.exists()
    monkeypatch.setattr(services, "advance", original)
    assert run_sweep(DUE)["invited"] == 3


@pytest.mark.parametrize(
    ("intake_date", "nine_local_utc"),
    [
        (date(2026, 2, 16), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),  # Monday after spring change
        (date(2026, 9, 14), datetime(2026, 10, 26, 8, 0, tzinfo=UTC)),  # Monday after autumn change
    ],
)
def test_in_the_daylight_saving_week_the_invitation_still_goes_at_nine_local(
    intake_date, nine_local_utc, time_machine
):
    follow_up = make_follow_up(intake_date=intake_date)
    time_machine.move_to(nine_local_utc - timedelta(minutes=1), tick=False)
    assert run_sweep().total == 0
    time_machine.move_to(nine_local_utc, tick=False)
    assert run_sweep()["invited"] == 1
    assert reload(follow_up).invited_at == nine_local_utc


def test_a_patient_who_withdraws_consent_gets_no_reminder_but_a_phone_call():
    follow_up = make_follow_up(intake_date=INTAKE)
    run_sweep(DUE)
    Patient.objects.filter(pk=follow_up.episode.patient_id).update(email_consent=False)
    assert run_sweep(at(3))["call_list"] == 1
    follow_up = reload(follow_up)
    assert (follow_up.state, follow_up.call_reason) == (
        FollowUpState.CALL_LIST,
        CallReason.NO_CONSENT,
    )
    assert OutboundEmail.objects.count() == 1
