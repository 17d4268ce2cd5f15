from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinics.access import role_required
from clinics.i18n import current_language, patient_page_language
from clinics.models import Role
from clinics.paging import KeysetPage, page_of, page_size
from clinics.redirects import safe_next
from clinics.tokens import hash_token
from intake import services, triage
from intake.forms import AlertFilterForm, IntakeForm, PatientForm, SearchForm
from intake.models import (
    Alert,
    Disposition,
    Episode,
    IntakeAssessment,
    IntakeLink,
    IntakeSource,
    Language,
    Patient,
    PatientQuerySet,
)
from intake.patient_texts import advice_for
from intake.search import search_kind
from pathway import services as pathway
from pathway.queries import branding_for
from security import audit
from security.models import ReadAction

# The home page stays bounded on a busy day; the rest is one search away.
PENDING_ON_HOME = 50
TODAY_ON_HOME = 100


# Beyond any real list; keeps a typed number inside the database's integer range.
MAX_PAGE = 100_000
MAX_ID = 2**63 - 1


def _number(request: HttpRequest, name: str, default: int | None, highest: int) -> int | None:
    try:
        value = int(request.GET.get(name, ""))
    except ValueError:
        return default
    return value if 1 <= value <= highest else default


def _page(request: HttpRequest) -> int:
    return _number(request, "page", 1, MAX_PAGE) or 1


def _slice(queryset, page: int) -> tuple[list, bool]:  # type: ignore[no-untyped-def]
    """One page without COUNT(*): fetch one row more to know whether there is a next page."""
    size = page_size()
    start = (page - 1) * size
    rows = list(queryset[start : start + size + 1])
    return rows[:size], len(rows) > size


def _search_page(request: HttpRequest, results: PatientQuerySet) -> dict[str, Any]:
    """One page of search results in name order, without COUNT(*).

    The pager's links carry the id of the last (``after``) or first (``before``) patient
    shown, so the next page starts from the index where this one stopped, however
    deep (keyset paging; no name in the URL). A bare ``page`` number (page 1, an old
    link) is still an offset.
    """
    page = _page(request)
    size = page_size()
    after = _number(request, "after", None, MAX_ID)
    before = _number(request, "before", None, MAX_ID)
    if after is not None:
        rows = list(results.after(after).in_name_order()[: size + 1])
        patients, has_next = rows[:size], len(rows) > size
        page = max(page, 2)
    elif before is not None:
        rows = list(results.before(before).in_name_order(reverse=True)[: size + 1])
        patients, has_next = rows[:size][::-1], True
        if len(rows) <= size:
            page = 1  # nothing before these: this is the first page
    else:
        patients, has_next = _slice(results.in_name_order(), page)
    previous_params = {"page": str(page - 1)}
    if page > 2 and patients:
        previous_params = {"before": str(patients[0].pk), **previous_params}
    next_params = {"page": str(page + 1)}
    if patients:
        next_params = {"after": str(patients[-1].pk), **next_params}
    results_page = KeysetPage(patients, page, has_next, previous_params, next_params)
    return {"patients": patients, "page": page, "has_next": has_next, "results_page": results_page}


def _alert_list(request: HttpRequest, today: date) -> dict[str, Any]:
    """Reception's alerts: filtered, most urgent first, a page at a time, with the true
    number of open alerts (not capped by the page)."""
    filters = AlertFilterForm(request.GET if "status" in request.GET else None)
    alerts = filters.alerts(
        Alert.objects.visible_to(request.user).select_related(
            "episode__patient", "acknowledged_by"
        ),
        today,
    )
    page = page_of(request, alerts, "alerts_page")
    open_count = page.paginator.count if filters.shows_all_open() else Alert.objects.open().count()
    return {"alert_filters": filters, "alerts": page, "open_alert_count": open_count}


@role_required(Role.RECEPTION)
@require_GET
def reception_home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    user = request.user
    intakes = IntakeAssessment.objects.visible_to(user)
    context = {
        "search_form": SearchForm(),
        **_alert_list(request, today),
        "pending": list(
            intakes.pending_review().select_related("episode__patient")[:PENDING_ON_HOME]
        ),
        "todays_intakes": list(
            intakes.recorded_on(today).select_related("episode__patient", "recorded_by")[
                :TODAY_ON_HOME
            ]
        ),
        "today": today,
    }
    shown = [*context["alerts"], *context["pending"], *context["todays_intakes"]]
    audit.log_listed(request, [row.episode.patient_id for row in shown], page="reception")
    return render(request, "intake/reception_home.html", context)


@role_required(Role.RECEPTION)
@require_GET
def patient_search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    query = form.data.get("q", "").strip() if form.is_valid() else ""
    found: dict[str, Any] = {"patients": [], "page": 1, "has_next": False}
    if query:
        found = _search_page(request, Patient.objects.visible_to(request.user).search(query))
        audit.log_search(request, found["patients"], kind=search_kind(query))
    return render(
        request,
        "intake/patient_search.html",
        {"search_form": form, "query": query, **found},
    )


@role_required(Role.RECEPTION)
@require_http_methods(["GET", "POST"])
def patient_new(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None, initial={"language": Language.NL})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "confirm_new"}
        patient = services.register_patient(by=request.user, **data)
        messages.success(request, _("Patient registered."))
        return redirect("intake:patient_detail", patient.pk)
    return render(
        request,
        "intake/patient_form.html",
        {
            "form": form,
            "duplicates": form.duplicates,
            "near_duplicate": form.has_error(NON_FIELD_ERRORS, "near_duplicate"),
            "creating": True,
        },
    )


@role_required(Role.RECEPTION)
@require_http_methods(["GET", "POST"])
def patient_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_object_or_404(Patient.objects.visible_to(request.user), pk=patient_id)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        services.update_patient(form)
        messages.success(request, _("Patient details saved."))
        return redirect("intake:patient_detail", patient.pk)
    audit.log_read(request, patient, action=ReadAction.EDIT_FORM)
    return render(
        request,
        "intake/patient_form.html",
        {"form": form, "duplicates": form.duplicates, "patient": patient},
    )


@role_required(Role.RECEPTION)
@require_GET
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patients = Patient.objects.visible_to(request.user).select_related("campus_preference")
    patient = get_object_or_404(patients, pk=patient_id)
    episodes = (
        Episode.objects.visible_to(request.user)
        .filter(patient=patient)
        .select_related("intake", "physio")
        .order_by("-intake_date", "-id")
    )
    audit.log_read(request, patient)
    return render(request, "intake/patient_detail.html", {"patient": patient, "episodes": episodes})


@role_required(Role.RECEPTION)
@require_http_methods(["GET", "POST"])
def intake_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_object_or_404(Patient.objects.visible_to(request.user), pk=patient_id)
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assessment = _record(form, patient, by=request.user, source=IntakeSource.DESK)
        return redirect("intake:intake_result", assessment.pk)
    audit.log_read(request, patient, action=ReadAction.EDIT_FORM)
    return render(request, "intake/intake_form.html", {"form": form, "patient": patient})


def _record(form: IntakeForm, patient: Patient, *, by, source: str) -> IntakeAssessment:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    return pathway.admit_patient(
        patient,
        answers=services.build_answers(patient, today, form.questionnaire_fields()),
        start_back_items=form.start_back_items(),
        odi_sections=form.odi_sections(),
        medication=form.cleaned_data["medication"],
        by=by,
        source=source,
        intake_date=today,
    )


@role_required(Role.RECEPTION)
@require_GET
def intake_result(request: HttpRequest, intake_id: int) -> HttpResponse:
    intakes = IntakeAssessment.objects.visible_to(request.user)
    assessment = get_object_or_404(
        intakes.select_related("episode__patient", "recorded_by"), pk=intake_id
    )
    audit.log_read(request, assessment)
    language = current_language()
    patient_language = assessment.episode.patient.language
    return render(
        request,
        "intake/intake_result.html",
        {
            "assessment": assessment,
            "patient": assessment.episode.patient,
            "reasons": assessment.reason_texts(language[:2]),
            "advice": advice_for(assessment.disposition, language),
            "patient_language": patient_language,
        },
    )


@role_required(Role.RECEPTION)
@require_POST
def intake_review(request: HttpRequest, intake_id: int) -> HttpResponse:
    get_object_or_404(IntakeAssessment.objects.visible_to(request.user), pk=intake_id)
    if services.review_intake(intake_id, by=request.user):
        messages.success(request, _("Intake checked."))
    return redirect("intake:intake_result", intake_id)


@role_required(Role.RECEPTION, Role.PHYSIOTHERAPIST)
@require_POST
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alerts = Alert.objects.visible_to(request.user).select_related("episode__patient")
    alert = get_object_or_404(alerts, pk=alert_id)
    services.acknowledge_alert(alert.pk, by=request.user)
    if request.headers.get("HX-Request"):
        alert.refresh_from_db()
        audit.log_listed(request, [alert.episode.patient_id], page="alert row")
        return render(
            request,
            "intake/_alert_row.html",
            {"alert": alert, "open_alert_count": Alert.objects.open().count(), "oob": True},
        )
    messages.success(request, _("Alert acknowledged."))
    return redirect(safe_next(request, reverse("intake:reception_home")))


@role_required(Role.RECEPTION, Role.PHYSIOTHERAPIST)
@require_GET
def advice_sheet(request: HttpRequest, disposition: str, language: str) -> HttpResponse:
    if disposition not in Disposition.values or language not in triage.LANGUAGES:
        raise Http404
    with translation.override(language):
        return render(
            request,
            "intake/advice_sheet.html",
            {
                "disposition": Disposition(disposition),
                "advice": advice_for(disposition, language),
                "clinic": branding_for(None),
            },
        )


@role_required(Role.RECEPTION)
@require_POST
def intake_link_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_object_or_404(Patient.objects.visible_to(request.user), pk=patient_id)
    kiosk = request.POST.get("kiosk") == "1"
    link, token = services.create_intake_link(patient, by=request.user, kiosk=kiosk)
    url = request.build_absolute_uri(reverse("intake_public:self_intake", args=[token]))
    if kiosk:
        return redirect(url)
    emailed = services.email_intake_link(link, url)
    audit.log_read(request, patient, action=ReadAction.EDIT_FORM)
    return render(
        request,
        "intake/intake_link_created.html",
        {"patient": patient, "link": link, "url": url, "emailed": emailed},
    )


# --- the patient's side: a signed, single-use link ------------------------------------


def self_intake(request: HttpRequest, token: str) -> HttpResponse:
    """The intake questionnaire for the patient who holds the link, in their language."""
    link = IntakeLink.objects.select_related("patient").filter(token_hash=hash_token(token)).first()
    if link is None:
        raise Http404
    patient = link.patient
    clinic = branding_for(patient)
    language = patient_page_language(request, patient.language)
    translation.activate(language)
    request.LANGUAGE_CODE = language
    if not link.is_usable():
        return render(
            request, "intake/self_intake_closed.html", {"clinic": clinic, "link": link}, status=410
        )
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        source = IntakeSource.KIOSK if link.kiosk else IntakeSource.SELF
        with transaction.atomic():
            if not services.use_intake_link(link):
                return render(
                    request, "intake/self_intake_closed.html", {"clinic": clinic}, status=410
                )
            assessment = _record(form, patient, by=None, source=source)
        # Rendered, not redirected: the thank-you page has no URL of its own to revisit.
        return render(
            request,
            "intake/self_intake_done.html",
            {
                "assessment": assessment,
                "advice": advice_for(assessment.disposition, language),
                "clinic": clinic,
            },
        )
    return render(
        request, "intake/self_intake.html", {"form": form, "patient": patient, "clinic": clinic}
    )
