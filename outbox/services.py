"""Queueing mail: ``queue_email`` writes an ``OutboundEmail`` inside the caller's
transaction (calling it twice with the same idempotency key is harmless) and asks a
worker to send it once the transaction commits. If the broker is down at that moment,
nothing is lost: the outbox sweep (every minute) sends whatever is due.
"""

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.template.loader import get_template
from django.utils import timezone

from clinics.dbwrites import insert_rows
from outbox import tasks
from outbox.models import EmailState, OutboundEmail
from outbox.sealing import public_context, seal_context

logger = logging.getLogger(__name__)

BROKER_DOWN_PAUSE_SECONDS = 30
# One more try on a fresh connection (a Redis restart drops the pooled one), then the
# sweep: a web request never waits on the broker for more than about two timeouts.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
EMAIL_PARTS = ("subject.txt", "txt", "html")
LANGUAGES = {code for code, _name in settings.LANGUAGES}


@dataclass(frozen=True)
class Attachment:
    """A text file an e-mail carries (e.g. ``text/calendar``)."""

    filename: str
    mimetype: str
    content: str

    def as_json(self) -> dict[str, str]:
        return {"filename": self.filename, "mimetype": self.mimetype, "content": self.content}


def queue_email(
    *,
    to: str,
    language: str,
    template: str,
    context: dict[str, Any],
    idempotency_key: str,
    patient_id: int | None = None,
    reference: str = "",
    attachments: Sequence[Attachment] = (),
) -> OutboundEmail:
    """Write an e-mail to the outbox in the caller's transaction; send it after commit.

    ``template`` names the triplet ``templates/emails/<template>.subject.txt|.txt|.html``,
    rendered in ``language`` with ``context`` (JSON values) plus ``clinic``. Subjects
    must not carry personal data. Secret links in ``context`` are stored sealed
    (``outbox.sealing``). ``attachments`` are text files (an ``.ics``), stored
    with the row so that a retry sends exactly what was queued.
    """
    check_templates([template])
    email, created = OutboundEmail.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "recipient": to,
            "language": _language(language),
            "template": template,
            "context": seal_context(context),
            "patient_id": patient_id,
            "reference": reference,
            "attachments": [attachment.as_json() for attachment in attachments],
            "next_attempt_at": timezone.now(),
        },
    )
    if created:
        transaction.on_commit(partial(_enqueue_send, email.pk))
    return email


# What ``queue_emails`` writes of each e-mail; the other columns keep their defaults.
QUEUED_FIELDS = (
    "recipient",
    "language",
    "template",
    "context",
    "idempotency_key",
    "state",
    "attempts",
    "last_error",
    "next_attempt_at",
    "created_at",
    "patient_id",
    "reference",
    "attachments",
)


class QueuedEmail(NamedTuple):
    """One e-mail for ``queue_emails``: plain values (a model instance per row cost the
    sweep more than the database's own work)."""

    recipient: str
    language: str
    template: str
    context: dict[str, Any]
    idempotency_key: str
    patient_id: int | None
    reference: str
    created_at: datetime


def queue_emails(emails: Sequence[QueuedEmail]) -> None:
    """Bulk ``queue_email`` for the sweep, in one multi-row INSERT: rows whose
    idempotency key exists are skipped, and one drain task is asked for after commit."""
    if not emails:
        return
    check_templates({email.template for email in emails})
    queued = EmailState.QUEUED.value
    rows = [
        (
            email.recipient,
            _language(email.language),
            email.template,
            seal_context(email.context),
            email.idempotency_key,
            queued,
            0,  # attempts
            "",  # last_error
            email.created_at,  # next_attempt_at: at once
            email.created_at,
            email.patient_id,
            email.reference,
            [],  # attachments
        )
        for email in emails
    ]
    insert_rows(OutboundEmail, QUEUED_FIELDS, rows, ignore_conflicts=True)
    transaction.on_commit(_enqueue_drain)


def check_templates(templates: Iterable[str]) -> None:
    """Fail in the caller's transaction, not in a worker, when a template is missing."""
    for template in templates:
        for part in EMAIL_PARTS:
            get_template(f"emails/{template}.{part}")


def _language(language: str) -> str:
    return language if language in LANGUAGES else settings.LANGUAGE_CODE


class _Broker:
    # After a failed publish, skip publishing for a while: each attempt at a dead or
    # frozen Redis costs the request its timeouts, and the outbox sweep sends the mail
    # anyway (the row is committed).
    down_until = 0.0


def _publish(task: Any, *args: Any) -> None:
    """Ask a worker for ``task`` now, within a few seconds at worst: the broker's socket
    timeouts (``BROKER_TIMEOUT_SECONDS``) bound each attempt, ``PUBLISH_RETRY_POLICY``
    the attempts, and the message expires (each task sets its own ``expires``)."""
    if time.monotonic() < _Broker.down_until:
        return
    try:
        task.apply_async(args, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:
        _Broker.down_until = time.monotonic() + BROKER_DOWN_PAUSE_SECONDS
        logger.warning("outbox: could not reach the broker for %s", task.name, exc_info=True)


def _enqueue_send(email_id: int) -> None:
    _publish(tasks.send_email, email_id)


def _enqueue_drain() -> None:
    _publish(tasks.send_queued_emails)


@transaction.atomic
def dismiss_failed_email(email: OutboundEmail, *, by: Any) -> bool:
    """Reception has seen a failed e-mail (and phoned the patient)."""
    return bool(
        OutboundEmail.objects.filter(pk=email.pk, dismissed_at__isnull=True).update(
            dismissed_at=timezone.now(), dismissed_by=by
        )
    )


def forget_links_of_failed_mail(sender: Any, email: OutboundEmail, **kwargs: Any) -> None:
    """A mail that failed for good is never sent: its sealed links go at once, as a sent
    mail's do (``outbox.signals.email_failed``, connected in ``OutboxConfig.ready``)."""
    OutboundEmail.objects.filter(pk=email.pk).update(context=public_context(email.context))
