"""Follow-up pages: the patient's questionnaire (through an e-mailed link, no account),
reception's call list, answers taken by phone, and the operational overview."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinics.access import role_required
from clinics.i18n import patient_page_language
from clinics.models import Role
from clinics.paging import page_of
from followups import services
from followups.forms import CallForm, FollowUpForm
from followups.models import (
    PHONE_STATES,
    AnswerChannel,
    CallResult,
    FollowUp,
    FollowUpState,
    QuestionnaireLink,
)
from intake import advice, patient_texts, triage
from intake.models import Patient
from outbox import services as outbox
from outbox.models import OutboundEmail
from pathway import services as pathway
from pathway.queries import Branding, branding_for
from security import audit
from security.models import ReadAction

# Reason codes of warning signs (the rest say why the course was chosen).
WARNING_PREFIXES = ("E-", "U-", "S-")
FAILED_EMAILS_SHOWN = 20


def patient_message(follow_up: FollowUp, language: str) -> advice.FollowUpMessage:
    """What the patient reads after answering: the doctor to see and why when a warning
    sign was found, what the answers say about the course, the next step, the advice and
    the complete warning signs."""
    language = advice.language_or_default(language)
    warning_codes = [code for code in follow_up.outcome_reasons if code[:2] in WARNING_PREFIXES]
    return advice.follow_up_message(
        state=follow_up.outcome,
        course=follow_up.course or None,
        disposition=follow_up.outcome_disposition or None,
        reasons=follow_up.outcome_reasons,
        reason_texts=[triage.reason_text(code, language) for code in warning_codes],
        pain_now=follow_up.pain_now or 0,
        follow_up_number=follow_up.number,
        language=language,
        campuses=patient_texts.campus_phones(),
    )


# --- the patient's questionnaire ----------------------------------------------------------


def _form(request: HttpRequest, follow_up: FollowUp) -> FollowUpForm:
    """The questionnaire for this patient: it names their intake date, and asks about
    erections only when they are registered as male."""
    episode = follow_up.episode
    return FollowUpForm(
        request.POST or None, intake_date=episode.intake_date, sex=episode.patient.sex
    )


def _closed(request: HttpRequest, link: QuestionnaireLink, clinic: Branding) -> HttpResponse:
    answered = link.used_at is not None or link.follow_up.state == FollowUpState.ANSWERED
    return render(
        request,
        "followups/link_closed.html",
        {"clinic": clinic, "answered": answered},
        status=410,
    )


@never_cache
def questionnaire(request: HttpRequest, token: str) -> HttpResponse:
    """One follow-up's questionnaire, in the patient's language. An unknown token is a
    plain 404; a used or expired link a friendly page with the clinic's phone number."""
    link = QuestionnaireLink.objects.for_token(token)
    if link is None:
        raise Http404
    follow_up = link.follow_up
    patient = follow_up.episode.patient
    language = patient_page_language(request, patient.language)
    clinic = branding_for(patient, follow_up.episode)
    now = timezone.now()
    with translation.override(language):
        request.LANGUAGE_CODE = language
        if not link.is_open(now):
            response = _closed(request, link, clinic)
        else:
            response = _questionnaire(request, link, clinic, now, language)
    response.headers["Content-Language"] = language
    return response


def _questionnaire(
    request: HttpRequest, link: QuestionnaireLink, clinic: Branding, now: Any, language: str
) -> HttpResponse:
    form = _form(request, link.follow_up)
    if request.method == "POST" and form.is_valid():
        try:
            follow_up = pathway.answer_follow_up(
                link.follow_up,
                form.answers(),
                channel=AnswerChannel.LINK,
                start_back_items=form.start_back_items(),
                link=link,
                now=now,
            )
        except services.FollowUpClosed:
            return _closed(request, link, clinic)
        # Rendered, not redirected: the thank-you page has no URL of its own to revisit.
        return render(
            request,
            "followups/thanks.html",
            {
                "clinic": clinic,
                "follow_up": follow_up,
                "message": patient_message(follow_up, language),
            },
        )
    return render(
        request,
        "followups/questionnaire.html",
        {"form": form, "clinic": clinic, "follow_up": link.follow_up},
        status=400 if form.is_bound else 200,
    )


# --- reception ----------------------------------------------------------------------------


def _failures() -> tuple[list[OutboundEmail], int]:
    failures = OutboundEmail.objects.failures_to_review()
    shown = list(failures[:FAILED_EMAILS_SHOWN])
    patients = Patient.objects.in_bulk({email.patient_id for email in shown} - {None})
    for email in shown:
        email.patient = patients.get(email.patient_id)  # type: ignore[attr-defined]
    total = len(shown) if len(shown) < FAILED_EMAILS_SHOWN else failures.count()
    return shown, total


@role_required(Role.RECEPTION)
@require_GET
def call_list(request: HttpRequest) -> HttpResponse:
    """Who to phone, why, and their number; plus e-mails that could not be delivered."""
    follow_ups = (
        FollowUp.objects.visible_to(request.user).call_list().select_related("episode__patient")
    )
    failures, failures_total = _failures()
    page = page_of(request, follow_ups)
    audit.log_listed(
        request,
        [f.episode.patient_id for f in page] + [e.patient_id for e in failures],
        page="call list",
    )
    return render(
        request,
        "followups/call_list.html",
        {
            "page": page,
            "failures": failures,
            "failures_total": failures_total,
            "results": CallResult,
        },
    )


@role_required(Role.RECEPTION)
@require_POST
def record_call(request: HttpRequest, pk: int) -> HttpResponse:
    follow_ups = FollowUp.objects.visible_to(request.user).select_related("episode__patient")
    follow_up = get_object_or_404(follow_ups, pk=pk)
    form = CallForm(request.POST)
    if not form.is_valid():
        if form.has_error("note"):
            messages.error(request, _("Write down why the patient declined."))
        else:
            messages.error(request, _("Choose whether the patient was reached."))
        return redirect("followups:call_list")
    try:
        follow_up = services.record_call(
            follow_up,
            result=form.cleaned_data["result"],
            note=form.cleaned_data["note"],
            by=request.user,
        )
    except services.FollowUpClosed:
        messages.warning(request, _("This follow-up was already handled."))
        return redirect("followups:call_list")
    except ValueError:
        messages.error(request, _("This result does not apply to this follow-up."))
        return redirect("followups:call_list")
    name = follow_up.episode.patient.full_name
    if follow_up.state == FollowUpState.LOST:
        messages.warning(
            request,
            _(
                "%(name)s: not reached three times. The follow-up is closed as lost; the"
                " physiotherapist has an alert and the patient a message."
            )
            % {"name": name},
        )
    elif not follow_up.is_on_call_list:
        messages.success(request, _("%(name)s: taken off the call list.") % {"name": name})
    else:
        messages.info(
            request,
            _("%(name)s: not reached (%(count)d of %(max)d tries).")
            % {"name": name, "count": follow_up.call_attempts, "max": services.MAX_CALL_ATTEMPTS},
        )
    return redirect("followups:call_list")


@role_required(Role.RECEPTION)
@require_http_methods(["GET", "POST"])
def phone_answers(request: HttpRequest, pk: int) -> HttpResponse:
    """Reception types in the answers a patient gives by phone; same rules as the link."""
    follow_ups = FollowUp.objects.visible_to(request.user).select_related("episode__patient")
    follow_up = get_object_or_404(follow_ups, pk=pk)
    if follow_up.state not in PHONE_STATES:
        messages.warning(request, _("This follow-up cannot take answers any more."))
        return redirect("followups:call_list")
    form = _form(request, follow_up)
    if request.method == "POST" and form.is_valid():
        try:
            pathway.answer_follow_up(
                follow_up,
                form.answers(),
                channel=AnswerChannel.PHONE,
                start_back_items=form.start_back_items(),
                by=request.user,
            )
        except services.FollowUpClosed:
            messages.warning(request, _("This follow-up was already answered."))
            return redirect("followups:call_list")
        return redirect("followups:result", pk=follow_up.pk)
    audit.log_read(request, follow_up, action=ReadAction.EDIT_FORM)
    return render(
        request,
        "followups/phone_answers.html",
        {"form": form, "follow_up": follow_up, "patient": follow_up.episode.patient},
        status=400 if form.is_bound else 200,
    )


@role_required(Role.RECEPTION, Role.PHYSIOTHERAPIST)
@require_GET
def result(request: HttpRequest, pk: int) -> HttpResponse:
    """An answered follow-up: outcome, reasons, scores, and what to tell the patient.
    Reception sees every one, a physiotherapist those of their own episodes; any other
    is a 404 like a missing one."""
    follow_up = get_object_or_404(
        FollowUp.objects.visible_to(request.user).select_related("episode__patient", "answered_by"),
        pk=pk,
        state=FollowUpState.ANSWERED,
    )
    patient = follow_up.episode.patient
    audit.log_read(request, follow_up)
    return render(
        request,
        "followups/result.html",
        {
            "follow_up": follow_up,
            "patient": patient,
            # In the patient's language: reception reads it out on the phone.
            "message": patient_message(follow_up, patient.language),
        },
    )


@role_required(Role.RECEPTION, Role.PHYSIOTHERAPIST)
def lost_letter(request: HttpRequest, episode_id: int) -> HttpResponse:
    """The printable letter for a patient whose follow-up was lost and who has no
    e-mail: the warning signs, "still in pain: contact your GP", both campus phones."""
    follow_up = (
        FollowUp.objects.visible_to(request.user)
        .select_related("episode__patient")
        .filter(episode_id=episode_id, state=FollowUpState.LOST)
        .order_by("-number")
        .first()
    )
    if follow_up is None:
        raise Http404
    patient = follow_up.episode.patient
    audit.log_read(request, follow_up)
    return render(
        request,
        "followups/lost_letter.html",
        {
            "patient": patient,
            "campuses": patient_texts.campus_phones(),
            "clinic": branding_for(patient, follow_up.episode),
        },
    )


@role_required(Role.RECEPTION)
@require_POST
def dismiss_email(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_or_404(OutboundEmail, pk=pk)
    outbox.dismiss_failed_email(email, by=request.user)
    messages.success(request, _("The failed e-mail was marked as handled."))
    back = "followups:overview" if request.POST.get("back") == "overview" else "followups:call_list"
    return redirect(back)


@role_required(Role.RECEPTION, Role.MANAGER)
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """The follow-up engine at a glance: this week's due follow-ups, invitations,
    response rate and the outbox."""
    figures = services.operational_figures()
    due = (
        FollowUp.objects.due_between(figures.week_start, figures.week_end)
        .select_related("episode__patient")
        .order_by("due_at", "pk")
    )
    failures, failures_total = _failures()
    page = page_of(request, due)
    audit.log_listed(
        request,
        [f.episode.patient_id for f in page] + [e.patient_id for e in failures],
        page="follow-up overview",
    )
    return render(
        request,
        "followups/overview.html",
        {
            "figures": figures,
            "page": page,
            "failures": failures,
            "failures_total": failures_total,
        },
    )
