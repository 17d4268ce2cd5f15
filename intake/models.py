from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, Func, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.access import user_roles
from clinics.models import Role
from intake import triage
from intake.search import fold, parse_query


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


class Language(models.TextChoices):
    NL = "nl", _("Dutch")
    FR = "fr", _("French")
    EN = "en", _("English")


class Sex(models.TextChoices):
    FEMALE = "F", _("female")
    MALE = "M", _("male")
    OTHER = "X", _("other / not stated")


class Disposition(models.TextChoices):
    EMERGENCY = triage.EMERGENCY, _("Emergency department now")
    GP_URGENT = triage.GP_URGENT, _("GP today or tomorrow")
    GP_SOON = triage.GP_SOON, _("GP this week")
    PHYSIO = triage.PHYSIO, _("Physiotherapy pathway")


class StartBackRisk(models.TextChoices):
    """The STarT Back risk groups (clinical-rules.md section 3), as staff read them."""

    LOW = "low", _("low risk")
    MEDIUM = "medium", _("medium risk")
    HIGH = "high", _("high risk")


class Bytewise(Func):
    """``expression COLLATE "C"`` (SQLite: ``BINARY``): compared character by character.

    The folded ``name_key`` needs no linguistic collation, and in this one PostgreSQL
    serves both a prefix ``LIKE`` and ``ORDER BY`` from one plain b-tree index
    (``patient_name_order_idx``), whatever the database's own collation. (Not a
    ``Collate`` subclass: index expressions treat that class specially.)
    """

    arity = 1
    template = '%(expressions)s COLLATE "C"'

    def as_sqlite(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def]
        extra_context["template"] = "%(expressions)s COLLATE BINARY"
        return self.as_sql(compiler, connection, **extra_context)


def name_order_key() -> Bytewise:
    return Bytewise("name_key")


NOTHING = Q(pk__in=[])


def episode_access(user: Any, prefix: str = "") -> Q:
    """Which episodes ``user`` may see, as a filter on ``<prefix>``-related episodes.

    The rule of docs/security.md ("Who may see what"), written once: reception every
    episode (the desk serves the whole clinic); a physiotherapist their own episodes and
    the unassigned queue (open, nobody took it yet); every other role none.
    """
    roles = user_roles(user)
    if Role.RECEPTION in roles:
        return Q()
    if Role.PHYSIOTHERAPIST in roles:
        return Q(**{f"{prefix}physio": user}) | Q(
            **{f"{prefix}state": EpisodeState.OPEN, f"{prefix}physio__isnull": True}
        )
    return NOTHING


class PatientQuerySet(models.QuerySet["Patient"]):
    def visible_to(self, user: Any) -> "PatientQuerySet":
        """Reception (registration, intake, calls) and managers (the privacy pages:
        audit, export, erasure) every patient; a physiotherapist the patients of the
        episodes they may see; nobody else (coordinators see a patient through a
        referral, ``Referral.objects.visible_to``)."""
        roles = user_roles(user)
        if roles & {Role.RECEPTION, Role.MANAGER}:
            return self
        episodes = Episode.objects.filter(episode_access(user), patient=OuterRef("pk"))
        return self.filter(Exists(episodes))

    def search(self, query: str) -> "PatientQuerySet":
        """Find patients by INSZ (11 digits), birth date (dd/mm/yyyy) or name prefix.

        Each form uses an index: ``insz`` (unique), ``birth_date``, or the name order
        index (a prefix match on ``name_key`` in byte order, see ``Bytewise``).
        """
        parsed = parse_query(query)
        if parsed.insz:
            return self.filter(insz=parsed.insz)
        qs = self
        if parsed.birth_date:
            qs = qs.filter(birth_date=parsed.birth_date)
        if parsed.name:
            qs = qs.alias(name_order=name_order_key()).filter(name_order__startswith=parsed.name)
        if not (parsed.birth_date or parsed.name):
            return self.none()
        return qs

    def in_name_order(self, *, reverse: bool = False) -> "PatientQuerySet":
        """By folded name, then id: the order of ``patient_name_order_idx`` (or backwards)."""
        if reverse:
            return self.order_by(name_order_key().desc(), "-id")
        return self.order_by(name_order_key().asc(), "id")

    def after(self, patient_id: int) -> "PatientQuerySet":
        """The patients after ``patient_id`` in name order (keyset paging: no OFFSET)."""
        key = self._name_key_of(patient_id)
        return (
            self.alias(name_order=name_order_key())
            .filter(name_order__gte=key)
            .exclude(name_order=key, id__lte=patient_id)
        )

    def before(self, patient_id: int) -> "PatientQuerySet":
        """The patients before ``patient_id`` in name order."""
        key = self._name_key_of(patient_id)
        return (
            self.alias(name_order=name_order_key())
            .filter(name_order__lte=key)
            .exclude(name_order=key, id__gte=patient_id)
        )

    def _name_key_of(self, patient_id: int) -> Subquery:
        # No row (a stale link): NULL, which matches nothing.
        return Subquery(Patient.objects.filter(pk=patient_id).values(key=name_order_key())[:1])

    def near_duplicates(self, last_name: str, birth_date: date) -> "PatientQuerySet":
        """Same last name (accent- and case-insensitive) and same birth date."""
        return self.filter(last_name_key=fold(last_name), birth_date=birth_date)


def format_insz(insz: str) -> str:
    """An 11-digit national number as printed on the eID card: ``YY.MM.DD-XXX.CC``."""
    if len(insz) != 11 or not insz.isdigit():
        return insz
    return f"{insz[:2]}.{insz[2:4]}.{insz[4:6]}-{insz[6:9]}.{insz[9:]}"


class Patient(models.Model):
    insz = models.CharField(
        _("national number (INSZ/NISS)"), max_length=11, unique=True, null=True, blank=True
    )
    no_insz_reason = models.CharField(
        _("reason there is no national number"), max_length=200, blank=True
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    # Folded copies for search: "last first" and "last" (see ``fold``).
    name_key = models.CharField(max_length=201, db_index=True, editable=False)
    last_name_key = models.CharField(max_length=100, editable=False)
    birth_date = models.DateField(_("birth date"), db_index=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.NL
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    postcode = models.CharField(_("postcode"), max_length=4)
    gp_name = models.CharField(_("GP name"), max_length=120, blank=True)
    gp_practice = models.CharField(_("GP practice"), max_length=200, blank=True)
    gp_email = models.EmailField(_("GP e-mail"), blank=True)
    gp_unknown = models.BooleanField(
        _("GP unknown"),
        default=False,
        help_text=_("Tick when the patient has no GP or does not know them."),
    )
    practice = models.ForeignKey(
        "clinics.Practice",
        verbose_name=_("physiotherapy practice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patients",
    )
    email_consent = models.BooleanField(_("consents to e-mail follow-up"), default=False)
    email_consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    campus_preference = models.ForeignKey(
        "clinics.Campus",
        verbose_name=_("preferred pain-clinic campus"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        indexes = [
            models.Index(fields=["last_name_key", "birth_date"], name="patient_dup_idx"),
            # Search by name: the prefix match and the page order (``in_name_order``,
            # keyset ``after``/``before``) from one index, however common the name.
            models.Index(name_order_key(), "id", name="patient_name_order_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(insz__isnull=False) | ~Q(no_insz_reason=""),
                name="patient_insz_or_reason",
            ),
            models.CheckConstraint(
                condition=Q(email_consent=False) | Q(email_consent_at__isnull=False),
                name="patient_consent_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.last_name} {self.first_name} ({self.birth_date:%d/%m/%Y})"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.last_name_key = fold(self.last_name)
        self.name_key = f"{self.last_name_key} {fold(self.first_name)}"
        if self.insz == "":
            self.insz = None
        super().save(*args, **kwargs)

    @property
    def insz_display(self) -> str:
        return format_insz(self.insz) if self.insz else ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)

    @property
    def municipality(self) -> str:
        from intake.postcodes import municipality_name

        return municipality_name(self.postcode, self.language)

    @property
    def gp_known(self) -> bool:
        """A referral letter may be made: a GP is named, or staff marked them unknown."""
        return bool(self.gp_name.strip()) or self.gp_unknown

    @property
    def can_receive_email(self) -> bool:
        return bool(self.email) and self.email_consent


class EpisodeState(models.TextChoices):
    OPEN = "open", _("open, waiting for a physiotherapist")
    IN_TREATMENT = "in_treatment", _("in treatment")
    AWAITING_GP = "awaiting_gp", _("awaiting GP")
    EMERGENCY = "emergency", _("sent to emergency department")
    CLOSED = "closed", _("closed")


STATE_FOR_DISPOSITION = {
    Disposition.EMERGENCY: EpisodeState.EMERGENCY,
    Disposition.GP_URGENT: EpisodeState.AWAITING_GP,
    Disposition.GP_SOON: EpisodeState.AWAITING_GP,
    Disposition.PHYSIO: EpisodeState.OPEN,
}


class EpisodeQuerySet(models.QuerySet["Episode"]):
    def visible_to(self, user: Any) -> "EpisodeQuerySet":
        """The episodes ``user`` may open (``episode_access``)."""
        return self.filter(episode_access(user))

    def changeable_by(self, user: Any) -> "EpisodeQuerySet":
        """The episodes whose plan, sessions, referral and discharge ``user`` may write:
        a physiotherapist's own, while in treatment."""
        if Role.PHYSIOTHERAPIST not in user_roles(user):
            return self.none()
        return self.filter(physio=user, state=EpisodeState.IN_TREATMENT)

    def physio_queue(self) -> "EpisodeQuerySet":
        """PHYSIO episodes no physiotherapist has taken yet, oldest first."""
        return self.filter(state=EpisodeState.OPEN, physio__isnull=True).order_by(
            "intake_date", "id"
        )

    def active(self) -> "EpisodeQuerySet":
        return self.exclude(state=EpisodeState.CLOSED)


class Episode(models.Model):
    """One episode of back pain of one patient, from intake to discharge."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="episodes")
    intake_date = models.DateField(_("intake date"), db_index=True)
    state = models.CharField(
        _("state"), max_length=20, choices=EpisodeState.choices, default=EpisodeState.OPEN
    )
    physio = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("physiotherapist"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="episodes",
    )
    opened_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    # After an EMERGENCY or GP_URGENT intake: when staff recorded that the doctor's
    # assessment lets the physiotherapy pathway continue (the follow-up counts from it).
    pathway_continued_at = models.DateTimeField(null=True, blank=True)
    pathway_continued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("episode")
        verbose_name_plural = _("episodes")
        indexes = [
            models.Index(fields=["state", "physio", "intake_date"], name="episode_queue_idx"),
            # The physiotherapists' queue in its order (``physio_queue``): a small index
            # of the waiting episodes only, so the first page never walks the table.
            models.Index(
                fields=["intake_date", "id"],
                condition=Q(state=EpisodeState.OPEN, physio__isnull=True),
                name="episode_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} · {self.intake_date:%d/%m/%Y}"


class IntakeSource(models.TextChoices):
    DESK = "desk", _("at the desk")
    SELF = "self", _("by the patient (link)")
    KIOSK = "kiosk", _("by the patient (kiosk)")


class IntakeAssessmentQuerySet(models.QuerySet["IntakeAssessment"]):
    def visible_to(self, user: Any) -> "IntakeAssessmentQuerySet":
        return self.filter(episode_access(user, "episode__"))

    def as_rows(self) -> "IntakeAssessmentQuerySet":
        """With the patient's name and only what a list row shows (not the answers)."""
        return self.select_related("episode__patient").only(
            "recorded_at",
            "disposition",
            "start_back_risk",
            "episode__patient_id",
            "episode__patient__first_name",
            "episode__patient__last_name",
        )

    def pending_review(self) -> "IntakeAssessmentQuerySet":
        """Intakes a patient filled in (link or kiosk) that reception has not checked yet."""
        return self.filter(reviewed_at__isnull=True).order_by("recorded_at")

    def recorded_on(self, day: date) -> "IntakeAssessmentQuerySet":
        start = timezone.make_aware(datetime.combine(day, time.min))
        return self.filter(
            recorded_at__gte=start, recorded_at__lt=start + timedelta(days=1)
        ).order_by("-recorded_at")


class IntakeAssessment(models.Model):
    """The intake questionnaire of an episode with its scores and stored triage result.

    ``answers`` is the exact triage input of clinical-rules.md section 1 (validated by
    ``intake.triage.validate_answers``); the scores and the triage result are kept
    with the rule version that produced them.
    """

    episode = models.OneToOneField(Episode, on_delete=models.CASCADE, related_name="intake")
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(
        max_length=10, choices=IntakeSource.choices, default=IntakeSource.DESK
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answers = models.JSONField(_("intake answers"))
    medication = models.CharField(_("medication"), max_length=300, blank=True)
    pain_now = models.PositiveSmallIntegerField(
        _("pain now (0-10)"), validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    # The scores are empty when an emergency was saved at once (the "save now" of the
    # desk intake): staff complete them later; the triage never depends on them.
    start_back_items = models.JSONField(_("STarT Back answers"), null=True, blank=True)
    start_back_total = models.PositiveSmallIntegerField(null=True, blank=True)
    start_back_psychosocial = models.PositiveSmallIntegerField(null=True, blank=True)
    start_back_risk = models.CharField(max_length=10, blank=True)
    odi_sections = models.JSONField(_("Oswestry sections"), null=True, blank=True)
    odi_percent = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    disposition = models.CharField(max_length=10, choices=Disposition.choices, db_index=True)
    reasons = models.JSONField(default=list)
    rule_version = models.CharField(max_length=20)

    objects = IntakeAssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("intake assessment")
        verbose_name_plural = _("intake assessments")
        indexes = [
            models.Index(
                fields=["recorded_at"],
                condition=Q(reviewed_at__isnull=True),
                name="intake_pending_review_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.episode} · {self.disposition}"

    @property
    def scores_pending(self) -> bool:
        """Saved in an emergency before STarT Back (and Oswestry) were asked."""
        return self.start_back_total is None or self.odi_sections is None

    def reason_texts(self, language: str) -> list[str]:
        return [triage.reason_text(code, language) for code in self.reasons]


class AlertKind(models.TextChoices):
    INTAKE = "intake", _("intake triage")
    FOLLOW_UP = "follow_up", _("follow-up red flag")
    # Tasks for the physiotherapist (disposition PHYSIO, no rule codes).
    REVIEW = "review", _("still improving at the second follow-up: review the plan")
    LOST = "lost", _("follow-up lost: the patient was not reached")


def alert_urgency() -> models.Case:
    """0 for an emergency, 1 for "GP today or tomorrow", 2 for "GP this week": the first
    key of the alert lists' order."""
    return models.Case(
        models.When(disposition=Disposition.EMERGENCY, then=models.Value(0)),
        models.When(disposition=Disposition.GP_URGENT, then=models.Value(1)),
        default=models.Value(2),
        output_field=models.IntegerField(),
    )


class AlertQuerySet(models.QuerySet["Alert"]):
    def visible_to(self, user: Any) -> "AlertQuerySet":
        """Alerts of the episodes ``user`` may see (reception: all of them)."""
        return self.filter(episode_access(user, "episode__"))

    def open(self) -> "AlertQuerySet":
        return self.filter(acknowledged_at__isnull=True)

    def as_rows(self) -> "AlertQuerySet":
        """With the patient and who acknowledged it, only what an alert row shows."""
        return self.select_related("episode__patient", "acknowledged_by").only(
            "episode_id",
            "kind",
            "disposition",
            "reasons",
            "created_at",
            "acknowledged_at",
            "acknowledged_by__username",
            "acknowledged_by__first_name",
            "acknowledged_by__last_name",
            "episode__patient_id",
            "episode__physio_id",
            "episode__state",
            "episode__pathway_continued_at",
            "episode__patient__first_name",
            "episode__patient__last_name",
            "episode__patient__phone",
        )

    def raised_on(self, day: date) -> "AlertQuerySet":
        start = timezone.make_aware(datetime.combine(day, time.min))
        return self.filter(created_at__gte=start, created_at__lt=start + timedelta(days=1))

    def most_urgent_first(self) -> "AlertQuerySet":
        """Emergencies, then GP today or tomorrow, then GP this week; newest first within
        each (``alert_urgency_idx`` for open alerts)."""
        return self.alias(urgency=alert_urgency()).order_by("urgency", "-created_at", "-id")


class Alert(models.Model):
    """An EMERGENCY or GP result that staff must see and acknowledge."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    disposition = models.CharField(max_length=10, choices=Disposition.choices)
    reasons = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(acknowledged_at__isnull=True),
                name="alert_open_idx",
            ),
            # The open alerts in the physiotherapists' order (``most_urgent_first``): a
            # page of them is read from the index instead of sorting every open alert.
            models.Index(
                alert_urgency(),
                models.F("created_at").desc(),
                models.F("id").desc(),
                condition=Q(acknowledged_at__isnull=True),
                name="alert_urgency_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_disposition_display()} · {self.episode}"

    @property
    def is_emergency(self) -> bool:
        return self.disposition == Disposition.EMERGENCY

    @property
    def offers_safe_to_continue(self) -> bool:
        """Staff may close it as "safe to continue": a follow-up red flag (its course is
        then carried out), or an intake sent to the doctor whose pathway has not been
        recorded as continuing yet."""
        if self.acknowledged_at is not None:
            return False
        if self.kind == AlertKind.FOLLOW_UP:
            return True
        return (
            self.kind == AlertKind.INTAKE
            and self.disposition in (Disposition.EMERGENCY, Disposition.GP_URGENT)
            and self.episode.pathway_continued_at is None
        )

    def reason_texts(self, language: str) -> list[str]:
        return [triage.reason_text(code, language) for code in self.reasons]


class StaffAction(models.TextChoices):
    SENT_TO_EMERGENCY = "sent_to_ed", _("sent to the emergency department")
    CALLED_112 = "called_112", _("112 called")
    GP_INFORMED = "gp_informed", _("GP informed")
    PATIENT_REFUSED = "patient_refused", _("patient refused")


class AlertAction(models.Model):
    """What staff did about an alert, when, and who recorded it; the first one closes
    the alert (``intake.services.record_alert_action``)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(_("what was done"), max_length=20, choices=StaffAction.choices)
    done_at = models.DateTimeField(_("when"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["done_at", "id"]
        verbose_name = _("alert action")
        verbose_name_plural = _("alert actions")

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.done_at:%d/%m/%Y %H:%M}"


class IntakeLink(models.Model):
    """A signed, single-use link for a patient to fill the intake questionnaire.

    Only a SHA-256 hash of the token is stored; the link itself carries no
    personal data. It expires after ``LINK_DAYS`` and works once.
    """

    LINK_DAYS = 7

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="intake_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    kiosk = models.BooleanField(default=False)
    # A kiosk link has no token anyone sees: reception gives the tablet a short PIN
    # (hashed here, single use, valid ``KIOSK_PIN_MINUTES``) that opens it there.
    pin_hash = models.CharField(max_length=64, blank=True)
    pin_expires_at = models.DateTimeField(null=True, blank=True)

    KIOSK_PIN_MINUTES = 10
    KIOSK_LINK_HOURS = 2

    class Meta:
        verbose_name = _("intake link")
        verbose_name_plural = _("intake links")
        indexes = [
            models.Index(
                fields=["pin_hash"], condition=~Q(pin_hash=""), name="intake_link_pin_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"intake link #{self.pk}"

    def is_usable(self, now: "timezone.datetime | None" = None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and now < self.expires_at
