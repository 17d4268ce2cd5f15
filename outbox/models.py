"""The e-mail outbox: every mail is a row first, written in the business transaction.

The outbox knows no feature app. ``patient_id`` is the patient a mail is about (a plain
id: erasure and the failed-mail list find a patient's mail by it) and ``reference``
names the object that asked for the mail (``"followup:12"``), so that the app that
owns it can react when the mail fails for good (``outbox.signals.email_failed``).
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EmailState(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


PENDING_EMAIL_STATES = (EmailState.QUEUED, EmailState.SENDING)
# What staff call each kind of mail; a template not listed shows its own name.
EMAIL_KINDS = {
    "followup_invitation": _("follow-up invitation"),
    "followup_reminder": _("follow-up reminder"),
    "intake_link": _("intake questionnaire link"),
    "referral_sent": _("pain-clinic referral"),
    "appointment_booked": _("pain-clinic appointment"),
    "appointment_moved": _("pain-clinic appointment moved"),
    "appointment_cancelled": _("pain-clinic appointment cancelled"),
    "appointment_reminder": _("pain-clinic appointment reminder"),
}


class OutboundEmailQuerySet(models.QuerySet["OutboundEmail"]):
    def due(self, now: datetime) -> "OutboundEmailQuerySet":
        """Queued mail whose (next) attempt is due, and mail left 'sending' by a worker
        that died: its lease has run out."""
        return self.filter(state__in=PENDING_EMAIL_STATES, next_attempt_at__lte=now)

    def failures_to_review(self) -> "OutboundEmailQuerySet":
        return self.filter(state=EmailState.FAILED, dismissed_at__isnull=True).order_by(
            "-created_at", "-pk"
        )

    def about_patient(self, patient_id: int) -> "OutboundEmailQuerySet":
        return self.filter(patient_id=patient_id)

    def for_reference(self, reference: str) -> "OutboundEmailQuerySet":
        return self.filter(reference=reference)


class OutboundEmail(models.Model):
    """An e-mail written in the business transaction and sent by a worker afterwards.

    ``context`` holds the template variables (JSON). Keys listed in
    ``outbox.drain.SECRET_CONTEXT_KEYS`` (the questionnaire link) are removed once the
    mail has gone out. ``attachments`` holds the files the mail carries, as written by
    the app that queued it (``[{"filename", "mimetype", "content"}]``, text content):
    the drain attaches them as they are, knowing nothing of what they mean.
    """

    recipient = models.EmailField(_("recipient"))
    language = models.CharField(_("language"), max_length=2)
    template = models.CharField(_("template"), max_length=80)
    context = models.JSONField(default=dict, blank=True)
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    state = models.CharField(
        _("state"), max_length=10, choices=EmailState.choices, default=EmailState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    patient_id = models.BigIntegerField(_("patient"), null=True, blank=True, db_index=True)
    reference = models.CharField(_("reference"), max_length=60, blank=True, db_index=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = OutboundEmailQuerySet.as_manager()

    class Meta:
        db_table = "followups_outboundemail"
        verbose_name = _("outbound e-mail")
        verbose_name_plural = _("outbound e-mails")
        indexes = [
            # The drain's order: due mail by (next_attempt_at, id) among pending rows only.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(state__in=PENDING_EMAIL_STATES),
                name="outbox_pending_order_idx",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(state=EmailState.FAILED, dismissed_at__isnull=True),
                name="outbox_failed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient} ({self.state})"

    @property
    def kind(self) -> str:
        return str(EMAIL_KINDS.get(self.template, self.template))
