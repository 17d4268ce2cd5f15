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


def register_change_logging() -> None:
    """Register the patient-data models with auditlog (idempotent)."""
    for model in CHANGE_LOGGED:
        if auditlog.contains(model):
            continue
        present = {f.name for f in model._meta.concrete_fields}
        auditlog.register(
            model,
            exclude_fields=[name for name in EXCLUDED_FIELDS if name in present]
            + UNLOGGED_VALUES.get(model._meta.label_lower, []),
        )


def change_entries_for(patient_id: int) -> "models.QuerySet[LogEntry]":
    """auditlog entries of the patient and of every change-logged row of theirs."""
    patient = Patient(pk=patient_id)
    branches = [b for b in patient_branches() if auditlog.contains(b.model)]
    types = ContentType.objects.get_for_models(Patient, *(b.model for b in branches))
    condition = models.Q(content_type=types[Patient], object_id=patient_id)
    for branch in branches:
        condition |= models.Q(
            content_type=types[branch.model],
            object_id__in=branch.objects_of(patient).values("pk"),
        )
    return LogEntry.objects.filter(condition)
