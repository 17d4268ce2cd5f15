"""GDPR: export everything held on a patient, and erasure on request.

Erasure is pseudonymisation, and only once the retention period is over: Belgian law
(22 April 2019, quality of care, art. 35) has a patient record kept at least 30 years
after the last contact, which ``BACKPATH_RETENTION_YEARS`` sets. A request made earlier
is refused and registered with the date the record may go. Pseudonymisation removes
who the patient is (names, national number, contact details, day and month of birth,
every free-text field and stored letter) and keeps the structured clinical data
(answers, scores, dispositions, dates, states) for the pathway's figures.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from intake.models import Patient
from intake.search import fold
from records.branches import last_activity, patient_branches, patient_objects, serialize
from records.changelog import change_entries_for
from security.models import ErasureOutcome, ErasureRecord, ReadLog

EXPORT_FORMAT = "backpath.patient-export"
EXPORT_VERSION = 1
ERASED = "[erased]"

# Text fields that hold codes, not words about the patient: kept by pseudonymisation.
KEPT_TEXT_FIELDS = frozenset(
    {
        "rule_version",
        "campus_rule",
        "campus_rule_version",
        "start_back_risk",
        "outcome_disposition",
        "course",
        "language",
        "template",
        "idempotency_key",
    }
)
# JSON fields that hold personal data (an e-mail's template variables and attachments).
CLEARED_JSON_FIELDS: dict[str, dict[str, Any]] = {
    "outbox.outboundemail": {"context": {}, "attachments": []}
}


# --- export -------------------------------------------------------------------------


def export_record(patient: Patient) -> dict[str, Any]:
    """Everything held on the patient, as plain data (dates as Python dates)."""
    records: dict[str, list[dict[str, Any]]] = {}
    for branch, obj in patient_objects(patient):
        records.setdefault(branch.label, []).append(serialize(obj))
    changes = [
        {
            "at": entry.timestamp,
            "object": f"{entry.content_type.app_label}.{entry.content_type.model}"
            f"#{entry.object_id}",
            "action": entry.get_action_display(),
            "by_staff": entry.actor_id is not None,
            "changes": entry.changes_dict,
        }
        for entry in change_entries_for(patient.pk)
        .select_related("content_type")
        .order_by("timestamp", "pk")
    ]
    # Staff are named by role, not by name: what was done and when is the patient's data;
    # who did it is the staff member's (see docs/security.md).
    reads = [
        {"at": read.at, "action": read.action, "detail": read.detail, "by_roles": read.roles}
        for read in ReadLog.objects.for_patient(patient.pk).order_by("at", "id")
    ]
    erasure_requests = [
        {"at": r.at, "outcome": r.outcome, "keep_until": r.keep_until}
        for r in ErasureRecord.objects.for_patient(patient.pk)
    ]
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": timezone.now(),
        "retention_years": settings.BACKPATH_RETENTION_YEARS,
        "patient": serialize(patient),
        "records": records,
        "changes": changes,
        "reads": reads,
        "erasure_requests": erasure_requests,
    }


# --- retention ----------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Retention:
    last_activity: date
    keep_until: date
    years: int

    def is_over(self, today: date | None = None) -> bool:
        return (today or timezone.localdate()) > self.keep_until


def retention_of(patient: Patient) -> Retention:
    years = settings.BACKPATH_RETENTION_YEARS
    last = last_activity(patient)
    return Retention(last_activity=last, keep_until=add_years(last, years), years=years)


# --- erasure ------------------------------------------------------------------------


def scrubbed_values(model: type[models.Model]) -> dict[str, Any]:
    """The update that empties a model's free text and binary data, keeping codes."""
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.is_relation or field.unique or field.choices:
            continue
        if field.name in KEPT_TEXT_FIELDS:
            continue
        if isinstance(field, models.CharField | models.TextField):
            values[field.name] = ""
        elif isinstance(field, models.BinaryField):
            values[field.name] = b""
    values.update(CLEARED_JSON_FIELDS.get(model._meta.label_lower, {}))
    return values


def _pseudonym_fields(patient: Patient) -> dict[str, Any]:
    first_name, last_name = "-", f"pseudonym-{patient.pk}"
    return {
        "first_name": first_name,
        "last_name": last_name,
        "last_name_key": fold(last_name),
        "name_key": f"{fold(last_name)} {fold(first_name)}",
        "insz": None,
        "no_insz_reason": "pseudonymised",
        # The year stays for age-based figures; 1 July is at most six months off.
        "birth_date": patient.birth_date.replace(month=7, day=1),
        "email": "",
        "phone": "",
        "gp_name": "",
        "gp_practice": "",
        "email_consent": False,
        "email_consent_at": None,
    }


def _scrub_change_log(patient_id: int, touched: dict[type[models.Model], list[Any]]) -> None:
    """Old values in the change logs would undo the pseudonymisation: keep only which
    fields changed, when and by whom. The one sanctioned rewrite of the audit trail."""
    for entry in change_entries_for(patient_id).only("pk", "changes", "content_type"):
        fields = entry.changes if isinstance(entry.changes, dict) else {}
        LogEntry.objects.filter(pk=entry.pk).update(
            changes={name: [ERASED, ERASED] for name in fields},
            changes_text="",
            object_repr=f"{entry.content_type.model} #{entry.object_id}",
            serialized_data=None,
        )
    for model, ids in touched.items():
        AdminLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(pk) for pk in ids],
        ).update(object_repr=f"{model._meta.model_name} {ERASED}")


@transaction.atomic
def erase_patient(patient_id: int, *, by: Any) -> ErasureRecord:
    """Handle an erasure request: pseudonymise when the retention period is over,
    otherwise register the refusal with the date the record may be erased."""
    patient = Patient.objects.select_for_update().get(pk=patient_id)
    retention = retention_of(patient)
    record = ErasureRecord(
        patient_id=patient.pk,
        user=by,
        username=by.get_username(),
        last_activity=retention.last_activity,
        keep_until=retention.keep_until,
        retention_years=retention.years,
    )
    if not retention.is_over():
        record.outcome = ErasureOutcome.REFUSED_RETENTION
        record.save()
        return record

    changed = 0
    touched: dict[type[models.Model], list[Any]] = {Patient: [patient.pk]}
    for branch in patient_branches():
        ids = list(branch.objects_of(patient).values_list("pk", flat=True))
        values = scrubbed_values(branch.model)
        if ids:
            touched[branch.model] = ids
            if values:
                changed += branch.model._base_manager.filter(pk__in=ids).update(**values)
    fields = _pseudonym_fields(patient)
    Patient.objects.filter(pk=patient.pk).update(**fields)
    _scrub_change_log(patient.pk, touched)
    # Who, when and from where come from the request's audit context (middleware).
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Patient),
        object_pk=str(patient.pk),
        object_id=patient.pk,
        object_repr=f"patient #{patient.pk} (pseudonymised)",
        action=LogEntry.Action.UPDATE,
        changes={name: [ERASED, ERASED] for name in fields},
        actor=by,
    )
    record.outcome = ErasureOutcome.PSEUDONYMISED
    record.objects_changed = changed + 1
    record.save()
    return record
