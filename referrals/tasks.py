"""Celery tasks of the referrals: they read their work from the database, so running
one twice, late, or after a crash does no harm."""

from celery import shared_task

from referrals import services


@shared_task(ignore_result=True)
def send_appointment_reminders() -> int:
    """Queue the pain-clinic appointment reminders that are due (beat, every few minutes)."""
    return services.send_due_reminders()
