"""Referral pages: the coordinator's dashboard, the physiotherapists' proposals, the
referral page with its history and letters, and the campus capacity settings.

Every action is a plain POST that redirects back (works without JavaScript); the
dashboard and proposal rows also send them with htmx and get the updated row back.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinics.access import coordinator_campus, has_role, role_required
from clinics.models import Campus, Role
from clinics.paging import page_of, page_size, slice_page
from clinics.redirects import safe_next
from intake import services as intake_services
from intake.forms import GpForm
from intake.models import Episode
from referrals import forms as referral_forms
from referrals import services, slots
from referrals.models import (
    OPEN_STATES,
    AppointmentSlot,
    CampusCapacityChange,
    Referral,
    ReferralAction,
    ReferralLetter,
    ReferralSource,
    ReferralState,
)
from referrals.waits import campus_waits
from security import audit
from security.models import ReadAction

CAPACITY_LOG_ROWS = 20


# --- access -------------------------------------------------------------------------------


def _get_visible(request: HttpRequest, pk: int) -> Referral:
    """The referral, or 404 alike when it does not exist or is not the user's to see
    (``Referral.objects.visible_to``: another campus's, another physiotherapist's)."""
    return get_object_or_404(Referral.objects.visible_to(request.user).with_people(), pk=pk)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- actions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    roles: tuple[str, ...]
    form: type[forms.Form] | None
    run: Callable[..., Any]


def _send(referral: Referral, by: Any, data: dict[str, Any]) -> Any:
    return services.send_referral(
        referral,
        by=by,
        campus=data.get("campus"),
        campus_change_reason=data.get("campus_change_reason", ""),
    )


ACTIONS: dict[str, Action] = {
    ReferralAction.SEND: Action((Role.PHYSIOTHERAPIST,), referral_forms.SendForm, _send),
    ReferralAction.ACCEPT: Action(
        (Role.COORDINATOR,),
        None,
        lambda r, by, data: services.accept_referral(r, by=by),
    ),
    ReferralAction.BOOK: Action(
        (Role.COORDINATOR,),
        referral_forms.BookForm,
        lambda r, by, data: services.book_appointment(
            r, by=by, day=data["day"], at=data["at"], place=data["place"]
        ),
    ),
    ReferralAction.UNBOOK: Action(
        (Role.COORDINATOR,),
        referral_forms.ReasonForm,
        lambda r, by, data: services.cancel_appointment(r, by=by, reason=data["reason"]),
    ),
    ReferralAction.SEEN: Action(
        (Role.COORDINATOR,),
        None,
        lambda r, by, data: services.mark_seen(r, by=by),
    ),
    ReferralAction.CLOSE: Action(
        (Role.COORDINATOR,),
        referral_forms.CloseForm,
        lambda r, by, data: services.close_referral(r, by=by, note=data["note"]),
    ),
    ReferralAction.DECLINE: Action(
        (Role.COORDINATOR,),
        referral_forms.ReasonForm,
        lambda r, by, data: services.decline_referral(r, by=by, reason=data["reason"]),
    ),
    ReferralAction.REDIRECT: Action(
        (Role.COORDINATOR,),
        referral_forms.RedirectForm,
        lambda r, by, data: services.redirect_referral(
            r, by=by, campus=data["campus"], reason=data["reason"]
        ),
    ),
    ReferralAction.CANCEL: Action(
        (Role.PHYSIOTHERAPIST, Role.COORDINATOR),
        referral_forms.ReasonForm,
        lambda r, by, data: services.cancel_referral(r, by=by, reason=data["reason"]),
    ),
    ReferralAction.LETTER: Action(
        (Role.PHYSIOTHERAPIST,),
        None,
        lambda r, by, data: services.regenerate_letter(r, by=by),
    ),
}


def _done_message(action: str) -> str:
    return {
        ReferralAction.SEND: _("Referral approved and sent."),
        ReferralAction.ACCEPT: _("Referral accepted."),
        ReferralAction.BOOK: _("Appointment booked."),
        ReferralAction.SEEN: _("Marked as seen."),
        ReferralAction.CLOSE: _("Referral closed."),
        ReferralAction.DECLINE: _("Referral declined."),
        ReferralAction.REDIRECT: _("Referral redirected."),
        ReferralAction.CANCEL: _("Referral cancelled."),
        ReferralAction.LETTER: _("A new version of the letter was made."),
        ReferralAction.UNBOOK: _("Appointment cancelled; the referral waits to be booked again."),
    }[action]


def _make_form(action: str, referral: Referral, data: Any = None) -> forms.Form | None:
    form_class = ACTIONS[action].form
    if form_class is None:
        return None
    kwargs: dict[str, Any] = {"prefix": action}
    if form_class in (referral_forms.SendForm, referral_forms.RedirectForm):
        kwargs["current_campus"] = referral.campus
    return form_class(data, **kwargs)


def _action_or_404(request: HttpRequest, action: str) -> Action:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    if not has_role(request.user, *spec.roles):
        raise PermissionDenied
    return spec


def _row_response(request: HttpRequest, referral: Referral, **extra: Any) -> HttpResponse:
    """The updated table row for an htmx action (the dashboard's or a proposal's)."""
    referral = Referral.objects.with_people().get(pk=referral.pk)
    template = (
        "referrals/_proposal_row.html"
        if request.POST.get("row") == "proposal" or request.GET.get("row") == "proposal"
        else "referrals/_referral_rows.html"
    )
    mine = coordinator_campus(request.user) if has_role(request.user, Role.COORDINATOR) else None
    context = {
        "referral": referral,
        "referrals": [referral],
        "today": _today(),
        "mine_id": mine.pk if mine else None,
        **extra,
    }
    audit.log_listed(request, [referral.episode.patient_id], page="referral row")
    return render(request, template, context)


def _today() -> Any:
    return timezone.localdate()


@role_required(Role.PHYSIOTHERAPIST, Role.COORDINATOR)
@require_POST
def referral_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    spec = _action_or_404(request, action)
    referral = get_object_or_404(Referral.objects.with_people(), pk=pk)
    if not Referral.objects.visible_to(request.user).filter(pk=pk).exists():
        if not has_role(request.user, Role.COORDINATOR):
            raise Http404
        mine = coordinator_campus(request.user)
        if referral.campus_id is not None and (mine is None or referral.campus_id != mine.pk):
            message = _(
                "This referral belongs to another campus; only its own coordinators can act on it."
            )
        else:
            message = _("This referral has not been sent yet: only physiotherapists act on it.")
        return render(request, "referrals/refused.html", {"message": message}, status=403)
    detail_url = reverse("referrals:detail", args=[referral.pk])
    form = _make_form(action, referral, request.POST)
    if form is not None and not form.is_valid():
        if _is_htmx(request):
            return _row_response(request, referral, form=form, form_action=action)
        audit.log_read(request, referral)
        return _render_detail(request, referral, bound={action: form}, status=400)
    try:
        spec.run(referral, request.user, form.cleaned_data if form is not None else {})
    except services.WrongCampus as refused:
        return render(request, "referrals/refused.html", {"message": refused.message}, status=403)
    except services.ReferralError as refused:
        if _is_htmx(request):
            return _row_response(request, referral, error=refused.message)
        messages.error(request, refused.message)
        return redirect(safe_next(request, detail_url))
    if _is_htmx(request):
        return _row_response(request, referral, done=_done_message(action))
    messages.success(request, _done_message(action))
    return redirect(safe_next(request, detail_url))


@role_required(Role.PHYSIOTHERAPIST, Role.COORDINATOR)
@require_GET
def action_form(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """The form of one action inside its table row (htmx); without htmx, the referral page."""
    _action_or_404(request, action)
    referral = _get_visible(request, pk)
    if not _is_htmx(request):
        return redirect(reverse("referrals:detail", args=[pk]) + f"#{action}")
    return _row_response(request, referral, form=_make_form(action, referral), form_action=action)


@role_required(Role.PHYSIOTHERAPIST, Role.COORDINATOR)
@require_GET
def referral_row(request: HttpRequest, pk: int) -> HttpResponse:
    """One dashboard row as it is now (htmx: closing an inline form)."""
    return _row_response(request, _get_visible(request, pk))


# --- pages --------------------------------------------------------------------------------


def _available_actions(request: HttpRequest, referral: Referral) -> list[str]:
    user = request.user
    mine = coordinator_campus(user) if has_role(user, Role.COORDINATOR) else None
    available = []
    for action, spec in ACTIONS.items():
        if not has_role(user, *spec.roles):
            continue
        if action == ReferralAction.LETTER:
            if referral.is_active:
                available.append(action)
            continue
        if not referral.can(action):
            continue
        coordinator_only = spec.roles == (Role.COORDINATOR,)
        if coordinator_only or not has_role(user, Role.PHYSIOTHERAPIST):
            unassigned_take = action == ReferralAction.ACCEPT and referral.campus_id is None
            if mine is None or not (unassigned_take or referral.campus_id == mine.pk):
                continue
        available.append(action)
    return available


def _render_detail(
    request: HttpRequest,
    referral: Referral,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    available = _available_actions(request, referral)
    action_forms = [
        (action, bound.get(action) or _make_form(action, referral)) for action in available
    ]
    events = referral.events.select_related("by", "from_campus", "to_campus")
    letters = referral.letters.without_pdf().select_related("created_by", "campus")
    context = {
        "referral": referral,
        "patient": referral.episode.patient,
        "slot_week": _slot_week(request, referral) if ReferralAction.BOOK in available else None,
        "events": events,
        "letters": letters,
        "action_forms": action_forms,
        "action_labels": dict(ReferralAction.choices),
        "waits": campus_waits(),
        "is_physio": has_role(request.user, Role.PHYSIOTHERAPIST),
        "today": _today(),
        "gp_form": bound.get("gp") or GpForm(instance=referral.episode.patient),
    }
    return render(request, "referrals/detail.html", context, status=status)


def _slot_week(request: HttpRequest, referral: Referral) -> dict[str, Any]:
    """The campus's week of slots to book from (``?week=YYYY-MM-DD``, default this week)."""
    now = timezone.localtime()
    try:
        shown = date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        shown = now.date()
    monday = slots.monday_of(shown)
    last = monday + timedelta(days=6)
    templates = [
        slots.SlotTemplate(s.weekday, s.start, s.minutes)
        for s in AppointmentSlot.objects.filter(campus=referral.campus)
    ]
    booked = Referral.objects.booked_between(referral.campus, monday, last).values_list(
        "appointment_date", "appointment_time"
    )
    mine = None
    if referral.state == ReferralState.BOOKED:
        mine = (referral.appointment_date, referral.appointment_time)
    days = slots.week(templates, monday, booked=booked, now=now.replace(tzinfo=None), mine=mine)
    return {
        "days": [day for day in days if day.slots or day.day.weekday() < 5],
        "has_template": bool(templates),
        "monday": monday,
        "sunday": last,
        "previous": (monday - timedelta(days=7)).isoformat(),
        "next": (monday + timedelta(days=7)).isoformat(),
        "is_current": monday <= now.date() <= last,
    }


@role_required(Role.PHYSIOTHERAPIST, Role.COORDINATOR)
@require_GET
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _get_visible(request, pk)
    audit.log_read(request, referral)
    return _render_detail(request, referral)


@role_required(Role.COORDINATOR)
@require_GET
def coordinator_home(request: HttpRequest) -> HttpResponse:
    campus = coordinator_campus(request.user)
    filter_form = referral_forms.StateFilterForm(request.GET or None)
    state = filter_form.selected()
    referrals = Referral.objects.none()
    if campus is not None:
        referrals = Referral.objects.for_campus(campus).exclude(state=ReferralState.PROPOSED)
        if state == referral_forms.OPEN:
            referrals = referrals.filter(state__in=OPEN_STATES)
        elif state != referral_forms.ALL:
            referrals = referrals.filter(state=state)
    unassigned = Referral.objects.unassigned().with_people()
    # One grouped count gives the campus loads and the size of the no-campus queue.
    counts = Referral.objects.open_counts_by_campus(unassigned=True)
    waits = campus_waits(counts)
    context = {
        "campus": campus,
        "filter_form": filter_form,
        "state": state,
        "page": slice_page(request, referrals.with_people().oldest_first()),
        "unassigned": list(unassigned[: page_size()]),
        "unassigned_total": counts.get(None, 0),
        "wait": next((w for w in waits if campus and w.campus.pk == campus.pk), None),
        "waits": waits,
        "none_accepting": not any(w.accepting for w in waits),
        "today": _today(),
    }
    shown = [r.episode.patient_id for r in context["page"]]
    audit.log_listed(
        request, shown + [r.episode.patient_id for r in context["unassigned"]], page="coordinator"
    )
    return render(request, "referrals/coordinator_home.html", context)


@role_required(Role.PHYSIOTHERAPIST)
@require_GET
def proposals(request: HttpRequest) -> HttpResponse:
    """Proposed referrals to approve (oldest first), and the others by state: those of
    the physiotherapist's episodes (``Referral.objects.visible_to``)."""
    filter_form = referral_forms.StateFilterForm(request.GET or None)
    state = filter_form.selected(default=ReferralState.PROPOSED)
    referrals = (
        Referral.objects.visible_to(request.user).with_people().select_related("episode__physio")
    )
    if state == referral_forms.OPEN:
        referrals = referrals.filter(state__in=OPEN_STATES)
    elif state != referral_forms.ALL:
        referrals = referrals.filter(state=state)
    waits = campus_waits()
    context = {
        "filter_form": filter_form,
        "state": state,
        "page": page_of(request, referrals.order_by("created_at", "id")),
        "unassigned_total": Referral.objects.unassigned().count(),
        "waits": waits,
        "none_accepting": not any(w.accepting for w in waits),
    }
    audit.log_listed(request, [r.episode.patient_id for r in context["page"]], page="proposals")
    return render(request, "referrals/proposals.html", context)


@role_required(Role.PHYSIOTHERAPIST)
@require_http_methods(["GET", "POST"])
def episode_referral(request: HttpRequest, episode_id: int) -> HttpResponse:
    """The episode's active referral, or the form to propose one: only for the
    physiotherapist's own episode in treatment (``changeable_by``); any other episode
    is a 404 like a missing one."""
    episode = get_object_or_404(
        Episode.objects.changeable_by(request.user).select_related("patient"), pk=episode_id
    )
    active = episode.referrals.active().first()
    if active is not None:
        return redirect("referrals:detail", active.pk)
    form = referral_forms.ProposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.propose_referral(
                episode,
                source=ReferralSource.PHYSIO,
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except services.ReferralError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request, _("Referral proposed. Check the letter, then approve and send it.")
            )
            return redirect("referrals:detail", referral.pk)
    past = episode.referrals.select_related("campus").order_by("-created_at")
    audit.log_read(request, episode, action=ReadAction.EDIT_FORM)
    return render(
        request,
        "referrals/propose.html",
        {"episode": episode, "patient": episode.patient, "form": form, "past": past},
    )


@role_required(Role.PHYSIOTHERAPIST, Role.COORDINATOR)
@require_GET
def letter_download(request: HttpRequest, pk: int, version: int | None = None) -> HttpResponse:
    referral = _get_visible(request, pk)
    letters = ReferralLetter.objects.filter(referral=referral)
    letter = (
        get_object_or_404(letters, version=version)
        if version is not None
        else letters.order_by("-version").first()
    )
    if letter is None:
        raise Http404
    audit.log_read(request, letter, action=ReadAction.EXPORT)
    response = HttpResponse(bytes(letter.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{letter.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(Role.MANAGER, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def capacity(request: HttpRequest) -> HttpResponse:
    """Weekly capacity and 'accepting referrals' per campus, with the change log."""
    bound_pk = None
    bound_form = None
    campus = _posted_campus(request) if request.method == "POST" else None
    refused = request.method == "POST" and campus is None
    if refused:
        messages.error(request, _("Choose one of the campuses below."))
    if campus is not None:
        bound_pk = campus.pk
        bound_form = referral_forms.CapacityForm(
            request.POST, prefix=f"c{campus.pk}", instance=campus
        )
        if bound_form.is_valid():
            change = services.update_campus_capacity(
                campus,
                weekly_capacity=bound_form.cleaned_data["weekly_capacity"],
                accepting=bound_form.cleaned_data["accepting_referrals"],
                by=request.user,
            )
            if change is None:
                messages.info(request, _("Nothing changed."))
            else:
                messages.success(
                    request, _("%(campus)s: settings saved.") % {"campus": campus.name}
                )
            return redirect("referrals:capacity")
    waits = campus_waits()
    rows = []
    for wait in waits:
        form = (
            bound_form
            if wait.campus.pk == bound_pk
            else referral_forms.CapacityForm(prefix=f"c{wait.campus.pk}", instance=wait.campus)
        )
        rows.append((wait, form))
    changes = CampusCapacityChange.objects.select_related("campus", "changed_by")[
        :CAPACITY_LOG_ROWS
    ]
    return render(
        request,
        "referrals/capacity.html",
        {
            "rows": rows,
            "changes": changes,
            "none_accepting": not any(w.accepting for w in waits),
        },
        status=400 if bound_form is not None or refused else 200,
    )


@require_POST
@role_required(Role.PHYSIOTHERAPIST)
def referral_gp(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the patient's GP (or that there is none known) on a proposal, and make the
    letter that was waiting for it."""
    referral = _get_visible(request, pk)
    form = GpForm(request.POST, instance=referral.episode.patient)
    if not form.is_valid():
        return _render_detail(request, referral, bound={"gp": form}, status=400)
    intake_services.update_patient(form)
    if referral.is_active and not referral.letters.exists():
        services.regenerate_letter(referral, by=request.user)
    messages.success(request, _("The GP is recorded; the letter is ready."))
    return redirect("referrals:detail", referral.pk)


def _posted_campus(request: HttpRequest) -> Campus | None:
    """The campus the form names, or None for anything else ("abc", an unknown id)."""
    value = request.POST.get("campus", "")
    if not (value.isascii() and value.isdigit() and len(value) < 10):
        return None
    return Campus.objects.filter(pk=int(value)).first()
