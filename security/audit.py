"""The audit trail: reads logged here, changes by django-auditlog.

``log_read(request, obj)`` is what a view calls after showing patient data. Changes
of the registered models (see ``register_change_logging``) are logged by auditlog,
with the user, address and browser set for the request by
``security.middleware.AuditContextMiddleware``.
"""

import logging
from collections.abc import Iterable
from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import pre_delete, pre_save
from django.http import HttpRequest

from clinics.access import user_roles
from security.models import AppendOnlyError, ReadAction, ReadLog
from security.net import client_ip, user_agent

logger = logging.getLogger(__name__)

# Fields never copied into the change log: derived search keys and link secrets.
EXCLUDED_FIELDS = ["name_key", "last_name_key", "token_hash"]

# (app label, model): change-logged when the app is installed and has the model.
CHANGE_LOGGED = (
    ("intake", "Patient"),
    ("intake", "Episode"),
    ("intake", "IntakeAssessment"),
    ("intake", "Alert"),
    ("followups", "FollowUp"),
    ("referrals", "Referral"),
    ("referrals", "ReferralLetter"),
    ("treatment", "TreatmentPlan"),
    ("treatment", "TreatmentGoal"),
    ("treatment", "PrescribedExercise"),
    ("treatment", "TreatmentSession"),
    ("treatment", "Discharge"),
)
# Stored as binary or too bulky for a change log: the log says the field changed.
UNLOGGED_VALUES = {"referrals.referralletter": ["pdf"]}


def register_change_logging() -> None:
    """Register the patient-data models that exist with auditlog (idempotent)."""
    for app_label, model_name in CHANGE_LOGGED:
        if not apps.is_installed(app_label):
            continue
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        if auditlog.contains(model):
            continue
        present = {f.name for f in model._meta.concrete_fields}
        auditlog.register(
            model,
            exclude_fields=[name for name in EXCLUDED_FIELDS if name in present]
            + UNLOGGED_VALUES.get(model._meta.label_lower, []),
        )


def _refuse_change(sender: Any, instance: LogEntry, **kwargs: Any) -> None:
    if instance.pk is not None and not instance._state.adding:
        raise AppendOnlyError("audit log entries cannot be changed")


def _refuse_delete(sender: Any, instance: LogEntry, **kwargs: Any) -> None:
    raise AppendOnlyError("audit log entries cannot be deleted")


def guard_change_log() -> None:
    """auditlog's LogEntry is append-only too (its admin is read-only, see admin.py)."""
    pre_save.connect(_refuse_change, sender=LogEntry, dispatch_uid="security-logentry-save")
    pre_delete.connect(_refuse_delete, sender=LogEntry, dispatch_uid="security-logentry-delete")


def patient_id_of(obj: models.Model) -> int | None:
    """The patient a row belongs to: itself, its ``patient``, or its episode's patient."""
    if obj._meta.label_lower == "intake.patient":
        return int(obj.pk)
    for path in ("patient_id", "episode.patient_id", "referral.episode.patient_id"):
        value: Any = obj
        for attribute in path.split("."):
            value = getattr(value, attribute, None)
            if value is None:
                break
        if value is not None:
            return int(value)
    return None


def _entry(
    request: HttpRequest, *, action: str, patient_id: int | None, obj: models.Model | None = None
) -> ReadLog:
    user = request.user
    return ReadLog(
        user=user if user.is_authenticated else None,
        username=user.get_username() if user.is_authenticated else "",
        roles=",".join(sorted(user_roles(user))),
        patient_id=patient_id,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=obj.pk if obj is not None else None,
        action=action,
        path=request.path[:300],
        ip=client_ip(request),
        user_agent=user_agent(request),
    )


def log_read(request: HttpRequest, obj: models.Model, *, action: str = ReadAction.VIEW) -> ReadLog:
    """Record that the request's user was shown ``obj`` (a patient or part of one)."""
    entry = _entry(request, action=action, patient_id=patient_id_of(obj), obj=obj)
    entry.save()
    return entry


def search_kind(query: str) -> str:
    """What a patient search was for, without what was typed: "insz", "name+birth_date"..."""
    from intake.search import parse_query

    parsed = parse_query(query)
    if parsed.insz:
        return "insz"
    kinds = (("name", parsed.name), ("birth_date", parsed.birth_date))
    return "+".join(kind for kind, value in kinds if value) or "other"


def log_search(request: HttpRequest, patients: Iterable[Any], *, kind: str) -> None:
    """Record a search: one row per patient shown, or one without patient if none was.

    ``kind`` says what was searched for (e.g. "insz", "name+birth_date"), never the text.
    """
    # No content type: a search row is always about the patient itself (one query less).
    entries = [
        _entry(request, action=ReadAction.SEARCH, patient_id=patient.pk) for patient in patients
    ] or [_entry(request, action=ReadAction.SEARCH, patient_id=None)]
    for entry in entries:
        entry.detail = kind
    ReadLog.objects.bulk_create(entries)


def change_entries_for(patient_id: int) -> "models.QuerySet[LogEntry]":
    """auditlog entries of the patient and of every change-logged row of theirs."""
    from security.records import patient_branches

    patient_model = apps.get_model("intake", "Patient")
    patient = patient_model(pk=patient_id)
    branches = [b for b in patient_branches() if auditlog.contains(b.model)]
    types = ContentType.objects.get_for_models(patient_model, *(b.model for b in branches))
    condition = models.Q(content_type=types[patient_model], object_id=patient_id)
    for branch in branches:
        condition |= models.Q(
            content_type=types[branch.model],
            object_id__in=branch.objects_of(patient).values("pk"),
        )
    return LogEntry.objects.filter(condition)
