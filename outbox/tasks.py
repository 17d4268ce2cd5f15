"""Celery tasks of the outbox: they take IDs (or nothing) and read their work from the
database, so running one twice, late, or after a crash does no harm."""

from celery import shared_task

from outbox import drain


@shared_task(ignore_result=True)
def send_email(email_id: int) -> str:
    """Send one outbox row; enqueued when the transaction that wrote it commits."""
    return drain.deliver(email_id).value


@shared_task(ignore_result=True)
def send_queued_emails() -> int:
    """Send whatever is due in the outbox: new mail, retries, and stragglers."""
    return drain.send_due_emails().total()
