"""Celery tasks: thin wrappers that take IDs (or nothing) and read their work from the
database, so running one twice, late, or after a crash does no harm."""

from datetime import datetime

from celery import shared_task

from followups import services


@shared_task(ignore_result=True)
def run_followup_sweep(now: str | None = None) -> str:
    """The per-minute sweep (beat). ``now`` (ISO 8601) replays a given moment."""
    report = services.run_sweep(datetime.fromisoformat(now) if now else None)
    return str(report)
