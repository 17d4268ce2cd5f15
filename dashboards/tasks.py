"""Celery tasks of the dashboards: count the manager's figures ahead, never in a request."""

from celery import shared_task

from dashboards import figures

# Beat runs this every five minutes (config/celery.py); a message older than a tick is
# dropped, and a count that takes too long is cut off (the stored figures stay).
REFRESH_EXPIRES = 5 * 60 - 5
REFRESH_SOFT_TIME_LIMIT = 4 * 60


@shared_task(
    ignore_result=True,
    expires=REFRESH_EXPIRES,
    soft_time_limit=REFRESH_SOFT_TIME_LIMIT,
    time_limit=REFRESH_SOFT_TIME_LIMIT + 60,
)
def refresh_manager_figures() -> int:
    """Count the figures of the recent months again; returns how many months."""
    return figures.refresh()
