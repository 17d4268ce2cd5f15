"""The Celery task bodies, run in-process: what each one leaves in the database.

(test_celery.py sends a task through a real worker on Redis; these call the task
functions directly, as a worker would once it has the message.)
"""

from collections import Counter
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from clinics.models import WorkerHeartbeat
from clinics.tasks import HEARTBEAT_NAME, record_heartbeat
from followups.models import FollowUp, FollowUpState, QuestionnaireLink
from followups.schedule import local_at
from followups.tasks import run_followup_sweep
from outbox import drain
from outbox.models import EmailState, OutboundEmail
from outbox.services import queue_email
from outbox.tasks import send_email, send_queued_emails
from tests.factories import make_follow_up

pytestmark = pytest.mark.django_db

INTAKE = date(2026, 10, 20)  # the first follow-up falls due on 1 December 2026, 09:00
DUE = local_at(date(2026, 12, 1))


def _queued(to: str, key: str) -> OutboundEmail:
    return queue_email(
        to=to,
        language="nl",
        template="followup_reminder",
        context={
            "first_name": "Els",
            "questionnaire_url": "http://testserver/q/token/",
            "expires_on": "2026-12-15",
            "weeks": 6,
            "reminder_number": 1,
        },
        idempotency_key=key,
    )


# --- clinics.tasks.record_heartbeat --------------------------------------------------------


def test_the_heartbeat_task_writes_the_beat_row_then_counts_on_it(time_machine):
    time_machine.move_to("2026-12-01 09:00 +01:00", tick=False)
    record_heartbeat()
    first = WorkerHeartbeat.objects.get(name=HEARTBEAT_NAME)
    assert first.beats == 1
    assert first.last_seen == timezone.now()

    time_machine.move_to("2026-12-01 09:01 +01:00", tick=False)
    record_heartbeat()
    again = WorkerHeartbeat.objects.get(name=HEARTBEAT_NAME)
    assert again.beats == 2
    assert again.last_seen == timezone.now() > first.last_seen
    assert WorkerHeartbeat.objects.count() == 1


def test_a_named_heartbeat_leaves_the_beat_row_alone():
    record_heartbeat("round-trip")
    assert WorkerHeartbeat.objects.get(name="round-trip").beats == 1
    assert not WorkerHeartbeat.objects.filter(name=HEARTBEAT_NAME).exists()


# --- followups.tasks.run_followup_sweep -----------------------------------------------------


def test_the_sweep_task_invites_the_due_follow_up_through_the_outbox():
    follow_up = make_follow_up(intake_date=INTAKE)

    report = run_followup_sweep(DUE.isoformat())

    assert report.startswith("invited 1,")
    follow_up = FollowUp.objects.get(pk=follow_up.pk)
    assert follow_up.state == FollowUpState.INVITED
    assert follow_up.invited_at == DUE
    email = OutboundEmail.objects.get()
    assert (email.recipient, email.template) == (
        follow_up.episode.patient.email,
        "followup_invitation",
    )
    assert QuestionnaireLink.objects.filter(follow_up=follow_up).count() == 1


def test_the_sweep_task_run_twice_or_too_early_does_nothing_more():
    follow_up = make_follow_up(intake_date=INTAKE)

    assert run_followup_sweep((DUE - timedelta(minutes=1)).isoformat()).startswith("invited 0,")
    assert FollowUp.objects.get(pk=follow_up.pk).state == FollowUpState.SCHEDULED
    run_followup_sweep(DUE.isoformat())
    run_followup_sweep(DUE.isoformat())  # a late duplicate of the same beat

    assert OutboundEmail.objects.count() == 1
    assert QuestionnaireLink.objects.count() == 1


def test_the_sweep_task_reads_the_clock_when_given_no_moment(time_machine):
    follow_up = make_follow_up(intake_date=INTAKE)
    time_machine.move_to(DUE + timedelta(hours=1), tick=False)

    run_followup_sweep()

    assert FollowUp.objects.get(pk=follow_up.pk).state == FollowUpState.INVITED


# --- outbox.tasks ----------------------------------------------------------------------------


def test_the_send_task_sends_the_row_once_and_marks_it_sent():
    email = _queued("els@example.org", "task-send-once")

    assert send_email(email.pk) == "sent"
    assert send_email(email.pk) == "skipped"  # a redelivered message

    email.refresh_from_db()
    assert email.state == EmailState.SENT
    assert email.attempts == 1
    assert [m.to for m in mail.outbox] == [["els@example.org"]]


def test_the_drain_task_sends_every_due_row_and_leaves_the_later_ones(time_machine):
    time_machine.move_to("2026-12-01 10:00 +01:00", tick=False)
    due = [_queued(f"due{n}@example.org", f"task-drain-{n}") for n in range(3)]
    later = _queued("later@example.org", "task-drain-later")
    OutboundEmail.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )

    assert send_queued_emails() == 3

    states = dict(OutboundEmail.objects.values_list("pk", "state"))
    assert {states[e.pk] for e in due} == {EmailState.SENT}
    assert states[later.pk] == EmailState.QUEUED
    assert sorted(m.to[0] for m in mail.outbox) == [f"due{n}@example.org" for n in range(3)]
    assert send_queued_emails() == 0


def test_a_drain_with_a_backlog_asks_for_helpers_that_ask_for_none(monkeypatch, settings):
    settings.BACKPATH_OUTBOX_PARALLEL_DRAINS = 3
    asked: list[dict] = []
    monkeypatch.setattr(send_queued_emails, "apply_async", lambda **options: asked.append(options))

    def drain_with_a_backlog(*, on_backlog=None):  # type: ignore[no-untyped-def]
        if on_backlog is not None:
            on_backlog()
        return Counter()

    monkeypatch.setattr(drain, "send_due_emails", drain_with_a_backlog)
    send_queued_emails()
    assert asked == [{"kwargs": {"ask_for_help": False}, "retry": False}] * 2
    asked.clear()
    send_queued_emails(ask_for_help=False)
    assert asked == []
