"""The outbox drain: a worker sends the mail rows that are due.

``queue_email`` writes an ``OutboundEmail`` inside the caller's transaction and asks a
worker to send it once the transaction commits; the drain task (beat, every minute)
sends whatever is due, so a lost task message delays mail by a minute at most.

A drain claims a batch of due rows (``select_for_update(skip_locked=True)`` on
PostgreSQL, so two drains take different rows), leasing them from the clock of the
claim for ``BACKPATH_OUTBOX_LEASE_SECONDS`` (2 minutes). The lease is the claim's
fencing token: the drain renews it while it works, and marks rows sent, failed or
released only where the lease is still its own. A drain that dies leaves its rows
leased; they are due again when the lease runs out. A drain stops claiming after
``BACKPATH_OUTBOX_DRAIN_SECONDS`` and leaves the rest to the next one.

Failures: a per-recipient 4xx (greylisting, a full mailbox) backs off that message
and the drain goes on; a connection-level failure (refused, timeout, 421, a refused
login or sender) backs off the message tried and gives the rest of the batch back to
the queue; a 5xx fails that message for good and tells reception
(``outbox.signals.email_failed``).

Sending is at-least-once. The window: rows accepted by the SMTP server and not yet
marked sent, at most ``MARK_SENT_EVERY`` per drain. A database error while marking
them is retried on a fresh connection; only a drain that dies inside that window
(worker killed, database away for longer than the retries) resends them, with the
same Message-ID (it derives from the idempotency key), once the lease has run out.
docs/operations.md has the measured figures.
"""

import logging
import smtplib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from billiard.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import F
from django.utils import timezone

from clinics.models import Clinic
from outbox.messages import Composer, build_message
from outbox.models import EmailState, OutboundEmail
from outbox.sealing import SEALED_CONTEXT_KEYS
from outbox.signals import email_failed

logger = logging.getLogger(__name__)

OUTBOX_BATCH_SIZE = 100
MAX_ATTEMPTS = 8
# A drain marks its sent mail this many at a time: a worker killed in between resends
# at most these (with the same Message-ID) once their lease has run out.
MARK_SENT_EVERY = 20
# A lease is renewed once this share of it has passed.
RENEW_LEASE_AFTER = 0.25
# Pauses between attempts at a database write after the connection was lost (seconds):
# about half a minute in all, long enough for a PostgreSQL restart or failover.
RECONNECT_PAUSES = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
FIRST_RETRY_AFTER = timedelta(minutes=1)
LONGEST_RETRY_AFTER = timedelta(hours=1)
# Removed from the stored context once the mail has gone out: they hold secret links.
SECRET_CONTEXT_KEYS = SEALED_CONTEXT_KEYS

Result = TypeVar("Result")
Clock = Callable[[], datetime]


class Delivery(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"


def sending_lease() -> timedelta:
    """How long a claimed row stays with its drain unless renewed."""
    return timedelta(seconds=settings.BACKPATH_OUTBOX_LEASE_SECONDS)


# --- sending ---------------------------------------------------------------------------


def is_temporary(error: BaseException) -> bool:
    """Temporary SMTP trouble worth retrying: 4xx replies and connection problems.

    Trouble with the server itself (a refused login or sender included: configuration an
    administrator can fix) is never the message's fault, so it is retried rather than
    failing every message at once.
    """
    if is_connection_failure(error):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(400 <= code < 500 for code, _message in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return not 500 <= error.smtp_code < 600
    return isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError | OSError)


def is_connection_failure(error: BaseException) -> bool:
    """Trouble with the mail server itself rather than with this one message: the next
    message would meet it too, so the drain stops instead of trying each in turn.

    421 is the server closing the session; a refused login or sender refuses every
    message alike. A 4xx or 5xx at RCPT or DATA concerns this recipient only.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(code == 421 for code, _message in error.recipients.values())
    if isinstance(error, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused):
        return True
    if isinstance(error, smtplib.SMTPHeloError | smtplib.SMTPConnectError):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    return isinstance(error, smtplib.SMTPServerDisconnected | OSError)


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

    ``connection``: an open mail connection to reuse (the drain sends a whole batch over
    one SMTP session); by default the mail backend opens one for this mail.
    """
    return _deliver(email_id, now or timezone.now(), connection)[0]


def _deliver(
    email_id: int, now: datetime, connection: Any, composer: Composer | None = None
) -> tuple[Delivery, BaseException | None]:
    lease_until = now + sending_lease()
    claimed = _reconnecting(
        lambda: (
            OutboundEmail.objects.filter(pk=email_id)
            .due(now)
            .update(
                state=EmailState.SENDING, attempts=F("attempts") + 1, next_attempt_at=lease_until
            )
        )
    )
    if not claimed:
        return Delivery.SKIPPED, None
    email = _reconnecting(lambda: OutboundEmail.objects.get(pk=email_id))
    started = time.monotonic()
    try:
        if composer is None:
            message = build_message(email)
            message.connection = connection
            message.send()
        else:
            composer.send(email, connection)
    except SoftTimeLimitExceeded:
        raise  # the message may have gone out: the lease decides, not a failure record
    except Exception as error:  # recorded on the row
        return _record_failure(email, error, now, lease_until), error
    sent_at = now + timedelta(seconds=time.monotonic() - started)
    _reconnecting(
        lambda: OutboundEmail.objects.filter(
            pk=email.pk, state=EmailState.SENDING, next_attempt_at=lease_until
        ).update(
            state=EmailState.SENT,
            sent_at=sent_at,
            next_attempt_at=None,
            last_error="",
            context=_public_context(email.context),
        )
    )
    return Delivery.SENT, None


def _record_failure(
    email: OutboundEmail, error: Exception, now: datetime, lease_until: datetime
) -> Delivery:
    """Back off or fail ``email``, if its lease (``lease_until``) is still this drain's."""
    description = describe(error)[:1000]
    leased = OutboundEmail.objects.filter(
        pk=email.pk, state=EmailState.SENDING, next_attempt_at=lease_until
    )
    if is_temporary(error) and email.attempts < MAX_ATTEMPTS:
        delay = retry_after(email.attempts)
        logger.warning("outbox: e-mail %s not sent (%s), retry in %s", email.pk, description, delay)
        _reconnecting(
            lambda: leased.update(
                state=EmailState.QUEUED, next_attempt_at=now + delay, last_error=description
            )
        )
        return Delivery.RETRY
    logger.error("outbox: e-mail %s failed for good (%s)", email.pk, description)

    def mark_failed() -> None:
        with transaction.atomic():
            marked = leased.update(
                state=EmailState.FAILED, next_attempt_at=None, last_error=description
            )
            if marked:
                email_failed.send(sender=OutboundEmail, email=email, now=now)

    _reconnecting(mark_failed)
    return Delivery.FAILED


def send_due_emails(
    now: datetime | None = None,
    *,
    batch_size: int = OUTBOX_BATCH_SIZE,
    on_backlog: Callable[[], None] | None = None,
) -> Counter[Delivery]:
    """Send the outbox rows that are due, oldest first, batch after batch, until none is
    due, the mail server has trouble, or the drain has run ``BACKPATH_OUTBOX_DRAIN_SECONDS``.

    Every claim, lease, back-off and ``sent_at`` reads the clock afresh. ``now`` replays
    a moment (the demo, ``run_followups --now``): the drain's clock then starts there
    and runs on at the real pace.

    Where the database can skip locked rows (PostgreSQL), a batch is claimed in one
    statement and the sent rows are marked a few at a time in one more, so that two
    drains at once take different rows; elsewhere each row is claimed on its own
    (``deliver``). There, ``on_backlog`` is called once if the first batch is full: more
    is waiting than one drain sends at once, and other drains can help.
    """
    clock = _clock(now)
    deadline = time.monotonic() + settings.BACKPATH_OUTBOX_DRAIN_SECONDS
    results: Counter[Delivery] = Counter()
    batch_claims = db_connection.features.has_select_for_update_skip_locked
    composer = Composer(Clinic.objects.current())
    while time.monotonic() < deadline:
        if batch_claims:
            claim = _claim_batch(clock, batch_size)
            if on_backlog is not None and len(claim.emails) == batch_size:
                on_backlog()
                on_backlog = None
            go_on = _send_claimed(claim, clock, composer, results, deadline)
            size = len(claim.emails)
        else:
            ids = list(
                OutboundEmail.objects.due(clock())
                .order_by("next_attempt_at", "pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            go_on = _send_one_by_one(ids, clock, composer, results, deadline)
            size = len(ids)
        if not go_on or size < batch_size:
            break
    return results


def _clock(now: datetime | None) -> Clock:
    if now is None:
        return timezone.now
    offset = now - timezone.now()
    return lambda: timezone.now() + offset


@dataclass
class _Claim:
    """A batch of rows leased to this drain until ``lease_until`` (the fencing token:
    every later write to these rows requires it)."""

    emails: list[OutboundEmail]
    lease_until: datetime
    renewed_at: float

    def needs_renewal(self) -> bool:
        lease = settings.BACKPATH_OUTBOX_LEASE_SECONDS
        return time.monotonic() - self.renewed_at >= lease * RENEW_LEASE_AFTER

    def leased(self, emails: list[OutboundEmail]) -> Any:
        return OutboundEmail.objects.filter(
            pk__in=[email.pk for email in emails],
            state=EmailState.SENDING,
            next_attempt_at=self.lease_until,
        )


def _claim_batch(clock: Clock, size: int) -> _Claim:
    """Claim up to ``size`` due rows for this drain (rows another drain holds are
    skipped), leased from the clock of the claim."""

    def claim() -> list[int]:
        with transaction.atomic():
            now = clock()
            ids = list(
                OutboundEmail.objects.due(now)
                .order_by("next_attempt_at", "pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:size]
            )
            if ids:
                OutboundEmail.objects.filter(pk__in=ids).update(
                    state=EmailState.SENDING,
                    attempts=F("attempts") + 1,
                    next_attempt_at=now + sending_lease(),
                )
            return ids

    ids = _reconnecting(claim)
    emails = _reconnecting(lambda: list(OutboundEmail.objects.filter(pk__in=ids).order_by("pk")))
    lease_until = emails[0].next_attempt_at if emails else clock()
    return _Claim(emails=emails, lease_until=lease_until, renewed_at=time.monotonic())


def _send_claimed(
    claim: _Claim,
    clock: Clock,
    composer: Composer,
    results: Counter[Delivery],
    deadline: float,
) -> bool:
    """Send the claimed rows over one SMTP session, marking the sent ones a few at a
    time; False when the drain should stop (the rows not tried go back to the queue)."""
    if not claim.emails:
        return False
    mail = _open_connection()
    untried = list(reversed(claim.emails))  # popped from the end: oldest first
    sent: list[OutboundEmail] = []
    try:
        while untried:
            if time.monotonic() >= deadline:
                _mark_sent(sent, claim, results)
                _release(claim, untried, clock)
                return False
            if claim.needs_renewal():
                _mark_sent(sent, claim, results)
                untried = _renew(claim, untried, clock)
                continue
            email = untried.pop()
            try:
                composer.send(email, mail)
            except SoftTimeLimitExceeded:
                raise
            except Exception as error:  # recorded on the row
                results[_record_failure(email, error, clock(), claim.lease_until)] += 1
                if is_connection_failure(error):
                    _mark_sent(sent, claim, results)
                    _release(claim, untried, clock)
                    return False
                continue
            email.sent_at = clock()
            sent.append(email)
            if len(sent) >= MARK_SENT_EVERY:
                _mark_sent(sent, claim, results)
        _mark_sent(sent, claim, results)
    except BaseException:
        _record_after_error(sent, untried, claim, clock, results)
        raise
    finally:
        _close_quietly(mail)
    return True


def _record_after_error(
    sent: list[OutboundEmail],
    untried: list[OutboundEmail],
    claim: _Claim,
    clock: Clock,
    results: Counter[Delivery],
) -> None:
    """On the way out of a failed drain, record what the SMTP server accepted and give
    back what was not tried, if the database allows; never instead of the error that
    stopped the drain (the lease covers whatever is left)."""
    try:
        _mark_sent(sent, claim, results)
        _release(claim, untried, clock)
    except Exception:  # the first error is the one that propagates
        logger.exception("outbox: could not record the batch after an error; the lease will")


def _mark_sent(sent: list[OutboundEmail], claim: _Claim, results: Counter[Delivery]) -> None:
    """Record ``sent`` (and empty it) in one UPDATE, each with its own ``sent_at``, that
    also drops the secret links from the stored context (PostgreSQL, like the batch
    claim). Only rows still leased to this drain. A lost database connection is
    retried on a fresh one: the SMTP server already has these messages."""
    if not sent:
        return
    table = OutboundEmail._meta.db_table
    params = [
        EmailState.SENT,
        list(SECRET_CONTEXT_KEYS),
        [email.pk for email in sent],
        [email.sent_at for email in sent],
        EmailState.SENDING,
        claim.lease_until,
    ]

    def mark() -> None:
        with db_connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS e SET state = %s, sent_at = v.sent_at, "  # noqa: S608 - model name
                "next_attempt_at = NULL, last_error = '', context = e.context - %s::text[] "
                "FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, sent_at) "
                "WHERE e.id = v.id AND e.state = %s AND e.next_attempt_at = %s",
                params,
            )

    _reconnecting(mark)
    results[Delivery.SENT] += len(sent)
    sent.clear()


def _renew(claim: _Claim, untried: list[OutboundEmail], clock: Clock) -> list[OutboundEmail]:
    """Extend the lease of the rows not tried yet; returns those still this drain's (a
    row whose lease ran out before the renewal and that another drain took is dropped)."""
    lease_until = clock() + sending_lease()
    renewed = _reconnecting(lambda: claim.leased(untried).update(next_attempt_at=lease_until))
    claim.renewed_at = time.monotonic()
    if renewed < len(untried):
        kept = set(
            OutboundEmail.objects.filter(
                pk__in=[email.pk for email in untried], next_attempt_at=lease_until
            ).values_list("pk", flat=True)
        )
        logger.warning("outbox: %s claimed e-mails were taken over", len(untried) - len(kept))
        untried = [email for email in untried if email.pk in kept]
    claim.lease_until = lease_until
    return untried


def _release(claim: _Claim, emails: list[OutboundEmail], clock: Clock) -> None:
    """Give claimed rows that were not tried back to the queue, due now, the attempt
    not counted."""
    if emails:
        _reconnecting(
            lambda: claim.leased(emails).update(
                state=EmailState.QUEUED, next_attempt_at=clock(), attempts=F("attempts") - 1
            )
        )


def _send_one_by_one(
    ids: list[int],
    clock: Clock,
    composer: Composer,
    results: Counter[Delivery],
    deadline: float,
) -> bool:
    if not ids:
        return False
    # One SMTP session per batch instead of one per message; a connection-level failure
    # ends the drain, a per-recipient one only that message.
    mail = _open_connection()
    try:
        for email_id in ids:
            if time.monotonic() >= deadline:
                return False
            result, error = _deliver(email_id, clock(), mail, composer)
            results[result] += 1
            if error is not None and is_connection_failure(error):
                return False
    finally:
        _close_quietly(mail)
    return True


def _reconnecting(operation: Callable[[], Result]) -> Result:
    """Run a database write, again on a fresh connection when the connection was lost
    (a PostgreSQL restart, a failover, a terminated backend). Outside a transaction
    only: inside one, the work before it is gone with the connection."""
    for pause in RECONNECT_PAUSES:
        try:
            return operation()
        except (OperationalError, InterfaceError) as error:
            if db_connection.in_atomic_block:
                raise
            logger.warning("outbox: database connection lost (%s); again in %s s", error, pause)
            try:
                db_connection.close()
            except DatabaseError:
                logger.debug("outbox: closing the lost connection failed", exc_info=True)
            time.sleep(pause)
    return operation()


def _public_context(context: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in context.items() if k not in SECRET_CONTEXT_KEYS}


def _open_connection() -> Any:
    """An open mail connection for a batch; None when it cannot be opened, so that
    each message tries for itself and records the failure on its row."""
    connection = get_connection()
    try:
        connection.open()
    except Exception:  # reported per message
        return None
    return connection


def _close_quietly(connection: Any) -> None:
    if connection is None:
        return
    try:
        connection.close()
    except Exception:  # a dead session: nothing left to close
        logger.debug("outbox: closing the mail connection failed", exc_info=True)
