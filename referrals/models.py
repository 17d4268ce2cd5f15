"""Pain-clinic referrals: the referral, its history, its letters, and capacity changes.

A referral moves through ``ReferralState`` along ``TRANSITIONS`` only; every move is
made by a service in ``referrals.services`` under a row lock and leaves a
``ReferralEvent`` with who did it and when.
"""

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from clinics.access import coordinator_campus, user_roles
from clinics.models import Role
from referrals import routing


class ReferralState(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    SENT = "sent", _("approved and sent")
    ACCEPTED = "accepted", _("accepted")
    BOOKED = "booked", _("appointment booked")
    SEEN = "seen", _("seen")
    CLOSED = "closed", _("closed")
    DECLINED = "declined", _("declined")
    CANCELLED = "cancelled", _("cancelled")


# A referral is "active" until it is closed, declined or cancelled: an episode has at
# most one active referral. "Open" referrals are on a campus's waiting list: they count
# for the expected wait (open referrals ÷ weekly capacity).
ACTIVE_STATES = (
    ReferralState.PROPOSED,
    ReferralState.SENT,
    ReferralState.ACCEPTED,
    ReferralState.BOOKED,
    ReferralState.SEEN,
)
OPEN_STATES = (ReferralState.SENT, ReferralState.ACCEPTED, ReferralState.BOOKED)


class ReferralAction(models.TextChoices):
    PROPOSE = "propose", _("proposed")
    SEND = "send", _("approved and sent")
    ACCEPT = "accept", _("accepted")
    BOOK = "book", _("appointment booked")
    SEEN = "seen", _("seen at the pain clinic")
    CLOSE = "close", _("closed")
    DECLINE = "decline", _("declined")
    REDIRECT = "redirect", _("redirected to another campus")
    CANCEL = "cancel", _("cancelled")
    LETTER = "letter", _("letter regenerated")
    UNBOOK = "unbook", _("appointment cancelled")


# action -> (states it may start from, state it leads to). A redirect puts the referral
# back into "sent" at the other campus; booking again from "booked" reschedules;
# cancelling the appointment ("unbook") keeps the referral, accepted, to book again.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    ReferralAction.SEND: ((ReferralState.PROPOSED,), ReferralState.SENT),
    ReferralAction.ACCEPT: ((ReferralState.SENT,), ReferralState.ACCEPTED),
    ReferralAction.BOOK: ((ReferralState.ACCEPTED, ReferralState.BOOKED), ReferralState.BOOKED),
    ReferralAction.UNBOOK: ((ReferralState.BOOKED,), ReferralState.ACCEPTED),
    ReferralAction.SEEN: ((ReferralState.BOOKED,), ReferralState.SEEN),
    ReferralAction.CLOSE: ((ReferralState.SEEN,), ReferralState.CLOSED),
    ReferralAction.DECLINE: ((ReferralState.SENT, ReferralState.ACCEPTED), ReferralState.DECLINED),
    ReferralAction.REDIRECT: ((ReferralState.SENT, ReferralState.ACCEPTED), ReferralState.SENT),
    ReferralAction.CANCEL: (
        (
            ReferralState.PROPOSED,
            ReferralState.SENT,
            ReferralState.ACCEPTED,
            ReferralState.BOOKED,
        ),
        ReferralState.CANCELLED,
    ),
}


# How the campus was chosen: the routing rules (``referrals.routing``) or by staff.
CAMPUS_BY_STAFF = "manual"
CAMPUS_BY_REDIRECT = "redirect"
CAMPUS_TAKEN = "taken"


class ReferralSource(models.TextChoices):
    FOLLOW_UP = "follow_up", _("six-week follow-up")
    PHYSIO = "physio", _("physiotherapist")


class ReferralQuerySet(models.QuerySet["Referral"]):
    def active(self) -> "ReferralQuerySet":
        """Not closed, declined or cancelled (at most one per episode)."""
        return self.filter(state__in=ACTIVE_STATES)

    def open(self) -> "ReferralQuerySet":
        """On a campus's waiting list: sent, accepted or booked."""
        return self.filter(state__in=OPEN_STATES)

    def proposed(self) -> "ReferralQuerySet":
        return self.filter(state=ReferralState.PROPOSED)

    def for_campus(self, campus: object) -> "ReferralQuerySet":
        return self.filter(campus=campus)

    def unassigned(self) -> "ReferralQuerySet":
        """Sent, but no campus took them: the "no campus available" queue, oldest first."""
        return self.filter(state=ReferralState.SENT, campus__isnull=True).order_by("sent_at", "id")

    def visible_to(self, user: Any) -> "ReferralQuerySet":
        """The referrals ``user`` may open (docs/security.md, "Who may see what").

        A physiotherapist: those of the episodes they treat, and the proposals a
        follow-up made for an episode nobody treats (like the unassigned queue: one of
        them approves or cancels it). A coordinator: their campus's past the proposal
        and the no-campus queue (``visible_to_coordinator``). Nobody else.
        """
        roles = user_roles(user)
        condition = Q(pk__in=[])
        if Role.PHYSIOTHERAPIST in roles:
            condition |= Q(episode__physio=user) | Q(
                state=ReferralState.PROPOSED,
                source=ReferralSource.FOLLOW_UP,
                episode__physio__isnull=True,
            )
        if Role.COORDINATOR in roles:
            condition |= self._coordinator_condition(coordinator_campus(user))
        return self.filter(condition)

    @staticmethod
    def _coordinator_condition(campus: object) -> Q:
        own = Q(campus=campus) & ~Q(state=ReferralState.PROPOSED)
        unassigned = Q(campus__isnull=True, state=ReferralState.SENT)
        return (own | unassigned) if campus is not None else unassigned

    def visible_to_coordinator(self, campus: object) -> "ReferralQuerySet":
        """A coordinator's referrals: their campus past the proposal, and the unassigned queue."""
        return self.filter(self._coordinator_condition(campus))

    def oldest_first(self) -> "ReferralQuerySet":
        return self.order_by(models.F("sent_at").asc(nulls_last=True), "created_at", "id")

    def with_people(self) -> "ReferralQuerySet":
        return self.select_related("episode__patient", "campus")

    def booked_between(self, campus: object, first: object, last: object) -> "ReferralQuerySet":
        """A campus's booked appointments from day ``first`` to day ``last``."""
        return self.filter(
            campus=campus,
            state=ReferralState.BOOKED,
            appointment_date__gte=first,
            appointment_date__lte=last,
        )

    def reminders_due(self, now: object) -> "ReferralQuerySet":
        """Booked appointments whose reminder is due and not sent (``referral_reminder_idx``)."""
        return self.filter(
            state=ReferralState.BOOKED, reminder_due_at__lte=now, reminder_sent_at__isnull=True
        ).order_by("reminder_due_at", "id")

    def open_counts_by_campus(self, *, unassigned: bool = False) -> dict[int | None, int]:
        """{campus id: open referrals}, in one query. With ``unassigned``, the key None
        counts the open referrals no campus took: by the constraints these are the
        ``unassigned()`` queue (sent, no campus)."""
        rows = (
            self.open()
            .filter(Q() if unassigned else Q(campus__isnull=False))
            .values("campus")
            .annotate(n=Count("id"))
            .values_list("campus", "n")
        )
        return dict(rows)


def _wait_text(campus: str, weeks: float | None) -> str:
    if weeks is None:
        return _("%(campus)s: no weekly capacity") % {"campus": campus}
    return _("%(campus)s: %(weeks)s weeks") % {
        "campus": campus,
        "weeks": formats.number_format(weeks, decimal_pos=1),
    }


class Referral(models.Model):
    """A pain-clinic referral of one episode, from proposal to closure."""

    episode = models.ForeignKey(
        "intake.Episode", on_delete=models.PROTECT, related_name="referrals"
    )
    source = models.CharField(_("proposed by"), max_length=20, choices=ReferralSource.choices)
    follow_up = models.ForeignKey(
        "followups.FollowUp",
        verbose_name=_("follow-up"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        help_text=_("The follow-up whose persistent outcome proposed this referral."),
    )
    reason = models.TextField(_("reason for referral"))
    state = models.CharField(
        _("state"), max_length=20, choices=ReferralState.choices, default=ReferralState.PROPOSED
    )
    campus = models.ForeignKey(
        "clinics.Campus",
        verbose_name=_("campus"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    campus_reason = models.CharField(_("why this campus"), max_length=300, blank=True)
    # The values of the campus reason (campus, postcode, expected waits), so that it is
    # shown in the reader's language; ``campus_reason`` keeps the English record.
    campus_reason_params = models.JSONField(default=dict, blank=True)
    campus_rule = models.CharField(max_length=20, blank=True)
    campus_rule_version = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state_changed_at = models.DateTimeField(default=timezone.now)
    appointment_date = models.DateField(_("appointment date"), null=True, blank=True)
    appointment_time = models.TimeField(_("appointment time"), null=True, blank=True)
    appointment_place = models.CharField(_("appointment place"), max_length=200, blank=True)
    end_reason = models.CharField(_("reason"), max_length=500, blank=True)
    patient_emailed_at = models.DateTimeField(_("patient e-mailed at"), null=True, blank=True)
    # The appointment reminder, scheduled in the database and sent by a beat task
    # (``send_appointment_reminders``), never by a broker ETA.
    reminder_due_at = models.DateTimeField(_("reminder due at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(fields=["campus", "state", "sent_at"], name="referral_campus_queue_idx"),
            models.Index(fields=["state", "created_at"], name="referral_state_idx"),
            # The manager's figures count referrals by the day they were sent.
            models.Index(fields=["sent_at"], name="referral_sent_at_idx"),
            # A campus's waiting list (sent, accepted, booked), oldest first.
            models.Index(
                fields=["campus", "sent_at"],
                condition=Q(
                    state__in=[ReferralState.SENT, ReferralState.ACCEPTED, ReferralState.BOOKED]
                ),
                name="referral_open_queue_idx",
            ),
            models.Index(
                fields=["reminder_due_at", "id"],
                condition=Q(state="booked", reminder_sent_at__isnull=True),
                name="referral_reminder_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"],
                condition=Q(state__in=ACTIVE_STATES),
                name="referral_one_active_per_episode",
                violation_error_message=_("This episode already has an active referral."),
            ),
            models.UniqueConstraint(
                fields=["campus", "appointment_date", "appointment_time"],
                condition=Q(state=ReferralState.BOOKED),
                name="referral_one_booking_per_slot",
                violation_error_message=_("This appointment slot is already booked."),
            ),
            models.CheckConstraint(
                condition=~Q(state=ReferralState.BOOKED)
                | Q(appointment_date__isnull=False, appointment_time__isnull=False),
                name="referral_booked_has_slot",
            ),
            models.CheckConstraint(
                condition=Q(state__in=[ReferralState.PROPOSED, ReferralState.SENT])
                | Q(campus__isnull=False)
                | Q(state=ReferralState.CANCELLED),
                name="referral_campus_after_sent",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.episode.patient} → {self.campus or '—'} ({self.state})"

    @property
    def patient(self):  # type: ignore[no-untyped-def]
        return self.episode.patient

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    def campus_reason_text(self) -> str:
        """Why this campus, in the current language (the stored reason is the record)."""
        campus = self.campus.name if self.campus else ""
        texts = {
            routing.PREFERENCE: _("the patient prefers %(campus)s"),
            routing.CATCHMENT: _("postcode %(postcode)s is in the %(campus)s catchment"),
            routing.SHORTEST_WAIT: _("the shortest expected wait (%(reason)s)"),
            routing.NONE: _("no campus is accepting referrals"),
            CAMPUS_BY_STAFF: _("chosen by staff: %(reason)s"),
            CAMPUS_BY_REDIRECT: _("redirected: %(reason)s"),
            CAMPUS_TAKEN: _("taken by %(campus)s from the no-campus-available queue"),
        }
        text = texts.get(self.campus_rule)
        if text is None:
            return self.campus_reason
        params = self.campus_reason_params or {}
        if self.campus_rule == routing.SHORTEST_WAIT and "waits" in params:
            reason = "; ".join(_wait_text(name, weeks) for name, weeks in params["waits"])
        else:
            # Referrals routed before the parameters were stored keep their English detail.
            reason = self.campus_reason.removeprefix("shortest expected wait: ")
        return str(text) % {
            "campus": params.get("campus", campus),
            "postcode": params.get("postcode", self.episode.patient.postcode),
            "reason": reason,
        }

    def can(self, action: str) -> bool:
        """Whether ``action`` is allowed from the current state (see ``TRANSITIONS``)."""
        allowed_from, _to = TRANSITIONS[action]
        return self.state in allowed_from


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class AppointmentSlot(models.Model):
    """One line of a campus's weekly slot template: every <weekday> at <start>, for
    <minutes>. Coordinators book from the free slots of a week (``referrals.slots``);
    an administrator edits the template."""

    campus = models.ForeignKey(
        "clinics.Campus",
        verbose_name=_("campus"),
        on_delete=models.CASCADE,
        related_name="appointment_slots",
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), default=30, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )

    class Meta:
        ordering = ["campus", "weekday", "start"]
        verbose_name = _("appointment slot")
        verbose_name_plural = _("appointment slots")
        constraints = [
            models.UniqueConstraint(
                fields=["campus", "weekday", "start"],
                name="appointment_slot_unique",
                violation_error_message=_("This campus already has a slot at this time."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.campus} · {self.get_weekday_display()} {self.start:%H:%M}"


class ReferralEvent(models.Model):
    """One step in a referral's history: who did what, when, and why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=ReferralAction.choices)
    from_state = models.CharField(max_length=20, choices=ReferralState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=ReferralState.choices)
    from_campus = models.ForeignKey(
        "clinics.Campus", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_campus = models.ForeignKey(
        "clinics.Campus", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system did it (the six-week follow-up)."),
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")

    def __str__(self) -> str:
        return f"{self.referral_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    @property
    def campus_changed(self) -> bool:
        return self.from_campus_id != self.to_campus_id


class ReferralLetterQuerySet(models.QuerySet["ReferralLetter"]):
    def without_pdf(self) -> "ReferralLetterQuerySet":
        return self.defer("pdf")


class ReferralLetter(models.Model):
    """One stored version of the referral letter (a PDF addressed to the patient's GP).

    The PDF is kept in the database, written in the same transaction as the step
    that made it: a letter never exists without its referral step, nor the reverse.
    """

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="letters")
    version = models.PositiveIntegerField()
    language = models.CharField(max_length=2)
    campus = models.ForeignKey(
        "clinics.Campus", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pdf = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ReferralLetterQuerySet.as_manager()

    class Meta:
        ordering = ["referral", "-version"]
        verbose_name = _("referral letter")
        verbose_name_plural = _("referral letters")
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "version"], name="referral_letter_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"referral {self.referral_id} letter v{self.version}"

    @property
    def filename(self) -> str:
        return f"referral-{self.referral_id}-v{self.version}.pdf"


class CampusCapacityChange(models.Model):
    """A change of a campus's weekly capacity or 'accepting referrals', with who and when."""

    campus = models.ForeignKey(
        "clinics.Campus", on_delete=models.CASCADE, related_name="capacity_changes"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    old_weekly_capacity = models.PositiveIntegerField()
    new_weekly_capacity = models.PositiveIntegerField()
    old_accepting = models.BooleanField()
    new_accepting = models.BooleanField()

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("campus capacity change")
        verbose_name_plural = _("campus capacity changes")
        indexes = [models.Index(fields=["campus", "changed_at"], name="capacity_change_idx")]

    def __str__(self) -> str:
        return f"{self.campus_id} {self.changed_at:%Y-%m-%d %H:%M}"
