"""The outbox drain: a worker sends the mail rows that are due.

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
from collections import Counter
from datetime import datetime, timedelta
from email.utils import parseaddr
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation

from clinics.models import Clinic
from outbox.models import EmailState, OutboundEmail
from outbox.signals import email_failed

logger = logging.getLogger(__name__)

OUTBOX_BATCH_SIZE = 100
# A drain task sends at most this many batches, then leaves the rest to the next one.
OUTBOX_MAX_BATCHES = 50
MAX_ATTEMPTS = 8
# A drain marks its sent mail this many at a time: a worker killed in between resends
# at most these (with the same Message-ID) once their lease has run out.
MARK_SENT_EVERY = 20
# How long a row stays claimed by one worker; after that another may send it.
SENDING_LEASE = timedelta(minutes=10)
FIRST_RETRY_AFTER = timedelta(minutes=1)
LONGEST_RETRY_AFTER = timedelta(hours=1)
# Removed from the stored context once the mail has gone out: they hold secret links.
SECRET_CONTEXT_KEYS = ("questionnaire_url", "url")


class Delivery(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"


# --- rendering --------------------------------------------------------------------------


def render_email(email: OutboundEmail, *, clinic: Clinic | None = None) -> tuple[str, str, str]:
    """Subject, plain text and HTML of ``email``, in its language.

    Every template gets ``clinic_name`` and ``clinic_phone``. Only the HTML part is
    HTML-escaped: the subject and the plain text show a name like D'Hondt as typed.
    """
    clinic = clinic or Clinic.objects.current()
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


def build_message(email: OutboundEmail, *, clinic: Clinic | None = None) -> EmailMultiAlternatives:
    subject, text, html = render_email(email, clinic=clinic)
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
    OutboundEmail.objects.filter(pk=email.pk, state=EmailState.SENDING).update(
        state=EmailState.SENT,
        sent_at=now,
        next_attempt_at=None,
        last_error="",
        context=_public_context(email.context),
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
        marked = OutboundEmail.objects.filter(pk=email.pk, state=EmailState.SENDING).update(
            state=EmailState.FAILED, next_attempt_at=None, last_error=description
        )
        if marked:
            email_failed.send(sender=OutboundEmail, email=email, now=now)
    return Delivery.FAILED


def send_due_emails(
    now: datetime | None = None, *, batch_size: int = OUTBOX_BATCH_SIZE
) -> Counter[Delivery]:
    """Send the outbox rows that are due, oldest first, batch after batch.

    Where the database can skip locked rows (PostgreSQL), a batch is claimed in one
    statement and the sent rows are marked in one more, so that two workers draining at
    once take different rows; elsewhere each row is claimed on its own (``deliver``).
    Stops early when the mail server has temporary trouble: the rest waits for the
    next round instead of each timing out in turn.
    """
    now = now or timezone.now()
    results: Counter[Delivery] = Counter()
    batch_claims = db_connection.features.has_select_for_update_skip_locked
    clinic = Clinic.objects.current()
    for _batch in range(OUTBOX_MAX_BATCHES):
        if batch_claims:
            emails = _claim_batch(now, batch_size)
            done = _send_claimed(emails, now, clinic, results)
            size = len(emails)
        else:
            ids = list(
                OutboundEmail.objects.due(now)
                .order_by("next_attempt_at", "pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            done = _send_one_by_one(ids, now, results)
            size = len(ids)
        if not done or size < batch_size:
            break
    return results


def _claim_batch(now: datetime, size: int) -> list[OutboundEmail]:
    """Claim up to ``size`` due rows for this worker (rows another worker holds are
    skipped) and return them, leased."""
    with transaction.atomic():
        ids = list(
            OutboundEmail.objects.due(now)
            .order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            return []
        OutboundEmail.objects.filter(pk__in=ids).update(
            state=EmailState.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + SENDING_LEASE,
        )
    return list(OutboundEmail.objects.filter(pk__in=ids).order_by("pk"))


def _send_claimed(
    emails: list[OutboundEmail], now: datetime, clinic: Clinic, results: Counter[Delivery]
) -> bool:
    """Send claimed rows over one SMTP session, marking the sent ones a few at a time in
    one UPDATE; False when a temporary failure should end the drain (the rows not tried
    go back to the queue)."""
    if not emails:
        return False
    mail = _open_connection()
    sent: list[OutboundEmail] = []
    try:
        for index, email in enumerate(emails):
            try:
                message = build_message(email, clinic=clinic)
                message.connection = mail
                message.send()
            except Exception as error:  # recorded on the row
                result = _record_failure(email, error, now)
                results[result] += 1
                if result is Delivery.RETRY:
                    _release(emails[index + 1 :], now)
                    return False
                continue
            email.sent_at = now
            sent.append(email)
            if len(sent) >= MARK_SENT_EVERY:
                _mark_sent(sent, results)
    finally:
        _close_quietly(mail)
        _mark_sent(sent, results)
    return True


def _mark_sent(sent: list[OutboundEmail], results: Counter[Delivery]) -> None:
    """Record ``sent`` (and empty it) in one UPDATE that also drops the secret links from
    the stored context (PostgreSQL, like the batch claim). Only rows still leased to this
    worker: a lease that ran out meanwhile belongs to another worker now."""
    if not sent:
        return
    table = OutboundEmail._meta.db_table
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET state = %s, sent_at = %s, next_attempt_at = NULL, "  # noqa: S608 - model name
            "last_error = '', context = context - %s::text[] "
            "WHERE id = ANY(%s) AND state = %s",
            [
                EmailState.SENT,
                sent[0].sent_at,
                list(SECRET_CONTEXT_KEYS),
                [email.pk for email in sent],
                EmailState.SENDING,
            ],
        )
    results[Delivery.SENT] += len(sent)
    sent.clear()


def _release(emails: list[OutboundEmail], now: datetime) -> None:
    """Give claimed rows that were not tried back to the queue, due now, the attempt
    not counted."""
    OutboundEmail.objects.filter(
        pk__in=[email.pk for email in emails], state=EmailState.SENDING
    ).update(state=EmailState.QUEUED, next_attempt_at=now, attempts=F("attempts") - 1)


def _send_one_by_one(ids: list[int], now: datetime, results: Counter[Delivery]) -> bool:
    if not ids:
        return False
    # One SMTP session per batch instead of one per message; a failure on it is the
    # failure of that message (and a temporary one ends the drain).
    mail = _open_connection()
    try:
        for email_id in ids:
            result = deliver(email_id, now=now, connection=mail)
            results[result] += 1
            if result is Delivery.RETRY:
                return False
    finally:
        _close_quietly(mail)
    return True


def _public_context(context: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in context.items() if k not in SECRET_CONTEXT_KEYS}


def _open_connection() -> Any:
    """An open mail connection for a batch; None when it cannot be opened, so that
    each ``deliver`` tries for itself and records the failure on its row."""
    connection = get_connection()
    try:
        connection.open()
    except Exception:  # reported per message by deliver()
        return None
    return connection


def _close_quietly(connection: Any) -> None:
    if connection is None:
        return
    try:
        connection.close()
    except Exception:  # a dead session: nothing left to close
        logger.debug("outbox: closing the mail connection failed", exc_info=True)
