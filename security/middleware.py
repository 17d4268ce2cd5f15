from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from auditlog.middleware import AuditlogMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from security import ratelimit, twofactor
from security.net import client_ip, user_agent

# Pages an unverified user may still open: signing in and out, the second step itself,
# the language switch. (Patient-link pages need no account at all.)
TWO_FACTOR_EXEMPT_VIEWS = frozenset(
    {
        "login",
        "logout",
        "set_language",
        "security:twofactor_setup",
        "security:twofactor_verify",
        "admin:login",
        "admin:logout",
    }
)


def _is_patient_link(path: str) -> bool:
    return path.startswith(tuple(settings.BACKPATH_PATIENT_LINK_PREFIXES))


class PatientLinkRateLimitMiddleware:
    """Per-address request limit on the public patient-link pages (``/intake/``, ``/q/``).

    Keyed by path prefix, so every view under a prefix is covered, whoever writes it.
    Past the limit the answer is a 429 page with Retry-After.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.BACKPATH_LINK_RATE_LIMIT
        prefix = next(
            (p for p in settings.BACKPATH_PATIENT_LINK_PREFIXES if request.path.startswith(p)),
            None,
        )
        if limit > 0 and prefix is not None:
            verdict = ratelimit.hit(
                f"link:{prefix}",
                client_ip(request) or "unknown",
                limit=limit,
                window=settings.BACKPATH_LINK_RATE_WINDOW,
            )
            if not verdict.allowed:
                response = render(
                    request,
                    "security/too_many_requests.html",
                    {"minutes": max(1, round(verdict.retry_after / 60))},
                    status=429,
                )
                response["Retry-After"] = str(verdict.retry_after)
                return response
        return self.get_response(request)


class TwoFactorMiddleware:
    """Sends a signed-in user who needs the second step to it before any other page.

    Users with a confirmed authenticator go to the code page; users whose role
    requires two-step login but who have none yet go to the enrolment page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or _is_patient_link(request.path):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in TWO_FACTOR_EXEMPT_VIEWS:
            return None
        if user.is_verified() or not twofactor.session_needs_second_step(request):  # type: ignore[union-attr]
            return None
        step = (
            "security:twofactor_verify"
            if twofactor.user_has_device(user, confirmed=True)
            else "security:twofactor_setup"
        )
        return redirect(f"{reverse(step)}?next={quote(request.get_full_path())}")


class AuditContextMiddleware(AuditlogMiddleware):
    """auditlog's middleware, with our idea of the client address and the browser.

    auditlog trusts the first X-Forwarded-For entry, which the client writes;
    ``security.net.client_ip`` trusts only the configured proxies.
    """

    def get_extra_data(self, request: HttpRequest) -> dict[str, Any]:
        data = super().get_extra_data(request)
        data["remote_addr"] = client_ip(request)
        data["additional_data"] = {"user_agent": user_agent(request)}
        return data
