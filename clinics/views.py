from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clinics.access import home_url_for, user_roles
from clinics.models import Role


def home(request: HttpRequest) -> HttpResponse:
    """Each role's start page. An administrator with no other role gets a page here (the
    admin's "View site" link leads here, and must not bounce back into the admin)."""
    if not request.user.is_authenticated:
        return redirect("login")
    if user_roles(request.user) == {Role.ADMIN}:
        return render(request, "clinics/admin_home.html")
    return redirect(home_url_for(request.user))


@login_required
def no_role(request: HttpRequest) -> HttpResponse:
    return render(request, "clinics/no_role.html", status=403)
