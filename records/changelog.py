"""The change log of patient data: which models django-auditlog records, and every
entry that belongs to one patient."""

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db import models

from followups.models import FollowUp
from intake.models import Alert, Episode, IntakeAssessment, Patient
from records.branches import patient_branches
from referrals.models import Referral, ReferralLetter
from security.audit import patient_id_of
from treatment.models import (
    Discharge,
    PrescribedExercise,
    TreatmentGoal,
    TreatmentPlan,
    TreatmentSession,
)

# Fields never copied into the change log: derived search keys and link secrets.
EXCLUDED_FIELDS = ["name_key", "last_name_key", "token_hash"]
CHANGE_LOGGED: tuple[type[models.Model], ...] = (
    Patient,
    Episode,
    IntakeAssessment,
    Alert,
    FollowUp,
    Referral,
    ReferralLetter,
    TreatmentPlan,
    TreatmentGoal,
    PrescribedExercise,
    TreatmentSession,
    Discharge,
)
# Stored as binary or too bulky for a change log: the log says the field changed.
UNLOGGED_VALUES = {"referrals.referralletter": ["pdf"]}


def patient_reference(instance: models.Model) -> dict[str, int | None]:
    """Stored with every change-log entry (auditlog's ``additional_data``): the patient
    the row belongs to, so that erasure and export find the entry after the row itself
    is gone (an old treatment goal, a deleted session)."""
    return {"patient_id": patient_id_of(instance)}


def register_change_logging() -> None:
    """Register the patient-data models with auditlog (idempotent).

    auditlog stores what an instance's ``get_additional_data()`` returns with each of
    its entries; every change-logged model answers with ``patient_reference``.
    """
    for model in CHANGE_LOGGED:
        if auditlog.contains(model):
            continue
        model.get_additional_data = patient_reference  # type: ignore[attr-defined]
        present = {f.name for f in model._meta.concrete_fields}
        auditlog.register(
            model,
            exclude_fields=[name for name in EXCLUDED_FIELDS if name in present]
            + UNLOGGED_VALUES.get(model._meta.label_lower, []),
        )


def change_entries_for(patient_id: int) -> "models.QuerySet[LogEntry]":
    """auditlog entries of the patient and of every change-logged row of theirs: found
    by the patient id stored with the entry (rows deleted since included), and, for
    entries written before that id was stored, by the rows that still exist."""
    patient = Patient(pk=patient_id)
    branches = [b for b in patient_branches() if auditlog.contains(b.model)]
    types = ContentType.objects.get_for_models(Patient, *(b.model for b in branches))
    condition = models.Q(content_type=types[Patient], object_id=patient_id)
    condition |= models.Q(additional_data__patient_id=patient_id)
    for branch in branches:
        condition |= models.Q(
            content_type=types[branch.model],
            object_id__in=branch.objects_of(patient).values("pk"),
        )
    return LogEntry.objects.filter(condition)
