import json
from datetime import date
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
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
from clinics.paging import KeysetPage, page_of, page_size, slice_page
from clinics.redirects import safe_next
from clinics.tokens import hash_token
from intake import services, triage
from intake.forms import (
    AlertActionForm,
    AlertFilterForm,
    IntakeForm,
    KioskPinForm,
    PatientForm,
    ScoresForm,
    SearchForm,
    emergency_answers,
)
from intake.models import (
    Alert,
    AlertKind,
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
from pathway import queries as pathway_queries
from pathway import services as pathway
from pathway.queries import branding_for
from security import audit, ratelimit
from security.models import ReadAction
from security.net import client_ip

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
        Alert.objects.visible_to(request.user).as_rows(),
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
        "pending": slice_page(request, intakes.pending_review().as_rows(), "pending_page"),
        "todays_intakes": slice_page(request, intakes.recorded_on(today).as_rows(), "today_page"),
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
    episodes = list(
        Episode.objects.visible_to(request.user)
        .filter(patient=patient)
        .select_related("intake", "physio")
        .order_by("-intake_date", "-id")
    )
    referrals = pathway_queries.active_referrals_by_episode([e.pk for e in episodes])
    for episode in episodes:
        episode.active_referral = referrals.get(episode.pk)
    audit.log_read(request, patient)
    return render(request, "intake/patient_detail.html", {"patient": patient, "episodes": episodes})


@role_required(Role.RECEPTION)
@require_http_methods(["GET", "POST"])
def intake_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The desk intake. "Save now" (``save_now``, offered as soon as an emergency answer
    is ticked) records an emergency with the answers given; the scores come later."""
    patient = get_object_or_404(Patient.objects.visible_to(request.user), pk=patient_id)
    form = IntakeForm(request.POST or None, sex=patient.sex, emergency="save_now" in request.POST)
    if request.method == "POST" and form.is_valid():
        assessment = _record(form, patient, by=request.user, source=IntakeSource.DESK)
        return redirect("intake:intake_result", assessment.pk)
    audit.log_read(request, patient, action=ReadAction.EDIT_FORM)
    return render(
        request,
        "intake/intake_form.html",
        {
            "form": form,
            "patient": patient,
            "emergency_answers_json": json.dumps(emergency_answers()),
        },
    )


@role_required(Role.RECEPTION)
def intake_scores(request: HttpRequest, intake_id: int) -> HttpResponse:
    """Complete STarT Back and Oswestry of an intake saved in an emergency."""
    assessment = get_object_or_404(
        IntakeAssessment.objects.visible_to(request.user).select_related("episode__patient"),
        pk=intake_id,
    )
    if not assessment.scores_pending:
        return redirect("intake:intake_result", assessment.pk)
    form = ScoresForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.complete_intake_scores(
            assessment,
            start_back_items=form.start_back_items() or [],
            odi_sections=form.odi_sections() or [],
        )
        messages.success(request, _("Scores saved."))
        return redirect("intake:intake_result", assessment.pk)
    return render(
        request,
        "intake/intake_scores.html",
        {"form": form, "assessment": assessment, "patient": assessment.episode.patient},
    )


@role_required(Role.RECEPTION, Role.PHYSIOTHERAPIST)
@require_POST
def alert_action(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Record what staff did about an alert; the record closes it."""
    alert = get_object_or_404(
        Alert.objects.visible_to(request.user).select_related("episode__intake"), pk=alert_id
    )
    form = AlertActionForm(request.POST, prefix="staff")
    intake = getattr(alert.episode, "intake", None)
    if not form.is_valid():
        if intake is None:
            messages.error(request, _("Choose what was done, and when."))
            return redirect("intake:reception_home")
        return _render_result(request, intake, action_form=form, status=400)
    services.record_alert_action(
        alert,
        action=form.cleaned_data["action"],
        done_at=form.cleaned_data["done_at"],
        note=form.cleaned_data["note"],
        by=request.user,
    )
    messages.success(request, _("Recorded; the alert is closed."))
    if intake is None:
        return redirect("intake:reception_home")
    return redirect("intake:intake_result", intake.pk)


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
    return _render_result(request, assessment)


def _render_result(
    request: HttpRequest,
    assessment: IntakeAssessment,
    *,
    action_form: AlertActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    language = current_language()
    patient_language = assessment.episode.patient.language
    alert = (
        Alert.objects.filter(episode=assessment.episode, kind=AlertKind.INTAKE)
        .prefetch_related("actions__recorded_by")
        .select_related("acknowledged_by")
        .first()
    )
    if action_form is None:
        action_form = AlertActionForm(
            prefix="staff", initial={"done_at": timezone.localtime().replace(second=0)}
        )
    return render(
        request,
        "intake/intake_result.html",
        {
            "assessment": assessment,
            "patient": assessment.episode.patient,
            "reasons": assessment.reason_texts(language[:2]),
            "advice": advice_for(assessment.disposition, language),
            "patient_language": patient_language,
            "alert": alert,
            "action_form": action_form,
        },
        status=status,
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
            "intake/_alert_rows.html",
            {"alerts": [alert], "open_alert_count": Alert.objects.open().count(), "oob": True},
        )
    messages.success(request, _("Alert acknowledged."))
    return redirect(safe_next(request, reverse("intake:reception_home")))


@role_required(Role.RECEPTION, Role.PHYSIOTHERAPIST)
@require_POST
def alert_continue(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Close an alert as "safe to continue": the physiotherapy pathway goes on (after an
    intake sent to the doctor) or the follow-up's course is carried out."""
    alerts = Alert.objects.visible_to(request.user).select_related("episode__patient")
    alert = get_object_or_404(alerts, pk=alert_id)
    try:
        pathway.close_alert_safe_to_continue(alert, by=request.user)
    except pathway.NothingToContinue:
        messages.warning(request, _("This alert has nothing waiting to continue."))
    else:
        messages.success(request, _("Alert closed: the pathway continues."))
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
    if request.POST.get("kiosk") == "1":
        return _kiosk_started(request, patient)
    link, token = services.create_intake_link(patient, by=request.user)
    url = request.build_absolute_uri(reverse("intake_public:self_intake", args=[token]))
    emailed = services.email_intake_link(link, url)
    audit.log_read(request, patient, action=ReadAction.EDIT_FORM)
    return render(
        request,
        "intake/intake_link_created.html",
        {"patient": patient, "link": link, "url": url, "emailed": emailed},
    )


def _kiosk_started(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Reception's page after "open on the kiosk tablet": the PIN (and a QR code) the
    tablet opens. The receptionist's own browser stays a staff session."""
    link, pin = services.start_kiosk_intake(patient, by=request.user)
    kiosk_url = request.build_absolute_uri(reverse("kiosk:home"))
    qr = segno.make(f"{kiosk_url}?pin={pin}", error="m").svg_data_uri(scale=5, border=2)
    return render(
        request,
        "intake/kiosk_started.html",
        {
            "patient": patient,
            "link": link,
            "pin": f"{pin[:3]} {pin[3:]}",
            "kiosk_url": kiosk_url,
            "qr": qr,
            "minutes": IntakeLink.KIOSK_PIN_MINUTES,
        },
    )


# --- the patient's side: a signed, single-use link ------------------------------------


def self_intake(request: HttpRequest, token: str) -> HttpResponse:
    """The intake questionnaire for the patient who holds the link, in their language."""
    link = IntakeLink.objects.select_related("patient").filter(token_hash=hash_token(token)).first()
    if link is None or link.kiosk:
        raise Http404  # a kiosk link opens on the tablet only, with its PIN
    return _patient_intake(request, link)


def _patient_intake(request: HttpRequest, link: IntakeLink, *, kiosk: bool = False) -> HttpResponse:
    """The questionnaire of ``link`` (a patient's link or a kiosk session), in the
    patient's language; after a kiosk submit the tablet's session ends."""
    patient = link.patient
    clinic = branding_for(patient)
    language = patient_page_language(request, patient.language)
    translation.activate(language)
    request.LANGUAGE_CODE = language
    base = {"clinic": clinic, "base_template": KIOSK_BASE if kiosk else PATIENT_BASE}
    if not link.is_usable():
        if kiosk:
            request.session.flush()
        return render(request, "intake/self_intake_closed.html", {**base, "link": link}, status=410)
    form = IntakeForm(request.POST or None, sex=patient.sex)
    if request.method == "POST" and form.is_valid():
        source = IntakeSource.KIOSK if link.kiosk else IntakeSource.SELF
        with transaction.atomic():
            if not services.use_intake_link(link):
                return render(request, "intake/self_intake_closed.html", base, status=410)
            assessment = _record(form, patient, by=None, source=source)
        if kiosk:
            request.session.flush()  # the tablet is a neutral, anonymous device again
        # Rendered, not redirected: the thank-you page has no URL of its own to revisit.
        return render(
            request,
            "intake/self_intake_done.html",
            {
                **base,
                "assessment": assessment,
                "advice": advice_for(assessment.disposition, language),
                "kiosk": kiosk,
            },
        )
    return render(
        request,
        "intake/self_intake.html",
        {**base, "form": form, "patient": patient, "kiosk": kiosk},
    )


# --- the kiosk: a tablet session without staff rights ---------------------------------

KIOSK_SESSION_KEY = "kiosk_intake_link"
PATIENT_BASE = "base_patient.html"
KIOSK_BASE = "intake/base_kiosk.html"


def kiosk_home(request: HttpRequest) -> HttpResponse:
    """The kiosk's neutral start page: the patient types the PIN reception gave.

    Opening it ends a kiosk session in progress (the idle timer comes back here). A
    right PIN ends any session of this browser, staff included, and starts a kiosk
    session that reaches nothing but that one questionnaire.
    """
    if request.session.get(KIOSK_SESSION_KEY):
        request.session.flush()
    form = KioskPinForm(request.POST or None, initial={"pin": request.GET.get("pin", "")})
    if request.method == "POST" and form.is_valid():
        attempt = ratelimit.hit(
            "kiosk-pin",
            client_ip(request) or "unknown",
            limit=settings.BACKPATH_KIOSK_PIN_ATTEMPTS,
            window=settings.BACKPATH_LINK_RATE_WINDOW,
        )
        link = services.claim_kiosk_pin(form.cleaned_data["pin"]) if attempt.allowed else None
        if not attempt.allowed:
            form.add_error("pin", _("Too many codes tried. Ask reception for help."))
        elif link is not None:
            logout(request)
            request.session[KIOSK_SESSION_KEY] = link.pk
            return redirect("kiosk:intake")
        else:
            form.add_error(
                "pin", _("This code does not work (mistyped, used or expired). Ask reception.")
            )
    return render(
        request,
        "intake/kiosk_home.html",
        {
            "form": form,
            "clinic": branding_for(None),
            "base_template": KIOSK_BASE,
            "staff_signed_in": request.user.is_authenticated,
        },
        status=400 if form.errors else 200,
    )


def kiosk_intake(request: HttpRequest) -> HttpResponse:
    link_id = request.session.get(KIOSK_SESSION_KEY)
    link = (
        IntakeLink.objects.select_related("patient").filter(pk=link_id, kiosk=True).first()
        if link_id
        else None
    )
    if link is None:
        return redirect("kiosk:home")
    return _patient_intake(request, link, kiosk=True)
