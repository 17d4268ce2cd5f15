"""Two-step login (TOTP, django-otp): who needs it, and remembering that per session.

Staff may turn it on for themselves; the roles in ``BACKPATH_2FA_REQUIRED_ROLES``
(managers and admins) must. Whether a session needs the second step is decided once,
at login, and kept in the session, so ordinary pages cost no extra query.
"""

from base64 import b32encode
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinics.access import user_roles

SESSION_KEY = "backpath_2fa_required"
DEVICE_NAME = "Authenticator app"


def must_use_2fa(user: Any) -> bool:
    """The user's role requires two-step login."""
    return bool(user_roles(user) & set(settings.BACKPATH_2FA_REQUIRED_ROLES))


def needs_second_step(user: Any) -> bool:
    return must_use_2fa(user) or user_has_device(user, confirmed=True)


def session_needs_second_step(request: HttpRequest) -> bool:
    required = request.session.get(SESSION_KEY)
    if required is None:
        required = needs_second_step(request.user)
        request.session[SESSION_KEY] = required
    return bool(required)


def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = needs_second_step(user)


def connect_signals() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="security-2fa-on-login")


def pending_device(user: Any) -> TOTPDevice:
    """The user's not yet confirmed authenticator, made on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an authenticator app."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth URI as a QR code, an SVG data URI made here (no external service)."""
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2))
