from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clinics.access import home_url_for, role_required
from clinics.models import Campus, Role, WorkerHeartbeat


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect(home_url_for(request.user))


@login_required
def no_role(request: HttpRequest) -> HttpResponse:
    return render(request, "clinics/no_role.html", status=403)


@role_required(Role.MANAGER)
def manager_home(request: HttpRequest) -> HttpResponse:
    campuses = Campus.objects.order_by("name")
    heartbeat = WorkerHeartbeat.objects.filter(name="beat").first()
    return render(
        request, "clinics/manager_home.html", {"campuses": campuses, "heartbeat": heartbeat}
    )
