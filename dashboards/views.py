"""The manager's pages: pathway figures per month and campus, charts and the CSV."""

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from clinics.access import role_required
from clinics.models import Role, WorkerHeartbeat
from clinics.tasks import HEARTBEAT_NAME
from dashboards import figures as dashboard
from dashboards.forms import DashboardFilterForm
from referrals.waits import campus_waits


def _dashboard(request: HttpRequest) -> tuple[DashboardFilterForm, dashboard.Dashboard]:
    form = DashboardFilterForm(request.GET or None, today=timezone.localdate())
    return form, dashboard.build_cached(form.selected_period())


@role_required(Role.MANAGER)
def manager_home(request: HttpRequest) -> HttpResponse:
    """Pathway figures per month and campus, with charts and the campus waits."""
    form, figures = _dashboard(request)
    campus = form.selected_campus()
    heartbeat = WorkerHeartbeat.objects.filter(name=HEARTBEAT_NAME).first()
    return render(
        request,
        "dashboards/manager_home.html",
        {
            "form": form,
            "dashboard": figures,
            "campus": campus,
            "campus_name": dict(form.fields["campus"].choices).get(campus or ""),
            "months": figures.by_month(campus),
            "total": figures.total(campus),
            "by_campus": figures.by_campus(),
            "charts": dashboard.charts(figures, campus),
            "waits": campus_waits(),
            "heartbeat": heartbeat,
            "csv_query": request.GET.urlencode(),
        },
    )


CSV_COLUMNS = (
    "intakes",
    "emergency",
    "gp_urgent",
    "gp_soon",
    "physio",
    "low",
    "medium",
    "high",
    "follow_ups_due",
    "follow_ups_answered",
    "response_rate",
    "six_week_answered",
    "recovered",
    "improving",
    "persistent",
    "red_flag",
    "referrals_sent",
    "median_days_to_referral",
    "median_days_to_appointment",
)


@role_required(Role.MANAGER)
def manager_figures_csv(request: HttpRequest) -> HttpResponse:
    """The dashboard's figures, one row per month and campus, for a spreadsheet."""
    form, figures = _dashboard(request)
    period = figures.period
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="backpath-figures-{period.first:%Y-%m}-{period.last:%Y-%m}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(("month", "campus", *CSV_COLUMNS))
    campus = form.selected_campus()
    for month, column, row in figures.csv_rows():
        if campus is not None and column.key != campus:
            continue
        values = ["" if (v := getattr(row, name)) is None else v for name in CSV_COLUMNS]
        writer.writerow((f"{month:%Y-%m}", column.key, *values))
    return response
