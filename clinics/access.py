"""The one access helper every view uses.

A user's roles are the names of their auth groups (see ``Role``); a superuser is an
admin too, but sees patient pages only through a group like anyone else.
``role_required`` sends anonymous users to the login page and answers 403 to a
signed-in user without one of the roles.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from clinics.models import Campus, Role, StaffProfile

# Where each role lands after login, most specific first.
ROLE_HOMES: dict[str, str] = {
    Role.RECEPTION: "intake:reception_home",
    Role.PHYSIOTHERAPIST: "treatment:caseload",
    Role.COORDINATOR: "referrals:coordinator_home",
    Role.MANAGER: "dashboards:manager_home",
    Role.ADMIN: "admin:index",
}


def user_roles(user: Any) -> frozenset[str]:
    """The roles of a user, computed once per request and cached on the user."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_backpath_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            names.add(Role.ADMIN)
        cached = frozenset(name for name in Role.values if name in names)
        user._backpath_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def home_url_for(user: Any) -> str:
    roles = user_roles(user)
    for role, url_name in ROLE_HOMES.items():
        if role in roles:
            return reverse(url_name)
    return reverse("no_role")


def coordinator_campus(user: Any) -> Campus | None:
    """The campus a coordinator works for, or None.

    The profile and its campus are read in one query and kept on the user (as the
    ``staff_profile`` accessor would), so later calls in the request cost nothing.
    """
    accessor = getattr(user.__class__, "staff_profile", None)  # the lazy request.user too
    if accessor is not None and not accessor.related.is_cached(user):
        profile = StaffProfile.objects.select_related("campus").filter(user=user).first()
        accessor.related.set_cached_value(user, profile)
    profile = getattr(user, "staff_profile", None)
    return profile.campus if profile is not None else None


def role_required(
    *roles: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Allow the view only to signed-in users holding one of ``roles``."""
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapper

    return decorator
