"""Celery tasks of the outbox: they take IDs (or nothing) and read their work from the
database, so running one twice, late, or after a crash does no harm.

Every message expires: a ``send_email`` nobody ran within ``SEND_EMAIL_EXPIRES`` is
dropped (the drain sends that row anyway), and so is a drain older than a beat tick.
The drain stops claiming after ``BACKPATH_OUTBOX_DRAIN_SECONDS``; its time limits sit
above that, for a drain stuck on a message the mail server never answers.
"""

from celery import shared_task
from django.conf import settings

from outbox import drain

SEND_EMAIL_EXPIRES = 10 * 60
DRAIN_EXPIRES = 55
# Long enough for one message over a slow connection (EMAIL_TIMEOUT per SMTP step).
SEND_EMAIL_SOFT_TIME_LIMIT = 2 * 60
DRAIN_SOFT_TIME_LIMIT = settings.BACKPATH_OUTBOX_DRAIN_SECONDS + 2 * 60
# After the soft limit, the task has this long to record what it sent.
TIME_TO_CLEAN_UP = 60


@shared_task(
    ignore_result=True,
    expires=SEND_EMAIL_EXPIRES,
    soft_time_limit=SEND_EMAIL_SOFT_TIME_LIMIT,
    time_limit=SEND_EMAIL_SOFT_TIME_LIMIT + TIME_TO_CLEAN_UP,
)
def send_email(email_id: int) -> str:
    """Send one outbox row; enqueued when the transaction that wrote it commits."""
    return drain.deliver(email_id).value


@shared_task(
    ignore_result=True,
    expires=DRAIN_EXPIRES,
    soft_time_limit=DRAIN_SOFT_TIME_LIMIT,
    time_limit=DRAIN_SOFT_TIME_LIMIT + TIME_TO_CLEAN_UP,
)
def send_queued_emails() -> int:
    """Send whatever is due in the outbox: new mail, retries, and stragglers."""
    return drain.send_due_emails().total()
