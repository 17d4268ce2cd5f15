from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinics.access import role_required
from clinics.models import Role


@role_required(Role.PHYSIOTHERAPIST)
def caseload(request: HttpRequest) -> HttpResponse:
    return render(request, "treatment/caseload.html")
