"""Celery tasks of the referrals: they read their work from the database, so running
one twice, late, or after a crash does no harm."""

from celery import shared_task

from referrals import services

# Beat queues this every five minutes: a message older than a tick is dropped, and a run
# that takes longer is cut off (the next one carries on; a reminder is sent once).
REMINDERS_EXPIRES = 5 * 60 - 5
REMINDERS_SOFT_TIME_LIMIT = 4 * 60


@shared_task(
    ignore_result=True,
    expires=REMINDERS_EXPIRES,
    soft_time_limit=REMINDERS_SOFT_TIME_LIMIT,
    time_limit=REMINDERS_SOFT_TIME_LIMIT + 60,
)
def send_appointment_reminders() -> int:
    """Queue the pain-clinic appointment reminders that are due (beat, every few minutes)."""
    return services.send_due_reminders()
