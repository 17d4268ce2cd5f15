"""Celery tasks: thin wrappers that take IDs (or nothing) and read their work from the
database, so running one twice, late, or after a crash does no harm."""

from datetime import datetime

from celery import shared_task

from followups import services

# The sweep commits batch by batch and runs every minute: a run that takes longer is cut
# off and the next one carries on; a message older than a tick is dropped.
SWEEP_EXPIRES = 55
SWEEP_SOFT_TIME_LIMIT = 4 * 60


@shared_task(
    ignore_result=True,
    expires=SWEEP_EXPIRES,
    soft_time_limit=SWEEP_SOFT_TIME_LIMIT,
    time_limit=SWEEP_SOFT_TIME_LIMIT + 60,
)
def run_followup_sweep(now: str | None = None) -> str:
    """The per-minute sweep (beat). ``now`` (ISO 8601) replays a given moment."""
    report = services.run_sweep(datetime.fromisoformat(now) if now else None)
    return str(report)
