"""The Celery application.

The beat schedule lives here, in code. Every entry carries ``expires`` so that a
backlog built up while no worker ran is dropped instead of replayed: the sweeps
read their work from the database, so the next tick catches up anyway.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("backpath")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

EVERY_MINUTE = 60.0
EVERY_FIVE_MINUTES = 300.0

app.conf.beat_schedule = {
    "clinics-heartbeat": {
        "task": "clinics.tasks.record_heartbeat",
        "schedule": EVERY_MINUTE,
        "options": {"expires": EVERY_MINUTE - 5},
    },
    "followups-sweep": {
        "task": "followups.tasks.run_followup_sweep",
        "schedule": EVERY_MINUTE,
        "options": {"expires": EVERY_MINUTE - 5},
    },
    "referrals-appointment-reminders": {
        "task": "referrals.tasks.send_appointment_reminders",
        "schedule": EVERY_FIVE_MINUTES,
        "options": {"expires": EVERY_FIVE_MINUTES - 5},
    },
    "dashboards-figures": {
        "task": "dashboards.tasks.refresh_manager_figures",
        "schedule": EVERY_FIVE_MINUTES,
        "options": {"expires": EVERY_FIVE_MINUTES - 5},
    },
    "outbox-drain": {
        "task": "outbox.tasks.send_queued_emails",
        "schedule": EVERY_MINUTE,
        "options": {"expires": EVERY_MINUTE - 5},
    },
}
