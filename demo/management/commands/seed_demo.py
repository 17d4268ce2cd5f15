import os
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo.clinics import DEMO_USERS

# Each module has a ``seed(stdout)`` function; later steps may use earlier ones' data.
DEMO_STEPS = (
    "demo.clinics",
    "demo.intake",
    "demo.followups",
    "demo.treatment",
    "demo.referrals",
)
# Outside checks (and `make run`) rely on this name: the demo is asked for explicitly.
DEMO_ENVIRONMENT_VARIABLE = "BACKPATH_DEMO"


def refusal() -> str | None:
    """Why the demo may not be loaded here, or None.

    The demo creates accounts with a published password (an admin among them), so it
    needs two explicit switches, DEBUG and ``BACKPATH_DEMO=1``, and a database that
    holds no account of its own.
    """
    if not settings.DEBUG or os.environ.get(DEMO_ENVIRONMENT_VARIABLE) != "1":
        return (
            "seed_demo creates accounts with a known password; it runs only with "
            f"DEBUG=1 and {DEMO_ENVIRONMENT_VARIABLE}=1 (make run sets both)."
        )
    demo_names = [demo.username for demo in DEMO_USERS]
    if get_user_model().objects.exclude(username__in=demo_names).exists():
        return (
            "seed_demo refuses to run: this database has accounts that are not demo "
            "accounts, so it is not a demo database."
        )
    return None


class Command(BaseCommand):
    help = (
        "Load demo staff and patients (idempotent). Runs only with DEBUG=1 and "
        "BACKPATH_DEMO=1, on a database without accounts of its own."
    )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        reason = refusal()
        if reason is not None:
            raise CommandError(reason)
        for step in DEMO_STEPS:
            with transaction.atomic():
                import_module(step).seed(self.stdout)
