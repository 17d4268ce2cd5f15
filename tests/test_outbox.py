import asyncio
import email
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from followups.models import CallReason, FollowUp, FollowUpState
from followups.schedule import local_at
from followups.services import run_sweep
from outbox import drain, messages, tasks
from outbox import services as outbox
from outbox.drain import Delivery, deliver, send_due_emails
from outbox.models import EmailState, OutboundEmail
from outbox.services import queue_email
from tests.factories import PatientFactory, make_follow_up

pytestmark = pytest.mark.django_db

DUE = local_at(date(2026, 12, 1))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpSink:
    """A real SMTP server (aiosmtpd) that keeps what it accepts; ``refuse`` maps a
    recipient to the reply it gets at RCPT, ``data_replies`` are the next DATA replies,
    ``delay`` the seconds it takes to accept a message (a slow relay)."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.refuse: dict[str, str] = {}
        self.data_replies: list[str] = []
        self.delay = 0.0
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            if self.data_replies:
                return self.data_replies.pop(0)
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        with self._lock:
            return [message["To"] for message in self.messages]

    def message_ids(self) -> list[str]:
        with self._lock:
            return [message["Message-ID"] for message in self.messages]


@contextmanager
def running_smtp_sink() -> Iterator[tuple[SmtpSink, int]]:
    """An SmtpSink listening on a free local port: (sink, port)."""
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


@pytest.fixture
def smtp(settings):  # type: ignore[no-untyped-def]
    with running_smtp_sink() as (sink, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        yield sink


def queue(**overrides):  # type: ignore[no-untyped-def]
    fields = {
        "to": "an@example.org",
        "language": "nl",
        "template": "followup_invitation",
        "context": {
            "first_name": "An",
            "questionnaire_url": "https://backpath.example/q/secret-token/",
            "expires_on": "2026-12-15",
            "weeks": 6,
            "reminder_number": 0,
        },
        "idempotency_key": "test-1",
    }
    fields.update(overrides)
    return queue_email(**fields)


def test_queueing_twice_with_the_same_key_writes_one_email():
    first = queue()
    second = queue()
    assert first.pk == second.pk
    assert OutboundEmail.objects.count() == 1


def test_the_send_task_is_enqueued_only_when_the_transaction_commits(
    django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(outbox._Broker, "down_until", 0.0)
    monkeypatch.setattr(tasks.send_email, "apply_async", lambda args, **kw: sent.append(args))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email_row = queue()
    assert sent == []
    for callback in callbacks:
        callback()
    assert sent == [(email_row.pk,)]


def test_a_broker_outage_does_not_break_the_caller_and_the_outbox_sweep_sends_later(
    django_capture_on_commit_callbacks, monkeypatch
):
    def broker_down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    monkeypatch.setattr(outbox._Broker, "down_until", 0.0)
    monkeypatch.setattr(tasks.send_email, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        email_row = queue()
    assert OutboundEmail.objects.get(pk=email_row.pk).state == EmailState.QUEUED
    assert send_due_emails()[Delivery.SENT] == 1
    assert len(mail.outbox) == 1


def test_after_a_broker_failure_the_next_mails_do_not_wait_for_the_broker_again(
    django_capture_on_commit_callbacks, monkeypatch
):
    attempts = []

    def broker_down(*args, **kwargs):  # type: ignore[no-untyped-def]
        attempts.append(1)
        raise OperationalError("Connection refused.")

    monkeypatch.setattr(outbox._Broker, "down_until", 0.0)
    monkeypatch.setattr(tasks.send_email, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        queue(idempotency_key="first")
        queue(idempotency_key="second")
    assert len(attempts) == 1
    assert OutboundEmail.objects.filter(state=EmailState.QUEUED).count() == 2


def test_a_missing_template_fails_in_the_callers_transaction():
    from django.template import TemplateDoesNotExist

    with pytest.raises(TemplateDoesNotExist):
        queue(template="no_such_mail")
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_mail_is_rendered_in_the_patients_language_and_names_the_clinic(language):
    email_row = queue(language=language)
    assert deliver(email_row.pk) is Delivery.SENT
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    assert f'<html lang="{language}">' in html
    assert message.extra_headers["Content-Language"] == language
    assert "Pijnkliniek" in message.subject
    assert "Pijnkliniek" in message.body
    assert "https://backpath.example/q/secret-token/" in message.body
    assert "https://backpath.example/q/secret-token/" in html


def test_the_plain_text_part_is_not_html_escaped():
    email_row = queue(
        context={**queue().context, "first_name": "Anaïs D'Hondt"}, idempotency_key="x"
    )
    deliver(email_row.pk)
    assert "Anaïs D'Hondt" in mail.outbox[0].body
    assert "D&#x27;Hondt" in mail.outbox[0].alternatives[0][0]


def test_a_sent_email_forgets_its_questionnaire_link_and_is_not_sent_again():
    email_row = queue()
    assert deliver(email_row.pk) is Delivery.SENT
    email_row.refresh_from_db()
    assert email_row.state == EmailState.SENT
    assert email_row.sent_at is not None
    assert "questionnaire_url" not in email_row.context
    assert deliver(email_row.pk) is Delivery.SKIPPED
    assert send_due_emails().total() == 0
    assert len(mail.outbox) == 1


def test_the_drain_marks_its_mail_sent_keeps_the_context_but_the_link():
    rows = [queue(idempotency_key=f"drain-{number}") for number in range(3)]
    assert send_due_emails()[Delivery.SENT] == 3
    for row in rows:
        row.refresh_from_db()
        assert (row.state, row.attempts, row.next_attempt_at) == (EmailState.SENT, 1, None)
        assert row.sent_at is not None
        assert "questionnaire_url" not in row.context
        assert row.context["first_name"] == "An"
    assert send_due_emails().total() == 0
    assert sorted(message.extra_headers["Message-ID"] for message in mail.outbox) == sorted(
        messages.message_id(row) for row in rows
    )


def test_the_message_id_comes_from_the_idempotency_key():
    email_row = queue()
    deliver(email_row.pk)
    assert mail.outbox[0].extra_headers["Message-ID"] == messages.message_id(email_row)
    assert messages.message_id(email_row) == messages.message_id(
        OutboundEmail(idempotency_key="test-1")
    )


def test_an_email_left_sending_by_a_dead_worker_is_sent_after_its_lease(time_machine):
    email_row = queue()
    OutboundEmail.objects.filter(pk=email_row.pk).update(
        state=EmailState.SENDING,
        attempts=1,
        next_attempt_at=email_row.created_at + drain.sending_lease(),
    )
    time_machine.move_to(email_row.created_at + timedelta(minutes=1))
    assert send_due_emails().total() == 0
    time_machine.move_to(email_row.created_at + drain.sending_lease())
    assert send_due_emails()[Delivery.SENT] == 1


def test_it_delivers_through_a_real_smtp_server(smtp):
    email_row = queue()
    assert deliver(email_row.pk) is Delivery.SENT
    assert smtp.recipients() == ["an@example.org"]
    received = smtp.messages[0]
    assert received["Message-ID"] == messages.message_id(email_row)
    assert received.is_multipart()


def test_a_temporary_smtp_failure_is_retried_with_back_off(smtp, time_machine):
    time_machine.move_to(DUE, tick=False)
    smtp.data_replies = ["451 4.3.0 Try again later", "451 4.3.0 Try again later"]
    email_row = queue()
    assert deliver(email_row.pk) is Delivery.RETRY
    email_row.refresh_from_db()
    assert email_row.state == EmailState.QUEUED
    assert email_row.attempts == 1
    assert email_row.next_attempt_at == DUE + timedelta(minutes=1)
    assert "451" in email_row.last_error
    assert send_due_emails().total() == 0, "not before the back-off"

    time_machine.move_to(DUE + timedelta(minutes=1), tick=False)
    assert send_due_emails()[Delivery.RETRY] == 1
    email_row.refresh_from_db()
    assert email_row.next_attempt_at == DUE + timedelta(minutes=3)

    time_machine.move_to(DUE + timedelta(minutes=3), tick=False)
    assert send_due_emails()[Delivery.SENT] == 1
    email_row.refresh_from_db()
    assert (email_row.state, email_row.attempts) == (EmailState.SENT, 3)
    assert smtp.recipients() == ["an@example.org"]


def test_an_unreachable_mail_server_is_a_temporary_failure(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_TIMEOUT = 2
    email_row = queue()
    assert deliver(email_row.pk) is Delivery.RETRY
    email_row.refresh_from_db()
    assert email_row.state == EmailState.QUEUED
    assert email_row.last_error


def test_the_outbox_sweep_stops_at_the_first_temporary_failure(smtp):
    smtp.data_replies = ["421 4.7.0 Too busy"]
    for number in range(3):
        queue(idempotency_key=f"k{number}")
    results = send_due_emails()
    assert results == {Delivery.RETRY: 1}
    # The mail not tried is back in the queue as it was: due, no attempt counted.
    untried = OutboundEmail.objects.exclude(last_error__startswith="421")
    assert [(row.state, row.attempts) for row in untried] == [(EmailState.QUEUED, 0)] * 2
    assert untried.due(timezone.now()).count() == 2


def test_a_greylisted_recipient_waits_alone_and_the_drain_goes_on(smtp):
    smtp.refuse["grey@example.org"] = "451 4.7.1 Greylisted, try again later"
    queue(to="an@example.org", idempotency_key="k1")
    grey = queue(to="grey@example.org", idempotency_key="k2")
    queue(to="bert@example.org", idempotency_key="k3")
    assert send_due_emails() == {Delivery.SENT: 2, Delivery.RETRY: 1}
    assert sorted(smtp.recipients()) == ["an@example.org", "bert@example.org"]
    grey.refresh_from_db()
    assert (grey.state, grey.attempts) == (EmailState.QUEUED, 1)
    assert grey.next_attempt_at > timezone.now()


def test_a_permanent_smtp_failure_is_marked_and_never_retried(smtp, time_machine):
    smtp.refuse["gone@example.org"] = "550 5.1.1 Mailbox unavailable"
    email_row = queue(to="gone@example.org")
    assert deliver(email_row.pk) is Delivery.FAILED
    email_row.refresh_from_db()
    assert email_row.state == EmailState.FAILED
    assert email_row.attempts == 1
    assert "550" in email_row.last_error
    time_machine.move_to(email_row.created_at + timedelta(days=2))
    assert send_due_emails().total() == 0
    email_row.refresh_from_db()
    assert email_row.attempts == 1
    assert list(OutboundEmail.objects.failures_to_review()) == [email_row]


def test_a_temporary_failure_that_never_clears_ends_as_failed(monkeypatch, smtp, time_machine):
    monkeypatch.setattr(drain, "MAX_ATTEMPTS", 2)
    smtp.data_replies = ["451 4.3.0 Try again later"] * 2
    email_row = queue()
    time_machine.move_to(email_row.created_at, tick=False)
    assert deliver(email_row.pk) is Delivery.RETRY
    time_machine.move_to(email_row.created_at + timedelta(minutes=1), tick=False)
    assert deliver(email_row.pk) is Delivery.FAILED
    assert OutboundEmail.objects.get(pk=email_row.pk).state == EmailState.FAILED


def test_a_bounced_invitation_puts_the_patient_on_the_call_list(smtp):
    patient = PatientFactory(email="bounce@example.org")
    follow_up = make_follow_up(patient, intake_date=date(2026, 10, 20))
    smtp.refuse["bounce@example.org"] = "550 5.1.1 No such user"
    run_sweep(DUE)
    assert send_due_emails(DUE)[Delivery.FAILED] == 1
    follow_up = FollowUp.objects.get(pk=follow_up.pk)
    assert (follow_up.state, follow_up.call_reason) == (
        FollowUpState.CALL_LIST,
        CallReason.EMAIL_FAILED,
    )
    assert run_sweep(DUE + timedelta(days=3)).total == 0, "no reminders to a bouncing address"


def test_reception_sees_a_permanent_failure_and_can_mark_it_handled(client, receptionist, smtp):
    patient = PatientFactory(first_name="Griet", last_name="Aerts", email="griet@example.org")
    smtp.refuse["griet@example.org"] = "550 5.1.1 Mailbox unavailable"
    email_row = queue(to="griet@example.org", patient_id=patient.pk)
    deliver(email_row.pk)
    client.force_login(receptionist)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("followups:call_list")).content.decode()
    assert "Griet Aerts" in page
    assert "griet@example.org" in page
    assert "550 5.1.1 Mailbox unavailable" in page
    client.post(reverse("followups:dismiss_email", args=[email_row.pk]))
    assert not OutboundEmail.objects.failures_to_review().exists()
    assert "griet@example.org" not in client.get(reverse("followups:call_list")).content.decode()


def test_a_drain_calls_for_help_once_when_its_first_batch_is_full(postgres):
    for number in range(5):
        queue(idempotency_key=f"backlog-{number}")
    calls: list[str] = []

    send_due_emails(batch_size=2, on_backlog=lambda: calls.append("help"))
    assert calls == ["help"]
    assert len(mail.outbox) == 5

    queue(idempotency_key="backlog-alone")
    send_due_emails(batch_size=2, on_backlog=lambda: calls.append("help"))
    assert calls == ["help"]  # one mail waiting: one drain is enough
