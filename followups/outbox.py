"""The e-mail outbox: mail is a database row first, and a worker sends it afterwards.

``queue_email`` writes an ``OutboundEmail`` inside the caller's transaction (calling it
twice with the same idempotency key is harmless) and asks a worker to send it once the
transaction commits. If the broker is down at that moment, nothing is lost: the
outbox sweep (every minute) sends whatever is due. ``deliver`` claims one row with a
conditional update, renders it in the recipient's language and hands it to the mail
backend; temporary SMTP trouble is retried with back-off, a permanent refusal is
marked ``failed`` and shown to reception.

Sending is at-least-once: a worker killed after the SMTP server accepted a message but
before the row was marked sent resends it when the lease runs out. The Message-ID is
derived from the idempotency key, so such a copy carries the same Message-ID.
"""

import hashlib
import logging
import smtplib
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr
from enum import StrEnum
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation

from clinics.models import Clinic
from followups.models import EmailState, OutboundEmail

logger = logging.getLogger(__name__)

OUTBOX_BATCH_SIZE = 100
# A drain task sends at most this many batches, then leaves the rest to the next one.
OUTBOX_MAX_BATCHES = 50
MAX_ATTEMPTS = 8
# How long a row stays claimed by one worker; after that another may send it.
SENDING_LEASE = timedelta(minutes=10)
FIRST_RETRY_AFTER = timedelta(minutes=1)
LONGEST_RETRY_AFTER = timedelta(hours=1)
BROKER_DOWN_PAUSE_SECONDS = 30
# Removed from the stored context once the mail has gone out: they hold secret links.
SECRET_CONTEXT_KEYS = ("questionnaire_url", "url")
EMAIL_PARTS = ("subject.txt", "txt", "html")
LANGUAGES = {code for code, _name in settings.LANGUAGES}


class Delivery(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"


# --- queueing ---------------------------------------------------------------------------


def queue_email(
    *,
    to: str,
    language: str,
    template: str,
    context: dict[str, Any],
    idempotency_key: str,
    patient: Any = None,
    follow_up: Any = None,
) -> OutboundEmail:
    """Write an e-mail to the outbox in the caller's transaction; send it after commit.

    ``template`` names the triplet ``templates/emails/<template>.subject.txt|.txt|.html``,
    rendered in ``language`` with ``context`` (JSON values) plus ``clinic``. Subjects
    must not carry personal data.
    """
    check_templates([template])
    email, created = OutboundEmail.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "recipient": to,
            "language": _language(language),
            "template": template,
            "context": context,
            "patient": patient,
            "follow_up": follow_up,
            "next_attempt_at": timezone.now(),
        },
    )
    if created:
        transaction.on_commit(partial(_enqueue_send, email.pk))
    return email


def queue_emails(emails: Sequence[OutboundEmail]) -> None:
    """Bulk ``queue_email`` for the sweep: rows whose idempotency key exists are skipped,
    and one drain task is asked for after commit."""
    if not emails:
        return
    check_templates({email.template for email in emails})
    for email in emails:
        email.language = _language(email.language)
    OutboundEmail.objects.bulk_create(emails, ignore_conflicts=True)
    transaction.on_commit(_enqueue_drain)


def check_templates(templates: Iterable[str]) -> None:
    """Fail in the caller's transaction, not in a worker, when a template is missing."""
    for template in templates:
        for part in EMAIL_PARTS:
            get_template(f"emails/{template}.{part}")


def _language(language: str) -> str:
    return language if language in LANGUAGES else settings.LANGUAGE_CODE


class _Broker:
    # After a failed publish, skip publishing for a while: reaching a dead Redis takes
    # seconds (the client's own retries), and the outbox sweep sends the mail anyway.
    down_until = 0.0


def _publish(task: Any, *args: Any) -> None:
    if time.monotonic() < _Broker.down_until:
        return
    try:
        task.apply_async(args, retry=False)
    except Exception:
        _Broker.down_until = time.monotonic() + BROKER_DOWN_PAUSE_SECONDS
        logger.warning("outbox: could not reach the broker for %s", task.name, exc_info=True)


def _enqueue_send(email_id: int) -> None:
    from followups.tasks import send_email

    _publish(send_email, email_id)


def _enqueue_drain() -> None:
    from followups.tasks import send_queued_emails

    _publish(send_queued_emails)


# --- rendering --------------------------------------------------------------------------


def current_clinic() -> Clinic:
    """The clinic that signs the mails and answers the phone."""
    return Clinic.objects.order_by("pk").first() or Clinic(name="Backpath")


def render_email(email: OutboundEmail) -> tuple[str, str, str]:
    """Subject, plain text and HTML of ``email``, in its language.

    Every template gets ``clinic_name`` and ``clinic_phone``. Only the HTML part is
    HTML-escaped: the subject and the plain text show a name like D'Hondt as typed.
    """
    clinic = current_clinic()
    context = {"clinic_name": clinic.name, "clinic_phone": clinic.phone, **email.context}
    base = f"emails/{email.template}"
    with translation.override(email.language):
        subject = _render(f"{base}.subject.txt", context, autoescape=False)
        text = _render(f"{base}.txt", context, autoescape=False)
        html = _render(f"{base}.html", context, autoescape=True)
    return " ".join(subject.split()), text, html


def _render(name: str, context: dict[str, Any], *, autoescape: bool) -> str:
    return get_template(name).template.render(Context(context, autoescape=autoescape))


def message_id(email: OutboundEmail) -> str:
    digest = hashlib.sha256(email.idempotency_key.encode()).hexdigest()[:32]
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "backpath.invalid"
    return f"<{digest}@{domain}>"


def build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    subject, text, html = render_email(email)
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [email.recipient],
        headers={
            "Message-ID": message_id(email),
            "Content-Language": email.language,
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


# --- sending ----------------------------------------------------------------------------


def is_temporary(error: BaseException) -> bool:
    """Temporary SMTP trouble worth retrying: 4xx replies and connection problems.

    A refused login is a configuration problem an administrator can fix, so it is
    retried too rather than failing every message at once.
    """
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(400 <= code < 500 for code, _message in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return not 500 <= error.smtp_code < 600
    return isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError | OSError)


def describe(error: BaseException) -> str:
    """The error as staff read it: the server's code and words, never the address."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = error.recipients.values()
        return "; ".join(f"{code} {_text(message)}" for code, message in replies)
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(message: bytes | str) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else message


def retry_after(attempts: int) -> timedelta:
    """Back-off after the ``attempts``-th failed attempt: 1, 2, 4 … minutes, at most an hour."""
    return min(FIRST_RETRY_AFTER * 2 ** max(attempts - 1, 0), LONGEST_RETRY_AFTER)


def deliver(email_id: int, *, now: datetime | None = None, connection: Any = None) -> Delivery:
    """Send one outbox row if it is due and nobody else is sending it.

    ``connection``: an open mail connection to reuse (``send_due_emails`` sends a whole
    batch over one SMTP session); by default the mail backend opens one for this mail.
    """
    now = now or timezone.now()
    claimed = (
        OutboundEmail.objects.filter(pk=email_id)
        .due(now)
        .update(
            state=EmailState.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + SENDING_LEASE,
        )
    )
    if not claimed:
        return Delivery.SKIPPED
    email = OutboundEmail.objects.get(pk=email_id)
    try:
        message = build_message(email)
        message.connection = connection
        message.send()
    except Exception as error:
        return _record_failure(email, error, now)
    context = {k: v for k, v in email.context.items() if k not in SECRET_CONTEXT_KEYS}
    OutboundEmail.objects.filter(pk=email.pk, state=EmailState.SENDING).update(
        state=EmailState.SENT, sent_at=now, next_attempt_at=None, last_error="", context=context
    )
    return Delivery.SENT


def _record_failure(email: OutboundEmail, error: Exception, now: datetime) -> Delivery:
    description = describe(error)[:1000]
    if is_temporary(error) and email.attempts < MAX_ATTEMPTS:
        delay = retry_after(email.attempts)
        logger.warning("outbox: e-mail %s not sent (%s), retry in %s", email.pk, description, delay)
        OutboundEmail.objects.filter(pk=email.pk, state=EmailState.SENDING).update(
            state=EmailState.QUEUED, next_attempt_at=now + delay, last_error=description
        )
        return Delivery.RETRY
    logger.error("outbox: e-mail %s failed for good (%s)", email.pk, description)
    with transaction.atomic():
        OutboundEmail.objects.filter(pk=email.pk, state=EmailState.SENDING).update(
            state=EmailState.FAILED, next_attempt_at=None, last_error=description
        )
        if email.follow_up_id is not None:
            from followups.services import move_to_call_list_after_failed_email

            move_to_call_list_after_failed_email(email.follow_up_id, now=now)
    return Delivery.FAILED


def send_due_emails(
    now: datetime | None = None, *, batch_size: int = OUTBOX_BATCH_SIZE
) -> Counter[Delivery]:
    """Send the outbox rows that are due, oldest first, batch after batch.

    Stops early when the mail server has temporary trouble: the rest waits for the
    next round instead of each timing out in turn.
    """
    now = now or timezone.now()
    results: Counter[Delivery] = Counter()
    for _batch in range(OUTBOX_MAX_BATCHES):
        ids = list(
            OutboundEmail.objects.due(now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        # One SMTP session per batch instead of one per message; a failure on it is the
        # failure of that message (and a temporary one ends the drain, as before).
        connection = _open_connection()
        try:
            for email_id in ids:
                result = deliver(email_id, now=now, connection=connection)
                results[result] += 1
                if result is Delivery.RETRY:
                    return results
        finally:
            _close_quietly(connection)
        if len(ids) < batch_size:
            break
    return results


def _open_connection() -> Any:
    """An open mail connection for a batch; None when it cannot be opened, so that
    each ``deliver`` tries for itself and records the failure on its row."""
    connection = get_connection()
    try:
        connection.open()
    except Exception:  # noqa: BLE001 - reported per message by deliver()
        return None
    return connection


def _close_quietly(connection: Any) -> None:
    if connection is None:
        return
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - a dead session: nothing left to close
        logger.debug("outbox: closing the mail connection failed", exc_info=True)
