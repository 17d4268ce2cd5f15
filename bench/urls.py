"""The application's URLs plus two bench-only pages:

- ``/bench/floor/``: the floor, a bare authenticated staff page (role check, session,
  middleware, the base template with its navigation), no query of its own;
- ``/bench/admin/``: a Django admin site with a plain ``ModelAdmin`` for patients, what
  a team would otherwise use (the application has no patient admin on purpose).
"""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from clinics.access import role_required
from clinics.models import Role
from config.urls import urlpatterns as app_urlpatterns
from intake.models import Patient

bench_admin = admin.AdminSite(name="bench_admin")


@admin.register(Patient, site=bench_admin)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("last_name", "first_name", "birth_date", "insz", "postcode", "created_at")
    search_fields = ("name_key", "insz")
    list_filter = ("language", "sex")


@role_required(Role.RECEPTION, Role.PHYSIOTHERAPIST, Role.COORDINATOR, Role.MANAGER)
def floor(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html", {})


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("bench/admin/", bench_admin.urls),
    *app_urlpatterns,
]
