"""Run the follow-up sweep and the outbox as of a given moment.

    python manage.py run_followups --now "2026-12-01T09:00"

A time without a UTC offset is Brussels wall-clock time. Moving ``--now`` forward
(due date, +3 days, +7 days, +14 days) walks a follow-up through invitation, two
reminders and the call list in a few commands; e-mails land in ``var/mail/``.
"""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from followups import services
from followups.schedule import CLINIC_ZONE
from outbox import drain as outbox


def parse_moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now: not an ISO date and time: {value!r}") from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=CLINIC_ZONE)
    return moment


class Command(BaseCommand):
    help = "Run the follow-up sweep (and send the outbox) as of --now (default: the clock)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--now", help='e.g. "2026-12-01T09:00" (Brussels time)')
        parser.add_argument(
            "--no-send", action="store_true", help="leave the e-mails in the outbox for a worker"
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        now = parse_moment(options["now"]) if options["now"] else timezone.now()
        report = services.run_sweep(now)
        self.stdout.write(f"sweep as of {now.astimezone(CLINIC_ZONE):%Y-%m-%d %H:%M %Z}: {report}")
        if options["no_send"]:
            return
        results = outbox.send_due_emails(now)
        self.stdout.write(
            "outbox: " + ", ".join(f"{result} {results[result]}" for result in outbox.Delivery)
        )
