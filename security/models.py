"""The read log and the erasure register: append-only records for accountability.

Changes to patient data are logged by django-auditlog (``auditlog.LogEntry``); reads
are logged here. Neither kind of row can be changed or deleted through the ORM: the
model and its QuerySet refuse, and the admin offers neither change nor delete. Rows
keep the ids of user and patient without a database constraint, so the trail
outlives a deleted account and holds no personal data of the patient itself.
"""

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """An audit row was to be changed or deleted."""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be changed")

    def delete(self) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be deleted")


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{type(self).__name__} rows cannot be deleted")


class ReadAction(models.TextChoices):
    VIEW = "view", _("viewed")
    EDIT_FORM = "edit_form", _("opened for editing")
    SEARCH = "search", _("shown in search results")
    EXPORT = "export", _("exported")
    AUDIT = "audit", _("audit trail viewed")
    LIST = "listed", _("shown in a list")


class ReadLogQuerySet(AppendOnlyQuerySet):
    def for_patient(self, patient_id: int) -> "ReadLogQuerySet":
        return self.filter(patient_id=patient_id).order_by("-at", "-id")


class ReadLog(AppendOnlyModel):
    """One look at patient data: who, when, what, from where."""

    at = models.DateTimeField(_("when"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    # Copies at the time of reading: the account may be renamed or removed later.
    username = models.CharField(_("user"), max_length=150, blank=True)
    roles = models.CharField(_("roles"), max_length=100, blank=True)
    patient = models.ForeignKey(
        "intake.Patient",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, null=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=ReadAction.choices)
    # What kind of read, never what was typed: e.g. the search kind "name+birth_date".
    detail = models.CharField(_("detail"), max_length=100, blank=True)
    path = models.CharField(_("page"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    objects = ReadLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("read of patient data")
        verbose_name_plural = _("reads of patient data")
        indexes = [models.Index(fields=["patient", "-at"], name="readlog_patient_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} patient {self.patient_id}"


class ErasureOutcome(models.TextChoices):
    PSEUDONYMISED = "pseudonymised", _("pseudonymised")
    REFUSED_RETENTION = "refused_retention", _("refused: retention period not over")


class ErasureRecordQuerySet(AppendOnlyQuerySet):
    def for_patient(self, patient_id: int) -> "ErasureRecordQuerySet":
        return self.filter(patient_id=patient_id).order_by("-at", "-id")


class ErasureRecord(AppendOnlyModel):
    """A request to erase a patient's data and what was done about it."""

    at = models.DateTimeField(_("when"), default=timezone.now)
    patient = models.ForeignKey(
        "intake.Patient",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    username = models.CharField(_("handled by"), max_length=150)
    outcome = models.CharField(_("outcome"), max_length=20, choices=ErasureOutcome.choices)
    last_activity = models.DateField(_("last activity in the record"))
    keep_until = models.DateField(_("kept until"))
    retention_years = models.PositiveSmallIntegerField(_("retention period (years)"))
    objects_changed = models.PositiveIntegerField(_("records changed"), default=0)

    objects = ErasureRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} patient {self.patient_id}: {self.outcome}"
