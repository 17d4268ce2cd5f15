"""Celery tasks of the outbox: they take IDs (or nothing) and read their work from the
database, so running one twice, late, or after a crash does no harm.

Every message expires: a ``send_email`` nobody ran within ``SEND_EMAIL_EXPIRES`` is
dropped (the drain sends that row anyway), and so is a drain older than a beat tick.
The drain stops claiming after ``BACKPATH_OUTBOX_DRAIN_SECONDS``; its time limits sit
above that, for a drain stuck on a message the mail server never answers.
"""

import logging

from celery import shared_task
from django.conf import settings

from outbox import drain

logger = logging.getLogger(__name__)

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
def send_queued_emails(ask_for_help: bool = True) -> int:
    """Send whatever is due in the outbox: new mail, retries, and stragglers.

    A drain that finds a full batch waiting asks for ``BACKPATH_OUTBOX_PARALLEL_DRAINS``
    drains in all (each over its own SMTP connection); the ones it asks for ask no more.
    """

    def ask() -> None:
        for _helper in range(settings.BACKPATH_OUTBOX_PARALLEL_DRAINS - 1):
            try:
                # One attempt: a helper is a bonus, the drain does not wait on the broker.
                send_queued_emails.apply_async(kwargs={"ask_for_help": False}, retry=False)
            except Exception:  # the next beat tick's drain carries on
                logger.warning("outbox: could not ask for another drain", exc_info=True)
                return

    return drain.send_due_emails(on_backlog=ask if ask_for_help else None).total()
