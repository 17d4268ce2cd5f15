"""Celery tasks: thin wrappers that take IDs (or nothing) and read their work from the
database, so running one twice, late, or after a crash does no harm."""

from datetime import datetime

from celery import shared_task

from followups import outbox, services


@shared_task(ignore_result=True)
def run_followup_sweep(now: str | None = None) -> str:
    """The per-minute sweep (beat). ``now`` (ISO 8601) replays a given moment."""
    report = services.run_sweep(datetime.fromisoformat(now) if now else None)
    return str(report)


@shared_task(ignore_result=True)
def send_email(email_id: int) -> str:
    """Send one outbox row; enqueued when the transaction that wrote it commits."""
    return outbox.deliver(email_id).value


@shared_task(ignore_result=True)
def send_queued_emails() -> int:
    """Send whatever is due in the outbox: new mail, retries, and stragglers."""
    return outbox.send_due_emails().total()
