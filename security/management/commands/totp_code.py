from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Print the current two-step login code of a demo user's authenticator "
        "(development only: refuses to run unless DEBUG is on)."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("username")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if not settings.DEBUG:
            raise CommandError("totp_code is for demos; run it with DEBUG=1.")
        user = get_user_model().objects.filter(username=options["username"]).first()
        device = (
            TOTPDevice.objects.filter(user=user).order_by("-confirmed", "-pk").first()
            if user
            else None
        )
        if device is None:
            raise CommandError("No authenticator for this user: open the two-step page first.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
