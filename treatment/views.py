from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinics.access import role_required
from clinics.i18n import current_language
from clinics.models import Role
from clinics.paging import page_of, slice_page
from intake import advice
from intake.models import Episode, EpisodeState
from intake.patient_texts import advice_for
from pathway import queries as pathway_queries
from pathway import services as pathway
from security import audit
from security.models import ReadAction
from treatment import charts, queries, services, summary
from treatment.forms import DischargeForm, GoalFormSet, PlanForm, SessionForm
from treatment.models import (
    APPROACH_FOR_RISK,
    Discharge,
    TreatmentPlan,
    strengthening_from,
)
from treatment.summary import SummaryContent


def _weeks_since(day: date, today: date) -> int:
    return (today - day).days // 7


@role_required(Role.PHYSIOTHERAPIST)
@require_GET
def caseload(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    episodes = page_of(request, pathway_queries.caseload(request.user), "page")
    episodes.object_list = list(pathway_queries.caseload_rows(episodes.object_list))
    for episode in episodes:
        episode.weeks_since_intake = _weeks_since(episode.intake_date, today)
        episode.latest_pain = (
            episode.latest_session_pain
            if episode.latest_session_pain is not None
            else episode.intake.pain_now
        )
    waiting = page_of(request, queries.queue(), "queue_page")
    for episode in waiting:
        episode.weeks_since_intake = _weeks_since(episode.intake_date, today)
    alerts = slice_page(request, queries.open_alerts().visible_to(request.user), "alerts_page")
    audit.log_listed(
        request,
        [e.patient_id for e in episodes]
        + [e.patient_id for e in waiting]
        + [a.episode.patient_id for a in alerts],
        page="caseload",
    )
    return render(
        request,
        "treatment/caseload.html",
        {"episodes": episodes, "queue": waiting, "alerts": alerts, "today": today},
    )


def _episode(request: HttpRequest, pk: int, *, to_change: bool = False) -> Episode:
    """The episode if this physiotherapist may see it (``Episode.objects.visible_to``:
    theirs, or waiting in the queue), else 404 as for a missing one; ``to_change``: only
    theirs and still in treatment (``changeable_by``), else 403."""
    episodes = Episode.objects.select_related("patient", "intake", "physio")
    episode = get_object_or_404(episodes.visible_to(request.user), pk=pk)
    if to_change and not Episode.objects.changeable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    return episode


@require_POST
@role_required(Role.PHYSIOTHERAPIST)
def take(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a queued episode. The slower of two physiotherapists is told it was taken,
    without the patient's name (it is no longer theirs to see); an episode that was
    never in the queue is a 404 like a missing one."""
    if services.take_episode(pk, physio=request.user):
        episode = get_object_or_404(Episode.objects.select_related("patient"), pk=pk)
        messages.success(
            request,
            _("%(patient)s is now on your caseload. Write the treatment plan.")
            % {"patient": episode.patient.full_name},
        )
        return redirect("treatment:plan", pk=episode.pk)
    if not Episode.objects.filter(pk=pk, physio__isnull=False).exists():
        raise Http404
    messages.warning(request, _("This patient was already taken by another physiotherapist."))
    return redirect("treatment:caseload")


@role_required(Role.PHYSIOTHERAPIST)
@require_GET
def episode_detail(request: HttpRequest, pk: int) -> HttpResponse:
    episode = _episode(request, pk)
    plan = (
        TreatmentPlan.objects.filter(episode=episode)
        .prefetch_related("goals", "prescriptions__exercise")
        .first()
    )
    values = pathway_queries.episode_measurements(episode)
    sessions = list(episode.treatment_sessions.chronological().select_related("recorded_by"))
    discharge = Discharge.objects.filter(episode=episode).first()
    language = current_language()
    audit.log_read(request, episode)
    return render(
        request,
        "treatment/episode_detail.html",
        {
            "episode": episode,
            "patient": episode.patient,
            "intake": episode.intake,
            "plan": plan,
            "prescriptions": [(p, p.exercise.name_in(language)) for p in plan.prescriptions.all()]
            if plan
            else [],
            "sessions": sessions,
            "measurements": [(m, charts.source_label(m.source)) for m in values],
            "pain_chart": charts.pain_chart(values),
            "odi_chart": charts.odi_chart(values),
            "discharge": discharge,
            "follow_ups": pathway_queries.follow_ups_of(episode),
            "referrals": pathway_queries.referrals_of(episode),
            "mine": episode.physio_id == request.user.pk,
            "in_treatment": episode.state == EpisodeState.IN_TREATMENT,
            "weeks_since_intake": _weeks_since(episode.intake_date, timezone.localdate()),
            "strengthening_from": strengthening_from(episode, plan),
        },
    )


@role_required(Role.PHYSIOTHERAPIST)
@require_http_methods(["GET", "POST"])
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    episode = _episode(request, pk, to_change=True)
    existing = (
        TreatmentPlan.objects.filter(episode=episode)
        .prefetch_related("goals", "prescriptions__exercise")
        .first()
    )
    if existing:
        initial = {
            "approach": existing.approach,
            "sessions_per_week": existing.sessions_per_week,
            "planned_sessions": existing.planned_sessions,
            "next_session_on": existing.next_session_on,
            "exercises": [p.exercise for p in existing.prescriptions.all()],
            "strengthening_from_override": existing.strengthening_from_override,
            "strengthening_override_reason": existing.strengthening_override_reason,
        }
        goals_initial = [
            {"description": g.description, "target_date": g.target_date, "achieved": g.achieved}
            for g in existing.goals.all()
        ]
    else:
        initial = {"approach": APPROACH_FOR_RISK.get(episode.intake.start_back_risk)}
        goals_initial = []
    data = request.POST if request.method == "POST" else None
    form = PlanForm(data, initial=initial, episode=episode)
    goals = GoalFormSet(data, initial=goals_initial, prefix="goals")
    if data is not None and form.is_valid() and goals.is_valid():
        try:
            services.save_plan(
                episode,
                by=request.user,
                approach=form.cleaned_data["approach"],
                sessions_per_week=form.cleaned_data["sessions_per_week"],
                planned_sessions=form.cleaned_data["planned_sessions"],
                next_session_on=form.cleaned_data["next_session_on"],
                goals=goals.goals(),
                exercises=form.cleaned_data["exercises"],
                strengthening_from_override=form.cleaned_data["strengthening_from_override"],
                strengthening_override_reason=form.cleaned_data["strengthening_override_reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The treatment plan is saved."))
            return redirect("treatment:episode", pk=episode.pk)
    audit.log_read(request, episode, action=ReadAction.EDIT_FORM)
    return render(
        request,
        "treatment/plan_form.html",
        {
            "episode": episode,
            "patient": episode.patient,
            "intake": episode.intake,
            "form": form,
            "goals": goals,
            "existing": existing,
        },
    )


@role_required(Role.PHYSIOTHERAPIST)
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest, pk: int) -> HttpResponse:
    episode = _episode(request, pk, to_change=True)
    data = request.POST if request.method == "POST" else None
    form = SessionForm(data, initial={"session_date": timezone.localdate()}, episode=episode)
    if data is not None and form.is_valid():
        cleaned = form.cleaned_data
        try:
            services.record_session(
                episode,
                by=request.user,
                session_date=cleaned["session_date"],
                pain_now=cleaned["pain_now"],
                odi_percent=cleaned["odi_percent"],
                odi_sections=form.odi_sections(),
                work_done=cleaned["work_done"],
                adherence=cleaned["adherence"],
                notes=cleaned["notes"],
                next_session_on=cleaned["next_session_on"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The session is recorded."))
            return redirect("treatment:episode", pk=episode.pk)
    audit.log_read(request, episode, action=ReadAction.EDIT_FORM)
    return render(
        request,
        "treatment/session_form.html",
        {"episode": episode, "patient": episode.patient, "form": form},
    )


@role_required(Role.PHYSIOTHERAPIST)
@require_GET
def handout(request: HttpRequest, pk: int) -> HttpResponse:
    """The exercise programme to print for the patient, in the patient's language."""
    episode = _episode(request, pk)
    if episode.physio_id != request.user.pk:
        raise PermissionDenied
    treatment_plan = (
        TreatmentPlan.objects.filter(episode=episode)
        .prefetch_related("goals", "prescriptions__exercise")
        .first()
    )
    language = episode.patient.language
    strengthening_start = strengthening_from(episode, treatment_plan)
    audit.log_read(request, episode, action=ReadAction.EXPORT)
    with translation.override(language):
        exercises = [
            {
                "name": p.exercise.name_in(language),
                "instructions": p.exercise.instructions_in(language),
                "dosage": p.exercise.dosage_in(language),
                "kind": p.exercise.get_kind_display(),
                "clinic_own": not p.exercise.from_leaflet,
            }
            for p in (treatment_plan.prescriptions.all() if treatment_plan else [])
        ]
        html = render_to_string(
            "treatment/handout.html",
            {
                "episode": episode,
                "patient": episode.patient,
                "plan": treatment_plan,
                "exercises": exercises,
                "advice": advice_for(
                    advice.PHYSIO, language, strengthening_from=strengthening_start
                ),
                "strengthening_from": strengthening_start,
                "printed_on": timezone.localdate(),
                "physio": request.user,
            },
            request=request,
        )
    response = HttpResponse(html)
    response["Content-Language"] = language
    return response


@role_required(Role.PHYSIOTHERAPIST)
@require_http_methods(["GET", "POST"])
def discharge(request: HttpRequest, pk: int) -> HttpResponse:
    episode = _episode(request, pk, to_change=True)
    form = DischargeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            result = pathway.discharge(
                episode,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                cancel_follow_up_reason=form.cleaned_data["cancel_follow_up_reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("The episode is closed (%(outcome)s).")
                % {"outcome": result.get_outcome_display()},
            )
            return redirect("treatment:episode", pk=episode.pk)
    audit.log_read(request, episode, action=ReadAction.EDIT_FORM)
    return render(
        request,
        "treatment/discharge_form.html",
        {
            "episode": episode,
            "patient": episode.patient,
            "form": form,
            "follow_ups": pathway_queries.follow_ups_of(episode),
        },
    )


def _summary(request: HttpRequest, pk: int) -> tuple[Episode, Discharge, SummaryContent]:
    """A closed episode's summary in ``?lang=`` (the GP's) or the patient's language."""
    episode = _episode(request, pk)
    discharge = get_object_or_404(
        Discharge.objects.select_related("discharged_by"), episode=episode
    )
    language = request.GET.get("lang") or request.POST.get("lang") or episode.patient.language
    if language not in dict(settings.LANGUAGES):
        language = episode.patient.language
    values = pathway_queries.episode_measurements(episode)
    return episode, discharge, summary.summary_content(episode, discharge, values, language)


@role_required(Role.PHYSIOTHERAPIST)
def discharge_summary(request: HttpRequest, pk: int) -> HttpResponse:
    """The discharge summary as a page to read, print, download or send to the GP."""
    episode, discharge, content = _summary(request, pk)
    audit.log_read(request, episode, action=ReadAction.VIEW)
    return render(
        request,
        "treatment/discharge_summary.html",
        {
            "episode": episode,
            "patient": episode.patient,
            "discharge": discharge,
            "content": content,
            "languages": settings.LANGUAGES,
        },
    )


@role_required(Role.PHYSIOTHERAPIST)
def discharge_summary_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    episode, discharge, content = _summary(request, pk)
    audit.log_read(request, episode, action=ReadAction.EXPORT)
    response = HttpResponse(summary.render_pdf(content), content_type="application/pdf")
    filename = f"discharge-summary-{discharge.pk}-{content.language}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@role_required(Role.PHYSIOTHERAPIST)
def discharge_summary_send(request: HttpRequest, pk: int) -> HttpResponse:
    episode, discharge, content = _summary(request, pk)
    if services.send_discharge_summary_to_gp(content, discharge, by=request.user):
        messages.success(
            request,
            _("The discharge summary goes to the GP (%(email)s).")
            % {"email": episode.patient.gp_email},
        )
    else:
        messages.error(request, _("The patient's record has no e-mail address for the GP."))
    return redirect(f"{reverse('treatment:discharge_summary', args=[pk])}?lang={content.language}")
