from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

from clinics.access import home_url_for, role_required
from clinics.models import Role
from clinics.redirects import safe_next
from security import twofactor
from security.forms import TokenForm

ALL_ROLES = tuple(Role.values)


def _next_url(request: HttpRequest) -> str:
    return safe_next(request, home_url_for(request.user))


def _redirect_with_next(url_name: str, request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse(url_name)}?next={quote(_next_url(request))}")


def _second_step_done(request: HttpRequest, device: Any) -> None:
    otp_login(request, device)
    request.session.cycle_key()
    request.session[twofactor.SESSION_KEY] = True


# --- two-step login ----------------------------------------------------------------


@role_required(*ALL_ROLES)
def twofactor_setup(request: HttpRequest) -> HttpResponse:
    """Turn on two-step login: scan the QR code (or type the key), confirm with a code."""
    user = request.user
    if user_has_device(user, confirmed=True):
        if not user.is_verified():  # type: ignore[union-attr]
            return _redirect_with_next("security:twofactor_verify", request)
        return render(request, "security/twofactor_on.html", {"next": _next_url(request)})
    device = twofactor.pending_device(user)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            _second_step_done(request, device)
            messages.success(request, _("Two-step login is on."))
            return redirect(_next_url(request))
        form.add_error("token", _("This code is not right. Check the time on your phone."))
    return render(
        request,
        "security/twofactor_setup.html",
        {
            "form": form,
            "secret": twofactor.secret_text(device),
            "otpauth_uri": device.config_url,
            "qr": twofactor.qr_data_uri(device),
            "required": twofactor.must_use_2fa(user),
            "next": _next_url(request),
        },
    )


@role_required(*ALL_ROLES)
def twofactor_verify(request: HttpRequest) -> HttpResponse:
    """The second step after the password: a code from the authenticator app."""
    if request.user.is_verified():  # type: ignore[union-attr]
        return redirect(_next_url(request))
    if not user_has_device(request.user, confirmed=True):
        return _redirect_with_next("security:twofactor_setup", request)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            _second_step_done(request, device)
            return redirect(_next_url(request))
        form.add_error(
            "token",
            _("This code is not right. After several wrong codes you must wait a little."),
        )
    return render(
        request, "security/twofactor_verify.html", {"form": form, "next": _next_url(request)}
    )


@role_required(*ALL_ROLES)
@require_POST
def session_keepalive(request: HttpRequest) -> HttpResponse:
    """Called by the session warning's "stay signed in" button: the request itself
    renews the session (SESSION_SAVE_EVERY_REQUEST)."""
    return HttpResponse(status=204)


def locked_out(request: HttpRequest, response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): a page, status 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "attempts": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
