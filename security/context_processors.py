from django.conf import settings
from django.http import HttpRequest

from clinics.access import user_roles
from clinics.models import Role


def security(request: HttpRequest) -> dict[str, object]:
    """Session-expiry warning timings and the managers' audit link for base.html."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "session_timeout_seconds": settings.SESSION_COOKIE_AGE,
        "session_warning_seconds": settings.BACKPATH_SESSION_WARNING_SECONDS,
        "can_audit": Role.MANAGER in user_roles(user),
    }
