"""Patient links in queued mail are never stored readable.

An intake or follow-up e-mail carries a link whose token opens the patient's
questionnaire; the link rows keep only the token's hash. The outbox row must still
hold the link until the mail is sent, so ``queue_email``/``queue_emails`` seal the
values under ``SEALED_CONTEXT_KEYS`` (AES-256-GCM with a fresh 96-bit nonce per value,
the key derived from ``SECRET_KEY``; ``SECRET_KEY_FALLBACKS`` still open mail sealed
before a key rotation. Values sealed with Fernet, as before 2026-11-30, still open: the
sweep seals thousands of links a second, and Fernet's CBC + HMAC in Python took a
seventh of its time) and ``outbox.messages`` (``render_email``, the drain's ``Composer``) opens them
only to render the message. Once the mail
reaches a final state (sent, or failed for good) the sealed values are removed too.
A database copy, the admin and the patient export show no usable link.
"""

import base64
import hashlib
import os
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

# The template variables that hold a patient's secret link.
SEALED_CONTEXT_KEYS = ("questionnaire_url", "url")
SEALED_PREFIX = "sealed:"
GCM_PREFIX = SEALED_PREFIX + "v2:"  # then base64url(nonce + ciphertext and tag)
KEY_PURPOSE = b"backpath.outbox.sealed-links"  # the Fernet keys (opening old mail only)
GCM_KEY_PURPOSE = b"backpath.outbox.sealed-links.aes-gcm"
NONCE_BYTES = 12


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


@cache
def _gcm_keys(secret: str, fallbacks: tuple[str, ...]) -> tuple[AESGCM, ...]:
    return tuple(
        AESGCM(hashlib.sha256(GCM_KEY_PURPOSE + b"\0" + key.encode()).digest())
        for key in (secret, *fallbacks)
    )


def _gcm() -> tuple[AESGCM, ...]:
    """The current key first, then the fallbacks (``SECRET_KEY_FALLBACKS``)."""
    return _gcm_keys(settings.SECRET_KEY, tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())))


def _seal(value: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = _gcm()[0].encrypt(nonce, value.encode(), GCM_KEY_PURPOSE)
    return GCM_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def _open(value: str) -> str:
    """A sealed value readable again: AES-GCM, or Fernet for mail sealed before."""
    if not value.startswith(GCM_PREFIX):
        return _box().decrypt(value.removeprefix(SEALED_PREFIX).encode()).decode()
    try:
        raw = base64.urlsafe_b64decode(value.removeprefix(GCM_PREFIX).encode("ascii"))
    except ValueError as error:
        raise InvalidToken from error
    nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    for key in _gcm():
        try:
            return key.decrypt(nonce, sealed, GCM_KEY_PURPOSE).decode()
        except InvalidTag:
            continue
    raise InvalidToken


def seal_context(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with every secret link sealed (already sealed values stay as they are)."""
    sealed = dict(context)
    for key in SEALED_CONTEXT_KEYS:
        value = sealed.get(key)
        if isinstance(value, str) and not value.startswith(SEALED_PREFIX):
            sealed[key] = _seal(value)
    return sealed


def unseal_context(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with its secret links readable again, for rendering the message."""
    opened = dict(context)
    for key in SEALED_CONTEXT_KEYS:
        value = opened.get(key)
        if isinstance(value, str) and value.startswith(SEALED_PREFIX):
            try:
                opened[key] = _open(value)
            except InvalidToken as error:
                raise UnsealError(f"cannot open the sealed {key!r} of this e-mail") from error
    return opened


def public_context(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` without the secret links: what a finished mail keeps, and what the
    admin and the patient export show."""
    return {k: v for k, v in context.items() if k not in SEALED_CONTEXT_KEYS}
