"""Percentiles and the staff sign-in the measurements share."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` 0.95 → p95) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summary(seconds: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(seconds, 0.50) * 1000, 2),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2),
        "n": len(seconds),
    }


def signed_in_client(username: str) -> Any:
    """A test client signed in as ``username`` the way a person is after both login steps.

    ``force_login`` fires ``user_logged_in`` (the 2FA middleware's session flag is set as
    at a real login); a user whose role needs two-step login gets a confirmed TOTP device
    and the session is marked verified with it, as ``django_otp.login`` does after the
    code was typed. The 2FA requirement itself stays on.
    """
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from security import twofactor

    user = get_user_model().objects.get(username=username)
    client = Client()
    client.force_login(user)
    if twofactor.needs_second_step(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    client.cookies["django_language"] = "nl"
    return client
