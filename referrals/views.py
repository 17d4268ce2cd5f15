from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinics.access import coordinator_campus, role_required
from clinics.models import Role


@role_required(Role.COORDINATOR)
def coordinator_home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "referrals/coordinator_home.html", {"campus": coordinator_campus(request.user)}
    )
