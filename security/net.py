"""Where a request comes from: one answer for lockout, rate limits and the audit log."""

from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest

USER_AGENT_MAX = 300


def _valid_ip(value: str) -> str | None:
    try:
        return str(ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address.

    Without a proxy (``BACKPATH_PROXY_COUNT`` 0) it is the socket address. Behind N
    trusted proxies it is the N-th address from the right of X-Forwarded-For: the
    entries left of it were written by the client and cannot be trusted.
    """
    proxies = settings.BACKPATH_PROXY_COUNT
    if proxies > 0:
        forwarded = [p for p in request.headers.get("X-Forwarded-For", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            found = _valid_ip(forwarded[-proxies])
            if found:
                return found
    return _valid_ip(request.META.get("REMOTE_ADDR", ""))


def user_agent(request: HttpRequest) -> str:
    return request.headers.get("User-Agent", "")[:USER_AGENT_MAX]
