"""The manager's pages: pathway figures per month and campus, charts and the CSV."""

import csv
from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from clinics.access import role_required
from clinics.models import Role, WorkerHeartbeat
from clinics.tasks import HEARTBEAT_NAME
from dashboards import figures as dashboard
from dashboards.forms import DashboardFilterForm
from referrals.waits import campus_waits


def _dashboard(request: HttpRequest) -> tuple[DashboardFilterForm, dashboard.Dashboard]:
    form = DashboardFilterForm(request.GET or None, today=timezone.localdate())
    return form, dashboard.for_period(form.selected_period(), campuses=form.campuses)


@role_required(Role.MANAGER)
def manager_home(request: HttpRequest) -> HttpResponse:
    """Pathway figures per month and campus, with charts and the campus waits."""
    form, figures = _dashboard(request)
    campus = form.selected_campus()
    heartbeat = WorkerHeartbeat.objects.filter(name=HEARTBEAT_NAME).first()
    # The tables and charts are a fragment kept as long as the figures (keyed by when
    # they were counted): built only when the fragment is rendered anew.
    return render(
        request,
        "dashboards/manager_home.html",
        {
            "form": form,
            "dashboard": figures,
            "campus": campus,
            "campus_name": dict(form.fields["campus"].choices).get(campus or ""),
            "months": SimpleLazyObject(lambda: figures.by_month(campus)),
            "total": SimpleLazyObject(lambda: figures.total(campus)),
            "by_campus": SimpleLazyObject(figures.by_campus),
            "charts": SimpleLazyObject(lambda: dashboard.charts(figures, campus)),
            "fragment_seconds": settings.BACKPATH_DASHBOARD_CACHE_SECONDS,
            "fragment_cache": dashboard.cache_reachable(),
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


# Belgian Excel (nl-BE, fr-BE) reads ";" as the separator and "," as the decimal mark,
# and needs the UTF-8 byte-order mark to read accents; ``?excel=0`` gives plain CSV.
EXCEL_LANGUAGES = ("nl", "fr")


def _for_excel(request: HttpRequest) -> bool:
    return request.GET.get("excel") != "0" and (get_language() or "")[:2] in EXCEL_LANGUAGES


def _excel_value(value: object) -> object:
    return str(value).replace(".", ",") if isinstance(value, float | Decimal) else value


@role_required(Role.MANAGER)
def manager_figures_csv(request: HttpRequest) -> HttpResponse:
    """The dashboard's figures, one row per month and campus, for a spreadsheet."""
    form, figures = _dashboard(request)
    period = figures.period
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="backpath-figures-{period.first:%Y-%m}-{period.last:%Y-%m}.csv"'
    )
    excel = _for_excel(request)
    if excel:
        response.write("\ufeff")
    writer = csv.writer(response, delimiter=";" if excel else ",")
    writer.writerow(("month", "campus", *CSV_COLUMNS))
    campus = form.selected_campus()
    for month, column, row in figures.csv_rows():
        if campus is not None and column.key != campus:
            continue
        values = ["" if (v := getattr(row, name)) is None else v for name in CSV_COLUMNS]
        if excel:
            values = [_excel_value(v) for v in values]
        writer.writerow((f"{month:%Y-%m}", column.key, *values))
    return response
