from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clinics.access import user_roles
from clinics.models import Role

# (role, url name, label) in the order they appear in the top bar.
NAVIGATION = (
    (Role.RECEPTION, "intake:reception_home", _("Reception")),
    (Role.RECEPTION, "followups:call_list", _("Call list")),
    (Role.RECEPTION, "followups:overview", _("Follow-ups")),
    (Role.PHYSIOTHERAPIST, "treatment:caseload", _("Caseload")),
    (Role.PHYSIOTHERAPIST, "referrals:proposals", _("Pain-clinic referrals")),
    (Role.COORDINATOR, "referrals:coordinator_home", _("Referrals")),
    (Role.MANAGER, "dashboards:manager_home", _("Figures")),
    (Role.MANAGER, "referrals:capacity", _("Pain-clinic capacity")),
    (Role.ADMIN, "admin:index", _("Administration")),
)


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": ()}
    roles = user_roles(user)
    items = [
        {
            "url": reverse(url_name),
            "label": label,
            "active": request.path.startswith(reverse(url_name)),
        }
        for role, url_name, label in NAVIGATION
        if role in roles
    ]
    return {"nav_items": items, "user_roles": roles}
