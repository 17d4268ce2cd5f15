"""Referral workflows: propose, send, accept, book, see, close, decline, redirect, cancel.

Each service is one transaction. Every step on an existing referral first locks its row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers anyway) and checks
the transition against the *locked* state, so two people acting at once cannot corrupt
it: the second one is refused with a clear message. Every step leaves a
``ReferralEvent``. A refused action raises a ``ReferralError`` whose ``message`` is
written for the person who tried it.
"""

import logging
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clinics.access import coordinator_campus, has_role
from clinics.models import Campus, Role
from intake.models import Episode
from outbox.services import Attachment, queue_email
from referrals import ics, routing, slots
from referrals.letter import build_letter_pdf
from referrals.models import (
    CAMPUS_BY_REDIRECT,
    CAMPUS_BY_STAFF,
    CAMPUS_TAKEN,
    TRANSITIONS,
    AppointmentSlot,
    CampusCapacityChange,
    Referral,
    ReferralAction,
    ReferralEvent,
    ReferralLetter,
    ReferralSource,
    ReferralState,
)
from referrals.waits import campus_loads

logger = logging.getLogger(__name__)

PATIENT_EMAIL_TEMPLATE = "referral_sent"
BOOKED_TEMPLATE = "appointment_booked"
MOVED_TEMPLATE = "appointment_moved"
CANCELLED_TEMPLATE = "appointment_cancelled"
REMINDER_TEMPLATE = "appointment_reminder"
# The reminder goes out at 09:00 local time, two days before the appointment day.
REMINDER_DAYS_BEFORE = 2
REMINDER_AT = time(9, 0)
REMINDER_BATCH_SIZE = 100
APPOINTMENT_EVENTS = (ReferralAction.BOOK, ReferralAction.UNBOOK, ReferralAction.CANCEL)

ACTION_VERBS = {
    ReferralAction.SEND: _("approve and send"),
    ReferralAction.ACCEPT: _("accept"),
    ReferralAction.BOOK: _("book an appointment for"),
    ReferralAction.SEEN: _("mark as seen"),
    ReferralAction.CLOSE: _("close"),
    ReferralAction.DECLINE: _("decline"),
    ReferralAction.REDIRECT: _("redirect"),
    ReferralAction.CANCEL: _("cancel"),
    ReferralAction.UNBOOK: _("cancel the appointment of"),
}


class ReferralError(Exception):
    """A refused referral action; ``message`` says why, for the person who tried it."""

    def __init__(self, message: Any) -> None:
        self.message = message
        super().__init__(str(message))


class IllegalTransition(ReferralError):
    pass


class WrongCampus(ReferralError):
    pass


class BookingRefused(ReferralError):
    pass


class GpNotRecorded(ReferralError):
    """The letter is addressed to the GP: staff name them, or mark them unknown, first."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Record the patient's GP, or tick \"GP unknown\" on the patient's record, "
                "before the referral letter is made."
            )
        )


def _check_gp(referral: Referral) -> None:
    if not referral.episode.patient.gp_known:
        raise GpNotRecorded()


# --- helpers ------------------------------------------------------------------------------


def _lock(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().get(pk=referral.pk)


def _check_transition(referral: Referral, action: str) -> None:
    if not referral.can(action):
        raise IllegalTransition(
            _("You cannot %(verb)s this referral: it is %(state)s.")
            % {"verb": ACTION_VERBS[action], "state": referral.get_state_display()}
        )


def _check_campus(referral: Referral, by: Any) -> None:
    """Only a coordinator of the referral's campus acts on it."""
    mine = coordinator_campus(by)
    if mine is None:
        raise WrongCampus(_("Your account is not linked to a campus; ask an administrator."))
    if referral.campus_id != mine.pk:
        owner = referral.campus.name if referral.campus else _("no campus")
        raise WrongCampus(
            _(
                "This referral belongs to %(owner)s, not to %(mine)s; "
                "only its coordinators can act on it."
            )
            % {"owner": owner, "mine": mine.name}
        )


def _required(text: str, message: Any) -> str:
    text = (text or "").strip()
    if not text:
        raise ReferralError(message)
    return text


def _record(
    referral: Referral,
    action: str,
    *,
    from_state: str,
    from_campus: Campus | None,
    by: Any,
    note: str = "",
    at: datetime | None = None,
) -> ReferralEvent:
    return ReferralEvent.objects.create(
        referral=referral,
        action=action,
        from_state=from_state,
        to_state=referral.state,
        from_campus=from_campus,
        to_campus=referral.campus,
        note=note[:500],
        by=by,
        at=at or timezone.now(),
    )


def _move(
    referral: Referral, action: str, *, by: Any, note: str = "", **changes: Any
) -> ReferralEvent:
    """Apply ``action`` to a locked referral: new state, ``changes``, saved, event written."""
    from_state, from_campus = referral.state, referral.campus
    now = timezone.now()
    referral.state = TRANSITIONS[action][1]
    referral.state_changed_at = now
    for name, value in changes.items():
        setattr(referral, name, value)
    referral.save()
    return _record(
        referral, action, from_state=from_state, from_campus=from_campus, by=by, note=note, at=now
    )


def _store_letter(referral: Referral, by: Any) -> ReferralLetter:
    """A new version of the letter; the caller holds the referral's lock."""
    last = referral.letters.aggregate(last=Max("version"))["last"] or 0
    return ReferralLetter.objects.create(
        referral=referral,
        version=last + 1,
        language=referral.episode.patient.language,
        campus=referral.campus,
        pdf=build_letter_pdf(referral),
        created_by=by,
    )


def _email_patient(referral: Referral, event: ReferralEvent) -> bool:
    """Queue the "your referral was sent" e-mail through the outbox, once per event."""
    patient = referral.episode.patient
    if referral.campus is None or not patient.can_receive_email:
        return False
    campus = referral.campus
    queue_email(
        to=patient.email,
        language=patient.language,
        template=PATIENT_EMAIL_TEMPLATE,
        context={
            "first_name": patient.first_name,
            "campus_name": campus.name,
            "campus_phone": campus.phone,
            "campus_address": campus.address,
            "referral_id": referral.pk,
        },
        idempotency_key=f"referral-{referral.pk}-sent-{event.pk}",
        patient_id=patient.pk,
    )
    Referral.objects.filter(pk=referral.pk).update(patient_emailed_at=event.at)
    referral.patient_emailed_at = event.at
    return True


def _route(episode: Episode) -> tuple[routing.CampusChoice, Campus | None]:
    patient = episode.patient
    preference = patient.campus_preference.code if patient.campus_preference_id else None
    choice = routing.choose_campus(preference, patient.postcode, campus_loads())
    campus = Campus.objects.get(code=choice.code) if choice.code else None
    if campus is None:
        logger.warning("no campus is accepting referrals: episode %s waits unassigned", episode.pk)
    return choice, campus


def _routed_fields(choice: routing.CampusChoice, campus: Campus | None) -> dict[str, Any]:
    return {
        "campus": campus,
        "campus_reason": choice.reason,
        "campus_reason_params": dict(choice.params),
        "campus_rule": choice.rule,
        "campus_rule_version": choice.rule_version,
    }


# --- the lifecycle ------------------------------------------------------------------------


ADULT_AGE = 18


def is_minor(patient: Any, on: date | None = None) -> bool:
    """Under 18 on ``on`` (default: today), the day of the proposal (section 5)."""
    return bool(patient.age_on(on or timezone.localdate()) < ADULT_AGE)


def propose_referral(
    episode: Episode,
    *,
    source: str,
    reason: str,
    by: Any = None,
    follow_up: Any = None,
) -> Referral:
    """Propose a pain-clinic referral for ``episode``, or return its active one.

    Idempotent per episode: an episode has at most one active referral (a database
    constraint too), so calling this twice, or from two places at once, gives the same
    referral. The campus is chosen now (``routing.choose_campus``) and its reason kept;
    when no campus accepts, the referral waits in the "no campus available" queue.
    ``by`` is None when the six-week follow-up proposes it; ``follow_up`` is the
    follow-up whose persistent outcome led to it, if any.
    """
    if source not in ReferralSource.values:
        raise ValueError(f"unknown referral source {source!r}")
    if is_minor(episode.patient):
        raise ReferralError(
            _(
                "The pain clinic treats adults: no referral for a patient under 18."
                " Send the patient back to the GP."
            )
        )
    reason = _required(reason, _("Give the reason for the referral."))
    with transaction.atomic():
        # Serialises proposals for the same episode (PostgreSQL); the partial unique
        # constraint is the backstop.
        Episode.objects.select_for_update().filter(pk=episode.pk).exists()
        existing = Referral.objects.active().filter(episode=episode).first()
        if existing is not None:
            return existing
        choice, campus = _route(episode)
        now = timezone.now()
        try:
            with transaction.atomic():
                referral = Referral.objects.create(
                    episode=episode,
                    source=source,
                    follow_up=follow_up,
                    reason=reason,
                    created_at=now,
                    created_by=by,
                    state_changed_at=now,
                    **_routed_fields(choice, campus),
                )
        except IntegrityError:
            return Referral.objects.active().get(episode=episode)
        _record(
            referral,
            ReferralAction.PROPOSE,
            from_state="",
            from_campus=None,
            by=by,
            note=choice.reason,
            at=now,
        )
        # The six-week follow-up proposes without staff: no letter to nobody. Staff
        # record the GP on the patient's record before approving (``send_referral``).
        if episode.patient.gp_known:
            _store_letter(referral, by)
        return referral


def send_referral(
    referral: Referral, *, by: Any, campus: Campus | None = None, campus_change_reason: str = ""
) -> Referral:
    """Approve a proposal and send it to its campus (or to ``campus``, with a reason).

    Without a chosen campus, a proposal whose campus has stopped accepting (or that had
    none) is routed again. Sent without any campus accepting, it waits in the "no campus
    available" queue and the patient is e-mailed once a campus takes it.
    """
    with transaction.atomic():
        locked = _lock(referral)
        _check_transition(locked, ReferralAction.SEND)
        _check_gp(locked)
        changes: dict[str, Any] = {}
        note = ""
        if campus is not None and campus.pk != locked.campus_id:
            note = _required(
                campus_change_reason, _("Give a reason for sending it to another campus.")
            )
            changes = {
                "campus": campus,
                "campus_reason": note,
                "campus_reason_params": {},
                "campus_rule": CAMPUS_BY_STAFF,
                "campus_rule_version": "",
            }
        elif campus is None and (locked.campus is None or not locked.campus.accepting_referrals):
            choice, routed = _route(locked.episode)
            changes = _routed_fields(choice, routed)
            note = choice.reason
        now = timezone.now()
        event = _move(
            locked, ReferralAction.SEND, by=by, note=note, sent_at=now, sent_by=by, **changes
        )
        _store_letter(locked, by)
        _email_patient(locked, event)
        return locked


def accept_referral(referral: Referral, *, by: Any) -> Referral:
    """The coordinator accepts a sent referral; an unassigned one is taken for their campus."""
    with transaction.atomic():
        locked = _lock(referral)
        _check_transition(locked, ReferralAction.ACCEPT)
        if locked.campus_id is None:
            mine = coordinator_campus(by)
            if mine is None:
                raise WrongCampus(
                    _("Your account is not linked to a campus; ask an administrator.")
                )
            event = _move(
                locked,
                ReferralAction.ACCEPT,
                by=by,
                note=f"taken by {mine.name} from the no-campus-available queue",
                campus=mine,
                campus_reason=f"taken by {mine.name} from the no-campus-available queue",
                campus_reason_params={"campus": mine.name},
                campus_rule=CAMPUS_TAKEN,
                campus_rule_version="",
            )
            _store_letter(locked, by)
            _email_patient(locked, event)
            return locked
        _check_campus(locked, by)
        _move(locked, ReferralAction.ACCEPT, by=by)
        return locked


def _local(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def book_appointment(
    referral: Referral, *, by: Any, day: date, at: time, place: str = ""
) -> Referral:
    """Book (or move) the appointment; refuses the past and a slot already taken."""
    if _local(day, at) <= timezone.now():
        raise BookingRefused(_("The appointment must be in the future."))
    with transaction.atomic():
        locked = _lock(referral)
        _check_transition(locked, ReferralAction.BOOK)
        _check_campus(locked, by)
        taken = (
            Referral.objects.filter(
                campus=locked.campus,
                state=ReferralState.BOOKED,
                appointment_date=day,
                appointment_time=at,
            )
            .exclude(pk=locked.pk)
            .exists()
        )
        slot_message = _(
            "%(campus)s already has an appointment on %(day)s at %(time)s. Choose another time."
        ) % {
            "campus": locked.campus.name,
            "day": day.strftime("%d/%m/%Y"),
            "time": at.strftime("%H:%M"),
        }
        if taken:
            raise BookingRefused(slot_message)
        place = (place or "").strip() or locked.campus.address or locked.campus.name
        moved_from = (
            (locked.appointment_date, locked.appointment_time)
            if locked.state == ReferralState.BOOKED
            else None
        )
        if moved_from == (day, at) and place == locked.appointment_place:
            return locked  # nothing changes: no event, no second e-mail
        try:
            with transaction.atomic():
                event = _move(
                    locked,
                    ReferralAction.BOOK,
                    by=by,
                    note=f"{day:%d/%m/%Y} {at:%H:%M} · {place}",
                    appointment_date=day,
                    appointment_time=at,
                    appointment_place=place,
                    reminder_due_at=_reminder_due(locked, day),
                    reminder_sent_at=None,
                )
        except IntegrityError as exc:
            # Another coordinator booked the same slot for another referral meanwhile.
            raise BookingRefused(slot_message) from exc
        template = MOVED_TEMPLATE if moved_from else BOOKED_TEMPLATE
        _email_appointment(locked, template, key=f"event-{event.pk}", moved_from=moved_from)
        return locked


def cancel_appointment(referral: Referral, *, by: Any, reason: str) -> Referral:
    """Cancel the booked appointment but keep the referral (accepted, to book again);
    the patient is told, with a calendar cancellation."""
    reason = _required(reason, _("Give the reason for cancelling the appointment."))
    with transaction.atomic():
        locked = _lock(referral)
        _check_transition(locked, ReferralAction.UNBOOK)
        _check_campus(locked, by)
        cancelled = (locked.appointment_date, locked.appointment_time)
        event = _move(
            locked,
            ReferralAction.UNBOOK,
            by=by,
            note=reason,
            appointment_date=None,
            appointment_time=None,
            appointment_place="",
            reminder_due_at=None,
        )
        _email_appointment(locked, CANCELLED_TEMPLATE, key=f"event-{event.pk}", at=cancelled)
        return locked


def _reminder_due(referral: Referral, day: date) -> datetime | None:
    """When the reminder goes out: 09:00 two days before; None when that moment has
    passed (the confirmation is the reminder) or the patient gets no e-mail."""
    if not referral.episode.patient.can_receive_email:
        return None
    due = _local(day - timedelta(days=REMINDER_DAYS_BEFORE), REMINDER_AT)
    return due if due > timezone.now() else None


def send_due_reminders(
    now: datetime | None = None, *, batch_size: int = REMINDER_BATCH_SIZE
) -> int:
    """Queue the reminders that are due (the beat task's work); returns how many.

    Rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL), marked sent in
    the same transaction that writes the outbox row, and the outbox key is unique per
    appointment: two sweepers at once never remind twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Referral.objects.reminders_due(now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("episode__patient", "campus")[:batch_size]
        )
        for referral in due:
            if referral.episode.patient.can_receive_email:
                _email_appointment(referral, REMINDER_TEMPLATE, key="reminder")
        Referral.objects.filter(pk__in=[r.pk for r in due]).update(reminder_sent_at=now)
    return len(due)


def _email_appointment(
    referral: Referral,
    template: str,
    *,
    key: str,
    at: tuple[date, time] | None = None,
    moved_from: tuple[date, time] | None = None,
) -> bool:
    """Queue an appointment e-mail (booked, moved, cancelled, reminder) with its ``.ics``."""
    patient = referral.episode.patient
    if not patient.can_receive_email:
        return False
    campus = referral.campus
    day, start = at or (referral.appointment_date, referral.appointment_time)
    cancelled = template == CANCELLED_TEMPLATE
    place = "" if cancelled else referral.appointment_place
    with translation.override(patient.language):
        context = {
            "first_name": patient.first_name,
            "campus_name": campus.name,
            "campus_phone": campus.phone,
            "campus_address": campus.address,
            "place": place if place not in (campus.address, campus.name) else "",
            "date_text": appointment_day_text(day),
            "time_text": f"{start:%H:%M}",
            "referral_id": referral.pk,
        }
        if moved_from is not None:
            context["old_date_text"] = appointment_day_text(moved_from[0])
            context["old_time_text"] = f"{moved_from[1]:%H:%M}"
        attachment = _calendar_attachment(referral, day, start, place, cancelled=cancelled)
    stamp = f"{day.isoformat()}T{start:%H:%M}"
    queue_email(
        to=patient.email,
        language=patient.language,
        template=template,
        context=context,
        idempotency_key=f"referral-{referral.pk}-{template}-{key}-{stamp}",
        patient_id=patient.pk,
        reference=f"referral:{referral.pk}",
        attachments=[attachment],
    )
    return True


def appointment_day_text(day: date) -> str:
    """The appointment day as the patient reads it, in the active language
    ("donderdag 3 december 2026")."""
    return formats.date_format(day, "l j F Y")


def _calendar_attachment(
    referral: Referral, day: date, start: time, place: str, *, cancelled: bool
) -> Attachment:
    campus = referral.campus
    templates = [
        slots.SlotTemplate(s.weekday, s.start, s.minutes)
        for s in AppointmentSlot.objects.filter(campus=campus, weekday=day.weekday())
    ]
    sequence = referral.events.filter(action__in=APPOINTMENT_EVENTS).count()
    host = urlsplit(settings.SITE_URL).hostname or "backpath"
    location = ", ".join(part for part in (place, campus.address) if part) or campus.name
    event = ics.CalendarEvent(
        uid=f"referral-{referral.pk}-appointment@{host}",
        start=_local(day, start),
        minutes=slots.slot_minutes(templates, day, start),
        summary=gettext("Pain clinic appointment, campus %(campus)s") % {"campus": campus.name},
        location=location,
        description=gettext("Questions or cannot come? Call campus %(campus)s: %(phone)s.")
        % {"campus": campus.name, "phone": campus.phone},
        sequence=sequence,
        stamp=timezone.now(),
        cancelled=cancelled,
    )
    return Attachment(filename=ics.FILENAME, mimetype=ics.MIMETYPE, content=ics.calendar(event))


def mark_seen(referral: Referral, *, by: Any) -> Referral:
    with transaction.atomic():
        locked = _lock(referral)
        _check_transition(locked, ReferralAction.SEEN)
        _check_campus(locked, by)
        if locked.appointment_date and locked.appointment_date > timezone.localdate():
            raise IllegalTransition(
                _("The appointment is on %(day)s; the patient cannot be marked seen before then.")
                % {"day": locked.appointment_date.strftime("%d/%m/%Y")}
            )
        _move(locked, ReferralAction.SEEN, by=by)
        return locked


def close_referral(referral: Referral, *, by: Any, note: str = "") -> Referral:
    with transaction.atomic():
        locked = _lock(referral)
        _check_transition(locked, ReferralAction.CLOSE)
        _check_campus(locked, by)
        _move(locked, ReferralAction.CLOSE, by=by, note=(note or "").strip())
        return locked


def decline_referral(referral: Referral, *, by: Any, reason: str) -> Referral:
    reason = _required(reason, _("Give the reason for declining."))
    with transaction.atomic():
        locked = _lock(referral)
        _check_transition(locked, ReferralAction.DECLINE)
        _check_campus(locked, by)
        _move(locked, ReferralAction.DECLINE, by=by, note=reason, end_reason=reason)
        return locked


def redirect_referral(referral: Referral, *, by: Any, campus: Campus, reason: str) -> Referral:
    """Send the referral on to another campus, which finds it in its incoming queue."""
    reason = _required(reason, _("Give the reason for redirecting."))
    with transaction.atomic():
        locked = _lock(referral)
        _check_transition(locked, ReferralAction.REDIRECT)
        _check_campus(locked, by)
        if campus.pk == locked.campus_id:
            raise ReferralError(_("Choose another campus than the referral's own."))
        if not campus.accepting_referrals:
            raise ReferralError(
                _("%(campus)s is not accepting referrals now.") % {"campus": campus.name}
            )
        event = _move(
            locked,
            ReferralAction.REDIRECT,
            by=by,
            note=reason,
            campus=campus,
            campus_reason=reason,
            campus_reason_params={},
            campus_rule=CAMPUS_BY_REDIRECT,
            campus_rule_version="",
        )
        _store_letter(locked, by)
        _email_patient(locked, event)
        return locked


def cancel_referral(referral: Referral, *, by: Any, reason: str) -> Referral:
    """Physiotherapists cancel any active referral; coordinators only their campus's."""
    reason = _required(reason, _("Give the reason for cancelling."))
    with transaction.atomic():
        locked = _lock(referral)
        _check_transition(locked, ReferralAction.CANCEL)
        if not has_role(by, Role.PHYSIOTHERAPIST):
            _check_campus(locked, by)
        was_booked = locked.state == ReferralState.BOOKED
        appointment = (locked.appointment_date, locked.appointment_time)
        event = _move(
            locked,
            ReferralAction.CANCEL,
            by=by,
            note=reason,
            end_reason=reason,
            reminder_due_at=None,
        )
        if was_booked:
            _email_appointment(locked, CANCELLED_TEMPLATE, key=f"event-{event.pk}", at=appointment)
        return locked


def regenerate_letter(referral: Referral, *, by: Any) -> ReferralLetter:
    """A fresh letter version (new treatment sessions, a follow-up answered since)."""
    with transaction.atomic():
        locked = _lock(referral)
        if not locked.is_active:
            raise IllegalTransition(
                _("The letter of a %(state)s referral is not made again.")
                % {"state": locked.get_state_display()}
            )
        _check_gp(locked)
        letter = _store_letter(locked, by)
        _record(
            locked,
            ReferralAction.LETTER,
            from_state=locked.state,
            from_campus=locked.campus,
            by=by,
            note=f"v{letter.version}",
        )
        return letter


# --- capacity -----------------------------------------------------------------------------


def log_capacity_change(
    campus: Campus, *, old_weekly_capacity: int, old_accepting: bool, by: Any
) -> CampusCapacityChange | None:
    """Record a capacity change already saved on ``campus``; None when nothing changed."""
    if (old_weekly_capacity, old_accepting) == (campus.weekly_capacity, campus.accepting_referrals):
        return None
    if not campus.accepting_referrals and not Campus.objects.accepting().exists():
        logger.warning("no campus is accepting referrals after %s stopped", campus.code)
    return CampusCapacityChange.objects.create(
        campus=campus,
        changed_by=by,
        old_weekly_capacity=old_weekly_capacity,
        new_weekly_capacity=campus.weekly_capacity,
        old_accepting=old_accepting,
        new_accepting=campus.accepting_referrals,
    )


@transaction.atomic
def update_campus_capacity(
    campus: Campus, *, weekly_capacity: int, accepting: bool, by: Any
) -> CampusCapacityChange | None:
    """Set a campus's weekly capacity and whether it accepts referrals, logged."""
    locked = Campus.objects.select_for_update().get(pk=campus.pk)
    old_weekly_capacity, old_accepting = locked.weekly_capacity, locked.accepting_referrals
    locked.weekly_capacity = weekly_capacity
    locked.accepting_referrals = accepting
    locked.save(update_fields=["weekly_capacity", "accepting_referrals"])
    return log_capacity_change(
        locked, old_weekly_capacity=old_weekly_capacity, old_accepting=old_accepting, by=by
    )
