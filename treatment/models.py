"""Treatment: the exercise library, treatment plans, sessions and discharges.

An episode enters treatment when a physiotherapist takes it from the queue
(``Episode.state`` becomes ``in_treatment``); it leaves when it is discharged
(``closed``, with a ``Discharge`` row). Exercise instructions are data in three
languages, not gettext: admins edit them, and a patient handout is printed in the
patient's language whatever the physiotherapist's interface speaks.
"""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from intake import scores
from intake.models import Episode, IntakeAssessment

# Strengthening exercises only from week 6, counted from the start of the pain
# (clinical-rules.md section 7): onset = intake date - duration_days.
STRENGTHENING_FROM_DAY = 42


def pain_onset(intake_date: date, duration_days: int) -> date:
    """The day the pain began: the intake date minus the days it had lasted then."""
    return intake_date - timedelta(days=duration_days)


def strengthening_allowed_from(intake_date: date, duration_days: int) -> date:
    """The week-6 rule: strengthening may start 42 days after the pain began."""
    return pain_onset(intake_date, duration_days) + timedelta(days=STRENGTHENING_FROM_DAY)


def rule_strengthening_from(episode: "Episode") -> date:
    """The week-6 date of ``episode`` from its intake answers (an episode recorded without
    an intake counts from its intake date)."""
    try:
        duration = int(episode.intake.answers.get("duration_days", 0))
    except IntakeAssessment.DoesNotExist:
        duration = 0
    return strengthening_allowed_from(episode.intake_date, duration)


def strengthening_from(episode: "Episode", plan: "TreatmentPlan | None" = None) -> date:
    """The first day strengthening may be prescribed: the physiotherapist's override on
    the plan when there is one, else the week-6 rule."""
    if plan is not None and plan.strengthening_from_override is not None:
        return plan.strengthening_from_override
    return rule_strengthening_from(episode)


class ExerciseKind(models.TextChoices):
    STRETCHING = "stretching", _("stretching")
    STRENGTHENING = "strengthening", _("strengthening")


class ExerciseQuerySet(models.QuerySet["Exercise"]):
    def active(self) -> "ExerciseQuerySet":
        return self.filter(active=True)


class Exercise(models.Model):
    """One exercise of the library, with its name, instructions and dosage per language."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ExerciseKind.choices)
    position = models.PositiveSmallIntegerField(_("position in the list"), default=0)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive exercises can no longer be prescribed.")
    )
    # The five exercises of the patient leaflet; anything an admin adds is the clinic's own
    # and says so on the handout.
    from_leaflet = models.BooleanField(_("from the patient leaflet"), default=False, editable=False)
    name_nl = models.CharField(_("name (Dutch)"), max_length=100)
    name_fr = models.CharField(_("name (French)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    instructions_nl = models.TextField(_("instructions (Dutch)"))
    instructions_fr = models.TextField(_("instructions (French)"))
    instructions_en = models.TextField(_("instructions (English)"))
    dosage_nl = models.CharField(_("dosage (Dutch)"), max_length=200)
    dosage_fr = models.CharField(_("dosage (French)"), max_length=200)
    dosage_en = models.CharField(_("dosage (English)"), max_length=200)

    objects = ExerciseQuerySet.as_manager()

    class Meta:
        # "stretching" sorts after "strengthening": descending puts stretching, the
        # exercises of the first weeks, first.
        ordering = ["-kind", "position", "code"]
        verbose_name = _("exercise")
        verbose_name_plural = _("exercises")

    def __str__(self) -> str:
        return self.name_en

    def _in(self, field: str, language: str) -> str:
        if language not in ("nl", "fr", "en"):
            language = "nl"
        return str(getattr(self, f"{field}_{language}"))

    def name_in(self, language: str) -> str:
        return self._in("name", language)

    def instructions_in(self, language: str) -> str:
        return self._in("instructions", language)

    def dosage_in(self, language: str) -> str:
        return self._in("dosage", language)

    @property
    def is_strengthening(self) -> bool:
        return self.kind == ExerciseKind.STRENGTHENING

    def prescribable_on(self, day: date, strengthening_from: date) -> bool:
        """Whether this exercise may be prescribed on ``day`` in an episode whose
        strengthening may start on ``strengthening_from``."""
        return not self.is_strengthening or day >= strengthening_from


class Approach(models.TextChoices):
    """The STarT Back-matched treatment (clinical-rules.md section 3)."""

    ADVICE = "advice", _("advice and self-management")
    PHYSIOTHERAPY = "physiotherapy", _("physiotherapy")
    PSYCHOLOGICALLY_INFORMED = (
        "psychologically_informed",
        _("psychologically informed physiotherapy"),
    )


APPROACH_FOR_RISK: dict[str, str] = {
    "low": Approach.ADVICE,
    "medium": Approach.PHYSIOTHERAPY,
    "high": Approach.PSYCHOLOGICALLY_INFORMED,
}


class TreatmentPlan(models.Model):
    """The plan of one episode: approach, frequency, goals and prescribed exercises."""

    episode = models.OneToOneField(
        "intake.Episode", on_delete=models.CASCADE, related_name="treatment_plan"
    )
    approach = models.CharField(_("approach"), max_length=30, choices=Approach.choices)
    sessions_per_week = models.PositiveSmallIntegerField(
        _("sessions per week"), validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    planned_sessions = models.PositiveSmallIntegerField(
        _("planned number of sessions"), validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    next_session_on = models.DateField(_("next session"), null=True, blank=True)
    strengthening_from_override = models.DateField(
        _("strengthening allowed from (override)"),
        null=True,
        blank=True,
        help_text=_("Only for this patient, instead of week 6 after the start of the pain."),
    )
    strengthening_override_reason = models.TextField(_("reason for the override"), blank=True)
    exercises = models.ManyToManyField(
        Exercise, through="PrescribedExercise", related_name="plans", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("treatment plan")
        verbose_name_plural = _("treatment plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(sessions_per_week__gte=1, sessions_per_week__lte=7),
                name="plan_sessions_per_week_range",
            ),
            models.CheckConstraint(
                condition=Q(planned_sessions__gte=1), name="plan_planned_sessions_positive"
            ),
            # An override of the week-6 rule always says why.
            models.CheckConstraint(
                condition=Q(strengthening_from_override__isnull=True)
                | ~Q(strengthening_override_reason=""),
                name="plan_strengthening_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"plan · {self.episode}"

    def clean(self) -> None:
        if self.strengthening_from_override is not None and not (
            self.strengthening_override_reason.strip()
        ):
            raise ValidationError(
                {
                    "strengthening_override_reason": _(
                        "Write why this patient may start strengthening on another date."
                    )
                },
                code="override_without_reason",
            )


class TreatmentGoal(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="goals")
    description = models.CharField(_("goal"), max_length=300)
    target_date = models.DateField(_("target date"))
    achieved = models.BooleanField(_("achieved"), default=False)

    class Meta:
        ordering = ["target_date", "id"]
        verbose_name = _("treatment goal")
        verbose_name_plural = _("treatment goals")

    def __str__(self) -> str:
        return self.description


class PrescribedExercise(models.Model):
    """An exercise on a plan, from the day it was prescribed.

    ``clean`` holds the week-6 rule: a strengthening exercise cannot be prescribed
    before ``strengthening_from`` (42 days after the pain began, or the override).
    """

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="prescriptions")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="prescriptions")
    prescribed_on = models.DateField(_("prescribed on"))

    class Meta:
        ordering = ["-exercise__kind", "exercise__position", "exercise__code"]
        verbose_name = _("prescribed exercise")
        verbose_name_plural = _("prescribed exercises")
        constraints = [
            models.UniqueConstraint(fields=["plan", "exercise"], name="prescription_once_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.exercise} · {self.plan.episode}"

    def clean(self) -> None:
        earliest = strengthening_from(self.plan.episode, self.plan)
        if not self.exercise.prescribable_on(self.prescribed_on, earliest):
            raise ValidationError(
                {"exercise": strengthening_too_early_message(earliest)},
                code="strengthening_too_early",
            )


def strengthening_too_early_message(earliest: date) -> str:
    return gettext(
        "Strengthening exercises can only be prescribed from week 6 after the start of the"
        " pain (from %(date)s)."
    ) % {"date": earliest.strftime("%d/%m/%Y")}


class Adherence(models.TextChoices):
    ALL = "all", _("did all prescribed exercises")
    MOST = "most", _("did most of them")
    SOME = "some", _("did some of them")
    NONE = "none", _("did not do them")


class TreatmentSessionQuerySet(models.QuerySet["TreatmentSession"]):
    def chronological(self) -> "TreatmentSessionQuerySet":
        return self.order_by("session_date", "id")


class TreatmentSession(models.Model):
    """One physiotherapy session with the scores measured that day."""

    episode = models.ForeignKey(
        "intake.Episode", on_delete=models.CASCADE, related_name="treatment_sessions"
    )
    session_date = models.DateField(_("session date"))
    pain_now = models.PositiveSmallIntegerField(
        _("pain now (0-10)"), validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    odi_sections = models.JSONField(_("Oswestry sections"), null=True, blank=True)
    odi_percent = models.DecimalField(
        _("Oswestry disability index (%)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    work_done = models.TextField(_("what was done"))
    adherence = models.CharField(
        _("exercise adherence"), max_length=10, choices=Adherence.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = TreatmentSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("treatment session")
        verbose_name_plural = _("treatment sessions")
        indexes = [
            models.Index(fields=["episode", "session_date"], name="session_episode_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(pain_now__gte=0, pain_now__lte=10), name="session_pain_range"
            ),
            models.CheckConstraint(
                condition=Q(odi_percent__isnull=True) | Q(odi_percent__gte=0, odi_percent__lte=100),
                name="session_odi_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.episode} · {self.session_date:%d/%m/%Y}"

    def clean(self) -> None:
        if self.odi_sections is not None:
            try:
                scores.validate_odi_sections(self.odi_sections)
            except ValueError as exc:
                raise ValidationError({"odi_sections": str(exc)}) from exc


class DischargeOutcome(models.TextChoices):
    RECOVERED = "recovered", _("recovered")
    REFERRED = "referred", _("referred")
    STOPPED = "stopped", _("stopped")


class Discharge(models.Model):
    """How an episode ended, with the summary written when it was closed."""

    episode = models.OneToOneField(
        "intake.Episode", on_delete=models.CASCADE, related_name="discharge"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=DischargeOutcome.choices)
    note = models.TextField(_("note"), blank=True)
    summary = models.TextField(_("discharge summary"))
    discharged_at = models.DateTimeField(default=timezone.now, db_index=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    follow_ups_cancelled = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("discharge")
        verbose_name_plural = _("discharges")

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} · {self.episode}"
