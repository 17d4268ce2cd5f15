"""Patient links in queued mail are never stored readable.

An intake or follow-up e-mail carries a link whose token opens the patient's
questionnaire; the link rows keep only the token's hash. The outbox row must still
hold the link until the mail is sent, so ``queue_email``/``queue_emails`` seal the
values under ``SEALED_CONTEXT_KEYS`` (Fernet: AES-128-CBC + HMAC-SHA256, the key derived
from ``SECRET_KEY``; ``SECRET_KEY_FALLBACKS`` still open mail sealed before a key
rotation) and ``outbox.messages`` (``render_email``, the drain's ``Composer``) opens them
only to render the message. Once the mail
reaches a final state (sent, or failed for good) the sealed values are removed too.
A database copy, the admin and the patient export show no usable link.
"""

import base64
import hashlib
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

# The template variables that hold a patient's secret link.
SEALED_CONTEXT_KEYS = ("questionnaire_url", "url")
SEALED_PREFIX = "sealed:"
KEY_PURPOSE = b"backpath.outbox.sealed-links"


class UnsealError(ValueError):
    """A sealed link that no configured key opens (the key changed without fallback)."""


def _fernet(secret: str) -> Fernet:
    digest = hashlib.sha256(KEY_PURPOSE + b"\0" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


@cache
def _keys(secret: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet(secret), *(_fernet(old) for old in fallbacks)])


def _box() -> MultiFernet:
    return _keys(settings.SECRET_KEY, tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())))


def seal_context(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with every secret link sealed (already sealed values stay as they are)."""
    sealed = dict(context)
    for key in SEALED_CONTEXT_KEYS:
        value = sealed.get(key)
        if isinstance(value, str) and not value.startswith(SEALED_PREFIX):
            sealed[key] = SEALED_PREFIX + _box().encrypt(value.encode()).decode("ascii")
    return sealed


def unseal_context(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with its secret links readable again, for rendering the message."""
    opened = dict(context)
    for key in SEALED_CONTEXT_KEYS:
        value = opened.get(key)
        if isinstance(value, str) and value.startswith(SEALED_PREFIX):
            try:
                opened[key] = _box().decrypt(value.removeprefix(SEALED_PREFIX).encode()).decode()
            except InvalidToken as error:
                raise UnsealError(f"cannot open the sealed {key!r} of this e-mail") from error
    return opened


def public_context(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` without the secret links: what a finished mail keeps, and what the
    admin and the patient export show."""
    return {k: v for k, v in context.items() if k not in SEALED_CONTEXT_KEYS}
