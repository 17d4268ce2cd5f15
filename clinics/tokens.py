"""Patient link tokens: random, shown once in a link, stored only as a SHA-256 hash."""

import base64
import hashlib
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_tokens(count: int) -> list[str]:
    """``count`` tokens like ``new_token``'s, from one draw of the system's random source."""
    raw = secrets.token_bytes(TOKEN_BYTES * count)
    return [
        base64.urlsafe_b64encode(raw[i : i + TOKEN_BYTES]).rstrip(b"=").decode("ascii")
        for i in range(0, len(raw), TOKEN_BYTES)
    ]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
