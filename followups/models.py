"""Follow-ups, their questionnaire links, and the e-mail outbox.

A ``FollowUp`` row is the schedule: it is created with the episode, carries its
``due_at`` and state, and the per-minute sweep (``followups.services.run_sweep``) moves
it along by ``next_action_at``. Nothing about the six-week schedule lives in the broker.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.access import user_roles
from clinics.models import Role
from clinics.tokens import hash_token
from followups import outcome as rules
from intake.models import EpisodeState


class FollowUpState(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    INVITED = "invited", _("invited by e-mail")
    REMINDED = "reminded", _("reminded")
    ANSWERED = "answered", _("answered")
    EXPIRED = "expired", _("no answer, link expired")
    CALL_LIST = "call_list", _("on the call list")
    DONE = "done", _("done without answers")
    CANCELLED = "cancelled", _("cancelled")
    LOST = "lost", _("lost: not reached after three calls")


# States the sweep moves along (by ``next_action_at``).
SWEPT_STATES = (FollowUpState.SCHEDULED, FollowUpState.INVITED, FollowUpState.REMINDED)
# Waiting for the patient to open their link.
LINK_STATES = (FollowUpState.INVITED, FollowUpState.REMINDED)
# On reception's call list: non-responders (expired) and patients we cannot e-mail.
CALL_LIST_STATES = (FollowUpState.EXPIRED, FollowUpState.CALL_LIST)
# Reception may record answers given by phone in these states.
PHONE_STATES = LINK_STATES + CALL_LIST_STATES
# On the call list: no answers yet, or contradictory answers to confirm by phone.
ON_CALL_LIST = Q(state__in=CALL_LIST_STATES) | Q(
    state=FollowUpState.ANSWERED, confirm_by_phone=True
)


class CallReason(models.TextChoices):
    NO_EMAIL = "no_email", _("no e-mail address")
    NO_CONSENT = "no_consent", _("no consent to e-mail")
    NO_RESPONSE = "no_response", _("no answer to the e-mail and two reminders")
    EMAIL_FAILED = "email_failed", _("the e-mail could not be delivered")
    CHECK_ANSWERS = "check_answers", _("answers contradict each other: confirm by phone")


class CallResult(models.TextChoices):
    # "Reached" without answers is no longer offered (rules 2027.1): reception takes the
    # answers by phone, or records that the patient declined and why. Kept for old rows.
    REACHED = "reached", _("reached")
    NOT_REACHED = "not_reached", _("not reached")
    DECLINED = "declined", _("reached, declined to answer")
    CONFIRMED = "confirmed", _("reached, answers confirmed")


class AnswerChannel(models.TextChoices):
    LINK = "link", _("questionnaire link")
    PHONE = "phone", _("by phone")


class Outcome(models.TextChoices):
    RECOVERED = rules.RECOVERED, _("recovered: proposed for closing")
    IMPROVING = rules.IMPROVING, _("improving")
    PERSISTENT = rules.PERSISTENT, _("persistent: pain-clinic referral proposed")
    RED_FLAG = rules.RED_FLAG, _("red flag")


class Course(models.TextChoices):
    """The course of the complaint (step A), stored also under a red flag."""

    RECOVERED = rules.RECOVERED, _("recovered")
    IMPROVING = rules.IMPROVING, _("improving")
    PERSISTENT = rules.PERSISTENT, _("persistent")


class FollowUpQuerySet(models.QuerySet["FollowUp"]):
    def visible_to(self, user: Any) -> "FollowUpQuerySet":
        """Follow-ups (and their answers) ``user`` may open: reception every one (they
        phone patients clinic-wide), a physiotherapist those of the episodes they
        treat, nobody else (docs/security.md, "Who may see what")."""
        roles = user_roles(user)
        if Role.RECEPTION in roles:
            return self
        if Role.PHYSIOTHERAPIST in roles:
            return self.filter(episode__physio=user)
        return self.none()

    def needing_action(self, now: datetime, *, mail_allowed: bool) -> "FollowUpQuerySet":
        """Rows the sweep must move at ``now``, oldest first (the partial sweep index).

        Outside the mail window only the steps that send no mail: putting patients we
        cannot e-mail on the call list, expiring links. A closed episode keeps its
        follow-up (the safety net, rules 2027.1).
        """
        due = self.filter(state__in=SWEPT_STATES, next_action_at__lte=now)
        if not mail_allowed:
            patient = "episode__patient__"
            cannot_mail = Q(**{f"{patient}email": ""}) | Q(**{f"{patient}email_consent": False})
            due = due.filter(
                (Q(state=FollowUpState.SCHEDULED) & cannot_mail)
                | Q(state__in=LINK_STATES, link_expires_at__lte=now)
            )
        return due.order_by("next_action_at", "pk")

    def call_list(self) -> "FollowUpQuerySet":
        """Who reception should phone (no answers yet, or answers to confirm): not yet
        tried first, then the longest waiting."""
        return self.filter(ON_CALL_LIST).order_by(
            models.F("last_call_at").asc(nulls_first=True), "call_listed_at", "pk"
        )

    def proposed_for_closing(self) -> "FollowUpQuerySet":
        """Recovered at a follow-up while the episode is still open: the physiotherapist
        may close it with a discharge summary. Under a red flag only once staff closed
        the alert as safe to continue."""
        recovered = Q(outcome=Outcome.RECOVERED) | Q(
            course=Course.RECOVERED, course_carried_out_at__isnull=False
        )
        return self.filter(recovered).exclude(episode__state=EpisodeState.CLOSED)

    def due_between(self, start: datetime, end: datetime) -> "FollowUpQuerySet":
        return self.filter(due_at__gte=start, due_at__lt=end).exclude(state=FollowUpState.CANCELLED)

    def invited_between(self, start: datetime, end: datetime) -> "FollowUpQuerySet":
        return self.filter(invited_at__gte=start, invited_at__lt=end)


class FollowUp(models.Model):
    """A six-week (number 1) or twelve-week (number 2) follow-up of an episode."""

    episode = models.ForeignKey(
        "intake.Episode", on_delete=models.CASCADE, related_name="follow_ups"
    )
    number = models.PositiveSmallIntegerField(_("number"), default=1)
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(
        _("state"), max_length=20, choices=FollowUpState.choices, default=FollowUpState.SCHEDULED
    )
    # When the sweep next looks at this row (due date, reminder, link expiry); None
    # once it has left the swept states.
    next_action_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    link_expires_at = models.DateTimeField(_("link expires at"), null=True, blank=True)

    call_reason = models.CharField(
        _("why to call"), max_length=20, choices=CallReason.choices, blank=True
    )
    call_listed_at = models.DateTimeField(null=True, blank=True)
    call_attempts = models.PositiveSmallIntegerField(_("call attempts"), default=0)
    last_call_at = models.DateTimeField(null=True, blank=True)
    last_call_result = models.CharField(max_length=20, choices=CallResult.choices, blank=True)
    call_note = models.CharField(_("note"), max_length=300, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_via = models.CharField(max_length=10, choices=AnswerChannel.choices, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answers = models.JSONField(_("follow-up answers"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_reasons = models.JSONField(default=list, blank=True)
    outcome_disposition = models.CharField(max_length=10, blank=True)
    rule_version = models.CharField(max_length=20, blank=True)
    # Rules 2027.1: the course is worked out and stored also under a red flag; what it
    # asks for (closing, next follow-up, review, referral) is carried out at once, or
    # when staff close the red-flag alert as safe to continue.
    # db_default on the new NOT NULL columns: rows written by raw SQL (the bench's bulk
    # loads) need no change.
    course = models.CharField(
        _("course"), max_length=20, choices=Course.choices, blank=True, default="", db_default=""
    )
    course_carried_out_at = models.DateTimeField(null=True, blank=True)
    # What the outcome was worked out with (age on the follow-up date, intake facts).
    outcome_context = models.JSONField(null=True, blank=True)
    alert = models.ForeignKey(
        "intake.Alert", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirm_by_phone = models.BooleanField(
        _("answers to confirm by phone"), default=False, db_default=False
    )
    cancel_reason = models.TextField(
        _("why the follow-up was cancelled"), blank=True, default="", db_default=""
    )
    pain_now = models.PositiveSmallIntegerField(_("pain now (0-10)"), null=True, blank=True)
    odi_percent = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    # STarT Back asked again at each follow-up (NICE NG59: stratify again).
    start_back_items = models.JSONField(_("STarT Back answers"), null=True, blank=True)
    start_back_total = models.PositiveSmallIntegerField(null=True, blank=True)
    start_back_psychosocial = models.PositiveSmallIntegerField(null=True, blank=True)
    start_back_risk = models.CharField(max_length=10, blank=True, default="", db_default="")

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.UniqueConstraint(fields=["episode", "number"], name="followup_once_per_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="followup_number_positive"),
            models.CheckConstraint(
                condition=~Q(state="answered") | (Q(answered_at__isnull=False) & ~Q(outcome="")),
                name="followup_answered_has_outcome",
            ),
        ]
        indexes = [
            # (next_action_at, id): the sweep's order, so that a batch of rows falling
            # due at the same moment is read from the index, not sorted from all of them.
            models.Index(
                fields=["next_action_at", "id"],
                condition=Q(state__in=list(SWEPT_STATES)),
                name="followup_sweep_order_idx",
            ),
            models.Index(
                fields=["last_call_at", "call_listed_at"],
                condition=Q(state__in=list(CALL_LIST_STATES))
                | Q(state=FollowUpState.ANSWERED, confirm_by_phone=True),
                name="followup_call_list_idx",
            ),
            models.Index(fields=["due_at"], name="followup_due_idx"),
            models.Index(fields=["invited_at"], name="followup_invited_idx"),
            models.Index(
                fields=["answered_at"],
                condition=Q(outcome=Outcome.RECOVERED),
                name="followup_to_close_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.episode} · follow-up {self.number}"

    @property
    def is_on_call_list(self) -> bool:
        return self.state in CALL_LIST_STATES or self.confirm_by_phone


class QuestionnaireLinkQuerySet(models.QuerySet["QuestionnaireLink"]):
    def for_token(self, token: str) -> "QuestionnaireLink | None":
        return (
            self.select_related("follow_up__episode__patient")
            .filter(token_hash=hash_token(token))
            .first()
        )


class QuestionnaireLink(models.Model):
    """One e-mailed link to a follow-up's questionnaire.

    Each mail (invitation, reminders) carries its own random token; only its SHA-256
    hash is stored. All links of a follow-up expire together 14 days after the
    invitation, and all stop working once the follow-up is answered.
    """

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = QuestionnaireLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("questionnaire link")
        verbose_name_plural = _("questionnaire links")

    def __str__(self) -> str:
        return f"questionnaire link #{self.pk}"

    def is_open(self, now: datetime) -> bool:
        return (
            self.used_at is None and now < self.expires_at and self.follow_up.state in LINK_STATES
        )
