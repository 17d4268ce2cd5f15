from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# Each module has a ``seed(stdout)`` function; later steps may use earlier ones' data.
DEMO_STEPS = (
    "demo.clinics",
    "demo.intake",
    "demo.followups",
    "demo.treatment",
    "demo.referrals",
)


class Command(BaseCommand):
    help = "Load demo staff and patients (idempotent). Refuses to run unless DEBUG is on."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Seed even though DEBUG is off (tests, throw-away databases).",
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError(
                "seed_demo creates accounts with a known password; run it with DEBUG=1."
            )
        for step in DEMO_STEPS:
            with transaction.atomic():
                import_module(step).seed(self.stdout)
